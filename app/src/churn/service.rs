//! The churn scan, warning episodes, the at-risk list, the customer card and settings.
//!
//! **Episodes.** A customer has at most one open warning (`churn_warnings` row with
//! `cleared_on` NULL; a partial unique index holds it). The scan opens one when the score
//! reaches the threshold and none is open, together with ONE follow-up task for the owner
//! (`TaskSource::ChurnWarning`, `source_id` = the warning); while open, the scan only
//! refreshes its score, reasons and value. It clears when the customer orders again — an
//! order dated after the last order known when it opened, up to today — both in the scan
//! and at once from [`orders_changed`]. A later lapse opens a new episode with a new task.
//! Opening and clearing are recorded in `churn_events` for the timeline. Running the scan
//! twice on one day changes nothing the second time.

use crate::auth::permissions::{
    customer_visibility, may_configure_churn, may_run_churn_scan, may_see_at_risk,
    may_see_customer, may_see_financials,
};
use crate::auth::scope::visible_scope;
use crate::auth::CurrentUser;
use crate::churn::model::*;
use crate::dates::{iso_date, parse_date};
use crate::db::{now, Db, Row, SqlBuilder, SqlValue};
use crate::error::{AppError, AppResult};
use crate::i18n::{Key, Lang};
use crate::ids::{CustomerId, TaskId};
use crate::tasks::model::TaskSource;
use sqlx::AnyConnection;
use std::collections::HashMap;
use std::time::Duration;

/// Ids bound per `IN (…)` list: well under SQLite's parameter limit.
const IN_CHUNK: usize = 500;
/// Customers whose warnings are written per transaction, so SQLite's write lock is never
/// held for long and page requests keep flowing during a scan.
const WRITE_CHUNK: usize = 200;
/// The scan's lease; renewed every third of it while it runs.
pub const SCAN_TTL: Duration = Duration::from_secs(600);
/// How often the scheduler looks at the clock.
const SCHEDULER_TICK_SECS: u64 = 60;

/// Today as days since the epoch (UTC).
pub fn today() -> i64 {
    now().div_euclid(86_400)
}

// ---------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------

/// The stored settings, or the defaults (also when the stored JSON no longer parses).
pub async fn config(db: &Db) -> AppResult<ChurnConfig> {
    crate::settings::load_or_default(db, CONFIG_KEY).await
}

/// Saves the settings (admins), audited with both values.
pub async fn save_config(db: &Db, actor: &CurrentUser, cfg: &ChurnConfig) -> AppResult<()> {
    if !may_configure_churn(actor) {
        return Err(AppError::Forbidden);
    }
    crate::settings::save(db, CONFIG_KEY, cfg, actor.id).await
}

pub async fn last_scan(db: &Db) -> AppResult<Option<LastScan>> {
    crate::settings::load(db, LAST_SCAN_KEY).await
}

// ---------------------------------------------------------------------------------------
// Facts
// ---------------------------------------------------------------------------------------

/// Every scored customer's facts, and the population's median usual gap.
pub struct ScanFacts {
    pub facts: HashMap<i64, ChurnFacts>,
    pub population_gap: Option<i64>,
}

