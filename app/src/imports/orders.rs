//! The order import: orders matched to customers by external id or e-mail; an order's
//! own external id makes a second run of the same file change nothing.

use super::csv::CsvRow;
use super::run::{optional, summary_audit, CustomerRefs, Run, AUDIT_HEAD, LOOKUP_CHUNK};
use crate::auth::permissions::{may, CustomerAction};
use crate::customers::model::TEXT_MAX;
use crate::db::{insert_rows, now, Row, SqlBuilder, SqlValue};
use crate::error::AppResult;
use crate::i18n::Key;
use crate::imports::model::*;
use sqlx::AnyConnection;
use std::collections::{HashMap, HashSet};

struct OrderRow {
    customer_id: i64,
    external_id: Option<String>,
    values: Vec<SqlValue>,
}

/// Stored orders by the external ids the file names: those the actor may change (their
/// ids), those of customers the actor may not change (never touched), and the customers
/// that own the former today (a row may move an order away from them).
async fn stored_orders(
    run: &Run<'_>,
    conn: &mut AnyConnection,
    rows: &[CsvRow],
) -> AppResult<(HashMap<String, i64>, HashSet<String>, Vec<i64>)> {
    let mut order_exts: HashSet<String> = HashSet::new();
    for row in rows {
        let ext = run.cols.get(row, "external_id");
        if !ext.is_empty() {
            order_exts.insert(ext.to_string());
        }
    }
    let mut stored_orders: HashMap<String, i64> = HashMap::new();
    let mut foreign_orders: HashSet<String> = HashSet::new();
    let mut changed_customers: Vec<i64> = Vec::new();
    let order_exts: Vec<String> = order_exts.into_iter().collect();
    for chunk in order_exts.chunks(LOOKUP_CHUNK) {
        let mut q = SqlBuilder::new(
            "SELECT o.id, o.external_id, o.customer_id, c.level, c.owner_id, c.service_manager_id, c.team_id \
             FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.external_id IN (",
        );
        q.bind_all(chunk.iter().map(|v| SqlValue::Text(v.clone())));
        q.push(")");
        for r in q.query().fetch_all(&mut *conn).await? {
            let ext: String = r.try_get("external_id")?;
            // An order of a customer the actor may not change is never touched: the row
            // is refused as a taken external id, whatever customer it names.
            if !may(
                run.actor,
                CustomerAction::Update,
                &crate::auth::scope::scope_from_row(&r)?,
            ) {
                foreign_orders.insert(ext);
                continue;
            }
            stored_orders.insert(ext, r.try_get("id")?);
            changed_customers.push(r.try_get("customer_id")?);
        }
    }
    Ok((stored_orders, foreign_orders, changed_customers))
}

/// One row as an order to write, or `None` when it was rejected.
fn order_of_row(
    run: &mut Run<'_>,
    row: &CsvRow,
    refs: &CustomerRefs,
    foreign_orders: &HashSet<String>,
    t: i64,
) -> Option<OrderRow> {
    let customer_id = match refs.resolve(run, row) {
        Ok(id) => id,
        Err((column, key)) => {
            run.reject(row.line, column, key);
            return None;
        }
    };
    let Some((date, day)) = parse_date(run.cols.get(row, "date")) else {
        run.reject(row.line, "date", Key::ErrImportBadDate);
        return None;
    };
    let Some(cents) = parse_amount(run.cols.get(row, "amount")) else {
        run.reject(row.line, "amount", Key::ErrImportBadAmount);
        return None;
    };
    let currency = match run.cols.get(row, "currency") {
        "" => "CNY".to_string(),
        c if c.len() == 3 && c.bytes().all(|b| b.is_ascii_alphabetic()) => c.to_ascii_uppercase(),
        _ => {
            run.reject(row.line, "currency", Key::ErrImportBadCurrency);
            return None;
        }
    };
    let Ok(external_id) = optional(run, row, "external_id", 64) else {
        return None;
    };
    if external_id
        .as_ref()
        .is_some_and(|e| foreign_orders.contains(e))
    {
        run.reject(row.line, "external_id", Key::ErrImportOrderIdTaken);
        return None;
    }
    let Ok(product) = optional(run, row, "product", TEXT_MAX) else {
        return None;
    };
    let Ok(category) = optional(run, row, "category", TEXT_MAX) else {
        return None;
    };
    let Ok(channel) = optional(run, row, "channel", TEXT_MAX) else {
        return None;
    };
    Some(OrderRow {
        customer_id,
        external_id: external_id.clone(),
        values: vec![
            SqlValue::Int(customer_id),
            SqlValue::OptText(external_id.clone()),
            SqlValue::Text(date),
            SqlValue::Int(day * 86_400),
            SqlValue::Int(cents),
            SqlValue::Text(currency),
            SqlValue::OptText(product),
            SqlValue::OptText(category),
            SqlValue::OptText(channel),
            SqlValue::Int(t),
        ],
    })
}

