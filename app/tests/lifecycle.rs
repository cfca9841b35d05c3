//! Lifecycle history in the database against the pure replay, on both engines: the full
//! rebuild and a threshold change, order writes through the order service, counts,
//! monthly counts, flows and the export under the visibility rules.

mod support;

use app::auth::permissions::{may_see_customer, CustomerScope};
use app::auth::{CurrentUser, Role};
use app::dates::iso_date;
use app::db::{insert_rows, Db, Row, SqlValue};
use app::error::AppError;
use app::ids::{CustomerId, TeamId};
use app::lifecycle::model::{spans, stage_at, Span, Stage, StageCounts, Thresholds, CHART_MONTHS};
use app::lifecycle::service as lc;
use app::orders::model::OrderDraft;
use std::collections::BTreeMap;
use support::{on_both_engines, team, user, Rng};

struct Customer {
    id: i64,
    external: String,
    scope: CustomerScope,
    created_day: i64,
    /// Sorted order days.
    orders: Vec<i64>,
}

struct World {
    admin: CurrentUser,
    t1: CurrentUser,
    t2: CurrentUser,
    customers: Vec<Customer>,
}

impl World {
    fn visible<'a>(&'a self, actor: &'a CurrentUser) -> impl Iterator<Item = &'a Customer> + 'a {
        self.customers
            .iter()
            .filter(move |c| may_see_customer(actor, &c.scope))
    }

    /// The stage on `d` by the pure rules, for customers that existed on `d` (see the
    /// migration: the history starts at creation or the first order, if earlier).
    fn expected_on(&self, actor: &CurrentUser, d: i64, t: &Thresholds) -> Vec<(String, Stage)> {
        self.visible(actor)
            .filter(|c| {
                c.orders
                    .first()
                    .map_or(c.created_day, |&f| f.min(c.created_day))
                    <= d
            })
            .map(|c| (c.external.clone(), stage_at(&c.orders, d, t)))
            .collect()
    }

    fn counts_on(&self, actor: &CurrentUser, d: i64, t: &Thresholds) -> StageCounts {
        let mut out = StageCounts::default();
        for (_, s) in self.expected_on(actor, d, t) {
            out[s.index()] += 1;
        }
        out
    }
}

fn today() -> i64 {
    lc::today()
}

