//! `GET /rfm/export.csv?as_of=YYYY-MM-DD&window=DAYS`: the RFM rows of the customers the
//! signed-in user may see (columns of PRODUCT.md §10); signed in by the session cookie.

use crate::auth::session::cookie_user;
use crate::downloads::{as_of_param, dated_csv_download};
use crate::error::AppError;
use crate::rfm::{runs, service};
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
        let as_of = match as_of_param(&query) {
            Some(a) => runs::parse_as_of(a)?,
            None => crate::dates::iso_date(runs::today()),
        };
        let window = runs::parse_window(query.get("window").map(String::as_str).unwrap_or(""))?;
        let body = service::export_csv(&state.db, &user, &as_of, window).await?;
        Ok::<_, AppError>((as_of, body))
    };
    dated_csv_download("rfm", result.await)
}
