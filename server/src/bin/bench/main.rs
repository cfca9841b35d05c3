//! Benchmarks on generated data (not a test): `bench [--customers N] [--engine sqlite|postgres]
//! [--import-orders N]`. With `--import-orders`, also times importing a CSV of N orders
//! for the demo customers (validation and write, all or nothing).
//! With `--segments [--orders N]`, tops the orders up to N (default 10 per customer), runs
//! RFM, and times the segment builder's live count for typical rules as three roles.
//! With `--rfm [--rfm-orders N]`, tops the orders up to N (default 10 per customer) and
//! times the bare per-customer order aggregate against a full RFM recompute (median of 3).
//! With `--funnel [--funnel-orders N]`, tops the orders up to N (default 10 per customer)
//! and reports the funnel query's p50/p95 (21 runs, the first dropped) as admin, tier-1
//! and tier-2, unfiltered, by owner and for one cohort month.
//! With `--lifecycle [--lifecycle-orders N]`, tops the orders up to N (default 10 per
//! customer), times the full lifecycle history rebuild (median of 3), and the stage-count
//! and monthly-chart queries' p50/p95 as an admin and a tier-2 manager.
//! With `--feedback [--submissions N] [--clients C]`, times durable public-form answers
//! under load and a staff page at rest and under that load.
//! These may be combined in one run on one data set (e.g. `--segments --rfm
//! --lifecycle --funnel --orders 1000000 --rfm-orders 1000000 …`).
//! Without them: loads the demo data set into a fresh database and reports the demo load time and the
//! customer-list query's p50/p95 for filtered, sorted pages as different roles.

use app::auth::{CurrentUser, Role};
use app::customers::filter::{encode_custom_pairs, CustomerFilter, ParsedFilter};
use app::db::{Db, Row, SqlBuilder, SqlValue};
use app::i18n::Lang;
use app::ids::{TeamId, UserId};
use std::time::{Duration, Instant};

mod analytics;
mod feedback;
use analytics::{bench_funnel, bench_lifecycle, bench_rfm, bench_segments};
use feedback::bench_feedback;

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

