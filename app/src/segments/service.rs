//! Saved segments, live counts and members, and task batches. Every count and list goes
//! through [`customer_visibility`]: a segment never counts a customer its viewer may not see.

use super::check::CheckedRule;
use super::eval::EvalContext;
use super::model::{
    BuilderOptions, Segment, SegmentDraft, SegmentRule, SegmentSummary, TaskBatchOutcome,
    RULE_VERSION, TASK_BATCH_MAX,
};
use crate::audit::service::{record, Change};
use crate::auth::permissions::{
    customer_visibility, may_assign_task, may_delete_segment, may_list_customers, may_log_work,
    may_see_segment, Assignee, SegmentScope,
};
use crate::auth::{CurrentUser, Role};
use crate::customers::filter::{CustomerPage, ParsedFilter};
use crate::db::{insert_rows, now, Condition, Db, Row, SqlBuilder, SqlValue};
use crate::error::{AppError, AppResult};
use crate::i18n::Key;
use crate::ids::{TeamId, UserId};
use crate::tasks::model::TaskSource;

/// Today (UTC) and the current RFM run.
pub async fn eval_context(db: &Db) -> AppResult<EvalContext> {
    let run: Option<i64> = sqlx::query(
        "SELECT MAX(id) AS id FROM rfm_runs WHERE kind = 'scheduled' AND status = 'done'",
    )
    .fetch_one(&db.pool)
    .await?
    .try_get("id")?;
    Ok(EvalContext {
        today: now().div_euclid(86_400),
        rfm_run: run,
        engine: db.engine,
    })
}

/// Validates a rule against the current custom fields.
pub async fn check(db: &Db, rule: &SegmentRule) -> AppResult<CheckedRule> {
    let fields = crate::custom_fields::service::active_fields(db).await?;
    rule.check(&fields)
}

/// How many customers the actor may see match the rule.
pub async fn count(db: &Db, actor: &CurrentUser, rule: &CheckedRule) -> AppResult<i64> {
    if !may_list_customers(actor) {
        return Err(AppError::Forbidden);
    }
    let ctx = eval_context(db).await?;
    let mut q = SqlBuilder::new("SELECT COUNT(*) AS n FROM customers c WHERE 1 = 1");
    customer_visibility(actor, &mut q);
    super::sql::push_rule(&mut q, rule, &ctx);
    Ok(q.query().fetch_one(&db.pool).await?.try_get("n")?)
}

/// The rule as a condition of the customer list.
pub fn rule_condition(rule: CheckedRule, ctx: EvalContext) -> Condition {
    Box::new(move |q| super::sql::push_rule(q, &rule, &ctx))
}

/// The conditions a customer-list filter's saved segment and lifecycle stage compile to,
/// for `customers::listing::list`. A segment the actor may not see is `NotFound`.
pub async fn list_conditions(
    db: &Db,
    actor: &CurrentUser,
    filter: &ParsedFilter,
) -> AppResult<Vec<Condition>> {
    let mut conditions = Vec::new();
    if let Some(stage) = filter.stage {
        conditions.push(crate::lifecycle::sql::stage_condition(stage));
    }
    if let Some(segment) = filter.segment {
        let rule = checked_rule_of(db, actor, segment).await?;
        conditions.push(rule_condition(rule, eval_context(db).await?));
    }
    Ok(conditions)
}

/// One page of the rule's members, as the customer list pages them.
pub async fn members(
    db: &Db,
    actor: &CurrentUser,
    rule: CheckedRule,
    after: Option<crate::customers::filter::Cursor>,
) -> AppResult<CustomerPage> {
    let filter = ParsedFilter {
        after,
        ..Default::default()
    };
    let condition = rule_condition(rule, eval_context(db).await?);
    crate::customers::listing::list(db, actor, &filter, &[condition]).await
}

const SEGMENT_SELECT: &str =
    "SELECT s.id, s.name, s.description, s.rule_json, s.rule_version, s.owner_id, s.team_id, s.shared, \
     s.updated_at, u.name AS owner_name FROM segments s JOIN users u ON u.id = s.owner_id";

fn scope_of_row(r: &crate::db::DbRow) -> AppResult<SegmentScope> {
    Ok(SegmentScope {
        owner_id: UserId(r.try_get("owner_id")?),
        team_id: r.try_get::<Option<i64>, _>("team_id")?.map(TeamId),
        shared: r.try_get::<i64, _>("shared")? != 0,
    })
}

