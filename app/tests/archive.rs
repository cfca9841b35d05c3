//! Orders, contracts, payments, credit, activities, tasks and the timeline, under the
//! permission and field-level rules, on both engines.

mod support;

use app::activities::model::{ActivityDraft, ActivityInput};
use app::activities::service as activities;
use app::auth::{CurrentUser, Role};
use app::customers::model::CustomerInput;
use app::customers::service as customers;
use app::db::{now, Db, Row};
use app::error::AppError;
use app::finance::credit::CreditRating;
use app::finance::model::*;
use app::finance::service as finance;
use app::ids::CustomerId;
use app::orders::model::{OrderDraft, OrderInput};
use app::orders::service as orders;
use app::tasks::model::{TaskDraft, TaskInput, TaskSource, TaskStatus};
use app::tasks::service as tasks;
use app::timeline::model::{TimelineKind, TimelineQuery, TIMELINE_PAGE};
use app::timeline::service as timeline;
use support::{on_both_engines, team, user};

struct World {
    t1: CurrentUser,
    t2: CurrentUser,
    other_t2: CurrentUser,
    viewer: CurrentUser,
    /// Level-1 account owned by t1, served by t2.
    key: CustomerId,
    /// Level-2 account owned by t2.
    standard: CustomerId,
}

async fn world(db: &Db) -> World {
    let east = team(db, "East").await;
    let admin = user(db, "admin@example.com", Role::Admin, None).await;
    let t1 = user(db, "t1@example.com", Role::Tier1Manager, Some(east)).await;
    let t2 = user(db, "t2@example.com", Role::Tier2Manager, Some(east)).await;
    let other_t2 = user(db, "t2b@example.com", Role::Tier2Manager, Some(east)).await;
    let viewer = user(db, "viewer@example.com", Role::Viewer, Some(east)).await;
    let mk =
        |name: &str, level: &str, owner: &CurrentUser, sm: Option<&CurrentUser>| CustomerInput {
            name: name.into(),
            level: level.into(),
            owner_id: owner.id.to_string(),
            service_manager_id: sm.map(|s| s.id.to_string()).unwrap_or_default(),
            ..Default::default()
        };
    let key = customers::create(
        db,
        &admin,
        customers::parse_draft(&mk("Key Co", "1", &t1, Some(&t2))).unwrap(),
    )
    .await
    .unwrap();
    let standard = customers::create(
        db,
        &admin,
        customers::parse_draft(&mk("Small Co", "2", &t2, None)).unwrap(),
    )
    .await
    .unwrap();
    World {
        t1,
        t2,
        other_t2,
        viewer,
        key,
        standard,
    }
}

fn today() -> i64 {
    now().div_euclid(86_400)
}

fn payment(amount: &str, due_offset: i64, paid_offset: Option<i64>) -> PaymentDraft {
    let iso = |d: i64| app::dates::iso_date(today() + d);
    PaymentDraft::parse(
        &PaymentInput {
            amount: amount.into(),
            due: iso(due_offset),
            paid: paid_offset.map(iso).unwrap_or_default(),
            ..Default::default()
        },
        today(),
    )
    .unwrap()
}

#[tokio::test]
async fn orders_are_recorded_and_deleted_by_tier_deciders_only() {
    on_both_engines(|db| async move {
        let w = world(&db).await;
        let draft = OrderDraft::parse(
            &OrderInput { date: app::dates::iso_date(today()), amount: "120.50".into(), product: "Tea".into(), ..Default::default() },
            today(),
        )
        .unwrap();
        let id = orders::add(&db, &w.t2, w.standard, &draft).await.unwrap();
        assert!(matches!(orders::add(&db, &w.other_t2, w.standard, &draft).await, Err(AppError::NotFound)));
        let c = customers::get(&db, &w.t2, w.standard).await.unwrap();
        assert_eq!((c.order_count, c.lifetime_value_cents), (1, 12_050));
        // Tier-2 managers record orders but do not delete them.
        assert_eq!(orders::delete(&db, &w.t2, id).await, Err(AppError::Forbidden));
        let t1_sees = customers::get(&db, &w.t1, w.standard).await;
        assert!(t1_sees.is_ok());
        orders::delete(&db, &w.t1, id).await.unwrap();
        let page = timeline::page(&db, &w.t1, w.standard, &TimelineQuery::default()).await.unwrap();
        assert!(page.entries.iter().all(|e| e.kind != TimelineKind::Order));
        assert!(page.entries.iter().any(|e| matches!(&e.body, app::timeline::model::TimelineBody::Change { action, .. } if action == "delete_order")));
    })
    .await;
}

