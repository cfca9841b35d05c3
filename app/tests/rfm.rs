//! RFM in the database against the plain-Rust reference, runs and their queue, the grid
//! under the visibility rules, the export, and the value score, on both engines.

mod support;

use app::auth::permissions::may_see_customer;
use app::auth::permissions::CustomerScope;
use app::auth::{CurrentUser, Role};
use app::dates::{iso_date, parse_date};
use app::db::{insert_rows, Db, Row, SqlValue};
use app::error::AppError;
use app::finance::credit::CreditRating;
use app::ids::{CustomerId, TeamId};
use app::rfm::model::{compute, Grid, OrderFact, RfmRow, RfmSegment, RunKind, RunStatus};
use app::rfm::runs;
use app::rfm::service as rfm;
use app::rfm::value::value_score;
use support::{on_both_engines, team, user, Rng};

/// The reference date of the generated data.
const D: &str = "2025-06-30";

struct World {
    admin: CurrentUser,
    t1: CurrentUser,
    t2: CurrentUser,
    /// (customer id, scope) of every customer.
    customers: Vec<(i64, CustomerScope)>,
    orders: Vec<OrderFact>,
}

async fn world(db: &Db, n_customers: i64, seed: u64) -> World {
    let east = team(db, "East").await;
    let west = team(db, "West").await;
    let admin = user(db, "admin@example.com", Role::Admin, None).await;
    let t1 = user(db, "t1@example.com", Role::Tier1Manager, Some(east)).await;
    let t1w = user(db, "t1w@example.com", Role::Tier1Manager, Some(west)).await;
    let t2 = user(db, "t2@example.com", Role::Tier2Manager, Some(east)).await;
    let t2b = user(db, "t2b@example.com", Role::Tier2Manager, Some(west)).await;
    let owners: [(&CurrentUser, TeamId); 4] =
        [(&t1, east), (&t2, east), (&t1w, west), (&t2b, west)];
    let mut rng = Rng(seed);
    let d = parse_date(D).unwrap();
    let mut customers = Vec::new();
    let mut rows = Vec::new();
    let mut order_rows = Vec::new();
    let mut orders = Vec::new();
    for i in 1..=n_customers {
        let (owner, team) = owners[rng.below(4) as usize];
        // Some level-1 accounts owned by the west tier-1 manager are served by t2.
        let service = (owner.id == t1w.id && rng.below(3) == 0).then_some(t2.id);
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
        let created_day = d - 1000 + rng.below(900) as i64;
        rows.push(vec![
            SqlValue::Int(i),
            // Every fifth customer has no external id: the export writes its id.
            SqlValue::OptText((i % 5 != 0).then(|| format!("ext-{i}"))),
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
        ]);
        customers.push((i, scope));
        // Many ties: few dates, few amounts, few counts; some without orders and some
        // orders after the reference date.
        let n = match rng.below(6) {
            0 => 0,
            k => k as i64,
        };
        for _ in 0..n {
            let day = d - 40 + rng.below(46) as i64;
            let amount = [500, 1000, 1000, 2500, 9999][rng.below(5) as usize];
            orders.push(OrderFact {
                customer_id: i,
                day,
                amount_cents: amount,
            });
            order_rows.push(vec![
                SqlValue::Int(i),
                SqlValue::Text(iso_date(day)),
                SqlValue::Int(day * 86_400),
                SqlValue::Int(amount),
                SqlValue::Text("CNY".into()),
                SqlValue::Int(0),
            ]);
        }
    }
    let mut tx = db.begin_write().await.unwrap();
    insert_rows(
        &mut tx,
        db.engine,
        "INSERT INTO customers (id, external_id, name, kind, level, grade, owner_id, service_manager_id, \
         team_id, search_text, name_key, created_at, updated_at)",
        &rows
            .into_iter()
            .map(|mut r| {
                let created = r.last().cloned().unwrap();
                r.push(created);
                r
            })
            .collect::<Vec<_>>(),
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
        // Ids were given explicitly: move the sequence past them.
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
        orders,
    }
}

