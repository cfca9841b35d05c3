//! Custom fields, list filters, saved views, bulk actions, duplicates and merge, under
//! the permission rules, on both engines.

mod support;

use app::auth::{CurrentUser, Role};
use app::custom_fields::model::{FieldDraft, FieldInput};
use app::custom_fields::service as fields;
use app::customers::filter::{encode_custom_pairs, CustomerFilter, ParsedFilter};
use app::customers::model::{BulkCommand, CustomerInput};
use app::customers::service as customers;
use app::customers::{listing, tags};
use app::db::{Db, Row};
use app::duplicates::model::MatchReason;
use app::duplicates::service as duplicates;
use app::error::AppError;
use app::i18n::Key;
use app::ids::{CustomerId, UserId};
use app::saved_views::model::ViewDraft;
use app::saved_views::service as views;
use std::collections::BTreeMap;
use support::{on_both_engines, team, user};

struct World {
    admin: CurrentUser,
    t1_east: CurrentUser,
    t1_west: CurrentUser,
    t2_east: CurrentUser,
    t2_east_b: CurrentUser,
}

async fn world(db: &Db) -> World {
    let east = team(db, "East").await;
    let west = team(db, "West").await;
    World {
        admin: user(db, "admin@example.com", Role::Admin, None).await,
        t1_east: user(db, "t1e@example.com", Role::Tier1Manager, Some(east)).await,
        t1_west: user(db, "t1w@example.com", Role::Tier1Manager, Some(west)).await,
        t2_east: user(db, "t2e@example.com", Role::Tier2Manager, Some(east)).await,
        t2_east_b: user(db, "t2eb@example.com", Role::Tier2Manager, Some(east)).await,
    }
}

fn input(name: &str, owner: UserId) -> CustomerInput {
    CustomerInput {
        name: name.into(),
        owner_id: owner.to_string(),
        ..Default::default()
    }
}

async fn create(db: &Db, actor: &CurrentUser, i: CustomerInput) -> Result<CustomerId, AppError> {
    customers::create(db, actor, customers::parse_draft(&i)?).await
}

async fn field(db: &Db, admin: &CurrentUser, label: &str, kind: &str, choices: &str) -> i64 {
    let draft = FieldDraft::try_from(&FieldInput {
        label: label.into(),
        kind: kind.into(),
        choices: choices.into(),
        ..Default::default()
    })
    .unwrap();
    fields::create_field(db, admin, draft).await.unwrap()
}

/// The standard set: segment (choice), budget (number), since (date), note (text).
async fn define_fields(db: &Db, admin: &CurrentUser) {
    field(db, admin, "Segment", "choice", "Retail\nWholesale").await;
    field(db, admin, "Budget", "number", "").await;
    field(db, admin, "Since", "date", "").await;
    field(db, admin, "Note", "text", "").await;
}

