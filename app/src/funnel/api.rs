//! The funnel page's server functions: thin wrappers over `funnel::service`.

use crate::error::AppError;
use crate::funnel::model::{FilterOptions, Funnel, FunnelQuery};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::auth::session::require_user;
    pub use crate::funnel::model::FunnelFilter;
    pub use crate::funnel::service;
    pub use crate::state::app_state;
}

/// The funnel and cohort table for the filter as the URL carries it.
#[server(endpoint = "funnel/report")]
pub async fn funnel_report(query: FunnelQuery) -> Result<Funnel, AppError> {
    use ssr::*;
    let user = require_user().await?;
    let filter = FunnelFilter::parse(&query)?;
    service::report(&app_state()?.db, &user, &filter).await
}

/// The choices of the filter selects.
#[server(endpoint = "funnel/options")]
pub async fn funnel_options() -> Result<FilterOptions, AppError> {
    use ssr::*;
    let user = require_user().await?;
    service::options(&app_state()?.db, &user).await
}