/// Applies the rows that change stored orders, in id order.
async fn update_orders(
    run: &mut Run<'_>,
    conn: &mut AnyConnection,
    updates: HashMap<i64, OrderRow>,
) -> AppResult<()> {
    let mut updates: Vec<_> = updates.into_iter().collect();
    updates.sort_by_key(|(id, _)| *id);
    for (id, order) in updates {
        let mut q = SqlBuilder::new("UPDATE orders SET customer_id = ");
        q.bind(SqlValue::Int(order.customer_id));
        let names = [
            "order_date",
            "ordered_at",
            "amount_cents",
            "currency",
            "product",
            "category",
            "channel",
        ];
        for (name, v) in names.iter().zip(&order.values[2..9]) {
            // Only the columns the row gave: an empty optional cell keeps the stored value.
            if matches!(v, SqlValue::OptText(None)) {
                continue;
            }
            q.push(&format!(", {name} = ")).bind(v.clone());
        }
        q.push(" WHERE id = ").bind(SqlValue::Int(id));
        q.query().execute(&mut *conn).await?;
        run.wrote(1)?;
    }
    Ok(())
}

pub(super) async fn import_orders(
    run: &mut Run<'_>,
    conn: &mut AnyConnection,
    rows: &[CsvRow],
) -> AppResult<()> {
    let refs = CustomerRefs::load(run, conn, rows).await?;
    // Customers whose orders this file changes: the new owners of every row, and the
    // previous owners of orders a row moves.
    let (stored_orders, foreign_orders, mut changed_customers) =
        stored_orders(run, conn, rows).await?;
    let t = now();
    let mut new_orders: Vec<OrderRow> = Vec::new();
    let mut new_by_ext: HashMap<String, usize> = HashMap::new();
    let mut updates: HashMap<i64, OrderRow> = HashMap::new();
    let mut per_customer: HashMap<i64, u64> = HashMap::new();
    for (n, row) in rows.iter().enumerate() {
        run.validated(n);
        let Some(order) = order_of_row(run, row, &refs, &foreign_orders, t) else {
            continue;
        };
        *per_customer.entry(order.customer_id).or_default() += 1;
        // The same external id again: the later row wins, as a re-import would.
        match order.external_id.clone() {
            Some(ext) if stored_orders.contains_key(&ext) => {
                run.report.updated += 1;
                updates.insert(stored_orders[&ext], order);
            }
            Some(ext) if new_by_ext.contains_key(&ext) => {
                run.report.updated += 1;
                new_orders[new_by_ext[&ext]] = order;
            }
            _ => {
                run.report.created += 1;
                if let Some(ext) = &order.external_id {
                    new_by_ext.insert(ext.clone(), new_orders.len());
                }
                new_orders.push(order);
            }
        }
    }
    (run.progress)(JobPhase::Writing, 0, run.total);
    changed_customers.extend(new_orders.iter().map(|o| o.customer_id));
    changed_customers.extend(updates.values().map(|o| o.customer_id));
    let values: Vec<Vec<SqlValue>> = new_orders.into_iter().map(|o| o.values).collect();
    run.insert(
        conn,
        "INSERT INTO orders (customer_id, external_id, order_date, ordered_at, amount_cents, currency, product, category, channel, created_at)",
        &values,
    )
    .await?;
    update_orders(run, conn, updates).await?;
    crate::db::derived::orders_changed(conn, &changed_customers).await?;
    let audit = summary_audit(run, &per_customer, "orders");
    insert_rows(conn, run.db.engine, AUDIT_HEAD, &audit).await?;
    Ok(())
}
