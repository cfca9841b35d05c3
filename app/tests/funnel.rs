//! The funnel in the database against an expectation computed here from the raw generated
//! orders, under every filter and the visibility rules, on both engines.

mod support;

use app::auth::permissions::{may_see_customer, CustomerScope};
use app::auth::{CurrentUser, Role};
use app::dates::{civil_from_days, iso_date, parse_date};
use app::db::{insert_rows, Db, SqlValue};
use app::error::AppError;
use app::funnel::model::{Funnel, FunnelFilter, FunnelQuery};
use app::funnel::service as funnel;
use app::i18n::Key;
use app::ids::TeamId;
use app::segments::model::{
    Combine, Condition, RuleGroup, RuleNode, SegmentDraft, SegmentInput, SegmentRule, SetOp,
};
use std::collections::BTreeMap;
use support::{on_both_engines, team, user, Rng};

struct GenCustomer {
    scope: CustomerScope,
    created_at: i64,
    source: Option<&'static str>,
    province: Option<&'static str>,
}

struct GenOrder {
    id: i64,
    customer: usize,
    day: i64,
    category: Option<&'static str>,
}

struct World {
    admin: CurrentUser,
    t1: CurrentUser,
    t2: CurrentUser,
    t1w: CurrentUser,
    west: TeamId,
    customers: Vec<GenCustomer>,
    orders: Vec<GenOrder>,
}

const START: &str = "2025-01-01";

async fn world(db: &Db, n_customers: usize, seed: u64) -> World {
    let east = team(db, "East").await;
    let west = team(db, "West").await;
    let admin = user(db, "admin@funnel.test", Role::Admin, None).await;
    let t1 = user(db, "t1@funnel.test", Role::Tier1Manager, Some(east)).await;
    let t2 = user(db, "t2@funnel.test", Role::Tier2Manager, Some(east)).await;
    let t1w = user(db, "t1w@funnel.test", Role::Tier1Manager, Some(west)).await;
    let t2w = user(db, "t2w@funnel.test", Role::Tier2Manager, Some(west)).await;
    let owners: [(&CurrentUser, TeamId); 4] =
        [(&t1, east), (&t2, east), (&t1w, west), (&t2w, west)];
    let start = parse_date(START).unwrap();
    let mut rng = Rng(seed);
    let mut customers = Vec::new();
    let mut orders = Vec::new();
    const CATEGORIES: [Option<&str>; 6] = [
        Some("hardware"),
        Some("hardware"),
        Some("service"),
        Some("software"),
        None,
        Some(""),
    ];
    for i in 0..n_customers {
        let (owner, team) = owners[rng.below(4) as usize];
        let service = (owner.id == t1w.id && rng.below(3) == 0).then_some(t2.id);
        let created_day = start + rng.below(180) as i64;
        customers.push(GenCustomer {
            scope: CustomerScope {
                level: if owner.role == Role::Tier1Manager {
                    1
                } else {
                    2
                },
                owner_id: owner.id,
                service_manager_id: service,
                team_id: Some(team),
            },
            created_at: created_day * 86_400 + rng.below(86_400) as i64,
            source: [Some("web"), Some("fair"), Some("referral"), None][rng.below(4) as usize],
            province: [Some("Guangdong"), Some("Zhejiang"), None][rng.below(3) as usize],
        });
        // Few distinct days, so same-day orders are common; some before the customer
        // was created (imported history).
        let n = [0, 1, 1, 2, 2, 3, 5][rng.below(7) as usize];
        for _ in 0..n {
            orders.push(GenOrder {
                id: 0,
                customer: i,
                day: created_day - 5 + 5 * rng.below(12) as i64,
                category: CATEGORIES[rng.below(6) as usize],
            });
        }
    }
    // Ids in an order unrelated to dates or insertion, so ties are broken by id alone.
    let total = orders.len() as i64;
    let mut ids: Vec<i64> = (1..=total).collect();
    for k in (1..ids.len()).rev() {
        ids.swap(k, rng.below(k as u64 + 1) as usize);
    }
    for (o, id) in orders.iter_mut().zip(ids) {
        o.id = id;
    }
    let customer_rows: Vec<Vec<SqlValue>> = customers
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let id = i as i64 + 1;
            vec![
                SqlValue::Int(id),
                SqlValue::Text(format!("Customer {id}")),
                SqlValue::Text("company".into()),
                SqlValue::Int(c.scope.level),
                SqlValue::Text("general".into()),
                SqlValue::Int(c.scope.owner_id.0),
                SqlValue::OptInt(c.scope.service_manager_id.map(|s| s.0)),
                SqlValue::OptInt(c.scope.team_id.map(|t| t.0)),
                SqlValue::OptText(c.source.map(str::to_string)),
                SqlValue::OptText(c.province.map(str::to_string)),
                SqlValue::Text(format!("customer {id}")),
                SqlValue::Text(format!("customer {id:05}")),
                SqlValue::Int(c.created_at),
                SqlValue::Int(c.created_at),
            ]
        })
        .collect();
    let order_rows: Vec<Vec<SqlValue>> = orders
        .iter()
        .map(|o| {
            vec![
                SqlValue::Int(o.id),
                SqlValue::Int(o.customer as i64 + 1),
                SqlValue::Text(iso_date(o.day)),
                SqlValue::Int(o.day * 86_400),
                SqlValue::Int(1_000),
                SqlValue::Text("CNY".into()),
                SqlValue::OptText(o.category.map(str::to_string)),
                SqlValue::Int(0),
            ]
        })
        .collect();
    let mut tx = db.begin_write().await.unwrap();
    insert_rows(
        &mut tx,
        db.engine,
        "INSERT INTO customers (id, name, kind, level, grade, owner_id, service_manager_id, team_id, \
         source_channel, province, search_text, name_key, created_at, updated_at)",
        &customer_rows,
    )
    .await
    .unwrap();
    insert_rows(
        &mut tx,
        db.engine,
        "INSERT INTO orders (id, customer_id, order_date, ordered_at, amount_cents, currency, category, created_at)",
        &order_rows,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // Orders were written in bulk: their milestones follow in one pass, as in the demo.
    funnel::rebuild_milestones(db).await.unwrap();
    World {
        admin,
        t1,
        t2,
        t1w,
        west,
        customers,
        orders,
    }
}

