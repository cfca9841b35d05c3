//! RFM runs computed in the database: one `INSERT INTO rfm_scores … SELECT` per run (an
//! aggregate per customer over `orders`, window functions for the "strictly worse" counts,
//! the score formula and the named segment), the queue of runs, and the scheduler that
//! runs them (never a page request). Reading the scores is `service.rs`.
//!
//! The SQL is held equal to `model::compute` by `app/tests/rfm.rs`.

use crate::dates::{iso_date, parse_date};
use crate::db::{now, Db, DbRow, Engine, Row, SqlBuilder, SqlValue};
use crate::error::{AppError, AppResult};
use crate::i18n::Key;
use crate::ids::UserId;
use crate::rfm::model::*;
use std::sync::LazyLock;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Setting: minutes between scheduled runs (JSON integer, default 60).
pub const SETTING_SCHEDULE_MINUTES: &str = "rfm.schedule_minutes";
/// Setting: the default window in days (JSON integer, or null / absent = all history).
pub const SETTING_WINDOW_DAYS: &str = "rfm.window_days";
/// Done runs kept per kind; older runs (and their scores) are deleted.
pub const RUNS_KEPT: i64 = 3;
/// How often the worker looks for queued runs when nobody wakes it.
const POLL: Duration = Duration::from_secs(2);

/// Wakes the worker when a run is queued.
static WAKE: LazyLock<Notify> = LazyLock::new(Notify::new);

/// Today in UTC as a day number.
pub fn today() -> i64 {
    now().div_euclid(86_400)
}

/// A reference date in canonical ISO form, or a validation error on `field`.
pub fn parse_as_of(raw: &str) -> AppResult<String> {
    parse_date(raw.trim())
        .map(iso_date)
        .ok_or_else(|| AppError::field("as_of", Key::RfmErrBadDate))
}

/// A window in days: empty = all history; otherwise 1–3650.
pub fn parse_window(raw: &str) -> AppResult<Option<i64>> {
    let raw = raw.trim();
    if raw.is_empty() || raw == "all" {
        return Ok(None);
    }
    match raw.parse::<i64>() {
        Ok(d) if (1..=3650).contains(&d) => Ok(Some(d)),
        _ => Err(AppError::field("window", Key::RfmErrBadWindow)),
    }
}

/// `CASE rs * 10 + fs WHEN 51 THEN 'new' … END`, generated from [`RfmSegment::from_scores`]
/// so the database and the Rust table cannot drift. Constant text.
fn segment_case(rs: &str, fs: &str) -> String {
    let mut sql = format!("CASE {rs} * 10 + {fs}");
    for r in 1..=5u8 {
        for f in 1..=5u8 {
            sql.push_str(&format!(
                " WHEN {} THEN '{}'",
                u32::from(r) * 10 + u32::from(f),
                RfmSegment::from_scores(r, f).as_str()
            ));
        }
    }
    sql.push_str(" END");
    sql
}

/// Pushes the per-customer aggregate `SELECT customer_id, r, f, m FROM orders …` with its
/// parameters: orders on or before `as_of` and, with a window, after `as_of − window`.
fn push_aggregate(q: &mut SqlBuilder, engine: Engine, as_of: &str, window: Option<i64>) {
    let recency = match engine {
        // julianday of two dates at midnight differ by a whole number.
        Engine::Sqlite => {
            "CAST(ROUND(julianday(#AS_OF) - julianday(MAX(o.order_date))) AS INTEGER)"
        }
        Engine::Postgres => {
            "CAST(CAST(#AS_OF AS DATE) - CAST(MAX(o.order_date) AS DATE) AS BIGINT)"
        }
    };
    let (before, after) = recency.split_once("#AS_OF").unwrap_or((recency, ""));
    q.push("SELECT o.customer_id AS customer_id, ")
        .push(before)
        .bind(SqlValue::Text(as_of.to_string()))
        .push(after)
        .push(
            " AS r, COUNT(*) AS f, CAST(SUM(o.amount_cents) AS BIGINT) AS m \
         FROM orders o WHERE o.order_date <= ",
        )
        .bind(SqlValue::Text(as_of.to_string()));
    if let Some(w) = window {
        let from = parse_date(as_of)
            .map(|d| iso_date(d - w))
            .unwrap_or_default();
        q.push(" AND o.order_date > ").bind(SqlValue::Text(from));
    }
    q.push(" GROUP BY o.customer_id");
}

