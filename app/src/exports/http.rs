//! `GET /customers/export.csv`: the list's query parameters (q, level, grade, owner,
//! team, tag, sort) or `ids=1,2,3`; signed in by the session cookie.

use crate::auth::session::cookie_user;
use crate::customers::filter::{CustomerFilter, ParsedFilter};
use crate::downloads::csv_download;
use crate::error::AppError;
use crate::exports::service::{export_customers, Selection};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::response::Response;
use http::HeaderMap;
use std::collections::HashMap;

pub async fn export_customers_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let day = crate::dates::iso_date(crate::db::now().div_euclid(86_400));
    csv_download(
        &format!("customers-{day}.csv"),
        export(&state, &headers, &query).await,
    )
}

async fn export(
    state: &AppState,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> Result<String, AppError> {
    let user = cookie_user(state, headers).await?;
    if let Some(ids) = query.get("ids") {
        let ids = ids
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().parse::<i64>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| AppError::field("ids", crate::i18n::Key::ErrInvalidChoice))?;
        return export_customers(&state.db, &user, Selection::Ids(&ids)).await;
    }
    let filter = CustomerFilter {
        // An export is every page of the list.
        after: String::new(),
        ..CustomerFilter::from_params(
            |k| query.get(k).cloned().unwrap_or_default(),
            query.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        )
    };
    let filter = ParsedFilter::try_from(&filter)?;
    export_customers(&state.db, &user, Selection::Filter(&filter)).await
}
