//! Uploaded files waiting for their mapping, and import jobs with their progress, kept in
//! the database so that any app server can start an upload staged on another and show a
//! job that another runs. Both are forgotten after [`KEEP_FOR_SECS`]. An interrupted job
//! has written nothing (the service's all-or-nothing rule) and is reported as interrupted.
//!
//! Bounds: [`MAX_STAGED_PER_USER`] uploads and [`MAX_RUNNING_PER_USER`] running imports per
//! user, [`MAX_STAGED_BYTES`] staged in all.
//!
//! Progress: the server running a job counts in memory and, on PostgreSQL, copies the
//! count into the job's row every [`HEARTBEAT_SECS`] (the heartbeat), so other servers see
//! it; a row whose heartbeat stopped for [`STALE_AFTER_SECS`] belongs to a server that
//! died. SQLite is one server by construction, and its write lock would hold the copy back
//! until the import commits, so there the running server answers from memory and a job it
//! does not hold is one a restart interrupted.

use crate::db::{now, Db, Engine, Row};
use crate::error::{AppError, AppResult};
use crate::i18n::Key;
use crate::ids::UserId;
use crate::imports::model::{refusal_key, ImportReport, JobPhase, JobStatus};
use rand::RngCore;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

pub const KEEP_FOR_SECS: i64 = 30 * 60;
pub const MAX_STAGED_PER_USER: i64 = 3;
pub const MAX_RUNNING_PER_USER: usize = 2;
pub const MAX_STAGED_BYTES: i64 = 200 * 1024 * 1024;

/// How much may be staged: per user, and in bytes over all users.
#[derive(Debug, Clone, Copy)]
pub struct StagingLimits {
    pub per_user: i64,
    pub total_bytes: i64,
}

impl StagingLimits {
    pub const DEFAULT: StagingLimits = StagingLimits {
        per_user: MAX_STAGED_PER_USER,
        total_bytes: MAX_STAGED_BYTES,
    };
}
pub const HEARTBEAT_SECS: u64 = 2;
pub const STALE_AFTER_SECS: i64 = 60;

/// 128 random bits: ids others cannot guess.
fn new_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn phase_code(p: JobPhase) -> &'static str {
    match p {
        JobPhase::Validating => "validating",
        JobPhase::Writing => "writing",
        JobPhase::Done => "done",
        JobPhase::Failed => "failed",
    }
}

fn parse_phase(s: &str) -> JobPhase {
    match s {
        "validating" => JobPhase::Validating,
        "writing" => JobPhase::Writing,
        "done" => JobPhase::Done,
        _ => JobPhase::Failed,
    }
}

fn terminal(p: JobPhase) -> bool {
    matches!(p, JobPhase::Done | JobPhase::Failed)
}

/// The live progress of the jobs this process runs (small, and only while they run).
fn live() -> &'static Mutex<HashMap<String, JobStatus>> {
    static LIVE: OnceLock<Mutex<HashMap<String, JobStatus>>> = OnceLock::new();
    LIVE.get_or_init(Default::default)
}

fn live_status(id: &str) -> Option<JobStatus> {
    live()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(id)
        .cloned()
}

/// Takes the table's write lock on PostgreSQL so that a bound is checked and kept in one
/// step by concurrent requests (SQLite's `BEGIN IMMEDIATE` holds it already).
async fn lock_table(db: &Db, conn: &mut sqlx::AnyConnection, table: &str) -> AppResult<()> {
    if db.engine == Engine::Postgres {
        sqlx::query(&format!("LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE"))
            .execute(conn)
            .await?;
    }
    Ok(())
}

