use crate::error::AppError;
use crate::saved_views::model::SavedView;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    auth::session::require_user,
    saved_views::{model::ViewDraft, service},
    state::app_state,
};

#[server(endpoint = "views/list")]
pub async fn list_views() -> Result<Vec<SavedView>, AppError> {
    let user = require_user().await?;
    service::list_views(&app_state()?.db, &user).await
}

/// `shared` is a checkbox: present (any value) means shared. Opens the saved view, which
/// says it was saved.
#[server(endpoint = "views/save")]
pub async fn save_view(
    name: String,
    query: String,
    shared: Option<String>,
) -> Result<i64, AppError> {
    let user = require_user().await?;
    let draft = ViewDraft::parse(&name, &query, shared.is_some_and(|s| !s.is_empty()))?;
    let saved = draft.saved_url();
    let id = service::save_view(&app_state()?.db, &user, draft).await?;
    leptos_axum::redirect(&saved);
    Ok(id)
}

#[server(endpoint = "views/delete")]
pub async fn delete_view(id: i64) -> Result<(), AppError> {
    let user = require_user().await?;
    service::delete_view(&app_state()?.db, &user, id).await
}
