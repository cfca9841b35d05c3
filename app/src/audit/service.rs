use crate::audit::model::{AuditEntry, AuditPage};
use crate::auth::permissions::may_read_audit_log;
use crate::auth::CurrentUser;
use crate::db::{now, Db, Row, SqlBuilder, SqlValue};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use sqlx::AnyConnection;

/// One recorded change. `field`, `before` and `after` are empty for whole-record actions.
pub struct Change<'a> {
    pub entity: &'a str,
    pub entity_id: i64,
    pub action: &'a str,
    pub field: Option<&'a str>,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl<'a> Change<'a> {
    /// A whole-record action (`create`, `delete`, `merge`…) on `entity` `entity_id`.
    pub fn new(entity: &'a str, entity_id: i64, action: &'a str) -> Self {
        Change {
            entity,
            entity_id,
            action,
            field: None,
            before: None,
            after: None,
        }
    }

    /// The field the action changed.
    pub fn on_field(self, field: &'a str) -> Self {
        Change {
            field: Some(field),
            ..self
        }
    }

    /// The field the action changed, when there is one.
    pub fn on_optional_field(self, field: Option<&'a str>) -> Self {
        Change { field, ..self }
    }

    /// The values before and after (either may be absent: a field set or cleared).
    pub fn values(self, before: Option<String>, after: Option<String>) -> Self {
        Change {
            before,
            after,
            ..self
        }
    }
}

/// Writes one entry on the given connection (normally the change's own transaction).
pub async fn record(
    conn: &mut AnyConnection,
    actor: Option<UserId>,
    change: Change<'_>,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor_id, entity, entity_id, action, field, before_value, after_value) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(now())
    .bind(actor.map(|a| a.0))
    .bind(change.entity)
    .bind(change.entity_id)
    .bind(change.action)
    .bind(change.field)
    .bind(change.before)
    .bind(change.after)
    .execute(conn)
    .await?;
    Ok(())
}

pub const PAGE_SIZE: i64 = 50;

/// Newest first; optionally only one record's entries; keyset-paged by id.
pub async fn list(
    db: &Db,
    actor: &CurrentUser,
    entity: Option<(&str, i64)>,
    before: Option<i64>,
) -> AppResult<AuditPage> {
    if !may_read_audit_log(actor) {
        return Err(AppError::Forbidden);
    }
    let mut q = SqlBuilder::new(
        "SELECT a.id, a.at, u.name AS actor_name, a.entity, a.entity_id, a.action, a.field, \
         a.before_value, a.after_value FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id WHERE 1 = 1",
    );
    if let Some((entity, id)) = entity {
        q.push(" AND a.entity = ")
            .bind(SqlValue::Text(entity.to_string()))
            .push(" AND a.entity_id = ")
            .bind(SqlValue::Int(id));
    }
    if let Some(before) = before {
        q.push(" AND a.id < ").bind(SqlValue::Int(before));
    }
    q.push(" ORDER BY a.id DESC LIMIT ")
        .bind(SqlValue::Int(PAGE_SIZE + 1));
    let rows = q.query().fetch_all(&db.pool).await?;
    let mut entries = rows
        .iter()
        .map(|r| {
            Ok(AuditEntry {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                actor_name: r.try_get("actor_name")?,
                entity: r.try_get("entity")?,
                entity_id: r.try_get("entity_id")?,
                action: r.try_get("action")?,
                field: r.try_get("field")?,
                before: r.try_get("before_value")?,
                after: r.try_get("after_value")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let next_before = if entries.len() as i64 > PAGE_SIZE {
        entries.truncate(PAGE_SIZE as usize);
        entries.last().map(|e| e.id)
    } else {
        None
    };
    Ok(AuditPage {
        entries,
        next_before,
    })
}
