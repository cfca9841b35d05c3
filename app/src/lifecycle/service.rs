//! Stored lifecycle history: the thresholds setting, the full rebuild and the per-customer
//! refresh that keep `lifecycle_spans` equal to replaying the orders with
//! [`model::spans`], and the page's, customer page's and export's reads.
//!
//! Customers without orders have no spans: they are leads from the day they were created
//! (see the migration). Every read treats a missing span that way.

use crate::auth::permissions::{customer_visibility, may_configure_lifecycle, may_see_lifecycle};
use crate::auth::CurrentUser;
use crate::dates::{iso_date, parse_date};
use crate::db::{insert_rows, now, Db, Engine, Row, SqlBuilder, SqlValue};
use crate::error::{AppError, AppResult};
use crate::i18n::Key;
use crate::ids::CustomerId;
use crate::lifecycle::model::*;
use sqlx::AnyConnection;
use std::collections::HashMap;

/// Today in UTC as a day number.
pub fn today() -> i64 {
    now().div_euclid(86_400)
}

/// A date in canonical ISO form, or a validation error on `field`.
pub fn parse_day(raw: &str, field: &str) -> AppResult<i64> {
    parse_date(raw.trim()).ok_or_else(|| AppError::field(field, Key::LcErrBadDate))
}

fn require_see(actor: &CurrentUser) -> AppResult<()> {
    if may_see_lifecycle(actor) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn engine_of(conn: &AnyConnection) -> Engine {
    if conn
        .backend_name()
        .to_ascii_lowercase()
        .contains("postgres")
    {
        Engine::Postgres
    } else {
        Engine::Sqlite
    }
}

// ---------------------------------------------------------------------------------------
// Thresholds

/// The stored thresholds, or the defaults (also when the stored value no longer parses or
/// validates).
pub async fn thresholds_on(conn: &mut AnyConnection) -> AppResult<Thresholds> {
    Ok(crate::settings::load_on::<Thresholds>(conn, THRESHOLDS_KEY)
        .await?
        .filter(|t| t.validate().is_ok())
        .unwrap_or_default())
}

pub async fn thresholds(db: &Db) -> AppResult<Thresholds> {
    let mut conn = db.pool.acquire().await?;
    thresholds_on(&mut conn).await
}

/// Saves the thresholds (admins), audited, and rebuilds every customer's history in the
/// same transaction: the stored stages never follow old thresholds.
pub async fn save_thresholds(db: &Db, actor: &CurrentUser, t: &Thresholds) -> AppResult<()> {
    if !may_configure_lifecycle(actor) {
        return Err(AppError::Forbidden);
    }
    t.validate()?;
    let value = crate::settings::to_json(t)?;
    let mut tx = db.begin_write().await?;
    crate::settings::save_audited(&mut tx, THRESHOLDS_KEY, value, actor.id).await?;
    rebuild_on(&mut tx, db.engine, t).await?;
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Rebuild and refresh

const SPAN_INSERT: &str =
    "INSERT INTO lifecycle_spans (customer_id, stage, previous_stage, starts_on, ends_on, starts_at)";

/// Spans waiting to be written, flushed in chunks.
struct SpanWriter {
    rows: Vec<Vec<SqlValue>>,
    engine: Engine,
    written: u64,
}

impl SpanWriter {
    const CHUNK: usize = 20_000;

    fn new(engine: Engine) -> Self {
        SpanWriter {
            rows: Vec::with_capacity(Self::CHUNK),
            engine,
            written: 0,
        }
    }

    fn add(&mut self, customer: i64, spans: &[Span]) {
        let mut previous: Option<Stage> = None;
        for s in spans {
            self.rows.push(vec![
                SqlValue::Int(customer),
                SqlValue::Text(s.stage.as_str().to_string()),
                SqlValue::OptText(previous.map(|p| p.as_str().to_string())),
                SqlValue::Text(iso_date(s.starts)),
                SqlValue::OptText(s.ends.map(iso_date)),
                SqlValue::Int(s.starts * 86_400),
            ]);
            previous = Some(s.stage);
        }
    }

    fn full(&self) -> bool {
        self.rows.len() >= Self::CHUNK
    }

    async fn flush(&mut self, conn: &mut AnyConnection) -> AppResult<()> {
        insert_rows(conn, self.engine, SPAN_INSERT, &self.rows).await?;
        self.written += self.rows.len() as u64;
        self.rows.clear();
        Ok(())
    }
}

/// Order days per customer, from rows ordered by customer then date; calls `each` with
/// (customer, created day, sorted order days) for every customer in turn.
struct Replayer {
    current: Option<(i64, i64)>,
    days: Vec<i64>,
}

impl Replayer {
    fn new() -> Self {
        Replayer {
            current: None,
            days: Vec::new(),
        }
    }

    /// Takes one order row; returns the finished previous customer, if any.
    fn push(&mut self, customer: i64, created_day: i64, day: i64) -> Option<(i64, i64, Vec<i64>)> {
        let done = match self.current {
            Some((c, _)) if c == customer => None,
            Some((c, created)) => Some((c, created, std::mem::take(&mut self.days))),
            None => None,
        };
        if done.is_some() || self.current.is_none() {
            self.current = Some((customer, created_day));
        }
        self.days.push(day);
        done
    }

    fn finish(&mut self) -> Option<(i64, i64, Vec<i64>)> {
        self.current
            .take()
            .map(|(c, created)| (c, created, std::mem::take(&mut self.days)))
    }
}

const ORDER_DAYS_SELECT: &str = "SELECT o.customer_id, c.created_at, o.order_date FROM orders o \
     JOIN customers c ON c.id = o.customer_id";

/// Replays the order rows of `q` (ordered by customer, date) into spans.
async fn replay_rows(
    conn: &mut AnyConnection,
    q: &SqlBuilder,
    t: &Thresholds,
) -> AppResult<Vec<(i64, Vec<Span>)>> {
    let mut out = Vec::new();
    let mut replayer = Replayer::new();
    for r in q.query().fetch_all(&mut *conn).await? {
        let customer: i64 = r.try_get(0)?;
        let created_at: i64 = r.try_get(1)?;
        let date: String = r.try_get(2)?;
        let Some(day) = parse_date(&date) else {
            continue;
        };
        if let Some((c, created, days)) =
            replayer.push(customer, created_at.div_euclid(86_400), day)
        {
            out.push((c, spans(&days, created, t)));
        }
    }
    if let Some((c, created, days)) = replayer.finish() {
        out.push((c, spans(&days, created, t)));
    }
    Ok(out)
}

/// Customer ids per read of the rebuild: bounds memory, and each read is one range of
/// the `orders(customer_id, order_date)` index.
const REBUILD_ID_RANGE: i64 = 5_000;

/// Replaces every stored span by the replay of all orders with `t`, on the caller's
/// write transaction. Returns the number of spans written.
pub async fn rebuild_on(
    conn: &mut AnyConnection,
    engine: Engine,
    t: &Thresholds,
) -> AppResult<u64> {
    if engine == Engine::Postgres {
        // Order writers refresh their customers after us, not in the middle.
        sqlx::query("LOCK TABLE lifecycle_spans IN EXCLUSIVE MODE")
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("DELETE FROM lifecycle_spans")
        .execute(&mut *conn)
        .await?;
    let max: i64 = sqlx::query("SELECT COALESCE(MAX(customer_id), 0) AS m FROM orders")
        .fetch_one(&mut *conn)
        .await?
        .try_get("m")?;
    let mut writer = SpanWriter::new(engine);
    let mut low = 0;
    while low < max {
        let high = low + REBUILD_ID_RANGE;
        let mut q = SqlBuilder::new(format!("{ORDER_DAYS_SELECT} WHERE o.customer_id > "));
        q.bind(SqlValue::Int(low))
            .push(" AND o.customer_id <= ")
            .bind(SqlValue::Int(high))
            .push(" ORDER BY o.customer_id, o.order_date");
        for (customer, s) in replay_rows(conn, &q, t).await? {
            writer.add(customer, &s);
        }
        if writer.full() {
            writer.flush(conn).await?;
        }
        low = high;
    }
    writer.flush(conn).await?;
    Ok(writer.written)
}

/// Rebuilds the whole stage history from the orders with the stored thresholds, in one
/// transaction (demo data, benchmarks, first start after the upgrade).
pub async fn rebuild_all(db: &Db) -> AppResult<u64> {
    let mut tx = db.begin_write().await?;
    let t = thresholds_on(&mut tx).await?;
    let n = rebuild_on(&mut tx, db.engine, &t).await?;
    tx.commit().await?;
    Ok(n)
}

/// At start: builds the history when there are orders but no spans yet (a database from
/// before lifecycle stages were kept).
pub async fn build_if_missing(db: &Db) -> AppResult<()> {
    let has_orders = sqlx::query("SELECT 1 FROM orders LIMIT 1")
        .fetch_optional(&db.pool)
        .await?
        .is_some();
    let has_spans = sqlx::query("SELECT 1 FROM lifecycle_spans LIMIT 1")
        .fetch_optional(&db.pool)
        .await?
        .is_some();
    if has_orders && !has_spans {
        rebuild_all(db).await?;
    }
    Ok(())
}

/// Customers per refresh statement (ids are bound parameters).
const REFRESH_CHUNK: usize = 400;

/// Keeps stage history current on every order write (see `db::derived`).
pub const ORDER_DEPENDENT: crate::db::derived::OrderDependent =
    crate::db::derived::OrderDependent {
        name: "lifecycle history",
        refresh: |conn, ids| Box::pin(refresh_customers(conn, ids)),
    };

/// Replays the history of `customers` (sorted, distinct ids) on the caller's transaction:
/// called by `db::derived::orders_changed` on every order write.
pub async fn refresh_customers(conn: &mut AnyConnection, customers: &[i64]) -> AppResult<()> {
    if customers.is_empty() {
        return Ok(());
    }
    let engine = engine_of(conn);
    let t = thresholds_on(conn).await?;
    let mut writer = SpanWriter::new(engine);
    for chunk in customers.chunks(REFRESH_CHUNK) {
        let mut del = SqlBuilder::new("DELETE FROM lifecycle_spans WHERE customer_id IN ");
        del.push_id_list(chunk);
        del.query().execute(&mut *conn).await?;
        let mut q = SqlBuilder::new(format!("{ORDER_DAYS_SELECT} WHERE o.customer_id IN "));
        q.push_id_list(chunk);
        q.push(" ORDER BY o.customer_id, o.order_date");
        for (customer, s) in replay_rows(conn, &q, &t).await? {
            writer.add(customer, &s);
        }
        writer.flush(conn).await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Reads

/// `lifecycle_spans s` joined to the customer `c`'s span containing day `d`, as a LEFT
/// JOIN condition; with it, `COALESCE(s.stage, 'lead')` is the stage on `d`.
fn push_span_on(q: &mut SqlBuilder, d: i64) {
    let day = iso_date(d);
    q.push(" LEFT JOIN lifecycle_spans s ON s.customer_id = c.id AND s.starts_on <= ")
        .bind(SqlValue::Text(day.clone()))
        .push(" AND (s.ends_on IS NULL OR s.ends_on > ")
        .bind(SqlValue::Text(day))
        .push(")");
}

/// Only customers that existed on `d`: a span on `d`, or none at all and created by then.
fn push_existing_on(q: &mut SqlBuilder, d: i64) {
    q.push(" AND (s.customer_id IS NOT NULL OR (c.created_at < ")
        .bind(SqlValue::Int((d + 1) * 86_400))
        .push(" AND NOT EXISTS (SELECT 1 FROM lifecycle_spans x WHERE x.customer_id = c.id)))");
}

/// The stage of a customer on a day, when it existed then (no permission check: callers
/// have checked the customer is visible).
pub async fn stage_on(db: &Db, customer: CustomerId, d: i64) -> AppResult<Option<Stage>> {
    let mut q = SqlBuilder::new("SELECT COALESCE(s.stage, 'lead') AS stage FROM customers c");
    push_span_on(&mut q, d);
    q.push(" WHERE c.id = ").bind(SqlValue::Int(customer.0));
    push_existing_on(&mut q, d);
    let row = q.query().fetch_optional(&db.pool).await?;
    Ok(row
        .map(|r| r.try_get::<String, _>("stage"))
        .transpose()?
        .and_then(|s| Stage::parse(&s)))
}

/// The customer's stage today and since when. `NotFound` when invisible.
pub async fn customer_stage(
    db: &Db,
    actor: &CurrentUser,
    customer: CustomerId,
) -> AppResult<CustomerStage> {
    let mut conn = db.pool.acquire().await?;
    let _scope = crate::auth::scope::visible_scope(&mut conn, actor, customer).await?;
    drop(conn);
    let day = iso_date(today());
    let row = sqlx::query(
        "SELECT stage, starts_on FROM lifecycle_spans WHERE customer_id = $1 AND starts_on <= $2 \
         AND (ends_on IS NULL OR ends_on > $2)",
    )
    .bind(customer.0)
    .bind(&day)
    .fetch_optional(&db.pool)
    .await?;
    Ok(match row {
        Some(r) => {
            let stage: String = r.try_get("stage")?;
            CustomerStage {
                stage: Stage::parse(&stage).unwrap_or(Stage::Lead),
                since: Some(r.try_get("starts_on")?),
            }
        }
        None => CustomerStage {
            stage: Stage::Lead,
            since: None,
        },
    })
}

/// A stored stage change of one customer, for its timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageChange {
    pub day: i64,
    pub from: Option<Stage>,
    pub to: Stage,
}

/// The customer's stage changes that have happened (up to `until`), oldest first. No
/// permission check: the timeline has checked the customer.
pub async fn changes_until(
    conn: &mut AnyConnection,
    customer: CustomerId,
    until: i64,
) -> AppResult<Vec<StageChange>> {
    let rows = sqlx::query(
        "SELECT stage, previous_stage, starts_on FROM lifecycle_spans \
         WHERE customer_id = $1 AND starts_on <= $2 ORDER BY starts_on",
    )
    .bind(customer.0)
    .bind(iso_date(until))
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            let stage: String = r.try_get("stage")?;
            let prev: Option<String> = r.try_get("previous_stage")?;
            let starts: String = r.try_get("starts_on")?;
            Ok(StageChange {
                day: parse_date(&starts).unwrap_or_default(),
                from: prev.as_deref().and_then(Stage::parse),
                to: Stage::parse(&stage).unwrap_or(Stage::Lead),
            })
        })
        .collect()
}

/// Customers per stage on day `d`, counting those the actor may see (all for `None`).
pub async fn counts_on(db: &Db, actor: Option<&CurrentUser>, d: i64) -> AppResult<StageCounts> {
    if let Some(a) = actor {
        require_see(a)?;
    }
    let mut q = SqlBuilder::new(
        "SELECT COALESCE(s.stage, 'lead') AS stage, COUNT(*) AS n FROM customers c",
    );
    push_span_on(&mut q, d);
    q.push(" WHERE 1 = 1");
    if let Some(a) = actor {
        customer_visibility(a, &mut q);
    }
    push_existing_on(&mut q, d);
    q.push(" GROUP BY COALESCE(s.stage, 'lead')");
    let mut out = StageCounts::default();
    for r in q.query().fetch_all(&db.pool).await? {
        let stage: String = r.try_get("stage")?;
        if let Some(s) = Stage::parse(&stage) {
            out[s.index()] += r.try_get::<i64, _>("n")?;
        }
    }
    Ok(out)
}

/// Customers per stage at the end of each of the last `months` months (this month: today),
/// oldest first. One pass over the spans: the customers in a stage on day D are the spans
/// of that stage begun by D less those ended by D, so spans begun and ended per month
/// (and leads without orders created per day) are counted once and summed up.
pub async fn monthly_counts(
    db: &Db,
    actor: Option<&CurrentUser>,
    months: usize,
) -> AppResult<Vec<MonthCounts>> {
    if let Some(a) = actor {
        require_see(a)?;
    }
    let today = today();
    let day = iso_date(today);
    let by_month = |column: &str| {
        let mut q = SqlBuilder::new(format!(
            "SELECT SUBSTR(s.{column}, 1, 7) AS m, s.stage, COUNT(*) AS n FROM lifecycle_spans s \
             JOIN customers c ON c.id = s.customer_id WHERE s.{column} <= "
        ));
        q.bind(SqlValue::Text(day.clone()));
        if let Some(a) = actor {
            customer_visibility(a, &mut q);
        }
        q.push(&format!(" GROUP BY SUBSTR(s.{column}, 1, 7), s.stage"));
        q
    };
    let (begun_q, ended_q) = (by_month("starts_on"), by_month("ends_on"));
    let read = |rows: Vec<crate::db::DbRow>| -> AppResult<Vec<(String, usize, i64)>> {
        rows.iter()
            .filter_map(|r| {
                let stage: String = match r.try_get("stage") {
                    Ok(s) => s,
                    Err(e) => return Some(Err(e.into())),
                };
                let s = Stage::parse(&stage)?;
                Some((|| Ok((r.try_get("m")?, s.index(), r.try_get("n")?)))())
            })
            .collect()
    };
    let begun = read(begun_q.query().fetch_all(&db.pool).await?)?;
    let ended = read(ended_q.query().fetch_all(&db.pool).await?)?;
    let mut leads = SqlBuilder::new(
        "SELECT c.created_at / 86400 AS d, COUNT(*) AS n FROM customers c WHERE NOT EXISTS \
         (SELECT 1 FROM lifecycle_spans x WHERE x.customer_id = c.id)",
    );
    if let Some(a) = actor {
        customer_visibility(a, &mut leads);
    }
    leads.push(" GROUP BY c.created_at / 86400");
    let leads: Vec<(i64, i64)> = leads
        .query()
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("d")?, r.try_get("n")?)))
        .collect::<AppResult<_>>()?;
    Ok(chart_months(today, months)
        .into_iter()
        .map(|(month, as_of)| {
            let mut counts = StageCounts::default();
            for (m, i, n) in &begun {
                if *m <= month {
                    counts[*i] += n;
                }
            }
            for (m, i, n) in &ended {
                if *m <= month {
                    counts[*i] -= n;
                }
            }
            counts[Stage::Lead.index()] += leads
                .iter()
                .filter(|(d, _)| *d <= as_of)
                .map(|(_, n)| n)
                .sum::<i64>();
            MonthCounts {
                month,
                as_of: iso_date(as_of),
                counts,
            }
        })
        .collect())
}

