-- RFM scores are derived data written about 100 000 rows per run. Per-row foreign-key
-- checks cost more than computing the scores, so runs and customers remove their scores
-- explicitly (rfm::service) instead of by cascade. Lookups by customer always name the
-- run, which the primary key (run_id, customer_id) serves.
ALTER TABLE rfm_scores DROP CONSTRAINT rfm_scores_run_id_fkey;
ALTER TABLE rfm_scores DROP CONSTRAINT rfm_scores_customer_id_fkey;
DROP INDEX rfm_scores_customer;
