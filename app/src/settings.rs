//! Admin-set configuration stored as JSON under a key in `settings`. Every feature with
//! settings (tiers, lifecycle thresholds, churn warning) reads and writes them here, and
//! saves by an admin are audited with both values.

use crate::audit::service::{record, Change};
use crate::db::{now, Row};
use crate::error::AppResult;
use crate::ids::UserId;
use sqlx::AnyConnection;

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
            Change {
                entity: "settings",
                entity_id: 0,
                action: "update",
                field: Some(key),
                before,
                after: Some(value),
            },
        )
        .await?;
    }
    Ok(())
}