async fn sweep(conn: &mut sqlx::AnyConnection) -> AppResult<()> {
    let cutoff = now() - KEEP_FOR_SECS;
    sqlx::query("DELETE FROM import_uploads WHERE created_at < $1")
        .bind(cutoff)
        .execute(&mut *conn)
        .await?;
    // Finished jobs are kept for their page to read; unfinished ones for a day at most.
    sqlx::query(
        "DELETE FROM import_jobs WHERE (phase IN ('done', 'failed') AND heartbeat_at < $1) OR created_at < $2",
    )
    .bind(cutoff)
    .bind(now() - 86_400)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Stages an uploaded file for its owner; refused (`RateLimited`, with the bound named)
/// when the owner has [`MAX_STAGED_PER_USER`] waiting or the staged total would pass
/// [`MAX_STAGED_BYTES`].
pub async fn stage(db: &Db, owner: UserId, content: &[u8]) -> AppResult<String> {
    stage_within(db, owner, content, StagingLimits::DEFAULT).await
}

/// [`stage`] with other bounds.
pub async fn stage_within(
    db: &Db,
    owner: UserId,
    content: &[u8],
    limits: StagingLimits,
) -> AppResult<String> {
    let size = i64::try_from(content.len()).map_err(|_| AppError::Internal)?;
    let mut tx = db.begin_write().await?;
    lock_table(db, &mut tx, "import_uploads").await?;
    sweep(&mut tx).await?;
    let row = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS mine FROM import_uploads WHERE owner_id = $1",
    )
    .bind(owner.0)
    .fetch_one(&mut *tx)
    .await?;
    let mine: i64 = row.try_get("mine")?;
    if mine >= limits.per_user {
        return Err(AppError::field("file", Key::ErrImportTooManyStaged));
    }
    let total: i64 = sqlx::query(
        "SELECT CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) AS total FROM import_uploads",
    )
    .fetch_one(&mut *tx)
    .await?
    .try_get("total")?;
    if total + size > limits.total_bytes {
        return Err(AppError::field("file", Key::ErrImportStagingFull));
    }
    let id = new_id();
    sqlx::query(
        "INSERT INTO import_uploads (id, owner_id, size_bytes, content, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(owner.0)
    .bind(size)
    .bind(content.to_vec())
    .bind(now())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A staged file's content, for its owner only (others get `NotFound`), while it is kept.
pub async fn staged(db: &Db, owner: UserId, upload_id: &str) -> AppResult<Vec<u8>> {
    let row = sqlx::query(
        "SELECT content FROM import_uploads WHERE id = $1 AND owner_id = $2 AND created_at >= $3",
    )
    .bind(upload_id)
    .bind(owner.0)
    .bind(now() - KEEP_FOR_SECS)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(row.try_get("content")?)
}

/// Starts an import of a staged file: claims the file (its owner's only, once; others get
/// `NotFound`) and opens a job for it, refused while [`MAX_RUNNING_PER_USER`] of the
/// owner's imports still run. One transaction: a refusal changes nothing.
pub async fn start_job(db: &Db, owner: UserId, upload_id: &str) -> AppResult<(String, Vec<u8>)> {
    let mut tx = db.begin_write().await?;
    lock_table(db, &mut tx, "import_jobs").await?;
    let row = sqlx::query(
        "SELECT content FROM import_uploads WHERE id = $1 AND owner_id = $2 AND created_at >= $3",
    )
    .bind(upload_id)
    .bind(owner.0)
    .bind(now() - KEEP_FOR_SECS)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let content: Vec<u8> = row.try_get("content")?;
    let rows = sqlx::query(
        "SELECT id, heartbeat_at FROM import_jobs WHERE owner_id = $1 AND phase NOT IN ('done', 'failed')",
    )
    .bind(owner.0)
    .fetch_all(&mut *tx)
    .await?;
    let mut running = 0;
    for r in &rows {
        let id: String = r.try_get("id")?;
        if still_running(db.engine, &id, r.try_get("heartbeat_at")?) {
            running += 1;
        }
    }
    if running >= MAX_RUNNING_PER_USER {
        return Err(AppError::field("file", Key::ErrImportTooManyRunning));
    }
    let claimed = sqlx::query("DELETE FROM import_uploads WHERE id = $1")
        .bind(upload_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if claimed != 1 {
        // Claimed by a concurrent start.
        return Err(AppError::NotFound);
    }
    sweep(&mut tx).await?;
    let id = new_id();
    let t = now();
    sqlx::query(
        "INSERT INTO import_jobs (id, owner_id, phase, processed, total, created_at, heartbeat_at) \
         VALUES ($1, $2, 'validating', 0, 0, $3, $3)",
    )
    .bind(&id)
    .bind(owner.0)
    .bind(t)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    live().lock().unwrap_or_else(|e| e.into_inner()).insert(
        id.clone(),
        JobStatus {
            phase: JobPhase::Validating,
            processed: 0,
            total: 0,
            report: None,
            error: None,
        },
    );
    Ok((id, content))
}

/// Whether an unfinished job still has a server behind it.
fn still_running(engine: Engine, id: &str, heartbeat_at: i64) -> bool {
    live_status(id).is_some()
        || (engine == Engine::Postgres && now() - heartbeat_at < STALE_AFTER_SECS)
}

/// Records progress of a job this process runs (cheap: memory only).
pub fn progress(id: &str, phase: JobPhase, processed: u64, total: u64) {
    // Only [`finish`] ends a job: it is not done before its outcome is stored.
    if terminal(phase) {
        return;
    }
    if let Some(s) = live().lock().unwrap_or_else(|e| e.into_inner()).get_mut(id) {
        s.phase = phase;
        s.processed = processed;
        s.total = total;
    }
}

/// Copies the live progress of a running job into its row until it finishes (PostgreSQL;
/// see the module documentation).
pub async fn heartbeat(db: Db, id: String) {
    if db.engine != Engine::Postgres {
        return;
    }
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(HEARTBEAT_SECS));
    loop {
        tick.tick().await;
        let Some(s) = live_status(&id) else { return };
        let result = sqlx::query(
            "UPDATE import_jobs SET phase = $1, processed = $2, total = $3, heartbeat_at = $4 \
             WHERE id = $5 AND phase NOT IN ('done', 'failed')",
        )
        .bind(phase_code(s.phase))
        .bind(i64::try_from(s.processed).unwrap_or(i64::MAX))
        .bind(i64::try_from(s.total).unwrap_or(i64::MAX))
        .bind(now())
        .bind(&id)
        .execute(&db.pool)
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "cannot record import progress");
        }
    }
}

