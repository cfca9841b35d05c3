//! The feedback benchmark: durable public-form answers under load, a staff page at rest
//! and under that load, and the analysis over every stored answer.

use super::*;

/// Public-form answers under load, through the real HTTP stack in memory (`/f/satisfaction`
/// of the demo data): every answer acknowledged with 200 must be in the database. While
/// the load runs, a staff page (`/customers` as the admin) is requested in a loop; its
/// p99 is compared with the same page at rest. Run twice: at full speed (throughput) and
/// paced at `--rate R` answers a second (default 1 000). `--submissions N` per phase
/// (default 20 000), `--clients C` concurrent visitors (default 64).
pub(super) async fn bench_feedback(db: &Db, engine: &str) {
    use axum::body::Body;

    use axum::http::{header, Request, StatusCode};

    use std::sync::Arc;
    use tower::ServiceExt;

    let submissions: usize = arg("--submissions")
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let clients: usize = arg("--clients").and_then(|s| s.parse().ok()).unwrap_or(64);
    let router = bench_router(db);
    let admin = staff(db, "admin@rapport.local").await;
    let token = app::auth::service::create_session(db, admin.id)
        .await
        .unwrap();
    let cookie = format!("{}={token}", app::auth::service::SESSION_COOKIE);

    report_public_page(&router, engine).await;

    let staff_page = {
        let router = router.clone();
        let cookie = cookie.clone();
        move || {
            let router = router.clone();
            let cookie = cookie.clone();
            async move {
                let t = Instant::now();
                let res = router
                    .oneshot(
                        Request::get("/customers")
                            .header(header::HOST, "localhost")
                            .header(header::COOKIE, cookie)
                            .body(Body::empty())
                            .unwrap(),
                    )
                    .await
                    .unwrap();
                assert_eq!(res.status(), StatusCode::OK);
                let _ = axum::body::to_bytes(res.into_body(), usize::MAX)
                    .await
                    .unwrap();
                t.elapsed()
            }
        }
    };
    for _ in 0..5 {
        staff_page().await;
    }
    let mut idle = Vec::new();
    for _ in 0..200 {
        idle.push(staff_page().await);
    }
    idle.sort();

    let version: i64 =
        sqlx::query("SELECT current_version FROM feedback_forms WHERE slug = 'satisfaction'")
            .fetch_one(&db.pool)
            .await
            .unwrap()
            .try_get("current_version")
            .unwrap();
    let stored = || async {
        sqlx::query("SELECT COUNT(*) AS n FROM feedback_responses")
            .fetch_one(&db.pool)
            .await
            .unwrap()
            .try_get::<i64, _>("n")
            .unwrap()
    };
    // Two phases: as fast as the visitors can send (the throughput), then paced at
    // `--rate` answers a second (the staff page under a steady, busy load).
    let rate: f64 = arg("--rate")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000.0);
    let mut first_key = 0usize;
    for (phase, pace) in [("full speed", None), ("paced", Some(rate))] {
        let before = stored().await;
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let busy_staff = {
            let done = done.clone();
            let staff_page = staff_page.clone();
            tokio::spawn(async move {
                let mut times = Vec::new();
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    times.push(staff_page().await);
                }
                times
            })
        };
        let started = Instant::now();
        let mut tasks = Vec::new();
        for c in 0..clients {
            let router = router.clone();
            tasks.push(tokio::spawn(send_answers(
                router,
                c,
                clients,
                submissions,
                first_key,
                version,
                pace,
                started,
            )));
        }
        let mut acknowledged = 0;
        let mut latencies = Vec::new();
        for t in tasks {
            let (a, l) = t.await.unwrap();
            acknowledged += a;
            latencies.extend(l);
        }
        let elapsed = started.elapsed();
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut busy = busy_staff.await.unwrap();
        busy.sort();
        latencies.sort();
        let after = stored().await;
        first_key += submissions;
        println!(
            "[{engine}] feedback, {phase}: {acknowledged} of {submissions} answers acknowledged in {:.2}s = {:.0}/s with {clients} concurrent visitors; stored {} (must equal acknowledged); answer latency p50={:.1} ms p99={:.1} ms",
            elapsed.as_secs_f64(),
            acknowledged as f64 / elapsed.as_secs_f64(),
            after - before,
            percentile(&latencies, 0.50),
            percentile(&latencies, 0.99)
        );
        assert_eq!(
            (after - before) as usize,
            acknowledged,
            "every acknowledged answer is stored"
        );
        println!(
            "[{engine}] staff page /customers, {phase}: idle p50={:.1} ms p99={:.1} ms (n={}); under load p50={:.1} ms p99={:.1} ms (n={}); p99 ratio {:.2}",
            percentile(&idle, 0.50),
            percentile(&idle, 0.99),
            idle.len(),
            percentile(&busy, 0.50),
            percentile(&busy, 0.99),
            busy.len(),
            percentile(&busy, 0.99) / percentile(&idle, 0.99)
        );
    }

    bench_feedback_analysis(db, engine, &admin, stored().await).await;
}

