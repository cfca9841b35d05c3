-- The full customer archive: contracts, payments, credit override, follow-up tasks,
-- groups, admin-defined custom fields and saved list views.

ALTER TABLE customers ADD COLUMN credit_override TEXT;
ALTER TABLE customers ADD COLUMN credit_override_reason TEXT;

-- Orders carry their date as a timestamp too (00:00 UTC), so the timeline can merge them
-- with activities and changes by time.
ALTER TABLE orders ADD COLUMN ordered_at INTEGER NOT NULL DEFAULT 0;
UPDATE orders SET ordered_at = CAST(strftime('%s', order_date) AS INTEGER);
CREATE INDEX orders_customer_time ON orders(customer_id, ordered_at, id);
CREATE INDEX activities_customer_time_id ON activities(customer_id, happened_at, id);
CREATE INDEX audit_entity_time ON audit_log(entity, entity_id, at, id);

CREATE TABLE contracts (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    value_cents INTEGER NOT NULL,
    currency TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT,
    status TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX contracts_customer ON contracts(customer_id, start_date);

CREATE TABLE payments (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    contract_id INTEGER REFERENCES contracts(id) ON DELETE SET NULL,
    amount_cents INTEGER NOT NULL,
    currency TEXT NOT NULL,
    due_date TEXT NOT NULL,
    paid_date TEXT,
    -- The paid date if paid, else the due date, as 00:00 UTC: its place on the timeline.
    timeline_at INTEGER NOT NULL,
    created_by INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL
);
CREATE INDEX payments_customer_time ON payments(customer_id, timeline_at, id);
CREATE INDEX payments_unpaid_due ON payments(paid_date, due_date);

CREATE TABLE tasks (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER REFERENCES customers(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    assignee_id INTEGER NOT NULL REFERENCES users(id),
    due_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    source TEXT NOT NULL,
    source_id INTEGER,
    created_by INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL,
    completed_at INTEGER
);
CREATE INDEX tasks_assignee_open ON tasks(assignee_id, status, due_at);
CREATE INDEX tasks_customer_time ON tasks(customer_id, created_at, id);
CREATE INDEX tasks_customer_status ON tasks(customer_id, status);

CREATE TABLE customer_groups (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE customer_group_members (
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    group_id INTEGER NOT NULL REFERENCES customer_groups(id) ON DELETE CASCADE,
    PRIMARY KEY (customer_id, group_id)
);
CREATE INDEX customer_group_members_group ON customer_group_members(group_id, customer_id);

-- kind: text | number | date | choice; choices one per line.
CREATE TABLE custom_fields (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    kind TEXT NOT NULL,
    choices TEXT NOT NULL DEFAULT '',
    position INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
);

-- value is the canonical text (numbers as decimal text, dates ISO); number_value holds
-- numbers scaled by 10^4 so range filters use an index.
CREATE TABLE custom_field_values (
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    field_id INTEGER NOT NULL REFERENCES custom_fields(id) ON DELETE CASCADE,
    value TEXT NOT NULL,
    number_value INTEGER,
    PRIMARY KEY (customer_id, field_id)
);
CREATE INDEX custom_field_values_lookup ON custom_field_values(field_id, value, customer_id);
CREATE INDEX custom_field_values_number ON custom_field_values(field_id, number_value, customer_id);

CREATE TABLE saved_views (
    id INTEGER PRIMARY KEY,
    owner_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    team_id INTEGER REFERENCES teams(id),
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    shared INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX saved_views_owner ON saved_views(owner_id);
CREATE INDEX saved_views_team ON saved_views(team_id, shared);
