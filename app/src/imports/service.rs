//! Runs an import. A file is ALL-OR-NOTHING: every row is parsed and checked first
//! (rejected rows are reported with their line and reason, the good ones kept), then all
//! good rows are written in ONE write transaction that commits once. A crash or error
//! while writing rolls the whole file back, so a file is never half applied; running the
//! same file again is safe because customers and orders match on their external ids.

use crate::auth::permissions::may_import;
use crate::auth::{CurrentUser, Role};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::i18n::Key;
use crate::ids::UserId;
use crate::imports::csv::{read_csv, Columns};
use crate::imports::model::*;
use crate::imports::run::Run;
use std::collections::HashMap;

/// The operator acting from the command line: every right, no user account.
pub fn operator() -> CurrentUser {
    CurrentUser {
        id: UserId(0),
        email: "operator".into(),
        name: "operator".into(),
        role: Role::Admin,
        team_id: None,
        language: crate::i18n::Lang::En,
    }
}

/// Imports `bytes` as `kind` with `mapping` (one entry per file column: a field name, or
/// empty to ignore the column). See the module comment for the all-or-nothing rule.
pub async fn run_import(
    db: &Db,
    actor: &CurrentUser,
    kind: ImportKind,
    bytes: &[u8],
    mapping: &[String],
    options: &ImportOptions,
    progress: Progress<'_>,
) -> AppResult<ImportReport> {
    if !may_import(actor) {
        return Err(AppError::Forbidden);
    }
    let file = read_csv(bytes)?;
    if mapping.len() > file.headers.len() {
        return Err(AppError::field("mapping", Key::ErrImportBadMapping));
    }
    let mut padded = mapping.to_vec();
    padded.resize(file.headers.len(), String::new());
    let fields = check_mapping(kind, &padded)
        .map_err(|_| AppError::field("mapping", Key::ErrImportBadMapping))?;
    let index: HashMap<&'static str, usize> = fields
        .iter()
        .enumerate()
        .filter_map(|(i, f)| f.map(|f| (f, i)))
        .collect();
    let has = |f: &str| index.contains_key(f);
    let complete = match kind {
        ImportKind::Customers => has("name") || has("external_id") || has("email") || has("phone"),
        ImportKind::Orders => has("customer_external_id") && has("date") && has("amount"),
        ImportKind::Contacts => {
            (has("customer_external_id") || has("customer_email")) && has("name")
        }
        ImportKind::Activities => {
            (has("customer_external_id") || has("customer_email"))
                && has("kind")
                && has("date")
                && has("summary")
        }
    };
    if !complete {
        return Err(AppError::field("mapping", Key::ErrImportMissingColumns));
    }
    let mut run = Run {
        db,
        actor,
        options,
        progress,
        cols: Columns {
            index,
            headers: file.headers.clone(),
        },
        report: ImportReport {
            total_rows: file.total_rows,
            read_as_gb18030: file.read_as_gb18030,
            rejected: file.rejected,
            ..Default::default()
        },
        written: 0,
        total: file.total_rows,
    };
    progress(JobPhase::Validating, 0, file.total_rows);
    // Lookups and writes share one transaction: what was checked is what gets written.
    let mut tx = db.begin_write().await?;
    match kind {
        ImportKind::Customers => {
            super::customers::import_customers(&mut run, &mut tx, &file.rows).await?
        }
        ImportKind::Orders => super::orders::import_orders(&mut run, &mut tx, &file.rows).await?,
        ImportKind::Contacts => {
            super::contacts::import_contacts(&mut run, &mut tx, &file.rows).await?
        }
        ImportKind::Activities => {
            super::activities::import_activities(&mut run, &mut tx, &file.rows).await?
        }
    }
    tx.commit().await?;
    let mut report = run.report;
    report.rejected.sort_by_key(|r| r.line);
    progress(JobPhase::Done, report.total_rows, report.total_rows);
    Ok(report)
}
