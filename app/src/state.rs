//! Server-only: what every server function can reach through Leptos context, and small
//! accessors for the request and response. They return errors, never panic.

use crate::auth::service::{session_token, session_user};
use crate::auth::CurrentUser;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::request::request_parts;
use axum::extract::FromRef;
use http::header::COOKIE;
use leptos::config::LeptosOptions;
use leptos::prelude::use_context;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Mark cookies `Secure` and name the session cookie `__Host-…` (the app is served over
    /// https).
    pub secure_cookies: bool,
    /// `scheme://host[:port]` of `RAPPORT_PUBLIC_URL`, when set: state-changing requests
    /// must come from exactly this origin (the request's own `Host` can be forged by DNS
    /// rebinding).
    pub public_origin: Option<String>,
}

impl AppConfig {
    /// The configuration that follows from the public address the app is reached at.
    pub fn from_public_url(url: Option<&str>) -> AppConfig {
        let url = url.map(str::trim).filter(|u| !u.is_empty());
        let public_origin = url.and_then(|u| {
            let (scheme, rest) = u.split_once("://")?;
            let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
            (!authority.is_empty()).then(|| {
                format!(
                    "{}://{}",
                    scheme.to_ascii_lowercase(),
                    authority.to_ascii_lowercase()
                )
            })
        });
        AppConfig {
            secure_cookies: public_origin
                .as_deref()
                .is_some_and(|o| o.starts_with("https://")),
            public_origin,
        }
    }
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
