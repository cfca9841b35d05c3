//! `GET /feedback/export.csv?form=ID&from=&to=&segment=&owner=&team=`: the answers of one
//! form under the analysis filters; signed in by the session cookie.

use crate::auth::session::cookie_user;
use crate::feedback::analysis;
use crate::feedback::model::AnalysisFilter;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::response::Response;
use http::HeaderMap;
use std::collections::HashMap;

fn id(query: &HashMap<String, String>, name: &str) -> Option<i64> {
    query.get(name).and_then(|v| v.trim().parse().ok())
}

pub async fn export_answers_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let filter = AnalysisFilter {
        form_id: id(&query, "form"),
        from: query.get("from").cloned().unwrap_or_default(),
        to: query.get("to").cloned().unwrap_or_default(),
        segment_id: id(&query, "segment"),
        owner_id: id(&query, "owner"),
        team_id: id(&query, "team"),
        search: String::new(),
    };
    let result = async {
        let user = cookie_user(&state, &headers).await?;
        analysis::export_csv(&state.db, &user, &filter).await
    }
    .await;
    crate::downloads::csv_download(
        &format!("feedback-{}.csv", filter.form_id.unwrap_or_default()),
        result,
    )
}
