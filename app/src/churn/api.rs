use crate::churn::model::{AtRiskPage, ChurnConfigInput, WarningView};
use crate::error::AppError;
use crate::ids::CustomerId;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::auth::session::require_user;
    pub use crate::churn::model::ChurnConfig;
    pub use crate::churn::service;
    pub use crate::state::app_state;
}

/// The at-risk page's query parameter saying what "Run now" did: [`RUN_STARTED`] or
/// [`RUN_BUSY`] (one was running already).
pub const RUN_PARAM: &str = "run";
pub const RUN_STARTED: &str = "started";
pub const RUN_BUSY: &str = "busy";
/// The at-risk page's query parameter saying the settings were saved.
pub const SAVED_PARAM: &str = "saved";

/// One page of the at-risk list; `after` is the cursor of the previous page (or empty).
#[server(endpoint = "churn/at-risk")]
pub async fn load_at_risk(after: String) -> Result<AtRiskPage, AppError> {
    use ssr::*;
    let user = require_user().await?;
    service::at_risk(&app_state()?.db, &user, Some(&after)).await
}

/// The customer's open churn warning, if any.
#[server(endpoint = "churn/customer")]
pub async fn customer_churn_warning(customer: CustomerId) -> Result<Option<WarningView>, AppError> {
    use ssr::*;
    let user = require_user().await?;
    service::customer_warning(&app_state()?.db, &user, customer).await
}

/// Starts the scan in the background; `false` when one is already running. The at-risk
/// page shows which.
#[server(endpoint = "churn/run")]
pub async fn run_churn_scan_now() -> Result<bool, AppError> {
    use ssr::*;
    let user = require_user().await?;
    let started = service::start_scan(&app_state()?.db, &user).await?;
    let what = if started { RUN_STARTED } else { RUN_BUSY };
    leptos_axum::redirect(&format!("/at-risk?{RUN_PARAM}={what}"));
    Ok(started)
}

#[server(endpoint = "churn/settings")]
pub async fn save_churn_settings(input: ChurnConfigInput) -> Result<(), AppError> {
    use ssr::*;
    let user = require_user().await?;
    if !crate::auth::permissions::may_configure_churn(&user) {
        return Err(AppError::Forbidden);
    }
    let cfg = ChurnConfig::parse(&input)?;
    service::save_config(&app_state()?.db, &user, &cfg).await?;
    leptos_axum::redirect(&format!("/at-risk?{SAVED_PARAM}=1"));
    Ok(())
}