/// Pushes the scoring `SELECT` (columns `customer_id, r, f, m, rs, fs, ms, segment`) over
/// the aggregate, with window functions counting the customers strictly worse: one
/// statement, used where no temporary table can be made first (SQLite runs, exports).
pub(super) fn push_scores_by_rank(
    q: &mut SqlBuilder,
    engine: Engine,
    as_of: &str,
    window: Option<i64>,
) {
    let least = match engine {
        Engine::Sqlite => "MIN",
        Engine::Postgres => "LEAST",
    };
    q.push("SELECT customer_id, r, f, m, rs, fs, ms, ")
        .push(&segment_case("rs", "fs"))
        .push(" AS segment FROM (SELECT customer_id, r, f, m, ");
    let scores = [("wr", "rs"), ("wf", "fs"), ("wm", "ms")]
        .map(|(w, name)| format!("{least}(5, 1 + (5 * {w}) / n) AS {name}"))
        .join(", ");
    q.push(&scores).push(
        " FROM (SELECT customer_id, r, f, m, \
         RANK() OVER (ORDER BY r DESC) - 1 AS wr, \
         RANK() OVER (ORDER BY f) - 1 AS wf, \
         RANK() OVER (ORDER BY m) - 1 AS wm, \
         COUNT(*) OVER () AS n FROM (",
    );
    push_aggregate(q, engine, as_of, window);
    q.push(") a) w) s");
}

/// The scoring `SELECT` over the temporary table `rfm_aggregate` from breakpoints
/// (PostgreSQL). With `worse` the number of customers strictly worse on a measure and `n`
/// the number scored, the score is `min(5, 1 + ⌊5·worse / n⌋)`, so
/// `score ≥ k ⇔ worse ≥ t_k = ⌈(k − 1)·n / 5⌉`, and `worse ≥ t` holds exactly when the
/// t-th value in worst-first order is strictly worse than the customer's. One sort of
/// each measure's values gives the four breakpoints; no row-carrying window sort is
/// needed. Constant text.
fn scores_by_breakpoints_sql() -> String {
    let breakpoints: Vec<String> = [("r", "ra"), ("f", "fa"), ("m", "ma")]
        .iter()
        .flat_map(|(m, arr)| {
            (2..=5).map(move |k| format!("{arr}[({} * n + 4) / 5] AS {m}{k}", k - 1))
        })
        .collect();
    // R: fewer days is better, so worst-first is descending and "worse" is larger.
    let score = |m: &str, worse: &str| {
        let mut case = String::from("CASE");
        for k in (2..=5).rev() {
            case.push_str(&format!(" WHEN b.{m}{k} {worse} a.{m} THEN {k}"));
        }
        case.push_str(" ELSE 1 END");
        case
    };
    format!(
        "SELECT customer_id, r, f, m, rs, fs, ms, {segment} AS segment FROM (\
         SELECT a.customer_id, a.r, a.f, a.m, {rs} AS rs, {fs} AS fs, {ms} AS ms \
         FROM rfm_aggregate a CROSS JOIN (SELECT n, {breakpoints} FROM (SELECT COUNT(*) AS n, \
         array_agg(r ORDER BY r DESC) AS ra, array_agg(f ORDER BY f) AS fa, \
         array_agg(m ORDER BY m) AS ma FROM rfm_aggregate) x) b) s",
        segment = segment_case("rs", "fs"),
        rs = score("r", ">"),
        fs = score("f", "<"),
        ms = score("m", "<"),
        breakpoints = breakpoints.join(", "),
    )
}

/// The bare aggregate the recompute is measured against (bench).
pub const BARE_AGGREGATE_SQL: &str = "SELECT customer_id, MAX(order_date), COUNT(*), \
     CAST(SUM(amount_cents) AS BIGINT) FROM orders WHERE order_date <= $1 GROUP BY customer_id";

pub(super) fn score(v: i64) -> u8 {
    v.clamp(1, 5) as u8
}

