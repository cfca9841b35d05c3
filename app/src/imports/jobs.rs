//! Uploaded files waiting for their mapping, and running imports, held in memory for
//! their user. Both are forgotten after [`KEEP_FOR`]; a restart forgets them too (an
//! interrupted import has written nothing, see the service's all-or-nothing rule).

use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::imports::model::{ImportReport, JobPhase, JobStatus};
use rand::RngCore;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

pub const KEEP_FOR: Duration = Duration::from_secs(30 * 60);

struct Upload {
    owner: UserId,
    bytes: Arc<Vec<u8>>,
    at: Instant,
}

struct Job {
    owner: UserId,
    status: JobStatus,
    at: Instant,
}

#[derive(Default)]
pub struct ImportRegistry {
    uploads: Mutex<HashMap<String, Upload>>,
    jobs: Mutex<HashMap<String, Job>>,
}

/// The process-wide registry.
pub fn registry() -> &'static ImportRegistry {
    static REGISTRY: OnceLock<ImportRegistry> = OnceLock::new();
    REGISTRY.get_or_init(ImportRegistry::default)
}

/// 128 random bits: ids others cannot guess.
fn new_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock leaves plain data behind; keep serving.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl ImportRegistry {
    fn sweep(&self) {
        lock(&self.uploads).retain(|_, u| u.at.elapsed() < KEEP_FOR);
        lock(&self.jobs).retain(|_, j| j.at.elapsed() < KEEP_FOR);
    }

    pub fn stage(&self, owner: UserId, bytes: Vec<u8>) -> String {
        self.sweep();
        let id = new_id();
        lock(&self.uploads).insert(
            id.clone(),
            Upload {
                owner,
                bytes: Arc::new(bytes),
                at: Instant::now(),
            },
        );
        id
    }

    /// The staged file, for its owner only; others get `NotFound`.
    pub fn upload(&self, owner: UserId, id: &str) -> AppResult<Arc<Vec<u8>>> {
        self.sweep();
        lock(&self.uploads)
            .get(id)
            .filter(|u| u.owner == owner)
            .map(|u| u.bytes.clone())
            .ok_or(AppError::NotFound)
    }

    pub fn forget_upload(&self, id: &str) {
        lock(&self.uploads).remove(id);
    }

    pub fn start_job(&self, owner: UserId, total: u64) -> String {
        let id = new_id();
        lock(&self.jobs).insert(
            id.clone(),
            Job {
                owner,
                status: JobStatus {
                    phase: JobPhase::Validating,
                    processed: 0,
                    total,
                    report: None,
                    error: None,
                },
                at: Instant::now(),
            },
        );
        id
    }

    pub fn progress(&self, id: &str, phase: JobPhase, processed: u64, total: u64) {
        if let Some(job) = lock(&self.jobs).get_mut(id) {
            job.status.phase = phase;
            job.status.processed = processed;
            job.status.total = total;
        }
    }

    pub fn finish(&self, id: &str, result: AppResult<ImportReport>) {
        if let Some(job) = lock(&self.jobs).get_mut(id) {
            match result {
                Ok(report) => {
                    job.status.phase = JobPhase::Done;
                    job.status.processed = report.total_rows;
                    job.status.report = Some(report);
                }
                Err(e) => {
                    job.status.phase = JobPhase::Failed;
                    job.status.error = Some(match &e {
                        AppError::Validation(errors) => {
                            errors.first().map(|f| f.message).unwrap_or(e.message_key())
                        }
                        _ => e.message_key(),
                    });
                }
            }
            job.at = Instant::now();
        }
    }

    /// The job's state, for its owner only; others get `NotFound`.
    pub fn status(&self, owner: UserId, id: &str) -> AppResult<JobStatus> {
        lock(&self.jobs)
            .get(id)
            .filter(|j| j.owner == owner)
            .map(|j| j.status.clone())
            .ok_or(AppError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_and_jobs_belong_to_their_user() {
        let r = ImportRegistry::default();
        let up = r.stage(UserId(1), b"a,b\n".to_vec());
        assert!(r.upload(UserId(1), &up).is_ok());
        assert_eq!(r.upload(UserId(2), &up), Err(AppError::NotFound));
        let job = r.start_job(UserId(1), 10);
        r.progress(&job, JobPhase::Writing, 5, 10);
        assert_eq!(r.status(UserId(1), &job).unwrap().percent(), 50);
        assert_eq!(r.status(UserId(2), &job), Err(AppError::NotFound));
        r.finish(&job, Ok(ImportReport::default()));
        assert_eq!(r.status(UserId(1), &job).unwrap().phase, JobPhase::Done);
    }
}
