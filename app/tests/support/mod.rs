//! Runs each integration case once on SQLite and once on PostgreSQL, each time on a
//! fresh, migrated database. PostgreSQL comes from `TEST_DATABASE_URL`, else
//! `DATABASE_URL`, else the local server; if it cannot be reached the test fails.

#![allow(dead_code)]

use app::auth::{CurrentUser, Role};
use app::db::{Db, Row};
use app::i18n::Lang;
use app::ids::{TeamId, UserId};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("{prefix}_{}_{n}_{nanos}", std::process::id())
}

pub fn postgres_base_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .or_else(|| {
            std::env::var("DATABASE_URL")
                .ok()
                .filter(|u| u.starts_with("postgres"))
        })
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".into())
}

pub async fn sqlite_db() -> (Db, std::path::PathBuf) {
    app::register_order_dependents();
    let dir = std::env::temp_dir().join(unique("rapport_test"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite://{}", dir.join("test.db").display());
    let db = Db::connect_and_migrate(&url)
        .await
        .expect("sqlite database");
    (db, dir)
}

/// A fresh schema in the test PostgreSQL database, migrated.
pub async fn postgres_db() -> (Db, String) {
    app::register_order_dependents();
    let base = postgres_base_url();
    let admin = Db::connect(&base).await.unwrap_or_else(|e| {
        panic!("PostgreSQL at {base} is required for the integration tests and is unreachable: {e}")
    });
    let schema = unique("t");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin.pool)
        .await
        .expect("create schema");
    admin.pool.close().await;
    let url = postgres_schema_url(&schema);
    let db = Db::connect_and_migrate(&url)
        .await
        .expect("migrate postgres schema");
    (db, schema)
}

/// The URL of the test PostgreSQL database with `schema` as the search path, so a second
/// pool can be connected to a schema made by [`postgres_db`].
pub fn postgres_schema_url(schema: &str) -> String {
    let base = postgres_base_url();
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options=-c%20search_path%3D{schema}")
}

/// Drops a schema made by [`postgres_db`].
pub async fn drop_schema(schema: &str) {
    if let Ok(admin) = Db::connect(&postgres_base_url()).await {
        let _ = sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(&admin.pool)
            .await;
    }
}

/// Runs `case` against SQLite, then PostgreSQL.
pub async fn on_both_engines<F, Fut>(case: F)
where
    F: Fn(Db) -> Fut,
    Fut: Future<Output = ()>,
{
    let (db, dir) = sqlite_db().await;
    case(db.clone()).await;
    db.pool.close().await;
    let _ = std::fs::remove_dir_all(dir);

    let (db, schema) = postgres_db().await;
    case(db.clone()).await;
    db.pool.close().await;
    drop_schema(&schema).await;
}

pub async fn team(db: &Db, name: &str) -> TeamId {
    TeamId(
        sqlx::query("INSERT INTO teams (name, created_at) VALUES ($1, 0) RETURNING id")
            .bind(name)
            .fetch_one(&db.pool)
            .await
            .unwrap()
            .try_get("id")
            .unwrap(),
    )
}

/// A user inserted directly (no password hashing), returned as the services see them.
pub async fn user(db: &Db, email: &str, role: Role, team: Option<TeamId>) -> CurrentUser {
    let id: i64 = sqlx::query(
        "INSERT INTO users (email, name, role, team_id, active, language, password_hash, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 1, 'en', 'not-a-hash', 0, 0) RETURNING id",
    )
    .bind(email)
    .bind(email.split('@').next().unwrap())
    .bind(role.as_str())
    .bind(team.map(|t| t.0))
    .fetch_one(&db.pool)
    .await
    .unwrap()
    .try_get("id")
    .unwrap();
    CurrentUser {
        id: UserId(id),
        email: email.into(),
        name: email.split('@').next().unwrap().into(),
        role,
        team_id: team,
        language: Lang::En,
    }
}

/// A tiny deterministic generator (xorshift) for generated test data.
pub struct Rng(pub u64);

impl Rng {
    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// The one value a one-row, one-column query answers.
pub async fn scalar<T>(db: &Db, sql: &str) -> T
where
    T: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    sqlx::query(sql)
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

/// The number a `SELECT COUNT(*) …` answers.
pub async fn count(db: &Db, sql: &str) -> i64 {
    scalar(db, sql).await
}

/// A customer created through the service by `admin`, as the form would.
pub async fn create_customer(
    db: &Db,
    admin: &CurrentUser,
    input: app::customers::model::CustomerInput,
) -> app::ids::CustomerId {
    let draft = app::customers::service::parse_draft(&input).unwrap();
    app::customers::service::create(db, admin, draft)
        .await
        .unwrap()
}

/// A customer of `level` and `grade` owned by `owner`, served by `sm`.
pub async fn managed_customer(
    db: &Db,
    admin: &CurrentUser,
    name: &str,
    (level, grade): (&str, &str),
    owner: &CurrentUser,
    sm: Option<&CurrentUser>,
) -> app::ids::CustomerId {
    let input = app::customers::model::CustomerInput {
        name: name.into(),
        level: level.into(),
        grade: grade.into(),
        owner_id: owner.id.to_string(),
        service_manager_id: sm.map(|s| s.id.to_string()).unwrap_or_default(),
        ..Default::default()
    };
    create_customer(db, admin, input).await
}
