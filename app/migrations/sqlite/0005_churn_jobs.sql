-- Exclusive background jobs (one holder per job name across every server instance) and
-- the churn early warning: one row per warning episode, plus its opened/cleared events.

CREATE TABLE job_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    acquired_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE job_runs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    holder TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    status TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX job_runs_name ON job_runs(name, id);

CREATE TABLE churn_warnings (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    opened_on TEXT NOT NULL,
    -- The customer's last order date when the episode opened: a later one clears it.
    last_order_on TEXT NOT NULL,
    score INTEGER NOT NULL,
    reasons_json TEXT NOT NULL,
    value_cents INTEGER NOT NULL,
    task_id INTEGER REFERENCES tasks(id) ON DELETE SET NULL,
    updated_on TEXT NOT NULL,
    cleared_on TEXT,
    cleared_reason TEXT
);
CREATE UNIQUE INDEX churn_warnings_one_open ON churn_warnings(customer_id) WHERE cleared_on IS NULL;
CREATE INDEX churn_warnings_customer ON churn_warnings(customer_id, id);
CREATE INDEX churn_warnings_open_value ON churn_warnings(cleared_on, value_cents, id);

-- event: opened | cleared.
CREATE TABLE churn_events (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    warning_id INTEGER NOT NULL REFERENCES churn_warnings(id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    event TEXT NOT NULL,
    score INTEGER NOT NULL,
    reasons_json TEXT NOT NULL,
    cleared_reason TEXT
);
CREATE INDEX churn_events_customer_time ON churn_events(customer_id, at, id);
