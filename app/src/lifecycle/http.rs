//! `GET /lifecycle/export.csv?as_of=YYYY-MM-DD` (default today): each customer's lifecycle
//! stage on that day, for the customers the signed-in user may see (columns of PRODUCT.md
//! §10); signed in by the session cookie.

use crate::auth::session::cookie_user;
use crate::downloads::{as_of_param, dated_csv_download};
use crate::error::AppError;
use crate::lifecycle::service;
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
        let day = match as_of_param(&query) {
            Some(a) => service::parse_day(a, "as_of")?,
            None => service::today(),
        };
        let as_of = crate::dates::iso_date(day);
        let body = service::export_csv(&state.db, &user, &as_of).await?;
        Ok::<_, AppError>((as_of, body))
    };
    dated_csv_download("lifecycle", result.await)
}
