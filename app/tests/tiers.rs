//! Tier re-evaluation, decisions as hand-over, notes and workload, on both engines.

mod support;

use app::auth::CurrentUser;
use app::auth::Role;
use app::customers::service as customers;
use app::db::{now, Db, Row};
use app::error::AppError;
use app::i18n::Key;
use app::ids::{CustomerId, TeamId};
use app::notes::service as notes;
use app::tiers::model::*;
use app::tiers::service as tiers;
use app::tiers::workload;
use app::timeline::model::{TimelineKind, TimelineQuery};
use app::timeline::service as timeline;
use support::{managed_customer, on_both_engines, team, user};

struct World {
    east: TeamId,
    admin: CurrentUser,
    t1: CurrentUser,
    t1_west: CurrentUser,
    t2: CurrentUser,
    t2b: CurrentUser,
    t2_west: CurrentUser,
    viewer: CurrentUser,
    /// Standard account of t2 whose value calls for a promotion.
    rising: CustomerId,
    /// Key account of t1, served by t2b, whose value calls for a demotion.
    falling: CustomerId,
    /// Standard account of t2 where the value changes nothing.
    steady: CustomerId,
}

async fn customer(
    db: &Db,
    admin: &CurrentUser,
    name: &str,
    level: &str,
    grade: &str,
    owner: &CurrentUser,
    sm: Option<&CurrentUser>,
) -> CustomerId {
    managed_customer(db, admin, name, (level, grade), owner, sm).await
}

async fn world(db: &Db) -> World {
    let east = team(db, "East").await;
    let west = team(db, "West").await;
    let admin = user(db, "admin@example.com", Role::Admin, None).await;
    let t1 = user(db, "t1@example.com", Role::Tier1Manager, Some(east)).await;
    let t1_west = user(db, "t1w@example.com", Role::Tier1Manager, Some(west)).await;
    let t2 = user(db, "t2@example.com", Role::Tier2Manager, Some(east)).await;
    let t2b = user(db, "t2b@example.com", Role::Tier2Manager, Some(east)).await;
    let t2_west = user(db, "t2w@example.com", Role::Tier2Manager, Some(west)).await;
    let viewer = user(db, "viewer@example.com", Role::Viewer, Some(east)).await;
    let rising = customer(db, &admin, "Rising Co", "2", "general", &t2, None).await;
    let falling = customer(db, &admin, "Falling Co", "1", "key", &t1, Some(&t2b)).await;
    let steady = customer(db, &admin, "Steady Co", "2", "general", &t2, None).await;
    customer(db, &admin, "Unscored Co", "2", "general", &t2, None).await;
    // Customers for over two years: the tenure part of the value is full.
    sqlx::query("UPDATE customers SET created_at = $1")
        .bind(now() - 800 * 86_400)
        .execute(&db.pool)
        .await
        .unwrap();
    World {
        east,
        admin,
        t1,
        t1_west,
        t2,
        t2b,
        t2_west,
        viewer,
        rising,
        falling,
        steady,
    }
}

/// A finished scheduled RFM run with these (customer, r, f, m) scores.
async fn scores(db: &Db, rows: &[(CustomerId, i64, i64, i64)]) {
    let run: i64 = sqlx::query(
        "INSERT INTO rfm_runs (kind, as_of, window_days, status, requested_at, customers) \
         VALUES ('scheduled', '2026-11-01', NULL, 'done', $1, $2) RETURNING id",
    )
    .bind(now())
    .bind(rows.len() as i64)
    .fetch_one(&db.pool)
    .await
    .unwrap()
    .try_get("id")
    .unwrap();
    for (c, r, f, m) in rows {
        sqlx::query(
            "INSERT INTO rfm_scores (run_id, customer_id, recency_days, frequency, monetary_cents, \
             r_score, f_score, m_score, segment) VALUES ($1, $2, 10, 5, 123400, $3, $4, $5, 'x')",
        )
        .bind(run)
        .bind(c.0)
        .bind(r)
        .bind(f)
        .bind(m)
        .execute(&db.pool)
        .await
        .unwrap();
    }
}

