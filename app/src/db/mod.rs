//! The data-layer boundary: one `sqlx::Any` pool serving SQLite or PostgreSQL, chosen by
//! the `DATABASE_URL` scheme. Queries are written once in portable SQL (`$n` placeholders,
//! `RETURNING`, integer timestamps); see ARCHITECTURE.md for why.

pub mod derived;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor};
use std::time::Duration;

pub use sqlx::Row;

/// Which engine sits behind the pool; a few statements (backup, search escapes) differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn from_url(url: &str) -> Result<Engine, DbSetupError> {
        if url.starts_with("sqlite:") {
            Ok(Engine::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Engine::Postgres)
        } else {
            Err(DbSetupError::UnsupportedScheme)
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("DATABASE_URL must start with sqlite: or postgres://")]
    UnsupportedScheme,
    #[error("could not create the data folder {0}: {1}")]
    DataFolder(String, std::io::Error),
    #[error("could not connect to the database: {0}")]
    Connect(sqlx::Error),
    #[error("a database migration failed, nothing was started: {0}")]
    Migrate(sqlx::migrate::MigrateError),
}

/// The handle every service takes. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub engine: Engine,
}

pub type DbRow = AnyRow;

impl Db {
    /// Connects without migrating. SQLite files (and their folder) are created on first use.
    pub async fn connect(url: &str) -> Result<Db, DbSetupError> {
        sqlx::any::install_default_drivers();
        let engine = Engine::from_url(url)?;
        let url = match engine {
            Engine::Sqlite => prepare_sqlite_url(url)?,
            Engine::Postgres => url.to_string(),
        };
        let options = AnyPoolOptions::new()
            .max_connections(match engine {
                Engine::Sqlite => 8,
                Engine::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(10));
        let options = if engine == Engine::Sqlite {
            options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute("PRAGMA busy_timeout = 5000").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    Ok(())
                })
            })
        } else {
            // The app's queries are short and interactive: compiling one with JIT costs
            // ~15 ms, more than it saves (a segment count at 100 000 customers: 104 → 89 ms).
            options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute("SET jit = off").await?;
                    Ok(())
                })
            })
        };
        let pool = options.connect(&url).await.map_err(DbSetupError::Connect)?;
        if engine == Engine::Sqlite {
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await
                .map_err(DbSetupError::Connect)?;
        }
        Ok(Db { pool, engine })
    }

    /// Connects and applies every pending migration of this engine.
    pub async fn connect_and_migrate(url: &str) -> Result<Db, DbSetupError> {
        let db = Db::connect(url).await?;
        db.migrate().await?;
        Ok(db)
    }

    pub async fn migrate(&self) -> Result<(), DbSetupError> {
        let migrator = match self.engine {
            Engine::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Engine::Postgres => sqlx::migrate!("./migrations/postgres"),
        };
        migrator
            .run(&self.pool)
            .await
            .map_err(DbSetupError::Migrate)
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a read transaction that later tries to write can fail with
    /// "database is locked" without waiting, while this one waits its turn.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.engine {
            Engine::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Engine::Postgres => self.pool.begin().await,
        }
    }

    /// `SELECT 1`, for health checks.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }
}

/// Makes sure the folder of an SQLite file exists and that the file is created on first start.
fn prepare_sqlite_url(url: &str) -> Result<String, DbSetupError> {
    let path_part = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let file = path_part.split('?').next().unwrap_or_default();
    if !file.is_empty() && file != ":memory:" {
        if let Some(parent) = std::path::Path::new(file).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| DbSetupError::DataFolder(parent.display().to_string(), e))?;
            }
        }
    }
    if url.contains("mode=") {
        Ok(url.to_string())
    } else if url.contains('?') {
        Ok(format!("{url}&mode=rwc"))
    } else {
        Ok(format!("{url}?mode=rwc"))
    }
}

/// Seconds since the Unix epoch with fractions, for rate limits.
pub fn now_precise() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default()
}

