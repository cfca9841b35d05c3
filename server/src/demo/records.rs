//! Demo records around the generated customers: custom fields and groups, payments,
//! contracts and tasks, tier proposals, lapsed customers and saved segments.

use super::*;

/// Two custom fields and two groups, with values for some customers, so the demo shows them.
pub(super) async fn extras(
    db: &Db,
    rng: &mut Rng,
    first_id: i64,
    count: i64,
) -> Result<(), sqlx::Error> {
    const CONTACT_TIMES: [&str; 3] = ["Morning", "Afternoon", "Evening"];
    let define = |key: &str, label: &str, kind: &str, choices: &str, position: i64| {
        let mut q = SqlBuilder::new(
            "INSERT INTO custom_fields (key, label, kind, choices, position, active, created_at) VALUES (",
        );
        q.bind(SqlValue::Text(key.into())).push(", ");
        q.bind(SqlValue::Text(label.into())).push(", ");
        q.bind(SqlValue::Text(kind.into())).push(", ");
        q.bind(SqlValue::Text(choices.into())).push(", ");
        q.bind(SqlValue::Int(position)).push(", 1, 0) RETURNING id");
        q
    };
    let contact_time = find_or_insert(
        db,
        "SELECT id FROM custom_fields WHERE key = $1",
        "preferred_contact_time",
        define(
            "preferred_contact_time",
            "Preferred contact time",
            "choice",
            &CONTACT_TIMES.join("\n"),
            1,
        ),
    )
    .await?;
    let budget = find_or_insert(
        db,
        "SELECT id FROM custom_fields WHERE key = $1",
        "annual_budget",
        define("annual_budget", "Annual budget", "number", "", 2),
    )
    .await?;
    let mut groups = Vec::new();
    for name in ["Trade fair 2026", "Partner programme"] {
        let mut q = SqlBuilder::new("INSERT INTO customer_groups (name, created_at) VALUES (");
        q.bind(SqlValue::Text(name.into()))
            .push(", 0) RETURNING id");
        groups.push(
            find_or_insert(
                db,
                "SELECT id FROM customer_groups WHERE name = $1",
                name,
                q,
            )
            .await?,
        );
    }
    let (mut values, mut members) = (Vec::new(), Vec::new());
    for id in first_id + 1..=first_id + count {
        if rng.below(3) == 0 {
            let time = rng.pick(&CONTACT_TIMES).to_string();
            values.push(vec![
                SqlValue::Int(id),
                SqlValue::Int(contact_time),
                SqlValue::Text(time),
                SqlValue::OptInt(None),
            ]);
        }
        if rng.below(4) == 0 {
            let yuan = (10 + rng.below(990) as i64) * 1_000;
            values.push(vec![
                SqlValue::Int(id),
                SqlValue::Int(budget),
                SqlValue::Text(yuan.to_string()),
                SqlValue::OptInt(Some(yuan * app::custom_fields::model::NUMBER_SCALE)),
            ]);
        }
        if rng.below(10) == 0 {
            members.push(vec![SqlValue::Int(id), SqlValue::Int(*rng.pick(&groups))]);
        }
    }
    let mut tx = db.begin_write().await?;
    insert_rows(
        &mut tx,
        db.engine,
        "INSERT INTO custom_field_values (customer_id, field_id, value, number_value)",
        &values,
    )
    .await?;
    insert_rows(
        &mut tx,
        db.engine,
        "INSERT INTO customer_group_members (customer_id, group_id)",
        &members,
    )
    .await?;
    tx.commit().await
}