/// Stores a job's outcome; retried a few times, since the page waits for it.
pub async fn finish(db: &Db, id: &str, result: AppResult<ImportReport>) {
    let (phase, processed, report, error) = match &result {
        Ok(r) => (
            JobPhase::Done,
            r.total_rows,
            serde_json::to_string(r).ok(),
            None,
        ),
        Err(e) => (
            JobPhase::Failed,
            0,
            None,
            serde_json::to_string(&refusal_key(e)).ok(),
        ),
    };
    for attempt in 0..5 {
        let stored = sqlx::query(
            "UPDATE import_jobs SET phase = $1, processed = $2, total = CASE WHEN $2 > total THEN $2 ELSE total END, \
             report_json = $3, error = $4, heartbeat_at = $5 WHERE id = $6",
        )
        .bind(phase_code(phase))
        .bind(i64::try_from(processed).unwrap_or(i64::MAX))
        .bind(report.clone())
        .bind(error.clone())
        .bind(now())
        .bind(id)
        .execute(&db.pool)
        .await;
        match stored {
            Ok(_) => break,
            Err(e) => {
                tracing::error!(error = %e, attempt, "cannot store an import's outcome");
                tokio::time::sleep(std::time::Duration::from_millis(200 << attempt)).await;
            }
        }
    }
    live().lock().unwrap_or_else(|e| e.into_inner()).remove(id);
}

/// The job's state, for its owner only; others get `NotFound`.
pub async fn status(db: &Db, owner: UserId, id: &str) -> AppResult<JobStatus> {
    let row = sqlx::query(
        "SELECT phase, processed, total, report_json, error, heartbeat_at FROM import_jobs \
         WHERE id = $1 AND owner_id = $2",
    )
    .bind(id)
    .bind(owner.0)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let phase = parse_phase(&row.try_get::<String, _>("phase")?);
    if !terminal(phase) {
        if let Some(here) = live_status(id) {
            return Ok(here);
        }
        if !still_running(db.engine, id, row.try_get("heartbeat_at")?) {
            return Ok(JobStatus {
                phase: JobPhase::Failed,
                processed: 0,
                total: 0,
                report: None,
                error: Some(Key::ErrImportInterrupted),
            });
        }
    }
    let count =
        |c: &str| -> AppResult<u64> { Ok(u64::try_from(row.try_get::<i64, _>(c)?).unwrap_or(0)) };
    let report = row
        .try_get::<Option<String>, _>("report_json")?
        .and_then(|j| serde_json::from_str::<ImportReport>(&j).ok());
    let error = row
        .try_get::<Option<String>, _>("error")?
        .map(|code| serde_json::from_str::<Key>(&code).unwrap_or(Key::ErrInternal));
    Ok(JobStatus {
        phase,
        processed: count("processed")?,
        total: count("total")?,
        report,
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_are_stored_by_name() {
        for p in [
            JobPhase::Validating,
            JobPhase::Writing,
            JobPhase::Done,
            JobPhase::Failed,
        ] {
            assert_eq!(parse_phase(phase_code(p)), p);
        }
        assert!(terminal(JobPhase::Done) && terminal(JobPhase::Failed));
        assert!(!terminal(JobPhase::Writing));
    }
}