/// Reads an `RfmRow` from columns named like `rfm_scores`'.
pub(super) fn rfm_row(r: &DbRow, customer_id: i64) -> AppResult<RfmRow> {
    let segment: String = r.try_get("segment")?;
    let (rs, fs) = (score(r.try_get("r_score")?), score(r.try_get("f_score")?));
    Ok(RfmRow {
        customer_id,
        recency_days: r.try_get("recency_days")?,
        frequency: r.try_get("frequency")?,
        monetary_cents: r.try_get("monetary_cents")?,
        r_score: rs,
        f_score: fs,
        m_score: score(r.try_get("m_score")?),
        segment: RfmSegment::parse(&segment).unwrap_or(RfmSegment::from_scores(rs, fs)),
    })
}

const RUN_COLUMNS: &str = "id, kind, as_of, window_days, status, requested_at, finished_at, \
     customers, duration_ms";

fn run_info(r: &DbRow) -> AppResult<RunInfo> {
    let kind: String = r.try_get("kind")?;
    let status: String = r.try_get("status")?;
    Ok(RunInfo {
        id: r.try_get("id")?,
        kind: RunKind::parse(&kind).unwrap_or(RunKind::Adhoc),
        as_of: r.try_get("as_of")?,
        window_days: r.try_get("window_days")?,
        status: RunStatus::parse(&status).unwrap_or(RunStatus::Failed),
        requested_at: r.try_get("requested_at")?,
        finished_at: r.try_get("finished_at")?,
        customers: r.try_get("customers")?,
        duration_ms: r.try_get("duration_ms")?,
    })
}

/// Computes one run now: inserts it (`running`), scores every customer in one statement,
/// marks it `done` and keeps the latest [`RUNS_KEPT`] done runs of its kind.
pub async fn recompute(
    db: &Db,
    kind: RunKind,
    as_of: &str,
    window_days: Option<i64>,
    requested_by: Option<UserId>,
) -> AppResult<i64> {
    let as_of = parse_as_of(as_of)?;
    let id: i64 = sqlx::query(
        "INSERT INTO rfm_runs (kind, as_of, window_days, status, requested_by, requested_at, started_at) \
         VALUES ($1, $2, $3, 'running', $4, $5, $5) RETURNING id",
    )
    .bind(kind.as_str())
    .bind(&as_of)
    .bind(window_days)
    .bind(requested_by.map(|u| u.0))
    .bind(now())
    .fetch_one(&db.pool)
    .await?
    .try_get("id")?;
    compute_run(db, id, kind, &as_of, window_days).await?;
    Ok(id)
}

