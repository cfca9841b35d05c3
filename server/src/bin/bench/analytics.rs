//! The analytics benchmarks on topped-up orders: RFM, the funnel, the lifecycle and the
//! segment builder's live count.

use super::*;

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
    let ids = customer_ids(db).await;
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
pub(super) async fn bench_rfm(db: &Db, engine: &str, customers: u64) {
    use app::rfm::model::RunKind;
    use app::rfm::runs::{recompute, BARE_AGGREGATE_SQL};
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
        scored = app::rfm::runs::run(db, run)
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
pub(super) async fn bench_funnel(db: &Db, engine: &str, customers: u64) {
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
pub(super) async fn bench_lifecycle(db: &Db, engine: &str, customers: u64) {
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
pub(super) async fn bench_segments(db: &Db, engine: &str, customers: u64) {
    use app::segments::model::{
        Attr, Cmp, Combine, Condition, Measure, RuleGroup, RuleNode, SegmentRule, SetOp,
    };
    let target = arg("--orders")
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or(customers as i64 * 10);
    let orders = top_up_orders(db, target).await;
    let today = app::dates::iso_date(app::db::now().div_euclid(86_400));
    let t = Instant::now();
    app::rfm::runs::recompute(db, app::rfm::model::RunKind::Scheduled, &today, None, None)
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