/// Every customer has been one for over two years (full tenure) and is not rated
/// (half the credit part), so value = 5 × (r + f + m − 3) + 27.5, halves up.
/// Rising: 5+5+4 → 83 (level 1, key). Falling: 1+2+2 → 38 (level 2, general).
/// Steady: 2+2+3 → 48 (stays level 2, general). Unscored: 28 (stays).
async fn initial_scores(db: &Db, w: &World) {
    scores(
        db,
        &[
            (w.rising, 5, 5, 4),
            (w.falling, 1, 2, 2),
            (w.steady, 2, 2, 3),
        ],
    )
    .await;
}

async fn pending_of(db: &Db, c: CustomerId) -> Vec<(i64, String, i64, String, i64)> {
    sqlx::query(
        "SELECT id, direction, to_level, to_grade, value_score FROM tier_proposals \
         WHERE customer_id = $1 AND status = 'pending' ORDER BY id",
    )
    .bind(c.0)
    .fetch_all(&db.pool)
    .await
    .unwrap()
    .iter()
    .map(|r| {
        (
            r.try_get("id").unwrap(),
            r.try_get("direction").unwrap(),
            r.try_get("to_level").unwrap(),
            r.try_get("to_grade").unwrap(),
            r.try_get("value_score").unwrap(),
        )
    })
    .collect()
}

async fn count(db: &Db, sql: &str, id: i64) -> i64 {
    sqlx::query(sql)
        .bind(id)
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

fn approval(p: i64, owner: &CurrentUser, keep: bool, note: Option<&str>) -> Approval {
    Approval {
        proposal: p,
        new_owner: owner.id,
        keep_previous: keep,
        comment: Some("Good year".into()),
        note: note.map(Into::into),
    }
}

#[tokio::test]
async fn reevaluation_proposes_once_and_supersedes_stale() {
    on_both_engines(|db| async move {
        let w = world(&db).await;
        // Without values nothing is proposed.
        let c = tiers::run_reevaluation(&db, Some(&w.admin)).await.unwrap();
        assert_eq!((c.evaluated, c.promotions, c.demotions), (0, 0, 0));
        initial_scores(&db, &w).await;
        assert_eq!(
            tiers::run_reevaluation(&db, Some(&w.t1)).await,
            Err(AppError::Forbidden)
        );
        let c = tiers::run_reevaluation(&db, Some(&w.admin)).await.unwrap();
        assert_eq!(
            (c.evaluated, c.promotions, c.demotions, c.superseded),
            (4, 1, 1, 0)
        );
        let rising = pending_of(&db, w.rising).await;
        assert_eq!(rising.len(), 1);
        assert_eq!(
            (&rising[0].1[..], rising[0].2, &rising[0].3[..], rising[0].4),
            ("promotion", 1, "key", 83)
        );
        let falling = pending_of(&db, w.falling).await;
        assert_eq!(
            (&falling[0].1[..], falling[0].2, &falling[0].3[..], falling[0].4),
            ("demotion", 2, "general", 38)
        );
        assert!(pending_of(&db, w.steady).await.is_empty());
        let figures: String = sqlx::query("SELECT figures FROM tier_proposals WHERE id = $1")
            .bind(rising[0].0)
            .fetch_one(&db.pool)
            .await
            .unwrap()
            .try_get("figures")
            .unwrap();
        let pairs = figures_pairs(&figures);
        assert_eq!(pairs[0], ("r".into(), "5".into()));
        assert!(pairs.iter().any(|(k, v)| k == "frequency" && v == "5"));

        // A second run with the same values adds nothing.
        let c = tiers::run_reevaluation(&db, None).await.unwrap();
        assert_eq!((c.promotions, c.demotions, c.still_pending), (0, 0, 2));
        assert_eq!(pending_of(&db, w.rising).await, rising);
        assert_eq!(tiers::last_run(&db).await.unwrap().unwrap().counts, c);

        // Rising's value drops back (48): its proposal is superseded; Falling's still applies.
        scores(
            &db,
            &[(w.rising, 2, 2, 3), (w.falling, 1, 2, 2), (w.steady, 2, 2, 3)],
        )
        .await;
        let c = tiers::run_reevaluation(&db, None).await.unwrap();
        assert_eq!((c.superseded, c.still_pending, c.promotions), (1, 1, 0));
        assert!(pending_of(&db, w.rising).await.is_empty());
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM tier_proposals WHERE customer_id = $1 AND status = 'superseded'",
                w.rising.0
            )
            .await,
            1
        );
        assert_eq!(pending_of(&db, w.falling).await, falling);

        // A customer changed by hand since: the pending proposal is superseded and a new
        // one is made from the current level and grade.
        sqlx::query("UPDATE customers SET grade = 'vip' WHERE id = $1")
            .bind(w.falling.0)
            .execute(&db.pool)
            .await
            .unwrap();
        let c = tiers::run_reevaluation(&db, None).await.unwrap();
        assert_eq!((c.superseded, c.demotions), (1, 1));
        let now_pending = pending_of(&db, w.falling).await;
        assert_eq!(now_pending.len(), 1);
        assert_ne!(now_pending[0].0, falling[0].0);
    })
    .await;
}

