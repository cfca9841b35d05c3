//! Sign-in, sign-out, first-run setup and the language switch. Thin: parse, call the
//! service, map the error.

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::i18n::Lang;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::auth::service;
    pub use crate::auth::session::{current_user, request_session_token, require_user};
    pub use crate::i18n::LANG_COOKIE;
    pub use crate::request::{append_set_cookie, request_client_address};
    pub use crate::state::app_state;
}

/// The signed-in user, or `None`.
#[server(endpoint = "auth/me")]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    ssr::current_user().await
}

#[server(endpoint = "auth/login")]
pub async fn login(email: String, password: String) -> Result<CurrentUser, AppError> {
    use ssr::*;
    let state = app_state()?;
    let result =
        service::authenticate(&state.db, &email, &password, &request_client_address()).await;
    // A refusal comes back to the sign-in page as the form's error, with or without
    // JavaScript (a plain post is redirected back with the error in the address).
    let user = result?;
    // A fresh session id at every sign-in; any session the browser carried ends.
    if let Some(old) = request_session_token() {
        service::end_session(&state.db, &old).await?;
    }
    let token = service::create_session(&state.db, user.id).await?;
    append_set_cookie(&service::session_cookie(
        Some(&token),
        state.config.secure_cookies,
    ));
    append_set_cookie(&format!(
        "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
        user.language.code()
    ));
    leptos_axum::redirect("/");
    Ok(user)
}

#[server(endpoint = "auth/logout")]
pub async fn logout() -> Result<(), AppError> {
    use ssr::*;
    let state = app_state()?;
    if let Some(token) = request_session_token() {
        service::end_session(&state.db, &token).await?;
    }
    append_set_cookie(&service::session_cookie(None, state.config.secure_cookies));
    leptos_axum::redirect("/login");
    Ok(())
}

/// Ends every session of the signed-in user, this one included (a lost phone, a shared
/// computer).
#[server(endpoint = "auth/logout-everywhere")]
pub async fn logout_everywhere() -> Result<(), AppError> {
    use ssr::*;
    let state = app_state()?;
    let user = require_user().await?;
    service::end_all_sessions(&state.db, user.id).await?;
    append_set_cookie(&service::session_cookie(None, state.config.secure_cookies));
    leptos_axum::redirect("/login");
    Ok(())
}

/// True while the organisation has no users yet: the one-time setup page is open.
#[server(endpoint = "auth/needs-setup")]
pub async fn needs_setup() -> Result<bool, AppError> {
    let state = ssr::app_state()?;
    Ok(ssr::service::count_users(&state.db).await? == 0)
}

/// Switches the interface language: remembered in a cookie and, when signed in, on the user.
#[server(endpoint = "i18n/language")]
pub async fn set_language(lang: String) -> Result<Lang, AppError> {
    use ssr::*;
    let lang = Lang::parse(&lang)
        .ok_or_else(|| AppError::field("lang", crate::i18n::Key::ErrInvalidChoice))?;
    append_set_cookie(&format!(
        "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
        lang.code()
    ));
    if let Some(user) = current_user().await? {
        let state = app_state()?;
        service::set_own_language(&state.db, user.id, lang).await?;
    }
    Ok(lang)
}