/// Stage changes that began between `from` and `to` (inclusive; not after today), per
/// (from, to) stage, among the customers the actor may see; most frequent first.
pub async fn flows(
    db: &Db,
    actor: Option<&CurrentUser>,
    from: i64,
    to: i64,
) -> AppResult<Vec<Flow>> {
    if let Some(a) = actor {
        require_see(a)?;
    }
    if from > to {
        return Err(AppError::field("from", Key::LcErrBadPeriod));
    }
    let to = to.min(today());
    let mut q = SqlBuilder::new(
        "SELECT s.previous_stage, s.stage, COUNT(*) AS n FROM lifecycle_spans s \
         JOIN customers c ON c.id = s.customer_id WHERE s.previous_stage IS NOT NULL \
         AND s.starts_on >= ",
    );
    q.bind(SqlValue::Text(iso_date(from)))
        .push(" AND s.starts_on <= ")
        .bind(SqlValue::Text(iso_date(to)));
    if let Some(a) = actor {
        customer_visibility(a, &mut q);
    }
    q.push(" GROUP BY s.previous_stage, s.stage");
    let mut out = Vec::new();
    for r in q.query().fetch_all(&db.pool).await? {
        let (prev, stage): (String, String) = (r.try_get("previous_stage")?, r.try_get("stage")?);
        if let (Some(from), Some(to)) = (Stage::parse(&prev), Stage::parse(&stage)) {
            out.push(Flow {
                from,
                to,
                count: r.try_get("n")?,
            });
        }
    }
    out.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(a.from.cmp(&b.from))
            .then(a.to.cmp(&b.to))
    });
    Ok(out)
}

