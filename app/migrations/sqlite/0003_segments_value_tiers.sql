-- Segments, RFM and value scores, and two-level tier management with hand-over.

-- Orders by date, covering the columns the segment and RFM aggregates read, so
-- "orders in the last N days" scans only that range.
CREATE INDEX orders_date_customer ON orders(order_date, customer_id, amount_cents);

-- Key/value settings an admin changes at run time (tier thresholds and schedule, RFM
-- window). Values are JSON; each reader has typed defaults.
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id),
    updated_at INTEGER NOT NULL
);

-- A saved segment: a typed rule tree stored as versioned JSON, evaluated on demand.
CREATE TABLE segments (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    rule_json TEXT NOT NULL,
    rule_version INTEGER NOT NULL,
    owner_id INTEGER NOT NULL REFERENCES users(id),
    team_id INTEGER REFERENCES teams(id),
    shared INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX segments_owner ON segments(owner_id);
CREATE INDEX segments_team ON segments(team_id, shared);

-- One RFM computation. `scheduled` runs (as of their day, default window) feed segments,
-- customer pages and tier re-evaluation; `adhoc` runs answer the grid page's chosen date.
CREATE TABLE rfm_runs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    as_of TEXT NOT NULL,
    window_days INTEGER,
    status TEXT NOT NULL,
    requested_by INTEGER REFERENCES users(id),
    requested_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    customers INTEGER NOT NULL DEFAULT 0,
    duration_ms INTEGER,
    error TEXT
);
CREATE INDEX rfm_runs_kind ON rfm_runs(kind, status, id);

CREATE TABLE rfm_scores (
    run_id INTEGER NOT NULL REFERENCES rfm_runs(id) ON DELETE CASCADE,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    recency_days INTEGER NOT NULL,
    frequency INTEGER NOT NULL,
    monetary_cents INTEGER NOT NULL,
    r_score INTEGER NOT NULL,
    f_score INTEGER NOT NULL,
    m_score INTEGER NOT NULL,
    segment TEXT NOT NULL,
    PRIMARY KEY (run_id, customer_id)
);
CREATE INDEX rfm_scores_customer ON rfm_scores(customer_id, run_id);
CREATE INDEX rfm_scores_cell ON rfm_scores(run_id, r_score, f_score);
CREATE INDEX rfm_scores_segment ON rfm_scores(run_id, segment);

-- A proposed level/grade change with the figures behind it, waiting for a decision.
CREATE TABLE tier_proposals (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    direction TEXT NOT NULL,
    from_level INTEGER NOT NULL,
    to_level INTEGER NOT NULL,
    from_grade TEXT NOT NULL,
    to_grade TEXT NOT NULL,
    value_score INTEGER NOT NULL,
    figures TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    decided_by INTEGER REFERENCES users(id),
    decided_at INTEGER,
    decision_comment TEXT,
    new_owner_id INTEGER REFERENCES users(id),
    previous_owner_id INTEGER REFERENCES users(id),
    kept_as_service_manager INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tier_proposals_status ON tier_proposals(status, created_at, id);
CREATE INDEX tier_proposals_customer ON tier_proposals(customer_id, id);

-- Tier history: every level/grade change of a customer, for the timeline.
CREATE TABLE tier_changes (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    proposal_id INTEGER REFERENCES tier_proposals(id) ON DELETE SET NULL,
    at INTEGER NOT NULL,
    actor_id INTEGER REFERENCES users(id),
    from_level INTEGER NOT NULL,
    to_level INTEGER NOT NULL,
    from_grade TEXT NOT NULL,
    to_grade TEXT NOT NULL,
    from_owner_id INTEGER REFERENCES users(id),
    to_owner_id INTEGER REFERENCES users(id),
    comment TEXT
);
CREATE INDEX tier_changes_customer_time ON tier_changes(customer_id, at, id);

-- Internal notes between staff about a customer (the hand-over thread among them).
CREATE TABLE customer_notes (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    author_id INTEGER NOT NULL REFERENCES users(id),
    proposal_id INTEGER REFERENCES tier_proposals(id) ON DELETE SET NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX customer_notes_customer_time ON customer_notes(customer_id, created_at, id);
