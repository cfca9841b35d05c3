//! A customer's contacts: added and removed by those who may change the customer.

use crate::audit::service::{record, Change};
use crate::auth::permissions::CustomerAction;
use crate::auth::scope::{authorize, scope_of};
use crate::auth::CurrentUser;
use crate::customers::model::*;
use crate::db::{now, Db, Row};
use crate::error::{AppError, AppResult};
use crate::ids::{ContactId, CustomerId};

pub async fn add_contact(
    db: &Db,
    actor: &CurrentUser,
    id: CustomerId,
    draft: ContactDraft,
) -> AppResult<ContactId> {
    let mut tx = db.begin_write().await?;
    authorize(actor, CustomerAction::Update, scope_of(&mut tx, id).await?)?;
    let existing: i64 = sqlx::query("SELECT COUNT(*) AS n FROM contacts WHERE customer_id = $1")
        .bind(id.0)
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
    // The first contact is primary; a new primary replaces the old one.
    let primary = draft.is_primary || existing == 0;
    if primary {
        sqlx::query("UPDATE contacts SET is_primary = 0 WHERE customer_id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
    }
    let contact: i64 = sqlx::query(
        "INSERT INTO contacts (customer_id, name, title, email, phone, is_primary, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(id.0)
    .bind(&draft.name)
    .bind(&draft.title)
    .bind(&draft.email)
    .bind(&draft.phone)
    .bind(if primary { 1i64 } else { 0 })
    .bind(now())
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    record(
        &mut tx,
        Some(actor.id),
        Change::new("customer", id.0, "add_contact")
            .on_field("contacts")
            .values(None, Some(draft.name)),
    )
    .await?;
    tx.commit().await?;
    Ok(ContactId(contact))
}

pub async fn remove_contact(db: &Db, actor: &CurrentUser, contact: ContactId) -> AppResult<()> {
    let mut tx = db.begin_write().await?;
    let row = sqlx::query("SELECT customer_id, name FROM contacts WHERE id = $1")
        .bind(contact.0)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound)?;
    let customer = CustomerId(row.try_get("customer_id")?);
    let name: String = row.try_get("name")?;
    authorize(
        actor,
        CustomerAction::Update,
        scope_of(&mut tx, customer).await?,
    )?;
    sqlx::query("DELETE FROM contacts WHERE id = $1")
        .bind(contact.0)
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        Some(actor.id),
        Change::new("customer", customer.0, "remove_contact")
            .on_field("contacts")
            .values(Some(name), None),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