#[tokio::test]
async fn credit_rating_follows_payment_history_and_overrides_are_audited() {
    on_both_engines(|db| async move {
        let w = world(&db).await;
        for _ in 0..9 {
            finance::add_payment(&db, &w.t1, w.key, &payment("100", -40, Some(-41)))
                .await
                .unwrap();
        }
        let view = finance::overview(&db, &w.t1, w.key).await.unwrap().unwrap();
        assert_eq!(view.credit.derived, Some(CreditRating::A));
        // One payment 35 days overdue: D.
        let late = finance::add_payment(&db, &w.t1, w.key, &payment("100", -35, None))
            .await
            .unwrap();
        let view = finance::overview(&db, &w.t1, w.key).await.unwrap().unwrap();
        assert_eq!(view.credit.derived, Some(CreditRating::D));
        assert_eq!(view.credit.figures.max_days_overdue, 35);
        assert!(view
            .payments
            .iter()
            .any(|p| p.id == late && p.status == app::finance::credit::PaymentStatus::Overdue));
        // Paid now: no longer overdue, but paid late.
        finance::set_paid(&db, &w.t1, late, Some(today()))
            .await
            .unwrap();
        let view = finance::overview(&db, &w.t1, w.key).await.unwrap().unwrap();
        assert_eq!(view.credit.figures.max_days_overdue, 0);
        assert_eq!(view.credit.derived, Some(CreditRating::B));
        // An override needs a reason, wins over the derived rating and is audited.
        let bad = CreditOverride::parse(&CreditOverrideInput {
            rating: "A".into(),
            reason: String::new(),
        });
        assert!(matches!(bad, Err(AppError::Validation(_))));
        let o = CreditOverride::parse(&CreditOverrideInput {
            rating: "A".into(),
            reason: "Bank guarantee".into(),
        })
        .unwrap();
        finance::override_credit(&db, &w.t1, w.key, &o)
            .await
            .unwrap();
        let view = finance::overview(&db, &w.t1, w.key).await.unwrap().unwrap();
        assert_eq!(view.credit.effective(), Some(CreditRating::A));
        let audit: String =
            sqlx::query("SELECT after_value FROM audit_log WHERE field = 'credit_override'")
                .fetch_one(&db.pool)
                .await
                .unwrap()
                .try_get("after_value")
                .unwrap();
        assert_eq!(audit, "A (Bank guarantee)");
        // A tier-2 manager may not override, even on their own standard account.
        assert_eq!(
            finance::override_credit(&db, &w.t2, w.standard, &o).await,
            Err(AppError::Forbidden)
        );
    })
    .await;
}

