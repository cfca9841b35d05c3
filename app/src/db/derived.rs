//! Tables derived from orders, and the one seam through which order writes reach them.
//!
//! Every code path that inserts, edits, moves or deletes orders calls [`orders_changed`]
//! with the customers whose purchase history changed, inside its own transaction, so facts
//! derived from orders (recent order dates, funnel milestones, lifecycle history, churn
//! warnings) never disagree with the orders themselves. The features that keep such facts
//! are wired in once, by [`crate::register_order_dependents`], so `orders` knows none of
//! them. Bulk loaders that write whole data sets at once (demo data, benchmarks) rebuild
//! the derived tables in one pass afterwards instead. Deleting a customer clears the
//! derived rows that no foreign key cascades ([`forget_customer`]).

use crate::db::{Db, SqlBuilder};
use crate::error::{AppError, AppResult};
use sqlx::AnyConnection;
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;

/// The work one dependent does for the changed customers (sorted, distinct ids), on the
/// writer's transaction.
pub type Refresh = for<'a> fn(
    &'a mut AnyConnection,
    &'a [i64],
) -> Pin<Box<dyn Future<Output = AppResult<()>> + Send + 'a>>;

/// A feature that keeps facts derived from orders.
#[derive(Clone, Copy)]
pub struct OrderDependent {
    pub name: &'static str,
    pub refresh: Refresh,
}

static DEPENDENTS: OnceLock<Vec<OrderDependent>> = OnceLock::new();

/// Wires the dependents in, in the order they run (a later one may read what an earlier
/// one wrote). The first call wins; later calls change nothing.
pub fn register(dependents: Vec<OrderDependent>) {
    let _ = DEPENDENTS.set(dependents);
}

/// Brings everything derived from orders up to date for `customers` (ids, any order,
/// duplicates allowed).
pub async fn orders_changed(conn: &mut AnyConnection, customers: &[i64]) -> AppResult<()> {
    let mut ids = customers.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(());
    }
    // Writing orders with nothing wired in would let derived data drift silently.
    let Some(dependents) = DEPENDENTS.get() else {
        tracing::error!("order write before the derived features were registered");
        return Err(AppError::Internal);
    };
    for dependent in dependents {
        (dependent.refresh)(conn, &ids).await?;
    }
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

/// Removes a deleted (or merged-away) customer's RFM scores from every run: scores are
/// derived data without a cascading foreign key (migration 0006). Each run is one
/// primary-key probe.
pub async fn forget_customer(conn: &mut AnyConnection, customer: i64) -> AppResult<()> {
    sqlx::query(
        "DELETE FROM rfm_scores WHERE run_id IN (SELECT id FROM rfm_runs) AND customer_id = $1",
    )
    .bind(customer)
    .execute(conn)
    .await?;
    Ok(())
}
