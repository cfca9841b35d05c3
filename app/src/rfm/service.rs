//! Reading RFM scores under the visibility rules: the grid and its members, a customer's
//! scores, the exports, the value score and the page's requests. The runs that compute
//! the scores, and their scheduler, are `runs.rs`.

use crate::auth::permissions::{
    customer_visibility, may_recompute_rfm, may_see_financials, may_see_rfm,
};
use crate::auth::CurrentUser;
use crate::dates::iso_date;
use crate::db::{Db, DbRow, Row, SqlBuilder, SqlValue};
use crate::error::{AppError, AppResult};
use crate::i18n::Key;
use crate::ids::CustomerId;
use crate::rfm::model::*;
use crate::rfm::runs::{
    current_run, default_window, enqueue, find_done, find_pending, find_with_status, parse_as_of,
    push_scores_by_rank, rfm_row, score, today,
};
use crate::rfm::value::{value_score, ValueFigures};
use std::collections::HashMap;

// ---------------------------------------------------------------------------------------
// Reading scores

fn require_rfm(actor: &CurrentUser) -> AppResult<()> {
    if may_see_rfm(actor) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The 5 × 5 grid of a run and the named segments' totals, counting only the customers
/// the actor may see.
pub async fn grid(db: &Db, actor: &CurrentUser, run_id: i64) -> AppResult<Grid> {
    require_rfm(actor)?;
    let mut q = SqlBuilder::new(
        "SELECT s.r_score, s.f_score, COUNT(*) AS n, CAST(SUM(s.monetary_cents) AS BIGINT) AS revenue \
         FROM rfm_scores s JOIN customers c ON c.id = s.customer_id WHERE s.run_id = ",
    );
    q.bind(SqlValue::Int(run_id));
    customer_visibility(actor, &mut q);
    q.push(" GROUP BY s.r_score, s.f_score");
    let counts = q
        .query()
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| {
            Ok((
                score(r.try_get("r_score")?),
                score(r.try_get("f_score")?),
                r.try_get("n")?,
                r.try_get::<Option<i64>, _>("revenue")?.unwrap_or(0),
            ))
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Grid::from_counts(&counts))
}

/// The visible customers of one grid cell, by customer id, [`CELL_PAGE`] at a time.
pub async fn cell_members(
    db: &Db,
    actor: &CurrentUser,
    run_id: i64,
    r_score: u8,
    f_score: u8,
    after: Option<i64>,
) -> AppResult<CellPage> {
    require_rfm(actor)?;
    if !(1..=5).contains(&r_score) || !(1..=5).contains(&f_score) {
        return Err(AppError::field("cell", Key::ErrInvalidChoice));
    }
    let mut q = SqlBuilder::new(
        "SELECT c.id, c.name, s.recency_days, s.frequency, s.monetary_cents, s.r_score, s.f_score, \
         s.m_score, s.segment FROM rfm_scores s JOIN customers c ON c.id = s.customer_id \
         WHERE s.run_id = ",
    );
    q.bind(SqlValue::Int(run_id))
        .push(" AND s.r_score = ")
        .bind(SqlValue::Int(i64::from(r_score)))
        .push(" AND s.f_score = ")
        .bind(SqlValue::Int(i64::from(f_score)))
        .push(" AND s.customer_id > ")
        .bind(SqlValue::Int(after.unwrap_or(0)));
    customer_visibility(actor, &mut q);
    q.push(" ORDER BY s.customer_id LIMIT ")
        .bind(SqlValue::Int(CELL_PAGE + 1));
    let rows = q.query().fetch_all(&db.pool).await?;
    let mut members = rows
        .iter()
        .map(|r| {
            let id: i64 = r.try_get("id")?;
            Ok(CellMember {
                customer_id: id,
                name: r.try_get("name")?,
                row: rfm_row(r, id)?,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let next_after = if members.len() as i64 > CELL_PAGE {
        members.truncate(CELL_PAGE as usize);
        members.last().map(|m| m.customer_id)
    } else {
        None
    };
    Ok(CellPage {
        members,
        next_after,
    })
}

/// The customer's RFM in the current run and its value score. `NotFound` if the customer
/// is invisible; the credit rating is left out of the figures unless the actor may see
/// the customer's financial records.
pub async fn customer_rfm(
    db: &Db,
    actor: &CurrentUser,
    customer: CustomerId,
) -> AppResult<CustomerRfm> {
    let mut conn = db.pool.acquire().await?;
    let scope = crate::auth::scope::visible_scope(&mut conn, actor, customer).await?;
    drop(conn);
    if !may_see_rfm(actor) {
        return Err(AppError::NotFound);
    }
    let current = current_run(db).await?;
    let row = match &current {
        Some(run) => sqlx::query(
            "SELECT recency_days, frequency, monetary_cents, r_score, f_score, m_score, segment \
             FROM rfm_scores WHERE run_id = $1 AND customer_id = $2",
        )
        .bind(run.id)
        .bind(customer.0)
        .fetch_optional(&db.pool)
        .await?
        .map(|r| rfm_row(&r, customer.0))
        .transpose()?,
        None => None,
    };
    let value = value_scores(db, Some(&[customer]))
        .await?
        .remove(&customer)
        .ok_or(AppError::NotFound)?;
    Ok(CustomerRfm {
        as_of: current.map(|r| r.as_of),
        row,
        value_score: may_see_financials(actor, &scope).then_some(value.value_score),
    })
}

/// RFM rows as of a date (computed now, with the same SQL as a run), with each customer's
/// external id (else its id): every customer for `None`, else those the actor may see.
/// Scores are always relative to all scored customers.
pub async fn rows_as_of(
    db: &Db,
    actor: Option<&CurrentUser>,
    as_of: &str,
    window_days: Option<i64>,
) -> AppResult<Vec<(String, RfmRow)>> {
    if let Some(a) = actor {
        require_rfm(a)?;
    }
    let as_of = parse_as_of(as_of)?;
    let mut q = SqlBuilder::new(
        "SELECT c.id, c.external_id, x.r AS recency_days, x.f AS frequency, x.m AS monetary_cents, \
         x.rs AS r_score, x.fs AS f_score, x.ms AS m_score, x.segment FROM (",
    );
    push_scores_by_rank(&mut q, db.engine, &as_of, window_days);
    q.push(") x JOIN customers c ON c.id = x.customer_id WHERE 1 = 1");
    if let Some(a) = actor {
        customer_visibility(a, &mut q);
    }
    q.push(" ORDER BY x.customer_id");
    export_rows(q.query().fetch_all(&db.pool).await?)
}

/// The rows of a stored run, as [`rows_as_of`] returns them.
pub async fn run_rows(
    db: &Db,
    actor: Option<&CurrentUser>,
    run_id: i64,
) -> AppResult<Vec<(String, RfmRow)>> {
    if let Some(a) = actor {
        require_rfm(a)?;
    }
    let mut q = SqlBuilder::new(
        "SELECT c.id, c.external_id, s.recency_days, s.frequency, s.monetary_cents, s.r_score, \
         s.f_score, s.m_score, s.segment FROM rfm_scores s JOIN customers c ON c.id = s.customer_id \
         WHERE s.run_id = ",
    );
    q.bind(SqlValue::Int(run_id));
    if let Some(a) = actor {
        customer_visibility(a, &mut q);
    }
    q.push(" ORDER BY s.customer_id");
    export_rows(q.query().fetch_all(&db.pool).await?)
}

fn export_rows(rows: Vec<DbRow>) -> AppResult<Vec<(String, RfmRow)>> {
    rows.iter()
        .map(|r| {
            let id: i64 = r.try_get("id")?;
            let external: Option<String> = r.try_get("external_id")?;
            Ok((
                external
                    .filter(|e| !e.is_empty())
                    .unwrap_or_else(|| id.to_string()),
                rfm_row(r, id)?,
            ))
        })
        .collect()
}

/// The export's columns (PRODUCT.md §10).
pub const CSV_COLUMNS: [&str; 8] = [
    "customer_external_id",
    "r",
    "f",
    "m",
    "r_score",
    "f_score",
    "m_score",
    "segment",
];

/// Cents as a plain decimal (`1234.50`, no grouping), as spreadsheets read numbers.
fn plain_amount(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!("{sign}{}.{:02}", c / 100, c % 100)
}

/// The CSV file of [`rows_as_of`]: UTF-8 with BOM, formulas neutralised. M is in currency
/// units with two decimals.
pub fn rows_csv(rows: &[(String, RfmRow)]) -> String {
    let mut w = crate::csv_writer::CsvWriter::new();
    w.row(&CSV_COLUMNS);
    for (external, r) in rows {
        w.row(&[
            external.clone(),
            r.recency_days.to_string(),
            r.frequency.to_string(),
            plain_amount(r.monetary_cents),
            r.r_score.to_string(),
            r.f_score.to_string(),
            r.m_score.to_string(),
            r.segment.as_str().to_string(),
        ]);
    }
    w.finish()
}

/// The CSV for the page's export link: the stored run of this date and window when there
/// is one (what the grid shows), else computed now.
pub async fn export_csv(
    db: &Db,
    actor: &CurrentUser,
    as_of: &str,
    window_days: Option<i64>,
) -> AppResult<String> {
    require_rfm(actor)?;
    let as_of = parse_as_of(as_of)?;
    let rows = match find_done(db, &as_of, window_days).await? {
        Some(run) => run_rows(db, Some(actor), run.id).await?,
        None => rows_as_of(db, Some(actor), &as_of, window_days).await?,
    };
    Ok(rows_csv(&rows))
}

// ---------------------------------------------------------------------------------------
// Value score

/// The value score and its figures for `customers` (every customer with `None`), from the
/// current run's scores, the effective credit rating and the tenure as of today. For the
/// tier re-evaluation: no visibility filter.
pub async fn value_scores(
    db: &Db,
    customers: Option<&[CustomerId]>,
) -> AppResult<HashMap<CustomerId, ValueFigures>> {
    let today = today();
    let run_id = current_run(db).await?.map(|r| r.id).unwrap_or(-1);
    let ratings = crate::finance::service::effective_ratings(db, customers, today).await?;
    let chunks: Vec<Option<&[CustomerId]>> = match customers {
        None => vec![None],
        Some(ids) => ids.chunks(400).map(Some).collect(),
    };
    let mut out = HashMap::new();
    for chunk in chunks {
        let mut q = SqlBuilder::new(
            "SELECT c.id, c.created_at, s.recency_days, s.frequency, s.monetary_cents, s.r_score, \
             s.f_score, s.m_score FROM customers c LEFT JOIN rfm_scores s \
             ON s.customer_id = c.id AND s.run_id = ",
        );
        q.bind(SqlValue::Int(run_id));
        if let Some(ids) = chunk {
            let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
            q.push(" WHERE c.id IN ").push_id_list(&ids);
        }
        for r in q.query().fetch_all(&db.pool).await? {
            let id = CustomerId(r.try_get("id")?);
            let created_at: i64 = r.try_get("created_at")?;
            let tenure_days = (today - created_at.div_euclid(86_400)).max(0);
            let rs: Option<i64> = r.try_get("r_score")?;
            let fs: Option<i64> = r.try_get("f_score")?;
            let ms: Option<i64> = r.try_get("m_score")?;
            let scores = match (rs, fs, ms) {
                (Some(a), Some(b), Some(c)) => Some((score(a), score(b), score(c))),
                _ => None,
            };
            let credit = ratings.get(&id).copied().flatten();
            out.insert(
                id,
                ValueFigures {
                    r_score: scores.map(|s| s.0),
                    f_score: scores.map(|s| s.1),
                    m_score: scores.map(|s| s.2),
                    recency_days: r.try_get("recency_days")?,
                    frequency: r.try_get::<Option<i64>, _>("frequency")?.unwrap_or(0),
                    monetary_cents: r.try_get::<Option<i64>, _>("monetary_cents")?.unwrap_or(0),
                    credit_rating: credit.map(|c| c.as_str().to_string()),
                    tenure_days,
                    value_score: value_score(scores, credit, tenure_days),
                },
            );
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// The page's requests

/// What the `/rfm` page shows for a reference date and window (`None`: the current run).
/// A date and window without a done run queue an ad-hoc run; `pending` is the run still
/// being computed for them, which the page polls for.
pub async fn page_data(
    db: &Db,
    actor: &CurrentUser,
    as_of: Option<&str>,
    window_days: Option<Option<i64>>,
) -> AppResult<RfmPageData> {
    require_rfm(actor)?;
    let current = current_run(db).await?;
    let default_window = default_window(db).await?;
    let as_of = match as_of {
        Some(a) => parse_as_of(a)?,
        None => current
            .as_ref()
            .map(|r| r.as_of.clone())
            .unwrap_or_else(|| iso_date(today())),
    };
    let window_days = window_days.unwrap_or_else(|| {
        current
            .as_ref()
            .map(|r| r.window_days)
            .unwrap_or(default_window)
    });
    let run = find_done(db, &as_of, window_days).await?;
    // Reading never queues work: a date without a run shows "no run", and those who may
    // recompute start one with the button (a POST).
    let pending = find_pending(db, &as_of, window_days).await?;
    let grid = match &run {
        Some(r) => Some(grid(db, actor, r.id).await?),
        None => None,
    };
    // The last failure for these parameters, when nothing else is there to show.
    let failed = if run.is_none() {
        find_with_status(db, &as_of, window_days, "status = 'failed'")
            .await?
            .is_some()
    } else {
        false
    };
    Ok(RfmPageData {
        as_of,
        window_days,
        run,
        pending,
        grid,
        failed,
        may_recompute: may_recompute_rfm(actor),
    })
}

/// Ad-hoc RFM runs that may wait in the queue at once, across all users.
pub const MAX_WAITING_ADHOC_RUNS: i64 = 3;

/// "Recompute now": queues a run for this date and window. Today's date with the default
/// window is a scheduled run (it becomes the current run); anything else ad hoc.
pub async fn request_recompute(
    db: &Db,
    actor: &CurrentUser,
    as_of: &str,
    window_days: Option<i64>,
) -> AppResult<RunInfo> {
    if !may_recompute_rfm(actor) {
        return Err(AppError::Forbidden);
    }
    let as_of = parse_as_of(as_of)?;
    let kind = if as_of == iso_date(today()) && window_days == default_window(db).await? {
        RunKind::Scheduled
    } else {
        RunKind::Adhoc
    };
    // Each ad-hoc run is a full recompute: at most a few wait at a time, in all.
    if kind == RunKind::Adhoc && find_pending(db, &as_of, window_days).await?.is_none() {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM rfm_runs WHERE kind = 'adhoc' AND status IN ('queued', 'running')",
        )
        .fetch_one(&db.pool)
        .await?;
        if waiting >= MAX_WAITING_ADHOC_RUNS {
            return Err(AppError::RateLimited);
        }
    }
    enqueue(db, kind, &as_of, window_days, Some(actor.id)).await
}