/// What the `/lifecycle` page shows; the flows' period defaults to the last 30 days.
pub async fn page_data(
    db: &Db,
    actor: &CurrentUser,
    from: Option<&str>,
    to: Option<&str>,
) -> AppResult<LifecyclePageData> {
    require_see(actor)?;
    let today = today();
    let to = match to {
        Some(t) => parse_day(t, "to")?,
        None => today,
    };
    let from = match from {
        Some(f) => parse_day(f, "from")?,
        None => to - 30,
    };
    let months = monthly_counts(db, Some(actor), CHART_MONTHS).await?;
    let now = months.last().map(|m| m.counts).unwrap_or_default();
    Ok(LifecyclePageData {
        today: iso_date(today),
        thresholds: thresholds(db).await?,
        now,
        months,
        flows: flows(db, Some(actor), from, to).await?,
        flows_from: iso_date(from),
        flows_to: iso_date(to),
        may_configure: may_configure_lifecycle(actor),
    })
}

/// Current stage of each listed customer (customer list column); missing ids are leads.
pub async fn stages_now(db: &Db, customers: &[i64]) -> AppResult<HashMap<i64, Stage>> {
    let day = iso_date(today());
    let mut out = HashMap::new();
    for chunk in customers.chunks(REFRESH_CHUNK) {
        let mut q =
            SqlBuilder::new("SELECT customer_id, stage FROM lifecycle_spans WHERE starts_on <= ");
        q.bind(SqlValue::Text(day.clone()))
            .push(" AND (ends_on IS NULL OR ends_on > ")
            .bind(SqlValue::Text(day.clone()))
            .push(") AND customer_id IN ")
            .push_id_list(chunk);
        for r in q.query().fetch_all(&db.pool).await? {
            let stage: String = r.try_get("stage")?;
            out.insert(
                r.try_get::<i64, _>("customer_id")?,
                Stage::parse(&stage).unwrap_or(Stage::Lead),
            );
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Export

/// Each customer that existed on `d` with its external id (else its id) and stage on `d`:
/// every customer for `None`, else those the actor may see.
pub async fn rows_on(
    db: &Db,
    actor: Option<&CurrentUser>,
    d: i64,
) -> AppResult<Vec<(String, Stage)>> {
    if let Some(a) = actor {
        require_see(a)?;
    }
    let mut q = SqlBuilder::new(
        "SELECT c.id, c.external_id, COALESCE(s.stage, 'lead') AS stage FROM customers c",
    );
    push_span_on(&mut q, d);
    q.push(" WHERE 1 = 1");
    if let Some(a) = actor {
        customer_visibility(a, &mut q);
    }
    push_existing_on(&mut q, d);
    q.push(" ORDER BY c.id");
    q.query()
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| {
            let id: i64 = r.try_get("id")?;
            let external: Option<String> = r.try_get("external_id")?;
            let stage: String = r.try_get("stage")?;
            Ok((
                external
                    .filter(|e| !e.is_empty())
                    .unwrap_or_else(|| id.to_string()),
                Stage::parse(&stage).unwrap_or(Stage::Lead),
            ))
        })
        .collect()
}

/// The export's columns (PRODUCT.md §10).
pub const CSV_COLUMNS: [&str; 2] = ["customer_external_id", "stage"];

/// The CSV of [`rows_on`]: UTF-8 with BOM, formulas neutralised.
pub fn rows_csv(rows: &[(String, Stage)]) -> String {
    let mut w = crate::csv_writer::CsvWriter::new();
    w.row(&CSV_COLUMNS);
    for (external, stage) in rows {
        w.row(&[external.clone(), stage.as_str().to_string()]);
    }
    w.finish()
}

/// The CSV for the page's export link, as of `as_of` (`YYYY-MM-DD`).
pub async fn export_csv(db: &Db, actor: &CurrentUser, as_of: &str) -> AppResult<String> {
    require_see(actor)?;
    let d = parse_day(as_of, "as_of")?;
    Ok(rows_csv(&rows_on(db, Some(actor), d).await?))
}
