//! Server-only: the signed-in user of a request, read from the session cookie, for server
//! functions (through Leptos context) and for plain axum routes (uploads, CSV downloads).

use crate::auth::service::{session_token, session_user};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::request::request_parts;
use crate::state::{app_state, AppState};
use http::header::COOKIE;
use leptos::prelude::use_context;

/// The session token the request carries, under this deployment's cookie name.
pub fn request_session_token() -> Option<String> {
    let secure = use_context::<AppState>()?.config.secure_cookies;
    let parts = request_parts()?;
    let headers = parts.headers.get_all(COOKIE);
    session_token(headers.iter().filter_map(|v| v.to_str().ok()), secure).map(str::to_string)
}

/// The signed-in user of this request, if any.
pub async fn current_user() -> AppResult<Option<CurrentUser>> {
    let Some(token) = request_session_token() else {
        return Ok(None);
    };
    let state = app_state()?;
    session_user(&state.db, &token).await
}

/// The signed-in user, or `Unauthorized`.
pub async fn require_user() -> AppResult<CurrentUser> {
    current_user().await?.ok_or(AppError::Unauthorized)
}

/// The session's user, read from the cookie the same way the pages do: for plain axum
/// routes (uploads, CSV downloads) outside Leptos context.
pub async fn cookie_user(
    state: &AppState,
    headers: &http::HeaderMap,
) -> Result<CurrentUser, AppError> {
    let cookies = headers.get_all(http::header::COOKIE);
    let token = session_token(
        cookies.iter().filter_map(|v| v.to_str().ok()),
        state.config.secure_cookies,
    )
    .ok_or(AppError::Unauthorized)?;
    session_user(&state.db, token)
        .await?
        .ok_or(AppError::Unauthorized)
}
