//! Operator commands: backup and demo data, on both engines.

#[path = "../../app/tests/support/mod.rs"]
mod support;

use app::db::{Db, Engine, Row};

async fn count(db: &Db, table: &str) -> i64 {
    sqlx::query(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

#[tokio::test]
async fn demo_data_is_deterministic_and_refuses_a_filled_database() {
    let mut sums = Vec::new();
    for _ in 0..2 {
        let (db, dir) = support::sqlite_db().await;
        let report = rapport_server::demo::generate(&db, 300, 11).await.unwrap();
        assert_eq!(report.customers, 300);
        let sum: i64 = sqlx::query("SELECT CAST(SUM(amount_cents) AS BIGINT) FROM orders")
            .fetch_one(&db.pool)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        sums.push((report.orders, report.activities, sum));
        assert!(matches!(
            rapport_server::demo::generate(&db, 10, 11).await,
            Err(rapport_server::demo::DemoError::NotEmpty)
        ));
        db.pool.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
    assert_eq!(sums[0], sums[1], "same seed, same data");
}

#[tokio::test]
async fn demo_and_backup_on_both_engines() {
    support::on_both_engines(|db| async move {
        rapport_server::demo::generate(&db, 200, 3).await.unwrap();
        assert_eq!(count(&db, "customers").await, 200);
        // The sample form at /f/satisfaction, its answers (some tied to customers through
        // personal links) and the complaints its low scores opened.
        let form = app::feedback::forms::public_form(&db, "satisfaction")
            .await
            .unwrap()
            .expect("the demo form");
        assert!(form.open);
        assert_eq!(count(&db, "feedback_responses").await, 240);
        let linked: i64 = sqlx::query(
            "SELECT COUNT(*) FROM feedback_responses r JOIN customers c ON c.id = r.customer_id",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
        assert!(linked > 100, "{linked} answers through personal links");
        assert!(count(&db, "complaints").await > 0);
        assert_eq!(count(&db, "users").await, 11);
        // Some demo customers have lapsed from their own rhythm: the at-risk list has entries.
        let at_risk: i64 =
            sqlx::query("SELECT COUNT(*) FROM churn_warnings WHERE cleared_on IS NULL")
                .fetch_one(&db.pool)
                .await
                .unwrap()
                .try_get(0)
                .unwrap();
        assert!(at_risk >= 8, "{at_risk} demo customers at risk");
        // New rows after a bulk load with explicit ids get fresh ids (sequences moved on).
        let admin = support::user(&db, "late@example.com", app::auth::Role::Admin, None).await;
        let input = app::customers::model::CustomerInput {
            name: "After demo".into(),
            owner_id: sqlx::query("SELECT id FROM users WHERE role = 'tier2' ORDER BY id LIMIT 1")
                .fetch_one(&db.pool)
                .await
                .unwrap()
                .try_get::<i64, _>(0)
                .unwrap()
                .to_string(),
            ..Default::default()
        };
        let draft = app::customers::service::parse_draft(&input).unwrap();
        app::customers::service::create(&db, &admin, draft)
            .await
            .unwrap();

        let dir = std::env::temp_dir().join(format!(
            "rapport_backup_{}_{:?}",
            std::process::id(),
            db.engine
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("copy.backup");
        let _ = std::fs::remove_file(&file);
        let url = match db.engine {
            Engine::Sqlite => String::new(),
            Engine::Postgres => support::postgres_base_url(),
        };
        rapport_server::backup::backup(&db, &url, &file)
            .await
            .unwrap();
        assert!(std::fs::metadata(&file).unwrap().len() > 0);
        // Never overwrites an existing file.
        assert!(rapport_server::backup::backup(&db, &url, &file)
            .await
            .is_err());
        if db.engine == Engine::Sqlite {
            let copy = Db::connect(&format!("sqlite://{}", file.display()))
                .await
                .unwrap();
            assert_eq!(count(&copy, "customers").await, 201);
            copy.pool.close().await;
        }
        let _ = std::fs::remove_dir_all(dir);
    })
    .await;
}
