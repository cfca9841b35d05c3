//! Reusable pieces of the staff interface.

use crate::error::AppError;
use crate::i18n::{t, use_i18n, Key};
use leptos::prelude::*;

pub mod islands;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="page narrow">
            <h1>{t(Key::NotFoundTitle)}</h1>
            <p>{t(Key::NotFoundBody)}</p>
            <a href="/">{t(Key::BackHome)}</a>
        </section>
    }
}

/// A page-level error message, translated.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    let i18n = use_i18n();
    let key = error.message_key();
    view! { <p class="notice error" role="alert">{move || i18n.t(key)}</p> }
}

/// The validation message under one form field, if the last submission had one.
pub fn field_error(
    result: impl Fn() -> Option<AppError> + Send + Sync + 'static,
    field: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        result()
            .and_then(|e| e.field_error(field))
            .map(|k| view! { <span class="field-error" role="alert">{i18n.t(k)}</span> })
    }
}

/// One whole-number field of a settings page: its form name, the field its errors name,
/// label, current value, range, and test id.
pub fn number_setting(
    form_name: String,
    field: &'static str,
    label: Key,
    value: String,
    (min, max): (i64, i64),
    result: Signal<Option<AppError>>,
    testid: String,
) -> impl IntoView {
    view! {
        <label>
            {t(label)}
            <input type="number" name=form_name value=value min=min max=max required=true data-testid=testid />
            {field_error(move || result.get(), field)}
        </label>
    }
}

/// Unix seconds as `YYYY-MM-DD HH:MM` (UTC).
pub fn format_time(ts: i64) -> String {
    crate::dates::date_and_time(ts, ' ')
}

/// Unix seconds as `YYYY-MM-DD HH:MM` on the user's clock.
pub fn format_local_time(ts: i64) -> String {
    format_time(ts + crate::dates::user_offset_minutes() * 60)
}

/// What every page does in the browser once the bundle has loaded: register the service
/// worker that keeps the app shell for offline use, remember the browser's UTC offset for
/// the server's dates, and mark the page as ready for end-to-end tests.
#[cfg(feature = "hydrate")]
pub fn start_in_browser() {
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().service_worker().register("/sw.js");
        crate::dates::remember_browser_offset();
        if let Some(body) = window.document().and_then(|d| d.body()) {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_match_the_calendar() {
        assert_eq!(format_time(0), "1970-01-01 00:00");
        assert_eq!(format_time(951_782_400), "2000-02-29 00:00");
        assert_eq!(format_time(1_795_000_000), "2026-11-18 11:06");
        assert_eq!(crate::dates::civil_from_days(-1), (1969, 12, 31));
        assert_eq!(crate::dates::civil_from_days(20_758), (2026, 11, 1));
    }
}
