-- State that every app server must see, kept in the database rather than in one process.

-- Token buckets of the per-client rate limits (the public feedback form): one row per
-- (limit, client), dropped once the bucket has filled up again.
CREATE TABLE rate_buckets (
    scope TEXT NOT NULL,
    client TEXT NOT NULL,
    tokens REAL NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (scope, client)
);
CREATE INDEX rate_buckets_at ON rate_buckets(scope, at);

-- CSV files uploaded and waiting for their column mapping: started on any server,
-- forgotten after 30 minutes.
CREATE TABLE import_uploads (
    id TEXT PRIMARY KEY,
    owner_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    size_bytes INTEGER NOT NULL,
    content BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX import_uploads_owner ON import_uploads(owner_id, created_at);

-- Import jobs and their progress, readable from any server. `heartbeat_at` is renewed by
-- the server running the job; a job whose heartbeat stopped was interrupted.
CREATE TABLE import_jobs (
    id TEXT PRIMARY KEY,
    owner_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    phase TEXT NOT NULL,
    processed INTEGER NOT NULL,
    total INTEGER NOT NULL,
    report_json TEXT,
    error TEXT,
    created_at INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL
);
CREATE INDEX import_jobs_owner ON import_jobs(owner_id, phase);
