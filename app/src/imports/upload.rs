//! `POST /api/imports?kind=…`: the raw CSV file as the request body. Staged in memory for
//! the signed-in user; the answer is the preview the mapping step shows.

use crate::auth::permissions::may_import;
use crate::auth::session::cookie_user;
use crate::error::AppError;
use crate::imports::csv::preview;
use crate::imports::model::{ImportKind, UploadPreview, MAX_UPLOAD_BYTES};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
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
                .any(|e| e.message == crate::i18n::Key::ErrImportFileTooLarge) =>
        {
            StatusCode::PAYLOAD_TOO_LARGE
        }
        AppError::Validation(errors)
            if errors.iter().any(|e| {
                matches!(
                    e.message,
                    crate::i18n::Key::ErrImportTooManyStaged
                        | crate::i18n::Key::ErrImportStagingFull
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
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let user = match cookie_user(&state, &headers).await {
        Ok(u) => u,
        Err(e) => return error_response(e),
    };
    if !may_import(&user) {
        return error_response(AppError::Forbidden);
    }
    let Some(kind) = query.get("kind").and_then(|k| ImportKind::parse(k)) else {
        return error_response(AppError::field("kind", crate::i18n::Key::ErrInvalidChoice));
    };
    // Too large (or cut off): refused as a whole, nothing staged.
    let Ok(body) = body else {
        return error_response(AppError::field(
            "file",
            crate::i18n::Key::ErrImportFileTooLarge,
        ));
    };
    let preview = match preview(kind, &body) {
        Ok(p) => p,
        Err(e) => return error_response(e),
    };
    let upload_id = match crate::imports::jobs::stage(&state.db, user.id, &body).await {
        Ok(id) => id,
        Err(e) => return error_response(e),
    };
    Json(UploadPreview {
        upload_id,
        headers: preview.headers,
        rows: preview.rows,
        mapping: preview.mapping,
        read_as_gb18030: preview.read_as_gb18030,
    })
    .into_response()
}