/// Reads the facts of every customer as of `today` in four grouped reads: order days
/// and amounts (gaps and value are folded in Rust, one pass over the sorted rows),
/// activity counts in the two 90-day windows, overdue payments, and each customer's
/// latest NPS answer in the feedback window. A new answer counts from the next scan.
pub async fn load_facts(db: &Db, today: i64) -> AppResult<ScanFacts> {
    let mut conn = db.pool.acquire().await?;
    let mut facts: HashMap<i64, ChurnFacts> = HashMap::new();

    let rows = sqlx::query(
        "SELECT customer_id, order_date, amount_cents FROM orders WHERE order_date <= $1 \
         ORDER BY customer_id, order_date",
    )
    .bind(iso_date(today))
    .fetch_all(&mut *conn)
    .await?;
    let mut gaps = Vec::new();
    let mut current: Option<i64> = None;
    let mut history: Vec<(i64, i64)> = Vec::new();
    let mut flush = |customer: Option<i64>, history: &mut Vec<(i64, i64)>| {
        if let Some(c) = customer {
            if let Some(h) = OrderHistory::from_sorted(history) {
                if let Some(g) = h.own_gap_days {
                    gaps.push(g);
                }
                facts.entry(c).or_default().orders = Some(h);
            }
        }
        history.clear();
    };
    for r in &rows {
        let customer: i64 = r.try_get("customer_id")?;
        let date: String = r.try_get("order_date")?;
        let Some(day) = parse_date(&date) else {
            continue;
        };
        if current != Some(customer) {
            flush(current, &mut history);
            current = Some(customer);
        }
        history.push((day, r.try_get("amount_cents")?));
    }
    flush(current, &mut history);
    drop(rows);
    gaps.sort_unstable();
    let population_gap = median(&gaps);

    let recent_from = (today - ACTIVITY_WINDOW_DAYS + 1) * 86_400;
    let rows = sqlx::query(
        "SELECT customer_id, CAST(SUM(CASE WHEN happened_at >= $1 THEN 1 ELSE 0 END) AS BIGINT) AS recent, \
         CAST(SUM(CASE WHEN happened_at < $2 THEN 1 ELSE 0 END) AS BIGINT) AS previous \
         FROM activities WHERE happened_at >= $3 AND happened_at < $4 GROUP BY customer_id",
    )
    .bind(recent_from)
    .bind(recent_from)
    .bind(recent_from - ACTIVITY_WINDOW_DAYS * 86_400)
    .bind((today + 1) * 86_400)
    .fetch_all(&mut *conn)
    .await?;
    for r in &rows {
        let customer: i64 = r.try_get("customer_id")?;
        // Only customers with orders are scored; skip the rest early.
        if let Some(f) = facts.get_mut(&customer) {
            f.activities_recent = r.try_get("recent")?;
            f.activities_previous = r.try_get("previous")?;
        }
    }

    let rows = sqlx::query(
        "SELECT customer_id, COUNT(*) AS n, CAST(SUM(amount_cents) AS BIGINT) AS amount, \
         MIN(due_date) AS oldest, MAX(currency) AS currency FROM payments \
         WHERE paid_date IS NULL AND due_date < $1 GROUP BY customer_id",
    )
    .bind(iso_date(today))
    .fetch_all(&mut *conn)
    .await?;
    for r in &rows {
        let customer: i64 = r.try_get("customer_id")?;
        if let Some(f) = facts.get_mut(&customer) {
            let oldest: String = r.try_get("oldest")?;
            f.overdue = Some(OverdueFacts {
                count: r.try_get("n")?,
                amount_cents: r.try_get("amount")?,
                currency: r.try_get("currency")?,
                oldest_due_day: parse_date(&oldest).unwrap_or(today),
            });
        }
    }

    // The latest NPS answer per customer: the newest `submitted_at` in the window, joined
    // back; answers in the same second keep the one stored last (highest id).
    let rows = sqlx::query(
        "SELECT f.customer_id, f.nps, f.submitted_at FROM feedback_responses f \
         JOIN (SELECT customer_id, MAX(submitted_at) AS latest FROM feedback_responses \
         WHERE customer_id IS NOT NULL AND nps IS NOT NULL AND submitted_at >= $1 AND submitted_at < $2 \
         GROUP BY customer_id) l ON l.customer_id = f.customer_id AND l.latest = f.submitted_at \
         WHERE f.nps IS NOT NULL ORDER BY f.customer_id, f.id DESC",
    )
    .bind((today - FEEDBACK_WINDOW_DAYS + 1) * 86_400)
    .bind((today + 1) * 86_400)
    .fetch_all(&mut *conn)
    .await?;
    let mut previous: Option<i64> = None;
    for r in &rows {
        let customer: i64 = r.try_get("customer_id")?;
        if previous == Some(customer) {
            continue;
        }
        previous = Some(customer);
        if let Some(f) = facts.get_mut(&customer) {
            let submitted_at: i64 = r.try_get("submitted_at")?;
            f.latest_nps = Some(NpsAnswer {
                nps: r.try_get("nps")?,
                day: submitted_at.div_euclid(86_400),
            });
        }
    }
    Ok(ScanFacts {
        facts,
        population_gap,
    })
}

