use crate::error::AppError;
use crate::ids::CustomerId;
use crate::timeline::model::{TimelinePage, TimelineQuery};
use leptos::prelude::*;

#[server(endpoint = "timeline/page")]
pub async fn customer_timeline(
    customer: CustomerId,
    query: TimelineQuery,
) -> Result<TimelinePage, AppError> {
    use crate::auth::session::require_user;
    use crate::state::app_state;
    let user = require_user().await?;
    crate::timeline::service::page(&app_state()?.db, &user, customer, &query).await
}
