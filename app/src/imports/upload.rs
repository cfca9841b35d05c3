//! `POST /api/imports`: a CSV file to stage for the signed-in user. Two ways in:
//! - the import page's form (`multipart/form-data` with `kind` and `file`), answered with a
//!   redirect to the page's next step: the column mapping of the staged file, or the page
//!   saying why the file was refused;
//! - the raw file as the request body with `?kind=…`, answered with the preview as JSON.

use crate::auth::permissions::may_import;
use crate::auth::session::cookie_user;
use crate::error::AppError;
use crate::i18n::Key;
use crate::imports::csv::preview;
use crate::imports::model::{refusal_key, ImportKind, UploadPreview, MAX_UPLOAD_BYTES};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Query, Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use http::{HeaderMap, StatusCode};
use std::collections::HashMap;

/// The body limit of the upload route: the file plus a little room.
pub const UPLOAD_BODY_LIMIT: usize = MAX_UPLOAD_BYTES + 64 * 1024;

fn error_response(err: AppError) -> Response {
    let status = match &err {
        AppError::Validation(errors)
            if errors
                .iter()
                .any(|e| e.message == Key::ErrImportFileTooLarge) =>
        {
            StatusCode::PAYLOAD_TOO_LARGE
        }
        AppError::Validation(errors)
            if errors.iter().any(|e| {
                matches!(
                    e.message,
                    Key::ErrImportTooManyStaged | Key::ErrImportStagingFull
                )
            }) =>
        {
            StatusCode::TOO_MANY_REQUESTS
        }
        other => other.http_status(),
    };
    (status, Json(err)).into_response()
}

pub async fn upload_file(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    request: Request,
) -> Response {
    let is_form = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if is_form {
        let form = Multipart::from_request(request, &state).await.ok();
        return upload_form(&state, &headers, form).await;
    }
    let kind = query.get("kind").and_then(|k| ImportKind::parse(k));
    // Too large (or cut off): refused as a whole, nothing staged.
    let body = Bytes::from_request(request, &state).await.ok();
    match stage_file(&state, &headers, kind, body).await {
        Ok(preview) => Json(preview).into_response(),
        Err(e) => error_response(e),
    }
}

/// The import page's form: stages the file and sends the browser to the next step.
async fn upload_form(state: &AppState, headers: &HeaderMap, form: Option<Multipart>) -> Response {
    let mut kind = None;
    let mut file = None;
    let mut chosen = false;
    if let Some(mut form) = form {
        // A body cut off by the size limit ends the loop with the file missing.
        while let Ok(Some(field)) = form.next_field().await {
            match field.name() {
                Some("kind") => kind = field.text().await.ok().and_then(|k| ImportKind::parse(&k)),
                Some("file") => {
                    // Browsers send an empty, nameless part when no file was chosen.
                    chosen = field.file_name().is_some_and(|n| !n.is_empty());
                    file = field.bytes().await.ok();
                }
                _ => {}
            }
        }
    }
    let outcome = if chosen || file.is_none() {
        stage_file(state, headers, kind, file).await
    } else {
        Err(AppError::field("file", Key::ImportChooseFile))
    };
    let kind_param = kind
        .map(|k| format!("kind={}&", k.as_str()))
        .unwrap_or_default();
    let next = match outcome {
        Ok(preview) => format!("/import?{kind_param}upload={}", preview.upload_id),
        Err(e) => format!("/import?{kind_param}refused={}", refusal_key(&e).name()),
    };
    Redirect::to(&next).into_response()
}

/// Checks the user, the kind and the file, and stages the file: the mapping step's
/// preview. A missing `file` was too large (or cut off): refused as a whole.
async fn stage_file(
    state: &AppState,
    headers: &HeaderMap,
    kind: Option<ImportKind>,
    file: Option<Bytes>,
) -> Result<UploadPreview, AppError> {
    let user = cookie_user(state, headers).await?;
    if !may_import(&user) {
        return Err(AppError::Forbidden);
    }
    let kind = kind.ok_or_else(|| AppError::field("kind", Key::ErrInvalidChoice))?;
    let body = file.ok_or_else(|| AppError::field("file", Key::ErrImportFileTooLarge))?;
    let preview = preview(kind, &body)?;
    let upload_id = crate::imports::jobs::stage(&state.db, user.id, &body).await?;
    Ok(preview.staged_as(upload_id))
}
