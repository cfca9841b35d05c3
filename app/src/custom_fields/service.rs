//! Custom field definitions (admin only) and customer values (stored with the customer's
//! own writes, in the same transaction).

use crate::audit::service::{record, Change};
use crate::auth::permissions::may_manage_custom_fields;
use crate::auth::CurrentUser;
use crate::custom_fields::model::*;
use crate::db::{now, Db, DbRow, Row, SqlBuilder};
use crate::error::{AppError, AppResult, FieldError};
use crate::ids::{CustomerId, UserId};
use sqlx::AnyConnection;
use std::collections::{BTreeMap, HashMap};

fn field_of(r: &DbRow) -> AppResult<CustomField> {
    let kind: String = r.try_get("kind")?;
    let choices: String = r.try_get("choices")?;
    Ok(CustomField {
        id: r.try_get("id")?,
        key: r.try_get("key")?,
        label: r.try_get("label")?,
        kind: FieldKind::parse(&kind).unwrap_or(FieldKind::Text),
        choices: choices.lines().map(str::to_string).collect(),
        position: r.try_get("position")?,
        active: r.try_get::<i64, _>("active")? == 1,
    })
}

async fn fields_where(conn: &mut AnyConnection, only_active: bool) -> AppResult<Vec<CustomField>> {
    let sql = if only_active {
        "SELECT * FROM custom_fields WHERE active = 1 ORDER BY position, id"
    } else {
        "SELECT * FROM custom_fields ORDER BY position, id"
    };
    sqlx::query(sql)
        .fetch_all(conn)
        .await?
        .iter()
        .map(field_of)
        .collect()
}

/// The fields shown on forms, filters and exports, in the admin's order.
pub async fn active_fields(db: &Db) -> AppResult<Vec<CustomField>> {
    let mut conn = db.pool.acquire().await?;
    fields_where(&mut conn, true).await
}

/// Every definition, inactive ones included: the admin page.
pub async fn all_fields(db: &Db, actor: &CurrentUser) -> AppResult<Vec<CustomField>> {
    if !may_manage_custom_fields(actor) {
        return Err(AppError::Forbidden);
    }
    let mut conn = db.pool.acquire().await?;
    fields_where(&mut conn, false).await
}

async fn audit_field(
    conn: &mut AnyConnection,
    actor: UserId,
    id: i64,
    action: &str,
    field: Option<&str>,
    before: Option<String>,
    after: Option<String>,
) -> AppResult<()> {
    record(
        conn,
        Some(actor),
        Change::new("custom_field", id, action)
            .on_optional_field(field)
            .values(before, after),
    )
    .await
}

pub async fn create_field(db: &Db, actor: &CurrentUser, draft: FieldDraft) -> AppResult<i64> {
    if !may_manage_custom_fields(actor) {
        return Err(AppError::Forbidden);
    }
    let mut tx = db.begin_write().await?;
    let taken = sqlx::query("SELECT id FROM custom_fields WHERE key = $1")
        .bind(&draft.key)
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
    if taken {
        return Err(AppError::Conflict("key".into()));
    }
    let position: i64 =
        sqlx::query("SELECT COALESCE(MAX(position), 0) + 1 AS p FROM custom_fields")
            .fetch_one(&mut *tx)
            .await?
            .try_get("p")?;
    let id: i64 = sqlx::query(
        "INSERT INTO custom_fields (key, label, kind, choices, position, active, created_at) \
         VALUES ($1, $2, $3, $4, $5, 1, $6) RETURNING id",
    )
    .bind(&draft.key)
    .bind(&draft.label)
    .bind(draft.kind.as_str())
    .bind(draft.choices.join("\n"))
    .bind(position)
    .bind(now())
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    audit_field(&mut tx, actor.id, id, "create", None, None, Some(draft.key)).await?;
    tx.commit().await?;
    Ok(id)
}

