//! The workload page's figures: per manager in the viewer's scope, accounts by level and
//! grade, open and overdue tasks, recent activities, pending tier proposals and the
//! feedback scores of their customers.

use crate::auth::permissions::{workload_scope, WorkloadScope};
use crate::auth::{CurrentUser, Role};
use crate::customers::model::Grade;
use crate::db::{now, Db, Row, SqlBuilder, SqlValue};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::tiers::model::*;
use crate::tiers::service::grade_of;
use std::collections::HashMap;

/// Appends "`col` is one of the managers this scope shows".
fn push_managers(q: &mut SqlBuilder, col: &str, scope: WorkloadScope, actor: &CurrentUser) {
    q.push(&format!(
        " AND {col} IN (SELECT u.id FROM users u WHERE u.active = 1 AND u.role IN ('tier1', 'tier2')"
    ));
    match scope {
        WorkloadScope::All => {}
        WorkloadScope::Team(Some(team)) => {
            q.push(" AND (u.id = ")
                .bind(SqlValue::Int(actor.id.0))
                .push(" OR u.team_id = ")
                .bind(SqlValue::Int(team.0))
                .push(")");
        }
        WorkloadScope::Team(None) | WorkloadScope::OnlySelf => {
            q.push(" AND u.id = ").bind(SqlValue::Int(actor.id.0));
        }
    }
    q.push(")");
}

/// Per manager: accounts by level and grade, open and overdue tasks, activities in the
/// last 30 days, pending tier proposals of their customers. One grouped query per measure.
pub async fn workload(db: &Db, actor: &CurrentUser) -> AppResult<Vec<WorkloadRow>> {
    let scope = workload_scope(actor).ok_or(AppError::Forbidden)?;
    let t = now();
    let mut conn = db.pool.acquire().await?;

    let mut q = SqlBuilder::new(
        "SELECT m.id, m.name, m.role, t.name AS team_name FROM users m LEFT JOIN teams t ON t.id = m.team_id \
         WHERE 1 = 1",
    );
    push_managers(&mut q, "m.id", scope, actor);
    q.push(" ORDER BY m.name, m.id");
    let mut rows: Vec<WorkloadRow> = Vec::new();
    let mut index: HashMap<i64, usize> = HashMap::new();
    for r in q.query().fetch_all(&mut *conn).await? {
        let id: i64 = r.try_get("id")?;
        let role: String = r.try_get("role")?;
        index.insert(id, rows.len());
        rows.push(WorkloadRow {
            user_id: UserId(id),
            name: r.try_get("name")?,
            role: Role::parse(&role),
            team: r.try_get("team_name")?,
            ..Default::default()
        });
    }

    let mut q = SqlBuilder::new(
        "SELECT c.owner_id AS uid, c.level, c.grade, COUNT(*) AS n FROM customers c WHERE 1 = 1",
    );
    push_managers(&mut q, "c.owner_id", scope, actor);
    q.push(" GROUP BY c.owner_id, c.level, c.grade");
    for r in q.query().fetch_all(&mut *conn).await? {
        let Some(&i) = index.get(&r.try_get::<i64, _>("uid")?) else {
            continue;
        };
        let n: i64 = r.try_get("n")?;
        let level: i64 = r.try_get("level")?;
        let grade: String = r.try_get("grade")?;
        let row = &mut rows[i];
        if level == crate::auth::permissions::LEVEL_KEY {
            row.level1 += n;
        } else {
            row.level2 += n;
        }
        match grade_of(&grade) {
            Grade::Vip => row.vip += n,
            Grade::Key => row.key += n,
            Grade::General => row.general += n,
        }
    }

    let mut q = SqlBuilder::new(
        "SELECT tk.assignee_id AS uid, COUNT(*) AS n, \
         CAST(SUM(CASE WHEN tk.due_at < ",
    );
    q.bind(SqlValue::Int(t))
        .push(" THEN 1 ELSE 0 END) AS BIGINT) AS overdue FROM tasks tk WHERE tk.status = 'open'");
    push_managers(&mut q, "tk.assignee_id", scope, actor);
    q.push(" GROUP BY tk.assignee_id");
    for r in q.query().fetch_all(&mut *conn).await? {
        if let Some(&i) = index.get(&r.try_get::<i64, _>("uid")?) {
            rows[i].open_tasks = r.try_get("n")?;
            rows[i].overdue_tasks = r.try_get("overdue")?;
        }
    }

    let mut q = SqlBuilder::new(
        "SELECT a.user_id AS uid, COUNT(*) AS n FROM activities a WHERE a.happened_at >= ",
    );
    q.bind(SqlValue::Int(t - 30 * 86_400));
    push_managers(&mut q, "a.user_id", scope, actor);
    q.push(" GROUP BY a.user_id");
    for r in q.query().fetch_all(&mut *conn).await? {
        if let Some(&i) = index.get(&r.try_get::<i64, _>("uid")?) {
            rows[i].activities_30d = r.try_get("n")?;
        }
    }

    let mut q = SqlBuilder::new(
        "SELECT c.owner_id AS uid, COUNT(*) AS n FROM tier_proposals p JOIN customers c ON c.id = p.customer_id \
         WHERE p.status = 'pending'",
    );
    push_managers(&mut q, "c.owner_id", scope, actor);
    q.push(" GROUP BY c.owner_id");
    for r in q.query().fetch_all(&mut *conn).await? {
        if let Some(&i) = index.get(&r.try_get::<i64, _>("uid")?) {
            rows[i].pending_proposals = r.try_get("n")?;
        }
    }

    // NPS and CSAT of each manager's own customers (the KPI the feedback forms feed).
    let mut q = SqlBuilder::new(crate::feedback::analysis::OWNER_SCORES_SELECT);
    push_managers(&mut q, "c.owner_id", scope, actor);
    q.push(" GROUP BY c.owner_id");
    for r in q.query().fetch_all(&mut *conn).await? {
        if let Some(&i) = index.get(&r.try_get::<i64, _>("owner_id")?) {
            let scores = crate::feedback::analysis::owner_scores_from_row(&r)?;
            rows[i].feedback_responses = scores.responses;
            rows[i].nps = scores.nps;
            rows[i].csat = scores.csat;
        }
    }
    Ok(rows)
}
