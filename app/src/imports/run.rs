//! One import run in progress (its columns, report, progress and failpoint) and the
//! lookups every import kind shares: customers by external id or e-mail, staff by e-mail.

use crate::auth::model::Email;
use crate::auth::permissions::{may, Assignee, CustomerAction, CustomerScope};
use crate::auth::{CurrentUser, Role};
use crate::customers::model::{CustomerInput, TEXT_COLUMNS};
use crate::db::{insert_rows, now, Db, Row, SqlBuilder, SqlValue};
use crate::error::{AppError, AppResult};
use crate::i18n::Key;
use crate::ids::{TeamId, UserId};
use crate::imports::csv::{Columns, CsvRow};
use crate::imports::model::*;
use sqlx::AnyConnection;
use std::collections::{HashMap, HashSet};

/// Lookups by key use `IN` lists of at most this many values (SQLite's sweet spot).
pub(super) const LOOKUP_CHUNK: usize = 400;

/// Rows written between two progress updates.
const WRITE_CHUNK: usize = 2_000;

pub(super) struct Run<'a> {
    pub(super) db: &'a Db,
    pub(super) actor: &'a CurrentUser,
    pub(super) options: &'a ImportOptions,
    pub(super) progress: Progress<'a>,
    pub(super) cols: Columns,
    pub(super) report: ImportReport,
    pub(super) written: u64,
    pub(super) total: u64,
}

impl Run<'_> {
    pub(super) fn reject(&mut self, line: u64, field: &str, reason: Key) {
        let column = if field.is_empty() {
            String::new()
        } else {
            self.cols.name(field)
        };
        self.report.rejected.push(RejectedRow {
            line,
            column,
            reason,
        });
    }
    pub(super) fn validated(&self, done: usize) {
        if done.is_multiple_of(1_000) {
            (self.progress)(JobPhase::Validating, done as u64, self.total);
        }
    }
    /// Counts written rows, reports progress, and trips the test failpoint.
    pub(super) fn wrote(&mut self, rows: usize) -> AppResult<()> {
        self.written += rows as u64;
        (self.progress)(JobPhase::Writing, self.written, self.total);
        match self.options.fail_after_rows {
            Some(limit) if self.written >= limit => {
                tracing::warn!("import failpoint reached after {} rows", self.written);
                Err(AppError::Internal)
            }
            _ => Ok(()),
        }
    }
    pub(super) async fn insert(
        &mut self,
        conn: &mut AnyConnection,
        head: &str,
        rows: &[Vec<SqlValue>],
    ) -> AppResult<()> {
        for part in rows.chunks(WRITE_CHUNK) {
            insert_rows(conn, self.db.engine, head, part).await?;
            self.wrote(part.len())?;
        }
        Ok(())
    }
}

/// A customer as the import sees it: identity, scope, and its stored values as form input.
pub(super) struct StoredCustomer {
    pub(super) id: i64,
    pub(super) scope: CustomerScope,
    pub(super) input: CustomerInput,
}

pub(super) fn set_field(input: &mut CustomerInput, field: &str, value: String) {
    let slot = match field {
        "external_id" => &mut input.external_id,
        "name" => &mut input.name,
        "kind" => &mut input.kind,
        "email" => &mut input.email,
        "phone" => &mut input.phone,
        "country" => &mut input.country,
        "province" => &mut input.province,
        "city" => &mut input.city,
        "address" => &mut input.address,
        "industry" => &mut input.industry,
        "company_size" => &mut input.company_size,
        "gender" => &mut input.gender,
        "birth_year" => &mut input.birth_year,
        "income_band" => &mut input.income_band,
        "source_channel" => &mut input.source_channel,
        "source_campaign" => &mut input.source_campaign,
        "source_referrer" => &mut input.source_referrer,
        "level" => &mut input.level,
        "grade" => &mut input.grade,
        "tags" => &mut input.tags,
        _ => return,
    };
    *slot = value;
}

/// Customers whose `column` is one of `values`, in chunks. With `full`, every stored
/// value (for updates); otherwise identity and scope only.
pub(super) async fn customers_by(
    conn: &mut AnyConnection,
    column: &str,
    values: &[String],
    full: bool,
) -> AppResult<Vec<StoredCustomer>> {
    let mut out = Vec::new();
    let select = if full {
        "SELECT c.*"
    } else {
        "SELECT c.id, c.external_id, c.email, c.level, c.owner_id, c.service_manager_id, c.team_id"
    };
    for chunk in values.chunks(LOOKUP_CHUNK) {
        let mut q = SqlBuilder::new(format!("{select} FROM customers c WHERE c.{column} IN ("));
        q.bind_all(chunk.iter().map(|v| SqlValue::Text(v.clone())));
        q.push(")");
        for r in q.query().fetch_all(&mut *conn).await? {
            let scope = crate::auth::scope::scope_from_row(&r)?;
            let mut input = CustomerInput::default();
            let text = |c: &str| -> Result<String, sqlx::Error> {
                Ok(r.try_get::<Option<String>, _>(c)?.unwrap_or_default())
            };
            input.external_id = text("external_id")?;
            input.email = text("email")?;
            if full {
                for c in TEXT_COLUMNS {
                    set_field(&mut input, c, text(c)?);
                }
                input.birth_year = r
                    .try_get::<Option<i64>, _>("birth_year")?
                    .map(|y| y.to_string())
                    .unwrap_or_default();
                input.grade = text("grade")?;
            }
            input.level = scope.level.to_string();
            input.owner_id = scope.owner_id.to_string();
            input.service_manager_id = scope
                .service_manager_id
                .map(|s| s.to_string())
                .unwrap_or_default();
            out.push(StoredCustomer {
                id: r.try_get("id")?,
                scope,
                input,
            });
        }
    }
    Ok(out)
}

