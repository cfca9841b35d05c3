//! Crash safety: the real server is killed with SIGKILL while public-form answers stream in
//! and a CSV import is writing, then started again on the same database. Every answer that
//! was acknowledged is stored exactly once (and sending every answer again, as the form's
//! offline queue does, stores none twice); the import is all or nothing; SQLite's file
//! passes `PRAGMA integrity_check`. Runs on SQLite and PostgreSQL.

use app::db::{Db, Engine, Row};
use common::{http, Server};
use std::net::SocketAddr;
use std::time::Duration;

mod common;
#[path = "../../app/tests/support/mod.rs"]
mod support;

const IMPORT_ROWS: usize = 100_000;

fn answer(i: usize) -> String {
    format!("q1=9&q2=answer-{i}&_key=answer-{i}")
}

async fn post_answer(addr: SocketAddr, i: usize) -> bool {
    let body = answer(i);
    matches!(
        http(
            addr,
            "POST",
            "/f/crash",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Accept", "application/json")
            ],
            body.as_bytes(),
        )
        .await,
        Ok((200, _))
    )
}

async fn count(db: &Db, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

async fn prepare(db: &Db) -> String {
    let admin = support::user(db, "admin@example.com", app::auth::Role::Admin, None).await;
    common::save_survey(db, &admin, "crash").await;
    app::auth::service::create_session(db, admin.id)
        .await
        .unwrap()
}

async fn crash_and_recover(db: Db, url: String) {
    let token = prepare(&db).await;
    let cookie = format!("rapport_session={token}");
    let env = [("RAPPORT_FEEDBACK_RATE_PER_MINUTE", "1000000")];
    let mut server = Server::start(&url, &env).await;
    let addr = server.addr;

    // A large import, uploaded and started.
    let mut csv = String::from("name,email\n");
    for i in 0..IMPORT_ROWS {
        csv.push_str(&format!("Crash {i},crash{i}@example.com\n"));
    }
    let origin = server.origin();
    let (status, body) = http(
        addr,
        "POST",
        "/api/imports?kind=customers",
        &[
            ("Content-Type", "text/csv"),
            ("Cookie", &cookie),
            ("Origin", &origin),
        ],
        csv.as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let upload: serde_json::Value = serde_json::from_str(&body).unwrap();
    let upload = upload["upload_id"].as_str().unwrap().to_string();

    // Answers stream in from a few clients while the import runs.
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut senders = Vec::new();
    for lane in 0..4 {
        let acknowledged = acknowledged.clone();
        senders.push(tokio::spawn(async move {
            for n in 0.. {
                let i = n * 4 + lane;
                if post_answer(addr, i).await {
                    acknowledged.lock().unwrap().push(i);
                } else if n > 0 {
                    // The server is gone.
                    return i;
                }
            }
            unreachable!()
        }));
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    let start =
        format!("upload_id={upload}&kind=Customers&mapping%5B0%5D=name&mapping%5B1%5D=email");
    let (status, body) = http(
        addr,
        "POST",
        "/api/imports/start",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", &cookie),
            ("Origin", &origin),
        ],
        start.as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "{body}");
    // Killed while the import is writing its rows.
    let job: String = serde_json::from_str(&body).unwrap();
    let mut writing = false;
    for _ in 0..400 {
        let (_, body) = http(
            addr,
            "POST",
            "/api/imports/status",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Cookie", &cookie),
                ("Origin", &origin),
            ],
            format!("job={job}").as_bytes(),
        )
        .await
        .unwrap();
        let s: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_ne!(
            s["phase"], "Done",
            "the import finished before the kill: {body}"
        );
        if s["phase"] == "Writing" {
            writing = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(writing, "the import reached its writing phase");
    server.kill();
    let mut highest = 0;
    for s in senders {
        highest = highest.max(s.await.unwrap());
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 10,
        "answers were flowing: {}",
        acknowledged.len()
    );

    // Started again on the same database.
    let server = Server::start(&url, &env).await;
    let addr = server.addr;
    for i in &acknowledged {
        let key = format!("answer-{i}");
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) FROM feedback_responses WHERE idempotency_key = $1 AND comment = $1",
        )
        .bind(&key)
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
        assert_eq!(n, 1, "acknowledged {key} stored once");
    }
    // The form's offline queue sends again whatever it is unsure of: nothing doubles.
    for i in 0..=highest {
        assert!(post_answer(addr, i).await, "answer {i} accepted again");
    }
    let stored = count(&db, "SELECT COUNT(*) FROM feedback_responses").await;
    assert_eq!(stored, highest as i64 + 1, "every answer exactly once");
    let distinct = count(
        &db,
        "SELECT COUNT(DISTINCT idempotency_key) FROM feedback_responses",
    )
    .await;
    assert_eq!(distinct, stored);
    // The import: all rows or none.
    let imported = count(
        &db,
        "SELECT COUNT(*) FROM customers WHERE name LIKE 'Crash %'",
    )
    .await;
    assert!(
        imported == 0 || imported == IMPORT_ROWS as i64,
        "half an import: {imported} rows"
    );
    if db.engine == Engine::Sqlite {
        let check: String = sqlx::query("PRAGMA integrity_check")
            .fetch_one(&db.pool)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert_eq!(check, "ok");
    }
    drop(server);
    println!(
        "{:?}: {} answers acknowledged before the kill, import rows after it: {imported}",
        db.engine,
        acknowledged.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_loses_no_acknowledged_answer_and_no_half_import_on_sqlite() {
    let (db, dir) = support::sqlite_db().await;
    let url = format!("sqlite://{}", dir.join("test.db").display());
    crash_and_recover(db, url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_loses_no_acknowledged_answer_and_no_half_import_on_postgres() {
    let (db, schema) = support::postgres_db().await;
    let url = support::postgres_schema_url(&schema);
    crash_and_recover(db, url).await;
    support::drop_schema(&schema).await;
}
