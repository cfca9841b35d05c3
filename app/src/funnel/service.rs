//! The funnel in the database: each customer's milestone dates (first, second and
//! expansion order) are stored in `funnel_milestones`, kept by the order hook like every
//! fact derived from orders; one statement reads them for the visible, filtered
//! customers, and the counts, rates, medians and cohorts are computed from them in
//! `funnel::model`, which also defines the rules.

use super::model::{funnel, FilterChoice, FilterOptions, Funnel, FunnelFilter, Milestones};
use crate::auth::permissions::{customer_visibility, may_see_funnel};
use crate::auth::CurrentUser;
use crate::db::derived::{rebuild_derived, refresh_derived, OrderDependent};
use crate::db::{Db, Row, SqlBuilder, SqlValue};
use crate::error::{AppError, AppResult};
use crate::i18n::Key;
use sqlx::AnyConnection;

/// Customers (alias `c`) the actor may see that match the filter: the `WHERE` of the
/// funnel's customer set, shared by the milestone query and tests of it.
async fn push_customer_conditions(
    db: &Db,
    actor: &CurrentUser,
    filter: &FunnelFilter,
    q: &mut SqlBuilder,
) -> AppResult<()> {
    customer_visibility(actor, q);
    let (start, end) = filter.created_range();
    if let Some(s) = start {
        q.push(" AND c.created_at >= ").bind(SqlValue::Int(s));
    }
    if let Some(e) = end {
        q.push(" AND c.created_at < ").bind(SqlValue::Int(e));
    }
    // Another manager's id only narrows the actor's own visible set: visibility is
    // already part of the condition.
    if let Some(owner) = filter.owner {
        q.push(" AND c.owner_id = ").bind(SqlValue::Int(owner.0));
    }
    if let Some(team) = filter.team {
        q.push(" AND c.team_id = ").bind(SqlValue::Int(team.0));
    }
    if let Some(source) = &filter.source {
        q.push(" AND c.source_channel = ")
            .bind(SqlValue::Text(source.clone()));
    }
    if let Some(segment) = filter.segment {
        let rule = crate::segments::service::checked_rule_of(db, actor, segment)
            .await
            .map_err(|e| match e {
                AppError::NotFound => AppError::field("segment", Key::FunnelErrUnknownSegment),
                e => e,
            })?;
        let ctx = crate::segments::service::eval_context(db).await?;
        crate::segments::sql::push_rule(q, &rule, &ctx);
    }
    Ok(())
}

/// An owner or team named by the filter must exist (a typo is an error, not an empty
/// funnel); whether its customers are visible is left to the visibility condition.
async fn check_references(db: &Db, filter: &FunnelFilter) -> AppResult<()> {
    if let Some(owner) = filter.owner {
        let found = sqlx::query("SELECT id FROM users WHERE id = $1")
            .bind(owner.0)
            .fetch_optional(&db.pool)
            .await?;
        if found.is_none() {
            return Err(AppError::field("owner", Key::FunnelErrUnknownOwner));
        }
    }
    if let Some(team) = filter.team {
        let found = sqlx::query("SELECT id FROM teams WHERE id = $1")
            .bind(team.0)
            .fetch_optional(&db.pool)
            .await?;
        if found.is_none() {
            return Err(AppError::field("team", Key::FunnelErrUnknownTeam));
        }
    }
    Ok(())
}

fn day_of(raw: Option<String>) -> AppResult<Option<i64>> {
    raw.map(|s| {
        crate::dates::parse_date(&s).ok_or_else(|| {
            tracing::error!(date = %s, "stored order date does not parse");
            AppError::Internal
        })
    })
    .transpose()
}

/// `INSERT INTO funnel_milestones … SELECT` over the orders of `customers` (all for
/// `None`). Orders are numbered per customer by (date, id); the first order's category
/// rides along on every row through `FIRST_VALUE` over the same window, so one grouped
/// pass picks the first and second order dates and the earliest later order in another
/// known category. Standard window SQL, the same text on SQLite and PostgreSQL.
fn push_milestones_insert(q: &mut SqlBuilder, customers: Option<&[i64]>) {
    q.push(
        "INSERT INTO funnel_milestones (customer_id, first_order, second_order, expansion) \
         SELECT r.customer_id, \
           MIN(CASE WHEN r.rn = 1 THEN r.order_date END), \
           MIN(CASE WHEN r.rn = 2 THEN r.order_date END), \
           MIN(CASE WHEN r.rn > 1 AND r.category <> r.first_category THEN r.order_date END) \
         FROM (SELECT o.customer_id, o.order_date, NULLIF(o.category, '') AS category, \
             ROW_NUMBER() OVER w AS rn, FIRST_VALUE(NULLIF(o.category, '')) OVER w AS first_category \
           FROM orders o",
    );
    if let Some(ids) = customers {
        q.push(" WHERE o.customer_id IN ").push_id_list(ids);
    }
    q.push(
        " WINDOW w AS (PARTITION BY o.customer_id ORDER BY o.order_date, o.id)) r \
         GROUP BY r.customer_id",
    );
}