#[tokio::test]
async fn tier2_never_sees_financials_of_key_accounts_they_serve() {
    on_both_engines(|db| async move {
        let w = world(&db).await;
        let contract = ContractDraft::parse(&ContractInput {
            title: "Annual support".into(),
            value: "50000".into(),
            start: "2026-01-01".into(),
            ..Default::default()
        })
        .unwrap();
        let cid = finance::add_contract(&db, &w.t1, w.key, &contract)
            .await
            .unwrap();
        finance::add_payment(&db, &w.t1, w.key, &payment("100", -3, None))
            .await
            .unwrap();
        finance::set_contract_status(&db, &w.t1, cid, ContractStatus::Ended)
            .await
            .unwrap();
        // The tier-2 service manager sees the customer, but nothing financial.
        assert!(customers::get(&db, &w.t2, w.key).await.is_ok());
        assert_eq!(finance::overview(&db, &w.t2, w.key).await.unwrap(), None);
        assert_eq!(
            finance::add_payment(&db, &w.t2, w.key, &payment("1", 0, None)).await,
            Err(AppError::NotFound)
        );
        assert_eq!(
            finance::set_contract_status(&db, &w.t2, cid, ContractStatus::Active).await,
            Err(AppError::NotFound)
        );
        let page = timeline::page(&db, &w.t2, w.key, &TimelineQuery::default())
            .await
            .unwrap();
        assert!(
            !page.kinds.contains(&TimelineKind::Payment)
                && !page.kinds.contains(&TimelineKind::Contract)
        );
        assert!(page.entries.iter().all(|e| !e.kind.is_financial()));
        let asked = timeline::page(
            &db,
            &w.t2,
            w.key,
            &TimelineQuery {
                kinds: "payment,contract".into(),
                before: String::new(),
            },
        )
        .await
        .unwrap();
        assert!(asked.entries.is_empty());
        // The tier-1 owner sees both, contract changes included.
        let page = timeline::page(&db, &w.t1, w.key, &TimelineQuery::default())
            .await
            .unwrap();
        assert!(page.entries.iter().any(|e| e.kind == TimelineKind::Payment));
        assert_eq!(
            page.entries
                .iter()
                .filter(|e| e.kind == TimelineKind::Contract)
                .count(),
            2
        );
        // The export leaves the rating empty for them, and fills it for the owner.
        use app::exports::service::{export_customers, Selection};
        let rating_of = |csv: String| {
            let mut lines = csv.lines();
            let header: Vec<&str> = lines.next().unwrap().split(',').collect();
            let col = header.iter().position(|h| *h == "credit_rating").unwrap();
            lines
                .next()
                .unwrap()
                .split(',')
                .nth(col)
                .unwrap()
                .to_string()
        };
        let ids = [w.key.0];
        assert_eq!(
            rating_of(
                export_customers(&db, &w.t2, Selection::Ids(&ids))
                    .await
                    .unwrap()
            ),
            ""
        );
        assert_eq!(
            rating_of(
                export_customers(&db, &w.t1, Selection::Ids(&ids))
                    .await
                    .unwrap()
            ),
            "E"
        );
        // On their own standard account a tier-2 manager does see financials.
        assert!(finance::overview(&db, &w.t2, w.standard)
            .await
            .unwrap()
            .is_some());
        // Viewers see no customer at all.
        assert_eq!(
            finance::overview(&db, &w.viewer, w.key).await,
            Err(AppError::NotFound)
        );
        assert!(matches!(
            timeline::page(&db, &w.viewer, w.key, &TimelineQuery::default()).await,
            Err(AppError::NotFound)
        ));
    })
    .await;
}

#[tokio::test]
async fn an_activity_with_a_next_step_creates_the_follow_up() {
    on_both_engines(|db| async move {
        let w = world(&db).await;
        let due = app::dates::local_datetime_value(now() + 3_600, 0);
        let draft = ActivityDraft::parse(
            &ActivityInput {
                kind: "call".into(),
                summary: "Talked about the renewal <b>now</b>".into(),
                next_step: "Send the quote".into(),
                follow_up: "on".into(),
                follow_up_due: due,
                ..Default::default()
            },
            now(),
            0,
        )
        .unwrap();
        let logged = activities::log(&db, &w.t2, w.standard, &draft)
            .await
            .unwrap();
        let task = logged.task.expect("follow-up task");
        let mine = tasks::my_open_tasks(&db, &w.t2).await.unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].id, task);
        assert_eq!(mine[0].title, "Send the quote");
        assert_eq!(mine[0].source, TaskSource::Activity);
        assert_eq!(mine[0].customer_name.as_deref(), Some("Small Co"));
        let counts = tasks::counts(&db, &w.t2, 0).await.unwrap();
        assert_eq!(counts.overdue, 0);
        // Someone who cannot see the customer cannot log on it.
        assert_eq!(
            activities::log(&db, &w.other_t2, w.standard, &draft).await,
            Err(AppError::NotFound)
        );
        // Done: leaves "my work", stays on the timeline.
        tasks::set_status(&db, &w.t2, task, TaskStatus::Done)
            .await
            .unwrap();
        assert!(tasks::my_open_tasks(&db, &w.t2).await.unwrap().is_empty());
        let page = timeline::page(&db, &w.t2, w.standard, &TimelineQuery::default())
            .await
            .unwrap();
        let kinds: Vec<_> = page.entries.iter().map(|e| e.kind).collect();
        assert!(kinds.contains(&TimelineKind::Activity) && kinds.contains(&TimelineKind::Task));
        match &page
            .entries
            .iter()
            .find(|e| e.kind == TimelineKind::Activity)
            .unwrap()
            .body
        {
            app::timeline::model::TimelineBody::Activity { summary, .. } => {
                assert_eq!(summary, "Talked about the renewal <b>now</b>")
            }
            other => panic!("unexpected {other:?}"),
        }
    })
    .await;
}

