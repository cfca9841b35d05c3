-- Foundation: staff, sessions, customers, contacts, tags, orders, activities, audit log.
-- Timestamps are Unix seconds; dates are ISO 'YYYY-MM-DD' text; money is integer cents.

CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    team_id INTEGER REFERENCES teams(id),
    active INTEGER NOT NULL DEFAULT 1,
    language TEXT NOT NULL DEFAULT 'en',
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX users_team ON users(team_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    external_id TEXT UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    country TEXT,
    province TEXT,
    city TEXT,
    address TEXT,
    industry TEXT,
    company_size TEXT,
    gender TEXT,
    birth_year INTEGER,
    income_band TEXT,
    source_channel TEXT,
    source_campaign TEXT,
    source_referrer TEXT,
    level INTEGER NOT NULL,
    grade TEXT NOT NULL,
    owner_id INTEGER NOT NULL REFERENCES users(id),
    service_manager_id INTEGER REFERENCES users(id),
    team_id INTEGER REFERENCES teams(id),
    search_text TEXT NOT NULL,
    name_key TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX customers_name ON customers(name_key, id);
CREATE INDEX customers_created ON customers(created_at, id);
CREATE INDEX customers_updated ON customers(updated_at, id);
CREATE INDEX customers_owner ON customers(owner_id, name_key, id);
CREATE INDEX customers_service ON customers(service_manager_id, name_key, id);
CREATE INDEX customers_team ON customers(team_id, name_key, id);
CREATE INDEX customers_level_grade ON customers(level, grade, name_key, id);
CREATE INDEX customers_email ON customers(email);
CREATE INDEX customers_phone ON customers(phone);

CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    title TEXT,
    email TEXT,
    phone TEXT,
    is_primary INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX contacts_customer ON contacts(customer_id);

CREATE TABLE tags (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    color TEXT NOT NULL DEFAULT '#64748b'
);

CREATE TABLE customer_tags (
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (customer_id, tag_id)
);
CREATE INDEX customer_tags_tag ON customer_tags(tag_id, customer_id);

CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    external_id TEXT UNIQUE,
    order_date TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    currency TEXT NOT NULL,
    product TEXT,
    category TEXT,
    channel TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX orders_customer_date ON orders(customer_id, order_date);

CREATE TABLE activities (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    user_id INTEGER REFERENCES users(id),
    kind TEXT NOT NULL,
    happened_at INTEGER NOT NULL,
    summary TEXT NOT NULL,
    outcome TEXT,
    next_step TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX activities_customer_time ON activities(customer_id, happened_at);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor_id INTEGER REFERENCES users(id),
    entity TEXT NOT NULL,
    entity_id INTEGER NOT NULL,
    action TEXT NOT NULL,
    field TEXT,
    before_value TEXT,
    after_value TEXT
);
CREATE INDEX audit_entity ON audit_log(entity, entity_id, id);
