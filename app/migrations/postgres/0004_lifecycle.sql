-- Lifecycle stage history (PRODUCT.md §5). Each row is a span of days with one stage,
-- replayed from the customer's orders: starts_on inclusive, ends_on exclusive (NULL: the
-- open last span). Spans include changes still to come by the passage of time alone
-- (active -> silent the day after the last order + active_days), so the stage on any day
-- is the span containing it. A customer's history starts on the day it was created, or on
-- its first order if that is earlier; customers without orders have no spans and are
-- leads from the day they were created.
CREATE TABLE lifecycle_spans (
    customer_id BIGINT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    previous_stage TEXT,
    starts_on TEXT NOT NULL,
    ends_on TEXT,
    -- starts_on at 00:00 UTC, so the timeline can merge stage changes with other entries.
    starts_at BIGINT NOT NULL,
    PRIMARY KEY (customer_id, starts_on)
);
-- The span containing a day, per customer, read from the index alone.
CREATE INDEX lifecycle_spans_as_of ON lifecycle_spans(customer_id, starts_on, ends_on, stage);
-- Monthly counts (spans begun / ended by a date, per stage) and flows of a period.
CREATE INDEX lifecycle_spans_starts ON lifecycle_spans(starts_on, stage, previous_stage, customer_id);
CREATE INDEX lifecycle_spans_ends ON lifecycle_spans(ends_on, stage, customer_id);
