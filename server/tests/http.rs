//! The HTTP edge in memory: health, headers, same-origin writes, sign-in with and without
//! JavaScript, pages by role. Runs on SQLite and PostgreSQL.

use app::db::Db;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use tower::ServiceExt;

mod common;
#[path = "../../app/tests/support/mod.rs"]
mod support;

fn router(db: Db) -> Router {
    common::router(db, None)
}

async fn send(app: &Router, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

fn form_post(path: &str, body: &str, cookie: Option<&str>, html: bool) -> Request<Body> {
    let mut b = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "localhost")
        .header(header::ORIGIN, "http://localhost")
        .header("sec-fetch-site", "same-origin");
    if html {
        b = b
            .header(header::ACCEPT, "text/html")
            .header(header::REFERER, "http://localhost/login");
    }
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::from(body.to_string())).unwrap()
}

fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::get(path).header(header::HOST, "localhost");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::empty()).unwrap()
}

fn session_cookie(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("rapport_session=") && !v.starts_with("rapport_session=;"))
        .map(|v| v.split(';').next().unwrap().to_string())
}

async fn seed_admin(db: &Db) {
    let input = app::users::model::NewUserInput {
        name: "Ada".into(),
        email: "ada@example.com".into(),
        password: "correct horse".into(),
        role: "admin".into(),
        ..Default::default()
    };
    app::users::service::create_admin_unchecked(db, input)
        .await
        .unwrap();
}

#[tokio::test]
async fn health_and_security_headers() {
    support::on_both_engines(|db| async move {
        let app = router(db);
        let (status, _, body) = send(&app, get("/healthz", None)).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));

        let (status, headers, body) = send(&app, get("/login", None)).await;
        assert_eq!(status, StatusCode::OK);
        let csp = headers
            .get(header::CONTENT_SECURITY_POLICY)
            .unwrap()
            .to_str()
            .unwrap();
        assert!(csp.contains("frame-ancestors 'none'"));
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .unwrap()
            .split('\'')
            .next()
            .unwrap();
        assert!(
            body.contains(&format!("nonce=\"{nonce}\"")),
            "hydration script carries the CSP nonce"
        );
        assert_eq!(
            headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(),
            "nosniff"
        );
        assert!(headers.get(header::REFERRER_POLICY).is_some());
        assert!(headers.get("x-request-id").is_some());
    })
    .await;
}

#[tokio::test]
async fn cross_site_writes_are_refused() {
    support::on_both_engines(|db| async move {
        seed_admin(&db).await;
        let app = router(db);
        let body = "email=ada%40example.com&password=correct+horse";
        let mut req = form_post("/api/auth/login", body, None, false);
        req.headers_mut()
            .insert("sec-fetch-site", "cross-site".parse().unwrap());
        assert_eq!(send(&app, req).await.0, StatusCode::FORBIDDEN);
        let mut req = form_post("/api/auth/login", body, None, false);
        req.headers_mut().remove("sec-fetch-site");
        req.headers_mut()
            .insert(header::ORIGIN, "https://evil.example".parse().unwrap());
        assert_eq!(send(&app, req).await.0, StatusCode::FORBIDDEN);
    })
    .await;
}

