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
/// is a nested tree) and is checked here.
#[server(endpoint = "feedback/save")]
pub async fn save_feedback_form(
    id: i64,
    slug: String,
    open: bool,
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
    let id = (id > 0).then_some(id);
    forms::save_form(&app_state()?.db, &user, id, &input).await
}

#[server(endpoint = "feedback/links/create")]
pub async fn create_feedback_links(form_id: i64, request: LinkRequest) -> Result<usize, AppError> {
    use ssr::*;
    let user = require_user().await?;
    links::create_links(&app_state()?.db, &user, form_id, &request).await
}

#[server(endpoint = "feedback/links")]
pub async fn list_feedback_links(form_id: i64) -> Result<Vec<LinkView>, AppError> {
    use ssr::*;
    let user = require_user().await?;
    links::list_links(&app_state()?.db, &user, form_id).await
}

/// A QR code (SVG) of a form link. Only the module pattern is drawn; the text is not
/// embedded, so the SVG is safe to insert into the page.
#[server(endpoint = "feedback/qr")]
pub async fn feedback_link_qr(url: String) -> Result<String, AppError> {
    use ssr::*;
    require_user().await?;
    if url.len() > 1_000 {
        return Err(AppError::field("url", crate::i18n::Key::ErrTooLong));
    }
    let code = qrcode::QrCode::new(url.as_bytes()).map_err(|_| AppError::Internal)?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(180, 180)
        .build())
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
