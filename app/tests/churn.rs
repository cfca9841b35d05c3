//! The churn scan on both engines: reasons from generated data equal the pure model, the
//! scan is idempotent with one task per episode, a new order clears a warning at once, a
//! later lapse opens a new episode, the at-risk list shows only visible customers, and a
//! detractor's recent NPS answer is a reason of its own.

mod support;

use app::auth::{CurrentUser, Role};
use app::churn::model::*;
use app::churn::service as churn;
use app::dates::iso_date;
use app::db::{Db, Row};
use app::feedback::model::{FormDefinition, Localized, Question, QuestionKind};
use app::ids::CustomerId;
use app::orders::model::{OrderDraft, OrderInput};
use app::timeline::model::{TimelineBody, TimelineKind, TimelineQuery};
use std::collections::HashMap;
use support::{count, managed_customer, on_both_engines, team, user};

/// A small deterministic generator (the data must be the same on both engines).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
}

async fn customer(
    db: &Db,
    admin: &CurrentUser,
    name: &str,
    level: &str,
    owner: &CurrentUser,
    sm: Option<&CurrentUser>,
) -> CustomerId {
    let grade = if level == "1" { "key" } else { "general" };
    managed_customer(db, admin, name, (level, grade), owner, sm).await
}

async fn order(db: &Db, c: CustomerId, day: i64, cents: i64) {
    sqlx::query(
        "INSERT INTO orders (customer_id, order_date, ordered_at, amount_cents, currency, created_at) \
         VALUES ($1, $2, $3, $4, 'CNY', 0)",
    )
    .bind(c.0)
    .bind(iso_date(day))
    .bind(day * 86_400)
    .bind(cents)
    .execute(&db.pool)
    .await
    .unwrap();
}

async fn activity(db: &Db, c: CustomerId, at: i64) {
    sqlx::query(
        "INSERT INTO activities (customer_id, kind, happened_at, summary, created_at) \
         VALUES ($1, 'call', $2, 'Call', 0)",
    )
    .bind(c.0)
    .bind(at)
    .execute(&db.pool)
    .await
    .unwrap();
}

async fn payment(db: &Db, c: CustomerId, due: i64, paid: Option<i64>, cents: i64) {
    sqlx::query(
        "INSERT INTO payments (customer_id, amount_cents, currency, due_date, paid_date, timeline_at, created_at) \
         VALUES ($1, $2, 'CNY', $3, $4, $5, 0)",
    )
    .bind(c.0)
    .bind(cents)
    .bind(iso_date(due))
    .bind(paid.map(iso_date))
    .bind(paid.unwrap_or(due) * 86_400)
    .execute(&db.pool)
    .await
    .unwrap();
}

/// A one-question NPS form, stored directly (the churn scan reads only the answers).
async fn nps_form(db: &Db, admin: &CurrentUser) -> i64 {
    let definition = FormDefinition {
        title: Localized::new("How are we doing?", "我们做得怎么样？"),
        questions: vec![Question {
            key: "q1".into(),
            kind: QuestionKind::Nps,
            label: Localized::new("Would you recommend us?", "您会推荐我们吗？"),
            required: true,
            options: Vec::new(),
        }],
        ..Default::default()
    };
    let form: i64 = sqlx::query(
        "INSERT INTO feedback_forms (slug, status, current_version, created_by, created_at, updated_at) \
         VALUES ('nps', 'open', 1, $1, 0, 0) RETURNING id",
    )
    .bind(admin.id.0)
    .fetch_one(&db.pool)
    .await
    .unwrap()
    .try_get("id")
    .unwrap();
    sqlx::query(
        "INSERT INTO feedback_form_versions (form_id, version, definition_json, created_by, created_at) \
         VALUES ($1, 1, $2, $3, 0)",
    )
    .bind(form)
    .bind(serde_json::to_string(&definition).unwrap())
    .bind(admin.id.0)
    .execute(&db.pool)
    .await
    .unwrap();
    form
}

