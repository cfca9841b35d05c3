//! The customer archive under the two-level permission rules, on both engines.

mod support;

use app::auth::permissions::{may_see_customer, CustomerScope};
use app::auth::{CurrentUser, Role};
use app::customers::filter::{CustomerFilter, ParsedFilter};
use app::customers::model::CustomerInput;
use app::customers::service as customers;
use app::customers::{contacts, listing, tags};
use app::db::{Db, Row};
use app::error::AppError;
use app::ids::{CustomerId, TeamId, UserId};
use support::{on_both_engines, team, user};

struct World {
    admin: CurrentUser,
    t1_east: CurrentUser,
    t1_west: CurrentUser,
    t2_east: CurrentUser,
    t2_east_b: CurrentUser,
    support: CurrentUser,
    viewer: CurrentUser,
    /// Standard account owned by t2_east.
    standard: CustomerId,
    /// Key account owned by t1_east, served by t2_east_b.
    key: CustomerId,
    /// Standard account of the west team.
    west: CustomerId,
}

fn input(name: &str, level: &str, owner: Option<UserId>, service: Option<UserId>) -> CustomerInput {
    CustomerInput {
        name: name.into(),
        level: level.into(),
        email: format!("{}@example.com", name.to_lowercase().replace(' ', ".")),
        owner_id: owner.map(|o| o.to_string()).unwrap_or_default(),
        service_manager_id: service.map(|s| s.to_string()).unwrap_or_default(),
        ..Default::default()
    }
}

async fn create(db: &Db, actor: &CurrentUser, i: CustomerInput) -> Result<CustomerId, AppError> {
    let draft = customers::parse_draft(&i)?;
    customers::create(db, actor, draft).await
}

async fn world(db: &Db) -> World {
    let east = team(db, "East").await;
    let west = team(db, "West").await;
    let admin = user(db, "admin@example.com", Role::Admin, None).await;
    let t1_east = user(db, "t1e@example.com", Role::Tier1Manager, Some(east)).await;
    let t1_west = user(db, "t1w@example.com", Role::Tier1Manager, Some(west)).await;
    let t2_east = user(db, "t2e@example.com", Role::Tier2Manager, Some(east)).await;
    let t2_east_b = user(db, "t2eb@example.com", Role::Tier2Manager, Some(east)).await;
    let support = user(db, "support@example.com", Role::SupportAgent, Some(east)).await;
    let viewer = user(db, "viewer@example.com", Role::Viewer, Some(east)).await;
    let standard = create(
        db,
        &admin,
        input("Standard Co", "2", Some(t2_east.id), None),
    )
    .await
    .unwrap();
    let key = create(
        db,
        &admin,
        input("Key Corp", "1", Some(t1_east.id), Some(t2_east_b.id)),
    )
    .await
    .unwrap();
    let west_c = create(db, &admin, input("West Ltd", "2", Some(t1_west.id), None))
        .await
        .unwrap();
    World {
        admin,
        t1_east,
        t1_west,
        t2_east,
        t2_east_b,
        support,
        viewer,
        standard,
        key,
        west: west_c,
    }
}

async fn visible(db: &Db, actor: &CurrentUser) -> Result<Vec<String>, AppError> {
    let page = listing::list(db, actor, &ParsedFilter::default(), &[]).await?;
    Ok(page.items.into_iter().map(|c| c.name).collect())
}

async fn name_of(db: &Db, id: CustomerId) -> String {
    sqlx::query("SELECT name FROM customers WHERE id = $1")
        .bind(id.0)
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .try_get("name")
        .unwrap()
}

#[tokio::test]
async fn list_and_read_follow_the_two_levels() {
    on_both_engines(|db| async move {
        let w = world(&db).await;
        assert_eq!(
            visible(&db, &w.admin).await.unwrap(),
            ["Key Corp", "Standard Co", "West Ltd"]
        );
        assert_eq!(
            visible(&db, &w.t1_east).await.unwrap(),
            ["Key Corp", "Standard Co"]
        );
        assert_eq!(visible(&db, &w.t1_west).await.unwrap(), ["West Ltd"]);
        assert_eq!(visible(&db, &w.t2_east).await.unwrap(), ["Standard Co"]);
        assert_eq!(visible(&db, &w.t2_east_b).await.unwrap(), ["Key Corp"]);
        assert_eq!(
            visible(&db, &w.support).await.unwrap_err(),
            AppError::Forbidden
        );
        assert_eq!(
            visible(&db, &w.viewer).await.unwrap_err(),
            AppError::Forbidden
        );

        // Reading what one may not see answers not-found, never forbidden.
        assert!(customers::get(&db, &w.t2_east, w.standard).await.is_ok());
        for (who, id) in [
            (&w.t2_east, w.key),
            (&w.t2_east, w.west),
            (&w.t1_west, w.standard),
            (&w.support, w.standard),
            (&w.viewer, w.key),
        ] {
            assert_eq!(
                customers::get(&db, who, id).await.unwrap_err(),
                AppError::NotFound
            );
        }
        assert_eq!(
            customers::get(&db, &w.admin, CustomerId(999_999))
                .await
                .unwrap_err(),
            AppError::NotFound
        );
    })
    .await;
}