#[tokio::test]
async fn approval_hands_the_account_over_atomically() {
    on_both_engines(|db| async move {
        let w = world(&db).await;
        initial_scores(&db, &w).await;
        tiers::run_reevaluation(&db, None).await.unwrap();
        let p = pending_of(&db, w.rising).await[0].0;

        // An invalid choice writes nothing: the new owner of a key account must be tier-1.
        let e = tiers::approve(&db, &w.t1, &approval(p, &w.t2b, false, Some("x")))
            .await
            .unwrap_err();
        assert_eq!(e.field_error("new_owner"), Some(Key::TierErrOwnerDoesNotFit));
        assert_eq!(pending_of(&db, w.rising).await.len(), 1);
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM customer_notes WHERE customer_id = $1", w.rising.0).await,
            0
        );

        tiers::approve(
            &db,
            &w.t1,
            &approval(p, &w.t1, true, Some("They order every month; call before the 5th.")),
        )
        .await
        .unwrap();
        let c = customers::get(&db, &w.admin, w.rising).await.unwrap();
        assert_eq!(c.level, 1);
        assert_eq!(c.grade.as_str(), "key");
        assert_eq!(c.owner_id, w.t1.id);
        assert_eq!(c.service_manager_id, Some(w.t2.id));
        let team: Option<i64> = sqlx::query("SELECT team_id FROM customers WHERE id = $1")
            .bind(w.rising.0)
            .fetch_one(&db.pool)
            .await
            .unwrap()
            .try_get("team_id")
            .unwrap();
        assert_eq!(team, Some(w.east.0));

        let r = sqlx::query(
            "SELECT status, decided_by, decision_comment, new_owner_id, previous_owner_id, \
             kept_as_service_manager FROM tier_proposals WHERE id = $1",
        )
        .bind(p)
        .fetch_one(&db.pool)
        .await
        .unwrap();
        assert_eq!(r.try_get::<String, _>("status").unwrap(), "approved");
        assert_eq!(r.try_get::<Option<i64>, _>("decided_by").unwrap(), Some(w.t1.id.0));
        assert_eq!(
            r.try_get::<Option<String>, _>("decision_comment").unwrap().as_deref(),
            Some("Good year")
        );
        assert_eq!(r.try_get::<Option<i64>, _>("new_owner_id").unwrap(), Some(w.t1.id.0));
        assert_eq!(r.try_get::<Option<i64>, _>("previous_owner_id").unwrap(), Some(w.t2.id.0));
        assert_eq!(r.try_get::<i64, _>("kept_as_service_manager").unwrap(), 1);

        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM tier_changes WHERE proposal_id = $1", p).await,
            1
        );
        let tasks = sqlx::query(
            "SELECT assignee_id, due_at FROM tasks WHERE source = 'handover' AND source_id = $1 ORDER BY assignee_id",
        )
        .bind(p)
        .fetch_all(&db.pool)
        .await
        .unwrap();
        let mut assignees: Vec<i64> = tasks.iter().map(|r| r.try_get("assignee_id").unwrap()).collect();
        assignees.sort();
        let mut expected = vec![w.t1.id.0, w.t2.id.0];
        expected.sort();
        assert_eq!(assignees, expected);
        let due: i64 = tasks[0].try_get("due_at").unwrap();
        assert!((due - now() - 3 * 86_400).abs() < 60);

        let audited: Vec<String> = sqlx::query(
            "SELECT field FROM audit_log WHERE entity = 'customer' AND entity_id = $1 AND action = 'tier_change' ORDER BY id",
        )
        .bind(w.rising.0)
        .fetch_all(&db.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("field").unwrap())
        .collect();
        assert_eq!(audited, ["level", "grade", "owner_id", "service_manager_id"]);

        // The new owner sees the note with its hand-over context, and the timeline shows
        // the tier change and the note.
        let thread = notes::thread(&db, &w.t1, w.rising).await.unwrap();
        assert_eq!(thread.notes.len(), 1);
        let ctx = thread.notes[0].proposal.clone().unwrap();
        assert_eq!((ctx.proposal_id, ctx.from_level, ctx.to_level), (p, 2, 1));
        assert_eq!(ctx.promotion, Some(true));
        let page = timeline::page(
            &db,
            &w.t1,
            w.rising,
            &TimelineQuery {
                kinds: "tier,note".into(),
                before: String::new(),
            },
        )
        .await
        .unwrap();
        let kinds: Vec<TimelineKind> = page.entries.iter().map(|e| e.kind).collect();
        assert!(kinds.contains(&TimelineKind::Tier) && kinds.contains(&TimelineKind::Note));
        let tier = page.entries.iter().find(|e| e.kind == TimelineKind::Tier).unwrap();
        match &tier.body {
            app::timeline::model::TimelineBody::Tier {
                from_level,
                to_level,
                to_grade,
                from_owner,
                to_owner,
                ..
            } => {
                assert_eq!((*from_level, *to_level, &to_grade[..]), (2, 1, "key"));
                assert_eq!(from_owner.as_deref(), Some("t2"));
                assert_eq!(to_owner.as_deref(), Some("t1"));
            }
            other => panic!("unexpected body {other:?}"),
        }

        // Deciding twice is refused.
        assert_eq!(
            tiers::approve(&db, &w.t1, &approval(p, &w.t1, false, None)).await,
            Err(AppError::Conflict("status".into()))
        );
        assert_eq!(
            tiers::reject(&db, &w.admin, p, "late").await,
            Err(AppError::Conflict("status".into()))
        );

        // Demotion to a tier-2 manager of the customer's team; the old service manager is
        // the new owner and so is dropped; the previous owner (tier-1) cannot be kept.
        let d = pending_of(&db, w.falling).await[0].0;
        let e = tiers::approve(&db, &w.admin, &approval(d, &w.t2b, true, None))
            .await
            .unwrap_err();
        assert_eq!(e.field_error("keep_previous"), Some(Key::TierErrKeepNotTier2));
        let e = tiers::approve(&db, &w.admin, &approval(d, &w.t2_west, false, None))
            .await
            .unwrap_err();
        assert_eq!(e.field_error("new_owner"), Some(Key::TierErrOwnerDoesNotFit));
        tiers::approve(&db, &w.admin, &approval(d, &w.t2b, false, None))
            .await
            .unwrap();
        let c = customers::get(&db, &w.admin, w.falling).await.unwrap();
        assert_eq!((c.level, c.owner_id, c.service_manager_id), (2, w.t2b.id, None));
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM tasks WHERE source = 'handover' AND source_id = $1", d).await,
            2
        );
    })
    .await;
}