/// Defines the choice field `segment_code` (A–E) and gives every customer a value, in
/// multi-row inserts. Returns the number of values.
/// Every customer id, in order.
async fn customer_ids(db: &Db) -> Vec<i64> {
    sqlx::query("SELECT id FROM customers ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("id").unwrap())
        .collect()
}

async fn segment_codes(db: &Db) -> usize {
    const CODES: [&str; 5] = ["A", "B", "C", "D", "E"];
    let field: i64 = sqlx::query(
        "INSERT INTO custom_fields (key, label, kind, choices, position, active, created_at) \
         VALUES ('segment_code', 'Segment code', 'choice', $1, 10, 1, 0) RETURNING id",
    )
    .bind(CODES.join("\n"))
    .fetch_one(&db.pool)
    .await
    .unwrap()
    .try_get("id")
    .unwrap();
    let ids = customer_ids(db).await;
    let per_statement = match db.engine {
        app::db::Engine::Sqlite => 100,
        app::db::Engine::Postgres => 2_000,
    };
    let mut tx = db.begin_write().await.unwrap();
    for chunk in ids.chunks(per_statement) {
        let mut q = SqlBuilder::new(
            "INSERT INTO custom_field_values (customer_id, field_id, value) VALUES ",
        );
        for (i, id) in chunk.iter().enumerate() {
            q.push(if i == 0 { "(" } else { ", (" })
                .bind(SqlValue::Int(*id))
                .push(", ")
                .bind(SqlValue::Int(field))
                .push(", ")
                // A deterministic spread: each code on a fifth of the customers.
                .bind(SqlValue::Text(
                    CODES[(*id as usize * 7) % CODES.len()].into(),
                ))
                .push(")");
        }
        q.query().execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
    sqlx::query("ANALYZE").execute(&db.pool).await.unwrap();
    ids.len()
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
            let conditions = app::segments::service::list_conditions(db, who, &parsed)
                .await
                .unwrap();
            let page = app::customers::listing::list(db, who, &parsed, &conditions)
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

/// A CSV of `n` orders spread over the demo customers (`demo-1` …), with external ids.
fn orders_csv(customers: u64, n: u64) -> Vec<u8> {
    let mut csv = String::from(
        "customer_external_id,external_id,date,amount,currency,product,category,channel\n",
    );
    for i in 0..n {
        csv.push_str(&format!(
            "demo-{},bench-{i},2026-{:02}-{:02},{}.{:02},CNY,Green tea,Tea,online\n",
            1 + i % customers.max(1),
            1 + i % 12,
            1 + i % 28,
            10 + i % 990,
            i % 100
        ));
    }
    csv.into_bytes()
}

async fn bench_order_import(db: &Db, engine: &str, customers: u64, n: u64, admin: &CurrentUser) {
    use app::imports::csv::read_csv;
    use app::imports::model::ImportOptions;
    use app::imports::model::{suggest_mapping, ImportKind};
    use app::imports::service::run_import;
    let csv = orders_csv(customers, n);
    let headers = read_csv(&csv).expect("generated CSV").headers;
    let mapping = suggest_mapping(ImportKind::Orders, &headers);
    let options = ImportOptions {
        audit_actor: Some(admin.id),
        ..Default::default()
    };
    for round in ["first import (creates)", "re-import (updates)"] {
        let t = Instant::now();
        let report = run_import(
            db,
            admin,
            ImportKind::Orders,
            &csv,
            &mapping,
            &options,
            &|_, _, _| {},
        )
        .await
        .expect("import");
        let secs = t.elapsed().as_secs_f64();
        println!(
            "[{engine}] import orders, {round}: {} rows ({} KiB), {} created, {} updated, {} rejected in {secs:.2}s = {:.0} rows/s",
            report.total_rows,
            csv.len() / 1024,
            report.created,
            report.updated,
            report.rejected.len(),
            report.total_rows as f64 / secs
        );
    }
}

/// Gives one key account `n` timeline entries (activities, orders, payments, tasks and
/// audit rows) and times what its customer page asks the server for: the record, the
/// finance overview, its open tasks and the first timeline page; then a page deep inside.
async fn bench_customer_page(db: &Db, engine: &str, admin: &CurrentUser, n: i64) {
    use app::db::Row;
    use app::ids::CustomerId;
    let row = sqlx::query("SELECT id, owner_id FROM customers WHERE level = 1 ORDER BY id LIMIT 1")
        .fetch_one(&db.pool)
        .await
        .expect("a key account");
    let customer = CustomerId(row.try_get("id").unwrap());
    let owner: i64 = row.try_get("owner_id").unwrap();
    let start = app::db::now() - n * 3_600;
    let mut tx = db.begin_write().await.expect("tx");
    for i in 0..n {
        let at = start + i * 3_600;
        let day = at.div_euclid(86_400);
        let q = match i % 5 {
            0 | 1 => sqlx::query("INSERT INTO activities (customer_id, user_id, kind, happened_at, summary, created_at) VALUES ($1, $2, 'call', $3, 'Weekly call', $3)")
                .bind(customer.0).bind(owner).bind(at),
            2 => sqlx::query("INSERT INTO orders (customer_id, order_date, ordered_at, amount_cents, currency, created_at) VALUES ($1, $2, $3, 10000, 'CNY', $4)")
                .bind(customer.0).bind(app::dates::iso_date(day)).bind(day * 86_400).bind(at),
            3 => sqlx::query("INSERT INTO payments (customer_id, amount_cents, currency, due_date, paid_date, timeline_at, created_at) VALUES ($1, 5000, 'CNY', $2, $2, $3, $4)")
                .bind(customer.0).bind(app::dates::iso_date(day)).bind(day * 86_400).bind(at),
            _ => sqlx::query("INSERT INTO audit_log (at, actor_id, entity, entity_id, action, field, before_value, after_value) VALUES ($1, $2, 'customer', $3, 'update', 'city', 'A', 'B')")
                .bind(at).bind(owner).bind(customer.0),
        };
        q.execute(&mut *tx).await.expect("insert");
    }
    app::db::derived::orders_changed(&mut tx, &[customer.0])
        .await
        .expect("order hook");
    tx.commit().await.expect("commit");
    sqlx::query("ANALYZE")
        .execute(&db.pool)
        .await
        .expect("analyze");
    let query = app::timeline::model::TimelineQuery::default();
    let mut page_times = Vec::new();
    let mut deep = String::new();
    for round in 0..52 {
        let t = Instant::now();
        app::customers::service::get(db, admin, customer)
            .await
            .expect("get");
        app::finance::service::overview(db, admin, customer)
            .await
            .expect("finance");
        app::tasks::service::open_for_customer(db, admin, customer)
            .await
            .expect("tasks");
        let page = app::timeline::service::page(db, admin, customer, &query)
            .await
            .expect("timeline");
        if round >= 2 {
            page_times.push(t.elapsed());
        }
        deep = page.next.unwrap_or_default();
    }
    // Walk 100 pages down, then time that page.
    let mut q = app::timeline::model::TimelineQuery {
        kinds: String::new(),
        before: deep,
    };
    for _ in 0..100 {
        let p = app::timeline::service::page(db, admin, customer, &q)
            .await
            .expect("page");
        match p.next {
            Some(n) => q.before = n,
            None => break,
        }
    }
    let mut deep_times = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        app::timeline::service::page(db, admin, customer, &q)
            .await
            .expect("deep page");
        deep_times.push(t.elapsed());
    }
    page_times.sort();
    deep_times.sort();
    println!(
        "[{engine}] customer page with {n} timeline entries (record + finance + tasks + first timeline page): p50={:.2} ms p95={:.2} ms; timeline page ~100 pages deep: p95={:.2} ms",
        percentile(&page_times, 0.50),
        percentile(&page_times, 0.95),
        percentile(&deep_times, 0.95)
    );
}

#[tokio::main]
async fn main() {
    app::register_order_dependents();
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
    let t = Instant::now();
    let with_field = segment_codes(&db).await;
    println!(
        "[{engine}] custom field segment_code: {with_field} values in {:.1}s",
        t.elapsed().as_secs_f64()
    );
    // The data-set benchmarks share one generated data set: any of them may be combined
    // in one run (each tops the orders up to its target first).
    let flag = |name: &str| std::env::args().any(|a| a == name);
    let mut ran = false;
    if flag("--segments") {
        bench_segments(&db, &engine, customers).await;
        ran = true;
    }
    if flag("--rfm") {
        bench_rfm(&db, &engine, customers).await;
        ran = true;
    }
    if flag("--lifecycle") {
        bench_lifecycle(&db, &engine, customers).await;
        ran = true;
    }
    if flag("--funnel") {
        bench_funnel(&db, &engine, customers).await;
        ran = true;
    }
    if flag("--feedback") {
        bench_feedback(&db, &engine).await;
        ran = true;
    }
    if ran {
        return;
    }
    let admin = staff(&db, "admin@rapport.local").await;
    if let Some(n) = arg("--import-orders").and_then(|s| s.parse::<u64>().ok()) {
        bench_order_import(&db, &engine, customers, n, &admin).await;
        return;
    }
    if let Some(n) = arg("--timeline-entries").and_then(|s| s.parse::<i64>().ok()) {
        bench_customer_page(&db, &engine, &admin, n).await;
        return;
    }
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
            "admin: custom field segment_code = C, by name",
            &admin,
            CustomerFilter {
                custom: encode_custom_pairs([("cf.segment_code", "C")]),
                ..Default::default()
            },
        ),
        (
            "tier-1 (team scope): custom field segment_code = C, newest first",
            &tier1,
            CustomerFilter {
                custom: encode_custom_pairs([("cf.segment_code", "C")]),
                sort: "newest".into(),
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
