//! Server-only: the answer of the plain CSV download routes (customers, lifecycle, RFM,
//! feedback answers): the file with its name and headers, or the error as JSON.

use crate::error::AppError;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue};
use std::collections::HashMap;

/// A CSV download named `filename`, or the error as JSON with its status (the message
/// stays a code: database text never reaches the browser).
pub fn csv_download(filename: &str, result: Result<String, AppError>) -> Response {
    match result {
        Ok(body) => {
            let disposition = format!("attachment; filename=\"{filename}\"");
            let mut res = body.into_response();
            let h = res.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            if let Ok(v) = HeaderValue::from_str(&disposition) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(e) => (e.http_status(), axum::Json(e)).into_response(),
    }
}

/// The trimmed `as_of` parameter of a dated export, when given.
pub fn as_of_param(query: &HashMap<String, String>) -> Option<&str> {
    query
        .get("as_of")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
}

/// A dated export (`<prefix>-<as_of>.csv`) from its date and body, or the error.
pub fn dated_csv_download(prefix: &str, result: Result<(String, String), AppError>) -> Response {
    match result {
        Ok((as_of, body)) => csv_download(&format!("{prefix}-{as_of}.csv"), Ok(body)),
        Err(e) => csv_download(&format!("{prefix}.csv"), Err(e)),
    }
}
