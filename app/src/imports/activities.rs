//! The activity import: calls, meetings and visits logged on the customers the rows name.

use super::csv::CsvRow;
use super::run::{optional, summary_audit, CustomerRefs, Run, AUDIT_HEAD};
use crate::db::{insert_rows, now, SqlValue};
use crate::error::AppResult;
use crate::i18n::Key;
use crate::imports::model::*;
use sqlx::AnyConnection;
use std::collections::HashMap;

/// Longest free text of an activity (summary, outcome, next step).
const NOTE_MAX: usize = 2_000;

pub(super) async fn import_activities(
    run: &mut Run<'_>,
    conn: &mut AnyConnection,
    rows: &[CsvRow],
) -> AppResult<()> {
    let refs = CustomerRefs::load(run, conn, rows).await?;
    let t = now();
    let mut out: Vec<Vec<SqlValue>> = Vec::new();
    let mut per_customer: HashMap<i64, u64> = HashMap::new();
    for (n, row) in rows.iter().enumerate() {
        run.validated(n);
        let customer = match refs.resolve(run, row) {
            Ok(id) => id,
            Err((column, key)) => {
                run.reject(row.line, column, key);
                continue;
            }
        };
        let kind = run.cols.get(row, "kind").to_lowercase();
        if !ACTIVITY_KINDS.contains(&kind.as_str()) {
            run.reject(row.line, "kind", Key::ErrInvalidChoice);
            continue;
        }
        let Some(when) = parse_datetime(run.cols.get(row, "date")) else {
            run.reject(row.line, "date", Key::ErrImportBadDate);
            continue;
        };
        let summary = run.cols.get(row, "summary");
        if summary.is_empty() {
            run.reject(row.line, "summary", Key::ErrRequired);
            continue;
        }
        let Ok(Some(summary)) = optional(run, row, "summary", NOTE_MAX) else {
            continue;
        };
        let Ok(outcome) = optional(run, row, "outcome", NOTE_MAX) else {
            continue;
        };
        let Ok(next_step) = optional(run, row, "next_step", NOTE_MAX) else {
            continue;
        };
        run.report.created += 1;
        *per_customer.entry(customer).or_default() += 1;
        out.push(vec![
            SqlValue::Int(customer),
            SqlValue::OptInt(run.options.audit_actor.map(|a| a.0)),
            SqlValue::Text(kind),
            SqlValue::Int(when),
            SqlValue::Text(summary),
            SqlValue::OptText(outcome),
            SqlValue::OptText(next_step),
            SqlValue::Int(t),
        ]);
    }
    (run.progress)(JobPhase::Writing, 0, run.total);
    run.insert(
        conn,
        "INSERT INTO activities (customer_id, user_id, kind, happened_at, summary, outcome, next_step, created_at)",
        &out,
    )
    .await?;
    let audit = summary_audit(run, &per_customer, "activities");
    insert_rows(conn, run.db.engine, AUDIT_HEAD, &audit).await?;
    Ok(())
}