#[tokio::test]
async fn only_the_right_people_decide_and_rejections_need_a_reason() {
    on_both_engines(|db| async move {
        let w = world(&db).await;
        initial_scores(&db, &w).await;
        tiers::run_reevaluation(&db, None).await.unwrap();
        let p = pending_of(&db, w.rising).await[0].0;

        // The tier-2 owner sees the customer but may not decide.
        assert_eq!(
            tiers::approve(&db, &w.t2, &approval(p, &w.t1, false, None)).await,
            Err(AppError::Forbidden)
        );
        assert_eq!(tiers::reject(&db, &w.t2, p, "no").await, Err(AppError::Forbidden));
        // A tier-1 manager of another team does not even see it.
        assert_eq!(
            tiers::approve(&db, &w.t1_west, &approval(p, &w.t1_west, false, None)).await,
            Err(AppError::NotFound)
        );
        assert_eq!(tiers::reject(&db, &w.t1_west, p, "no").await, Err(AppError::NotFound));
        assert_eq!(tiers::reject(&db, &w.t1, 999_999, "no").await, Err(AppError::NotFound));

        // Queues: the East lead sees both East proposals, the West lead none, tier-2 no queue.
        let q = tiers::queue(&db, &w.t1, None).await.unwrap();
        assert_eq!(q.total_pending, 2);
        assert!(q.config.is_none());
        assert!(q.owners.iter().all(|o| o.team_id == Some(w.east)));
        let q = tiers::queue(&db, &w.t1, Some(Direction::Demotion)).await.unwrap();
        assert_eq!(q.pending.len(), 1);
        assert_eq!(q.pending[0].customer_id, w.falling);
        assert_eq!(tiers::queue(&db, &w.t1_west, None).await.unwrap().total_pending, 0);
        assert_eq!(tiers::queue(&db, &w.t2, None).await, Err(AppError::Forbidden));
        let q = tiers::queue(&db, &w.admin, None).await.unwrap();
        assert_eq!(q.config, Some(TierConfig::default()));

        let e = tiers::reject(&db, &w.t1, p, "   ").await.unwrap_err();
        assert_eq!(e.field_error("comment"), Some(Key::ErrRequired));
        assert_eq!(pending_of(&db, w.rising).await.len(), 1);
        tiers::reject(&db, &w.t1, p, "Seasonal peak only").await.unwrap();
        assert!(pending_of(&db, w.rising).await.is_empty());
        let q = tiers::queue(&db, &w.t1, None).await.unwrap();
        assert_eq!(q.history.len(), 1);
        assert_eq!(q.history[0].status, ProposalStatus::Rejected);
        assert_eq!(q.history[0].comment.as_deref(), Some("Seasonal peak only"));
        assert_eq!(q.history[0].decided_by.as_deref(), Some("t1"));
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM audit_log WHERE entity = 'tier_proposal' AND entity_id = $1 AND action = 'reject'",
                p
            )
            .await,
            1
        );
        // The next run proposes it anew (with fresh figures), since nothing is pending.
        let c = tiers::run_reevaluation(&db, None).await.unwrap();
        assert_eq!(c.promotions, 1);

        // Settings: admin only, validated, stored.
        let cfg = TierConfig {
            promote_at: 90,
            ..Default::default()
        };
        assert_eq!(tiers::save_config(&db, &w.t1, &cfg).await, Err(AppError::Forbidden));
        tiers::save_config(&db, &w.admin, &cfg).await.unwrap();
        assert_eq!(tiers::config(&db).await.unwrap().promote_at, 90);
    })
    .await;
}

