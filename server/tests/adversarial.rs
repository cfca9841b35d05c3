//! The HTTP edge under attack, on SQLite and PostgreSQL: cross-origin and null-origin
//! writes to every endpoint; hostile text through the fields that reach a staff page, the
//! timeline, a CSV export and the public form (stored faithfully or refused with a field
//! error, never executed, never a 500); oversized and malformed bodies to every route,
//! answered with 4xx.

use app::db::{Db, Row};
use app::ids::CustomerId;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use tower::ServiceExt;

mod common;
#[path = "../../app/tests/support/mod.rs"]
mod support;

/// Strings that break naive code: markup, attribute and quote breakers, spreadsheet
/// formulas, bidi controls, zero-width and combining characters, 4-byte emoji, NUL.
const HOSTILE: [&str; 14] = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "' OR '1'='1",
    "javascript:alert(1)",
    "=HYPERLINK(\"http://evil.example\",\"x\")",
    "+SUM(A1:A9)",
    "-2+3",
    "@cmd",
    "\u{202e}gnp.exe",
    "a\u{200b}b\u{200d}c\u{feff}",
    "e\u{301}\u{302}\u{303}",
    "🦀👩‍👩‍👧‍👦𝄞",
    "nul\u{0}byte",
    "line\r\nbreak\ttab",
];

async fn send(app: &Router, req: Request<Body>) -> (StatusCode, String) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn post(
    path: &str,
    body: impl Into<Vec<u8>>,
    cookie: Option<&str>,
    origin: Option<&str>,
) -> Request<Body> {
    let body: Vec<u8> = body.into();
    let mut b = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::CONTENT_LENGTH, body.len())
        .header(header::HOST, "localhost");
    if let Some(o) = origin {
        b = b.header(header::ORIGIN, o);
    }
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::from(body)).unwrap()
}

fn get(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path)
        .header(header::HOST, "localhost")
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap()
}

fn q<T: serde::Serialize>(v: &T) -> String {
    serde_qs::to_string(v).unwrap()
}

/// A new session of the admin (the endpoint sweeps sign out as they go).
async fn fresh_cookie(db: &Db) -> String {
    let id: i64 = sqlx::query("SELECT id FROM users WHERE email = 'admin@example.com'")
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    let token = app::auth::service::create_session(db, app::ids::UserId(id))
        .await
        .unwrap();
    format!("rapport_session={token}")
}

async fn admin_cookie(db: &Db) -> String {
    let admin = support::user(db, "admin@example.com", app::auth::Role::Admin, None).await;
    format!(
        "rapport_session={}",
        app::auth::service::create_session(db, admin.id)
            .await
            .unwrap()
    )
}

fn endpoints() -> Vec<String> {
    let mut paths: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(p, _)| p.to_string())
        .collect();
    paths.sort();
    assert!(
        paths.len() > 90,
        "the registered server functions are found"
    );
    paths
}

async fn row_count(db: &Db) -> i64 {
    let mut total = 0;
    for t in [
        "customers",
        "tasks",
        "users",
        "teams",
        "segments",
        "saved_views",
        "custom_fields",
        "feedback_forms",
        "sessions",
        "activities",
        "orders",
    ] {
        total += sqlx::query(&format!("SELECT COUNT(*) FROM {t}"))
            .fetch_one(&db.pool)
            .await
            .unwrap()
            .try_get::<i64, _>(0)
            .unwrap();
    }
    total
}

#[tokio::test]
async fn cross_origin_and_null_origin_writes_are_refused_everywhere() {
    support::on_both_engines(|db| async move {
        let cookie = admin_cookie(&db).await;
        let app = common::router(db.clone(), None);
        let before = row_count(&db).await;
        let mut refused = 0;
        for path in endpoints()
            .into_iter()
            .chain(["/api/imports?kind=customers".to_string()])
        {
            for origin in [
                "https://evil.example",
                "null",
                "http://localhost.evil.example",
            ] {
                let (status, body) =
                    send(&app, post(&path, "id=1", Some(&cookie), Some(origin))).await;
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{path} from {origin}: {body}"
                );
                refused += 1;
            }
            let mut req = post(&path, "id=1", Some(&cookie), None);
            req.headers_mut()
                .insert("sec-fetch-site", "cross-site".parse().unwrap());
            assert_eq!(
                send(&app, req).await.0,
                StatusCode::FORBIDDEN,
                "{path} cross-site"
            );
            refused += 1;
        }
        assert_eq!(row_count(&db).await, before, "nothing written");
        println!("{:?}: {refused} cross-origin writes refused", db.engine);
    })
    .await;
}