/// Every staff member by lower-case e-mail and by id (a small table).
pub(super) struct Staff {
    pub(super) by_email: HashMap<String, Assignee>,
    pub(super) by_id: HashMap<UserId, Assignee>,
}

pub(super) async fn load_staff(conn: &mut AnyConnection) -> AppResult<Staff> {
    let rows = sqlx::query("SELECT id, email, role, team_id, active FROM users")
        .fetch_all(&mut *conn)
        .await?;
    let mut staff = Staff {
        by_email: HashMap::new(),
        by_id: HashMap::new(),
    };
    for r in rows {
        let role: String = r.try_get("role")?;
        let Some(role) = Role::parse(&role) else {
            continue;
        };
        let a = Assignee {
            id: UserId(r.try_get("id")?),
            role,
            team_id: r.try_get::<Option<i64>, _>("team_id")?.map(TeamId),
            active: r.try_get::<i64, _>("active")? == 1,
        };
        staff
            .by_email
            .insert(r.try_get::<String, _>("email")?.to_lowercase(), a);
        staff.by_id.insert(a.id, a);
    }
    Ok(staff)
}

pub(super) fn email_key(raw: &str) -> Option<String> {
    Email::parse("email", raw)
        .ok()
        .map(|e| e.as_str().to_string())
}

/// The customers rows refer to, by external id or e-mail, with the right to change them
/// checked. `Err` is the reason to reject the row.
pub(super) struct CustomerRefs {
    pub(super) by_ext: HashMap<String, StoredCustomer>,
    pub(super) by_email: HashMap<String, StoredCustomer>,
}

impl CustomerRefs {
    pub(super) async fn load(
        run: &Run<'_>,
        conn: &mut AnyConnection,
        rows: &[CsvRow],
    ) -> AppResult<CustomerRefs> {
        let mut exts = HashSet::new();
        let mut emails = HashSet::new();
        for row in rows {
            let ext = run.cols.get(row, "customer_external_id");
            if !ext.is_empty() {
                exts.insert(ext.to_string());
            } else if let Some(e) = email_key(run.cols.get(row, "customer_email")) {
                emails.insert(e);
            }
        }
        let exts: Vec<String> = exts.into_iter().collect();
        let emails: Vec<String> = emails.into_iter().collect();
        Ok(CustomerRefs {
            by_ext: customers_by(conn, "external_id", &exts, false)
                .await?
                .into_iter()
                .map(|c| (c.input.external_id.clone(), c))
                .collect(),
            by_email: customers_by(conn, "email", &emails, false)
                .await?
                .into_iter()
                .map(|c| (c.input.email.clone(), c))
                .collect(),
        })
    }

    /// The customer of a row, if the actor may change it; else the column and reason.
    pub(super) fn resolve(&self, run: &Run<'_>, row: &CsvRow) -> Result<i64, (&'static str, Key)> {
        let ext = run.cols.get(row, "customer_external_id");
        let (column, found) = if !ext.is_empty() {
            ("customer_external_id", self.by_ext.get(ext))
        } else {
            let email = run.cols.get(row, "customer_email");
            if email.is_empty() {
                let column = if run.cols.has("customer_external_id") {
                    "customer_external_id"
                } else {
                    "customer_email"
                };
                return Err((column, Key::ErrRequired));
            }
            (
                "customer_email",
                email_key(email).and_then(|e| self.by_email.get(&e)),
            )
        };
        // An invisible customer is reported exactly like a missing one.
        let c = found
            .filter(|c| may(run.actor, CustomerAction::Read, &c.scope))
            .ok_or((column, Key::ErrImportUnknownCustomer))?;
        if !may(run.actor, CustomerAction::Update, &c.scope) {
            return Err((column, Key::ErrImportMayNotChange));
        }
        Ok(c.id)
    }
}

pub(super) fn optional(
    run: &mut Run<'_>,
    row: &CsvRow,
    field: &str,
    max: usize,
) -> Result<Option<String>, ()> {
    let v = run.cols.get(row, field);
    if v.chars().count() > max {
        run.reject(row.line, field, Key::ErrTooLong);
        return Err(());
    }
    Ok((!v.is_empty()).then(|| v.to_string()))
}

/// One audit row per customer that received imported records of `what`.
pub(super) fn summary_audit(
    run: &Run<'_>,
    counts: &HashMap<i64, u64>,
    what: &str,
) -> Vec<Vec<SqlValue>> {
    let t = now();
    let mut ids: Vec<_> = counts.iter().collect();
    ids.sort();
    ids.into_iter()
        .map(|(id, n)| {
            vec![
                SqlValue::Int(t),
                SqlValue::OptInt(run.options.audit_actor.map(|a| a.0)),
                SqlValue::Text("customer".into()),
                SqlValue::Int(*id),
                SqlValue::Text("import".into()),
                SqlValue::Text(what.into()),
                SqlValue::OptText(None),
                SqlValue::Text(n.to_string()),
            ]
        })
        .collect()
}

pub(super) const AUDIT_HEAD: &str =
    "INSERT INTO audit_log (at, actor_id, entity, entity_id, action, field, before_value, after_value)";
