//! `GET /lifecycle/export.csv?as_of=YYYY-MM-DD` (default today): each customer's lifecycle
//! stage on that day, for the customers the signed-in user may see (columns of PRODUCT.md
//! §10); signed in by the session cookie.

use crate::error::AppError;
use crate::lifecycle::service;
use crate::state::cookie_user;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::response::Response;
use http::HeaderMap;
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
    let (as_of, body) = match result {
        Ok((as_of, body)) => (as_of, Ok(body)),
        Err(e) => (String::new(), Err(e)),
    };
    crate::exports::http::csv_download(&format!("lifecycle-{as_of}.csv"), body)
}