#[tokio::test]
async fn list_query_agrees_with_the_permission_rule() {
    on_both_engines(|db| async move {
        let w = world(&db).await;
        let all = listing::list(&db, &w.admin, &ParsedFilter::default(), &[]).await.unwrap().items;
        for actor in [&w.admin, &w.t1_east, &w.t1_west, &w.t2_east, &w.t2_east_b] {
            let listed: Vec<CustomerId> = listing::list(&db, actor, &ParsedFilter::default(), &[]).await.unwrap().items.iter().map(|c| c.id).collect();
            for c in &all {
                let r = sqlx::query("SELECT level, owner_id, service_manager_id, team_id FROM customers WHERE id = $1")
                    .bind(c.id.0)
                    .fetch_one(&db.pool)
                    .await
                    .unwrap();
                let scope = CustomerScope {
                    level: r.try_get("level").unwrap(),
                    owner_id: UserId(r.try_get("owner_id").unwrap()),
                    service_manager_id: r.try_get::<Option<i64>, _>("service_manager_id").unwrap().map(UserId),
                    team_id: r.try_get::<Option<i64>, _>("team_id").unwrap().map(TeamId),
                };
                assert_eq!(listed.contains(&c.id), may_see_customer(actor, &scope), "{} / {}", actor.email, c.name);
            }
        }
    })
    .await;
}

#[tokio::test]
async fn create_follows_roles_and_assignment_rules() {
    on_both_engines(|db| async move {
        let w = world(&db).await;
        // Tier-2 creates a standard account for themselves.
        let own = create(&db, &w.t2_east, input("Mine", "2", None, None))
            .await
            .unwrap();
        assert_eq!(
            customers::get(&db, &w.t2_east, own).await.unwrap().owner_id,
            w.t2_east.id
        );
        // …but cannot own a key account, nor hand one to someone else.
        // Level and grade are tier decisions: a tier-2 manager creates standard, general accounts.
        assert_eq!(
            create(&db, &w.t2_east, input("Big", "1", None, None))
                .await
                .unwrap_err(),
            AppError::Forbidden
        );
        let mut vip = input("Vip", "2", None, None);
        vip.grade = "vip".into();
        assert_eq!(
            create(&db, &w.t2_east, vip.clone()).await.unwrap_err(),
            AppError::Forbidden
        );
        assert!(create(&db, &w.t1_east, vip).await.is_ok());
        assert!(matches!(
            create(
                &db,
                &w.t2_east,
                input("Other", "2", Some(w.t2_east_b.id), None)
            )
            .await,
            Err(AppError::Validation(_))
        ));
        // Tier-1 assigns within the team only.
        assert!(create(
            &db,
            &w.t1_east,
            input("Team", "2", Some(w.t2_east.id), None)
        )
        .await
        .is_ok());
        assert!(matches!(
            create(&db, &w.t1_east, input("Far", "2", Some(w.t1_west.id), None)).await,
            Err(AppError::Validation(_))
        ));
        // A key account needs a tier-1 owner; a service manager must be tier-2.
        assert!(matches!(
            create(&db, &w.admin, input("K", "1", Some(w.t2_east.id), None)).await,
            Err(AppError::Validation(_))
        ));
        assert!(matches!(
            create(
                &db,
                &w.admin,
                input("K", "1", Some(w.t1_east.id), Some(w.t1_west.id))
            )
            .await,
            Err(AppError::Validation(_))
        ));
        for who in [&w.support, &w.viewer] {
            assert_eq!(
                create(&db, who, input("No", "2", None, None))
                    .await
                    .unwrap_err(),
                AppError::Forbidden
            );
        }
        // Bad input: every field reported, nothing stored.
        let before = visible(&db, &w.admin).await.unwrap().len();
        let bad = CustomerInput {
            name: String::new(),
            email: "x".into(),
            ..Default::default()
        };
        assert!(
            matches!(create(&db, &w.admin, bad).await, Err(AppError::Validation(e)) if e.len() == 2)
        );
        assert_eq!(visible(&db, &w.admin).await.unwrap().len(), before);
        // Duplicate external id: a conflict on that field.
        let mut a = input("Ext A", "2", Some(w.t2_east.id), None);
        a.external_id = "X-1".into();
        create(&db, &w.admin, a.clone()).await.unwrap();
        a.name = "Ext B".into();
        assert_eq!(
            create(&db, &w.admin, a).await.unwrap_err(),
            AppError::Conflict("external_id".into())
        );
    })
    .await;
}

