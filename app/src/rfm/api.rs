//! The RFM page's server functions: thin wrappers over `rfm::service`.

use crate::error::AppError;
use crate::ids::CustomerId;
use crate::rfm::model::{CellPage, CustomerRfm, RfmPageData, RunInfo};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::auth::session::require_user;
    pub use crate::rfm::{runs, service};
    pub use crate::state::app_state;
}

/// The page for a reference date and window (both empty: the current run). Empty
/// `window` with a date means all history; `window = "default"` keeps the current one.
#[server(endpoint = "rfm/page")]
pub async fn rfm_page(as_of: String, window: String) -> Result<RfmPageData, AppError> {
    use ssr::*;
    let user = require_user().await?;
    let as_of = Some(as_of.trim()).filter(|s| !s.is_empty());
    let window = match window.trim() {
        "default" => None,
        w => Some(runs::parse_window(w)?),
    };
    service::page_data(&app_state()?.db, &user, as_of, window).await
}

#[server(endpoint = "rfm/recompute")]
pub async fn rfm_recompute(as_of: String, window: String) -> Result<RunInfo, AppError> {
    use ssr::*;
    let user = require_user().await?;
    let window = runs::parse_window(&window)?;
    service::request_recompute(&app_state()?.db, &user, &as_of, window).await
}

#[server(endpoint = "rfm/cell")]
pub async fn rfm_cell(run: i64, r: u8, f: u8, after: Option<i64>) -> Result<CellPage, AppError> {
    use ssr::*;
    let user = require_user().await?;
    service::cell_members(&app_state()?.db, &user, run, r, f, after).await
}

#[server(endpoint = "rfm/customer")]
pub async fn load_customer_rfm(customer: CustomerId) -> Result<CustomerRfm, AppError> {
    use ssr::*;
    let user = require_user().await?;
    service::customer_rfm(&app_state()?.db, &user, customer).await
}
