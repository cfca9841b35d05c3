use crate::error::AppError;
use crate::ids::{CustomerId, OrderId};
use crate::orders::model::OrderInput;
use leptos::prelude::*;

#[server(endpoint = "orders/add")]
pub async fn add_order(customer: CustomerId, input: OrderInput) -> Result<OrderId, AppError> {
    use crate::auth::session::require_user;
    use crate::state::app_state;
    let user = require_user().await?;
    let today = crate::dates::local_day(crate::db::now(), crate::dates::user_offset_minutes());
    let draft = crate::orders::model::OrderDraft::parse(&input, today)?;
    crate::orders::service::add(&app_state()?.db, &user, customer, &draft).await
}

#[server(endpoint = "orders/delete")]
pub async fn delete_order(id: OrderId) -> Result<(), AppError> {
    use crate::auth::session::require_user;
    use crate::state::app_state;
    let user = require_user().await?;
    crate::orders::service::delete(&app_state()?.db, &user, id).await
}
