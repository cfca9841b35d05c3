//! `GET /lifecycle/export.csv?as_of=YYYY-MM-DD` (default today): each customer's lifecycle
//! stage on that day, for the customers the signed-in user may see (columns of PRODUCT.md
//! §10); signed in by the session cookie.

use crate::error::AppError;
use crate::imports::upload::cookie_user;
use crate::lifecycle::service;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use std::collections::HashMap;

pub async fn export_lifecycle_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let result = async {
        let user = cookie_user(&state, &headers).await?;
        let as_of = match query
            .get("as_of")
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
        {
            Some(a) => crate::dates::iso_date(service::parse_day(a, "as_of")?),
            None => crate::dates::iso_date(service::today()),
        };
        let body = service::export_csv(&state.db, &user, &as_of).await?;
        Ok::<_, AppError>((as_of, body))
    }
    .await;
    match result {
        Ok((as_of, body)) => {
            let disposition = format!("attachment; filename=\"lifecycle-{as_of}.csv\"");
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
        Err(e) => {
            let status = match e {
                AppError::Unauthorized => StatusCode::UNAUTHORIZED,
                AppError::Forbidden => StatusCode::FORBIDDEN,
                AppError::Validation(_) => StatusCode::BAD_REQUEST,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            (status, axum::Json(e)).into_response()
        }
    }
}
