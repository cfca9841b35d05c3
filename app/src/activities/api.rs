use crate::activities::model::{ActivityInput, Logged};
use crate::error::AppError;
use crate::ids::CustomerId;
use leptos::prelude::*;

/// The customer page's query parameter that says what the last save logged, so the page
/// rendered after it can say so.
pub const LOGGED_PARAM: &str = "logged";
/// [`LOGGED_PARAM`] for an activity saved with its follow-up task.
pub const LOGGED_WITH_TASK: &str = "follow-up";
/// [`LOGGED_PARAM`] for an activity saved alone.
pub const LOGGED_ALONE: &str = "activity";

/// Logs the activity, then shows the customer page again, saying what was saved.
#[server(endpoint = "activities/log")]
pub async fn log_activity(customer: CustomerId, input: ActivityInput) -> Result<Logged, AppError> {
    use crate::activities::model::ActivityDraft;
    use crate::auth::session::require_user;
    use crate::state::app_state;
    let user = require_user().await?;
    let draft = ActivityDraft::parse(
        &input,
        crate::db::now(),
        crate::dates::user_offset_minutes(),
    )?;
    let logged = crate::activities::service::log(&app_state()?.db, &user, customer, &draft).await?;
    let what = if logged.task.is_some() {
        LOGGED_WITH_TASK
    } else {
        LOGGED_ALONE
    };
    leptos_axum::redirect(&format!("/customers/{customer}?{LOGGED_PARAM}={what}"));
    Ok(logged)
}
