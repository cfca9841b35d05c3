//! `GET /rfm/export.csv?as_of=YYYY-MM-DD&window=DAYS`: the RFM rows of the customers the
//! signed-in user may see (columns of PRODUCT.md §10); signed in by the session cookie.

use crate::error::AppError;
use crate::imports::upload::cookie_user;
use crate::rfm::service;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use std::collections::HashMap;

pub async fn export_rfm_csv(
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
            Some(a) => service::parse_as_of(a)?,
            None => crate::dates::iso_date(service::today()),
        };
        let window = service::parse_window(query.get("window").map(String::as_str).unwrap_or(""))?;
        let body = service::export_csv(&state.db, &user, &as_of, window).await?;
        Ok::<_, AppError>((as_of, body))
    }
    .await;
    match result {
        Ok((as_of, body)) => {
            let disposition = format!("attachment; filename=\"rfm-{as_of}.csv\"");
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