/// Seconds since the Unix epoch; every stored timestamp uses it, on both engines.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
pub fn like_contains(needle: &str) -> String {
    let mut out = String::with_capacity(needle.len() + 2);
    out.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// A condition compiled ahead of the query it goes into: it pushes ` AND …` onto a
/// builder (a segment's rule, a lifecycle stage, for the customer list).
pub type Condition = Box<dyn Fn(&mut SqlBuilder) + Send + Sync>;

/// Builds a parameterised query piece by piece: values never enter the SQL text, only
/// `$n` placeholders do, numbered in the order they are pushed.
pub struct SqlBuilder {
    sql: String,
    args: Vec<SqlValue>,
}

#[derive(Debug, Clone)]
pub enum SqlValue {
    Int(i64),
    Text(String),
    OptInt(Option<i64>),
    OptText(Option<String>),
}

impl SqlBuilder {
    pub fn new(sql: impl Into<String>) -> Self {
        SqlBuilder {
            sql: sql.into(),
            args: Vec::new(),
        }
    }
    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }
    /// Appends a placeholder bound to `value`.
    pub fn bind(&mut self, value: SqlValue) -> &mut Self {
        self.args.push(value);
        self.sql.push('$');
        self.sql.push_str(&self.args.len().to_string());
        self
    }
    /// Binds each value, separated by commas (the inside of an `IN (…)` list).
    pub fn bind_all(&mut self, values: impl IntoIterator<Item = SqlValue>) -> &mut Self {
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(v);
        }
        self
    }
    /// Appends `(id, id, …)` with every id bound.
    pub fn push_id_list(&mut self, ids: &[i64]) -> &mut Self {
        self.push("(");
        self.bind_all(ids.iter().map(|id| SqlValue::Int(*id)));
        self.push(")")
    }
    pub fn sql(&self) -> &str {
        &self.sql
    }
    pub fn query(&self) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
        let mut q = sqlx::query(&self.sql);
        for a in &self.args {
            q = match a {
                SqlValue::Int(v) => q.bind(*v),
                SqlValue::Text(v) => q.bind(v.as_str()),
                SqlValue::OptInt(v) => q.bind(*v),
                SqlValue::OptText(v) => q.bind(v.as_deref()),
            };
        }
        q
    }
}

/// Rows per multi-row INSERT. PostgreSQL likes big statements; sqlx's SQLite driver binds
/// parameters in time that grows with the statement's size, so SQLite gets small ones
/// (measured on the demo loader: 20 000 customers load in 1.8 s with ~400 parameters per
/// statement, 16 s with ~10 000).
pub fn rows_per_statement(engine: Engine, columns: usize) -> usize {
    let parameters = match engine {
        Engine::Sqlite => 400,
        Engine::Postgres => 10_000,
    };
    (parameters / columns.max(1)).max(1)
}

/// Inserts rows (`head` is `INSERT INTO t (a, b, …)`) in multi-row statements sized for
/// the engine, on the caller's connection (normally its write transaction).
pub async fn insert_rows(
    conn: &mut sqlx::AnyConnection,
    engine: Engine,
    head: &str,
    rows: &[Vec<SqlValue>],
) -> Result<(), sqlx::Error> {
    let Some(first) = rows.first() else {
        return Ok(());
    };
    for part in rows.chunks(rows_per_statement(engine, first.len())) {
        let mut q = SqlBuilder::new(head);
        q.push(" VALUES ");
        for (i, row) in part.iter().enumerate() {
            q.push(if i == 0 { "(" } else { ", (" });
            for (j, v) in row.iter().enumerate() {
                if j > 0 {
                    q.push(", ");
                }
                q.bind(v.clone());
            }
            q.push(")");
        }
        q.query().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Reserves `n` fresh ids of `table` inside the caller's write transaction, so rows
/// inserted in bulk can be referenced (tags, audit) without reading them back.
pub async fn reserve_ids(
    conn: &mut sqlx::AnyConnection,
    engine: Engine,
    table: &str,
    n: usize,
) -> Result<Vec<i64>, sqlx::Error> {
    if n == 0 {
        return Ok(Vec::new());
    }
    match engine {
        // The write transaction holds SQLite's lock: nobody else can take these ids.
        Engine::Sqlite => {
            let max: i64 = sqlx::query(&format!("SELECT COALESCE(MAX(id), 0) FROM {table}"))
                .fetch_one(&mut *conn)
                .await?
                .try_get(0)?;
            Ok((max + 1..=max + n as i64).collect())
        }
        Engine::Postgres => {
            let rows = sqlx::query(&format!(
                "SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS id FROM generate_series(1, $1)"
            ))
            .bind(n as i64)
            .fetch_all(&mut *conn)
            .await?;
            rows.iter().map(|r| r.try_get::<i64, _>("id")).collect()
        }
    }
}