/// Every scored customer's assessment and value at stake as of `today`.
pub async fn assessments(
    db: &Db,
    today: i64,
    cfg: &ChurnConfig,
) -> AppResult<HashMap<i64, (Assessment, OrderHistory)>> {
    let f = load_facts(db, today).await?;
    Ok(f.facts
        .iter()
        .filter_map(|(id, facts)| {
            let a = assess(facts, f.population_gap, today, cfg)?;
            Some((*id, (a, facts.orders?)))
        })
        .collect())
}

// ---------------------------------------------------------------------------------------
// Clearing on a new order
// ---------------------------------------------------------------------------------------

/// "The warning's customer has ordered since it opened": an order dated after the last
/// order known at opening, and not after today.
const ORDERED_AGAIN: &str = "w.cleared_on IS NULL AND EXISTS (SELECT 1 FROM orders o \
     WHERE o.customer_id = w.customer_id AND o.order_date > w.last_order_on AND o.order_date <= ";

/// Clears the open warnings of `customers` (all when `None`) whose customer ordered
/// again by `today`, recording a `cleared` event for each. Two set-based statements per
/// chunk.
async fn clear_ordered(
    conn: &mut AnyConnection,
    customers: Option<&[i64]>,
    today: i64,
) -> AppResult<i64> {
    let day = iso_date(today);
    let t = now();
    let chunks: Vec<&[i64]> = match customers {
        Some(ids) => ids.chunks(IN_CHUNK).collect(),
        None => vec![&[]],
    };
    let mut cleared = 0;
    for part in chunks {
        let push_filter = |q: &mut SqlBuilder| {
            q.push(ORDERED_AGAIN)
                .bind(SqlValue::Text(day.clone()))
                .push(")");
            if customers.is_some() {
                q.push(" AND w.customer_id IN (");
                q.bind_all(part.iter().map(|id| SqlValue::Int(*id)));
                q.push(")");
            }
        };
        let mut q = SqlBuilder::new(
            "INSERT INTO churn_events (customer_id, warning_id, at, event, score, reasons_json, cleared_reason) \
             SELECT w.customer_id, w.id, ",
        );
        q.bind(SqlValue::Int(t))
            .push(", 'cleared', w.score, w.reasons_json, ")
            .bind(SqlValue::Text(CLEARED_ORDERED.into()))
            .push(" FROM churn_warnings w WHERE ");
        push_filter(&mut q);
        q.query().execute(&mut *conn).await?;
        let mut q = SqlBuilder::new("UPDATE churn_warnings SET cleared_on = ");
        q.bind(SqlValue::Text(day.clone()))
            .push(", cleared_reason = ")
            .bind(SqlValue::Text(CLEARED_ORDERED.into()))
            .push(" WHERE id IN (SELECT w.id FROM churn_warnings w WHERE ");
        push_filter(&mut q);
        q.push(")");
        cleared += q.query().execute(&mut *conn).await?.rows_affected() as i64;
    }
    Ok(cleared)
}

/// Clears warnings on every order write (see `db::derived`).
pub const ORDER_DEPENDENT: crate::db::derived::OrderDependent =
    crate::db::derived::OrderDependent {
        name: "churn warnings",
        refresh: |conn, ids| Box::pin(orders_changed(conn, ids)),
    };

