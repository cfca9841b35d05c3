use crate::complaints::model::{
    ComplaintDetail, ComplaintFilter, ComplaintInput, ComplaintPage, StatusChangeInput,
};
use crate::error::AppError;
use crate::ids::UserId;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::auth::session::require_user;
    pub use crate::complaints::service;
    pub use crate::state::app_state;
}

#[server(endpoint = "complaints/list")]
pub async fn list_complaints(filter: ComplaintFilter) -> Result<ComplaintPage, AppError> {
    use ssr::*;
    let user = require_user().await?;
    service::list(&app_state()?.db, &user, &filter).await
}

#[server(endpoint = "complaints/get")]
pub async fn load_complaint(id: i64) -> Result<ComplaintDetail, AppError> {
    use ssr::*;
    let user = require_user().await?;
    crate::feedback::answers::complaint_detail(&app_state()?.db, &user, id, user.language).await
}

/// The complaint page's query parameter saying the last step was saved.
pub const STEP_SAVED_PARAM: &str = "saved";

/// Opens the complaint, then shows it.
#[server(endpoint = "complaints/open")]
pub async fn open_complaint(input: ComplaintInput) -> Result<i64, AppError> {
    use ssr::*;
    let user = require_user().await?;
    let draft = service::parse_draft(&input)?;
    let id = service::create(&app_state()?.db, &user, draft).await?;
    leptos_axum::redirect(&format!("/complaints/{id}"));
    Ok(id)
}

/// Takes the next step; the complaint page then says it was saved.
#[server(endpoint = "complaints/status")]
pub async fn change_complaint_status(id: i64, input: StatusChangeInput) -> Result<(), AppError> {
    use ssr::*;
    let user = require_user().await?;
    service::change_status(&app_state()?.db, &user, id, &input).await?;
    leptos_axum::redirect(&format!("/complaints/{id}?{STEP_SAVED_PARAM}=1"));
    Ok(())
}

#[server(endpoint = "complaints/assignees")]
pub async fn complaint_assignees() -> Result<Vec<(UserId, String)>, AppError> {
    use ssr::*;
    let user = require_user().await?;
    service::assignees(&app_state()?.db, &user).await
}
