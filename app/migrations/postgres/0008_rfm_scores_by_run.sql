-- RFM scores become a table partitioned by run: each run writes its ~100 000 scores into a
-- new partition without indexes, builds its primary key in one sorted pass and attaches it
-- (rfm::service::compute_run); pruning a run drops its partition. A read that names the
-- run (all of them do) scans only that run's partition.
--
-- The partitions are unlogged: scores are derived data that a run can always compute
-- again. A crash empties them, and at start the RFM worker marks done runs whose scores
-- are gone as failed and computes a fresh run (rfm::service::fail_interrupted). Rows
-- written for a run without a partition land in the default partition.
ALTER TABLE rfm_scores RENAME TO rfm_scores_unpartitioned;
ALTER TABLE rfm_scores_unpartitioned RENAME CONSTRAINT rfm_scores_pkey TO rfm_scores_unpartitioned_pkey;
DROP INDEX rfm_scores_cell;
DROP INDEX rfm_scores_segment;
CREATE TABLE rfm_scores (
    run_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    recency_days BIGINT NOT NULL,
    frequency BIGINT NOT NULL,
    monetary_cents BIGINT NOT NULL,
    r_score BIGINT NOT NULL,
    f_score BIGINT NOT NULL,
    m_score BIGINT NOT NULL,
    segment TEXT NOT NULL,
    PRIMARY KEY (run_id, customer_id)
) PARTITION BY LIST (run_id);
CREATE UNLOGGED TABLE rfm_scores_other PARTITION OF rfm_scores DEFAULT;
DO $$
DECLARE
    run BIGINT;
BEGIN
    FOR run IN SELECT DISTINCT run_id FROM rfm_scores_unpartitioned LOOP
        EXECUTE format('CREATE UNLOGGED TABLE rfm_scores_run_%s PARTITION OF rfm_scores FOR VALUES IN (%s)', run, run);
    END LOOP;
END $$;
INSERT INTO rfm_scores SELECT run_id, customer_id, recency_days, frequency, monetary_cents,
    r_score, f_score, m_score, segment FROM rfm_scores_unpartitioned;
DROP TABLE rfm_scores_unpartitioned;