async fn label_of(conn: &mut AnyConnection, id: i64) -> AppResult<String> {
    Ok(sqlx::query("SELECT label FROM custom_fields WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(AppError::NotFound)?
        .try_get("label")?)
}

pub async fn rename_field(db: &Db, actor: &CurrentUser, id: i64, label: &str) -> AppResult<()> {
    if !may_manage_custom_fields(actor) {
        return Err(AppError::Forbidden);
    }
    let label = parse_label(label).map_err(|e| AppError::Validation(vec![e]))?;
    let mut tx = db.begin_write().await?;
    let before = label_of(&mut tx, id).await?;
    sqlx::query("UPDATE custom_fields SET label = $1 WHERE id = $2")
        .bind(&label)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit_field(
        &mut tx,
        actor.id,
        id,
        "update",
        Some("label"),
        Some(before),
        Some(label),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn set_field_active(
    db: &Db,
    actor: &CurrentUser,
    id: i64,
    active: bool,
) -> AppResult<()> {
    if !may_manage_custom_fields(actor) {
        return Err(AppError::Forbidden);
    }
    let mut tx = db.begin_write().await?;
    label_of(&mut tx, id).await?;
    sqlx::query("UPDATE custom_fields SET active = $1 WHERE id = $2")
        .bind(i64::from(active))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let action = if active { "reactivate" } else { "deactivate" };
    audit_field(&mut tx, actor.id, id, action, None, None, None).await?;
    tx.commit().await?;
    Ok(())
}

/// Swaps the field with its neighbour above (`up`) or below; at either end nothing moves.
pub async fn move_field(db: &Db, actor: &CurrentUser, id: i64, up: bool) -> AppResult<()> {
    if !may_manage_custom_fields(actor) {
        return Err(AppError::Forbidden);
    }
    let mut tx = db.begin_write().await?;
    let fields = fields_where(&mut tx, false).await?;
    let at = fields
        .iter()
        .position(|f| f.id == id)
        .ok_or(AppError::NotFound)?;
    let other = if up { at.checked_sub(1) } else { Some(at + 1) };
    if let Some(other) = other.filter(|o| *o < fields.len()) {
        // Rewrite positions densely so equal positions cannot make a swap a no-op.
        let mut order: Vec<i64> = fields.iter().map(|f| f.id).collect();
        order.swap(at, other);
        for (pos, fid) in order.iter().enumerate() {
            sqlx::query("UPDATE custom_fields SET position = $1 WHERE id = $2")
                .bind(pos as i64 + 1)
                .bind(fid)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// The submitted values checked against the active fields. Keys that are not active
/// fields are refused; fields missing from `raw` are left as they are.
pub fn check_values(
    fields: &[CustomField],
    raw: &BTreeMap<String, String>,
) -> AppResult<Vec<(CustomField, Option<StoredValue>)>> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (key, value) in raw {
        match fields.iter().find(|f| &f.key == key) {
            Some(f) => match f.parse_value(value) {
                Ok(v) => out.push((f.clone(), v)),
                Err(k) => problems.push(FieldError::new(&f.error_field(), k)),
            },
            None => problems.push(FieldError::new(
                &format!("custom.{key}"),
                crate::i18n::Key::ErrUnknownField,
            )),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(AppError::Validation(problems))
    }
}

/// Writes checked values of one customer, auditing each change as `custom.<key>`.
pub async fn save_values(
    conn: &mut AnyConnection,
    actor: UserId,
    customer: CustomerId,
    values: &[(CustomField, Option<StoredValue>)],
    audit: bool,
) -> AppResult<()> {
    for (field, value) in values {
        let before: Option<String> = sqlx::query(
            "SELECT value FROM custom_field_values WHERE customer_id = $1 AND field_id = $2",
        )
        .bind(customer.0)
        .bind(field.id)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| r.try_get("value"))
        .transpose()?;
        let after = value.as_ref().map(|v| v.text.clone());
        if before == after {
            continue;
        }
        sqlx::query("DELETE FROM custom_field_values WHERE customer_id = $1 AND field_id = $2")
            .bind(customer.0)
            .bind(field.id)
            .execute(&mut *conn)
            .await?;
        if let Some(v) = value {
            sqlx::query(
                "INSERT INTO custom_field_values (customer_id, field_id, value, number_value) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(customer.0)
            .bind(field.id)
            .bind(&v.text)
            .bind(v.number)
            .execute(&mut *conn)
            .await?;
        }
        if audit {
            let name = field.error_field();
            record(
                conn,
                Some(actor),
                Change::new("customer", customer.0, "update")
                    .on_field(&name)
                    .values(before, after),
            )
            .await?;
        }
    }
    Ok(())
}

/// One customer's values of active fields, in the admin's order (the profile card).
pub async fn customer_values(
    conn: &mut AnyConnection,
    customer: CustomerId,
) -> AppResult<Vec<CustomValue>> {
    sqlx::query(
        "SELECT f.key, f.label, v.value FROM custom_field_values v JOIN custom_fields f ON f.id = v.field_id \
         WHERE v.customer_id = $1 AND f.active = 1 ORDER BY f.position, f.id",
    )
    .bind(customer.0)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| {
        Ok(CustomValue {
            key: r.try_get("key")?,
            label: r.try_get("label")?,
            value: r.try_get("value")?,
        })
    })
    .collect()
}

/// Values of active fields for many customers, keyed by field key (for exports). The
/// caller has already decided which customers the user may see.
pub async fn values_for(
    db: &Db,
    customer_ids: &[CustomerId],
) -> AppResult<HashMap<CustomerId, BTreeMap<String, String>>> {
    let mut out: HashMap<CustomerId, BTreeMap<String, String>> = HashMap::new();
    for chunk in customer_ids.chunks(500) {
        let mut q = SqlBuilder::new(
            "SELECT v.customer_id, f.key, v.value FROM custom_field_values v \
             JOIN custom_fields f ON f.id = v.field_id WHERE f.active = 1 AND v.customer_id IN ",
        );
        let ids: Vec<i64> = chunk.iter().map(|id| id.0).collect();
        q.push_id_list(&ids);
        for r in q.query().fetch_all(&db.pool).await? {
            out.entry(CustomerId(r.try_get("customer_id")?))
                .or_default()
                .insert(r.try_get("key")?, r.try_get("value")?);
        }
    }
    Ok(out)
}
