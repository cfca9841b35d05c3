use crate::activities::model::{ActivityInput, Logged};
use crate::error::AppError;
use crate::ids::CustomerId;
use leptos::prelude::*;

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
    crate::activities::service::log(&app_state()?.db, &user, customer, &draft).await
}
