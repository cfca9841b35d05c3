//! The dates of each customer's most recent orders, kept in `order_recency` so that
//! "at least k orders in the last N days" is a comparison of one stored date instead of a
//! count over the window's orders: a customer has at least k orders after day S exactly
//! when their k-th most recent order is after S. Orders on the same day count separately,
//! as they do in the count.
//!
//! Kept current through `db::derived::orders_changed` inside every order write; bulk loaders
//! call [`rebuild_all`]. Migration 0007 fills it for existing data.

use crate::db::derived::{rebuild_derived, refresh_derived, OrderDependent};
use crate::db::{Db, SqlBuilder};
use crate::error::AppResult;
use sqlx::AnyConnection;

/// How many recent order dates are kept per customer (columns `nth_1` … `nth_10`).
/// Counts compared with larger numbers fall back to counting the window's orders.
pub const KEPT: i64 = 10;

/// Column holding the date of the `n`-th most recent order (1-based, `n ≤ KEPT`).
pub fn column(n: i64) -> &'static str {
    const COLUMNS: [&str; KEPT as usize] = [
        "nth_1", "nth_2", "nth_3", "nth_4", "nth_5", "nth_6", "nth_7", "nth_8", "nth_9", "nth_10",
    ];
    COLUMNS[(n.clamp(1, KEPT) - 1) as usize]
}

/// `INSERT INTO order_recency … SELECT` over the orders of `customers` (all for `None`):
/// one row per customer with orders.
fn push_insert(q: &mut SqlBuilder, customers: Option<&[i64]>) {
    let columns: Vec<&str> = (1..=KEPT).map(column).collect();
    q.push(&format!(
        "INSERT INTO order_recency (customer_id, {}) SELECT customer_id, ",
        columns.join(", ")
    ));
    let picks: Vec<String> = (1..=KEPT)
        .map(|n| format!("MAX(CASE WHEN rn = {n} THEN order_date END)"))
        .collect();
    q.push(&picks.join(", ")).push(
        " FROM (SELECT o.customer_id, o.order_date, ROW_NUMBER() OVER \
         (PARTITION BY o.customer_id ORDER BY o.order_date DESC) AS rn FROM orders o",
    );
    if let Some(ids) = customers {
        q.push(" WHERE o.customer_id IN ").push_id_list(ids);
    }
    q.push(&format!(") t WHERE rn <= {KEPT} GROUP BY customer_id"));
}

/// Runs on every order write, first: segment conditions read these dates.
pub const ORDER_DEPENDENT: OrderDependent = OrderDependent {
    name: "order recency",
    refresh: |conn, ids| Box::pin(refresh_customers(conn, ids)),
};

/// Recomputes the rows of `customers` (distinct ids) on the caller's transaction.
pub async fn refresh_customers(conn: &mut AnyConnection, customers: &[i64]) -> AppResult<()> {
    refresh_derived(conn, "order_recency", customers, push_insert).await
}

/// Rebuilds every row from the orders, in one transaction.
pub async fn rebuild_all(db: &Db) -> AppResult<()> {
    rebuild_derived(db, "order_recency", push_insert).await
}