/// Runs through `db::derived::orders_changed` inside the writing transaction: a new
/// order clears the customer's open warning at once.
pub async fn orders_changed(conn: &mut AnyConnection, customers: &[i64]) -> AppResult<()> {
    clear_ordered(conn, Some(customers), today()).await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The scan
// ---------------------------------------------------------------------------------------

struct OpenWarning {
    id: i64,
    score: i64,
    reasons_json: String,
    value_cents: i64,
}

enum Decision {
    Open {
        customer: i64,
        assessment: Assessment,
        history: OrderHistory,
    },
    Update {
        warning: i64,
        score: i64,
        reasons_json: String,
        value_cents: i64,
    },
}

fn reasons_json(reasons: &[ChurnReason]) -> String {
    serde_json::to_string(reasons).unwrap_or_else(|_| "[]".into())
}

/// Scores every customer as of `today` and opens, refreshes and clears warning episodes
/// (see the module documentation). Reads first without a transaction, then writes in
/// short transactions of [`WRITE_CHUNK`] customers. Idempotent for a given day.
pub async fn run_churn_scan(db: &Db, today: i64) -> AppResult<ScanCounts> {
    let cfg = config(db).await?;
    let mut counts = ScanCounts::default();

    let mut tx = db.begin_write().await?;
    counts.cleared = clear_ordered(&mut tx, None, today).await?;
    tx.commit().await?;

    let scan = load_facts(db, today).await?;
    let open: HashMap<i64, OpenWarning> = sqlx::query(
        "SELECT id, customer_id, score, reasons_json, value_cents FROM churn_warnings \
         WHERE cleared_on IS NULL",
    )
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|r| {
        Ok((
            r.try_get::<i64, _>("customer_id")?,
            OpenWarning {
                id: r.try_get("id")?,
                score: r.try_get("score")?,
                reasons_json: r.try_get("reasons_json")?,
                value_cents: r.try_get("value_cents")?,
            },
        ))
    })
    .collect::<AppResult<_>>()?;

    let mut decisions = Vec::new();
    let mut customers: Vec<&i64> = scan.facts.keys().collect();
    customers.sort_unstable();
    for customer in customers {
        let facts = &scan.facts[customer];
        let Some(a) = assess(facts, scan.population_gap, today, &cfg) else {
            continue;
        };
        let Some(history) = facts.orders else {
            continue;
        };
        counts.scored += 1;
        match open.get(customer) {
            Some(w) => {
                let json = reasons_json(&a.reasons);
                if (w.score, w.value_cents) != (a.score, history.value_cents)
                    || reasons_from_json(&w.reasons_json) != a.reasons
                {
                    decisions.push(Decision::Update {
                        warning: w.id,
                        score: a.score,
                        reasons_json: json,
                        value_cents: history.value_cents,
                    });
                }
            }
            None if a.score >= cfg.warning_at => decisions.push(Decision::Open {
                customer: *customer,
                assessment: a,
                history,
            }),
            None => {}
        }
    }

    let day = iso_date(today);
    let t = now();
    for part in decisions.chunks(WRITE_CHUNK) {
        let mut tx = db.begin_write().await?;
        for d in part {
            match d {
                Decision::Update {
                    warning,
                    score,
                    reasons_json,
                    value_cents,
                } => {
                    let done = sqlx::query(
                        "UPDATE churn_warnings SET score = $1, reasons_json = $2, value_cents = $3, \
                         updated_on = $4 WHERE id = $5 AND cleared_on IS NULL",
                    )
                    .bind(score)
                    .bind(reasons_json)
                    .bind(value_cents)
                    .bind(&day)
                    .bind(warning)
                    .execute(&mut *tx)
                    .await?;
                    counts.updated += done.rows_affected() as i64;
                }
                Decision::Open {
                    customer,
                    assessment,
                    history,
                } => {
                    if open_warning(&mut tx, *customer, assessment, history, &day, t).await? {
                        counts.opened += 1;
                    }
                }
            }
        }
        tx.commit().await?;
    }

    counts.open_after =
        sqlx::query("SELECT COUNT(*) AS n FROM churn_warnings WHERE cleared_on IS NULL")
            .fetch_one(&db.pool)
            .await?
            .try_get("n")?;
    let mut conn = db.pool.acquire().await?;
    let scan = LastScan {
        day: today,
        at: t,
        counts,
    };
    crate::settings::write_json(&mut conn, LAST_SCAN_KEY, &scan).await?;
    Ok(counts)
}