fn custom(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

async fn ids(db: &Db, actor: &CurrentUser, f: CustomerFilter) -> Result<Vec<CustomerId>, AppError> {
    let parsed = ParsedFilter::try_from(&f)?;
    let mut ids: Vec<CustomerId> = listing::list(db, actor, &parsed, &[])
        .await?
        .items
        .into_iter()
        .map(|c| c.id)
        .collect();
    ids.sort();
    Ok(ids)
}

async fn count(db: &Db, sql: &str, id: CustomerId) -> i64 {
    sqlx::query(sql)
        .bind(id.0)
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

#[tokio::test]
async fn custom_fields_are_admin_defined_validated_and_audited() {
    on_both_engines(|db| async move {
        let w = world(&db).await;
        let draft = FieldDraft::try_from(&FieldInput {
            label: "Segment".into(),
            kind: "choice".into(),
            choices: "Retail".into(),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            fields::create_field(&db, &w.t1_east, draft.clone()).await.unwrap_err(),
            AppError::Forbidden
        );
        define_fields(&db, &w.admin).await;
        assert_eq!(
            fields::create_field(&db, &w.admin, draft).await.unwrap_err(),
            AppError::Conflict("key".into())
        );
        let keys: Vec<String> = fields::active_fields(&db).await.unwrap().into_iter().map(|f| f.key).collect();
        assert_eq!(keys, ["segment", "budget", "since", "note"]);

        // Every bad value is reported under its own field name.
        let mut bad = input("Acme", w.t1_east.id);
        bad.custom = custom(&[
            ("segment", "Gold"),
            ("budget", "lots"),
            ("since", "2024-02-30"),
            ("nope", "x"),
        ]);
        let err = create(&db, &w.t1_east, bad).await.unwrap_err();
        assert_eq!(err.field_error("custom.segment"), Some(Key::ErrInvalidChoice));
        assert_eq!(err.field_error("custom.budget"), Some(Key::ErrInvalidNumber));
        assert_eq!(err.field_error("custom.since"), Some(Key::ErrInvalidDate));
        assert_eq!(err.field_error("custom.nope"), Some(Key::ErrUnknownField));

        let mut good = input("Acme", w.t1_east.id);
        good.groups = "North, Partners".into();
        good.custom = custom(&[
            ("segment", "Retail"),
            ("budget", "1,500.50"),
            ("since", "2024-02-29"),
            ("note", "Prefers e-mail"),
        ]);
        let id = create(&db, &w.t1_east, good).await.unwrap();
        let c = customers::get(&db, &w.t1_east, id).await.unwrap();
        let shown: Vec<(String, String)> = c.custom.iter().map(|v| (v.key.clone(), v.value.clone())).collect();
        assert_eq!(
            shown,
            [
                ("segment".to_string(), "Retail".to_string()),
                ("budget".into(), "1500.5".into()),
                ("since".into(), "2024-02-29".into()),
                ("note".into(), "Prefers e-mail".into())
            ]
        );
        assert_eq!(c.groups, ["North", "Partners"]);

        // Edit: one value changes, one is cleared; each change is audited field by field.
        let mut edit = c.to_input();
        edit.custom.insert("budget".into(), "2000".into());
        edit.custom.insert("note".into(), "".into());
        edit.groups = "North".into();
        customers::update(&db, &w.t1_east, id, customers::parse_draft(&edit).unwrap()).await.unwrap();
        let audit = sqlx::query(
            "SELECT field, before_value, after_value FROM audit_log WHERE entity = 'customer' AND entity_id = $1 AND action = 'update' ORDER BY id",
        )
        .bind(id.0)
        .fetch_all(&db.pool)
        .await
        .unwrap();
        let rows: Vec<(String, Option<String>, Option<String>)> = audit
            .iter()
            .map(|r| (r.try_get("field").unwrap(), r.try_get("before_value").unwrap(), r.try_get("after_value").unwrap()))
            .collect();
        assert!(rows.contains(&("custom.budget".into(), Some("1500.5".into()), Some("2000".into()))), "{rows:?}");
        assert!(rows.contains(&("custom.note".into(), Some("Prefers e-mail".into()), None)), "{rows:?}");
        assert!(rows.contains(&("groups".into(), Some("North, Partners".into()), Some("North".into()))), "{rows:?}");
        let values = fields::values_for(&db, &[id]).await.unwrap();
        assert_eq!(values[&id].get("budget").map(String::as_str), Some("2000"));
        assert!(!values[&id].contains_key("note"));

        // A deactivated field is no longer offered nor accepted.
        let budget = fields::all_fields(&db, &w.admin).await.unwrap().into_iter().find(|f| f.key == "budget").unwrap();
        fields::set_field_active(&db, &w.admin, budget.id, false).await.unwrap();
        let mut again = customers::get(&db, &w.t1_east, id).await.unwrap().to_input();
        again.custom.insert("budget".into(), "1".into());
        let err = customers::update(&db, &w.t1_east, id, customers::parse_draft(&again).unwrap()).await.unwrap_err();
        assert_eq!(err.field_error("custom.budget"), Some(Key::ErrUnknownField));
        fields::move_field(&db, &w.admin, budget.id, true).await.unwrap();
        let order: Vec<String> = fields::all_fields(&db, &w.admin).await.unwrap().into_iter().map(|f| f.key).collect();
        assert_eq!(order, ["budget", "segment", "since", "note"]);
    })
    .await;
}

#[tokio::test]
async fn list_filters_match_expected_customers_within_visibility() {
    on_both_engines(|db| async move {
        let w = world(&db).await;
        define_fields(&db, &w.admin).await;
        let mk = |name: &str, owner: UserId, kind: &str, city: &str, seg: &str, budget: &str, since: &str, note: &str| {
            let mut i = input(name, owner);
            i.kind = kind.into();
            i.city = city.into();
            i.province = "Zhejiang".into();
            i.industry = if kind == "company" { "Retail".into() } else { String::new() };
            i.source_channel = "web".into();
            i.groups = if seg == "Retail" { "Shops".into() } else { String::new() };
            i.custom = custom(&[("segment", seg), ("budget", budget), ("since", since), ("note", note)]);
            i
        };
        let a = create(&db, &w.admin, mk("Alpha", w.t2_east.id, "company", "Hangzhou", "Retail", "100", "2023-01-15", "VIP lounge")).await.unwrap();
        let b = create(&db, &w.admin, mk("Beta", w.t2_east.id, "person", "Ningbo", "Wholesale", "2500.5", "2024-06-01", "")).await.unwrap();
        let c = create(&db, &w.admin, mk("Gamma", w.t1_west.id, "company", "Hangzhou", "Retail", "5000", "2025-01-01", "vip LOUNGE")).await.unwrap();
        let today_days = app::db::now() / 86_400;
        let iso = |d: i64| {
            let (y, m, dd) = app::dates::civil_from_days(d);
            format!("{y:04}-{m:02}-{dd:02}")
        };
        // Alpha: an unpaid payment past due; Beta: unpaid but not yet due; Gamma: paid late.
        for (who, due, paid) in [(a, iso(today_days - 3), None), (b, iso(today_days + 5), None), (c, iso(today_days - 30), Some(iso(today_days - 1)))] {
            sqlx::query("INSERT INTO payments (customer_id, amount_cents, currency, due_date, paid_date, timeline_at, created_at) VALUES ($1, 100, 'CNY', $2, $3, 0, 0)")
                .bind(who.0).bind(due).bind(paid).execute(&db.pool).await.unwrap();
        }
        for (who, status) in [(b, "open"), (a, "done")] {
            sqlx::query("INSERT INTO tasks (customer_id, title, assignee_id, due_at, status, source, created_at) VALUES ($1, 'Call', $2, 0, $3, 'manual', 0)")
                .bind(who.0).bind(w.admin.id.0).bind(status).execute(&db.pool).await.unwrap();
        }
        let group = tags::list_groups(&db).await.unwrap()[0].id.to_string();
        let cf = |pairs: &[(&str, &str)]| CustomerFilter { custom: encode_custom_pairs(pairs.iter().copied()), ..Default::default() };
        let cases: Vec<(&str, CustomerFilter, Vec<CustomerId>)> = vec![
            ("kind", CustomerFilter { kind: "company".into(), ..Default::default() }, vec![a, c]),
            ("city", CustomerFilter { city: "Hangzhou".into(), ..Default::default() }, vec![a, c]),
            ("province", CustomerFilter { province: "Zhejiang".into(), ..Default::default() }, vec![a, b, c]),
            ("industry", CustomerFilter { industry: "Retail".into(), ..Default::default() }, vec![a, c]),
            ("source", CustomerFilter { source_channel: "web".into(), ..Default::default() }, vec![a, b, c]),
            ("group", CustomerFilter { group: group.clone(), ..Default::default() }, vec![a, c]),
            ("overdue", CustomerFilter { overdue: "1".into(), ..Default::default() }, vec![a]),
            ("open task", CustomerFilter { open_task: "1".into(), ..Default::default() }, vec![b]),
            ("choice", cf(&[("cf.segment", "Wholesale")]), vec![b]),
            ("text, any case", cf(&[("cf.note", "VIP Lounge")]), vec![a, c]),
            ("number min", cf(&[("cf.budget.min", "2500.5")]), vec![b, c]),
            ("number range", cf(&[("cf.budget.min", "100"), ("cf.budget.max", "2500")]), vec![a]),
            ("date range", cf(&[("cf.since.min", "2024-01-01"), ("cf.since.max", "2024-12-31")]), vec![b]),
            ("date max", cf(&[("cf.since.max", "2024-06-01")]), vec![a, b]),
        ];
        for (label, filter, expected) in &cases {
            assert_eq!(&ids(&db, &w.admin, filter.clone()).await.unwrap(), expected, "{label}");
        }
        // The same filters never reach past visibility: t2_east sees only Alpha and Beta.
        for (label, filter, expected) in &cases {
            let mine: Vec<CustomerId> = expected.iter().copied().filter(|id| *id != c).collect();
            assert_eq!(ids(&db, &w.t2_east, filter.clone()).await.unwrap(), mine, "t2: {label}");
        }
        assert!(ids(&db, &w.t1_west, cf(&[("cf.segment", "Wholesale")])).await.unwrap().is_empty());

        // A key account t2_east serves, with an overdue payment: t2_east lists it, but the
        // overdue filter (and so a saved view or an export of it) never selects it, since
        // its payments are not theirs to see.
        let mut key = input("Delta", w.t1_east.id);
        key.level = "1".into();
        key.service_manager_id = w.t2_east.id.to_string();
        let d = create(&db, &w.admin, key).await.unwrap();
        sqlx::query("INSERT INTO payments (customer_id, amount_cents, currency, due_date, paid_date, timeline_at, created_at) VALUES ($1, 100, 'CNY', $2, NULL, 0, 0)")
            .bind(d.0).bind(iso(today_days - 10)).execute(&db.pool).await.unwrap();
        let overdue = CustomerFilter { overdue: "1".into(), ..Default::default() };
        assert_eq!(ids(&db, &w.admin, overdue.clone()).await.unwrap(), vec![a, d]);
        assert_eq!(ids(&db, &w.t1_east, overdue.clone()).await.unwrap(), vec![a, d]);
        assert!(ids(&db, &w.t2_east, CustomerFilter::default()).await.unwrap().contains(&d));
        assert_eq!(ids(&db, &w.t2_east, overdue.clone()).await.unwrap(), vec![a]);
        let parsed = ParsedFilter::try_from(&overdue).unwrap();
        let csv = app::exports::service::export_customers(&db, &w.t2_east, app::exports::service::Selection::Filter(&parsed)).await.unwrap();
        assert!(csv.contains("Alpha") && !csv.contains("Delta"), "{csv}");

        // Unknown keys and malformed bounds are errors on the parameter.
        for (param, value, key) in [
            ("cf.unknown", "x", Key::ErrUnknownField),
            ("cf.budget.min", "many", Key::ErrInvalidNumber),
            ("cf.since.max", "2024-13-01", Key::ErrInvalidDate),
            ("cf.segment.min", "1", Key::ErrInvalidChoice),
        ] {
            let err = ids(&db, &w.admin, cf(&[(param, value)])).await.unwrap_err();
            assert_eq!(err.field_error(param), Some(key), "{param}");
        }
    })
    .await;
}

#[tokio::test]
async fn saved_views_are_private_or_shared_with_the_team() {
    on_both_engines(|db| async move {
        let w = world(&db).await;
        let private = views::save_view(
            &db,
            &w.t1_east,
            ViewDraft::parse("Mine", "grade=vip&after=1:x", false).unwrap(),
        )
        .await
        .unwrap();
        let shared = views::save_view(
            &db,
            &w.t1_east,
            ViewDraft::parse("Team VIPs", "?grade=vip", true).unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(
            views::save_view(
                &db,
                &w.t1_east,
                ViewDraft::parse("mine", "", false).unwrap()
            )
            .await
            .unwrap_err()
            .field_error("name"),
            Some(Key::ErrViewNameTaken)
        );
        // Another owner may use the same name.
        views::save_view(
            &db,
            &w.t2_east,
            ViewDraft::parse("Mine", "", false).unwrap(),
        )
        .await
        .unwrap();

        let names = |v: Vec<app::saved_views::model::SavedView>| {
            v.into_iter()
                .map(|v| (v.id, v.query, v.may_delete))
                .collect::<Vec<_>>()
        };
        let own = names(views::list_views(&db, &w.t1_east).await.unwrap());
        assert!(own.contains(&(private, "grade=vip".into(), true)));
        assert!(own.contains(&(shared, "grade=vip".into(), true)));
        let mate = names(views::list_views(&db, &w.t2_east_b).await.unwrap());
        assert_eq!(mate, [(shared, "grade=vip".into(), false)]);
        assert!(views::list_views(&db, &w.t1_west).await.unwrap().is_empty());

        assert_eq!(
            views::delete_view(&db, &w.t2_east_b, shared)
                .await
                .unwrap_err(),
            AppError::Forbidden
        );
        assert_eq!(
            views::delete_view(&db, &w.t1_west, shared)
                .await
                .unwrap_err(),
            AppError::NotFound
        );
        assert_eq!(
            views::delete_view(&db, &w.t2_east_b, private)
                .await
                .unwrap_err(),
            AppError::NotFound
        );
        views::delete_view(&db, &w.t1_east, shared).await.unwrap();
        assert!(views::list_views(&db, &w.t2_east_b)
            .await
            .unwrap()
            .is_empty());
    })
    .await;
}

#[tokio::test]
async fn bulk_actions_apply_what_is_allowed_and_count_the_rest() {
    on_both_engines(|db| async move {
        let w = world(&db).await;
        let east_std = create(&db, &w.admin, input("East Std", w.t2_east.id))
            .await
            .unwrap();
        let mut key = input("East Key", w.t1_east.id);
        key.level = "1".into();
        let east_key = create(&db, &w.admin, key).await.unwrap();
        let west = create(&db, &w.admin, input("West Std", w.t1_west.id))
            .await
            .unwrap();
        let all = [east_std, east_key, west];

        // Tier-1 east hands everything to tier-2 east B: the key account cannot be owned by
        // a tier-2 manager, the west customer is out of reach.
        let outcome = app::customers::bulk::apply(
            &db,
            &w.t1_east,
            &all,
            &BulkCommand::Assign {
                owner: Some(w.t2_east_b.id),
                service_manager: None,
            },
        )
        .await
        .unwrap();
        assert_eq!((outcome.changed, outcome.refused), (1, 2));
        assert_eq!(
            customers::get(&db, &w.admin, east_std)
                .await
                .unwrap()
                .owner_id,
            w.t2_east_b.id
        );
        assert_eq!(
            customers::get(&db, &w.admin, east_key)
                .await
                .unwrap()
                .owner_id,
            w.t1_east.id
        );
        assert_eq!(
            customers::get(&db, &w.admin, west).await.unwrap().owner_id,
            w.t1_west.id
        );
        let audited = count(
            &db,
            "SELECT COUNT(*) FROM audit_log WHERE entity_id = $1 AND field = 'owner_id'",
            east_std,
        )
        .await;
        assert_eq!(audited, 1);

        // Nobody outside the actor's team can be made owner.
        let outcome = app::customers::bulk::apply(
            &db,
            &w.t1_east,
            &[east_std],
            &BulkCommand::Assign {
                owner: Some(w.t1_west.id),
                service_manager: None,
            },
        )
        .await
        .unwrap();
        assert_eq!((outcome.changed, outcome.refused), (0, 1));

        // Tier-2 may tag what it serves but never reassigns.
        let outcome = app::customers::bulk::apply(
            &db,
            &w.t2_east_b,
            &all,
            &BulkCommand::AddTag("hot".into()),
        )
        .await
        .unwrap();
        assert_eq!((outcome.changed, outcome.refused), (1, 2));
        let tags = customers::get(&db, &w.admin, east_std).await.unwrap().tags;
        assert_eq!(
            tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
            ["hot"]
        );
        let outcome = app::customers::bulk::apply(
            &db,
            &w.t2_east_b,
            &[east_std],
            &BulkCommand::Assign {
                owner: Some(w.t2_east_b.id),
                service_manager: None,
            },
        )
        .await
        .unwrap();
        assert_eq!((outcome.changed, outcome.refused), (0, 1));
        let outcome =
            app::customers::bulk::apply(&db, &w.admin, &all, &BulkCommand::RemoveTag("HOT".into()))
                .await
                .unwrap();
        assert_eq!((outcome.changed, outcome.refused), (3, 0));
        assert!(customers::get(&db, &w.admin, east_std)
            .await
            .unwrap()
            .tags
            .is_empty());
    })
    .await;
}

#[tokio::test]
async fn duplicates_are_found_among_visible_customers_only() {
    on_both_engines(|db| async move {
        let w = world(&db).await;
        let mk = |name: &str, owner: UserId, email: &str, phone: &str| {
            let mut i = input(name, owner);
            i.email = email.into();
            i.phone = phone.into();
            i
        };
        let a = create(
            &db,
            &w.admin,
            mk("Alice Wong", w.t2_east.id, "alice@example.com", ""),
        )
        .await
        .unwrap();
        let b = create(
            &db,
            &w.admin,
            mk("A. Wong", w.t2_east.id, "ALICE@example.com", ""),
        )
        .await
        .unwrap();
        let c = create(
            &db,
            &w.admin,
            mk("Bob Li", w.t2_east.id, "", "+86 (21) 5555-0101"),
        )
        .await
        .unwrap();
        let d = create(
            &db,
            &w.admin,
            mk("Robert Li", w.t2_east.id, "", "86215555 0101"),
        )
        .await
        .unwrap();
        let e = create(
            &db,
            &w.admin,
            mk("Harbour Trading Co., Ltd.", w.t2_east.id, "", ""),
        )
        .await
        .unwrap();
        let f = create(&db, &w.admin, mk("Harbor Trading", w.t2_east.id, "", ""))
            .await
            .unwrap();
        // The same e-mail as Alice, but in the west: invisible to t2_east.
        let hidden = create(
            &db,
            &w.admin,
            mk("Alice W", w.t1_west.id, "alice@example.com", ""),
        )
        .await
        .unwrap();

        let report = duplicates::find(&db, &w.t2_east).await.unwrap();
        let pairs: Vec<(CustomerId, CustomerId, MatchReason)> = report
            .pairs
            .iter()
            .map(|p| (p.a.id.min(p.b.id), p.a.id.max(p.b.id), p.reason))
            .collect();
        assert!(pairs.contains(&(a, b, MatchReason::SameEmail)), "{pairs:?}");
        assert!(pairs.contains(&(c, d, MatchReason::SamePhone)), "{pairs:?}");
        assert!(
            pairs.contains(&(e, f, MatchReason::SimilarName)),
            "{pairs:?}"
        );
        assert!(!pairs.iter().any(|p| p.0 == hidden || p.1 == hidden));
        assert!(!report.capped);

        let admin = duplicates::find(&db, &w.admin).await.unwrap();
        assert!(admin
            .pairs
            .iter()
            .any(|p| p.a.id == hidden || p.b.id == hidden));
        assert!(duplicates::find(&db, &w.t1_west)
            .await
            .unwrap()
            .pairs
            .is_empty());
    })
    .await;
}

#[tokio::test]
async fn merge_moves_every_related_record_and_is_audited() {
    on_both_engines(|db| async move {
        let w = world(&db).await;
        define_fields(&db, &w.admin).await;
        let mut keep = input("Acme", w.t2_east.id);
        keep.tags = "shared".into();
        keep.custom = custom(&[("segment", "Retail")]);
        let survivor = create(&db, &w.admin, keep).await.unwrap();
        let mut gone = input("ACME Ltd", w.t2_east.id);
        gone.email = "buy@acme.example".into();
        gone.city = "Suzhou".into();
        gone.tags = "shared, wholesale".into();
        gone.groups = "Partners".into();
        gone.custom = custom(&[("segment", "Wholesale"), ("budget", "10")]);
        let other = create(&db, &w.admin, gone).await.unwrap();
        let cid = other.0;
        let uid = w.admin.id.0;
        for sql in [
            "INSERT INTO contacts (customer_id, name, is_primary, created_at) VALUES ($1, 'Li Lei', 1, 0)",
            "INSERT INTO orders (customer_id, order_date, amount_cents, currency, created_at) VALUES ($1, '2024-01-01', 100, 'CNY', 0)",
            "INSERT INTO activities (customer_id, kind, happened_at, summary, created_at) VALUES ($1, 'call', 0, 'Hi', 0)",
            "INSERT INTO payments (customer_id, amount_cents, currency, due_date, timeline_at, created_at) VALUES ($1, 100, 'CNY', '2024-01-01', 0, 0)",
            "INSERT INTO contracts (customer_id, title, value_cents, currency, start_date, status, created_at, updated_at) VALUES ($1, 'Deal', 100, 'CNY', '2024-01-01', 'active', 0, 0)",
        ] {
            sqlx::query(sql).bind(cid).execute(&db.pool).await.unwrap();
        }
        sqlx::query("INSERT INTO tasks (customer_id, title, assignee_id, due_at, status, source, created_at) VALUES ($1, 'Call', $2, 0, 'open', 'manual', 0)")
            .bind(cid).bind(uid).execute(&db.pool).await.unwrap();

        // Tier-2 may update both but delete neither: refused, nothing moves.
        assert_eq!(duplicates::merge(&db, &w.t2_east, survivor, other).await.unwrap_err(), AppError::Forbidden);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM orders WHERE customer_id = $1", other).await, 1);
        // Someone who cannot see them gets not-found.
        assert_eq!(duplicates::merge(&db, &w.t1_west, survivor, other).await.unwrap_err(), AppError::NotFound);

        duplicates::merge(&db, &w.t1_east, survivor, other).await.unwrap();
        for table in ["contacts", "orders", "activities", "tasks", "payments", "contracts"] {
            let sql = format!("SELECT COUNT(*) FROM {table} WHERE customer_id = $1");
            assert_eq!(count(&db, &sql, survivor).await, 1, "{table}");
        }
        assert_eq!(count(&db, "SELECT COUNT(*) FROM customers WHERE id = $1", other).await, 0);
        let c = customers::get(&db, &w.admin, survivor).await.unwrap();
        assert_eq!(c.email.as_deref(), Some("buy@acme.example"));
        assert_eq!(c.city.as_deref(), Some("Suzhou"));
        assert_eq!(c.tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["shared", "wholesale"]);
        assert_eq!(c.groups, ["Partners"]);
        let values: Vec<(String, String)> = c.custom.iter().map(|v| (v.key.clone(), v.value.clone())).collect();
        // The survivor's own value wins; the other's fills the gap.
        assert_eq!(values, [("segment".to_string(), "Retail".to_string()), ("budget".into(), "10".into())]);
        assert!(c.contacts[0].is_primary);
        // Found by the filled e-mail.
        let found = ids(&db, &w.admin, CustomerFilter { q: "buy@acme".into(), ..Default::default() }).await.unwrap();
        assert_eq!(found, [survivor]);

        let merge_rows = sqlx::query("SELECT field, before_value, after_value FROM audit_log WHERE entity_id = $1 AND action = 'merge' ORDER BY id")
            .bind(survivor.0)
            .fetch_all(&db.pool)
            .await
            .unwrap();
        let first_before: Option<String> = merge_rows[0].try_get("before_value").unwrap();
        assert_eq!(first_before, Some(format!("ACME Ltd (#{other})")));
        let filled: Vec<Option<String>> = merge_rows[1..].iter().map(|r| r.try_get("field").unwrap()).collect();
        assert_eq!(filled, [Some("email".to_string()), Some("city".into())]);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM audit_log WHERE entity_id = $1 AND action = 'delete'", other).await, 1);

        assert_eq!(duplicates::merge(&db, &w.admin, survivor, survivor).await.unwrap_err().field_error("keep"), Some(Key::ErrMergeSame));
    })
    .await;
}