/// One answer to the NPS form (`nps` `None`: an answer without an NPS figure).
async fn nps_answer(db: &Db, form: i64, key: &str, c: CustomerId, at: i64, nps: Option<i64>) {
    sqlx::query(
        "INSERT INTO feedback_responses (form_id, version, idempotency_key, customer_id, link_id, language, \
         submitted_at, answers_json, nps, csat, comment) VALUES ($1, 1, $2, $3, NULL, 'en', $4, $5, $6, NULL, NULL)",
    )
    .bind(form)
    .bind(key)
    .bind(c.0)
    .bind(at)
    .bind(match nps {
        Some(n) => format!("{{\"q1\": {n}}}"),
        None => "{}".to_string(),
    })
    .bind(nps)
    .execute(&db.pool)
    .await
    .unwrap();
}

struct Open {
    score: i64,
    reasons: Vec<ChurnReason>,
    task_id: Option<i64>,
    value_cents: i64,
}

async fn open_warnings(db: &Db) -> HashMap<i64, Open> {
    sqlx::query(
        "SELECT customer_id, score, reasons_json, task_id, value_cents FROM churn_warnings WHERE cleared_on IS NULL",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap()
    .iter()
    .map(|r| {
        let json: String = r.try_get("reasons_json").unwrap();
        (
            r.try_get("customer_id").unwrap(),
            Open {
                score: r.try_get("score").unwrap(),
                reasons: reasons_from_json(&json),
                task_id: r.try_get("task_id").unwrap(),
                value_cents: r.try_get("value_cents").unwrap(),
            },
        )
    })
    .collect()
}

/// Everything the churn tables and churn tasks hold, to compare two moments.
async fn snapshot(db: &Db) -> Vec<String> {
    let mut out = Vec::new();
    for sql in [
        "SELECT id, customer_id, opened_on, last_order_on, score, reasons_json, value_cents, task_id, updated_on, \
         cleared_on, cleared_reason FROM churn_warnings ORDER BY id",
        "SELECT id, warning_id, event, score, reasons_json FROM churn_events ORDER BY id",
        "SELECT id, customer_id, title, assignee_id, source_id, status FROM tasks WHERE source = 'churn_warning' ORDER BY id",
    ] {
        for r in sqlx::query(sql).fetch_all(&db.pool).await.unwrap() {
            let mut line = String::new();
            for i in 0..sqlx::Row::len(&r) {
                let v: Option<String> = r
                    .try_get::<Option<String>, _>(i)
                    .ok()
                    .flatten()
                    .or_else(|| r.try_get::<Option<i64>, _>(i).ok().flatten().map(|v| v.to_string()));
                line.push_str(&format!("{v:?}|"));
            }
            out.push(line);
        }
    }
    out
}

#[tokio::test]
async fn reasons_from_generated_data_match_the_pure_model() {
    on_both_engines(|db| async move {
        let east = team(&db, "East").await;
        let admin = user(&db, "admin@example.com", Role::Admin, None).await;
        let t1 = user(&db, "t1@example.com", Role::Tier1Manager, Some(east)).await;
        let t2 = user(&db, "t2@example.com", Role::Tier2Manager, Some(east)).await;
        let t2b = user(&db, "t2b@example.com", Role::Tier2Manager, Some(east)).await;
        let today = churn::today();
        let cfg = ChurnConfig::default();
        let mut rng = Lcg(42);

        // Per customer: orders (day, cents), activity days back, payments (due, paid).
        let mut ids = Vec::new();
        let mut orders: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
        let mut acts: HashMap<i64, (i64, i64)> = HashMap::new();
        let mut overdue: HashMap<i64, OverdueFacts> = HashMap::new();
        for i in 0..40 {
            let (level, owner, sm) = match i % 4 {
                0 => ("1", &t1, None),
                1 => ("2", &t2, None),
                2 => ("2", &t2b, None),
                _ => ("1", &t1, Some(&t2)),
            };
            let c = customer(&db, &admin, &format!("Generated {i}"), level, owner, sm).await;
            ids.push(c);
            // 0–5 order days with a rhythm of 5–60 days, jittered; sometimes two orders on
            // one day; sometimes an order dated after the scan (ignored).
            let n = rng.below(6) as i64;
            let gap = 5 + rng.below(56) as i64;
            let mut day = today - rng.below(300) as i64;
            let mut list = Vec::new();
            for _ in 0..n {
                let cents = 100 + rng.below(50_000) as i64;
                order(&db, c, day, cents).await;
                list.push((day, cents));
                if rng.below(5) == 0 {
                    order(&db, c, day, 700).await;
                    list.push((day, 700));
                }
                day -= gap + rng.below(gap as u64 / 2 + 1) as i64;
            }
            if rng.below(8) == 0 {
                order(&db, c, today + 3, 999).await;
            }
            list.sort();
            orders.insert(c.0, list);
            // Activities up to 200 days back: the last 90 days, the 90 before, older.
            let (mut recent, mut previous) = (0, 0);
            for _ in 0..rng.below(8) {
                let back = rng.below(200) as i64;
                activity(&db, c, (today - back) * 86_400 + rng.below(86_400) as i64).await;
                match back {
                    0..=89 => recent += 1,
                    90..=179 => previous += 1,
                    _ => {}
                }
            }
            acts.insert(c.0, (recent, previous));
            // Payments: paid, due later, due today (not overdue), overdue.
            for _ in 0..rng.below(4) {
                let due = today + 20 - rng.below(120) as i64;
                let paid = (rng.below(3) == 0).then_some(due + 2);
                let cents = 1_000 + rng.below(90_000) as i64;
                payment(&db, c, due, paid, cents).await;
                if paid.is_none() && due < today {
                    let o = overdue.entry(c.0).or_insert_with(|| OverdueFacts {
                        currency: "CNY".into(),
                        oldest_due_day: due,
                        ..Default::default()
                    });
                    o.count += 1;
                    o.amount_cents += cents;
                    o.oldest_due_day = o.oldest_due_day.min(due);
                }
            }
        }
        // The boundary day: a payment due today is not overdue.
        payment(&db, ids[1], today, None, 5_000).await;

        // The reference: the pure model over the generated data.
        let histories: HashMap<i64, OrderHistory> = orders
            .iter()
            .filter_map(|(c, l)| {
                let upto: Vec<(i64, i64)> =
                    l.iter().copied().filter(|(d, _)| *d <= today).collect();
                Some((*c, OrderHistory::from_sorted(&upto)?))
            })
            .collect();
        let mut gaps: Vec<i64> = histories.values().filter_map(|h| h.own_gap_days).collect();
        gaps.sort_unstable();
        let population = median(&gaps);
        let expected: HashMap<i64, Assessment> = ids
            .iter()
            .filter_map(|c| {
                let (recent, previous) = acts[&c.0];
                let facts = ChurnFacts {
                    orders: histories.get(&c.0).copied(),
                    activities_recent: recent,
                    activities_previous: previous,
                    overdue: overdue.get(&c.0).cloned(),
                    latest_nps: None,
                };
                Some((c.0, assess(&facts, population, today, &cfg)?))
            })
            .collect();
        assert!(expected.len() > 20, "most generated customers are scored");

        let computed = churn::assessments(&db, today, &cfg).await.unwrap();
        assert_eq!(computed.len(), expected.len());
        for (c, a) in &expected {
            assert_eq!(&computed[c].0, a, "customer {c}");
            assert_eq!(computed[c].1, histories[c], "customer {c}");
        }

        let counts = churn::run_churn_scan(&db, today).await.unwrap();
        assert_eq!(counts.scored, expected.len() as i64);
        let open = open_warnings(&db).await;
        let at_risk: Vec<i64> = expected
            .iter()
            .filter(|(_, a)| a.score >= cfg.warning_at)
            .map(|(c, _)| *c)
            .collect();
        assert!(
            !at_risk.is_empty(),
            "the generated data has customers at risk"
        );
        assert!(at_risk.len() < expected.len(), "and customers not at risk");
        assert_eq!(open.len(), at_risk.len());
        assert_eq!(counts.opened, at_risk.len() as i64);
        for c in &at_risk {
            let w = &open[c];
            assert_eq!(w.score, expected[c].score, "customer {c}");
            assert_eq!(w.reasons, expected[c].reasons, "customer {c}");
            assert_eq!(w.value_cents, histories[c].value_cents);
            assert!(w.task_id.is_some());
        }
        // Every kind of reason occurs in the data.
        let all: Vec<&ChurnReason> = open.values().flat_map(|w| &w.reasons).collect();
        assert!(all.iter().any(|r| matches!(
            r,
            ChurnReason::Lapsed {
                own_rhythm: true,
                ..
            }
        )));
        assert!(all
            .iter()
            .any(|r| matches!(r, ChurnReason::OverduePayments { .. })));
        assert!(expected
            .values()
            .flat_map(|a| &a.reasons)
            .any(|r| matches!(r, ChurnReason::FewerActivities { .. })));

        // One task per warning, for the owner.
        let tasks = count(
            &db,
            "SELECT COUNT(*) FROM tasks WHERE source = 'churn_warning'",
        )
        .await;
        assert_eq!(tasks, at_risk.len() as i64);
        let wrong_owner = count(
            &db,
            "SELECT COUNT(*) FROM tasks t JOIN customers c ON c.id = t.customer_id \
             WHERE t.source = 'churn_warning' AND t.assignee_id <> c.owner_id",
        )
        .await;
        assert_eq!(wrong_owner, 0);

        // Idempotent: a second scan the same day changes nothing at all.
        let before = snapshot(&db).await;
        let again = churn::run_churn_scan(&db, today).await.unwrap();
        assert_eq!((again.opened, again.updated, again.cleared), (0, 0, 0));
        assert_eq!(snapshot(&db).await, before);

        // Visibility: tier-2 sees the warnings of the customers they own or serve, and no
        // payment figures of key accounts.
        let page = churn::at_risk(&db, &t2, None).await.unwrap();
        let mut seen: Vec<i64> = page.rows.iter().map(|r| r.customer_id.0).collect();
        seen.sort_unstable();
        let mut visible: Vec<i64> = ids
            .iter()
            .enumerate()
            .filter(|(i, c)| (i % 4 == 1 || i % 4 == 3) && open.contains_key(&c.0))
            .map(|(_, c)| c.0)
            .collect();
        visible.sort_unstable();
        assert_eq!(seen, visible);
        assert!(!page.may_run && page.config.is_none());
        for r in &page.rows {
            let i = ids.iter().position(|c| *c == r.customer_id).unwrap();
            let shows_payments = r
                .reasons
                .iter()
                .any(|x| matches!(x, ChurnReason::OverduePayments { .. }));
            if i % 4 == 3 {
                assert!(
                    !shows_payments,
                    "no payment figures of a key account for tier-2"
                );
                // Nor their points: the score is what the visible reasons add up to.
                let visible: i64 = r.reasons.iter().map(ChurnReason::points).sum();
                assert_eq!(r.score, visible.min(100));
                let all_visible = r.reasons.len() == open[&r.customer_id.0].reasons.len();
                assert!(all_visible || r.score <= open[&r.customer_id.0].score);
            } else {
                assert_eq!(r.reasons, open[&r.customer_id.0].reasons);
                assert_eq!(r.score, open[&r.customer_id.0].score);
            }
        }
        // Sorted by value at stake.
        let values: Vec<i64> = page.rows.iter().map(|r| r.value_cents).collect();
        assert!(values.windows(2).all(|w| w[0] >= w[1]));
        // The admin sees every open warning; paging by one page size covers them.
        let all_page = churn::at_risk(&db, &admin, None).await.unwrap();
        assert_eq!(all_page.rows.len(), open.len());
        assert!(all_page.may_run && all_page.config.is_some());
        let viewer = user(&db, "viewer@example.com", Role::Viewer, Some(east)).await;
        assert!(churn::at_risk(&db, &viewer, None).await.is_err());
        // The card refuses customers the viewer may not see.
        let hidden = ids[2];
        assert!(churn::customer_warning(&db, &t2, hidden).await.is_err());
    })
    .await;
}

#[tokio::test]
async fn one_task_per_episode_cleared_by_a_new_order_and_reopened_by_a_new_lapse() {
    on_both_engines(|db| async move {
        let east = team(&db, "East").await;
        let admin = user(&db, "admin@example.com", Role::Admin, None).await;
        let t2 = user(&db, "t2@example.com", Role::Tier2Manager, Some(east)).await;
        let today = churn::today();
        let c = customer(&db, &admin, "Monthly Co", "2", &t2, None).await;
        let steady = customer(&db, &admin, "Steady Co", "2", &t2, None).await;
        // A monthly buyer silent for 340 days: far beyond 3× its usual 30 days.
        for back in [400, 370, 340] {
            order(&db, c, today - back, 10_000).await;
        }
        for back in [60, 30, 5] {
            order(&db, steady, today - back, 10_000).await;
        }
        let tasks = |db: Db| async move {
            count(
                &db,
                "SELECT COUNT(*) FROM tasks WHERE source = 'churn_warning'",
            )
            .await
        };

        let first = churn::run_churn_scan(&db, today).await.unwrap();
        assert_eq!(first.opened, 1);
        let second = churn::run_churn_scan(&db, today).await.unwrap();
        assert_eq!((second.opened, second.updated), (0, 0));
        assert_eq!(tasks(db.clone()).await, 1, "run twice: one task");
        let card = churn::customer_warning(&db, &t2, c).await.unwrap().unwrap();
        assert_eq!(card.score, 60);
        assert_eq!(
            card.reasons,
            vec![ChurnReason::Lapsed {
                days_since_last_order: 340,
                usual_gap_days: 30,
                own_rhythm: true,
                points: 60
            }]
        );
        assert!(churn::customer_warning(&db, &t2, steady)
            .await
            .unwrap()
            .is_none());

        // The customer orders again: the warning clears at once, through the order hook.
        let draft = OrderDraft::parse(
            &OrderInput {
                date: iso_date(today),
                amount: "250".into(),
                currency: "CNY".into(),
                ..Default::default()
            },
            today,
        )
        .unwrap();
        app::orders::service::add(&db, &t2, c, &draft)
            .await
            .unwrap();
        assert!(churn::customer_warning(&db, &t2, c)
            .await
            .unwrap()
            .is_none());
        let cleared: (Option<String>, Option<String>) = {
            let r = sqlx::query(
                "SELECT cleared_on, cleared_reason FROM churn_warnings WHERE customer_id = $1",
            )
            .bind(c.0)
            .fetch_one(&db.pool)
            .await
            .unwrap();
            (
                r.try_get("cleared_on").unwrap(),
                r.try_get("cleared_reason").unwrap(),
            )
        };
        assert_eq!(
            cleared,
            (Some(iso_date(today)), Some(CLEARED_ORDERED.into()))
        );
        // The scan agrees: nothing to open, nothing to clear.
        let after = churn::run_churn_scan(&db, today).await.unwrap();
        assert_eq!((after.opened, after.cleared, after.open_after), (0, 0, 0));
        assert_eq!(tasks(db.clone()).await, 1);

        // The timeline shows the episode opening and clearing.
        let page = app::timeline::service::page(
            &db,
            &t2,
            c,
            &TimelineQuery {
                kinds: "churn".into(),
                before: String::new(),
            },
        )
        .await
        .unwrap();
        let events: Vec<ChurnEvent> = page
            .entries
            .iter()
            .filter_map(|e| match &e.body {
                TimelineBody::Churn { event, .. } if e.kind == TimelineKind::Churn => Some(*event),
                _ => None,
            })
            .collect();
        assert_eq!(events, vec![ChurnEvent::Cleared, ChurnEvent::Opened]);

        // 200 days later the customer has lapsed again: a new episode, a new task (the
        // steady buyer has lapsed by then too: its first episode).
        let later = churn::run_churn_scan(&db, today + 200).await.unwrap();
        assert_eq!(later.opened, 2);
        assert_eq!(tasks(db.clone()).await, 3);
        let episodes = count(
            &db,
            &format!(
                "SELECT COUNT(*) FROM churn_warnings WHERE customer_id = {}",
                c.0
            ),
        )
        .await;
        assert_eq!(episodes, 2);
        let open = open_warnings(&db).await;
        assert_eq!(open.len(), 2);
        assert!(open.contains_key(&c.0) && open.contains_key(&steady.0));
        let again = churn::run_churn_scan(&db, today + 200).await.unwrap();
        assert_eq!((again.opened, again.updated, again.cleared), (0, 0, 0));
        assert_eq!(tasks(db.clone()).await, 3);
    })
    .await;
}

#[tokio::test]
async fn settings_are_validated_audited_and_admin_only() {
    on_both_engines(|db| async move {
        let east = team(&db, "East").await;
        let admin = user(&db, "admin@example.com", Role::Admin, None).await;
        let t1 = user(&db, "t1@example.com", Role::Tier1Manager, Some(east)).await;
        assert_eq!(churn::config(&db).await.unwrap(), ChurnConfig::default());
        let cfg = ChurnConfig {
            warning_at: 40,
            ..ChurnConfig::default()
        };
        assert!(churn::save_config(&db, &t1, &cfg).await.is_err());
        churn::save_config(&db, &admin, &cfg).await.unwrap();
        assert_eq!(churn::config(&db).await.unwrap(), cfg);
        let audited = count(
            &db,
            "SELECT COUNT(*) FROM audit_log WHERE entity = 'settings' AND field = 'churn.config'",
        )
        .await;
        assert_eq!(audited, 1);
        // Tier-1 may start a scan; it runs in the background and its lease is released.
        assert!(churn::start_scan(&db, &t1).await.unwrap());
        for _ in 0..100 {
            if churn::last_scan(&db).await.unwrap().is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(churn::last_scan(&db).await.unwrap().is_some());
    })
    .await;
}

#[tokio::test]
async fn a_detractors_recent_nps_answer_opens_a_warning_at_the_next_scan() {
    on_both_engines(|db| async move {
        let east = team(&db, "East").await;
        let admin = user(&db, "admin@example.com", Role::Admin, None).await;
        let t2 = user(&db, "t2@example.com", Role::Tier2Manager, Some(east)).await;
        let today = churn::today();
        let cfg = ChurnConfig {
            feedback_weight: 60,
            ..ChurnConfig::default()
        };
        churn::save_config(&db, &admin, &cfg).await.unwrap();
        let form = nps_form(&db, &admin).await;
        // Four steady monthly buyers: no lapse, no activities, no payments.
        let unhappy = customer(&db, &admin, "Unhappy Co", "2", &t2, None).await;
        let recovered = customer(&db, &admin, "Recovered Co", "2", &t2, None).await;
        let long_ago = customer(&db, &admin, "Long Ago Co", "2", &t2, None).await;
        let late = customer(&db, &admin, "Late Answer Co", "2", &t2, None).await;
        for c in [unhappy, recovered, long_ago, late] {
            for back in [60, 30, 5] {
                order(&db, c, today - back, 10_000).await;
            }
        }
        let at = |back: i64| (today - back) * 86_400 + 3_600;
        // Unhappy: a promoter once, then a 0 two days ago, then an answer without an NPS.
        nps_answer(&db, form, "u1", unhappy, at(40), Some(10)).await;
        nps_answer(&db, form, "u2", unhappy, at(2), Some(0)).await;
        nps_answer(&db, form, "u3", unhappy, at(1), None).await;
        // Recovered: a 0, then a promoter; the latest answer counts.
        nps_answer(&db, form, "r1", recovered, at(40), Some(0)).await;
        nps_answer(&db, form, "r2", recovered, at(10), Some(9)).await;
        // Long ago: a 0 outside the 180 days.
        nps_answer(&db, form, "l1", long_ago, at(180), Some(0)).await;

        let first = churn::run_churn_scan(&db, today).await.unwrap();
        assert_eq!((first.scored, first.opened), (4, 1));
        let open = open_warnings(&db).await;
        assert_eq!(open.len(), 1);
        let expected = vec![ChurnReason::LowFeedback {
            nps: 0,
            answered_on: iso_date(today - 2),
            points: 60,
        }];
        assert_eq!(open[&unhappy.0].score, 60);
        assert_eq!(open[&unhappy.0].reasons, expected);
        let card = churn::customer_warning(&db, &t2, unhappy)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(card.reasons, expected);

        // A detractor's answer after the scan counts from the next scan on: 60 × 6 / 7 =
        // 51.4 → 51, above the threshold of 50.
        nps_answer(&db, form, "a1", late, at(0), Some(1)).await;
        assert!(churn::customer_warning(&db, &t2, late)
            .await
            .unwrap()
            .is_none());
        let next = churn::run_churn_scan(&db, today + 1).await.unwrap();
        assert_eq!(next.opened, 1);
        let open = open_warnings(&db).await;
        assert_eq!(
            open[&late.0].reasons,
            vec![ChurnReason::LowFeedback {
                nps: 1,
                answered_on: iso_date(today),
                points: 51,
            }]
        );
        assert_eq!(open.len(), 2);
    })
    .await;
}