/// The app's whole router on the bench database, as `rapport serve` builds it.
fn bench_router(db: &Db) -> axum::Router {
    use app::state::{AppConfig, AppState};
    use std::sync::Arc;
    let options = leptos::config::LeptosOptions::builder()
        .output_name("rapport")
        .site_root("target/site")
        .build();
    rapport_server::web::build_router(AppState {
        db: db.clone(),
        leptos_options: options,
        config: Arc::new(AppConfig {
            secure_cookies: false,
            public_origin: None,
        }),
    })
}

/// The public page and its service worker, as a visitor's browser receives them.
async fn report_public_page(router: &axum::Router, engine: &str) {
    use axum::body::Body;
    use axum::http::{header, Request, StatusCode};
    use tower::ServiceExt;
    let public_get = |path: &'static str| {
        let router = router.clone();
        async move {
            let res = router
                .oneshot(
                    Request::get(path)
                        .header(header::HOST, "localhost")
                        .body(Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            axum::body::to_bytes(res.into_body(), usize::MAX)
                .await
                .unwrap()
        }
    };
    let html = public_get("/f/satisfaction").await;
    let worker = public_get("/f/sw.js").await;
    println!(
        "[{engine}] public form page: {} bytes (HTML with inline style and script) + {} bytes of service worker = {} bytes in all",
        html.len(),
        worker.len(),
        html.len() + worker.len()
    );
}

/// One visitor of the load: answers `c`, `c + clients`, … up to `submissions`, paced at
/// `pace` answers a second when given. Returns the acknowledged count and the latencies.
#[allow(clippy::too_many_arguments)]
async fn send_answers(
    router: axum::Router,
    c: usize,
    clients: usize,
    submissions: usize,
    first_key: usize,
    version: i64,
    pace: Option<f64>,
    started: Instant,
) -> (usize, Vec<Duration>) {
    use axum::body::Body;
    use axum::extract::ConnectInfo;
    use axum::http::{header, Request, StatusCode};
    use std::net::SocketAddr;
    use tower::ServiceExt;
    let mut acknowledged = 0usize;
    let mut latencies = Vec::new();
    let mut n = c;
    while n < submissions {
        if let Some(rate) = pace {
            // Answer n is due at n / rate seconds after the start.
            let due = started + Duration::from_secs_f64(n as f64 / rate);
            tokio::time::sleep_until(due.into()).await;
        }
        let key = first_key + n;
        // Each answer comes from its own address, as from many customers.
        let addr = SocketAddr::from(([10, (key >> 16) as u8, (key >> 8) as u8, key as u8], 40_000));
        let body = format!(
            "_key=bench-{key:08}&_v={version}&_lang=en&website=&q1={}&q2={}&q4={}&q6=Bench+answer+{key}",
            key % 11,
            1 + key % 5,
            key % 4
        );
        let mut req = Request::post("/f/satisfaction")
            .header(header::HOST, "localhost")
            .header(header::ORIGIN, "http://localhost")
            .header("sec-fetch-site", "same-origin")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .body(Body::from(body))
            .unwrap();
        req.extensions_mut().insert(ConnectInfo(addr));
        let t = Instant::now();
        let res = router.clone().oneshot(req).await.unwrap();
        latencies.push(t.elapsed());
        if res.status() == StatusCode::OK {
            acknowledged += 1;
        }
        n += clients;
    }
    (acknowledged, latencies)
}

/// The analysis page's figures over every stored answer (the demo's and both phases').
async fn bench_feedback_analysis(db: &Db, engine: &str, admin: &CurrentUser, total: i64) {
    // The analysis page's figures over every stored answer (the demo's and both phases').
    let form_id: i64 = sqlx::query("SELECT id FROM feedback_forms WHERE slug = 'satisfaction'")
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .try_get("id")
        .unwrap();
    let tier1 = staff(db, "t1.south@rapport.local").await;
    let one_form = app::feedback::model::AnalysisFilter {
        form_id: Some(form_id),
        ..Default::default()
    };
    for (label, who, filter) in [
        ("admin, one form", admin, one_form.clone()),
        ("admin, all forms", admin, Default::default()),
        ("tier-1 (team scope), one form", &tier1, one_form),
    ] {
        let mut times = Vec::new();
        for _ in 0..10 {
            let t = Instant::now();
            app::feedback::analysis::analysis(db, who, &filter)
                .await
                .unwrap();
            times.push(t.elapsed());
        }
        times.sort();
        println!(
            "[{engine}] feedback analysis over {total} answers, {label}: p50={:.0} ms p95={:.0} ms",
            percentile(&times, 0.50),
            percentile(&times, 0.95)
        );
    }
}