/// Scores run `id` (already `running`) and finishes it, or marks it `failed`.
async fn compute_run(
    db: &Db,
    id: i64,
    kind: RunKind,
    as_of: &str,
    window_days: Option<i64>,
) -> AppResult<()> {
    let started = Instant::now();
    let result: Result<(), sqlx::Error> = async {
        let mut tx = db.begin_write().await?;
        let customers = match db.engine {
            Engine::Sqlite => {
                let mut q = SqlBuilder::new(format!(
                    "INSERT INTO rfm_scores ({SCORE_COLUMNS}) \
                     SELECT {id}, x.customer_id, x.r, x.f, x.m, x.rs, x.fs, x.ms, x.segment FROM ("
                ));
                push_scores_by_rank(&mut q, db.engine, as_of, window_days);
                q.push(") x ORDER BY x.customer_id");
                q.query().execute(&mut *tx).await?.rows_affected()
            }
            Engine::Postgres => {
                // The sorts of the breakpoints each hold ~100 000 values; the default 4 MB
                // would spill them to disk.
                sqlx::query("SET LOCAL work_mem = '64MB'")
                    .execute(&mut *tx)
                    .await?;
                // The aggregate goes to a temporary table first: `CREATE TABLE AS` may
                // use parallel workers, an `INSERT … SELECT` may not.
                let mut aggregate =
                    SqlBuilder::new("CREATE TEMPORARY TABLE rfm_aggregate ON COMMIT DROP AS ");
                push_aggregate(&mut aggregate, db.engine, as_of, window_days);
                aggregate.query().execute(&mut *tx).await?;
                // The run's scores fill a new partition without indexes; its primary key
                // is built in one sorted pass, and attaching it publishes the run with the
                // commit. (`id` is an integer from the database, so the name is safe.)
                let partition = run_partition(id);
                sqlx::query(&format!(
                    "CREATE UNLOGGED TABLE {partition} (LIKE rfm_scores)"
                ))
                .execute(&mut *tx)
                .await?;
                let inserted = sqlx::query(&format!(
                    "INSERT INTO {partition} ({SCORE_COLUMNS}) \
                     SELECT {id}, x.customer_id, x.r, x.f, x.m, x.rs, x.fs, x.ms, x.segment \
                     FROM ({}) x",
                    scores_by_breakpoints_sql()
                ))
                .execute(&mut *tx)
                .await?
                .rows_affected();
                // Statistics before it is published, or the first segment counts on it are
                // planned for an empty table; a small sample is enough for its few
                // distinct scores and segments.
                for ddl in [
                    format!("ALTER TABLE {partition} ADD PRIMARY KEY (run_id, customer_id)"),
                    "SET LOCAL default_statistics_target = 10".to_string(),
                    format!("ANALYZE {partition}"),
                    format!("ALTER TABLE rfm_scores ATTACH PARTITION {partition} FOR VALUES IN ({id})"),
                ] {
                    sqlx::query(&ddl).execute(&mut *tx).await?;
                }
                inserted
            }
        } as i64;
        let duration_ms = started.elapsed().as_millis() as i64;
        sqlx::query(
            "UPDATE rfm_runs SET status = 'done', customers = $1, duration_ms = $2, finished_at = $3 \
             WHERE id = $4",
        )
        .bind(customers)
        .bind(duration_ms)
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = result {
        tracing::error!(run = id, error = %e, "RFM run failed");
        let _ = sqlx::query(
            "UPDATE rfm_runs SET status = 'failed', error = 'compute_failed', finished_at = $1, \
             duration_ms = $2 WHERE id = $3",
        )
        .bind(now())
        .bind(started.elapsed().as_millis() as i64)
        .bind(id)
        .execute(&db.pool)
        .await;
        return Err(e.into());
    }
    // The new run is published; pruning is housekeeping in its own transaction, so readers
    // and other writers are not held up by it. A failure only leaves old runs for the
    // next run to prune.
    if let Err(e) = prune_runs(db, kind).await {
        tracing::warn!(error = %e, "pruning old RFM runs failed");
    }
    Ok(())
}

/// Columns of `rfm_scores` in the order runs write them.
const SCORE_COLUMNS: &str = "run_id, customer_id, recency_days, frequency, monetary_cents, \
     r_score, f_score, m_score, segment";

/// The PostgreSQL partition of `rfm_scores` holding run `id` (migration 0008).
fn run_partition(id: i64) -> String {
    format!("rfm_scores_run_{id}")
}

/// Deletes the runs of `kind` older than the latest [`RUNS_KEPT`] done ones (failed ones
/// too), with their scores: on PostgreSQL by dropping their partitions.
async fn prune_runs(db: &Db, kind: RunKind) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let pruned: Vec<i64> = sqlx::query(
        "SELECT id FROM rfm_runs WHERE kind = $1 AND status IN ('done', 'failed') \
         AND id < (SELECT MIN(k.id) FROM (SELECT id FROM rfm_runs WHERE kind = $1 \
         AND status = 'done' ORDER BY id DESC LIMIT $2) k) \
         AND (SELECT COUNT(*) FROM rfm_runs WHERE kind = $1 AND status = 'done') >= $2",
    )
    .bind(kind.as_str())
    .bind(RUNS_KEPT)
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(|r| r.try_get("id"))
    .collect::<Result<_, _>>()?;
    if pruned.is_empty() {
        return Ok(());
    }
    if db.engine == Engine::Postgres {
        for id in &pruned {
            sqlx::query(&format!("DROP TABLE IF EXISTS {}", run_partition(*id)))
                .execute(&mut *tx)
                .await?;
        }
    }
    // Scores outside a run partition (SQLite, and PostgreSQL's default partition).
    for (table, key) in [("rfm_scores", "run_id"), ("rfm_runs", "id")] {
        let mut q = SqlBuilder::new(format!("DELETE FROM {table} WHERE {key} IN "));
        q.push_id_list(&pruned);
        q.query().execute(&mut *tx).await?;
    }
    tx.commit().await
}

