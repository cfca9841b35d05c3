//! Segments on both engines: the compiled SQL agrees with the plain-Rust evaluator on a
//! generated data set, counts respect visibility, and saved segments, list filters and
//! task batches behave.

mod support;

use app::auth::permissions::{may_see_customer, CustomerScope};
use app::auth::{CurrentUser, Role};
use app::custom_fields::model::{FieldDraft, FieldInput};
use app::customers::filter::{CustomerFilter, ParsedFilter};
use app::db::{Db, Row, SqlBuilder, SqlValue};
use app::error::AppError;
use app::ids::{CustomerId, TeamId, UserId};
use app::segments::eval::{CustomerFacts, EvalContext};
use app::segments::model::{
    Attr, Cmp, Combine, Condition, Measure, RuleGroup, RuleNode, SegmentDraft, SegmentInput,
    SegmentRule, SetOp, RULE_VERSION,
};
use app::segments::{service as segments, sql};
use std::collections::{BTreeSet, HashMap};
use support::{on_both_engines, team, user};

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const PROVINCES: [&str; 4] = ["Guangdong", "Fujian", "Zhejiang", "Beijing"];
const CITIES: [&str; 4] = ["Shenzhen", "Xiamen", "Hangzhou", "Beijing"];
const INDUSTRIES: [&str; 3] = ["Retail", "Pharma", "Textiles"];
const GENDERS: [&str; 2] = ["female", "male"];
const BANDS: [&str; 3] = ["low", "middle", "high"];
const CHANNELS: [&str; 3] = ["web", "referral", "partner"];
const GRADES: [&str; 3] = ["vip", "key", "general"];
const SEGMENT_CODES: [&str; 4] = ["champions", "loyal", "at_risk", "lost"];

struct World {
    admin: CurrentUser,
    t1_south: CurrentUser,
    t2_south: CurrentUser,
    t2_north: CurrentUser,
    owners: Vec<(UserId, Option<TeamId>)>,
    tags: Vec<i64>,
    number_field: i64,
    choice_field: i64,
    ctx: EvalContext,
}

