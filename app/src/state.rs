//! Server-only: what every server function can reach through Leptos context, and small
//! accessors for the request and response. They return errors, never panic.

use crate::auth::service::{cookie_value, session_user, SESSION_COOKIE};
use crate::auth::CurrentUser;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use axum::extract::FromRef;
use http::header::{ACCEPT, COOKIE, SET_COOKIE};
use http::HeaderValue;
use leptos::config::LeptosOptions;
use leptos::prelude::use_context;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Mark cookies `Secure` (the app is served over https).
    pub secure_cookies: bool,
}

#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
    pub leptos_options: LeptosOptions,
    pub config: Arc<AppConfig>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

pub fn app_state() -> AppResult<AppState> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("application state missing from context");
        AppError::Internal
    })
}

fn request_parts() -> Option<http::request::Parts> {
    use_context::<http::request::Parts>()
}

/// A cookie of the current request.
pub fn request_cookie(name: &str) -> Option<String> {
    let parts = request_parts()?;
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|h| cookie_value(h, name).map(str::to_string))
}

/// The `Accept-Language` header of the current request.
pub fn request_accept_language() -> Option<String> {
    let parts = request_parts()?;
    parts
        .headers
        .get(http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The client address of the current request: the TCP peer, or what a trusted proxy says
/// it forwarded for (`RAPPORT_TRUSTED_PROXIES`). `unknown` where the server runs without
/// connection info (in-memory tests).
pub fn request_client_address() -> String {
    let Some(parts) = request_parts() else {
        return "unknown".into();
    };
    let Some(peer) = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
    else {
        return "unknown".into();
    };
    let forwarded = parts
        .headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    let trusted = crate::feedback::limits::trusted_proxies_from_env();
    crate::feedback::limits::client_address(peer, forwarded, &trusted).to_string()
}

/// True for a plain HTML form post (JavaScript off): the answer must be a page or redirect.
pub fn is_plain_form_post() -> bool {
    request_parts()
        .and_then(|p| p.headers.get(ACCEPT).cloned())
        .and_then(|v| v.to_str().ok().map(|s| s.contains("text/html")))
        .unwrap_or(false)
}

pub fn append_set_cookie(value: &str) {
    if let (Some(res), Ok(v)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        HeaderValue::from_str(value),
    ) {
        res.append_header(SET_COOKIE, v);
    }
}

/// The signed-in user of this request, if any.
pub async fn current_user() -> AppResult<Option<CurrentUser>> {
    let Some(token) = request_cookie(SESSION_COOKIE) else {
        return Ok(None);
    };
    let state = app_state()?;
    session_user(&state.db, &token).await
}

/// The signed-in user, or `Unauthorized`.
pub async fn require_user() -> AppResult<CurrentUser> {
    current_user().await?.ok_or(AppError::Unauthorized)
}