async fn load_row(db: &Db, id: i64) -> AppResult<Option<crate::db::DbRow>> {
    Ok(sqlx::query(&format!("{SEGMENT_SELECT} WHERE s.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?)
}

/// A saved segment the actor may see.
pub async fn get(db: &Db, actor: &CurrentUser, id: i64) -> AppResult<Segment> {
    if !may_list_customers(actor) {
        return Err(AppError::NotFound);
    }
    let row = load_row(db, id).await?.ok_or(AppError::NotFound)?;
    let scope = scope_of_row(&row)?;
    if !may_see_segment(actor, &scope) {
        return Err(AppError::NotFound);
    }
    let json: String = row.try_get("rule_json")?;
    // A stored rule was valid when saved; if it no longer parses, show an empty rule
    // rather than lose the segment (its count will say it matches everyone).
    let rule = super::model::parse_rule_json(&json).unwrap_or_else(|_| {
        tracing::warn!(segment = id, "stored segment rule does not parse");
        SegmentRule::default()
    });
    Ok(Segment {
        id,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        rule,
        owner_id: scope.owner_id.0,
        owner_name: row.try_get("owner_name")?,
        shared: scope.shared,
        may_edit: may_delete_segment(actor, &scope),
        updated_at: row.try_get("updated_at")?,
    })
}

/// The checked rule of a saved segment the actor may see (for list filters and exports).
pub async fn checked_rule_of(db: &Db, actor: &CurrentUser, id: i64) -> AppResult<CheckedRule> {
    let segment = get(db, actor, id).await?;
    check(db, &segment.rule).await
}

/// The segments the actor may see: their own and those shared with their team.
pub async fn list(db: &Db, actor: &CurrentUser) -> AppResult<Vec<SegmentSummary>> {
    if !may_list_customers(actor) {
        return Err(AppError::Forbidden);
    }
    let mut q = SqlBuilder::new(SEGMENT_SELECT);
    q.push(" WHERE s.owner_id = ")
        .bind(SqlValue::Int(actor.id.0));
    if let Some(team) = actor.team_id {
        q.push(" OR (s.shared = 1 AND s.team_id = ")
            .bind(SqlValue::Int(team.0))
            .push(")");
    }
    q.push(" ORDER BY s.name, s.id");
    let rows = q.query().fetch_all(&db.pool).await?;
    let mut out = Vec::new();
    for r in &rows {
        if !may_see_segment(actor, &scope_of_row(r)?) {
            continue;
        }
        let json: String = r.try_get("rule_json")?;
        out.push(SegmentSummary {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            description: r.try_get("description")?,
            owner_name: r.try_get("owner_name")?,
            shared: r.try_get::<i64, _>("shared")? != 0,
            conditions: super::model::parse_rule_json(&json)
                .map(|r| r.condition_count())
                .unwrap_or(0),
            updated_at: r.try_get("updated_at")?,
        });
    }
    Ok(out)
}

/// Saves a new segment (`id` None) or updates one the actor owns. The rule is validated
/// before anything is written.
pub async fn save(
    db: &Db,
    actor: &CurrentUser,
    id: Option<i64>,
    draft: SegmentDraft,
) -> AppResult<i64> {
    if !may_list_customers(actor) {
        return Err(AppError::Forbidden);
    }
    check(db, &draft.rule).await?;
    let json = draft.rule.to_json();
    let t = now();
    let mut tx = db.begin_write().await?;
    let id = match id {
        None => {
            let id: i64 = sqlx::query(
                "INSERT INTO segments (name, description, rule_json, rule_version, owner_id, team_id, shared, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
            )
            .bind(&draft.name)
            .bind(&draft.description)
            .bind(&json)
            .bind(RULE_VERSION as i64)
            .bind(actor.id.0)
            .bind(actor.team_id.map(|t| t.0))
            .bind(draft.shared as i64)
            .bind(t)
            .fetch_one(&mut *tx)
            .await?
            .try_get("id")?;
            record(
                &mut tx,
                Some(actor.id),
                Change::new("segment", id, "create").values(None, Some(draft.name.clone())),
            )
            .await?;
            id
        }
        Some(id) => {
            let row = changeable_segment(&mut tx, actor, id).await?;
            let before: String = row.try_get("rule_json")?;
            sqlx::query(
                "UPDATE segments SET name = $1, description = $2, rule_json = $3, rule_version = $4, shared = $5, updated_at = $6 WHERE id = $7",
            )
            .bind(&draft.name)
            .bind(&draft.description)
            .bind(&json)
            .bind(RULE_VERSION as i64)
            .bind(draft.shared as i64)
            .bind(t)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            if before != json {
                record(
                    &mut tx,
                    Some(actor.id),
                    Change::new("segment", id, "update")
                        .on_field("rule")
                        .values(Some(before), Some(json)),
                )
                .await?;
            }
            id
        }
    };
    tx.commit().await?;
    Ok(id)
}

/// A stored segment the actor may change (edit or delete); hidden is `NotFound`.
async fn changeable_segment(
    conn: &mut sqlx::AnyConnection,
    actor: &CurrentUser,
    id: i64,
) -> AppResult<crate::db::DbRow> {
    let row = sqlx::query(&format!("{SEGMENT_SELECT} WHERE s.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound)?;
    let scope = scope_of_row(&row)?;
    if !may_see_segment(actor, &scope) {
        return Err(AppError::NotFound);
    }
    if !may_delete_segment(actor, &scope) {
        return Err(AppError::Forbidden);
    }
    Ok(row)
}

pub async fn delete(db: &Db, actor: &CurrentUser, id: i64) -> AppResult<()> {
    let mut tx = db.begin_write().await?;
    let row = changeable_segment(&mut tx, actor, id).await?;
    sqlx::query("DELETE FROM segments WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        Some(actor.id),
        Change::new("segment", id, "delete").values(Some(row.try_get("name")?), None),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// One follow-up task per member of a saved segment, each for the member's owner. Members
/// the actor may not add work to, or whose owner cannot take it, are counted as refused.
pub async fn create_task_batch(
    db: &Db,
    actor: &CurrentUser,
    segment_id: i64,
    title: &str,
    due_at: i64,
) -> AppResult<TaskBatchOutcome> {
    let rule = checked_rule_of(db, actor, segment_id).await?;
    let ctx = eval_context(db).await?;
    let mut q = SqlBuilder::new(
        "SELECT c.id, c.level, c.owner_id, c.service_manager_id, c.team_id, \
         o.role AS owner_role, o.team_id AS owner_team, o.active AS owner_active \
         FROM customers c JOIN users o ON o.id = c.owner_id WHERE 1 = 1",
    );
    customer_visibility(actor, &mut q);
    super::sql::push_rule(&mut q, &rule, &ctx);
    q.push(" ORDER BY c.id LIMIT ")
        .bind(SqlValue::Int(TASK_BATCH_MAX as i64 + 1));
    let rows = q.query().fetch_all(&db.pool).await?;
    if rows.len() > TASK_BATCH_MAX {
        return Err(AppError::field("segment", Key::SegErrBatchTooLarge));
    }
    let t = now();
    let mut tasks = Vec::new();
    let mut refused = 0;
    for r in &rows {
        let scope = crate::auth::scope::scope_from_row(r)?;
        let owner = Assignee {
            id: scope.owner_id,
            role: Role::parse(&r.try_get::<String, _>("owner_role")?).unwrap_or(Role::Viewer),
            team_id: r.try_get::<Option<i64>, _>("owner_team")?.map(TeamId),
            active: r.try_get::<i64, _>("owner_active")? != 0,
        };
        if !may_log_work(actor, &scope) || !may_assign_task(actor, &owner, Some(&scope)) {
            refused += 1;
            continue;
        }
        tasks.push(vec![
            SqlValue::Int(r.try_get("id")?),
            SqlValue::Text(title.to_string()),
            SqlValue::Int(owner.id.0),
            SqlValue::Int(due_at),
            SqlValue::Text("open".into()),
            SqlValue::Text(TaskSource::SegmentBatch.as_str().into()),
            SqlValue::Int(segment_id),
            SqlValue::Int(actor.id.0),
            SqlValue::Int(t),
        ]);
    }
    let mut tx = db.begin_write().await?;
    insert_rows(
        &mut tx,
        db.engine,
        "INSERT INTO tasks (customer_id, title, assignee_id, due_at, status, source, source_id, created_by, created_at)",
        &tasks,
    )
    .await?;
    record(
        &mut tx,
        Some(actor.id),
        Change::new("segment", segment_id, "task_batch")
            .values(None, Some(format!("{} × {title}", tasks.len()))),
    )
    .await?;
    tx.commit().await?;
    Ok(TaskBatchOutcome {
        created: tasks.len(),
        refused,
    })
}

/// The pick lists of the builder: people, teams and tags by id, known values of the text
/// attributes among the customers the actor may see, and the custom fields.
pub async fn builder_options(db: &Db, actor: &CurrentUser) -> AppResult<BuilderOptions> {
    if !may_list_customers(actor) {
        return Err(AppError::Forbidden);
    }
    let owners = sqlx::query(
        "SELECT id, name FROM users WHERE role IN ('tier1', 'tier2') ORDER BY name, id",
    )
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
    .collect::<AppResult<Vec<_>>>()?;
    let teams = crate::users::service::list_teams(db)
        .await?
        .into_iter()
        .map(|t| (t.id.0, t.name))
        .collect();
    let tags = crate::customers::tags::list_tags(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let mut suggestions = Vec::new();
    for (code, column) in [
        ("province", "province"),
        ("city", "city"),
        ("country", "country"),
        ("industry", "industry"),
        ("income_band", "income_band"),
        ("source_channel", "source_channel"),
        ("source_campaign", "source_campaign"),
    ] {
        let mut q = SqlBuilder::new(format!(
            "SELECT DISTINCT c.{column} AS v FROM customers c WHERE c.{column} IS NOT NULL"
        ));
        customer_visibility(actor, &mut q);
        q.push(&format!(" ORDER BY c.{column} LIMIT 200"));
        let values = q
            .query()
            .fetch_all(&db.pool)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>("v"))
            .collect::<Result<Vec<_>, _>>()?;
        suggestions.push((code.to_string(), values));
    }
    let custom_fields = crate::custom_fields::service::active_fields(db)
        .await?
        .into_iter()
        .map(|f| (f.key, f.label, f.kind.as_str().to_string(), f.choices))
        .collect();
    Ok(BuilderOptions {
        owners,
        teams,
        tags,
        suggestions,
        custom_fields,
    })
}
