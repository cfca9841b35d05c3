use crate::error::AppError;
use crate::imports::model::{ImportKind, JobStatus};
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

/// Starts importing a staged upload with the chosen mapping; answers the job id.
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
    Ok(job_id)
}

#[server(endpoint = "imports/status")]
pub async fn import_status(job: String) -> Result<JobStatus, AppError> {
    use ssr::*;
    let user = require_user().await?;
    jobs::status(&app_state()?.db, user.id, &job).await
}