#[tokio::test]
async fn update_delete_and_reassign_respect_rights_and_refusals_change_nothing() {
    on_both_engines(|db| async move {
        let w = world(&db).await;
        let mut edit = customers::get(&db, &w.t2_east, w.standard)
            .await
            .unwrap()
            .to_input();
        edit.name = "Standard Renamed".into();
        customers::update(
            &db,
            &w.t2_east,
            w.standard,
            customers::parse_draft(&edit).unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(name_of(&db, w.standard).await, "Standard Renamed");

        // Tier-2 may not change the grade: refused, row unchanged.
        let mut tier = edit.clone();
        tier.grade = "vip".into();
        tier.name = "Sneaky".into();
        assert_eq!(
            customers::update(
                &db,
                &w.t2_east,
                w.standard,
                customers::parse_draft(&tier).unwrap()
            )
            .await
            .unwrap_err(),
            AppError::Forbidden
        );
        assert_eq!(name_of(&db, w.standard).await, "Standard Renamed");
        // Tier-2 may not edit what they cannot see.
        let west_edit = customers::get(&db, &w.admin, w.west)
            .await
            .unwrap()
            .to_input();
        assert_eq!(
            customers::update(
                &db,
                &w.t2_east,
                w.west,
                customers::parse_draft(&west_edit).unwrap()
            )
            .await
            .unwrap_err(),
            AppError::NotFound
        );

        // Reassign: tier-1 within the team; tier-2 never.
        customers::reassign(&db, &w.t1_east, w.standard, w.t2_east_b.id, None)
            .await
            .unwrap();
        assert_eq!(
            customers::get(&db, &w.admin, w.standard)
                .await
                .unwrap()
                .owner_id,
            w.t2_east_b.id
        );
        assert!(matches!(
            customers::reassign(&db, &w.t1_east, w.standard, w.t1_west.id, None).await,
            Err(AppError::Validation(_))
        ));
        assert_eq!(
            customers::reassign(&db, &w.t2_east_b, w.standard, w.t2_east.id, None)
                .await
                .unwrap_err(),
            AppError::Forbidden
        );
        assert_eq!(
            customers::get(&db, &w.admin, w.standard)
                .await
                .unwrap()
                .owner_id,
            w.t2_east_b.id
        );
        // The previous owner no longer sees it.
        assert_eq!(
            customers::get(&db, &w.t2_east, w.standard)
                .await
                .unwrap_err(),
            AppError::NotFound
        );

        // Delete: not tier-2, not across teams; tier-1 of the team and admins may.
        assert_eq!(
            customers::delete(&db, &w.t2_east_b, w.standard)
                .await
                .unwrap_err(),
            AppError::Forbidden
        );
        assert_eq!(
            customers::delete(&db, &w.t1_west, w.standard)
                .await
                .unwrap_err(),
            AppError::NotFound
        );
        assert_eq!(
            customers::delete(&db, &w.support, w.standard)
                .await
                .unwrap_err(),
            AppError::NotFound
        );
        assert_eq!(name_of(&db, w.standard).await, "Standard Renamed");
        customers::delete(&db, &w.t1_east, w.standard)
            .await
            .unwrap();
        customers::delete(&db, &w.admin, w.west).await.unwrap();
        assert_eq!(visible(&db, &w.admin).await.unwrap(), ["Key Corp"]);

        // Every change is in the audit log with before and after.
        let log = app::audit::service::list(&db, &w.admin, Some(("customer", w.standard.0)), None)
            .await
            .unwrap();
        let has = |field: &str, before: &str, after: &str| {
            log.entries.iter().any(|e| {
                e.field.as_deref() == Some(field)
                    && e.before.as_deref() == Some(before)
                    && e.after.as_deref() == Some(after)
            })
        };
        assert!(has("name", "Standard Co", "Standard Renamed"));
        assert!(has(
            "owner_id",
            &w.t2_east.id.to_string(),
            &w.t2_east_b.id.to_string()
        ));
        assert!(log.entries.iter().any(|e| e.action == "delete"));
        assert!(!log
            .entries
            .iter()
            .any(|e| e.after.as_deref() == Some("Sneaky")));
    })
    .await;
}

#[tokio::test]
async fn contacts_keep_one_primary() {
    on_both_engines(|db| async move {
        let w = world(&db).await;
        let add = |name: &str, primary: bool| app::customers::model::ContactDraft {
            name: name.into(),
            title: None,
            email: None,
            phone: None,
            is_primary: primary,
        };
        contacts::add_contact(&db, &w.t1_east, w.key, add("First", false))
            .await
            .unwrap();
        contacts::add_contact(&db, &w.t1_east, w.key, add("Second", false))
            .await
            .unwrap();
        let third = contacts::add_contact(&db, &w.t1_east, w.key, add("Third", true))
            .await
            .unwrap();
        let c = customers::get(&db, &w.admin, w.key).await.unwrap();
        let primaries: Vec<_> = c
            .contacts
            .iter()
            .filter(|c| c.is_primary)
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(primaries, ["Third"]);
        assert_eq!(
            contacts::add_contact(&db, &w.t2_east, w.key, add("No", false))
                .await
                .unwrap_err(),
            AppError::NotFound
        );
        assert_eq!(
            contacts::remove_contact(&db, &w.t1_west, third)
                .await
                .unwrap_err(),
            AppError::NotFound
        );
        contacts::remove_contact(&db, &w.t1_east, third)
            .await
            .unwrap();
        assert_eq!(
            customers::get(&db, &w.admin, w.key)
                .await
                .unwrap()
                .contacts
                .len(),
            2
        );
    })
    .await;
}

#[tokio::test]
async fn keyset_paging_filters_and_search() {
    on_both_engines(|db| async move {
        let w = world(&db).await;
        for i in 0..130 {
            let mut c = input(&format!("Bulk {i:03}"), "2", Some(w.t2_east.id), None);
            c.grade = if i % 10 == 0 {
                "vip".into()
            } else {
                "general".into()
            };
            c.tags = if i % 2 == 0 {
                "even".into()
            } else {
                String::new()
            };
            c.phone = format!("+86 555 {i:04}");
            create(&db, &w.admin, c).await.unwrap();
        }
        for sort in ["name", "newest", "updated"] {
            let mut seen = Vec::new();
            let mut after = String::new();
            loop {
                let f = CustomerFilter {
                    sort: sort.into(),
                    after: after.clone(),
                    ..Default::default()
                };
                let page = listing::list(&db, &w.admin, &ParsedFilter::try_from(&f).unwrap(), &[])
                    .await
                    .unwrap();
                assert!(page.items.len() <= 50);
                seen.extend(page.items.iter().map(|c| c.id));
                match page.next_after {
                    Some(n) => after = n,
                    None => break,
                }
            }
            let mut unique = seen.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), 133, "sort {sort}");
            assert_eq!(seen.len(), 133, "sort {sort}");
        }
        let count = |f: CustomerFilter| {
            let db = db.clone();
            let admin = w.admin.clone();
            async move {
                listing::list(&db, &admin, &ParsedFilter::try_from(&f).unwrap(), &[])
                    .await
                    .unwrap()
                    .items
                    .len()
            }
        };
        let filter = |field: &str, value: &str| {
            let mut f = CustomerFilter::default();
            match field {
                "grade" => f.grade = value.into(),
                "level" => f.level = value.into(),
                _ => f.q = value.into(),
            }
            f
        };
        for (field, value, expected) in [
            ("grade", "vip", 13),
            ("level", "1", 1),
            ("q", "BULK 12", 10),
            ("q", "555 0042", 1),
            // LIKE wildcards in the search are literal characters.
            ("q", "%", 0),
        ] {
            assert_eq!(
                count(filter(field, value)).await,
                expected,
                "{field}={value}"
            );
        }
        let tags = tags::list_tags(&db).await.unwrap();
        let even = tags.iter().find(|t| t.name == "even").unwrap().id;
        assert_eq!(
            count(CustomerFilter {
                tag: even.to_string(),
                ..Default::default()
            })
            .await,
            50
        );
        let f = CustomerFilter {
            tag: even.to_string(),
            after: String::new(),
            ..Default::default()
        };
        let page = listing::list(&db, &w.admin, &ParsedFilter::try_from(&f).unwrap(), &[])
            .await
            .unwrap();
        let f2 = CustomerFilter {
            after: page.next_after.unwrap(),
            ..f
        };
        assert_eq!(
            listing::list(&db, &w.admin, &ParsedFilter::try_from(&f2).unwrap(), &[])
                .await
                .unwrap()
                .items
                .len(),
            15
        );
        assert_eq!(
            count(CustomerFilter {
                owner: w.t2_east.id.to_string(),
                ..Default::default()
            })
            .await,
            50
        );
    })
    .await;
}