/// Opens an episode for `customer` unless one is open (or the customer ordered since the
/// facts were read): the warning, its follow-up task for the owner, the `opened` event.
async fn open_warning(
    conn: &mut AnyConnection,
    customer: i64,
    a: &Assessment,
    history: &OrderHistory,
    day: &str,
    t: i64,
) -> AppResult<bool> {
    let json = reasons_json(&a.reasons);
    let last_order = iso_date(history.last_order_day);
    let row = sqlx::query(
        "INSERT INTO churn_warnings (customer_id, opened_on, last_order_on, score, reasons_json, value_cents, updated_on) \
         SELECT c.id, $1, $2, $3, $4, $5, $6 FROM customers c WHERE c.id = $7 \
         AND NOT EXISTS (SELECT 1 FROM churn_warnings w WHERE w.customer_id = c.id AND w.cleared_on IS NULL) \
         AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.order_date > $8 AND o.order_date <= $9) \
         RETURNING id",
    )
    .bind(day)
    .bind(&last_order)
    .bind(a.score)
    .bind(&json)
    .bind(history.value_cents)
    .bind(day)
    .bind(customer)
    .bind(&last_order)
    .bind(day)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(false);
    };
    let warning: i64 = row.try_get("id")?;
    let task: i64 = sqlx::query(
        "INSERT INTO tasks (customer_id, title, assignee_id, due_at, status, source, source_id, created_at) \
         SELECT c.id, CASE WHEN u.language LIKE 'zh%' THEN CAST($1 AS TEXT) ELSE CAST($2 AS TEXT) END || ' ' || c.name, \
         c.owner_id, $3, 'open', $4, $5, $6 FROM customers c JOIN users u ON u.id = c.owner_id WHERE c.id = $7 \
         RETURNING id",
    )
    .bind(Key::ChurnTaskTitle.text(Lang::Zh))
    .bind(Key::ChurnTaskTitle.text(Lang::En))
    .bind(t + TASK_DUE_DAYS * 86_400)
    .bind(TaskSource::ChurnWarning.as_str())
    .bind(warning)
    .bind(t)
    .bind(customer)
    .fetch_one(&mut *conn)
    .await?
    .try_get("id")?;
    sqlx::query("UPDATE churn_warnings SET task_id = $1 WHERE id = $2")
        .bind(task)
        .bind(warning)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO churn_events (customer_id, warning_id, at, event, score, reasons_json) \
         VALUES ($1, $2, $3, 'opened', $4, $5)",
    )
    .bind(customer)
    .bind(warning)
    .bind(t)
    .bind(a.score)
    .bind(&json)
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// The scan under the `churn` lease: `Ok(None)` when another instance is running it.
pub async fn scan_exclusive(db: &Db) -> AppResult<Option<ScanCounts>> {
    crate::jobs::runner()
        .run_exclusive(db, JOB_NAME, SCAN_TTL, || run_churn_scan(db, today()))
        .await
}

/// Runs the daily scan per the stored settings for as long as the server runs. Spawned by
/// `serve`; every instance runs this loop, the lease lets one of them scan.
pub async fn run_scheduler(db: Db) {
    loop {
        tokio::time::sleep(Duration::from_secs(SCHEDULER_TICK_SECS)).await;
        let due = async {
            let cfg = config(&db).await?;
            let last = last_scan(&db).await?;
            AppResult::Ok(cfg.is_due(last.map(|l| l.day), now()))
        }
        .await;
        match due {
            Ok(true) => log_scan(scan_exclusive(&db).await),
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "churn scheduler could not read its settings"),
        }
    }
}

fn log_scan(result: AppResult<Option<ScanCounts>>) {
    match result {
        Ok(Some(c)) => tracing::info!(
            scored = c.scored,
            opened = c.opened,
            updated = c.updated,
            cleared = c.cleared,
            open = c.open_after,
            "churn scan finished"
        ),
        Ok(None) => tracing::info!("churn scan skipped: another instance holds the lease"),
        Err(e) => tracing::warn!(error = %e, "churn scan failed"),
    }
}

/// Whether some runner holds the scan's lease right now.
async fn scan_running(db: &Db) -> AppResult<bool> {
    let row = sqlx::query("SELECT expires_at FROM job_leases WHERE name = $1")
        .bind(JOB_NAME)
        .fetch_optional(&db.pool)
        .await?;
    Ok(match row {
        Some(r) => r.try_get::<i64, _>("expires_at")? >= now(),
        None => false,
    })
}

/// "Run now": starts the scan on its own task and returns at once; `false` when a scan
/// is already running.
pub async fn start_scan(db: &Db, actor: &CurrentUser) -> AppResult<bool> {
    if !may_run_churn_scan(actor) {
        return Err(AppError::Forbidden);
    }
    if scan_running(db).await? {
        return Ok(false);
    }
    let db = db.clone();
    tokio::spawn(async move { log_scan(scan_exclusive(&db).await) });
    Ok(true)
}

