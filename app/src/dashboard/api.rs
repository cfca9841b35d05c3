use crate::dashboard::model::Summary;
use crate::error::AppError;
use leptos::prelude::*;

#[server(endpoint = "dashboard/summary")]
pub async fn dashboard_summary() -> Result<Summary, AppError> {
    let user = crate::auth::session::require_user().await?;
    crate::dashboard::service::summary(&crate::state::app_state()?.db, &user).await
}