/// Payments and contracts for customers who bought, and open follow-up tasks for their
/// owners, so the credit rating, the finance card and "my work" have something to show.
/// Task due times are placed around the moment the demo is loaded.
pub(super) async fn archive_records(db: &Db, seed: u64) -> Result<(), sqlx::Error> {
    let mut rng = Rng::new(seed ^ 0x5eed_a7c1);
    let rows = sqlx::query(
        "SELECT c.id, c.level, c.owner_id, MIN(o.ordered_at) AS first_at FROM customers c \
         JOIN orders o ON o.customer_id = c.id GROUP BY c.id, c.level, c.owner_id ORDER BY c.id",
    )
    .fetch_all(&db.pool)
    .await?;
    let now = app::db::now();
    let (mut payments, mut contracts, mut tasks) = (Vec::new(), Vec::new(), Vec::new());
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        let level: i64 = r.try_get("level")?;
        let owner: i64 = r.try_get("owner_id")?;
        let first_day = r.try_get::<i64, _>("first_at")?.div_euclid(86_400);
        if level == 1 || rng.below(4) == 0 {
            // Four instalments a month apart: most on time, some late, a few never paid.
            let habit = rng.below(10);
            for k in 0..4 {
                let due = first_day + 30 * (k + 1);
                if due > ANCHOR_DAY + 30 {
                    break;
                }
                let paid = match habit {
                    0 => None,
                    1 | 2 => Some(due + 5 + rng.below(40) as i64),
                    _ => Some(due - rng.below(5) as i64),
                }
                .filter(|d| *d <= ANCHOR_DAY);
                let amount = (500 + rng.below(5_000) as i64) * 100;
                payments.push(vec![
                    SqlValue::Int(id),
                    SqlValue::Int(amount),
                    SqlValue::Text("CNY".into()),
                    SqlValue::Text(iso_date(due)),
                    SqlValue::OptText(paid.map(iso_date)),
                    SqlValue::Int(paid.unwrap_or(due) * 86_400),
                    SqlValue::Int(now),
                ]);
            }
            if level == 1 {
                contracts.push(vec![
                    SqlValue::Int(id),
                    SqlValue::Text("Annual service agreement".into()),
                    SqlValue::Int((20_000 + rng.below(200_000) as i64) * 100),
                    SqlValue::Text("CNY".into()),
                    SqlValue::Text(iso_date(first_day)),
                    SqlValue::Text(iso_date(first_day + 365)),
                    SqlValue::Text(
                        if first_day + 365 < ANCHOR_DAY {
                            "ended"
                        } else {
                            "active"
                        }
                        .into(),
                    ),
                    SqlValue::Int(now),
                    SqlValue::Int(now),
                ]);
            }
        }
        if rng.below(8) == 0 {
            let due = now + (rng.below(10 * 24) as i64 - 3 * 24) * 3_600;
            tasks.push(vec![
                SqlValue::Int(id),
                SqlValue::Text((*rng.pick(&TASK_TITLES)).into()),
                SqlValue::Int(owner),
                SqlValue::Int(due),
                SqlValue::Int(now),
            ]);
        }
    }
    let mut tx = db.begin_write().await?;
    insert_rows(
        &mut tx,
        db.engine,
        "INSERT INTO payments (customer_id, amount_cents, currency, due_date, paid_date, timeline_at, created_at)",
        &payments,
    )
    .await?;
    insert_rows(
        &mut tx,
        db.engine,
        "INSERT INTO contracts (customer_id, title, value_cents, currency, start_date, end_date, status, created_at, updated_at)",
        &contracts,
    )
    .await?;
    let with_status: Vec<Vec<SqlValue>> = tasks
        .into_iter()
        .map(|mut t| {
            t.insert(4, SqlValue::Text("open".into()));
            t.insert(5, SqlValue::Text("manual".into()));
            t
        })
        .collect();
    insert_rows(
        &mut tx,
        db.engine,
        "INSERT INTO tasks (customer_id, title, assignee_id, due_at, status, source, created_at)",
        &with_status,
    )
    .await?;
    tx.commit().await
}

