use crate::auth::permissions::{customer_visibility, may_see_dashboard};
use crate::auth::CurrentUser;
use crate::dashboard::model::Summary;
use crate::db::{Db, Row, SqlBuilder};
use crate::error::{AppError, AppResult};

/// Managers see figures for the customers they may see; admins, viewers and support
/// agents see the whole organisation (aggregates reveal no personal data).
pub async fn summary(db: &Db, actor: &CurrentUser) -> AppResult<Summary> {
    if !may_see_dashboard(actor) {
        return Err(AppError::Forbidden);
    }
    let scoped = actor.role.is_manager();
    let mut q =
        SqlBuilder::new("SELECT c.level, c.grade, COUNT(*) AS n FROM customers c WHERE 1 = 1");
    if scoped {
        customer_visibility(actor, &mut q);
    }
    q.push(" GROUP BY c.level, c.grade");
    let rows = q.query().fetch_all(&db.pool).await?;
    let mut s = Summary {
        customers: 0,
        key_accounts: 0,
        standard_accounts: 0,
        by_grade: ["vip", "key", "general"]
            .iter()
            .map(|g| (g.to_string(), 0))
            .collect(),
        scoped,
    };
    for r in rows {
        let level: i64 = r.try_get("level")?;
        let grade: String = r.try_get("grade")?;
        let n: i64 = r.try_get("n")?;
        s.customers += n;
        if level == 1 {
            s.key_accounts += n;
        } else {
            s.standard_accounts += n;
        }
        if let Some(g) = s.by_grade.iter_mut().find(|g| g.0 == grade) {
            g.1 += n;
        }
    }
    Ok(s)
}