#[tokio::test]
async fn workload_counts_per_manager_within_scope() {
    on_both_engines(|db| async move {
        let w = world(&db).await;
        initial_scores(&db, &w).await;
        tiers::run_reevaluation(&db, None).await.unwrap();
        let t = now();
        for (assignee, due, status) in [
            (&w.t2, t - 3_600, "open"),
            (&w.t2, t + 86_400, "open"),
            (&w.t2, t - 86_400, "done"),
            (&w.t1, t - 60, "open"),
        ] {
            sqlx::query(
                "INSERT INTO tasks (customer_id, title, assignee_id, due_at, status, source, created_at) \
                 VALUES ($1, 'Call', $2, $3, $4, 'manual', $5)",
            )
            .bind(w.rising.0)
            .bind(assignee.id.0)
            .bind(due)
            .bind(status)
            .bind(t)
            .execute(&db.pool)
            .await
            .unwrap();
        }
        for (who, at) in [(&w.t2, t - 86_400), (&w.t2, t - 40 * 86_400), (&w.t1, t)] {
            sqlx::query(
                "INSERT INTO activities (customer_id, user_id, kind, happened_at, summary, created_at) \
                 VALUES ($1, $2, 'call', $3, 'Talked', $3)",
            )
            .bind(w.rising.0)
            .bind(who.id.0)
            .bind(at)
            .execute(&db.pool)
            .await
            .unwrap();
        }
        let rows = workload::workload(&db, &w.admin).await.unwrap();
        let row = |id| rows.iter().find(|r| r.user_id == id).unwrap().clone();
        let t2 = row(w.t2.id);
        assert_eq!(
            (t2.level1, t2.level2, t2.vip, t2.key, t2.general),
            (0, 3, 0, 0, 3)
        );
        assert_eq!(
            (t2.open_tasks, t2.overdue_tasks, t2.activities_30d, t2.pending_proposals),
            (2, 1, 1, 1)
        );
        let t1 = row(w.t1.id);
        assert_eq!((t1.level1, t1.key, t1.open_tasks, t1.overdue_tasks), (1, 1, 1, 1));
        assert_eq!((t1.activities_30d, t1.pending_proposals), (1, 1));
        assert!(rows.iter().all(|r| r.user_id != w.admin.id && r.user_id != w.viewer.id));
        assert_eq!(rows.len(), 5);

        let east: Vec<_> = workload::workload(&db, &w.t1)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.user_id)
            .collect();
        assert_eq!(east.len(), 3);
        assert!(east.contains(&w.t2b.id) && !east.contains(&w.t2_west.id));
        let own = workload::workload(&db, &w.t2).await.unwrap();
        assert_eq!(own.len(), 1);
        assert_eq!(own[0], t2);
        assert_eq!(workload::workload(&db, &w.viewer).await, Err(AppError::Forbidden));
    })
    .await;
}

