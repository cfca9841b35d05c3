//! Server-only: what a permission check needs to know about one customer, read from the
//! database, and the refusal every feature gives. Features ask here, never the customers
//! service, so permission questions point down the layers.

use crate::auth::permissions::{may, may_see_customer, CustomerAction, CustomerScope};
use crate::auth::CurrentUser;
use crate::db::DbRow;
use crate::error::{AppError, AppResult};
use crate::ids::{CustomerId, TeamId, UserId};
use sqlx::{AnyConnection, Row};

/// Who may see and change the customer, or `None` if it does not exist.
pub async fn scope_of(
    conn: &mut AnyConnection,
    id: CustomerId,
) -> AppResult<Option<CustomerScope>> {
    let row = sqlx::query(
        "SELECT level, owner_id, service_manager_id, team_id FROM customers WHERE id = $1",
    )
    .bind(id.0)
    .fetch_optional(conn)
    .await?;
    Ok(row.as_ref().map(scope_from_row).transpose()?)
}

/// The scope from a row that selected a customer's `level`, `owner_id`,
/// `service_manager_id` and `team_id`, for queries that read many customers at once.
pub fn scope_from_row(r: &DbRow) -> Result<CustomerScope, sqlx::Error> {
    Ok(CustomerScope {
        level: r.try_get("level")?,
        owner_id: UserId(r.try_get("owner_id")?),
        service_manager_id: r
            .try_get::<Option<i64>, _>("service_manager_id")?
            .map(UserId),
        team_id: r.try_get::<Option<i64>, _>("team_id")?.map(TeamId),
    })
}

/// The scope from a row whose customer columns may be NULL (a record that need not
/// belong to a customer, read with `LEFT JOIN customers`): `None` without a customer.
pub fn optional_scope_from_row(r: &DbRow) -> Result<Option<CustomerScope>, sqlx::Error> {
    match r.try_get::<Option<i64>, _>("owner_id")? {
        Some(_) => scope_from_row(r).map(Some),
        None => Ok(None),
    }
}

/// The scope of a customer the actor may see; a missing customer and a hidden one are
/// both `NotFound`, so a refusal never confirms that a record exists.
pub async fn visible_scope(
    conn: &mut AnyConnection,
    actor: &CurrentUser,
    id: CustomerId,
) -> AppResult<CustomerScope> {
    let scope = scope_of(conn, id).await?.ok_or(AppError::NotFound)?;
    if !may_see_customer(actor, &scope) {
        return Err(AppError::NotFound);
    }
    Ok(scope)
}

/// Refuses with `NotFound` when the record is invisible, `Forbidden` when visible but
/// the action is not allowed.
pub fn authorize(
    actor: &CurrentUser,
    action: CustomerAction,
    scope: Option<CustomerScope>,
) -> AppResult<CustomerScope> {
    let scope = scope.ok_or(AppError::NotFound)?;
    if !may(actor, CustomerAction::Read, &scope) {
        return Err(AppError::NotFound);
    }
    if !may(actor, action, &scope) {
        return Err(AppError::Forbidden);
    }
    Ok(scope)
}
