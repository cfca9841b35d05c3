//! Group commit for answers. Every answer must be on disk before the visitor is thanked,
//! and a disk flush per answer would cap throughput at the disk's flush rate. One task
//! takes whatever answers are waiting, stores them in one transaction with one flush, and
//! then acknowledges each.

use super::answers::{store_batch, Stored, Submission};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use tokio::sync::{mpsc, oneshot};

/// Answers stored per commit at most.
const MAX_BATCH: usize = 256;
/// Answers waiting at most; beyond it visitors are asked to retry (never silently lost).
const QUEUE_CAPACITY: usize = 8_192;

type Job = (Submission, oneshot::Sender<AppResult<Stored>>);

#[derive(Clone, Debug)]
pub struct Writer {
    queue: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writing task on the current Tokio runtime.
    pub fn spawn(db: Db) -> Writer {
        let (queue, rx) = mpsc::channel(QUEUE_CAPACITY);
        tokio::spawn(run(db, rx));
        Writer { queue }
    }

    /// Stores one answer; returns once it is durable (or refused).
    pub async fn submit(&self, sub: Submission) -> AppResult<Stored> {
        let (done, wait) = oneshot::channel();
        self.queue.try_send((sub, done)).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => AppError::RateLimited,
            mpsc::error::TrySendError::Closed(_) => {
                tracing::error!("the answer writer has stopped");
                AppError::Internal
            }
        })?;
        wait.await.map_err(|_| AppError::Internal)?
    }
}

async fn run(db: Db, mut rx: mpsc::Receiver<Job>) {
    let mut jobs: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.recv().await {
        jobs.push(first);
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let (subs, replies): (Vec<Submission>, Vec<oneshot::Sender<AppResult<Stored>>>) =
            jobs.drain(..).unzip();
        // Stored on its own task: a panic fails this batch's answers (the visitors are
        // told to retry) instead of ending the writer.
        let batch_db = db.clone();
        let results = match tokio::spawn(async move { store_batch(&batch_db, &subs).await }).await {
            Ok(results) => results,
            Err(e) => {
                tracing::error!(error = %e, "storing a batch of answers failed");
                replies.iter().map(|_| Err(AppError::Internal)).collect()
            }
        };
        for (reply, result) in replies.into_iter().zip(results) {
            let _ = reply.send(result);
        }
    }
}