#[tokio::test]
async fn notes_follow_the_customer_rights() {
    on_both_engines(|db| async move {
        let w = world(&db).await;
        notes::add(&db, &w.t2, w.rising, "Prefers e-mail <b>not</b> calls")
            .await
            .unwrap();
        // Another tier-2 manager does not see the customer; viewers see no customers.
        assert_eq!(
            notes::add(&db, &w.t2b, w.rising, "hi").await,
            Err(AppError::NotFound)
        );
        assert_eq!(
            notes::thread(&db, &w.viewer, w.rising).await,
            Err(AppError::NotFound)
        );
        let e = notes::add(&db, &w.t1, w.rising, "  ").await.unwrap_err();
        assert_eq!(e.field_error("body"), Some(Key::ErrRequired));
        notes::add(&db, &w.t1, w.rising, "Handing over soon")
            .await
            .unwrap();
        let thread = notes::thread(&db, &w.t2, w.rising).await.unwrap();
        assert!(thread.may_write);
        assert_eq!(thread.notes.len(), 2);
        assert_eq!(thread.notes[1].body, "Prefers e-mail <b>not</b> calls");
        assert!(thread.notes.iter().all(|n| n.proposal.is_none()));
        // The service manager of a key account may write too.
        assert!(notes::add(&db, &w.t2b, w.falling, "Served").await.is_ok());
    })
    .await;
}