// ---------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------

/// One page of open warnings for customers the actor may see, by value at stake.
pub async fn at_risk(db: &Db, actor: &CurrentUser, after: Option<&str>) -> AppResult<AtRiskPage> {
    if !may_see_at_risk(actor) {
        return Err(AppError::Forbidden);
    }
    let cursor = match after.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            AtRiskCursor::decode(s)
                .ok_or_else(|| AppError::field("after", Key::ErrInvalidChoice))?,
        ),
    };
    let mut q = SqlBuilder::new(
        "SELECT w.id, w.customer_id, w.score, w.reasons_json, w.opened_on, w.value_cents, \
         c.name AS customer_name, c.level, c.owner_id, c.service_manager_id, c.team_id, u.name AS owner_name \
         FROM churn_warnings w JOIN customers c ON c.id = w.customer_id JOIN users u ON u.id = c.owner_id \
         WHERE w.cleared_on IS NULL",
    );
    customer_visibility(actor, &mut q);
    if let Some(c) = cursor {
        q.push(" AND (w.value_cents < ")
            .bind(SqlValue::Int(c.value_cents))
            .push(" OR (w.value_cents = ")
            .bind(SqlValue::Int(c.value_cents))
            .push(" AND w.id < ")
            .bind(SqlValue::Int(c.id))
            .push("))");
    }
    q.push(" ORDER BY w.value_cents DESC, w.id DESC LIMIT ")
        .bind(SqlValue::Int(AT_RISK_PAGE as i64 + 1));
    let rows = q.query().fetch_all(&db.pool).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let scope = crate::auth::scope::scope_from_row(r)?;
        // The SQL condition mirrors this; checked again per row.
        if !may_see_customer(actor, &scope) {
            continue;
        }
        let json: String = r.try_get("reasons_json")?;
        let (score, reasons) = visible_part(
            r.try_get("score")?,
            reasons_from_json(&json),
            may_see_financials(actor, &scope),
        );
        out.push(AtRiskRow {
            warning_id: r.try_get("id")?,
            customer_id: CustomerId(r.try_get("customer_id")?),
            customer_name: r.try_get("customer_name")?,
            owner_name: r.try_get("owner_name")?,
            score,
            reasons,
            opened_on: r.try_get("opened_on")?,
            value_cents: r.try_get("value_cents")?,
        });
    }
    let next = if out.len() > AT_RISK_PAGE {
        out.truncate(AT_RISK_PAGE);
        out.last().map(|r| {
            AtRiskCursor {
                value_cents: r.value_cents,
                id: r.warning_id,
            }
            .encode()
        })
    } else {
        None
    };
    let admin = may_configure_churn(actor);
    Ok(AtRiskPage {
        rows: out,
        next,
        may_run: may_run_churn_scan(actor),
        config: if admin { Some(config(db).await?) } else { None },
        last_scan: last_scan(db).await?,
    })
}

/// The customer's open warning, if any (for the card on the customer page).
pub async fn customer_warning(
    db: &Db,
    actor: &CurrentUser,
    customer: CustomerId,
) -> AppResult<Option<WarningView>> {
    let mut conn = db.pool.acquire().await?;
    let scope = visible_scope(&mut conn, actor, customer).await?;
    let row = sqlx::query(
        "SELECT id, score, reasons_json, opened_on, updated_on, task_id, value_cents FROM churn_warnings \
         WHERE customer_id = $1 AND cleared_on IS NULL",
    )
    .bind(customer.0)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let json: String = r.try_get("reasons_json")?;
    let (score, reasons) = visible_part(
        r.try_get("score")?,
        reasons_from_json(&json),
        may_see_financials(actor, &scope),
    );
    Ok(Some(WarningView {
        id: r.try_get("id")?,
        score,
        reasons,
        opened_on: r.try_get("opened_on")?,
        updated_on: r.try_get("updated_on")?,
        task_id: r.try_get::<Option<i64>, _>("task_id")?.map(TaskId),
        value_cents: r.try_get("value_cents")?,
    }))
}
