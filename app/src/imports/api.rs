use crate::error::AppError;
use crate::imports::model::{ImportKind, JobStatus, UploadPreview};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::auth::permissions::may_import;
    pub use crate::auth::session::require_user;
    pub use crate::imports::jobs;
    pub use crate::imports::model::ImportOptions;
    pub use crate::imports::service::run_import;
    pub use crate::state::app_state;
}

/// The mapping step of a file the user staged: its headers, first rows and the suggested
/// mapping.
#[server(endpoint = "imports/preview")]
pub async fn staged_preview(
    upload_id: String,
    kind: ImportKind,
) -> Result<UploadPreview, AppError> {
    use ssr::*;
    let user = require_user().await?;
    if !may_import(&user) {
        return Err(AppError::Forbidden);
    }
    let bytes = jobs::staged(&app_state()?.db, user.id, &upload_id).await?;
    Ok(crate::imports::csv::preview(kind, &bytes)?.staged_as(upload_id))
}

/// Starts importing a staged upload with the chosen mapping; answers the job id, and
/// sends a form post to the page that shows the job's progress.
#[server(endpoint = "imports/start")]
pub async fn start_import(
    upload_id: String,
    kind: ImportKind,
    mapping: Vec<String>,
) -> Result<String, AppError> {
    use ssr::*;
    let user = require_user().await?;
    if !may_import(&user) {
        return Err(AppError::Forbidden);
    }
    let db = app_state()?.db;
    let (job, bytes) = jobs::start_job(&db, user.id, &upload_id).await?;
    let job_id = job.clone();
    tokio::spawn(jobs::heartbeat(db.clone(), job.clone()));
    tokio::spawn(async move {
        let options = ImportOptions {
            default_owner: Some(user.id),
            audit_actor: Some(user.id),
            fail_after_rows: None,
        };
        let progress = |phase, processed, total| jobs::progress(&job, phase, processed, total);
        let result = run_import(&db, &user, kind, &bytes, &mapping, &options, &progress).await;
        jobs::finish(&db, &job, result).await;
    });
    leptos_axum::redirect(&format!("/import?job={job_id}"));
    Ok(job_id)
}

#[server(endpoint = "imports/status")]
pub async fn import_status(job: String) -> Result<JobStatus, AppError> {
    use ssr::*;
    let user = require_user().await?;
    jobs::status(&app_state()?.db, user.id, &job).await
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use leptos::server_fn::codec::{FromReq, PostUrl};

    /// The mapping form names its selects `mapping[0]`, `mapping[1]`, …: they must arrive
    /// in column order, past ten columns too, empty ones ("ignore") kept.
    #[tokio::test]
    async fn the_mapping_form_arrives_in_column_order() {
        let mut body = String::from("upload_id=u1&kind=Orders");
        for i in 0..12 {
            let field = if i == 3 {
                String::new()
            } else {
                format!("f{i}")
            };
            body.push_str(&format!("&mapping%5B{i}%5D={field}"));
        }
        let request = http::Request::builder()
            .method("POST")
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(axum::body::Body::from(body))
            .unwrap();
        let args: StartImport = <StartImport as FromReq<PostUrl, _, AppError>>::from_req(request)
            .await
            .unwrap();
        assert_eq!(args.kind, ImportKind::Orders);
        assert_eq!(args.mapping.len(), 12);
        assert_eq!(args.mapping[3], "");
        assert_eq!(args.mapping[10], "f10");
        assert_eq!(args.mapping[11], "f11");
        assert_eq!(args.mapping[2], "f2");
    }
}