async fn stored_rows(db: &Db, run: i64) -> Vec<RfmRow> {
    rfm::run_rows(db, None, run)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, r)| r)
        .collect()
}

#[tokio::test]
async fn sql_recompute_equals_the_reference() {
    on_both_engines(|db| async move {
        let w = world(&db, 300, 0x5eed_1234).await;
        let d = parse_date(D).unwrap();
        let cases: [(i64, Option<i64>); 6] = [
            (d, None),
            (d, Some(10)),
            (d - 5, Some(3)),
            (d - 20, None),
            (d + 30, Some(365)),
            // Before every order: nobody is scored.
            (d - 400, None),
        ];
        for (as_of, window) in cases {
            let expected = compute(as_of, window, &w.orders);
            let run = runs::recompute(&db, RunKind::Adhoc, &iso_date(as_of), window, None)
                .await
                .unwrap();
            let info = runs::run(&db, run).await.unwrap().unwrap();
            assert_eq!(info.status, RunStatus::Done);
            assert_eq!(info.customers, expected.len() as i64);
            assert!(info.duration_ms.is_some() && info.finished_at.is_some());
            let got = stored_rows(&db, run).await;
            assert_eq!(
                got.len(),
                expected.len(),
                "as of {as_of}, window {window:?}"
            );
            for (g, e) in got.iter().zip(&expected) {
                assert_eq!(g, e, "as of {}, window {window:?}", iso_date(as_of));
            }
            // The export's direct SELECT gives the same rows.
            let direct: Vec<RfmRow> = rfm::rows_as_of(&db, None, &iso_date(as_of), window)
                .await
                .unwrap()
                .into_iter()
                .map(|(_, r)| r)
                .collect();
            assert_eq!(direct, expected);
        }
        // The generated data really has ties, unscored customers and several segments.
        let all = compute(d, None, &w.orders);
        assert!(all.len() < w.customers.len());
        let segments: std::collections::HashSet<RfmSegment> =
            all.iter().map(|r| r.segment).collect();
        assert!(segments.len() >= 5, "{segments:?}");
        let _ = (&w.admin, &w.t1);
    })
    .await;
}