/// What each role may do to one standard account of the east team, owned by `t2_east`.
#[tokio::test]
async fn every_role_against_every_action() {
    on_both_engines(|db| async move {
        let w = world(&db).await;
        #[derive(Debug, PartialEq, Clone, Copy)]
        enum Outcome {
            Allowed,
            Hidden,
            Forbidden,
            Refused,
        }
        use Outcome::*;
        fn outcome<T>(r: Result<T, AppError>) -> Outcome {
            match r {
                Ok(_) => Allowed,
                Err(AppError::NotFound) => Hidden,
                Err(AppError::Forbidden) => Forbidden,
                Err(AppError::Validation(_)) => Refused,
                Err(e) => panic!("unexpected {e:?}"),
            }
        }
        //                     list    read    create  update  reassign  delete
        let expected: [(&CurrentUser, [Outcome; 6]); 7] = [
            (
                &w.admin,
                [Allowed, Allowed, Allowed, Allowed, Allowed, Allowed],
            ),
            (
                &w.t1_east,
                [Allowed, Allowed, Allowed, Allowed, Allowed, Allowed],
            ),
            (
                &w.t1_west,
                [Hidden, Hidden, Allowed, Hidden, Hidden, Hidden],
            ),
            (
                &w.t2_east,
                [Allowed, Allowed, Allowed, Allowed, Forbidden, Forbidden],
            ),
            (
                &w.t2_east_b,
                [Hidden, Hidden, Allowed, Hidden, Hidden, Hidden],
            ),
            (
                &w.support,
                [Forbidden, Hidden, Forbidden, Hidden, Hidden, Hidden],
            ),
            (
                &w.viewer,
                [Forbidden, Hidden, Forbidden, Hidden, Hidden, Hidden],
            ),
        ];
        for (actor, want) in expected {
            let id = create(
                &db,
                &w.admin,
                input(
                    &format!("Matrix {}", actor.name),
                    "2",
                    Some(w.t2_east.id),
                    None,
                ),
            )
            .await
            .unwrap();
            let original = name_of(&db, id).await;
            let list = match listing::list(&db, actor, &ParsedFilter::default(), &[]).await {
                Ok(page) if page.items.iter().any(|c| c.id == id) => Allowed,
                Ok(_) => Hidden,
                Err(e) => outcome::<()>(Err(e)),
            };
            let read = outcome(customers::get(&db, actor, id).await);
            let created = outcome(
                create(
                    &db,
                    actor,
                    input(
                        "Own new",
                        "2",
                        (actor.role == Role::Admin).then_some(w.t2_east.id),
                        None,
                    ),
                )
                .await,
            );
            let mut edit = customers::get(&db, &w.admin, id).await.unwrap().to_input();
            edit.name = format!("{original} edited");
            let update = outcome(
                customers::update(&db, actor, id, customers::parse_draft(&edit).unwrap()).await,
            );
            if update != Allowed {
                assert_eq!(
                    name_of(&db, id).await,
                    original,
                    "{}: refused update changed the row",
                    actor.email
                );
            }
            let reassign = outcome(customers::reassign(&db, actor, id, w.t2_east_b.id, None).await);
            if reassign != Allowed {
                assert_eq!(
                    customers::get(&db, &w.admin, id).await.unwrap().owner_id,
                    w.t2_east.id
                );
            }
            let delete = outcome(customers::delete(&db, actor, id).await);
            if delete != Allowed {
                assert!(
                    customers::get(&db, &w.admin, id).await.is_ok(),
                    "{}: refused delete removed the row",
                    actor.email
                );
            }
            assert_eq!(
                [list, read, created, update, reassign, delete],
                want,
                "{}",
                actor.email
            );
        }
    })
    .await;
}