/// Keeps the milestones current on every order write (see `db::derived`).
pub const ORDER_DEPENDENT: OrderDependent = OrderDependent {
    name: "funnel milestones",
    refresh: |conn, ids| Box::pin(refresh_milestones(conn, ids)),
};

/// Recomputes the stored milestones of `customers` (distinct ids) on the caller's
/// transaction: called by `db::derived::orders_changed` on every order write.
pub async fn refresh_milestones(conn: &mut AnyConnection, customers: &[i64]) -> AppResult<()> {
    refresh_derived(conn, "funnel_milestones", customers, push_milestones_insert).await
}

/// Recomputes every customer's stored milestones in one transaction (bulk loaders).
pub async fn rebuild_milestones(db: &Db) -> AppResult<()> {
    rebuild_derived(db, "funnel_milestones", push_milestones_insert).await
}

/// Each visible customer matching the filter with its milestone days, read from the
/// stored milestones (customers without orders have none).
pub async fn milestones(
    db: &Db,
    actor: &CurrentUser,
    filter: &FunnelFilter,
) -> AppResult<Vec<Milestones>> {
    if !may_see_funnel(actor) {
        return Err(AppError::Forbidden);
    }
    check_references(db, filter).await?;
    let mut q = SqlBuilder::new(
        "SELECT c.created_at, m.first_order, m.second_order, m.expansion FROM customers c \
         LEFT JOIN funnel_milestones m ON m.customer_id = c.id WHERE 1 = 1",
    );
    push_customer_conditions(db, actor, filter, &mut q).await?;
    let rows = q.query().fetch_all(&db.pool).await?;
    rows.iter()
        .map(|r| {
            Ok(Milestones {
                created_day: r.try_get::<i64, _>("created_at")?.div_euclid(86_400),
                first_order: day_of(r.try_get("first_order")?)?,
                second_order: day_of(r.try_get("second_order")?)?,
                expansion: day_of(r.try_get("expansion")?)?,
            })
        })
        .collect()
}

/// The funnel and cohort table of the visible customers matching the filter.
pub async fn report(db: &Db, actor: &CurrentUser, filter: &FunnelFilter) -> AppResult<Funnel> {
    Ok(funnel(&milestones(db, actor, filter).await?))
}

/// The choices of the page's filter selects: owners the actor may pick in the customer
/// list, all teams, the acquisition channels among the visible customers, the saved
/// segments the actor may see.
pub async fn options(db: &Db, actor: &CurrentUser) -> AppResult<FilterOptions> {
    if !may_see_funnel(actor) {
        return Err(AppError::Forbidden);
    }
    let choice = |id: i64, label: String| FilterChoice {
        value: id.to_string(),
        label,
    };
    let owners = crate::users::service::assignable_staff(db, actor)
        .await?
        .into_iter()
        .map(|s| choice(s.id.0, s.name))
        .collect();
    let teams = crate::users::service::list_teams(db)
        .await?
        .into_iter()
        .map(|t| choice(t.id.0, t.name))
        .collect();
    let mut q = SqlBuilder::new(
        "SELECT DISTINCT c.source_channel AS source FROM customers c \
         WHERE c.source_channel IS NOT NULL AND c.source_channel <> ''",
    );
    customer_visibility(actor, &mut q);
    q.push(" ORDER BY 1 LIMIT 200");
    let sources = q
        .query()
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| {
            let s: String = r.try_get("source")?;
            Ok(FilterChoice {
                value: s.clone(),
                label: s,
            })
        })
        .collect::<AppResult<_>>()?;
    let segments = crate::segments::service::list(db, actor)
        .await?
        .into_iter()
        .map(|s| choice(s.id, s.name))
        .collect();
    Ok(FilterOptions {
        owners,
        teams,
        sources,
        segments,
    })
}