async fn world(db: &Db, n: i64, seed: u64) -> World {
    let east = team(db, "East").await;
    let west = team(db, "West").await;
    let admin = user(db, "admin@example.com", Role::Admin, None).await;
    let t1 = user(db, "t1@example.com", Role::Tier1Manager, Some(east)).await;
    let t1w = user(db, "t1w@example.com", Role::Tier1Manager, Some(west)).await;
    let t2 = user(db, "t2@example.com", Role::Tier2Manager, Some(east)).await;
    let owners: [(&CurrentUser, TeamId); 3] = [(&t1, east), (&t2, east), (&t1w, west)];
    let mut rng = Rng(seed);
    let today = today();
    let mut customers = Vec::new();
    let mut rows = Vec::new();
    let mut order_rows = Vec::new();
    for i in 1..=n {
        let (owner, team) = owners[rng.below(3) as usize];
        let service = (owner.id == t1w.id && rng.below(4) == 0).then_some(t2.id);
        let scope = CustomerScope {
            level: if owner.role == Role::Tier1Manager {
                1
            } else {
                2
            },
            owner_id: owner.id,
            service_manager_id: service,
            team_id: Some(team),
        };
        let created_day = today - 30 - rng.below(500) as i64;
        rows.push(vec![
            SqlValue::Int(i),
            SqlValue::OptText((i % 7 != 0).then(|| format!("ext-{i}"))),
            SqlValue::Text(format!("Customer {i}")),
            SqlValue::Text("company".into()),
            SqlValue::Int(scope.level),
            SqlValue::Text("general".into()),
            SqlValue::Int(owner.id.0),
            SqlValue::OptInt(service.map(|s| s.0)),
            SqlValue::Int(team.0),
            SqlValue::Text(format!("customer {i}")),
            SqlValue::Text(format!("customer {i:05}")),
            SqlValue::Int(created_day * 86_400 + 3_600),
            SqlValue::Int(created_day * 86_400 + 3_600),
        ]);
        // Some without orders, some with orders from before they were entered, same-day
        // orders, and gaps around the thresholds.
        let mut orders: Vec<i64> = Vec::new();
        let n_orders = [0, 1, 1, 2, 3, 5, 8][rng.below(7) as usize];
        let mut day = created_day - 60 + rng.below(120) as i64;
        for _ in 0..n_orders {
            if day > today {
                break;
            }
            orders.push(day);
            day += [0, 1, 30, 89, 90, 91, 120, 200][rng.below(8) as usize];
        }
        for &d in &orders {
            order_rows.push(vec![
                SqlValue::Int(i),
                SqlValue::Text(iso_date(d)),
                SqlValue::Int(d * 86_400),
                SqlValue::Int(1000),
                SqlValue::Text("CNY".into()),
                SqlValue::Int(0),
            ]);
        }
        customers.push(Customer {
            id: i,
            external: if i % 7 != 0 {
                format!("ext-{i}")
            } else {
                i.to_string()
            },
            scope,
            created_day,
            orders,
        });
    }
    let mut tx = db.begin_write().await.unwrap();
    insert_rows(
        &mut tx,
        db.engine,
        "INSERT INTO customers (id, external_id, name, kind, level, grade, owner_id, service_manager_id, \
         team_id, search_text, name_key, created_at, updated_at)",
        &rows,
    )
    .await
    .unwrap();
    insert_rows(
        &mut tx,
        db.engine,
        "INSERT INTO orders (customer_id, order_date, ordered_at, amount_cents, currency, created_at)",
        &order_rows,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    if db.engine == app::db::Engine::Postgres {
        sqlx::query("SELECT setval(pg_get_serial_sequence('customers', 'id'), (SELECT MAX(id) FROM customers))")
            .execute(&db.pool)
            .await
            .unwrap();
    }
    World {
        admin,
        t1,
        t2,
        customers,
    }
}

/// Every stored span, per customer, as (stage, previous stage, starts, ends).
async fn stored(db: &Db) -> BTreeMap<i64, Vec<(Span, Option<Stage>)>> {
    let mut out: BTreeMap<i64, Vec<(Span, Option<Stage>)>> = BTreeMap::new();
    for r in sqlx::query(
        "SELECT customer_id, stage, previous_stage, starts_on, ends_on FROM lifecycle_spans \
         ORDER BY customer_id, starts_on",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap()
    {
        let day = |s: String| app::dates::parse_date(&s).unwrap();
        let stage: String = r.try_get("stage").unwrap();
        let prev: Option<String> = r.try_get("previous_stage").unwrap();
        out.entry(r.try_get("customer_id").unwrap())
            .or_default()
            .push((
                Span {
                    stage: Stage::parse(&stage).unwrap(),
                    starts: day(r.try_get("starts_on").unwrap()),
                    ends: r.try_get::<Option<String>, _>("ends_on").unwrap().map(day),
                },
                prev.map(|p| Stage::parse(&p).unwrap()),
            ));
    }
    out
}

/// The replay of every customer with orders, as the table should hold it.
fn replayed(customers: &[Customer], t: &Thresholds) -> BTreeMap<i64, Vec<(Span, Option<Stage>)>> {
    customers
        .iter()
        .filter(|c| !c.orders.is_empty())
        .map(|c| {
            let s = spans(&c.orders, c.created_day, t);
            let prev = std::iter::once(None).chain(s.iter().map(|x| Some(x.stage)));
            (c.id, s.iter().copied().zip(prev).collect())
        })
        .collect()
}

#[tokio::test]
async fn rebuilt_history_equals_the_replay_also_after_a_threshold_change() {
    on_both_engines(|db| async move {
        let w = world(&db, 250, 0x11fe_c7c1).await;
        let written = lc::rebuild_all(&db).await.unwrap();
        let defaults = Thresholds::default();
        let expected = replayed(&w.customers, &defaults);
        assert_eq!(written as usize, expected.values().map(Vec::len).sum::<usize>());
        assert_eq!(stored(&db).await, expected);
        // Every stage occurs in the generated data.
        let all: std::collections::HashSet<Stage> = expected
            .values()
            .flatten()
            .map(|(s, _)| s.stage)
            .collect();
        assert_eq!(all.len(), Stage::ALL.len(), "{all:?}");

        let changed = Thresholds {
            new_days: 14,
            active_days: 60,
            churn_days: 240,
        };
        assert!(matches!(
            lc::save_thresholds(&db, &w.t1, &changed).await,
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            lc::save_thresholds(
                &db,
                &w.admin,
                &Thresholds {
                    churn_days: 60,
                    ..changed
                }
            )
            .await,
            Err(AppError::Validation(_))
        ));
        lc::save_thresholds(&db, &w.admin, &changed).await.unwrap();
        assert_eq!(lc::thresholds(&db).await.unwrap(), changed);
        assert_eq!(stored(&db).await, replayed(&w.customers, &changed));
        // A rebuild from scratch gives the same rows.
        lc::rebuild_all(&db).await.unwrap();
        assert_eq!(stored(&db).await, replayed(&w.customers, &changed));
        let audited: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM audit_log WHERE entity = 'settings' AND field = 'lifecycle.thresholds' \
             AND actor_id = $1",
        )
        .bind(w.admin.id.0)
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
        assert_eq!(audited, 1);
    })
    .await;
}

#[tokio::test]
async fn counts_months_flows_and_export_follow_visibility() {
    on_both_engines(|db| async move {
        let w = world(&db, 300, 0x5eed_4242).await;
        lc::rebuild_all(&db).await.unwrap();
        let t = Thresholds::default();
        let today = today();
        for actor in [&w.admin, &w.t1, &w.t2] {
            let now = lc::counts_on(&db, Some(actor), today).await.unwrap();
            assert_eq!(now, w.counts_on(actor, today, &t), "{:?}", actor.role);
            // Monthly counts: each month as of its last day (this month: today).
            let months = lc::monthly_counts(&db, Some(actor), CHART_MONTHS)
                .await
                .unwrap();
            assert_eq!(months.len(), CHART_MONTHS);
            assert_eq!(months.last().unwrap().counts, now);
            for m in &months {
                let d = app::dates::parse_date(&m.as_of).unwrap();
                assert_eq!(
                    m.counts,
                    w.counts_on(actor, d, &t),
                    "{} {:?}",
                    m.month,
                    actor.role
                );
            }
            // Flows of a period: the stage changes the replay has in it.
            let (from, to) = (today - 120, today - 10);
            let mut expected: BTreeMap<(Stage, Stage), i64> = BTreeMap::new();
            for c in w.visible(actor) {
                let s = spans(&c.orders, c.created_day, &t);
                for pair in s.windows(2) {
                    if (from..=to).contains(&pair[1].starts) && !c.orders.is_empty() {
                        *expected.entry((pair[0].stage, pair[1].stage)).or_default() += 1;
                    }
                }
            }
            let got: BTreeMap<(Stage, Stage), i64> = lc::flows(&db, Some(actor), from, to)
                .await
                .unwrap()
                .into_iter()
                .map(|f| ((f.from, f.to), f.count))
                .collect();
            assert_eq!(got, expected, "{:?}", actor.role);
            // Export as of a past date.
            let as_of = today - 200;
            let mut rows = lc::rows_on(&db, Some(actor), as_of).await.unwrap();
            let mut want = w.expected_on(actor, as_of, &t);
            rows.sort();
            want.sort();
            assert_eq!(rows, want);
        }
        // The tier-2 manager sees fewer customers than the admin, and only their own.
        let all: i64 = lc::counts_on(&db, Some(&w.admin), today)
            .await
            .unwrap()
            .iter()
            .sum();
        let mine: i64 = lc::counts_on(&db, Some(&w.t2), today)
            .await
            .unwrap()
            .iter()
            .sum();
        assert!(0 < mine && mine < all, "{mine} of {all}");
        assert_eq!(all, w.customers.len() as i64);
        let csv = lc::export_csv(&db, &w.t2, &iso_date(today)).await.unwrap();
        let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(lines[0], "customer_external_id,stage");
        assert_eq!(lines.len() as i64 - 1, mine);
        assert!(matches!(
            lc::export_csv(&db, &w.t2, "2025-13-01").await,
            Err(AppError::Validation(_))
        ));
        let viewer = user(&db, "viewer@example.com", Role::Viewer, None).await;
        assert!(matches!(
            lc::counts_on(&db, Some(&viewer), today).await,
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            lc::flows(&db, Some(&w.admin), today, today - 1).await,
            Err(AppError::Validation(_))
        ));
    })
    .await;
}

fn draft(day: i64) -> OrderDraft {
    OrderDraft {
        external_id: None,
        day,
        amount_cents: 5_000,
        currency: "CNY".into(),
        product: None,
        category: None,
        channel: None,
    }
}

#[tokio::test]
async fn order_writes_update_stage_and_history_at_once() {
    on_both_engines(|db| async move {
        let w = world(&db, 20, 0xabcd).await;
        lc::rebuild_all(&db).await.unwrap();
        let t = Thresholds::default();
        let today = today();
        // A customer created 400 days ago without orders: a lead, with no spans.
        let c = w.customers.iter().find(|c| c.orders.is_empty()).unwrap();
        let (c_id, c_scope, c_created) = (c.id, c.scope, c.created_day);
        let id = CustomerId(c_id);
        assert_eq!(
            lc::customer_stage(&db, &w.admin, id).await.unwrap().stage,
            Stage::Lead
        );
        let first = today - 300;
        let o1 = app::orders::service::add(&db, &w.admin, id, &draft(first))
            .await
            .unwrap();
        let s = lc::customer_stage(&db, &w.admin, id).await.unwrap();
        assert_eq!(s.stage, Stage::Churned);
        let expected = replayed(
            &[Customer {
                id: c_id,
                external: String::new(),
                scope: c_scope,
                created_day: c_created,
                orders: vec![first],
            }],
            &t,
        );
        assert_eq!(stored(&db).await.get(&c_id), expected.get(&c_id));
        // An order today after 300 days: reactivated from today.
        let o2 = app::orders::service::add(&db, &w.admin, id, &draft(today))
            .await
            .unwrap();
        let s = lc::customer_stage(&db, &w.admin, id).await.unwrap();
        assert_eq!(s.stage, Stage::Reactivated);
        assert_eq!(s.since.as_deref(), Some(iso_date(today).as_str()));
        assert_eq!(
            stored(&db).await.get(&c_id).map(|v| v.len()),
            Some(spans(&[first, today], c_created, &t).len())
        );
        let change = lc::stage_on(&db, id, today).await.unwrap();
        assert_eq!(change, Some(Stage::Reactivated));
        // The customer list filters by today's stage and shows it.
        let listed = |stage: &'static str| {
            let db = db.clone();
            let admin = w.admin.clone();
            async move {
                let f = app::customers::filter::ParsedFilter::try_from(
                    &app::customers::filter::CustomerFilter {
                        stage: stage.into(),
                        ..Default::default()
                    },
                )
                .unwrap();
                let conditions = app::segments::service::list_conditions(&db, &admin, &f)
                    .await
                    .unwrap();
                app::customers::listing::list(&db, &admin, &f, &conditions)
                    .await
                    .unwrap()
                    .items
            }
        };
        let reactivated = listed("reactivated").await;
        assert!(reactivated.iter().any(|c| c.id == id));
        assert!(reactivated.iter().all(|c| c.stage == Stage::Reactivated));
        assert!(!listed("churned").await.iter().any(|c| c.id == id));
        assert!(app::customers::filter::ParsedFilter::try_from(
            &app::customers::filter::CustomerFilter {
                stage: "dormant".into(),
                ..Default::default()
            }
        )
        .is_err());
        // The timeline has the changes that happened, not those still to come.
        let page = app::timeline::service::page(
            &db,
            &w.admin,
            id,
            &app::timeline::model::TimelineQuery {
                kinds: "lifecycle".into(),
                before: String::new(),
            },
        )
        .await
        .unwrap();
        let happened: Vec<Stage> = spans(&[first, today], c_created, &t)
            .iter()
            .filter(|s| s.starts <= today)
            .map(|s| s.stage)
            .collect();
        assert_eq!(page.entries.len(), happened.len());
        match &page.entries[0].body {
            app::timeline::model::TimelineBody::Lifecycle { from, to } => {
                assert_eq!((*from, *to), (Some(Stage::Churned), Stage::Reactivated));
            }
            other => panic!("unexpected entry {other:?}"),
        }
        // Deleting both orders: a lead again, no spans left.
        app::orders::service::delete(&db, &w.admin, o2)
            .await
            .unwrap();
        assert_eq!(
            lc::customer_stage(&db, &w.admin, id).await.unwrap().stage,
            Stage::Churned
        );
        app::orders::service::delete(&db, &w.admin, o1)
            .await
            .unwrap();
        assert_eq!(
            lc::customer_stage(&db, &w.admin, id).await.unwrap().stage,
            Stage::Lead
        );
        assert_eq!(stored(&db).await.get(&c_id), None);
        // Nobody else's history moved.
        let mut others = w.customers;
        others.retain(|x| x.id != c_id);
        let mut want = replayed(&others, &t);
        let mut got = stored(&db).await;
        got.remove(&c_id);
        want.remove(&c_id);
        assert_eq!(got, want);
    })
    .await;
}