/// The expected funnel of the customers `keep` selects, computed from the raw orders with
/// the definitions written out again here (not with the model's functions).
struct Expected {
    counts: [i64; 4],
    medians: [Option<f64>; 4],
    cohorts: BTreeMap<String, [i64; 4]>,
}

fn expected(w: &World, keep: impl Fn(&GenCustomer) -> bool) -> Expected {
    let mut counts = [0i64; 4];
    let mut gaps: [Vec<i64>; 4] = Default::default();
    let mut cohorts: BTreeMap<String, [i64; 4]> = BTreeMap::new();
    let mut by_customer: BTreeMap<usize, Vec<&GenOrder>> = BTreeMap::new();
    for o in &w.orders {
        by_customer.entry(o.customer).or_default().push(o);
    }
    for (i, c) in w.customers.iter().enumerate() {
        if !keep(c) {
            continue;
        }
        let created = c.created_at.div_euclid(86_400);
        let (y, m, _) = civil_from_days(created);
        let row = cohorts.entry(format!("{y:04}-{m:02}")).or_default();
        counts[0] += 1;
        row[0] += 1;
        let mut os = by_customer.remove(&i).unwrap_or_default();
        os.sort_by_key(|o| (o.day, o.id));
        let Some(first) = os.first() else { continue };
        counts[1] += 1;
        row[1] += 1;
        gaps[1].push((first.day - created).max(0));
        let Some(second) = os.get(1) else { continue };
        counts[2] += 1;
        row[2] += 1;
        gaps[2].push(second.day - first.day);
        let Some(first_category) = known(first) else {
            continue;
        };
        let Some(expansion) = os[1..]
            .iter()
            .find(|o| known(o).is_some_and(|k| k != first_category))
        else {
            continue;
        };
        counts[3] += 1;
        row[3] += 1;
        gaps[3].push(expansion.day - second.day);
    }
    let medians = gaps.map(|mut g| {
        g.sort();
        let n = g.len();
        match n {
            0 => None,
            _ if n % 2 == 1 => Some(g[n / 2] as f64),
            _ => Some((g[n / 2 - 1] + g[n / 2]) as f64 / 2.0),
        }
    });
    Expected {
        counts,
        medians,
        cohorts,
    }
}

/// A category that is there and not empty.
fn known(o: &GenOrder) -> Option<&'static str> {
    o.category.filter(|s| !s.is_empty())
}