#[tokio::test]
async fn oversized_and_malformed_bodies_get_4xx_on_every_route() {
    support::on_both_engines(|db| async move {
        let cookie = admin_cookie(&db).await;
        let app = common::router(db.clone(), None);
        let big = vec![b'a'; rapport_server::web::MAX_BODY_BYTES + 1];
        let malformed: [&[u8]; 5] = [
            b"%zz%%&&==[[]]",
            b"\xff\xfe\x00\x01",
            b"id[][][]=1&id=2",
            b"input[name][x][y]=1",
            b"=&=&=",
        ];
        for path in endpoints() {
            let (status, _) = send(
                &app,
                post(&path, big.clone(), Some(&cookie), Some("http://localhost")),
            )
            .await;
            assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{path}: oversized");
            let (status, _) = send(
                &app,
                post(&path, vec![b'a'; 20 * 1024], None, Some("http://localhost")),
            )
            .await;
            assert_eq!(
                status,
                StatusCode::PAYLOAD_TOO_LARGE,
                "{path}: oversized without a session"
            );
            for body in malformed {
                let (status, text) = send(
                    &app,
                    post(
                        &path,
                        body.to_vec(),
                        Some(&cookie),
                        Some("http://localhost"),
                    ),
                )
                .await;
                assert!(
                    status.is_success() || status.is_client_error(),
                    "{path} with {body:?}: {status} {text}"
                );
                assert!(!text.to_lowercase().contains("sqlx"), "{path}: {text}");
            }
        }
        // Plain routes: an oversized upload, garbage to the public form and the exports.
        let cookie = fresh_cookie(&db).await;
        let (status, _) = send(
            &app,
            post(
                "/api/imports?kind=customers",
                vec![b'x'; app::imports::upload::UPLOAD_BODY_LIMIT + 1],
                Some(&cookie),
                Some("http://localhost"),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        let (status, _) = send(
            &app,
            post(
                "/f/nothing-here",
                b"\xff\xfe=%zz".to_vec(),
                None,
                Some("http://localhost"),
            ),
        )
        .await;
        assert!(status.is_client_error(), "{status}");
        let (status, _) = send(
            &app,
            post(
                "/f/nothing-here",
                vec![b'q'; 300 * 1024],
                None,
                Some("http://localhost"),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        for path in [
            "/customers/export.csv?level=x&after=%zz",
            "/rfm/export.csv?as_of=yesterday",
            "/lifecycle/export.csv?from=%00",
            "/feedback/export.csv?form=-1",
        ] {
            let (status, _) = send(&app, get(path, &cookie)).await;
            assert!(
                status.is_success() || status.is_client_error(),
                "{path}: {status}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn hostile_text_is_stored_faithfully_or_refused_and_never_executed() {
    support::on_both_engines(|db| async move {
        let cookie = admin_cookie(&db).await;
        let app = common::router(db.clone(), None);
        let owner = support::user(&db, "t2@example.com", app::auth::Role::Tier2Manager, None).await;
        let origin = Some("http://localhost");
        let mut stored = 0;
        let mut refused = 0;
        for (i, text) in HOSTILE.iter().enumerate() {
            // A customer named with it, with a note, an activity and a contact.
            let input = app::customers::model::CustomerInput {
                name: text.to_string(),
                city: text.to_string(),
                owner_id: owner.id.to_string(),
                external_id: format!("hostile-{i}"),
                ..Default::default()
            };
            let (status, body) = send(
                &app,
                post(
                    "/api/customers/create",
                    q(&app::customers::api::CreateCustomer { input }),
                    Some(&cookie),
                    origin,
                ),
            )
            .await;
            assert!(
                status == StatusCode::OK || status == StatusCode::UNPROCESSABLE_ENTITY,
                "create {text:?}: {status} {body}"
            );
            if status == StatusCode::UNPROCESSABLE_ENTITY {
                assert!(body.contains("Validation"), "a field error: {body}");
                refused += 1;
                continue;
            }
            stored += 1;
            let id: i64 = body.trim().parse().unwrap();
            let name: String = sqlx::query("SELECT name FROM customers WHERE id = $1")
                .bind(id)
                .fetch_one(&db.pool)
                .await
                .unwrap()
                .try_get(0)
                .unwrap();
            assert_eq!(name, text.trim(), "stored as given");
            for (path, args) in [
                (
                    "/api/notes/add",
                    q(&app::notes::api::AddCustomerNote {
                        customer: CustomerId(id),
                        body: text.to_string(),
                    }),
                ),
                (
                    "/api/activities/log",
                    q(&app::activities::api::LogActivity {
                        customer: CustomerId(id),
                        input: app::activities::model::ActivityInput {
                            kind: "note".into(),
                            happened_at: "2026-11-30T10:00".into(),
                            summary: text.to_string(),
                            outcome: text.to_string(),
                            ..Default::default()
                        },
                    }),
                ),
                (
                    "/api/customers/contacts/add",
                    q(&app::customers::api::AddContact {
                        customer: CustomerId(id),
                        input: app::customers::model::ContactInput {
                            name: text.to_string(),
                            title: text.to_string(),
                            ..Default::default()
                        },
                    }),
                ),
            ] {
                let (status, body) = send(&app, post(path, args, Some(&cookie), origin)).await;
                assert!(
                    status == StatusCode::OK || status == StatusCode::UNPROCESSABLE_ENTITY,
                    "{path} {text:?}: {status} {body}"
                );
            }
            // The staff page and the timeline render it as text.
            let (status, page) = send(&app, get(&format!("/customers/{id}"), &cookie)).await;
            assert_eq!(status, StatusCode::OK);
            assert!(
                !page.contains("<script>alert(1)"),
                "markup escaped on the page"
            );
            assert!(
                !page.contains("<img src=x"),
                "attributes escaped on the page"
            );
            let (status, timeline) = send(
                &app,
                post(
                    "/api/timeline/page",
                    q(&app::timeline::api::CustomerTimeline {
                        customer: CustomerId(id),
                        query: Default::default(),
                    }),
                    Some(&cookie),
                    origin,
                ),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{timeline}");
            let parsed: serde_json::Value =
                serde_json::from_str(&timeline).expect("the timeline is JSON");
            assert!(parsed["entries"].as_array().is_some_and(|e| !e.is_empty()));
        }
        assert!(
            stored >= HOSTILE.len() - 1,
            "{stored} stored, {refused} refused"
        );
        // The export neutralises formulas: no cell starts with = + - @ as a formula.
        let (status, csv) = send(&app, get("/customers/export.csv", &cookie)).await;
        assert_eq!(status, StatusCode::OK);
        for line in csv.lines().skip(1) {
            for cell in line.split(',') {
                let cell = cell.trim_start_matches('"');
                assert!(
                    !cell.starts_with(['=', '+', '@']),
                    "formula in export: {line}"
                );
                assert!(!cell.starts_with("-2+3"), "formula in export: {line}");
            }
        }
        // The public form: a text answer of each, stored or refused, never a 500.
        let admin =
            app::auth::service::session_user(&db, cookie.trim_start_matches("rapport_session="))
                .await
                .unwrap()
                .unwrap();
        common::save_survey(&db, &admin, "hostile").await;
        for (i, text) in HOSTILE.iter().enumerate() {
            let body = format!(
                "q1=3&q2={}&_key=hostile-answer-{i}",
                app::format::encode_component(text)
            );
            let (status, page) = send(&app, post("/f/hostile", body, None, origin)).await;
            assert!(
                status == StatusCode::OK || status == StatusCode::UNPROCESSABLE_ENTITY,
                "answer {text:?}: {status}"
            );
            assert!(
                !page.contains("<script>alert(1)"),
                "the page escapes the answer"
            );
        }
        let (status, answers) = send(
            &app,
            get(&format!("/feedback/export.csv?form={}", 1), &cookie),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{answers}");
        assert!(!answers.lines().any(|l| l
            .split(',')
            .any(|c| c.trim_start_matches('"').starts_with('='))));
        println!(
            "{:?}: {stored} hostile names stored, {refused} refused with a field error",
            db.engine
        );
    })
    .await;
}
