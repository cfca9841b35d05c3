//! Benchmarks on generated data (not a test): `bench [--customers N] [--engine sqlite|postgres]`.
//! Loads the demo data set into a fresh database and reports the demo load time and the
//! customer-list query's p50/p95 for filtered, sorted pages as different roles.

use app::auth::{CurrentUser, Role};
use app::customers::model::{CustomerFilter, ParsedFilter};
use app::db::{Db, Row};
use app::i18n::Lang;
use app::ids::{TeamId, UserId};
use std::time::{Duration, Instant};

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx].as_secs_f64() * 1000.0
}

async fn fresh_db(engine: &str) -> Db {
    let stamp = std::process::id();
    match engine {
        "postgres" => {
            let base = std::env::var("TEST_DATABASE_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
            let admin = Db::connect(&base).await.expect("PostgreSQL reachable");
            let schema = format!("bench_{stamp}");
            sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                .execute(&admin.pool)
                .await
                .unwrap();
            sqlx::query(&format!("CREATE SCHEMA {schema}"))
                .execute(&admin.pool)
                .await
                .unwrap();
            let sep = if base.contains('?') { '&' } else { '?' };
            Db::connect_and_migrate(&format!("{base}{sep}options=-c%20search_path%3D{schema}"))
                .await
                .unwrap()
        }
        _ => {
            let dir = std::env::temp_dir().join(format!("rapport_bench_{stamp}"));
            let _ = std::fs::remove_dir_all(&dir);
            Db::connect_and_migrate(&format!("sqlite://{}", dir.join("bench.db").display()))
                .await
                .unwrap()
        }
    }
}

async fn staff(db: &Db, email: &str) -> CurrentUser {
    let r = sqlx::query("SELECT id, role, team_id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let role: String = r.try_get("role").unwrap();
    CurrentUser {
        id: UserId(r.try_get("id").unwrap()),
        email: email.into(),
        name: email.into(),
        role: Role::parse(&role).unwrap(),
        team_id: r.try_get::<Option<i64>, _>("team_id").unwrap().map(TeamId),
        language: Lang::En,
    }
}

/// Times `rounds` page loads, following the cursor up to `depth` pages deep each round.
async fn time_pages(
    db: &Db,
    who: &CurrentUser,
    base: CustomerFilter,
    rounds: usize,
    depth: usize,
) -> Vec<Duration> {
    let mut times = Vec::new();
    for _ in 0..rounds {
        let mut f = base.clone();
        for _ in 0..depth {
            let parsed = ParsedFilter::try_from(&f).unwrap();
            let t = Instant::now();
            let page = app::customers::service::list(db, who, &parsed)
                .await
                .unwrap();
            times.push(t.elapsed());
            match page.next_after {
                Some(n) => f.after = n,
                None => break,
            }
        }
    }
    times.sort();
    times
}

#[tokio::main]
async fn main() {
    let customers: u64 = arg("--customers")
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let engine = arg("--engine").unwrap_or_else(|| "sqlite".into());
    let db = fresh_db(&engine).await;
    let t = Instant::now();
    let report = rapport_server::demo::generate(&db, customers, 7)
        .await
        .expect("demo data");
    println!(
        "[{engine}] demo load: {} customers, {} orders, {} activities in {:.1}s",
        report.customers,
        report.orders,
        report.activities,
        t.elapsed().as_secs_f64()
    );
    let admin = staff(&db, "admin@rapport.local").await;
    let tier1 = staff(&db, "t1.south@rapport.local").await;
    let tier2 = staff(&db, "t2.east@rapport.local").await;
    let cases: Vec<(&str, &CurrentUser, CustomerFilter)> = vec![
        (
            "admin: level 2 + grade general, by name",
            &admin,
            CustomerFilter {
                level: "2".into(),
                grade: "general".into(),
                ..Default::default()
            },
        ),
        (
            "tier-1 (team scope): grade vip, newest first",
            &tier1,
            CustomerFilter {
                grade: "vip".into(),
                sort: "newest".into(),
                ..Default::default()
            },
        ),
        (
            "tier-2 (own/served): by name",
            &tier2,
            CustomerFilter::default(),
        ),
        (
            "admin: search 'harbor', by name",
            &admin,
            CustomerFilter {
                q: "harbor".into(),
                ..Default::default()
            },
        ),
        (
            "admin: tag filter, recently updated",
            &admin,
            CustomerFilter {
                tag: "1".into(),
                sort: "updated".into(),
                ..Default::default()
            },
        ),
    ];
    for (label, who, filter) in cases {
        // Warm up once, then 20 rounds of 10 consecutive pages (first to tenth).
        time_pages(&db, who, filter.clone(), 1, 3).await;
        let times = time_pages(&db, who, filter, 20, 10).await;
        println!(
            "[{engine}] list {label}: n={} p50={:.2} ms p95={:.2} ms",
            times.len(),
            percentile(&times, 0.50),
            percentile(&times, 0.95)
        );
    }
}