fn assert_matches(got: &Funnel, want: &Expected, case: &str) {
    let counts: Vec<i64> = got.steps.iter().map(|s| s.customers).collect();
    assert_eq!(counts, want.counts, "{case}: counts");
    let medians: Vec<Option<f64>> = got.steps.iter().map(|s| s.median_days).collect();
    assert_eq!(medians[1..], want.medians[1..], "{case}: medians");
    for (i, s) in got.steps.iter().enumerate().skip(1) {
        let prev = want.counts[i - 1];
        let expected = (prev > 0).then(|| want.counts[i] as f64 * 100.0 / prev as f64);
        assert_eq!(s.of_previous, expected, "{case}: step {i} of previous");
    }
    let cohorts: BTreeMap<String, [i64; 4]> = got
        .cohorts
        .iter()
        .map(|c| (c.month.clone(), c.counts))
        .collect();
    assert_eq!(cohorts, want.cohorts, "{case}: cohorts");
    assert!(
        got.cohorts.windows(2).all(|p| p[0].month < p[1].month),
        "{case}: cohorts oldest first"
    );
}

async fn report(db: &Db, who: &CurrentUser, q: FunnelQuery) -> Result<Funnel, AppError> {
    let filter = FunnelFilter::parse(&q)?;
    funnel::report(db, who, &filter).await
}

fn month_of(c: &GenCustomer) -> String {
    let (y, m, _) = civil_from_days(c.created_at.div_euclid(86_400));
    format!("{y:04}-{m:02}")
}

