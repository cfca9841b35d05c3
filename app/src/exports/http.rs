//! `GET /customers/export.csv`: the list's query parameters (q, level, grade, owner,
//! team, tag, sort) or `ids=1,2,3`; signed in by the session cookie.

use crate::customers::model::{CustomerFilter, ParsedFilter};
use crate::error::AppError;
use crate::exports::service::{export_customers, Selection};
use crate::state::cookie_user;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, HeaderValue};
use std::collections::HashMap;

pub async fn export_customers_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let day = &crate::ui::format_time(crate::db::now())[..10];
    csv_download(
        &format!("customers-{day}.csv"),
        export(&state, &headers, &query).await,
    )
}

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
    let get = |k: &str| query.get(k).cloned().unwrap_or_default();
    let filter = ParsedFilter::try_from(&CustomerFilter {
        q: get("q"),
        level: get("level"),
        grade: get("grade"),
        owner: get("owner"),
        team: get("team"),
        tag: get("tag"),
        kind: get("kind"),
        province: get("province"),
        city: get("city"),
        industry: get("industry"),
        source_channel: get("source_channel"),
        group: get("group"),
        overdue: get("overdue"),
        open_task: get("open_task"),
        // Custom-field conditions travel as encoded `cf.*` pairs, as in the list URL.
        custom: {
            let mut pairs: Vec<(&String, &String)> =
                query.iter().filter(|(k, _)| k.starts_with("cf.")).collect();
            pairs.sort();
            pairs
                .into_iter()
                .map(|(k, v)| {
                    format!(
                        "{}={}",
                        crate::customers::model::encode_component(k),
                        crate::customers::model::encode_component(v)
                    )
                })
                .collect::<Vec<_>>()
                .join("&")
        },
        segment: get("segment"),
        stage: get("stage"),
        sort: get("sort"),
        after: String::new(),
    })?;
    export_customers(&state.db, &user, Selection::Filter(&filter)).await
}