async fn world(db: &Db, customers: usize, seed: u64) -> World {
    let south = team(db, "South").await;
    let north = team(db, "North").await;
    let admin = user(db, "admin@seg.test", Role::Admin, None).await;
    let t1_south = user(db, "t1s@seg.test", Role::Tier1Manager, Some(south)).await;
    let t2_south = user(db, "t2s@seg.test", Role::Tier2Manager, Some(south)).await;
    let t2_north = user(db, "t2n@seg.test", Role::Tier2Manager, Some(north)).await;
    let owners = vec![
        (t1_south.id, Some(south)),
        (t2_south.id, Some(south)),
        (t2_north.id, Some(north)),
    ];
    let mut tags = Vec::new();
    for name in ["wholesale", "strategic", "events"] {
        let id: i64 =
            sqlx::query("INSERT INTO tags (name, color) VALUES ($1, '#111111') RETURNING id")
                .bind(name)
                .fetch_one(&db.pool)
                .await
                .unwrap()
                .try_get("id")
                .unwrap();
        tags.push(id);
    }
    let field = |label: &str, kind: &str, choices: &str| {
        FieldDraft::try_from(&FieldInput {
            label: label.into(),
            key: String::new(),
            kind: kind.into(),
            choices: choices.into(),
        })
        .unwrap()
    };
    let number_field =
        app::custom_fields::service::create_field(db, &admin, field("Employees", "number", ""))
            .await
            .unwrap();
    let choice_field = app::custom_fields::service::create_field(
        db,
        &admin,
        field("Tier", "choice", "gold\nsilver"),
    )
    .await
    .unwrap();
    let today = app::db::now().div_euclid(86_400);
    let run: i64 = sqlx::query(
        "INSERT INTO rfm_runs (kind, as_of, status, requested_at, customers) VALUES ('scheduled', $1, 'done', 0, 0) RETURNING id",
    )
    .bind(app::dates::iso_date(today))
    .fetch_one(&db.pool)
    .await
    .unwrap()
    .try_get("id")
    .unwrap();

    let mut rng = Rng(seed);
    let this_year = app::dates::civil_from_days(today).0;
    for i in 0..customers {
        let (owner, team) = *rng.pick(&owners);
        let opt = |rng: &mut Rng, items: &[&str]| -> Option<String> {
            (!rng.chance(15)).then(|| rng.pick(items).to_string())
        };
        let province = opt(&mut rng, &PROVINCES);
        let city = opt(&mut rng, &CITIES);
        let industry = opt(&mut rng, &INDUSTRIES);
        let gender = opt(&mut rng, &GENDERS);
        let band = opt(&mut rng, &BANDS);
        let channel = opt(&mut rng, &CHANNELS);
        let birth_year = (!rng.chance(20)).then(|| this_year - 20 - rng.below(50) as i64);
        let level = 1 + rng.below(2) as i64;
        let grade = *rng.pick(&GRADES);
        let kind = if rng.chance(50) { "person" } else { "company" };
        let name = format!("Customer {i}");
        let id: i64 = sqlx::query(
            "INSERT INTO customers (name, kind, province, city, industry, gender, income_band, source_channel, birth_year, \
             level, grade, owner_id, team_id, search_text, name_key, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 0, 0) RETURNING id",
        )
        .bind(&name)
        .bind(kind)
        .bind(&province)
        .bind(&city)
        .bind(&industry)
        .bind(&gender)
        .bind(&band)
        .bind(&channel)
        .bind(birth_year)
        .bind(level)
        .bind(grade)
        .bind(owner.0)
        .bind(team.map(|t| t.0))
        .bind(name.to_lowercase())
        .bind(name.to_lowercase())
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .try_get("id")
        .unwrap();
        for tag in &tags {
            if rng.chance(30) {
                sqlx::query("INSERT INTO customer_tags (customer_id, tag_id) VALUES ($1, $2)")
                    .bind(id)
                    .bind(tag)
                    .execute(&db.pool)
                    .await
                    .unwrap();
            }
        }
        // Few distinct dates and amounts, so ties and window edges are common. One
        // customer in eight buys more often than the recent order dates kept per customer.
        let orders = if rng.chance(12) {
            rng.below(app::orders::recency::KEPT as u64 + 4)
        } else {
            rng.below(6)
        };
        for _ in 0..orders {
            let day = today - [0, 1, 29, 30, 31, 89, 90, 91, 200, 400][rng.below(10) as usize];
            let amount = [100, 2500, 2500, 10_000][rng.below(4) as usize];
            sqlx::query(
                "INSERT INTO orders (customer_id, order_date, amount_cents, currency, created_at, ordered_at) VALUES ($1, $2, $3, 'CNY', 0, $4)",
            )
            .bind(id)
            .bind(app::dates::iso_date(day))
            .bind(amount)
            .bind(day * 86_400)
            .execute(&db.pool)
            .await
            .unwrap();
        }
        for _ in 0..rng.below(3) {
            let at = (today - rng.below(60) as i64) * 86_400 + rng.below(86_400) as i64;
            sqlx::query(
                "INSERT INTO activities (customer_id, user_id, kind, happened_at, summary, created_at) VALUES ($1, $2, 'call', $3, 'x', 0)",
            )
            .bind(id)
            .bind(owner.0)
            .bind(at)
            .execute(&db.pool)
            .await
            .unwrap();
        }
        if rng.chance(60) {
            let n = [5, 50, 500][rng.below(3) as usize];
            sqlx::query("INSERT INTO custom_field_values (customer_id, field_id, value, number_value) VALUES ($1, $2, $3, $4)")
                .bind(id)
                .bind(number_field)
                .bind(n.to_string())
                .bind(n * 10_000)
                .execute(&db.pool)
                .await
                .unwrap();
        }
        if rng.chance(50) {
            sqlx::query("INSERT INTO custom_field_values (customer_id, field_id, value) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(choice_field)
                .bind(*rng.pick(&["gold", "silver"]))
                .execute(&db.pool)
                .await
                .unwrap();
        }
        if rng.chance(70) {
            sqlx::query(
                "INSERT INTO rfm_scores (run_id, customer_id, recency_days, frequency, monetary_cents, r_score, f_score, m_score, segment) \
                 VALUES ($1, $2, 0, 1, 100, $3, $4, $5, $6)",
            )
            .bind(run)
            .bind(id)
            .bind(1 + rng.below(5) as i64)
            .bind(1 + rng.below(5) as i64)
            .bind(1 + rng.below(5) as i64)
            .bind(*rng.pick(&SEGMENT_CODES))
            .execute(&db.pool)
            .await
            .unwrap();
        }
    }
    // Orders were written directly: derive the recent order dates in one pass, as bulk
    // loaders do.
    app::orders::recency::rebuild_all(db).await.unwrap();
    World {
        admin,
        t1_south,
        t2_south,
        t2_north,
        owners,
        tags,
        number_field,
        choice_field,
        ctx: EvalContext {
            today,
            rfm_run: Some(run),
            engine: db.engine,
        },
    }
}

/// Every customer's facts, read with plain queries (not through the compiler).
async fn facts(db: &Db) -> Vec<(CustomerFacts, CustomerScope)> {
    let mut by_id: HashMap<i64, (CustomerFacts, CustomerScope)> = HashMap::new();
    for r in sqlx::query(
        "SELECT id, country, province, city, industry, gender, income_band, source_channel, source_campaign, kind, level, grade, \
         owner_id, service_manager_id, team_id, birth_year FROM customers",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap()
    {
        let id: i64 = r.try_get("id").unwrap();
        let s = |c: &str| r.try_get::<Option<String>, _>(c).unwrap();
        let f = CustomerFacts {
            id,
            country: s("country"),
            province: s("province"),
            city: s("city"),
            industry: s("industry"),
            gender: s("gender"),
            income_band: s("income_band"),
            source_channel: s("source_channel"),
            source_campaign: s("source_campaign"),
            kind: r.try_get("kind").unwrap(),
            level: r.try_get("level").unwrap(),
            grade: r.try_get("grade").unwrap(),
            owner_id: r.try_get("owner_id").unwrap(),
            team_id: r.try_get("team_id").unwrap(),
            birth_year: r.try_get("birth_year").unwrap(),
            ..Default::default()
        };
        let scope = CustomerScope {
            level: f.level,
            owner_id: UserId(f.owner_id),
            service_manager_id: r
                .try_get::<Option<i64>, _>("service_manager_id")
                .unwrap()
                .map(UserId),
            team_id: f.team_id.map(TeamId),
        };
        by_id.insert(id, (f, scope));
    }
    for r in sqlx::query("SELECT customer_id, tag_id FROM customer_tags")
        .fetch_all(&db.pool)
        .await
        .unwrap()
    {
        let id: i64 = r.try_get("customer_id").unwrap();
        by_id
            .get_mut(&id)
            .unwrap()
            .0
            .tags
            .push(r.try_get("tag_id").unwrap());
    }
    for r in sqlx::query("SELECT customer_id, order_date, amount_cents FROM orders")
        .fetch_all(&db.pool)
        .await
        .unwrap()
    {
        let id: i64 = r.try_get("customer_id").unwrap();
        let day = app::dates::parse_date(&r.try_get::<String, _>("order_date").unwrap()).unwrap();
        by_id
            .get_mut(&id)
            .unwrap()
            .0
            .orders
            .push((day, r.try_get("amount_cents").unwrap()));
    }
    for r in sqlx::query("SELECT customer_id, happened_at FROM activities")
        .fetch_all(&db.pool)
        .await
        .unwrap()
    {
        let id: i64 = r.try_get("customer_id").unwrap();
        let at: i64 = r.try_get("happened_at").unwrap();
        let f = &mut by_id.get_mut(&id).unwrap().0;
        f.last_activity_at = Some(f.last_activity_at.map_or(at, |x| x.max(at)));
    }
    for r in
        sqlx::query("SELECT customer_id, field_id, value, number_value FROM custom_field_values")
            .fetch_all(&db.pool)
            .await
            .unwrap()
    {
        let id: i64 = r.try_get("customer_id").unwrap();
        by_id.get_mut(&id).unwrap().0.custom.push((
            r.try_get("field_id").unwrap(),
            r.try_get("value").unwrap(),
            r.try_get("number_value").unwrap(),
        ));
    }
    for r in sqlx::query("SELECT customer_id, r_score, f_score, m_score, segment FROM rfm_scores")
        .fetch_all(&db.pool)
        .await
        .unwrap()
    {
        let id: i64 = r.try_get("customer_id").unwrap();
        by_id.get_mut(&id).unwrap().0.rfm = Some((
            r.try_get("r_score").unwrap(),
            r.try_get("f_score").unwrap(),
            r.try_get("m_score").unwrap(),
            r.try_get("segment").unwrap(),
        ));
    }
    // The stage today by the pure rules; the SQL reads the stored replay of them.
    let today = app::db::now().div_euclid(86_400);
    for (f, _) in by_id.values_mut() {
        let mut days: Vec<i64> = f.orders.iter().map(|o| o.0).collect();
        days.sort_unstable();
        if !days.is_empty() {
            let t = app::lifecycle::model::Thresholds::default();
            let stage = app::lifecycle::model::stage_at(&days, today, &t);
            f.lifecycle_stage = Some(stage.as_str().to_string());
        }
    }
    by_id.into_values().collect()
}

fn random_condition(rng: &mut Rng, w: &World) -> Condition {
    let cmp = *rng.pick(&Cmp::ALL);
    match rng.below(17) {
        0 => Condition::Attr {
            attr: *rng.pick(&[
                Attr::Province,
                Attr::City,
                Attr::Industry,
                Attr::Gender,
                Attr::IncomeBand,
                Attr::SourceChannel,
            ]),
            op: if rng.chance(50) {
                SetOp::AnyOf
            } else {
                SetOp::NoneOf
            },
            values: (0..1 + rng.below(2))
                .map(|_| {
                    rng.pick(&[
                        PROVINCES[0],
                        PROVINCES[1],
                        CITIES[0],
                        INDUSTRIES[0],
                        "female",
                        "middle",
                        "web",
                        "nowhere",
                    ])
                    .to_string()
                })
                .collect(),
        },
        1 => Condition::Attr {
            attr: Attr::Grade,
            op: if rng.chance(50) {
                SetOp::AnyOf
            } else {
                SetOp::NoneOf
            },
            values: vec![rng.pick(&GRADES).to_string()],
        },
        2 => Condition::Attr {
            attr: Attr::Level,
            op: SetOp::AnyOf,
            values: vec![(1 + rng.below(2)).to_string()],
        },
        3 => Condition::Attr {
            attr: *rng.pick(&[Attr::Owner, Attr::Team]),
            op: if rng.chance(50) {
                SetOp::AnyOf
            } else {
                SetOp::NoneOf
            },
            values: vec![
                rng.pick(&w.owners).0.to_string(),
                rng.pick(&w.owners).1.unwrap().to_string(),
            ],
        },
        4 => Condition::Attr {
            attr: Attr::Tag,
            op: if rng.chance(50) {
                SetOp::AnyOf
            } else {
                SetOp::NoneOf
            },
            values: vec![rng.pick(&w.tags).to_string()],
        },
        5 => Condition::Attr {
            attr: Attr::RfmSegment,
            op: if rng.chance(50) {
                SetOp::AnyOf
            } else {
                SetOp::NoneOf
            },
            values: vec![rng.pick(&SEGMENT_CODES).to_string()],
        },
        6 => Condition::Attr {
            attr: Attr::Kind,
            op: SetOp::AnyOf,
            values: vec![rng.pick(&["person", "company"]).to_string()],
        },
        7 | 8 => Condition::Measure {
            measure: Measure::OrdersCount,
            days: rng.pick(&[None, Some(30), Some(90), Some(365)]).to_owned(),
            op: cmp,
            value: rng.below(4).to_string(),
        },
        9 => Condition::Measure {
            measure: Measure::OrdersAmount,
            days: rng.pick(&[None, Some(30), Some(90)]).to_owned(),
            op: cmp,
            value: rng.pick(&["0", "25", "100.00", "126"]).to_string(),
        },
        10 => Condition::Measure {
            measure: Measure::DaysSinceLastOrder,
            days: None,
            op: cmp,
            value: rng.pick(&["0", "1", "30", "90", "400"]).to_string(),
        },
        11 => Condition::Measure {
            measure: Measure::DaysSinceLastActivity,
            days: None,
            op: cmp,
            value: rng.below(60).to_string(),
        },
        12 => {
            let (measure, values) = if rng.chance(50) {
                (Measure::Age, ["30", "45", "60"])
            } else {
                (Measure::BirthYear, ["1970", "1980", "1990"])
            };
            Condition::Measure {
                measure,
                days: None,
                op: cmp,
                value: rng.pick(&values).to_string(),
            }
        }
        13 => Condition::Measure {
            measure: *rng.pick(&[Measure::RScore, Measure::FScore, Measure::MScore]),
            days: None,
            op: cmp,
            value: (1 + rng.below(5)).to_string(),
        },
        14 => Condition::Custom {
            key: "employees".into(),
            op: cmp,
            value: rng.pick(&["5", "50", "499.5"]).to_string(),
        },
        16 => Condition::Attr {
            attr: Attr::LifecycleStage,
            op: if rng.chance(50) {
                SetOp::AnyOf
            } else {
                SetOp::NoneOf
            },
            values: (0..1 + rng.below(2))
                .map(|_| {
                    rng.pick(&app::lifecycle::model::Stage::ALL)
                        .as_str()
                        .to_string()
                })
                .collect(),
        },
        _ => Condition::Custom {
            key: "tier".into(),
            op: if rng.chance(50) { Cmp::Eq } else { Cmp::Ne },
            value: rng.pick(&["gold", "silver"]).to_string(),
        },
    }
}

fn random_group(rng: &mut Rng, w: &World, depth: usize) -> RuleGroup {
    let n = rng.below(4);
    RuleGroup {
        combine: if rng.chance(50) {
            Combine::All
        } else {
            Combine::Any
        },
        negate: rng.chance(25),
        items: (0..n)
            .map(|_| {
                if depth < 3 && rng.chance(25) {
                    RuleNode::Group(random_group(rng, w, depth + 1))
                } else {
                    RuleNode::Condition(random_condition(rng, w))
                }
            })
            .collect(),
    }
}

async fn sql_members(
    db: &Db,
    rule: &app::segments::check::CheckedRule,
    ctx: &EvalContext,
) -> BTreeSet<i64> {
    let mut q = SqlBuilder::new("SELECT c.id FROM customers c WHERE 1 = 1");
    sql::push_rule(&mut q, rule, ctx);
    q.query()
        .fetch_all(&db.pool)
        .await
        .unwrap_or_else(|e| panic!("query failed: {e}\n{}", q.sql()))
        .iter()
        .map(|r| r.try_get("id").unwrap())
        .collect()
}

#[tokio::test]
async fn compiled_sql_matches_the_rust_evaluator_on_generated_data() {
    on_both_engines(|db| async move {
        let w = world(&db, 250, 0x5eed_1234).await;
        app::lifecycle::service::rebuild_all(&db).await.unwrap();
        let all = facts(&db).await;
        let fields = app::custom_fields::service::active_fields(&db)
            .await
            .unwrap();
        let mut rng = Rng(0xfeed_beef);
        let mut non_trivial = 0;
        for round in 0..150 {
            let rule = SegmentRule {
                version: RULE_VERSION,
                root: random_group(&mut rng, &w, 1),
            };
            let checked = rule
                .check(&fields)
                .unwrap_or_else(|e| panic!("rule {round} invalid: {e:?}\n{rule:?}"));
            let expected: BTreeSet<i64> = all
                .iter()
                .filter(|(f, _)| checked.matches(f, &w.ctx))
                .map(|(f, _)| f.id)
                .collect();
            let actual = sql_members(&db, &checked, &w.ctx).await;
            assert_eq!(actual, expected, "round {round}: {}", rule.to_json());
            if !expected.is_empty() && expected.len() < all.len() {
                non_trivial += 1;
            }
        }
        // The generated rules must actually split the data, or the comparison proves little.
        assert!(non_trivial > 50, "only {non_trivial} rules split the data");
    })
    .await;
}

#[tokio::test]
async fn each_measure_agrees_at_every_comparison_and_edge() {
    on_both_engines(|db| async move {
        let w = world(&db, 120, 42).await;
        let all = facts(&db).await;
        let fields = app::custom_fields::service::active_fields(&db)
            .await
            .unwrap();
        for measure in Measure::ALL {
            for op in Cmp::ALL {
                for value in [
                    "0", "1", "2", "3", "9", "10", "11", "30", "89", "90", "91", "1990",
                ] {
                    for days in [None, Some(30), Some(90)] {
                        let rule = SegmentRule {
                            version: RULE_VERSION,
                            root: RuleGroup {
                                combine: Combine::All,
                                negate: false,
                                items: vec![RuleNode::Condition(Condition::Measure {
                                    measure,
                                    days,
                                    op,
                                    value: value.into(),
                                })],
                            },
                        };
                        let Ok(checked) = rule.check(&fields) else {
                            continue;
                        };
                        let expected: BTreeSet<i64> = all
                            .iter()
                            .filter(|(f, _)| checked.matches(f, &w.ctx))
                            .map(|(f, _)| f.id)
                            .collect();
                        assert_eq!(
                            sql_members(&db, &checked, &w.ctx).await,
                            expected,
                            "{}",
                            rule.to_json()
                        );
                    }
                }
            }
        }
    })
    .await;
}

fn south_active_not_vip() -> SegmentRule {
    SegmentRule {
        version: RULE_VERSION,
        root: RuleGroup {
            combine: Combine::All,
            negate: false,
            items: vec![
                RuleNode::Condition(Condition::Attr {
                    attr: Attr::Province,
                    op: SetOp::AnyOf,
                    values: vec!["Guangdong".into(), "Fujian".into()],
                }),
                RuleNode::Condition(Condition::Measure {
                    measure: Measure::OrdersCount,
                    days: Some(90),
                    op: Cmp::Ge,
                    value: "1".into(),
                }),
                RuleNode::Condition(Condition::Attr {
                    attr: Attr::Grade,
                    op: SetOp::NoneOf,
                    values: vec!["vip".into()],
                }),
            ],
        },
    }
}

#[tokio::test]
async fn a_segment_never_counts_a_customer_the_viewer_may_not_see() {
    on_both_engines(|db| async move {
        let w = world(&db, 200, 7).await;
        let all = facts(&db).await;
        let rule = segments::check(&db, &south_active_not_vip()).await.unwrap();
        let ctx = segments::eval_context(&db).await.unwrap();
        for viewer in [&w.admin, &w.t1_south, &w.t2_south, &w.t2_north] {
            let expected = all
                .iter()
                .filter(|(f, scope)| may_see_customer(viewer, scope) && rule.matches(f, &ctx))
                .count() as i64;
            let counted = segments::count(&db, viewer, &rule).await.unwrap();
            assert_eq!(counted, expected, "{:?}", viewer.role);
            // The member list shows the same customers, page after page.
            let mut seen = 0;
            let mut after = None;
            loop {
                let page = segments::members(&db, viewer, rule.clone(), after)
                    .await
                    .unwrap();
                for item in &page.items {
                    let (_, scope) = all.iter().find(|(f, _)| f.id == item.id.0).unwrap();
                    assert!(may_see_customer(viewer, scope));
                }
                seen += page.items.len() as i64;
                match page.next_after {
                    Some(c) => after = app::customers::filter::Cursor::decode(&c),
                    None => break,
                }
            }
            assert_eq!(seen, expected);
        }
        let t2_count = segments::count(&db, &w.t2_north, &rule).await.unwrap();
        let admin_count = segments::count(&db, &w.admin, &rule).await.unwrap();
        assert!(t2_count < admin_count);
        // Support agents and viewers count nothing at all.
        let support = user(&db, "support@seg.test", Role::SupportAgent, None).await;
        assert_eq!(
            segments::count(&db, &support, &rule).await,
            Err(AppError::Forbidden)
        );
    })
    .await;
}

fn draft(name: &str, shared: bool, rule: &SegmentRule) -> SegmentDraft {
    SegmentDraft::parse(&SegmentInput {
        name: name.into(),
        description: String::new(),
        shared,
        rule_json: rule.to_json(),
    })
    .unwrap()
}

#[tokio::test]
async fn saved_segments_are_private_or_shared_and_filter_the_list() {
    on_both_engines(|db| async move {
        let w = world(&db, 120, 99).await;
        let rule = south_active_not_vip();
        let private = segments::save(&db, &w.t2_south, None, draft("Mine", false, &rule)).await.unwrap();
        let shared = segments::save(&db, &w.t2_south, None, draft("Ours", true, &rule)).await.unwrap();
        // A team-mate sees the shared one only; another team sees neither.
        let names = |list: Vec<app::segments::model::SegmentSummary>| list.into_iter().map(|s| s.name).collect::<Vec<_>>();
        assert_eq!(names(segments::list(&db, &w.t1_south).await.unwrap()), ["Ours"]);
        assert!(segments::list(&db, &w.t2_north).await.unwrap().is_empty());
        assert_eq!(segments::get(&db, &w.t2_north, private).await, Err(AppError::NotFound));
        assert_eq!(segments::get(&db, &w.t1_south, private).await, Err(AppError::NotFound));
        // Only the owner changes or deletes it.
        assert_eq!(
            segments::save(&db, &w.t1_south, Some(shared), draft("Taken", true, &rule)).await,
            Err(AppError::Forbidden)
        );
        assert_eq!(segments::delete(&db, &w.t1_south, shared).await, Err(AppError::Forbidden));

        // As a list filter, each viewer gets the members they may see.
        let checked = segments::check(&db, &rule).await.unwrap();
        for viewer in [&w.t1_south, &w.t2_south] {
            let filter = ParsedFilter::try_from(&CustomerFilter {
                segment: shared.to_string(),
                ..Default::default()
            })
            .unwrap();
            let conditions = segments::list_conditions(&db, viewer, &filter).await.unwrap();
            let listed = app::customers::listing::list(&db, viewer, &filter, &conditions).await.unwrap();
            let count = segments::count(&db, viewer, &checked).await.unwrap();
            assert_eq!(listed.items.len() as i64, count.min(50));
        }
        // Someone who may not see the segment cannot use it as a filter.
        let filter = ParsedFilter::try_from(&CustomerFilter {
            segment: private.to_string(),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            segments::list_conditions(&db, &w.t1_south, &filter).await.map(|_| ()),
            Err(AppError::NotFound)
        );

        // Members follow the data: a new matching customer joins without re-saving.
        let before = segments::count(&db, &w.admin, &checked).await.unwrap();
        let id: i64 = sqlx::query(
            "INSERT INTO customers (name, kind, province, level, grade, owner_id, team_id, search_text, name_key, created_at, updated_at) \
             VALUES ('Fresh', 'person', 'Fujian', 2, 'general', $1, NULL, 'fresh', 'fresh', 0, 0) RETURNING id",
        )
        .bind(w.t2_south.id.0)
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .try_get("id")
        .unwrap();
        // An order written through the order service moves the count at once (the stored
        // recent order dates follow every order write), and so does its deletion.
        let order = app::orders::service::add(
            &db,
            &w.admin,
            CustomerId(id),
            &app::orders::model::OrderDraft {
                external_id: None,
                day: w.ctx.today,
                amount_cents: 100,
                currency: "CNY".into(),
                product: None,
                category: None,
                channel: None,
            },
        )
        .await
        .unwrap();
        assert_eq!(segments::count(&db, &w.admin, &checked).await.unwrap(), before + 1);
        app::orders::service::delete(&db, &w.admin, order).await.unwrap();
        assert_eq!(segments::count(&db, &w.admin, &checked).await.unwrap(), before);

        segments::delete(&db, &w.t2_south, private).await.unwrap();
        assert_eq!(segments::get(&db, &w.t2_south, private).await, Err(AppError::NotFound));
    })
    .await;
}

#[tokio::test]
async fn bad_rules_are_refused_with_the_condition_named_and_values_stay_values() {
    on_both_engines(|db| async move {
        let w = world(&db, 30, 3).await;
        let bad = SegmentRule {
            version: RULE_VERSION,
            root: RuleGroup {
                combine: Combine::All,
                negate: false,
                items: vec![
                    RuleNode::Condition(Condition::Custom {
                        key: "no_such_field".into(),
                        op: Cmp::Eq,
                        value: "x".into(),
                    }),
                    RuleNode::Condition(Condition::Measure {
                        measure: Measure::OrdersCount,
                        days: Some(99_999),
                        op: Cmp::Ge,
                        value: "1".into(),
                    }),
                ],
            },
        };
        match segments::save(&db, &w.admin, None, draft("Bad", false, &bad)).await {
            Err(AppError::Validation(errors)) => {
                let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
                assert_eq!(fields, ["rule.root.0", "rule.root.1"]);
            }
            other => panic!("expected validation errors, got {other:?}"),
        }
        let none: i64 = sqlx::query("SELECT COUNT(*) AS n FROM segments")
            .fetch_one(&db.pool)
            .await
            .unwrap()
            .try_get("n")
            .unwrap();
        assert_eq!(none, 0);
        // Hostile text is only ever a bound value.
        let hostile = SegmentRule {
            version: RULE_VERSION,
            root: RuleGroup {
                combine: Combine::Any,
                negate: false,
                items: vec![RuleNode::Condition(Condition::Attr {
                    attr: Attr::City,
                    op: SetOp::AnyOf,
                    values: vec!["x'); DROP TABLE customers; --".into(), "<script>alert(1)</script>".into()],
                })],
            },
        };
        let checked = segments::check(&db, &hostile).await.unwrap();
        assert_eq!(segments::count(&db, &w.admin, &checked).await.unwrap(), 0);
        let still: i64 = sqlx::query("SELECT COUNT(*) AS n FROM customers")
            .fetch_one(&db.pool)
            .await
            .unwrap()
            .try_get("n")
            .unwrap();
        assert_eq!(still, 30);
        // Unknown JSON shapes are refused before any SQL is built.
        assert!(app::segments::model::parse_rule_json(r#"{"version":1,"root":{"combine":"all","items":[{"node":"condition","kind":"raw_sql","sql":"1=1"}]}}"#).is_err());
        let _ = (w.number_field, w.choice_field);
    })
    .await;
}

#[tokio::test]
async fn a_task_batch_gives_each_member_a_task_for_its_owner() {
    on_both_engines(|db| async move {
        let w = world(&db, 80, 11).await;
        let rule = south_active_not_vip();
        let id = segments::save(&db, &w.t1_south, None, draft("Follow up", true, &rule)).await.unwrap();
        let checked = segments::check(&db, &rule).await.unwrap();
        let members = segments::count(&db, &w.t1_south, &checked).await.unwrap();
        assert!(members > 0);
        let due = app::db::now() + 86_400;
        let outcome = segments::create_task_batch(&db, &w.t1_south, id, "Call about spring offer", due)
            .await
            .unwrap();
        assert_eq!(outcome.created as i64, members);
        assert_eq!(outcome.refused, 0);
        let rows = sqlx::query(
            "SELECT t.assignee_id, c.owner_id, t.source, t.source_id FROM tasks t JOIN customers c ON c.id = t.customer_id",
        )
        .fetch_all(&db.pool)
        .await
        .unwrap();
        assert_eq!(rows.len() as i64, members);
        for r in rows {
            assert_eq!(r.try_get::<i64, _>("assignee_id").unwrap(), r.try_get::<i64, _>("owner_id").unwrap());
            assert_eq!(r.try_get::<String, _>("source").unwrap(), "segment_batch");
            assert_eq!(r.try_get::<Option<i64>, _>("source_id").unwrap(), Some(id));
        }
        // A manager of another team cannot run a batch on a segment they cannot see.
        assert_eq!(
            segments::create_task_batch(&db, &w.t2_north, id, "x", due).await,
            Err(AppError::NotFound)
        );
        let _ = SqlValue::Int(0);
    })
    .await;
}
