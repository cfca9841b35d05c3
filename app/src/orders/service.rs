use crate::audit::service::{record, Change};
use crate::auth::permissions::{may, may_log_work, CustomerAction};
use crate::auth::scope::visible_scope;
use crate::auth::CurrentUser;
use crate::db::{now, Db, Row};
use crate::error::{AppError, AppResult};
use crate::format::format_cents;
use crate::ids::{CustomerId, OrderId};
use crate::orders::model::OrderDraft;

/// Adds an order to the customer's purchase history.
pub async fn add(
    db: &Db,
    actor: &CurrentUser,
    customer: CustomerId,
    d: &OrderDraft,
) -> AppResult<OrderId> {
    let mut tx = db.begin_write().await?;
    let scope = visible_scope(&mut tx, actor, customer).await?;
    if !may_log_work(actor, &scope) {
        return Err(AppError::Forbidden);
    }
    let id: i64 = sqlx::query(
        "INSERT INTO orders (customer_id, external_id, order_date, ordered_at, amount_cents, currency, product, category, channel, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(customer.0)
    .bind(&d.external_id)
    .bind(d.iso_date())
    .bind(d.day * 86_400)
    .bind(d.amount_cents)
    .bind(&d.currency)
    .bind(&d.product)
    .bind(&d.category)
    .bind(&d.channel)
    .bind(now())
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    crate::db::derived::orders_changed(&mut tx, &[customer.0]).await?;
    tx.commit().await?;
    Ok(OrderId(id))
}

/// Removes a mistaken order. Purchase history feeds scores and tiers, so this is a tier
/// decision, and it is audited on the customer.
pub async fn delete(db: &Db, actor: &CurrentUser, id: OrderId) -> AppResult<()> {
    let mut tx = db.begin_write().await?;
    let row = sqlx::query(
        "SELECT customer_id, order_date, amount_cents, currency FROM orders WHERE id = $1",
    )
    .bind(id.0)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let customer = CustomerId(row.try_get("customer_id")?);
    let scope = visible_scope(&mut tx, actor, customer).await?;
    if !may(actor, CustomerAction::ChangeTier, &scope) {
        return Err(AppError::Forbidden);
    }
    sqlx::query("DELETE FROM orders WHERE id = $1")
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    crate::db::derived::orders_changed(&mut tx, &[customer.0]).await?;
    let date: String = row.try_get("order_date")?;
    let currency: String = row.try_get("currency")?;
    record(
        &mut tx,
        Some(actor.id),
        Change::new("customer", customer.0, "delete_order")
            .on_field("orders")
            .values(
                Some(format!(
                    "{date} {currency} {}",
                    format_cents(row.try_get("amount_cents")?)
                )),
                None,
            ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
