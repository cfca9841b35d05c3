//! Server-only: what every server function can reach through Leptos context: the
//! database, the Leptos options and the deployment's configuration. The signed-in user is
//! `auth::session`.

use crate::db::Db;
use crate::error::{AppError, AppResult};
use axum::extract::FromRef;
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
