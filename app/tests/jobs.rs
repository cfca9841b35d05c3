//! Exclusive job leases: two runners (two server instances, each with its own pool) on ONE
//! database never run the same job at once; a held lease turns the other away; an expired
//! lease (a crashed holder) lets a new holder in; a long job keeps its lease by renewing.
//! On PostgreSQL (two pools on one schema) and on SQLite (two pools on one file).

mod support;

use app::db::{now, Db, Row};
use app::error::AppResult;
use app::jobs::JobRunner;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Counts jobs running at once and remembers whether two ever overlapped.
#[derive(Clone, Default)]
struct Probe {
    running: Arc<AtomicUsize>,
    overlapped: Arc<AtomicBool>,
    ran: Arc<AtomicUsize>,
}

impl Probe {
    async fn job(&self, length: Duration) -> AppResult<usize> {
        if self.running.fetch_add(1, Ordering::SeqCst) > 0 {
            self.overlapped.store(true, Ordering::SeqCst);
        }
        tokio::time::sleep(length).await;
        self.running.fetch_sub(1, Ordering::SeqCst);
        Ok(self.ran.fetch_add(1, Ordering::SeqCst) + 1)
    }
}

async fn two_runners_never_overlap(a: Db, b: Db) {
    let (r1, r2) = (JobRunner::new(), JobRunner::new());
    assert_ne!(r1.holder(), r2.holder());
    let probe = Probe::default();
    let ttl = Duration::from_secs(30);

    // Both start at the same moment, several times: exactly one runs each time.
    for round in 0..5 {
        let (p1, p2) = (probe.clone(), probe.clone());
        let (x, y) = tokio::join!(
            r1.run_exclusive(&a, "race", ttl, || async move {
                p1.job(Duration::from_millis(300)).await
            }),
            r2.run_exclusive(&b, "race", ttl, || async move {
                p2.job(Duration::from_millis(300)).await
            }),
        );
        let (x, y) = (x.unwrap(), y.unwrap());
        assert!(
            x.is_some() != y.is_some(),
            "round {round}: exactly one runner runs ({x:?}, {y:?})"
        );
    }
    assert!(!probe.overlapped.load(Ordering::SeqCst), "jobs overlapped");
    assert_eq!(probe.ran.load(Ordering::SeqCst), 5);

    // While the first holds the lease, the second is turned away (it returns None at
    // once, without waiting); after the release it runs.
    let p1 = probe.clone();
    let first = {
        let (r1, a) = (r1.clone(), a.clone());
        tokio::spawn(async move {
            r1.run_exclusive(&a, "held", ttl, || async move {
                p1.job(Duration::from_millis(1500)).await
            })
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(400)).await;
    let p2 = probe.clone();
    let started = std::time::Instant::now();
    let second = r2
        .run_exclusive(&b, "held", ttl, || async move {
            p2.job(Duration::from_millis(10)).await
        })
        .await
        .unwrap();
    assert_eq!(second, None, "the lease is held by the first runner");
    assert!(started.elapsed() < Duration::from_millis(1000));
    assert!(first.await.unwrap().unwrap().is_some());
    let p2 = probe.clone();
    let after = r2
        .run_exclusive(&b, "held", ttl, || async move {
            p2.job(Duration::from_millis(10)).await
        })
        .await
        .unwrap();
    assert!(after.is_some(), "released lease is free");
    assert!(!probe.overlapped.load(Ordering::SeqCst));

    // A crashed holder never releases: its unexpired lease keeps others out, its expired
    // lease lets a new holder in.
    sqlx::query(
        "INSERT INTO job_leases (name, holder, acquired_at, expires_at) VALUES ('crashed', 'gone', $1, $2)",
    )
    .bind(now() - 100)
    .bind(now() + 60)
    .execute(&a.pool)
    .await
    .unwrap();
    let p = probe.clone();
    let blocked = r1
        .run_exclusive(
            &a,
            "crashed",
            ttl,
            || async move { p.job(Duration::ZERO).await },
        )
        .await
        .unwrap();
    assert_eq!(blocked, None);
    sqlx::query("UPDATE job_leases SET expires_at = $1 WHERE name = 'crashed'")
        .bind(now() - 1)
        .execute(&a.pool)
        .await
        .unwrap();
    let p = probe.clone();
    let taken = r2
        .run_exclusive(
            &b,
            "crashed",
            ttl,
            || async move { p.job(Duration::ZERO).await },
        )
        .await
        .unwrap();
    assert!(taken.is_some(), "an expired lease is taken over");

    // A job longer than its lease keeps it by renewing: the other runner stays out.
    let short = Duration::from_secs(2);
    let p1 = probe.clone();
    let long = {
        let (r1, a) = (r1.clone(), a.clone());
        tokio::spawn(async move {
            r1.run_exclusive(&a, "long", short, || async move {
                p1.job(Duration::from_millis(4500)).await
            })
            .await
        })
    };
    for wait in [2500u64, 1000] {
        tokio::time::sleep(Duration::from_millis(wait)).await;
        let p2 = probe.clone();
        let r = r2
            .run_exclusive(
                &b,
                "long",
                short,
                || async move { p2.job(Duration::ZERO).await },
            )
            .await
            .unwrap();
        assert_eq!(r, None, "the renewed lease is still held after {wait} ms");
    }
    assert!(long.await.unwrap().unwrap().is_some());
    assert!(!probe.overlapped.load(Ordering::SeqCst));

    // Every run is on record, finished.
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, CAST(SUM(CASE WHEN status = 'done' AND finished_at IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS done \
         FROM job_runs",
    )
    .fetch_one(&a.pool)
    .await
    .unwrap();
    let (n, done): (i64, i64) = (row.try_get("n").unwrap(), row.try_get("done").unwrap());
    assert_eq!(n, probe.ran.load(Ordering::SeqCst) as i64);
    assert_eq!(done, n);
    let leases: i64 = sqlx::query("SELECT COUNT(*) AS n FROM job_leases")
        .fetch_one(&a.pool)
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
    assert_eq!(leases, 0, "every finished run released its lease");
}

#[tokio::test]
async fn two_runners_on_one_postgres_database_never_both_run() {
    let (a, schema) = support::postgres_db().await;
    let b = Db::connect(&support::postgres_schema_url(&schema))
        .await
        .expect("second pool");
    two_runners_never_overlap(a.clone(), b.clone()).await;
    a.pool.close().await;
    b.pool.close().await;
    support::drop_schema(&schema).await;
}

#[tokio::test]
async fn two_runners_on_one_sqlite_file_never_both_run() {
    let (a, dir) = support::sqlite_db().await;
    let url = format!("sqlite://{}", dir.join("test.db").display());
    let b = Db::connect(&url).await.expect("second pool");
    two_runners_never_overlap(a.clone(), b.clone()).await;
    a.pool.close().await;
    b.pool.close().await;
    let _ = std::fs::remove_dir_all(dir);
}
