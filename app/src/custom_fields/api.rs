use crate::custom_fields::model::{CustomField, FieldInput};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    auth::session::require_user,
    custom_fields::{model::FieldDraft, service},
    state::app_state,
};

/// The active fields, for forms and filters.
#[server(endpoint = "custom-fields/active")]
pub async fn list_active_fields() -> Result<Vec<CustomField>, AppError> {
    require_user().await?;
    service::active_fields(&app_state()?.db).await
}

#[server(endpoint = "custom-fields/all")]
pub async fn list_all_fields() -> Result<Vec<CustomField>, AppError> {
    let user = require_user().await?;
    service::all_fields(&app_state()?.db, &user).await
}

#[server(endpoint = "custom-fields/create")]
pub async fn create_field(input: FieldInput) -> Result<i64, AppError> {
    let user = require_user().await?;
    let draft = FieldDraft::try_from(&input)?;
    service::create_field(&app_state()?.db, &user, draft).await
}

#[server(endpoint = "custom-fields/rename")]
pub async fn rename_field(id: i64, label: String) -> Result<(), AppError> {
    let user = require_user().await?;
    service::rename_field(&app_state()?.db, &user, id, &label).await
}

/// `direction` is `up` or `down`.
#[server(endpoint = "custom-fields/move")]
pub async fn move_field(id: i64, direction: String) -> Result<(), AppError> {
    let user = require_user().await?;
    let up = match direction.as_str() {
        "up" => true,
        "down" => false,
        _ => {
            return Err(AppError::field(
                "direction",
                crate::i18n::Key::ErrInvalidChoice,
            ))
        }
    };
    service::move_field(&app_state()?.db, &user, id, up).await
}

#[server(endpoint = "custom-fields/set-active")]
pub async fn set_field_active(id: i64, active: bool) -> Result<(), AppError> {
    let user = require_user().await?;
    service::set_field_active(&app_state()?.db, &user, id, active).await
}
