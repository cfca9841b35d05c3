-- Every read of RFM scores names the run, and the primary key (run_id, customer_id) serves
-- grid, cell and segment reads by its run prefix, so the two secondary indexes only slowed
-- the writes of a run. (On PostgreSQL the table is also partitioned by run.)
DROP INDEX rfm_scores_cell;
DROP INDEX rfm_scores_segment;
