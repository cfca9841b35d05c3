use crate::customers::filter::CustomerPage;
use crate::error::AppError;
use crate::segments::model::{
    BuilderOptions, Segment, SegmentInput, SegmentSummary, TaskBatchOutcome,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::auth::session::require_user;
    pub use crate::segments::model::{parse_rule_json, SegmentDraft};
    pub use crate::segments::service;
    pub use crate::state::app_state;
}

/// The live count of the builder: the rule travels as JSON and is validated here.
#[server(endpoint = "segments/count")]
pub async fn count_segment(rule_json: String) -> Result<i64, AppError> {
    use ssr::*;
    let user = require_user().await?;
    let db = &app_state()?.db;
    let rule = service::check(db, &parse_rule_json(&rule_json)?).await?;
    service::count(db, &user, &rule).await
}

#[server(endpoint = "segments/members")]
pub async fn segment_members(rule_json: String, after: String) -> Result<CustomerPage, AppError> {
    use ssr::*;
    let user = require_user().await?;
    let db = &app_state()?.db;
    let rule = service::check(db, &parse_rule_json(&rule_json)?).await?;
    let after = if after.is_empty() {
        None
    } else {
        Some(
            crate::customers::filter::Cursor::decode(&after)
                .ok_or_else(|| AppError::field("after", crate::i18n::Key::ErrInvalidChoice))?,
        )
    };
    service::members(db, &user, rule, after).await
}

#[server(endpoint = "segments/list")]
pub async fn list_segments() -> Result<Vec<SegmentSummary>, AppError> {
    use ssr::*;
    let user = require_user().await?;
    service::list(&app_state()?.db, &user).await
}

#[server(endpoint = "segments/get")]
pub async fn get_segment(id: i64) -> Result<Segment, AppError> {
    use ssr::*;
    let user = require_user().await?;
    service::get(&app_state()?.db, &user, id).await
}

#[server(endpoint = "segments/options")]
pub async fn segment_builder_options() -> Result<BuilderOptions, AppError> {
    use ssr::*;
    let user = require_user().await?;
    service::builder_options(&app_state()?.db, &user).await
}

/// Saves a new segment (`id` 0) or the actor's own; answers the segment's id.
#[server(endpoint = "segments/save")]
pub async fn save_segment(id: i64, input: SegmentInput) -> Result<i64, AppError> {
    use ssr::*;
    let user = require_user().await?;
    let draft = SegmentDraft::parse(&input)?;
    service::save(&app_state()?.db, &user, (id > 0).then_some(id), draft).await
}

#[server(endpoint = "segments/delete")]
pub async fn delete_segment(id: i64) -> Result<(), AppError> {
    use ssr::*;
    let user = require_user().await?;
    service::delete(&app_state()?.db, &user, id).await?;
    leptos_axum::redirect("/segments");
    Ok(())
}

/// One task per member, for its owner, due at the given local date and time.
#[server(endpoint = "segments/task-batch")]
pub async fn create_segment_task_batch(
    id: i64,
    title: String,
    due: String,
) -> Result<TaskBatchOutcome, AppError> {
    use ssr::*;
    let user = require_user().await?;
    let (title, due_at) = crate::segments::model::parse_task_batch(
        &title,
        &due,
        crate::dates::user_offset_minutes(),
    )?;
    service::create_task_batch(&app_state()?.db, &user, id, &title, due_at).await
}
