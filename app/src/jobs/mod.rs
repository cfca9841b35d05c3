//! Exclusive background jobs. When several server instances share one database, a job
//! (say the nightly churn scan) must run on only one of them at a time. Each job name has
//! one row in `job_leases`; a runner takes it with a single atomic upsert that succeeds
//! only when nobody holds it or the holder's lease has expired, renews it while the job
//! runs, and gives it back at the end. A crashed holder stops renewing, so its lease
//! expires and the next runner takes over. The same statement works on SQLite (≥ 3.35)
//! and PostgreSQL. Every run is recorded in `job_runs` (the latest [`RUNS_KEPT`] per job).

use crate::db::{now, Db, Row};
use crate::error::{AppError, AppResult};
use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

/// Runs kept per job name in `job_runs`.
pub const RUNS_KEPT: i64 = 100;

/// One lease holder: a server instance (or, in tests, a simulated one).
#[derive(Debug, Clone)]
pub struct JobRunner {
    holder: String,
}

impl Default for JobRunner {
    fn default() -> Self {
        Self::new()
    }
}

impl JobRunner {
    /// A runner with a fresh random holder id.
    pub fn new() -> Self {
        use rand::Rng;
        let mut bytes = [0u8; 12];
        rand::rng().fill(&mut bytes);
        JobRunner {
            holder: hex::encode(bytes),
        }
    }

    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Takes the lease of `name` for `ttl` if it is free or expired. `true` when taken.
    pub async fn acquire(&self, db: &Db, name: &str, ttl: Duration) -> AppResult<bool> {
        let t = now();
        let row = sqlx::query(
            "INSERT INTO job_leases (name, holder, acquired_at, expires_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, acquired_at = excluded.acquired_at, \
             expires_at = excluded.expires_at WHERE job_leases.expires_at < $5 RETURNING holder",
        )
        .bind(name)
        .bind(&self.holder)
        .bind(t)
        .bind(t + ttl_secs(ttl))
        .bind(t)
        .fetch_optional(&db.pool)
        .await?;
        Ok(match row {
            Some(r) => r.try_get::<String, _>("holder")? == self.holder,
            None => false,
        })
    }

    /// Extends our lease; `false` when it is no longer ours (it expired and was taken).
    pub async fn renew(&self, db: &Db, name: &str, ttl: Duration) -> AppResult<bool> {
        let done =
            sqlx::query("UPDATE job_leases SET expires_at = $1 WHERE name = $2 AND holder = $3")
                .bind(now() + ttl_secs(ttl))
                .bind(name)
                .bind(&self.holder)
                .execute(&db.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives the lease back so the next runner need not wait for it to expire.
    pub async fn release(&self, db: &Db, name: &str) -> AppResult<()> {
        sqlx::query("DELETE FROM job_leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(&self.holder)
            .execute(&db.pool)
            .await?;
        Ok(())
    }

    /// Runs `job` if this runner gets the lease of `name`; `Ok(None)` when another holder
    /// has it. The lease is renewed every third of `ttl` while the job runs; if it is lost
    /// anyway (the database was unreachable for longer than `ttl`), the job is stopped —
    /// dropped at its next await, which rolls back an open transaction — rather than run
    /// next to the new holder.
    pub async fn run_exclusive<T, F, Fut>(
        &self,
        db: &Db,
        name: &str,
        ttl: Duration,
        job: F,
    ) -> AppResult<Option<T>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = AppResult<T>>,
    {
        if !self.acquire(db, name, ttl).await? {
            return Ok(None);
        }
        let run_id = self.start_run(db, name).await;
        let fut = job();
        tokio::pin!(fut);
        let mut renew = tokio::time::interval((ttl / 3).max(Duration::from_millis(200)));
        renew.tick().await;
        let result = loop {
            tokio::select! {
                r = &mut fut => break r,
                _ = renew.tick() => {
                    match self.renew(db, name, ttl).await {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::warn!(job = name, "job lease lost; stopping the job");
                            break Err(AppError::Conflict("lease".into()));
                        }
                        Err(e) => tracing::warn!(job = name, error = %e, "job lease renewal failed"),
                    }
                }
            }
        };
        let (status, detail) = match &result {
            Ok(_) => ("done", None),
            Err(e) => ("failed", Some(e.to_string())),
        };
        if let Some(id) = run_id {
            self.finish_run(db, name, id, status, detail).await;
        }
        if let Err(e) = self.release(db, name).await {
            tracing::warn!(job = name, error = %e, "job lease release failed; it will expire");
        }
        result.map(Some)
    }

    async fn start_run(&self, db: &Db, name: &str) -> Option<i64> {
        let row = sqlx::query(
            "INSERT INTO job_runs (name, holder, started_at, status) VALUES ($1, $2, $3, 'running') \
             RETURNING id",
        )
        .bind(name)
        .bind(&self.holder)
        .bind(now())
        .fetch_one(&db.pool)
        .await;
        match row.and_then(|r| r.try_get::<i64, _>("id")) {
            Ok(id) => Some(id),
            Err(e) => {
                tracing::warn!(job = name, error = %e, "could not record the job run");
                None
            }
        }
    }

    async fn finish_run(&self, db: &Db, name: &str, id: i64, status: &str, detail: Option<String>) {
        let r = async {
            sqlx::query(
                "UPDATE job_runs SET finished_at = $1, status = $2, detail = $3 WHERE id = $4",
            )
            .bind(now())
            .bind(status)
            .bind(detail)
            .bind(id)
            .execute(&db.pool)
            .await?;
            sqlx::query(
                "DELETE FROM job_runs WHERE name = $1 AND id NOT IN \
                 (SELECT id FROM job_runs WHERE name = $2 ORDER BY id DESC LIMIT $3)",
            )
            .bind(name)
            .bind(name)
            .bind(RUNS_KEPT)
            .execute(&db.pool)
            .await?;
            Ok::<(), sqlx::Error>(())
        }
        .await;
        if let Err(e) = r {
            tracing::warn!(job = name, error = %e, "could not record the end of the job run");
        }
    }
}

fn ttl_secs(ttl: Duration) -> i64 {
    (ttl.as_secs() as i64).max(1)
}

/// This server instance's runner (one random holder id per process); its
/// [`JobRunner::run_exclusive`] answers `Ok(None)` when another instance (or another task
/// of this one) is running the job.
pub fn runner() -> &'static JobRunner {
    static RUNNER: OnceLock<JobRunner> = OnceLock::new();
    RUNNER.get_or_init(JobRunner::new)
}
