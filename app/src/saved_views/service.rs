use crate::auth::permissions::{may_delete_view, may_list_customers, may_see_view, ViewScope};
use crate::auth::CurrentUser;
use crate::db::{now, Db, DbRow, Row};
use crate::error::{AppError, AppResult};
use crate::i18n::Key;
use crate::ids::{TeamId, UserId};
use crate::saved_views::model::{SavedView, ViewDraft};

fn scope_of(r: &DbRow) -> AppResult<ViewScope> {
    Ok(ViewScope {
        owner_id: UserId(r.try_get("owner_id")?),
        team_id: r.try_get::<Option<i64>, _>("team_id")?.map(TeamId),
        shared: r.try_get::<i64, _>("shared")? == 1,
    })
}

/// The actor's own views and the shared views of their team, by name.
pub async fn list_views(db: &Db, actor: &CurrentUser) -> AppResult<Vec<SavedView>> {
    if !may_list_customers(actor) {
        return Err(AppError::Forbidden);
    }
    let rows = sqlx::query(
        "SELECT v.id, v.name, v.query, v.shared, v.owner_id, v.team_id, u.name AS owner_name \
         FROM saved_views v JOIN users u ON u.id = v.owner_id \
         WHERE v.owner_id = $1 OR (v.shared = 1 AND v.team_id = $2) ORDER BY v.name, v.id",
    )
    .bind(actor.id.0)
    .bind(actor.team_id.map(|t| t.0))
    .fetch_all(&db.pool)
    .await?;
    let mut views = Vec::new();
    for r in &rows {
        let scope = scope_of(r)?;
        // The SQL narrows; the permission module decides.
        if !may_see_view(actor, &scope) {
            continue;
        }
        views.push(SavedView {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            query: r.try_get("query")?,
            shared: scope.shared,
            owner_name: r.try_get("owner_name")?,
            may_delete: may_delete_view(actor, &scope),
        });
    }
    Ok(views)
}

pub async fn save_view(db: &Db, actor: &CurrentUser, draft: ViewDraft) -> AppResult<i64> {
    if !may_list_customers(actor) {
        return Err(AppError::Forbidden);
    }
    let mut tx = db.begin_write().await?;
    let taken =
        sqlx::query("SELECT id FROM saved_views WHERE owner_id = $1 AND LOWER(name) = LOWER($2)")
            .bind(actor.id.0)
            .bind(&draft.name)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
    if taken {
        return Err(AppError::field("name", Key::ErrViewNameTaken));
    }
    let id: i64 = sqlx::query(
        "INSERT INTO saved_views (owner_id, team_id, name, query, shared, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(actor.id.0)
    .bind(actor.team_id.map(|t| t.0))
    .bind(&draft.name)
    .bind(&draft.query)
    .bind(i64::from(draft.shared))
    .bind(now())
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    tx.commit().await?;
    Ok(id)
}

/// Views one may not see answer not-found; visible ones of others answer forbidden.
pub async fn delete_view(db: &Db, actor: &CurrentUser, id: i64) -> AppResult<()> {
    let mut tx = db.begin_write().await?;
    let row = sqlx::query("SELECT owner_id, team_id, shared FROM saved_views WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound)?;
    let scope = scope_of(&row)?;
    if !may_see_view(actor, &scope) {
        return Err(AppError::NotFound);
    }
    if !may_delete_view(actor, &scope) {
        return Err(AppError::Forbidden);
    }
    sqlx::query("DELETE FROM saved_views WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