#[tokio::test]
async fn empty_data_gives_a_done_run_with_no_customers() {
    on_both_engines(|db| async move {
        let admin = user(&db, "admin@example.com", Role::Admin, None).await;
        let run = runs::recompute(&db, RunKind::Scheduled, D, None, Some(admin.id))
            .await
            .unwrap();
        let info = runs::run(&db, run).await.unwrap().unwrap();
        assert_eq!((info.status, info.customers), (RunStatus::Done, 0));
        assert_eq!(runs::current_run(&db).await.unwrap().unwrap().id, run);
        let grid = rfm::grid(&db, &admin, run).await.unwrap();
        assert_eq!(grid.cells.len(), 25);
        assert_eq!(grid.segments.len(), 11);
        assert!(grid
            .cells
            .iter()
            .all(|c| c.customers == 0 && c.revenue_cents == 0));
        // Bad input is a validation error, not a failed run.
        assert!(matches!(
            runs::recompute(&db, RunKind::Adhoc, "2025-02-30", None, None).await,
            Err(AppError::Validation(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn grid_counts_only_what_the_user_may_see() {
    on_both_engines(|db| async move {
        let w = world(&db, 200, 77).await;
        let d = parse_date(D).unwrap();
        let run = runs::recompute(&db, RunKind::Scheduled, D, None, None)
            .await
            .unwrap();
        let expected = compute(d, None, &w.orders);
        for who in [&w.admin, &w.t1, &w.t2] {
            let visible: Vec<&RfmRow> = expected
                .iter()
                .filter(|r| {
                    w.customers
                        .iter()
                        .any(|(id, s)| *id == r.customer_id && may_see_customer(who, s))
                })
                .collect();
            let counts: Vec<(u8, u8, i64, i64)> = visible
                .iter()
                .map(|r| (r.r_score, r.f_score, 1, r.monetary_cents))
                .collect();
            let grid = rfm::grid(&db, who, run).await.unwrap();
            assert_eq!(grid, Grid::from_counts(&counts), "{:?}", who.role);
            let total: i64 = grid.segments.iter().map(|s| s.customers).sum();
            assert_eq!(total, visible.len() as i64);
            if who.role == Role::Tier2Manager {
                assert!(total > 0 && total < expected.len() as i64);
            }
            // Cell members: every page, only visible customers, in id order.
            let cell = grid.cells.iter().max_by_key(|c| c.customers).unwrap();
            let mut listed = Vec::new();
            let mut after = None;
            loop {
                let page = rfm::cell_members(&db, who, run, cell.r_score, cell.f_score, after)
                    .await
                    .unwrap();
                listed.extend(page.members.iter().map(|m| m.row.clone()));
                match page.next_after {
                    Some(n) => after = Some(n),
                    None => break,
                }
            }
            let want: Vec<RfmRow> = visible
                .iter()
                .filter(|r| (r.r_score, r.f_score) == (cell.r_score, cell.f_score))
                .map(|r| (*r).clone())
                .collect();
            assert_eq!(listed, want);
        }
        let viewer = user(&db, "viewer@example.com", Role::Viewer, None).await;
        assert_eq!(rfm::grid(&db, &viewer, run).await, Err(AppError::Forbidden));
        // The customer card: visible customers only.
        let hidden = w
            .customers
            .iter()
            .find(|(_, s)| !may_see_customer(&w.t2, s))
            .unwrap()
            .0;
        assert_eq!(
            rfm::customer_rfm(&db, &w.t2, CustomerId(hidden)).await,
            Err(AppError::NotFound)
        );
        let scored = &expected[0];
        let card = rfm::customer_rfm(&db, &w.admin, CustomerId(scored.customer_id))
            .await
            .unwrap();
        assert_eq!(card.row.as_ref(), Some(scored));
        assert_eq!(card.as_of.as_deref(), Some(D));
        assert!(card.value_score.is_some());
        // A key account tier-2 serves: the RFM figures (from orders) but no value score,
        // which with them would give its credit rating away.
        let (served_key, _) = w
            .customers
            .iter()
            .find(|(_, s)| s.level == 1 && may_see_customer(&w.t2, s))
            .expect("the world has a key account served by tier-2");
        let t2_card = rfm::customer_rfm(&db, &w.t2, CustomerId(*served_key))
            .await
            .unwrap();
        assert_eq!(t2_card.value_score, None);
        let admin_card = rfm::customer_rfm(&db, &w.admin, CustomerId(*served_key))
            .await
            .unwrap();
        assert!(admin_card.value_score.is_some());
        assert_eq!(t2_card.row, admin_card.row);
    })
    .await;
}

#[tokio::test]
async fn export_has_the_documented_columns_and_only_visible_rows() {
    on_both_engines(|db| async move {
        let w = world(&db, 120, 99).await;
        let csv = rfm::export_csv(&db, &w.t2, D, None).await.unwrap();
        assert!(csv.starts_with('\u{feff}'));
        let body = &csv['\u{feff}'.len_utf8()..];
        let mut lines = body.split("\r\n").filter(|l| !l.is_empty());
        assert_eq!(
            lines.next().unwrap(),
            "customer_external_id,r,f,m,r_score,f_score,m_score,segment"
        );
        let expected: Vec<RfmRow> = compute(parse_date(D).unwrap(), None, &w.orders)
            .into_iter()
            .filter(|r| {
                w.customers
                    .iter()
                    .any(|(id, s)| *id == r.customer_id && may_see_customer(&w.t2, s))
            })
            .collect();
        let lines: Vec<&str> = lines.collect();
        assert_eq!(lines.len(), expected.len());
        for (line, r) in lines.iter().zip(&expected) {
            let external = if r.customer_id % 5 == 0 {
                r.customer_id.to_string()
            } else {
                format!("ext-{}", r.customer_id)
            };
            assert_eq!(
                *line,
                format!(
                    "{external},{},{},{}.{:02},{},{},{},{}",
                    r.recency_days,
                    r.frequency,
                    r.monetary_cents / 100,
                    r.monetary_cents % 100,
                    r.r_score,
                    r.f_score,
                    r.m_score,
                    r.segment.as_str()
                )
            );
        }
        // With a stored run for the date, the export reads it: same text.
        runs::recompute(&db, RunKind::Adhoc, D, None, None)
            .await
            .unwrap();
        assert_eq!(rfm::export_csv(&db, &w.t2, D, None).await.unwrap(), csv);
        let viewer = user(&db, "viewer@example.com", Role::Viewer, None).await;
        assert_eq!(
            rfm::export_csv(&db, &viewer, D, None).await,
            Err(AppError::Forbidden)
        );
    })
    .await;
}

#[tokio::test]
async fn queue_dedupes_prunes_and_page_queues_missing_dates() {
    on_both_engines(|db| async move {
        let w = world(&db, 60, 5).await;
        // Reading a date without a run changes nothing, for any role.
        let page = rfm::page_data(&db, &w.t2, Some("2025-06-01"), Some(Some(90)))
            .await
            .unwrap();
        assert!(page.run.is_none() && page.pending.is_none() && !page.may_recompute);
        let runs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM rfm_runs")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(runs, 0);
        // Those who may recompute queue it; asking twice gives the same run.
        let pending = rfm::request_recompute(&db, &w.t1, "2025-06-01", Some(90))
            .await
            .unwrap();
        assert_eq!(
            (pending.status, pending.kind),
            (RunStatus::Queued, RunKind::Adhoc)
        );
        let again = rfm::page_data(&db, &w.t2, Some("2025-06-01"), Some(Some(90)))
            .await
            .unwrap();
        assert_eq!(again.pending.unwrap().id, pending.id);
        // At most a few ad-hoc runs wait at once.
        for day in ["2025-06-02", "2025-06-03"] {
            rfm::request_recompute(&db, &w.t1, day, Some(90))
                .await
                .unwrap();
        }
        assert_eq!(
            rfm::request_recompute(&db, &w.t1, "2025-06-04", Some(90)).await,
            Err(AppError::RateLimited)
        );
        assert!(runs::process_next_queued(&db).await.unwrap());
        assert!(runs::process_next_queued(&db).await.unwrap());
        assert!(runs::process_next_queued(&db).await.unwrap());
        assert!(!runs::process_next_queued(&db).await.unwrap());
        let page = rfm::page_data(&db, &w.t2, Some("2025-06-01"), Some(Some(90)))
            .await
            .unwrap();
        assert!(page.pending.is_none());
        assert_eq!(page.run.unwrap().id, pending.id);
        let total: i64 = page
            .grid
            .unwrap()
            .segments
            .iter()
            .map(|s| s.customers)
            .sum();
        assert!(total > 0);
        // Recompute needs tier-1 or admin.
        assert_eq!(
            rfm::request_recompute(&db, &w.t2, D, None).await,
            Err(AppError::Forbidden)
        );
        let q = rfm::request_recompute(&db, &w.t1, D, None).await.unwrap();
        assert_eq!(
            rfm::request_recompute(&db, &w.admin, D, None)
                .await
                .unwrap()
                .id,
            q.id
        );
        assert!(runs::process_next_queued(&db).await.unwrap());
        // Only the latest three done runs of a kind stay.
        let mut ids = Vec::new();
        for _ in 0..5 {
            ids.push(
                runs::recompute(&db, RunKind::Scheduled, D, None, None)
                    .await
                    .unwrap(),
            );
        }
        let kept: Vec<i64> =
            sqlx::query("SELECT id FROM rfm_runs WHERE kind = 'scheduled' ORDER BY id")
                .fetch_all(&db.pool)
                .await
                .unwrap()
                .iter()
                .map(|r| r.try_get("id").unwrap())
                .collect();
        assert_eq!(kept, ids[2..].to_vec());
        let orphans: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM rfm_scores WHERE run_id NOT IN (SELECT id FROM rfm_runs)",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
        assert_eq!(orphans, 0);
        // A deleted customer's scores go from every run.
        let gone: i64 = sqlx::query("SELECT MIN(customer_id) AS id FROM rfm_scores")
            .fetch_one(&db.pool)
            .await
            .unwrap()
            .try_get("id")
            .unwrap();
        let scores_of = |id: i64| {
            let db = db.clone();
            async move {
                sqlx::query("SELECT COUNT(*) AS n FROM rfm_scores WHERE customer_id = $1")
                    .bind(id)
                    .fetch_one(&db.pool)
                    .await
                    .unwrap()
                    .try_get::<i64, _>("n")
                    .unwrap()
            }
        };
        assert!(scores_of(gone).await >= 3);
        app::customers::service::delete(&db, &w.admin, CustomerId(gone))
            .await
            .unwrap();
        assert_eq!(scores_of(gone).await, 0);
        // Interrupted runs are marked failed when the worker starts.
        sqlx::query("UPDATE rfm_runs SET status = 'running' WHERE id = $1")
            .bind(ids[4])
            .execute(&db.pool)
            .await
            .unwrap();
        assert_eq!(runs::fail_interrupted(&db).await.unwrap(), 1);
        assert_eq!(runs::current_run(&db).await.unwrap().unwrap().id, ids[3]);
        // Done runs whose scores are gone (a crash empties the unlogged table on
        // PostgreSQL) are failed too, so a fresh run replaces them.
        sqlx::query("DELETE FROM rfm_scores WHERE run_id = $1")
            .bind(ids[3])
            .execute(&db.pool)
            .await
            .unwrap();
        assert_eq!(runs::fail_interrupted(&db).await.unwrap(), 1);
        assert_eq!(runs::current_run(&db).await.unwrap().unwrap().id, ids[2]);
    })
    .await;
}

#[tokio::test]
async fn value_scores_combine_rfm_credit_and_tenure() {
    on_both_engines(|db| async move {
        let w = world(&db, 80, 11).await;
        let run = runs::recompute(&db, RunKind::Scheduled, D, None, None).await.unwrap();
        let rows = stored_rows(&db, run).await;
        let scored = rows[0].clone();
        // Credit: one payment paid on time (A), and an override to D on another customer.
        let today = runs::today();
        sqlx::query(
            "INSERT INTO payments (customer_id, amount_cents, currency, due_date, paid_date, timeline_at, created_at) \
             VALUES ($1, 1000, 'CNY', $2, $2, 0, 0)",
        )
        .bind(scored.customer_id)
        .bind(iso_date(today - 10))
        .execute(&db.pool)
        .await
        .unwrap();
        let unscored = w
            .customers
            .iter()
            .map(|(id, _)| *id)
            .find(|id| rows.iter().all(|r| r.customer_id != *id))
            .unwrap();
        sqlx::query("UPDATE customers SET credit_override = 'D', credit_override_reason = 'test' WHERE id = $1")
            .bind(unscored)
            .execute(&db.pool)
            .await
            .unwrap();
        let all = rfm::value_scores(&db, None).await.unwrap();
        assert_eq!(all.len(), w.customers.len());
        let some = rfm::value_scores(&db, Some(&[CustomerId(scored.customer_id), CustomerId(unscored)]))
            .await
            .unwrap();
        assert_eq!(some.len(), 2);
        let a = &some[&CustomerId(scored.customer_id)];
        assert_eq!(all[&CustomerId(scored.customer_id)], *a);
        assert_eq!(a.credit_rating.as_deref(), Some("A"));
        assert_eq!(
            (a.r_score, a.f_score, a.m_score),
            (Some(scored.r_score), Some(scored.f_score), Some(scored.m_score))
        );
        assert_eq!(a.frequency, scored.frequency);
        assert_eq!(
            a.value_score,
            value_score(
                Some((scored.r_score, scored.f_score, scored.m_score)),
                Some(CreditRating::A),
                a.tenure_days
            )
        );
        assert!(a.tenure_days > 0);
        let u = &some[&CustomerId(unscored)];
        assert_eq!((u.r_score, u.recency_days, u.frequency), (None, None, 0));
        assert_eq!(u.credit_rating.as_deref(), Some("D"));
        assert_eq!(u.value_score, value_score(None, Some(CreditRating::D), u.tenure_days));
    })
    .await;
}
