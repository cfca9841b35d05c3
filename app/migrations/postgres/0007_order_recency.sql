-- The dates of each customer's ten most recent orders (orders::recency): windowed order
-- counts compare one stored date instead of counting the window's orders. Derived from
-- orders, kept by the order hook; filled here for existing data.
CREATE TABLE order_recency (
    customer_id BIGINT PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
    nth_1 TEXT,
    nth_2 TEXT,
    nth_3 TEXT,
    nth_4 TEXT,
    nth_5 TEXT,
    nth_6 TEXT,
    nth_7 TEXT,
    nth_8 TEXT,
    nth_9 TEXT,
    nth_10 TEXT
);
INSERT INTO order_recency (customer_id, nth_1, nth_2, nth_3, nth_4, nth_5, nth_6, nth_7, nth_8, nth_9, nth_10)
SELECT customer_id,
    MAX(CASE WHEN rn = 1 THEN order_date END),
    MAX(CASE WHEN rn = 2 THEN order_date END),
    MAX(CASE WHEN rn = 3 THEN order_date END),
    MAX(CASE WHEN rn = 4 THEN order_date END),
    MAX(CASE WHEN rn = 5 THEN order_date END),
    MAX(CASE WHEN rn = 6 THEN order_date END),
    MAX(CASE WHEN rn = 7 THEN order_date END),
    MAX(CASE WHEN rn = 8 THEN order_date END),
    MAX(CASE WHEN rn = 9 THEN order_date END),
    MAX(CASE WHEN rn = 10 THEN order_date END)
FROM (SELECT customer_id, order_date,
      ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY order_date DESC) AS rn
      FROM orders) t
WHERE rn <= 10 GROUP BY customer_id;
