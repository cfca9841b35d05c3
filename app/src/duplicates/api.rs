use crate::duplicates::model::DuplicateReport;
use crate::error::AppError;
use crate::ids::CustomerId;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{auth::session::require_user, duplicates::service, state::app_state};

#[server(endpoint = "duplicates/list")]
pub async fn find_duplicates() -> Result<DuplicateReport, AppError> {
    let user = require_user().await?;
    service::find(&app_state()?.db, &user).await
}

/// Merges the pair `a`, `b`, keeping `keep` (one of the two).
#[server(endpoint = "duplicates/merge")]
pub async fn merge_customers(
    a: CustomerId,
    b: CustomerId,
    keep: CustomerId,
) -> Result<CustomerId, AppError> {
    let user = require_user().await?;
    let other = if keep == a {
        b
    } else if keep == b {
        a
    } else {
        return Err(AppError::field("keep", crate::i18n::Key::ErrInvalidChoice));
    };
    service::merge(&app_state()?.db, &user, keep, other).await?;
    leptos_axum::redirect(&format!("/customers/{keep}"));
    Ok(keep)
}
