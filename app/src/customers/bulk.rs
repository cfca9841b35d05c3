//! Bulk actions on a selection of the customer list. Each customer is checked on its
//! own with the permission module; the allowed ones change together in one transaction
//! and the rest are counted as refused, never silently skipped.

use crate::audit::service::{record, Change};
use crate::auth::permissions::{
    check_assignment, may, may_assign_to, may_list_customers, Assignee, CustomerAction,
};
use crate::auth::scope::scope_of;
use crate::auth::CurrentUser;
use crate::customers::model::{BulkCommand, BulkOutcome};
use crate::customers::tags::{ensure_tags, tag_names};
use crate::db::{now, Db};
use crate::error::{AppError, AppResult};
use crate::ids::{CustomerId, UserId};
use crate::users::service::load_assignee;
use std::collections::HashMap;

pub async fn apply(
    db: &Db,
    actor: &CurrentUser,
    ids: &[CustomerId],
    command: &BulkCommand,
) -> AppResult<BulkOutcome> {
    if !may_list_customers(actor) {
        return Err(AppError::Forbidden);
    }
    // Staff looked up once, before the write lock is taken.
    let mut staff: HashMap<UserId, Option<Assignee>> = HashMap::new();
    if let BulkCommand::Assign {
        owner,
        service_manager,
    } = command
    {
        for id in owner.iter().chain(service_manager.iter().flatten()) {
            staff.insert(*id, load_assignee(db, *id).await?);
        }
    }
    let mut outcome = BulkOutcome::default();
    let mut tx = db.begin_write().await?;
    for &id in ids {
        let Some(scope) = scope_of(&mut tx, id).await? else {
            outcome.refused += 1;
            continue;
        };
        let allowed = match command {
            BulkCommand::AddTag(_) | BulkCommand::RemoveTag(_) => {
                may(actor, CustomerAction::Update, &scope)
            }
            BulkCommand::Assign { .. } => may(actor, CustomerAction::Reassign, &scope),
        };
        if !allowed {
            outcome.refused += 1;
            continue;
        }
        match command {
            BulkCommand::AddTag(name) | BulkCommand::RemoveTag(name) => {
                let before = tag_names(&mut tx, id).await?;
                let tag = ensure_tags(&mut tx, std::slice::from_ref(name)).await?[0];
                sqlx::query("DELETE FROM customer_tags WHERE customer_id = $1 AND tag_id = $2")
                    .bind(id.0)
                    .bind(tag)
                    .execute(&mut *tx)
                    .await?;
                if matches!(command, BulkCommand::AddTag(_)) {
                    sqlx::query("INSERT INTO customer_tags (customer_id, tag_id) VALUES ($1, $2)")
                        .bind(id.0)
                        .bind(tag)
                        .execute(&mut *tx)
                        .await?;
                }
                let after = tag_names(&mut tx, id).await?;
                if before != after {
                    audit(&mut tx, actor, id, "tags", Some(before), Some(after)).await?;
                }
            }
            BulkCommand::Assign {
                owner,
                service_manager,
            } => {
                let owner_id = owner.unwrap_or(scope.owner_id);
                let sm_id = service_manager.unwrap_or(scope.service_manager_id);
                let owner_a = match staff.get(&owner_id) {
                    Some(a) => *a,
                    None => load_assignee(db, owner_id).await?,
                };
                let sm_a = match sm_id {
                    Some(s) => match staff.get(&s) {
                        Some(a) => Some(*a),
                        None => Some(load_assignee(db, s).await?),
                    },
                    None => None,
                };
                let Some(owner_a) = owner_a else {
                    outcome.refused += 1;
                    continue;
                };
                let sm_a = match sm_a {
                    Some(None) => {
                        outcome.refused += 1;
                        continue;
                    }
                    Some(Some(a)) => Some(a),
                    None => None,
                };
                // Only newly chosen people must be within the actor's reach.
                let reach_ok = (owner.is_none() || may_assign_to(actor, &owner_a))
                    && (service_manager.is_none()
                        || sm_a.as_ref().is_none_or(|a| may_assign_to(actor, a)));
                if !reach_ok || check_assignment(scope.level, &owner_a, sm_a.as_ref()).is_err() {
                    outcome.refused += 1;
                    continue;
                }
                sqlx::query(
                    "UPDATE customers SET owner_id = $1, service_manager_id = $2, team_id = $3, updated_at = $4 WHERE id = $5",
                )
                .bind(owner_id.0)
                .bind(sm_id.map(|s| s.0))
                .bind(owner_a.team_id.map(|t| t.0))
                .bind(now())
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
                if owner_id != scope.owner_id {
                    audit(
                        &mut tx,
                        actor,
                        id,
                        "owner_id",
                        Some(scope.owner_id.to_string()),
                        Some(owner_id.to_string()),
                    )
                    .await?;
                }
                if sm_id != scope.service_manager_id {
                    audit(
                        &mut tx,
                        actor,
                        id,
                        "service_manager_id",
                        scope.service_manager_id.map(|s| s.to_string()),
                        sm_id.map(|s| s.to_string()),
                    )
                    .await?;
                }
            }
        }
        outcome.changed += 1;
    }
    tx.commit().await?;
    Ok(outcome)
}

async fn audit(
    conn: &mut sqlx::AnyConnection,
    actor: &CurrentUser,
    id: CustomerId,
    field: &str,
    before: Option<String>,
    after: Option<String>,
) -> AppResult<()> {
    record(
        conn,
        Some(actor.id),
        Change::new("customer", id.0, "bulk_update")
            .on_field(field)
            .values(before, after),
    )
    .await
}
