use crate::error::AppError;
use crate::feedback::model::{
    Analysis, AnalysisFilter, AnalysisOptions, FormSummary, FormView, LinkRequest, LinkView,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::auth::session::require_user;
    pub use crate::feedback::model::FormInput;
    pub use crate::feedback::{analysis, forms, links};
    pub use crate::state::app_state;
}

#[server(endpoint = "feedback/forms")]
pub async fn list_feedback_forms() -> Result<Vec<FormSummary>, AppError> {
    use ssr::*;
    let user = require_user().await?;
    forms::list_forms(&app_state()?.db, &user).await
}

#[server(endpoint = "feedback/form")]
pub async fn load_feedback_form(id: i64) -> Result<FormView, AppError> {
    use ssr::*;
    let user = require_user().await?;
    forms::get_form(&app_state()?.db, &user, id).await
}

/// Creates (`id` 0) or saves a form; returns its id. The definition travels as JSON (it
/// is a nested tree) and is checked here. The builder's form comes back to the saved
/// form, which says so after an edit.
#[server(endpoint = "feedback/save")]
pub async fn save_feedback_form(
    id: i64,
    slug: String,
    // An unticked box is not sent at all.
    #[server(default)] open: bool,
    definition_json: String,
) -> Result<i64, AppError> {
    use ssr::*;
    let user = require_user().await?;
    let definition = serde_json::from_str(&definition_json)
        .map_err(|_| AppError::field("questions", crate::i18n::Key::ErrInvalidChoice))?;
    let input = FormInput {
        slug,
        open,
        definition,
    };
    let saved = forms::save_form(&app_state()?.db, &user, (id > 0).then_some(id), &input).await?;
    leptos_axum::redirect(&if id > 0 {
        format!("/feedback/{saved}?saved=1")
    } else {
        format!("/feedback/{saved}")
    });
    Ok(saved)
}

/// Makes personal links; the form comes back to the form's page, which says how many.
#[server(endpoint = "feedback/links/create")]
pub async fn create_feedback_links(form_id: i64, request: LinkRequest) -> Result<usize, AppError> {
    use ssr::*;
    let user = require_user().await?;
    let made = links::create_links(&app_state()?.db, &user, form_id, &request).await?;
    leptos_axum::redirect(&format!(
        "/feedback/{form_id}?links_created={made}#fb-links"
    ));
    Ok(made)
}

#[server(endpoint = "feedback/links")]
pub async fn list_feedback_links(form_id: i64) -> Result<Vec<LinkView>, AppError> {
    use ssr::*;
    let user = require_user().await?;
    links::list_links(&app_state()?.db, &user, form_id).await
}

/// A QR code (SVG) of a form link; see [`crate::feedback::links::qr_svg`].
#[server(endpoint = "feedback/qr")]
pub async fn feedback_link_qr(url: String) -> Result<String, AppError> {
    use ssr::*;
    require_user().await?;
    links::qr_svg(&url)
}

#[server(endpoint = "feedback/analysis")]
pub async fn load_feedback_analysis(filter: AnalysisFilter) -> Result<Analysis, AppError> {
    use ssr::*;
    let user = require_user().await?;
    analysis::analysis(&app_state()?.db, &user, &filter).await
}

#[server(endpoint = "feedback/analysis-options")]
pub async fn load_feedback_analysis_options() -> Result<AnalysisOptions, AppError> {
    use ssr::*;
    let user = require_user().await?;
    analysis::analysis_options(&app_state()?.db, &user).await
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use leptos::server_fn::codec::{FromReq, PostUrl};

    async fn save_form(body: &str) -> SaveFeedbackForm {
        let request = http::Request::builder()
            .method("POST")
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(axum::body::Body::from(body.to_string()))
            .unwrap();
        <SaveFeedbackForm as FromReq<PostUrl, _, AppError>>::from_req(request)
            .await
            .unwrap()
    }

    /// The builder's form as the browser sends it: the open box only when ticked.
    #[tokio::test]
    async fn the_builder_form_is_the_save_arguments() {
        let closed = save_form("id=0&slug=care&definition_json=%7B%7D").await;
        assert!(!closed.open);
        assert_eq!(closed.slug, "care");
        assert_eq!(closed.definition_json, "{}");
        let open = save_form("id=3&slug=care&open=true&definition_json=%7B%7D").await;
        assert!(open.open);
        assert_eq!(open.id, 3);
    }
}
