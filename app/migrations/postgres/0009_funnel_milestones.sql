-- Each customer's funnel milestones (funnel::service): the dates of the first and second
-- order and of the first later order in another known category than the first order's.
-- Derived from orders, kept by the order hook; filled here for existing data.
CREATE TABLE funnel_milestones (
    customer_id BIGINT PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
    first_order TEXT NOT NULL,
    second_order TEXT,
    expansion TEXT
);
INSERT INTO funnel_milestones (customer_id, first_order, second_order, expansion)
SELECT r.customer_id,
    MIN(CASE WHEN r.rn = 1 THEN r.order_date END),
    MIN(CASE WHEN r.rn = 2 THEN r.order_date END),
    MIN(CASE WHEN r.rn > 1 AND r.category <> r.first_category THEN r.order_date END)
FROM (SELECT o.customer_id, o.order_date, NULLIF(o.category, '') AS category,
        ROW_NUMBER() OVER w AS rn, FIRST_VALUE(NULLIF(o.category, '')) OVER w AS first_category
      FROM orders o
      WINDOW w AS (PARTITION BY o.customer_id ORDER BY o.order_date, o.id)) r
GROUP BY r.customer_id;
