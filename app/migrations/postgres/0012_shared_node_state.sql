-- State that every app server must see, kept in the database rather than in one process.

-- Token buckets of the per-client rate limits (the public feedback form): one row per
-- (limit, client), dropped once the bucket has filled up again.
CREATE TABLE rate_buckets (
    scope TEXT NOT NULL,
    client TEXT NOT NULL,
    tokens DOUBLE PRECISION NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (scope, client)
);
CREATE INDEX rate_buckets_at ON rate_buckets(scope, at);

-- CSV files uploaded and waiting for their column mapping: started on any server,
-- forgotten after 30 minutes.
CREATE TABLE import_uploads (
    id TEXT PRIMARY KEY,
    owner_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    size_bytes BIGINT NOT NULL,
    content BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX import_uploads_owner ON import_uploads(owner_id, created_at);

-- Import jobs and their progress, readable from any server. `heartbeat_at` is renewed by
-- the server running the job; a job whose heartbeat stopped was interrupted.
CREATE TABLE import_jobs (
    id TEXT PRIMARY KEY,
    owner_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    phase TEXT NOT NULL,
    processed BIGINT NOT NULL,
    total BIGINT NOT NULL,
    report_json TEXT,
    error TEXT,
    created_at BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL
);
CREATE INDEX import_jobs_owner ON import_jobs(owner_id, phase);
