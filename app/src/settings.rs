//! Admin-set configuration stored as JSON under a key in `settings`. Every feature with
//! settings (tiers, lifecycle thresholds, churn warning) reads and writes them here, and
//! saves by an admin are audited with both values.

use crate::audit::service::{record, Change};
use crate::db::{now, Db, Row};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::AnyConnection;

/// The configuration stored under `key` as JSON, or its default (also when the stored
/// JSON no longer parses, so a bad row never takes a feature down).
pub async fn load_or_default<T: DeserializeOwned + Default>(db: &Db, key: &str) -> AppResult<T> {
    Ok(load(db, key).await?.unwrap_or_default())
}

/// The value stored under `key` as JSON, if there is one that parses.
pub async fn load<T: DeserializeOwned>(db: &Db, key: &str) -> AppResult<Option<T>> {
    let mut conn = db.pool.acquire().await?;
    load_on(&mut conn, key).await
}

/// [`load`] on the caller's connection or transaction.
pub async fn load_on<T: DeserializeOwned>(
    conn: &mut AnyConnection,
    key: &str,
) -> AppResult<Option<T>> {
    Ok(read(conn, key)
        .await?
        .and_then(|v| serde_json::from_str(&v).ok()))
}

/// Saves a configuration an admin changed, as JSON, audited with both values, in its own
/// transaction. The caller has checked the permission.
pub async fn save<T: Serialize>(
    db: &Db,
    key: &'static str,
    value: &T,
    actor: UserId,
) -> AppResult<()> {
    let mut tx = db.begin_write().await?;
    save_audited(&mut tx, key, to_json(value)?, actor).await?;
    tx.commit().await?;
    Ok(())
}

/// Records bookkeeping (a last run, a last scan) as JSON, unaudited.
pub async fn write_json<T: Serialize>(
    conn: &mut AnyConnection,
    key: &str,
    value: &T,
) -> AppResult<()> {
    write(conn, key, &to_json(value)?, None).await
}

/// A value as the JSON stored in `settings`.
pub fn to_json<T: Serialize>(value: &T) -> AppResult<String> {
    serde_json::to_string(value).map_err(|_| AppError::Internal)
}

/// The stored value of `key`, if any.
pub async fn read(conn: &mut AnyConnection, key: &str) -> AppResult<Option<String>> {
    let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| r.try_get("value")).transpose()?)
}

/// Stores `value` under `key` (bookkeeping such as "last run" passes no actor).
pub async fn write(
    conn: &mut AnyConnection,
    key: &str,
    value: &str,
    actor: Option<UserId>,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO settings (key, value, updated_by, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by, \
         updated_at = excluded.updated_at",
    )
    .bind(key)
    .bind(value)
    .bind(actor.map(|a| a.0))
    .bind(now())
    .execute(conn)
    .await?;
    Ok(())
}

/// Stores a change made by `actor` and audits it with the previous value (nothing is
/// audited when the value did not change). The caller has checked the permission.
pub async fn save_audited(
    conn: &mut AnyConnection,
    key: &'static str,
    value: String,
    actor: UserId,
) -> AppResult<()> {
    let before = read(conn, key).await?;
    write(conn, key, &value, Some(actor)).await?;
    if before.as_deref() != Some(value.as_str()) {
        record(
            conn,
            Some(actor),
            Change::new("settings", 0, "update")
                .on_field(key)
                .values(before, Some(value)),
        )
        .await?;
    }
    Ok(())
}
