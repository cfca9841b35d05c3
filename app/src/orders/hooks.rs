//! What must follow any change to customers' orders, inside the same transaction. Every
//! code path that inserts, edits, moves or deletes orders calls [`orders_changed`] with
//! the customers whose purchase history changed, so facts derived from orders (lifecycle
//! stage history, churn warnings) never disagree with the orders themselves.
//!
//! Bulk loaders that write whole data sets at once (demo data, benchmarks) rebuild the
//! derived facts in one pass afterwards instead.

use crate::error::AppResult;
use sqlx::AnyConnection;

/// Brings everything derived from orders up to date for `customers` (ids, any order,
/// duplicates allowed).
pub async fn orders_changed(conn: &mut AnyConnection, customers: &[i64]) -> AppResult<()> {
    let mut ids = customers.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(());
    }
    crate::lifecycle::service::refresh_customers(conn, &ids).await?;
    crate::churn::service::orders_changed(conn, &ids).await?;
    Ok(())
}
