//! `GET /rfm/export.csv?as_of=YYYY-MM-DD&window=DAYS`: the RFM rows of the customers the
//! signed-in user may see (columns of PRODUCT.md §10); signed in by the session cookie.

use crate::error::AppError;
use crate::rfm::service;
use crate::state::cookie_user;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::response::Response;
use http::HeaderMap;
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
    let (as_of, body) = match result {
        Ok((as_of, body)) => (as_of, Ok(body)),
        Err(e) => (String::new(), Err(e)),
    };
    crate::exports::http::csv_download(&format!("rfm-{as_of}.csv"), body)
}
