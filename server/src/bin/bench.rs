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
use app::customers::model::{encode_custom_pairs, CustomerFilter, ParsedFilter};
use app::db::{Db, Row, SqlBuilder, SqlValue};
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

/// Defines the choice field `segment_code` (A–E) and gives every customer a value, in
/// multi-row inserts. Returns the number of values.
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
    let ids: Vec<i64> = sqlx::query("SELECT id FROM customers ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("id").unwrap())
        .collect();
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
            let page = app::customers::service::list(db, who, &parsed, &conditions)
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
    use app::imports::model::{suggest_mapping, ImportKind};
    use app::imports::service::{read_csv, run_import, ImportOptions};
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

const TOP_UP_CATEGORIES: [&str; 3] = ["hardware", "service", "software"];

/// Adds orders (spread over every customer, many on shared dates and amounts) until
/// there are `target` in all.
async fn top_up_orders(db: &Db, target: i64) -> i64 {
    let have: i64 = sqlx::query("SELECT COUNT(*) AS n FROM orders")
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
    let ids: Vec<i64> = sqlx::query("SELECT id FROM customers ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("id").unwrap())
        .collect();
    let missing = (target - have).max(0);
    if ids.is_empty() || missing == 0 {
        return have;
    }
    let today = app::db::now().div_euclid(86_400);
    let mut tx = db.begin_write().await.unwrap();
    let mut rows = Vec::with_capacity(10_000);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..missing {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let customer = ids[(x % ids.len() as u64) as usize];
        let day = today - 1 - ((x >> 20) % 1_000) as i64;
        rows.push(vec![
            SqlValue::Int(customer),
            SqlValue::Text(app::dates::iso_date(day)),
            SqlValue::Int(day * 86_400),
            SqlValue::Int(((x >> 40) % 500 + 1) as i64 * 100),
            SqlValue::Text("CNY".into()),
            // Categories as the demo uses them, so the funnel's expansion step is not empty.
            SqlValue::Text(TOP_UP_CATEGORIES[((x >> 56) % 3) as usize].into()),
            SqlValue::Int(day * 86_400),
        ]);
        if rows.len() == 10_000 || i == missing - 1 {
            app::db::insert_rows(
                &mut tx,
                db.engine,
                "INSERT INTO orders (customer_id, order_date, ordered_at, amount_cents, currency, category, created_at)",
                &rows,
            )
            .await
            .unwrap();
            rows.clear();
        }
    }
    tx.commit().await.unwrap();
    // Orders written in bulk: the facts derived from them follow in one pass each.
    app::orders::recency::rebuild_all(db)
        .await
        .expect("recent order dates");
    app::funnel::service::rebuild_milestones(db)
        .await
        .expect("funnel milestones");
    app::lifecycle::service::rebuild_all(db)
        .await
        .expect("lifecycle rebuild");
    // What autovacuum would have done on a live database after a bulk load: statistics,
    // and (PostgreSQL) the visibility map that index-only scans rely on.
    let maintenance = match db.engine {
        app::db::Engine::Postgres => "VACUUM ANALYZE",
        app::db::Engine::Sqlite => "ANALYZE",
    };
    sqlx::query(maintenance).execute(&db.pool).await.unwrap();
    target
}

fn median_ms(mut times: Vec<Duration>) -> f64 {
    times.sort();
    times[times.len() / 2].as_secs_f64() * 1000.0
}

/// The bare aggregate against the full recompute (insert of every score included).
async fn bench_rfm(db: &Db, engine: &str, customers: u64) {
    use app::rfm::model::RunKind;
    use app::rfm::service::{recompute, BARE_AGGREGATE_SQL};
    let target = arg("--rfm-orders")
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or(customers as i64 * 10);
    let t = Instant::now();
    let orders = top_up_orders(db, target).await;
    println!(
        "[{engine}] rfm data: {customers} customers, {orders} orders (top-up {:.1}s)",
        t.elapsed().as_secs_f64()
    );
    let as_of = app::dates::iso_date(app::db::now().div_euclid(86_400));
    let mut bare = Vec::new();
    let mut full = Vec::new();
    let mut scored = 0;
    // One warm-up round each, then three timed.
    for round in 0..4 {
        let t = Instant::now();
        let rows = sqlx::query(BARE_AGGREGATE_SQL)
            .bind(&as_of)
            .fetch_all(&db.pool)
            .await
            .expect("aggregate");
        if round > 0 {
            bare.push(t.elapsed());
        }
        let t = Instant::now();
        let run = recompute(db, RunKind::Adhoc, &as_of, None, None)
            .await
            .expect("recompute");
        if round > 0 {
            full.push(t.elapsed());
        }
        scored = app::rfm::service::run(db, run)
            .await
            .expect("run")
            .map(|r| r.customers)
            .unwrap_or(0);
        assert_eq!(
            scored,
            rows.len() as i64,
            "recompute scores every aggregated customer"
        );
    }
    let (b, f) = (median_ms(bare), median_ms(full));
    println!(
        "[{engine}] rfm: bare aggregate p50={b:.1} ms, full recompute ({scored} customers scored, stored) p50={f:.1} ms, ratio {:.2}",
        f / b
    );
}

/// The funnel page's query (milestones of every visible, filtered customer, then the
/// maths) as three roles, unfiltered, for one owner and for one cohort month.
async fn bench_funnel(db: &Db, engine: &str, customers: u64) {
    use app::funnel::model::{FunnelFilter, FunnelQuery};
    let target = arg("--funnel-orders")
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or(customers as i64 * 10);
    let t = Instant::now();
    let orders = top_up_orders(db, target).await;
    println!(
        "[{engine}] funnel data: {customers} customers, {orders} orders (top-up {:.1}s)",
        t.elapsed().as_secs_f64()
    );
    let admin = staff(db, "admin@rapport.local").await;
    let tier1 = staff(db, "t1.south@rapport.local").await;
    let tier2 = staff(db, "t2.east@rapport.local").await;
    // The busiest owner, and the most recent complete cohort month.
    let owner: i64 = sqlx::query(
        "SELECT owner_id FROM customers GROUP BY owner_id ORDER BY COUNT(*) DESC, owner_id LIMIT 1",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap()
    .try_get("owner_id")
    .unwrap();
    let newest: i64 = sqlx::query("SELECT MAX(created_at) AS t FROM customers")
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .try_get("t")
        .unwrap();
    let month = app::funnel::model::Month::of_day(newest.div_euclid(86_400) - 31).to_string();
    let filters = [
        ("unfiltered", FunnelQuery::default()),
        (
            "owner",
            FunnelQuery {
                owner: owner.to_string(),
                ..Default::default()
            },
        ),
        (
            "cohort",
            FunnelQuery {
                from: month.clone(),
                to: month.clone(),
                ..Default::default()
            },
        ),
    ];
    for (who_label, who) in [("admin", &admin), ("tier-1", &tier1), ("tier-2", &tier2)] {
        for (filter_label, q) in &filters {
            let filter = FunnelFilter::parse(q).expect("valid filter");
            let mut times = Vec::new();
            let mut acquired = 0;
            for round in 0..21 {
                let t = Instant::now();
                let f = app::funnel::service::report(db, who, &filter)
                    .await
                    .expect("funnel");
                if round > 0 {
                    times.push(t.elapsed());
                }
                acquired = f.steps[0].customers;
                if round == 0 {
                    let counts: Vec<i64> = f.steps.iter().map(|s| s.customers).collect();
                    println!("[{engine}] funnel {who_label} {filter_label}: counts {counts:?}");
                }
            }
            times.sort();
            println!(
                "[{engine}] funnel {who_label} {filter_label}: {acquired} customers, n={} p50={:.1} ms p95={:.1} ms",
                times.len(),
                percentile(&times, 0.50),
                percentile(&times, 0.95)
            );
        }
    }
}

/// The full lifecycle rebuild (read every order, replay, write every span, one
/// transaction), then the page's stage-count and monthly-chart queries as two roles.
async fn bench_lifecycle(db: &Db, engine: &str, customers: u64) {
    use app::lifecycle::model::CHART_MONTHS;
    use app::lifecycle::service as lc;
    let target = arg("--lifecycle-orders")
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or(customers as i64 * 10);
    let t = Instant::now();
    let orders = top_up_orders(db, target).await;
    println!(
        "[{engine}] lifecycle data: {customers} customers, {orders} orders (top-up and first rebuild {:.1}s)",
        t.elapsed().as_secs_f64()
    );
    let mut times = Vec::new();
    let mut spans = 0;
    for _ in 0..3 {
        let t = Instant::now();
        spans = lc::rebuild_all(db).await.expect("rebuild");
        times.push(t.elapsed());
    }
    println!(
        "[{engine}] lifecycle: full rebuild ({spans} spans) median={:.0} ms",
        median_ms(times)
    );
    let admin = staff(db, "admin@rapport.local").await;
    let tier2 = staff(db, "t2.east@rapport.local").await;
    let today = lc::today();
    for (who, user) in [("admin", &admin), ("tier-2", &tier2)] {
        let mut counts = Vec::new();
        let mut months = Vec::new();
        let mut total = 0;
        for _ in 0..20 {
            let t = Instant::now();
            total = lc::counts_on(db, Some(user), today)
                .await
                .expect("counts")
                .iter()
                .sum::<i64>();
            counts.push(t.elapsed());
            let t = Instant::now();
            lc::monthly_counts(db, Some(user), CHART_MONTHS)
                .await
                .expect("monthly");
            months.push(t.elapsed());
        }
        counts.sort();
        months.sort();
        println!(
            "[{engine}] lifecycle as {who} ({total} customers): stage counts p50={:.1} ms p95={:.1} ms; \
             monthly chart ({CHART_MONTHS} months) p50={:.1} ms p95={:.1} ms",
            percentile(&counts, 0.5),
            percentile(&counts, 0.95),
            percentile(&months, 0.5),
            percentile(&months, 0.95),
        );
    }
}

/// The segment builder's live count (what `count_segment` does: validate, then count
/// under the viewer's visibility) for typical rules, as different roles, on the demo data
/// topped up to `--orders` orders (default 10 per customer) with a current RFM run.
async fn bench_segments(db: &Db, engine: &str, customers: u64) {
    use app::segments::model::{
        Attr, Cmp, Combine, Condition, Measure, RuleGroup, RuleNode, SegmentRule, SetOp,
    };
    let target = arg("--orders")
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or(customers as i64 * 10);
    let orders = top_up_orders(db, target).await;
    let today = app::dates::iso_date(app::db::now().div_euclid(86_400));
    let t = Instant::now();
    app::rfm::service::recompute(db, app::rfm::model::RunKind::Scheduled, &today, None, None)
        .await
        .expect("rfm run");
    println!(
        "[{engine}] segments data: {customers} customers, {orders} orders; RFM run {:.1}s",
        t.elapsed().as_secs_f64()
    );
    let strategic: i64 = sqlx::query("SELECT id FROM tags WHERE name = 'strategic'")
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .try_get("id")
        .unwrap();
    let attr = |attr: Attr, op: SetOp, values: &[&str]| {
        RuleNode::Condition(Condition::Attr {
            attr,
            op,
            values: values.iter().map(|v| v.to_string()).collect(),
        })
    };
    let measure = |measure: Measure, days: Option<i64>, op: Cmp, value: &str| {
        RuleNode::Condition(Condition::Measure {
            measure,
            days,
            op,
            value: value.into(),
        })
    };
    let group = |combine: Combine, negate: bool, items: Vec<RuleNode>| RuleGroup {
        combine,
        negate,
        items,
    };
    let rule = |root: RuleGroup| SegmentRule {
        version: app::segments::model::RULE_VERSION,
        root,
    };
    let rules: Vec<(&str, SegmentRule)> = vec![
        (
            "south, >= 3 orders in 90 days, not VIP",
            rule(group(
                Combine::All,
                false,
                vec![
                    attr(Attr::Province, SetOp::AnyOf, &["Guangdong", "Fujian"]),
                    measure(Measure::OrdersCount, Some(90), Cmp::Ge, "3"),
                    attr(Attr::Grade, SetOp::NoneOf, &["vip"]),
                ],
            )),
        ),
        (
            "key accounts, no order for 60 days",
            rule(group(
                Combine::All,
                false,
                vec![
                    attr(Attr::Level, SetOp::AnyOf, &["1"]),
                    measure(Measure::DaysSinceLastOrder, None, Cmp::Ge, "60"),
                ],
            )),
        ),
        (
            "champions or loyal, none tagged strategic",
            rule(group(
                Combine::All,
                false,
                vec![
                    attr(Attr::RfmSegment, SetOp::AnyOf, &["champions", "loyal"]),
                    RuleNode::Group(group(
                        Combine::Any,
                        true,
                        vec![attr(Attr::Tag, SetOp::AnyOf, &[&strategic.to_string()])],
                    )),
                ],
            )),
        ),
        (
            "fewer than 2 orders in 365 days or segment code A",
            rule(group(
                Combine::Any,
                false,
                vec![
                    measure(Measure::OrdersCount, Some(365), Cmp::Lt, "2"),
                    RuleNode::Condition(Condition::Custom {
                        key: "segment_code".into(),
                        op: Cmp::Eq,
                        value: "A".into(),
                    }),
                ],
            )),
        ),
        ("everyone (empty rule)", SegmentRule::default()),
    ];
    let admin = staff(db, "admin@rapport.local").await;
    let tier1 = staff(db, "t1.south@rapport.local").await;
    let tier2 = staff(db, "t2.east@rapport.local").await;
    for (name, rule) in &rules {
        for (who, user) in [("admin", &admin), ("tier-1", &tier1), ("tier-2", &tier2)] {
            let mut times = Vec::new();
            let mut n = 0;
            for round in 0..21 {
                let t = Instant::now();
                let checked = app::segments::service::check(db, rule).await.unwrap();
                n = app::segments::service::count(db, user, &checked)
                    .await
                    .unwrap();
                if round > 0 {
                    times.push(t.elapsed());
                }
            }
            times.sort();
            println!(
                "[{engine}] live count {name} as {who}: {n} customers, p50={:.1} ms p95={:.1} ms",
                percentile(&times, 0.5),
                percentile(&times, 0.95)
            );
        }
    }
}

/// Public-form answers under load, through the real HTTP stack in memory (`/f/satisfaction`
/// of the demo data): every answer acknowledged with 200 must be in the database. While
/// the load runs, a staff page (`/customers` as the admin) is requested in a loop; its
/// p99 is compared with the same page at rest. Run twice: at full speed (throughput) and
/// paced at `--rate R` answers a second (default 1 000). `--submissions N` per phase
/// (default 20 000), `--clients C` concurrent visitors (default 64).
async fn bench_feedback(db: &Db, engine: &str) {
    use app::state::{AppConfig, AppState};
    use axum::body::Body;
    use axum::extract::ConnectInfo;
    use axum::http::{header, Request, StatusCode};
    use std::net::SocketAddr;
    use std::sync::Arc;
    use tower::ServiceExt;

    let submissions: usize = arg("--submissions")
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let clients: usize = arg("--clients").and_then(|s| s.parse().ok()).unwrap_or(64);
    let options = leptos::config::LeptosOptions::builder()
        .output_name("rapport")
        .site_root("target/site")
        .build();
    let router = rapport_server::web::build_router(AppState {
        db: db.clone(),
        leptos_options: options,
        config: Arc::new(AppConfig {
            secure_cookies: false,
            public_origin: None,
        }),
    });
    let admin = staff(db, "admin@rapport.local").await;
    let token = app::auth::service::create_session(db, admin.id)
        .await
        .unwrap();
    let cookie = format!("{}={token}", app::auth::service::SESSION_COOKIE);

    // The public page and its service worker, as a visitor's browser receives them.
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
            tasks.push(tokio::spawn(async move {
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
            }));
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

    // The analysis page's figures over every stored answer (the demo's and both phases').
    let form_id: i64 = sqlx::query("SELECT id FROM feedback_forms WHERE slug = 'satisfaction'")
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .try_get("id")
        .unwrap();
    let total = stored().await;
    let tier1 = staff(db, "t1.south@rapport.local").await;
    let one_form = app::feedback::model::AnalysisFilter {
        form_id: Some(form_id),
        ..Default::default()
    };
    for (label, who, filter) in [
        ("admin, one form", &admin, one_form.clone()),
        ("admin, all forms", &admin, Default::default()),
        ("tier-1 (team scope), one form", &tier1, one_form),
    ] {
        let mut times = Vec::new();
        for _ in 0..10 {
            let t = Instant::now();
            app::feedback::service::analysis(db, who, &filter)
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