#[tokio::test]
async fn the_funnel_equals_the_expectation_under_every_filter() {
    on_both_engines(|db| async move {
        let w = world(&db, 400, 0xf00d_2025).await;
        let all = expected(&w, |_| true);
        // The data exercises every step and both parities of medians somewhere.
        assert!(all.counts.iter().all(|&n| n > 0), "{:?}", all.counts);
        assert!(all.counts[3] < all.counts[2] && all.counts[2] < all.counts[1]);

        let got = report(&db, &w.admin, FunnelQuery::default()).await.unwrap();
        assert_matches(&got, &all, "admin, unfiltered");

        let owner = w.t2.id;
        let got = report(
            &db,
            &w.admin,
            FunnelQuery {
                owner: owner.to_string(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_matches(
            &got,
            &expected(&w, |c| c.scope.owner_id == owner),
            "admin, owner",
        );

        let west = w.west;
        let got = report(
            &db,
            &w.admin,
            FunnelQuery {
                team: west.to_string(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_matches(
            &got,
            &expected(&w, |c| c.scope.team_id == Some(west)),
            "admin, team",
        );

        let got = report(
            &db,
            &w.admin,
            FunnelQuery {
                source: "web".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_matches(
            &got,
            &expected(&w, |c| c.source == Some("web")),
            "admin, source",
        );

        let got = report(
            &db,
            &w.admin,
            FunnelQuery {
                from: "2025-02".into(),
                to: "2025-03".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let in_range = |c: &GenCustomer| ("2025-02".."2025-04").contains(&month_of(c).as_str());
        assert_matches(&got, &expected(&w, in_range), "admin, cohort range");
        assert_eq!(got.cohorts.len(), 2);

        // A saved segment: province is Guangdong.
        let rule = SegmentRule {
            root: RuleGroup {
                combine: Combine::All,
                negate: false,
                items: vec![RuleNode::Condition(Condition::Attr {
                    attr: app::segments::model::Attr::Province,
                    op: SetOp::AnyOf,
                    values: vec!["Guangdong".into()],
                })],
            },
            ..Default::default()
        };
        let draft = SegmentDraft::parse(&SegmentInput {
            name: "Guangdong".into(),
            description: String::new(),
            shared: false,
            rule_json: rule.to_json(),
        })
        .unwrap();
        let segment = app::segments::service::save(&db, &w.admin, None, draft)
            .await
            .unwrap();
        let got = report(
            &db,
            &w.admin,
            FunnelQuery {
                segment: segment.to_string(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_matches(
            &got,
            &expected(&w, |c| c.province == Some("Guangdong")),
            "admin, segment",
        );

        // Everything at once.
        let got = report(
            &db,
            &w.admin,
            FunnelQuery {
                from: "2025-03".into(),
                to: "2025-06".into(),
                team: west.to_string(),
                source: "fair".into(),
                segment: segment.to_string(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_matches(
            &got,
            &expected(&w, |c| {
                ("2025-03".."2025-07").contains(&month_of(c).as_str())
                    && c.scope.team_id == Some(west)
                    && c.source == Some("fair")
                    && c.province == Some("Guangdong")
            }),
            "admin, every filter",
        );
    })
    .await;
}

#[tokio::test]
async fn managers_count_only_the_customers_they_may_see() {
    on_both_engines(|db| async move {
        let w = world(&db, 300, 0xbeef_0042).await;
        for who in [&w.t1, &w.t2, &w.t1w] {
            let got = report(&db, who, FunnelQuery::default()).await.unwrap();
            let want = expected(&w, |c| may_see_customer(who, &c.scope));
            assert_matches(&got, &want, &format!("{:?} unfiltered", who.role));
            assert!(want.counts[0] > 0);
        }
        // A tier-2 manager filtering by another owner gets the part of that owner's
        // customers they serve, never the rest.
        let (t2, other) = (&w.t2, w.t1w.id);
        let got = report(
            &db,
            t2,
            FunnelQuery {
                owner: other.to_string(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let want = expected(&w, |c| {
            c.scope.owner_id == other && may_see_customer(t2, &c.scope)
        });
        assert_matches(&got, &want, "tier-2, another owner");
        let all_of_other = expected(&w, |c| c.scope.owner_id == other);
        assert!(want.counts[0] > 0 && want.counts[0] < all_of_other.counts[0]);

        // The tier-1 manager of East asking for West: only West customers they own (none).
        let got = report(
            &db,
            &w.t1,
            FunnelQuery {
                team: w.west.to_string(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let t1 = &w.t1;
        let west = w.west;
        assert_matches(
            &got,
            &expected(&w, |c| {
                c.scope.team_id == Some(west) && may_see_customer(t1, &c.scope)
            }),
            "tier-1, another team",
        );

        // Others' private segments are unknown; unknown owners and teams are field errors.
        let draft = SegmentDraft::parse(&SegmentInput {
            name: "Private".into(),
            description: String::new(),
            shared: false,
            rule_json: SegmentRule::default().to_json(),
        })
        .unwrap();
        let private = app::segments::service::save(&db, &w.admin, None, draft)
            .await
            .unwrap();
        let err = report(
            &db,
            &w.t2,
            FunnelQuery {
                segment: private.to_string(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
        assert_eq!(
            err.field_error("segment"),
            Some(Key::FunnelErrUnknownSegment)
        );
        let err = report(
            &db,
            &w.admin,
            FunnelQuery {
                owner: "999999".into(),
                team: "888888".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
        assert_eq!(err.field_error("owner"), Some(Key::FunnelErrUnknownOwner));
        let err = report(
            &db,
            &w.admin,
            FunnelQuery {
                team: "888888".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
        assert_eq!(err.field_error("team"), Some(Key::FunnelErrUnknownTeam));

        for role in [Role::SupportAgent, Role::Viewer] {
            let u = user(&db, &format!("{}@funnel.test", role.as_str()), role, None).await;
            assert_eq!(
                report(&db, &u, FunnelQuery::default()).await,
                Err(AppError::Forbidden)
            );
            assert_eq!(funnel::options(&db, &u).await, Err(AppError::Forbidden));
        }
    })
    .await;
}

#[tokio::test]
async fn milestone_edges_in_sql() {
    on_both_engines(|db| async move {
        let admin = user(&db, "admin@edge.test", Role::Admin, None).await;
        let day = parse_date("2026-03-10").unwrap();
        // (orders as (id, day offset, category)) per customer, and the expected
        // (first, second, expansion) offsets.
        type Case = (Vec<(i64, i64, Option<&'static str>)>, [Option<i64>; 3]);
        let cases: Vec<Case> = vec![
            (vec![], [None, None, None]),
            // Same-day second order; the lower id is first, so the later id expands.
            (vec![(11, 3, Some("b")), (10, 3, Some("a"))], [Some(3), Some(3), Some(3)]),
            // Same category only.
            (vec![(12, 1, Some("a")), (13, 2, Some("a"))], [Some(1), Some(2), None]),
            // Uncategorised first order: never expands.
            (vec![(14, 1, None), (15, 2, Some("a")), (16, 3, Some("b"))], [Some(1), Some(2), None]),
            // Empty and missing categories are skipped; the later different one counts.
            (
                vec![(17, 0, Some("a")), (18, 4, Some("")), (19, 6, None), (20, 9, Some("b"))],
                [Some(0), Some(4), Some(9)],
            ),
            // Before the customer was created.
            (vec![(21, -30, Some("a"))], [Some(-30), None, None]),
        ];
        let mut customer_rows = Vec::new();
        let mut order_rows = Vec::new();
        for (i, (orders, _)) in cases.iter().enumerate() {
            let id = i as i64 + 1;
            customer_rows.push(vec![
                SqlValue::Int(id),
                SqlValue::Text(format!("Edge {id}")),
                SqlValue::Text("person".into()),
                SqlValue::Int(2),
                SqlValue::Text("general".into()),
                SqlValue::Int(admin.id.0),
                SqlValue::Text(format!("edge {id}")),
                SqlValue::Text(format!("edge {id}")),
                SqlValue::Int(day * 86_400 + 7_200),
                SqlValue::Int(day * 86_400 + 7_200),
            ]);
            for (oid, offset, category) in orders {
                order_rows.push(vec![
                    SqlValue::Int(*oid),
                    SqlValue::Int(id),
                    SqlValue::Text(iso_date(day + offset)),
                    SqlValue::Int((day + offset) * 86_400),
                    SqlValue::Int(500),
                    SqlValue::Text("CNY".into()),
                    SqlValue::OptText(category.map(str::to_string)),
                    SqlValue::Int(0),
                ]);
            }
        }
        let mut tx = db.begin_write().await.unwrap();
        insert_rows(
            &mut tx,
            db.engine,
            "INSERT INTO customers (id, name, kind, level, grade, owner_id, search_text, name_key, created_at, updated_at)",
            &customer_rows,
        )
        .await
        .unwrap();
        insert_rows(
            &mut tx,
            db.engine,
            "INSERT INTO orders (id, customer_id, order_date, ordered_at, amount_cents, currency, category, created_at)",
            &order_rows,
        )
        .await
        .unwrap();
        // Through the order hook, as every order write does; a full rebuild must agree.
        let ids: Vec<i64> = (1..=cases.len() as i64).collect();
        app::db::derived::orders_changed(&mut tx, &ids).await.unwrap();
        tx.commit().await.unwrap();
        let mut by_hook = funnel::milestones(&db, &admin, &FunnelFilter::default())
            .await
            .unwrap();
        by_hook.sort_by_key(|m| (m.first_order, m.second_order, m.expansion));
        funnel::rebuild_milestones(&db).await.unwrap();
        let mut got = funnel::milestones(&db, &admin, &FunnelFilter::default())
            .await
            .unwrap();
        got.sort_by_key(|m| (m.first_order, m.second_order, m.expansion));
        assert_eq!(by_hook, got);
        let mut want: Vec<[Option<i64>; 3]> = cases
            .iter()
            .map(|(_, e)| e.map(|o| o.map(|d| day + d)))
            .collect();
        want.sort();
        let got: Vec<[Option<i64>; 3]> = got
            .iter()
            .map(|m| {
                assert_eq!(m.created_day, day);
                [m.first_order, m.second_order, m.expansion]
            })
            .collect();
        assert_eq!(got, want);
        let report = funnel::report(&db, &admin, &FunnelFilter::default())
            .await
            .unwrap();
        let counts: Vec<i64> = report.steps.iter().map(|s| s.customers).collect();
        assert_eq!(counts, [6, 5, 4, 2]);
        // Converted after 3, 1, 1, 0 and 0 (clamped) days → 1; retained 0, 1, 1, 4 → 1;
        // expanded 0 and 5 → 2.5.
        let medians: Vec<Option<f64>> = report.steps.iter().map(|s| s.median_days).collect();
        assert_eq!(medians, [None, Some(1.0), Some(1.0), Some(2.5)]);
    })
    .await;
}

#[tokio::test]
async fn options_offer_visible_sources_and_own_segments() {
    on_both_engines(|db| async move {
        let w = world(&db, 60, 0x0ff1_ce00).await;
        let o = funnel::options(&db, &w.admin).await.unwrap();
        let sources: Vec<&str> = o.sources.iter().map(|c| c.value.as_str()).collect();
        assert_eq!(sources, ["fair", "referral", "web"]);
        assert_eq!(o.teams.len(), 2);
        assert!(o.owners.iter().any(|c| c.value == w.t2.id.to_string()));
        assert!(o.segments.is_empty());
    })
    .await;
}