/// A few pending tier proposals — promotions of the biggest standard accounts, demotions
/// of the smallest key accounts — with figures in the shape the re-evaluation writes, so
/// the tier queue has something to decide right after `rapport demo`. The demo also counts
/// as the last re-evaluation, so the scheduler does not replace them at once.
pub(super) async fn tier_proposals(db: &Db, seed: u64) -> Result<(), AppError> {
    use app::tiers::model::{Direction, LastRun, RunCounts, TierConfig};
    let mut rng = Rng::new(seed ^ 0x71e2_c0de);
    let cfg = TierConfig::default();
    let now = app::db::now();
    let mut rows = Vec::new();
    let mut counts = RunCounts::default();
    for (direction, level, order, limit) in [
        (Direction::Promotion, 2, "DESC", 4usize),
        (Direction::Demotion, 1, "ASC", 3usize),
    ] {
        let found = sqlx::query(&format!(
            "SELECT c.id, c.grade, COUNT(*) AS n, CAST(SUM(o.amount_cents) AS BIGINT) AS total, \
             MAX(o.order_date) AS last_date FROM customers c JOIN orders o ON o.customer_id = c.id \
             WHERE c.level = $1 GROUP BY c.id, c.grade ORDER BY total {order}, c.id LIMIT $2"
        ))
        .bind(level)
        .bind(40i64)
        .fetch_all(&db.pool)
        .await?;
        let mut taken = 0;
        for r in &found {
            if taken == limit {
                break;
            }
            let last_day = r
                .try_get::<Option<String>, _>("last_date")?
                .as_deref()
                .and_then(app::dates::parse_date)
                .unwrap_or(ANCHOR_DAY);
            let recency = (ANCHOR_DAY - last_day).max(0);
            let frequency: i64 = r.try_get("n")?;
            // R and F from the figures; M from the spend rank (the biggest or smallest).
            let sr = match recency {
                0..=30 => 5,
                31..=90 => 4,
                91..=180 => 3,
                181..=365 => 2,
                _ => 1,
            };
            let sf = frequency.clamp(1, 5);
            let sm = match direction {
                Direction::Promotion => 5,
                Direction::Demotion => 1 + rng.below(2) as i64,
            };
            let value = (200 * (sr + sf + sm - 3) + 12) / 24;
            let grade: String = r.try_get("grade")?;
            let current = app::customers::model::Grade::parse(&grade)
                .unwrap_or(app::customers::model::Grade::General);
            let Some(change) = app::tiers::model::propose(level, current, value, &cfg)
                .filter(|c| c.direction == direction && c.to_level != level)
            else {
                continue;
            };
            let (to_level, to_grade) = (change.to_level, change.to_grade);
            let k = taken;
            taken += 1;
            let figures = serde_json::json!({
                "r": sr,
                "f": sf,
                "m": sm,
                "recency_days": recency,
                "frequency": frequency,
                "monetary_cents": r.try_get::<i64, _>("total")?,
            });
            match direction {
                Direction::Promotion => counts.promotions += 1,
                Direction::Demotion => counts.demotions += 1,
            }
            rows.push(vec![
                SqlValue::Int(r.try_get("id")?),
                SqlValue::Text(direction.as_str().into()),
                SqlValue::Int(level),
                SqlValue::Int(to_level),
                SqlValue::Text(r.try_get("grade")?),
                SqlValue::Text(to_grade.as_str().into()),
                SqlValue::Int(value),
                SqlValue::Text(figures.to_string()),
                SqlValue::Text("pending".into()),
                SqlValue::Int(now - (k as i64 + 1) * 86_400),
            ]);
        }
    }
    let mut tx = db.begin_write().await?;
    insert_rows(
        &mut tx,
        db.engine,
        "INSERT INTO tier_proposals (customer_id, direction, from_level, to_level, from_grade, to_grade, \
         value_score, figures, status, created_at)",
        &rows,
    )
    .await?;
    app::tiers::service::set_last_run(&mut tx, &LastRun { at: now, counts }).await?;
    tx.commit().await?;
    Ok(())
}

const TASK_TITLES: [&str; 4] = [
    "Call about the next order",
    "Send the updated price list",
    "Confirm the delivery date",
    "Follow up on the open invoice",
];

