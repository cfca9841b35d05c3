-- Feedback forms (each saved edit is a new version; answers keep the version they were
-- given against), personal links, answers, and complaints with their status history.

-- status: open | closed. current_version: the version the public page shows.
CREATE TABLE feedback_forms (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL,
    status TEXT NOT NULL,
    current_version INTEGER NOT NULL,
    created_by INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX feedback_forms_slug ON feedback_forms(slug);

CREATE TABLE feedback_form_versions (
    form_id INTEGER NOT NULL REFERENCES feedback_forms(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    definition_json TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (form_id, version)
);

-- A personal link ties its one answer to a customer. Its token is signed, not stored.
CREATE TABLE feedback_links (
    id INTEGER PRIMARY KEY,
    form_id INTEGER NOT NULL REFERENCES feedback_forms(id) ON DELETE CASCADE,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    expires_at INTEGER,
    created_by INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL,
    used_at INTEGER
);
CREATE INDEX feedback_links_form ON feedback_links(form_id, id);
CREATE INDEX feedback_links_customer ON feedback_links(customer_id);

-- nps / csat: the first NPS (0-10) and CSAT (1-5) answer, for analysis and KPIs;
-- comment: the free-text answers, for search.
CREATE TABLE feedback_responses (
    id INTEGER PRIMARY KEY,
    form_id INTEGER NOT NULL REFERENCES feedback_forms(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    idempotency_key TEXT NOT NULL,
    customer_id INTEGER REFERENCES customers(id) ON DELETE SET NULL,
    link_id INTEGER REFERENCES feedback_links(id) ON DELETE SET NULL,
    language TEXT NOT NULL,
    submitted_at INTEGER NOT NULL,
    answers_json TEXT NOT NULL,
    nps INTEGER,
    csat INTEGER,
    comment TEXT
);
CREATE UNIQUE INDEX feedback_responses_key ON feedback_responses(form_id, idempotency_key);
CREATE UNIQUE INDEX feedback_responses_link ON feedback_responses(link_id) WHERE link_id IS NOT NULL;
CREATE INDEX feedback_responses_form_time ON feedback_responses(form_id, submitted_at);
CREATE INDEX feedback_responses_time ON feedback_responses(submitted_at);
CREATE INDEX feedback_responses_customer ON feedback_responses(customer_id, submitted_at);

-- source: form | manual. status: received | classified | in_progress | resolved | closed.
CREATE TABLE complaints (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER REFERENCES customers(id) ON DELETE CASCADE,
    response_id INTEGER REFERENCES feedback_responses(id) ON DELETE SET NULL,
    source TEXT NOT NULL,
    category TEXT NOT NULL,
    severity TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    assignee_id INTEGER REFERENCES users(id),
    deadline_at INTEGER NOT NULL,
    resolution_note TEXT,
    overdue_task_id INTEGER REFERENCES tasks(id) ON DELETE SET NULL,
    created_by INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL,
    resolved_at INTEGER,
    updated_at INTEGER NOT NULL
);
CREATE INDEX complaints_status_deadline ON complaints(status, deadline_at);
CREATE INDEX complaints_assignee ON complaints(assignee_id, status);
CREATE INDEX complaints_customer ON complaints(customer_id, created_at);
CREATE INDEX complaints_created ON complaints(created_at);

CREATE TABLE complaint_events (
    id INTEGER PRIMARY KEY,
    complaint_id INTEGER NOT NULL REFERENCES complaints(id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    actor_id INTEGER REFERENCES users(id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    note TEXT
);
CREATE INDEX complaint_events_complaint ON complaint_events(complaint_id, id);