#[tokio::test]
async fn tasks_go_only_to_people_who_can_see_the_customer() {
    on_both_engines(|db| async move {
        let w = world(&db).await;
        let draft = |assignee: &CurrentUser, due: i64| TaskDraft {
            customer: Some(w.standard),
            title: "Check in".into(),
            assignee: Some(assignee.id),
            due_at: due,
        };
        // other_t2 cannot see t2's standard account.
        assert!(matches!(
            tasks::create(&db, &w.t2, &draft(&w.other_t2, now()), TaskSource::Manual).await,
            Err(AppError::Validation(_))
        ));
        // The tier-1 manager of the team can.
        let id = tasks::create(&db, &w.t2, &draft(&w.t1, now() - 60), TaskSource::Manual)
            .await
            .unwrap();
        let counts = tasks::counts(&db, &w.t1, 0).await.unwrap();
        assert_eq!(counts.overdue, 1);
        // A stranger may not close it; the assignee may.
        assert_eq!(
            tasks::set_status(&db, &w.other_t2, id, TaskStatus::Done).await,
            Err(AppError::NotFound)
        );
        tasks::set_status(&db, &w.t1, id, TaskStatus::Done)
            .await
            .unwrap();
        assert_eq!(tasks::counts(&db, &w.t1, 0).await.unwrap().overdue, 0);
        // Personal tasks without a customer.
        let parsed = TaskDraft::parse(
            &TaskInput {
                title: "Plan the week".into(),
                due: "2030-01-01T09:00".into(),
                ..Default::default()
            },
            0,
        )
        .unwrap();
        tasks::create(&db, &w.other_t2, &parsed, TaskSource::Manual)
            .await
            .unwrap();
        assert!(tasks::my_open_tasks(&db, &w.other_t2)
            .await
            .unwrap()
            .iter()
            .any(|t| t.title == "Plan the week"));
        // Viewers only read: not even a personal task.
        assert_eq!(
            tasks::create(&db, &w.viewer, &parsed, TaskSource::Manual).await,
            Err(AppError::Forbidden)
        );
        assert!(tasks::my_open_tasks(&db, &w.viewer)
            .await
            .unwrap()
            .is_empty());
    })
    .await;
}

#[tokio::test]
async fn timeline_pages_without_gaps_or_repeats() {
    on_both_engines(|db| async move {
        let w = world(&db).await;
        // Many entries at the same second across kinds exercise the tie-break.
        let t = now() - 10_000;
        for i in 0..45i64 {
            sqlx::query("INSERT INTO activities (customer_id, user_id, kind, happened_at, summary, created_at) VALUES ($1, $2, 'note', $3, $4, 0)")
                .bind(w.standard.0)
                .bind(w.t2.id.0)
                .bind(t - (i % 7))
                .bind(format!("note {i}"))
                .execute(&db.pool)
                .await
                .unwrap();
            sqlx::query("INSERT INTO orders (customer_id, order_date, ordered_at, amount_cents, currency, created_at) VALUES ($1, '2026-01-01', $2, 100, 'CNY', 0)")
                .bind(w.standard.0)
                .bind(t - (i % 5))
                .execute(&db.pool)
                .await
                .unwrap();
        }
        let mut seen = std::collections::HashSet::new();
        let mut before = String::new();
        let mut last: Option<(i64, i64, i64)> = None;
        loop {
            let page = timeline::page(&db, &w.t2, w.standard, &TimelineQuery { kinds: String::new(), before: before.clone() }).await.unwrap();
            assert!(page.entries.len() <= TIMELINE_PAGE);
            for e in &page.entries {
                let key = (e.at, e.kind.rank(), e.id);
                if let Some(prev) = last {
                    assert!(key < prev, "timeline out of order");
                }
                last = Some(key);
                assert!(seen.insert((e.kind, e.id)), "repeated entry");
            }
            match page.next {
                Some(n) => before = n,
                None => break,
            }
        }
        // 45 activities + 45 orders + the creation audit entry.
        assert_eq!(seen.len(), 91);
        let only_orders = timeline::page(&db, &w.t2, w.standard, &TimelineQuery { kinds: "order".into(), before: String::new() }).await.unwrap();
        assert!(only_orders.entries.iter().all(|e| e.kind == TimelineKind::Order));
        assert!(timeline::page(&db, &w.t2, w.standard, &TimelineQuery { kinds: "nonsense".into(), before: String::new() }).await.is_err());
    })
    .await;
}
