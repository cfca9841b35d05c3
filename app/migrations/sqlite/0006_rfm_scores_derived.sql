-- RFM scores are derived data written about 100 000 rows per run. Per-row foreign-key
-- checks cost more than computing the scores, so runs and customers remove their scores
-- explicitly (rfm::service) instead of by cascade. Lookups by customer always name the
-- run, which the primary key (run_id, customer_id) serves. SQLite cannot drop a
-- constraint, so the table is rebuilt.
CREATE TABLE rfm_scores_derived (
    run_id INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    recency_days INTEGER NOT NULL,
    frequency INTEGER NOT NULL,
    monetary_cents INTEGER NOT NULL,
    r_score INTEGER NOT NULL,
    f_score INTEGER NOT NULL,
    m_score INTEGER NOT NULL,
    segment TEXT NOT NULL,
    PRIMARY KEY (run_id, customer_id)
);
INSERT INTO rfm_scores_derived SELECT run_id, customer_id, recency_days, frequency,
    monetary_cents, r_score, f_score, m_score, segment FROM rfm_scores;
DROP TABLE rfm_scores;
ALTER TABLE rfm_scores_derived RENAME TO rfm_scores;
CREATE INDEX rfm_scores_cell ON rfm_scores(run_id, r_score, f_score);
CREATE INDEX rfm_scores_segment ON rfm_scores(run_id, segment);
