use crate::audit::model::AuditPage;
use crate::error::AppError;
use leptos::prelude::*;

/// The audit log, newest first; `customer` narrows it to one customer.
#[server(endpoint = "audit/list")]
pub async fn list_audit(customer: Option<i64>, before: Option<i64>) -> Result<AuditPage, AppError> {
    let user = crate::auth::session::require_user().await?;
    let state = crate::state::app_state()?;
    crate::audit::service::list(
        &state.db,
        &user,
        customer.map(|id| ("customer", id)),
        before,
    )
    .await
}
