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

/// Saves a new segment (`id` 0) or the actor's own; answers the segment's id. The
/// builder's form comes back to the saved segment, which says so after an edit.
#[server(endpoint = "segments/save")]
pub async fn save_segment(id: i64, input: SegmentInput) -> Result<i64, AppError> {
    use ssr::*;
    let user = require_user().await?;
    let draft = SegmentDraft::parse(&input)?;
    let saved = service::save(&app_state()?.db, &user, (id > 0).then_some(id), draft).await?;
    leptos_axum::redirect(&if id > 0 {
        format!("/segments/{saved}?saved=1")
    } else {
        format!("/segments/{saved}")
    });
    Ok(saved)
}

#[server(endpoint = "segments/delete")]
pub async fn delete_segment(id: i64) -> Result<(), AppError> {
    use ssr::*;
    let user = require_user().await?;
    service::delete(&app_state()?.db, &user, id).await?;
    leptos_axum::redirect("/segments");
    Ok(())
}

/// One task per member, for its owner, due at the given local date and time. The form
/// comes back to the segment, which shows the outcome.
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
    let outcome = service::create_task_batch(&app_state()?.db, &user, id, &title, due_at).await?;
    leptos_axum::redirect(&format!(
        "/segments/{id}?tasks_created={}&tasks_refused={}",
        outcome.created, outcome.refused
    ));
    Ok(outcome)
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use leptos::server_fn::codec::{FromReq, PostUrl};

    async fn save_form(body: &str) -> SaveSegment {
        let request = http::Request::builder()
            .method("POST")
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(axum::body::Body::from(body.to_string()))
            .unwrap();
        <SaveSegment as FromReq<PostUrl, _, AppError>>::from_req(request)
            .await
            .unwrap()
    }

    /// The builder's form as the browser sends it: the share box only when ticked.
    #[tokio::test]
    async fn the_builder_form_is_the_save_arguments() {
        let rule = "%7B%22version%22%3A1%7D";
        let unshared = save_form(&format!(
            "id=0&input%5Bname%5D=South&input%5Bdescription%5D=&input%5Brule_json%5D={rule}"
        ))
        .await;
        assert_eq!(unshared.id, 0);
        assert_eq!(unshared.input.name, "South");
        assert!(!unshared.input.shared);
        assert_eq!(unshared.input.rule_json, r#"{"version":1}"#);
        let shared = save_form(&format!(
            "id=4&input%5Bname%5D=South&input%5Bdescription%5D=d&input%5Bshared%5D=true&input%5Brule_json%5D={rule}"
        ))
        .await;
        assert!(shared.input.shared);
        assert_eq!(shared.id, 4);
    }
}