/// About one demo customer in 25 becomes a regular buyer who stopped: orders every 20–40
/// days for a year, the last one 150–300 days ago, so the churn warning has clear cases
/// (the random histories above rarely show a steady rhythm). Chosen among customers with
/// no order in the last 300 days, so the new rhythm is their latest history.
pub(super) async fn lapsed_customers(
    db: &Db,
    rng: &mut Rng,
    first_id: i64,
    count: i64,
) -> Result<(), sqlx::Error> {
    let today = app::churn::service::today();
    let quiet = sqlx::query(
        "SELECT c.id FROM customers c WHERE c.id > $1 AND c.id <= $2 AND NOT EXISTS \
         (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.order_date >= $3) ORDER BY c.id",
    )
    .bind(first_id)
    .bind(first_id + count)
    .bind(iso_date(today - 300))
    .fetch_all(&db.pool)
    .await?;
    let wanted = (count / 25).max(1) as usize;
    let step = (quiet.len() / wanted).max(1);
    let mut rows = Vec::new();
    for r in quiet.iter().step_by(step).take(wanted) {
        let id: i64 = r.try_get("id")?;
        let gap = 20 + rng.below(21) as i64;
        let mut day = today - 150 - rng.below(151) as i64;
        for _ in 0..(365 / gap) {
            let amount = (200 + rng.below(3_000) as i64) * 100;
            rows.push(vec![
                SqlValue::Int(id),
                SqlValue::Text(iso_date(day)),
                SqlValue::Int(day * 86_400),
                SqlValue::Int(amount),
                SqlValue::Text("CNY".into()),
                SqlValue::Text("Subscription".into()),
                SqlValue::Text("Services".into()),
                SqlValue::Text("Online".into()),
                SqlValue::Int(day * 86_400),
            ]);
            day -= gap;
        }
    }
    let mut tx = db.begin_write().await?;
    insert_rows(
        &mut tx,
        db.engine,
        "INSERT INTO orders (customer_id, order_date, ordered_at, amount_cents, currency, product, category, channel, created_at)",
        &rows,
    )
    .await?;
    tx.commit().await
}

/// A few saved segments, so the segment pages and the list's segment filter show something.
pub(super) async fn demo_segments(db: &Db) -> Result<(), AppError> {
    use app::segments::model::{
        Attr, Cmp, Combine, Condition, Measure, RuleGroup, RuleNode, SegmentRule, SetOp,
        RULE_VERSION,
    };
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
    let all_of = |items: Vec<RuleNode>| SegmentRule {
        version: RULE_VERSION,
        root: RuleGroup {
            combine: Combine::All,
            negate: false,
            items,
        },
    };
    let segments = [
        (
            "t1.south@rapport.local",
            "South region, active, not VIP",
            "Guangdong and Fujian customers with at least three orders in 90 days who are not VIP yet.",
            true,
            all_of(vec![
                attr(Attr::Province, SetOp::AnyOf, &["Guangdong", "Fujian"]),
                measure(Measure::OrdersCount, Some(90), Cmp::Ge, "3"),
                attr(Attr::Grade, SetOp::NoneOf, &["vip"]),
            ]),
        ),
        (
            "admin@rapport.local",
            "Key accounts gone quiet",
            "Level-1 accounts without an order for 60 days.",
            false,
            all_of(vec![
                attr(Attr::Level, SetOp::AnyOf, &["1"]),
                measure(Measure::DaysSinceLastOrder, None, Cmp::Ge, "60"),
            ]),
        ),
        (
            "t1.east@rapport.local",
            "Champions and loyal",
            "The best RFM segments, for thank-you calls.",
            true,
            all_of(vec![attr(
                Attr::RfmSegment,
                SetOp::AnyOf,
                &["champions", "loyal"],
            )]),
        ),
    ];
    let now = app::db::now();
    for (email, name, description, shared, rule) in segments {
        let owner = sqlx::query("SELECT id, team_id FROM users WHERE email = $1")
            .bind(email)
            .fetch_one(&db.pool)
            .await?;
        sqlx::query(
            "INSERT INTO segments (name, description, rule_json, rule_version, owner_id, team_id, shared, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        )
        .bind(name)
        .bind(description)
        .bind(rule.to_json())
        .bind(RULE_VERSION as i64)
        .bind(owner.try_get::<i64, _>("id")?)
        .bind(owner.try_get::<Option<i64>, _>("team_id")?)
        .bind(shared as i64)
        .bind(now)
        .execute(&db.pool)
        .await?;
    }
    Ok(())
}
