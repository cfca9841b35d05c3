//! Two `rapport serve` processes on one PostgreSQL behave as one: a CSV staged on one is
//! started and watched on the other, and the sign-in throttle and the public form's rate
//! limit count across both. (Several servers on one database is PostgreSQL's deployment;
//! SQLite serves one.)

use app::db::Row;
use common::{http, Server};

mod common;
#[path = "../../app/tests/support/mod.rs"]
mod support;

fn form(body: &str) -> Vec<u8> {
    body.as_bytes().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_postgres_share_uploads_jobs_and_limits() {
    let (db, schema) = support::postgres_db().await;
    let url = support::postgres_schema_url(&schema);
    // An admin with a password, a session for the import, and a public form.
    let admin = app::users::service::create_admin_unchecked(
        &db,
        app::users::model::NewUserInput {
            name: "Ada".into(),
            email: "ada@example.com".into(),
            password: "correct horse".into(),
            role: "admin".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let token = app::auth::service::create_session(&db, admin)
        .await
        .unwrap();
    let cookie = format!("rapport_session={token}");
    let actor = app::auth::service::session_user(&db, &token)
        .await
        .unwrap()
        .unwrap();
    common::save_survey(&db, &actor, "two").await;
    let env = [("RAPPORT_FEEDBACK_RATE_PER_MINUTE", "5")];
    let a = Server::start(&url, &env).await;
    let b = Server::start(&url, &env).await;

    // Staged on A, started on B, watched on A and on B.
    let team = support::team(&db, "East").await;
    support::user(
        &db,
        "owner@example.com",
        app::auth::Role::Tier1Manager,
        Some(team),
    )
    .await;
    let mut csv = String::from("name,email,owner_email\n");
    for i in 0..3_000 {
        csv.push_str(&format!(
            "Shared {i},shared{i}@example.com,owner@example.com\n"
        ));
    }
    let (status, body) = http(
        a.addr,
        "POST",
        "/api/imports?kind=customers",
        &[
            ("Content-Type", "text/csv"),
            ("Cookie", &cookie),
            ("Origin", &a.origin()),
        ],
        csv.as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let upload: serde_json::Value = serde_json::from_str(&body).unwrap();
    let upload = upload["upload_id"].as_str().unwrap().to_string();
    let start =
        format!("upload_id={upload}&kind=Customers&mapping%5B0%5D=name&mapping%5B1%5D=email&mapping%5B2%5D=owner_email");
    let (status, body) = http(
        b.addr,
        "POST",
        "/api/imports/start",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", &cookie),
            ("Origin", &b.origin()),
        ],
        start.as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let job: String = serde_json::from_str(&body).unwrap();
    let mut done_on = Vec::new();
    for _ in 0..600 {
        for server in [&a, &b] {
            let (status, body) = http(
                server.addr,
                "POST",
                "/api/imports/status",
                &[
                    ("Content-Type", "application/x-www-form-urlencoded"),
                    ("Cookie", &cookie),
                    ("Origin", &server.origin()),
                ],
                format!("job={job}").as_bytes(),
            )
            .await
            .unwrap();
            assert_eq!(status, 200, "{body}");
            let s: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_ne!(s["phase"], "Failed", "{body}");
            if s["phase"] == "Done" {
                assert_eq!(s["report"]["created"], 3_000, "{body}");
                done_on.push(server.addr);
            }
        }
        if done_on.len() == 2 {
            break;
        }
        done_on.clear();
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(done_on.len(), 2, "both servers report the finished job");
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM customers WHERE name LIKE 'Shared %'")
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(n, 3_000);
    // The upload was claimed once: starting it again on A finds nothing.
    let (status, _) = http(
        a.addr,
        "POST",
        "/api/imports/start",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", &cookie),
            ("Origin", &a.origin()),
        ],
        start.as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(status, 404);

    // Ten wrong passwords, alternating between the servers, then the account is refused
    // from this client on both — even with the right password.
    let wrong = form("email=ada%40example.com&password=wrong+horse");
    for i in 0..10 {
        let server = if i % 2 == 0 { &a } else { &b };
        let (status, _) = http(
            server.addr,
            "POST",
            "/api/auth/login",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Origin", &server.origin()),
            ],
            &wrong,
        )
        .await
        .unwrap();
        assert_eq!(status, 401, "attempt {i}");
    }
    let right = form("email=ada%40example.com&password=correct+horse");
    for server in [&a, &b] {
        let (status, body) = http(
            server.addr,
            "POST",
            "/api/auth/login",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Origin", &server.origin()),
            ],
            &right,
        )
        .await
        .unwrap();
        assert_eq!(status, 429, "{body}");
    }

    // The public form: a burst of 20 answers from one client, spread over both servers,
    // then both refuse it.
    let mut accepted = 0;
    for i in 0..30 {
        let server = if i % 2 == 0 { &a } else { &b };
        let (status, _) = http(
            server.addr,
            "POST",
            "/f/two",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Accept", "application/json"),
            ],
            format!("q1=8&_key=two-servers-{i}").as_bytes(),
        )
        .await
        .unwrap();
        match status {
            200 => accepted += 1,
            429 => {}
            other => panic!("answer {i}: {other}"),
        }
    }
    assert_eq!(accepted, 20, "one allowance across both servers");
    drop((a, b));
    support::drop_schema(&schema).await;
}
