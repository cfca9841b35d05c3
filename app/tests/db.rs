//! The data-layer boundary itself, on both engines.

mod support;

use app::db::{Db, DbSetupError, Engine, Row};
use support::on_both_engines;

#[tokio::test]
async fn a_tampered_migration_stops_start_up_with_a_clear_error() {
    on_both_engines(|db| async move {
        assert!(db.ping().await);
        // Migrating again is a no-op…
        db.migrate().await.unwrap();
        // …but an applied migration that no longer matches its file is refused.
        sqlx::query("UPDATE _sqlx_migrations SET checksum = $1")
            .bind(vec![0u8; 48])
            .execute(&db.pool)
            .await
            .unwrap();
        let err = db.migrate().await.unwrap_err();
        assert!(matches!(err, DbSetupError::Migrate(_)), "{err:?}");
        assert!(
            err.to_string().starts_with("a database migration failed"),
            "{err}"
        );
    })
    .await;
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout() {
    let (db, dir) = support::sqlite_db().await;
    assert_eq!(db.engine, Engine::Sqlite);
    let mut conn = db.pool.acquire().await.unwrap();
    let mode: String = sqlx::query("PRAGMA journal_mode")
        .fetch_one(&mut *conn)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    let fk: i64 = sqlx::query("PRAGMA foreign_keys")
        .fetch_one(&mut *conn)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    let busy: i64 = sqlx::query("PRAGMA busy_timeout")
        .fetch_one(&mut *conn)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!((mode.as_str(), fk, busy), ("wal", 1, 5000));
    // Foreign keys are enforced: an order for a missing customer is refused.
    let orphan = sqlx::query(
        "INSERT INTO orders (customer_id, order_date, amount_cents, currency, created_at) VALUES (999, '2026-01-01', 1, 'CNY', 0)",
    )
    .execute(&mut *conn)
    .await;
    assert!(orphan.is_err());
    drop(conn);
    db.pool.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn unknown_database_schemes_are_refused() {
    assert!(matches!(
        Db::connect("mysql://x/y").await,
        Err(DbSetupError::UnsupportedScheme)
    ));
}
