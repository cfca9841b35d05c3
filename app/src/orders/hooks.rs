//! What must follow any change to customers' orders, inside the same transaction. Every
//! code path that inserts, edits, moves or deletes orders calls [`orders_changed`] with
//! the customers whose purchase history changed, so facts derived from orders (lifecycle
//! stage history, churn warnings, the recent order dates behind windowed counts, funnel
//! milestones) never disagree with the orders themselves.
//!
//! Bulk loaders that write whole data sets at once (demo data, benchmarks) rebuild the
//! derived facts in one pass afterwards instead.

use crate::db::{Db, SqlBuilder};
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
    crate::orders::recency::refresh_customers(conn, &ids).await?;
    crate::funnel::service::refresh_milestones(conn, &ids).await?;
    crate::lifecycle::service::refresh_customers(conn, &ids).await?;
    crate::churn::service::orders_changed(conn, &ids).await?;
    Ok(())
}

/// Pushes `INSERT INTO <table> … SELECT …` computing a per-customer table from the orders
/// of the given customers (all customers for `None`).
pub type PushDerivedInsert = fn(&mut SqlBuilder, Option<&[i64]>);

/// Customers per refresh statement (ids are bound parameters).
const REFRESH_CHUNK: usize = 400;

/// Recomputes the rows of `customers` (distinct ids) in a per-customer table derived from
/// orders, on the caller's transaction: their rows are deleted and computed again.
pub async fn refresh_derived(
    conn: &mut AnyConnection,
    table: &str,
    customers: &[i64],
    push_insert: PushDerivedInsert,
) -> AppResult<()> {
    for chunk in customers.chunks(REFRESH_CHUNK) {
        let mut delete = SqlBuilder::new(format!("DELETE FROM {table} WHERE customer_id IN "));
        delete.push_id_list(chunk);
        delete.query().execute(&mut *conn).await?;
        let mut insert = SqlBuilder::new("");
        push_insert(&mut insert, Some(chunk));
        insert.query().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Recomputes every row of a per-customer table derived from orders, in one transaction
/// (bulk loaders, after writing orders directly).
pub async fn rebuild_derived(
    db: &Db,
    table: &str,
    push_insert: PushDerivedInsert,
) -> AppResult<()> {
    let mut tx = db.begin_write().await?;
    sqlx::query(&format!("DELETE FROM {table}"))
        .execute(&mut *tx)
        .await?;
    let mut insert = SqlBuilder::new("");
    push_insert(&mut insert, None);
    insert.query().execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}