/// Queues a run for the worker, or returns the one already queued or running for the
/// same reference date and window.
pub async fn enqueue(
    db: &Db,
    kind: RunKind,
    as_of: &str,
    window_days: Option<i64>,
    requested_by: Option<UserId>,
) -> AppResult<RunInfo> {
    let as_of = parse_as_of(as_of)?;
    let mut tx = db.begin_write().await?;
    let existing = sqlx::query(&format!(
        "SELECT {RUN_COLUMNS} FROM rfm_runs WHERE status IN ('queued', 'running') \
         AND as_of = $1 AND COALESCE(window_days, 0) = $2 AND kind = $3 ORDER BY id DESC LIMIT 1"
    ))
    .bind(&as_of)
    .bind(window_days.unwrap_or(0))
    .bind(kind.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let row = match existing {
        Some(r) => r,
        None => {
            sqlx::query(&format!(
            "INSERT INTO rfm_runs (kind, as_of, window_days, status, requested_by, requested_at) \
                 VALUES ($1, $2, $3, 'queued', $4, $5) RETURNING {RUN_COLUMNS}"
        ))
            .bind(kind.as_str())
            .bind(&as_of)
            .bind(window_days)
            .bind(requested_by.map(|u| u.0))
            .bind(now())
            .fetch_one(&mut *tx)
            .await?
        }
    };
    tx.commit().await?;
    WAKE.notify_one();
    run_info(&row)
}

/// Takes the oldest queued run and computes it. `Ok(false)` when nothing was queued.
pub async fn process_next_queued(db: &Db) -> AppResult<bool> {
    let Some(r) = sqlx::query(&format!(
        "SELECT {RUN_COLUMNS} FROM rfm_runs WHERE status = 'queued' ORDER BY id LIMIT 1"
    ))
    .fetch_optional(&db.pool)
    .await?
    else {
        return Ok(false);
    };
    let run = run_info(&r)?;
    let claimed = sqlx::query(
        "UPDATE rfm_runs SET status = 'running', started_at = $1 WHERE id = $2 AND status = 'queued'",
    )
    .bind(now())
    .bind(run.id)
    .execute(&db.pool)
    .await?
    .rows_affected();
    if claimed == 1 {
        // A failure is recorded on the run and logged; the worker goes on.
        let _ = compute_run(db, run.id, run.kind, &run.as_of, run.window_days).await;
    }
    Ok(true)
}

/// The latest done scheduled run: the one segments, customer pages and tiers use.
pub async fn current_run(db: &Db) -> AppResult<Option<RunInfo>> {
    sqlx::query(&format!(
        "SELECT {RUN_COLUMNS} FROM rfm_runs WHERE kind = 'scheduled' AND status = 'done' \
         ORDER BY id DESC LIMIT 1"
    ))
    .fetch_optional(&db.pool)
    .await?
    .as_ref()
    .map(run_info)
    .transpose()
}

pub async fn run(db: &Db, id: i64) -> AppResult<Option<RunInfo>> {
    sqlx::query(&format!("SELECT {RUN_COLUMNS} FROM rfm_runs WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .as_ref()
        .map(run_info)
        .transpose()
}

/// The most recent runs of any kind and status, newest first.
pub async fn latest_runs(db: &Db, limit: i64) -> AppResult<Vec<RunInfo>> {
    sqlx::query(&format!(
        "SELECT {RUN_COLUMNS} FROM rfm_runs ORDER BY id DESC LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(run_info)
    .collect()
}

/// The latest done run (any kind) for this reference date and window.
pub async fn find_done(
    db: &Db,
    as_of: &str,
    window_days: Option<i64>,
) -> AppResult<Option<RunInfo>> {
    find_with_status(db, as_of, window_days, "status = 'done'").await
}

/// The latest queued or running run (any kind) for this reference date and window.
pub async fn find_pending(
    db: &Db,
    as_of: &str,
    window_days: Option<i64>,
) -> AppResult<Option<RunInfo>> {
    find_with_status(db, as_of, window_days, "status IN ('queued', 'running')").await
}

pub(super) async fn find_with_status(
    db: &Db,
    as_of: &str,
    window_days: Option<i64>,
    status: &str,
) -> AppResult<Option<RunInfo>> {
    sqlx::query(&format!(
        "SELECT {RUN_COLUMNS} FROM rfm_runs WHERE {status} AND as_of = $1 \
         AND COALESCE(window_days, 0) = $2 ORDER BY id DESC LIMIT 1"
    ))
    .bind(as_of)
    .bind(window_days.unwrap_or(0))
    .fetch_optional(&db.pool)
    .await?
    .as_ref()
    .map(run_info)
    .transpose()
}

/// A setting's JSON value, if set.
async fn setting(db: &Db, key: &str) -> AppResult<Option<serde_json::Value>> {
    let value: Option<String> = sqlx::query("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(&db.pool)
        .await?
        .map(|r| r.try_get("value"))
        .transpose()?;
    Ok(value.and_then(|v| serde_json::from_str(&v).ok()))
}

/// The default window (setting `rfm.window_days`): `None` = all history.
pub async fn default_window(db: &Db) -> AppResult<Option<i64>> {
    Ok(setting(db, SETTING_WINDOW_DAYS)
        .await?
        .and_then(|v| v.as_i64())
        .filter(|d| (1..=3650).contains(d)))
}

/// Minutes between scheduled runs (setting `rfm.schedule_minutes`, default 60).
pub async fn schedule_minutes(db: &Db) -> AppResult<u64> {
    Ok(setting(db, SETTING_SCHEDULE_MINUTES)
        .await?
        .and_then(|v| v.as_u64())
        .filter(|m| *m >= 1)
        .unwrap_or(60))
}

/// Runs left `running` by a stopped server are marked failed (their scores were never
/// committed). So are done runs whose scores are gone: on PostgreSQL the scores' partitions
/// are unlogged (derived data, migration 0008), and a crash empties them. The scheduler then
/// computes a fresh run, as for a day without one.
pub async fn fail_interrupted(db: &Db) -> AppResult<u64> {
    let interrupted = sqlx::query(
        "UPDATE rfm_runs SET status = 'failed', error = 'interrupted', finished_at = $1 \
         WHERE status = 'running'",
    )
    .bind(now())
    .execute(&db.pool)
    .await?
    .rows_affected();
    let lost = sqlx::query(
        "UPDATE rfm_runs SET status = 'failed', error = 'scores_lost' \
         WHERE status = 'done' AND customers > 0 \
         AND NOT EXISTS (SELECT 1 FROM rfm_scores rs WHERE rs.run_id = rfm_runs.id)",
    )
    .execute(&db.pool)
    .await?
    .rows_affected();
    Ok(interrupted + lost)
}

async fn scheduled_today_exists(db: &Db) -> AppResult<bool> {
    Ok(sqlx::query(
        "SELECT id FROM rfm_runs WHERE kind = 'scheduled' AND status = 'done' AND as_of = $1 LIMIT 1",
    )
    .bind(iso_date(today()))
    .fetch_optional(&db.pool)
    .await?
    .is_some())
}

async fn scheduled_run(db: &Db) {
    let window = default_window(db).await.unwrap_or(None);
    match recompute(db, RunKind::Scheduled, &iso_date(today()), window, None).await {
        Ok(id) => tracing::info!(run = id, "scheduled RFM run done"),
        Err(e) => tracing::error!(error = %e, "scheduled RFM run failed"),
    }
}

/// The RFM worker, spawned by `serve`: a scheduled run at start when today has none and
/// then every `rfm.schedule_minutes`; queued runs as soon as they are queued (woken, or
/// polled every 2 s). Never returns.
pub async fn run_scheduler(db: Db) {
    if let Err(e) = fail_interrupted(&db).await {
        tracing::error!(error = %e, "RFM worker: cannot reset interrupted runs");
    }
    if !scheduled_today_exists(&db).await.unwrap_or(true) {
        scheduled_run(&db).await;
    }
    let mut last_scheduled = Instant::now();
    loop {
        let minutes = schedule_minutes(&db).await.unwrap_or(60);
        if last_scheduled.elapsed() >= Duration::from_secs(minutes * 60) {
            last_scheduled = Instant::now();
            scheduled_run(&db).await;
        }
        loop {
            match process_next_queued(&db).await {
                Ok(true) => continue,
                Ok(false) => break,
                Err(e) => {
                    tracing::error!(error = %e, "RFM worker: cannot read the queue");
                    break;
                }
            }
        }
        tokio::select! {
            _ = WAKE.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}