#[tokio::test]
async fn sign_in_without_javascript_and_session_cookie_flags() {
    support::on_both_engines(|db| async move {
        seed_admin(&db).await;
        let app = router(db);
        // Wrong password, plain form post: back to the sign-in page, which shows the error
        // the address carries.
        let (status, headers, _) = send(
            &app,
            form_post(
                "/api/auth/login",
                "email=ada%40example.com&password=nope+nope",
                None,
                true,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::FOUND);
        let back = headers.get(header::LOCATION).unwrap().to_str().unwrap();
        let back = back.strip_prefix("http://localhost").unwrap_or(back);
        assert!(
            back.starts_with("/login?") && back.contains("__err="),
            "{back}"
        );
        assert!(session_cookie(&headers).is_none());
        let (status, _, page) = send(&app, get(back, None)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Wrong e-mail or password."), "{page}");

        let (status, headers, _) = send(
            &app,
            form_post(
                "/api/auth/login",
                "email=ada%40example.com&password=correct+horse",
                None,
                true,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::FOUND);
        assert_eq!(headers.get(header::LOCATION).unwrap(), "/");
        let raw = headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|v| v.starts_with("rapport_session="))
            .unwrap();
        assert!(raw.contains("HttpOnly") && raw.contains("SameSite=Lax"));
        let cookie = session_cookie(&headers).unwrap();

        // The session opens staff pages; the dashboard is rendered for the admin.
        let (status, _, body) = send(&app, get("/", Some(&cookie))).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("Ada"), "signed-in user shown");

        // Signing out ends the session on the server, not only in the browser.
        let (status, _, _) =
            send(&app, form_post("/api/auth/logout", "", Some(&cookie), true)).await;
        assert_eq!(status, StatusCode::FOUND);
        let (_, _, body) = send(&app, form_post("/api/auth/me", "", Some(&cookie), false)).await;
        assert_eq!(body, "null");
    })
    .await;
}

#[tokio::test]
async fn errors_never_carry_internal_text() {
    support::on_both_engines(|db| async move {
        let app = router(db);
        // Not signed in: a coded error with its own status, nothing else.
        let (status, _, body) =
            send(&app, form_post("/api/customers/get", "id=1", None, false)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(body.contains("Unauthorized"), "{body}");
        // Garbage arguments: the caller's mistake, a transport error code, no parser or
        // database text.
        let (status, _, body) = send(
            &app,
            form_post("/api/customers/get", "id=not-a-number", None, false),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("Transport"), "{body}");
        assert!(
            !body.to_lowercase().contains("sqlx") && !body.contains("invalid digit"),
            "{body}"
        );
    })
    .await;
}

/// Each refusal of a server function answers with the status plain routes use for it.
#[tokio::test]
async fn server_function_errors_carry_their_http_status() {
    support::on_both_engines(|db| async move {
        seed_admin(&db).await;
        let app = router(db.clone());
        let (status, _, body) = send(
            &app,
            form_post(
                "/api/auth/login",
                "email=ada%40example.com&password=wrong+one",
                None,
                false,
            ),
        )
        .await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::UNAUTHORIZED, "\"InvalidCredentials\"")
        );
        let (_, headers, _) = send(
            &app,
            form_post(
                "/api/auth/login",
                "email=ada%40example.com&password=correct+horse",
                None,
                false,
            ),
        )
        .await;
        let cookie = session_cookie(&headers).unwrap();
        let (status, _, body) = send(
            &app,
            form_post("/api/customers/get", "id=999999", Some(&cookie), false),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        let (status, _, body) = send(
            &app,
            form_post(
                "/api/customers/create",
                "input%5Bname%5D=&input%5Bowner_id%5D=1",
                Some(&cookie),
                false,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body.contains("Validation"), "{body}");
        // A viewer is refused a write.
        let viewer = support::user(&db, "vic@example.com", app::auth::Role::Viewer, None).await;
        let token = app::auth::service::create_session(&db, viewer.id)
            .await
            .unwrap();
        let viewer_cookie = format!("rapport_session={token}");
        let (status, _, body) = send(
            &app,
            form_post(
                "/api/customers/create",
                "input%5Bname%5D=Acme&input%5Bowner_id%5D=1",
                Some(&viewer_cookie),
                false,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        // A plain form post still answers with its redirect back.
        let (status, headers, _) = send(
            &app,
            form_post(
                "/api/auth/login",
                "email=ada%40example.com&password=wrong+one",
                None,
                true,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::FOUND);
        assert!(headers.get(header::LOCATION).is_some());
    })
    .await;
}

/// Behind an https public address: writes must come from exactly that origin (a rebound
/// DNS name with a matching Host is refused), the session cookie is `__Host-` and Secure,
/// and every response asks browsers to stay on https.
#[tokio::test]
async fn an_https_deployment_pins_its_origin_and_cookie() {
    support::on_both_engines(|db| async move {
        seed_admin(&db).await;
        let app = common::router(db, Some("https://crm.example.com/"));
        let login = |origin: &str, host: &str| {
            let mut req = form_post(
                "/api/auth/login",
                "email=ada%40example.com&password=correct+horse",
                None,
                false,
            );
            req.headers_mut().remove("sec-fetch-site");
            req.headers_mut()
                .insert(header::ORIGIN, origin.parse().unwrap());
            req.headers_mut()
                .insert(header::HOST, host.parse().unwrap());
            req
        };
        let (status, _, _) = send(
            &app,
            login("http://rebound.example:3000", "rebound.example:3000"),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, headers, _) =
            send(&app, login("https://crm.example.com", "10.0.0.5:3000")).await;
        assert_eq!(status, StatusCode::OK);
        let raw = headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|v| v.starts_with("__Host-rapport_session="))
            .expect("a __Host- session cookie");
        assert!(raw.contains("; Secure") && raw.contains("Path=/") && !raw.contains("Domain"));
        assert!(headers.get(header::STRICT_TRANSPORT_SECURITY).is_some());
        let token = raw
            .split(';')
            .next()
            .unwrap()
            .split_once('=')
            .unwrap()
            .1
            .to_string();
        let me = |cookie: String| {
            let mut req = form_post("/api/auth/me", "", Some(&cookie), false);
            req.headers_mut()
                .insert(header::ORIGIN, "https://crm.example.com".parse().unwrap());
            req
        };
        let (_, _, body) = send(&app, me(format!("__Host-rapport_session={token}"))).await;
        assert!(body.contains("ada@example.com"), "{body}");
        // The unprefixed name, which a sibling domain could plant, is not read.
        let (_, _, body) = send(&app, me(format!("rapport_session={token}"))).await;
        assert_eq!(body, "null");
        let (_, headers, _) = send(&app, get("/healthz", None)).await;
        assert!(headers.get(header::STRICT_TRANSPORT_SECURITY).is_some());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn missing_files_and_unknown_pages_are_not_found() {
    support::on_both_engines(|db| async move {
        let app = router(db);
        // Many at once: each answer is a 404, none a dropped connection.
        let mut requests = tokio::task::JoinSet::new();
        for i in 0..64 {
            let app = app.clone();
            requests
                .spawn(async move { send(&app, get(&format!("/pkg/missing-{i}.js"), None)).await });
        }
        while let Some(answer) = requests.join_next().await {
            let (status, _, body) = answer.expect("request answered");
            assert_eq!(
                (status, body.as_str()),
                (StatusCode::NOT_FOUND, "not found")
            );
        }
        let (status, headers, body) = send(&app, get("/no-such-page", None)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(headers.get(header::CONTENT_SECURITY_POLICY).is_some());
        assert!(
            body.contains("<!DOCTYPE html>"),
            "the app's own not-found page"
        );
    })
    .await;
}

#[tokio::test]
async fn oversized_anonymous_bodies_are_refused_before_sign_in() {
    support::on_both_engines(|db| async move {
        seed_admin(&db).await;
        let app = router(db.clone());
        // A 0.9 MB "e-mail": refused at the edge, so nothing is hashed or counted.
        let body = format!("email={}&password=x", "a".repeat(900_000));
        let (status, _, _) = send(&app, form_post("/api/auth/login", &body, None, false)).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        // The same with a (made-up) session cookie: sign-in calls are always small.
        let req = form_post(
            "/api/auth/login",
            &body,
            Some("rapport_session=forged"),
            false,
        );
        assert_eq!(send(&app, req).await.0, StatusCode::PAYLOAD_TOO_LARGE);
        // Any other server function called without a session is held to the same limit.
        let big = format!("name={}", "n".repeat(20_000));
        let req = form_post("/api/teams/create", &big, None, false);
        assert_eq!(send(&app, req).await.0, StatusCode::PAYLOAD_TOO_LARGE);
        let attempts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM signin_attempts")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(attempts, 0);
        // A normal sign-in still goes through the same path.
        let ok = "email=ada%40example.com&password=correct+horse";
        let (status, headers, _) = send(&app, form_post("/api/auth/login", ok, None, false)).await;
        assert!(status.is_success() || status.is_redirection(), "{status}");
        assert!(session_cookie(&headers).is_some());
    })
    .await;
}
