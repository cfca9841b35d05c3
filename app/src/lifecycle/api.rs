//! The lifecycle page's server functions: thin wrappers over `lifecycle::service`.

use crate::error::AppError;
use crate::ids::CustomerId;
use crate::lifecycle::model::{CustomerStage, LifecyclePageData};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::auth::session::require_user;
    pub use crate::lifecycle::service;
    pub use crate::state::app_state;
}

/// The page, with the flows of `from`–`to` (empty: the last 30 days).
#[server(endpoint = "lifecycle/page")]
pub async fn lifecycle_page(from: String, to: String) -> Result<LifecyclePageData, AppError> {
    use ssr::*;
    let user = require_user().await?;
    let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let (from, to) = (opt(&from), opt(&to));
    service::page_data(&app_state()?.db, &user, from.as_deref(), to.as_deref()).await
}

/// The lifecycle page's query parameter saying the thresholds were saved.
pub const SAVED_PARAM: &str = "saved";

/// Saves the thresholds (admins) and rebuilds the stage history; the lifecycle page then
/// says so.
#[server(endpoint = "lifecycle/thresholds")]
pub async fn save_lifecycle_thresholds(
    new_days: String,
    active_days: String,
    churn_days: String,
) -> Result<(), AppError> {
    use ssr::*;
    let user = require_user().await?;
    if !crate::auth::permissions::may_configure_lifecycle(&user) {
        return Err(AppError::Forbidden);
    }
    let t = crate::lifecycle::model::Thresholds::parse_form(&new_days, &active_days, &churn_days)?;
    service::save_thresholds(&app_state()?.db, &user, &t).await?;
    leptos_axum::redirect(&format!("/lifecycle?{SAVED_PARAM}=1"));
    Ok(())
}

#[server(endpoint = "lifecycle/customer")]
pub async fn load_customer_stage(customer: CustomerId) -> Result<CustomerStage, AppError> {
    use ssr::*;
    let user = require_user().await?;
    service::customer_stage(&app_state()?.db, &user, customer).await
}
