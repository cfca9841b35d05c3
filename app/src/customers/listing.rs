//! The customer list: one keyset-paged query under the actor's visibility, with the
//! filter's own conditions and those its caller compiled (a segment, a stage).

use crate::auth::permissions::{customer_visibility, financial_visibility, may_list_customers};
use crate::auth::CurrentUser;
use crate::customers::filter::*;
use crate::customers::model::*;
use crate::db::{now, Condition, Db, DbRow, Row, SqlBuilder, SqlValue};
use crate::error::{AppError, AppResult};
use crate::i18n::Key;
use crate::ids::CustomerId;

fn list_item(r: &DbRow) -> AppResult<CustomerListItem> {
    let kind: String = r.try_get("kind")?;
    let grade: String = r.try_get("grade")?;
    Ok(CustomerListItem {
        id: CustomerId(r.try_get("id")?),
        name: r.try_get("name")?,
        kind: CustomerKind::parse(&kind).unwrap_or(CustomerKind::Person),
        email: r.try_get("email")?,
        phone: r.try_get("phone")?,
        city: r.try_get("city")?,
        level: r.try_get("level")?,
        grade: Grade::parse(&grade).unwrap_or(Grade::General),
        owner_name: r.try_get("owner_name")?,
        updated_at: r.try_get("updated_at")?,
        stage: crate::lifecycle::model::Stage::Lead,
    })
}

/// One page of the customers the actor may see. Keyset-paged (no OFFSET) and without a
/// total count, so every page costs the same at any depth.
/// One page of the customers the actor may see under `filter` and `conditions`, each a
/// condition compiled by the caller (a segment's rule, a lifecycle stage) about customer
/// `c`. The list knows no segment or stage: `filter.segment` and `filter.stage` apply only
/// through `conditions` (`segments::service::list_conditions` compiles them).
pub async fn list(
    db: &Db,
    actor: &CurrentUser,
    filter: &ParsedFilter,
    conditions: &[Condition],
) -> AppResult<CustomerPage> {
    if !may_list_customers(actor) {
        return Err(AppError::Forbidden);
    }
    let mut q = SqlBuilder::new(
        "SELECT c.id, c.name, c.kind, c.email, c.phone, c.city, c.level, c.grade, c.updated_at, \
         c.created_at, c.name_key, o.name AS owner_name FROM customers c JOIN users o ON o.id = c.owner_id WHERE 1 = 1",
    );
    customer_visibility(actor, &mut q);
    if let Some(text) = &filter.q {
        q.push(" AND c.search_text LIKE ")
            .bind(SqlValue::Text(crate::db::like_contains(text)))
            .push(" ESCAPE '\\'");
    }
    if let Some(level) = filter.level {
        q.push(" AND c.level = ").bind(SqlValue::Int(level));
    }
    if let Some(grade) = filter.grade {
        q.push(" AND c.grade = ")
            .bind(SqlValue::Text(grade.as_str().into()));
    }
    if let Some(owner) = filter.owner {
        q.push(" AND c.owner_id = ").bind(SqlValue::Int(owner.0));
    }
    if let Some(team) = filter.team {
        q.push(" AND c.team_id = ").bind(SqlValue::Int(team.0));
    }
    if let Some(tag) = filter.tag {
        q.push(" AND EXISTS (SELECT 1 FROM customer_tags ct WHERE ct.customer_id = c.id AND ct.tag_id = ")
            .bind(SqlValue::Int(tag))
            .push(")");
    }
    for (column, value) in [
        ("c.province", &filter.province),
        ("c.city", &filter.city),
        ("c.industry", &filter.industry),
        ("c.source_channel", &filter.source_channel),
    ] {
        if let Some(v) = value {
            q.push(&format!(" AND {column} = "))
                .bind(SqlValue::Text(v.clone()));
        }
    }
    if let Some(kind) = filter.kind {
        q.push(" AND c.kind = ")
            .bind(SqlValue::Text(kind.as_str().into()));
    }
    if let Some(group) = filter.group {
        q.push(" AND EXISTS (SELECT 1 FROM customer_group_members gm WHERE gm.customer_id = c.id AND gm.group_id = ")
            .bind(SqlValue::Int(group))
            .push(")");
    }
    if filter.overdue {
        // Payments are financial records: the filter never selects a customer whose
        // payments the actor may not see. Dates are ISO text, so text order is date order.
        financial_visibility(actor, &mut q);
        q.push(" AND EXISTS (SELECT 1 FROM payments p WHERE p.customer_id = c.id AND p.paid_date IS NULL AND p.due_date < ")
            .bind(SqlValue::Text(today_iso()))
            .push(")");
    }
    if filter.open_task {
        q.push(" AND EXISTS (SELECT 1 FROM tasks tk WHERE tk.customer_id = c.id AND tk.status = 'open')");
    }
    if !filter.custom.is_empty() {
        let fields = crate::custom_fields::service::active_fields(db).await?;
        push_custom_conditions(&mut q, &fields, &filter.custom)?;
    }
    for condition in conditions {
        condition(&mut q);
    }
    let (column, descending) = match filter.sort {
        SortKey::Name => ("c.name_key", false),
        SortKey::Newest => ("c.created_at", true),
        SortKey::RecentlyUpdated => ("c.updated_at", true),
    };
    if let Some(cursor) = &filter.after {
        let key = if filter.sort == SortKey::Name {
            SqlValue::Text(cursor.key.clone())
        } else {
            SqlValue::Int(
                cursor
                    .key
                    .parse()
                    .map_err(|_| AppError::field("after", Key::ErrInvalidChoice))?,
            )
        };
        let op = if descending { "<" } else { ">" };
        q.push(&format!(" AND ({column} {op} "))
            .bind(key.clone())
            .push(&format!(" OR ({column} = "))
            .bind(key)
            .push(&format!(" AND c.id {op} "))
            .bind(SqlValue::Int(cursor.id))
            .push("))");
    }
    let dir = if descending { "DESC" } else { "ASC" };
    q.push(&format!(" ORDER BY {column} {dir}, c.id {dir} LIMIT "))
        .bind(SqlValue::Int(PAGE_SIZE as i64 + 1));
    let rows = q.query().fetch_all(&db.pool).await?;
    let has_more = rows.len() > PAGE_SIZE;
    let rows = &rows[..rows.len().min(PAGE_SIZE)];
    let next_after = match (has_more, rows.last()) {
        (true, Some(last)) => {
            let key = match filter.sort {
                SortKey::Name => last.try_get::<String, _>("name_key")?,
                SortKey::Newest => last.try_get::<i64, _>("created_at")?.to_string(),
                SortKey::RecentlyUpdated => last.try_get::<i64, _>("updated_at")?.to_string(),
            };
            Some(
                Cursor {
                    key,
                    id: last.try_get("id")?,
                }
                .encode(),
            )
        }
        _ => None,
    };
    let mut items: Vec<CustomerListItem> = rows.iter().map(list_item).collect::<AppResult<_>>()?;
    let ids: Vec<i64> = items.iter().map(|c| c.id.0).collect();
    let stages = crate::lifecycle::service::stages_now(db, &ids).await?;
    for item in &mut items {
        if let Some(s) = stages.get(&item.id.0) {
            item.stage = *s;
        }
    }
    Ok(CustomerPage { items, next_after })
}

/// Today's date in UTC, ISO.
pub fn today_iso() -> String {
    let (y, m, d) = crate::dates::civil_from_days(now().div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Appends one `EXISTS` per custom field condition. Text compares case-insensitively,
/// choices exactly (index on value), numbers and dates by range on `number_value`.
fn push_custom_conditions(
    q: &mut SqlBuilder,
    fields: &[crate::custom_fields::model::CustomField],
    conditions: &[CustomCondition],
) -> AppResult<()> {
    use crate::custom_fields::model::FieldKind;
    for cond in conditions {
        let field = fields
            .iter()
            .find(|f| f.key == cond.key)
            .ok_or_else(|| AppError::field(&cond.param(), Key::ErrUnknownField))?;
        q.push(" AND EXISTS (SELECT 1 FROM custom_field_values v WHERE v.customer_id = c.id AND v.field_id = ")
            .bind(SqlValue::Int(field.id));
        match (field.kind, cond.bound) {
            (FieldKind::Text, Bound::Equals) => {
                q.push(" AND LOWER(v.value) = ")
                    .bind(SqlValue::Text(cond.value.to_lowercase()));
            }
            (FieldKind::Choice, Bound::Equals) => {
                q.push(" AND v.value = ")
                    .bind(SqlValue::Text(cond.value.clone()));
            }
            (FieldKind::Number | FieldKind::Date, Bound::Min | Bound::Max) => {
                let n = field
                    .parse_bound(&cond.value)
                    .map_err(|k| AppError::field(&cond.param(), k))?;
                let op = if cond.bound == Bound::Min { ">=" } else { "<=" };
                q.push(&format!(" AND v.number_value {op} "))
                    .bind(SqlValue::Int(n));
            }
            (FieldKind::Number | FieldKind::Date, Bound::Equals) => {
                // An exact number or date: both bounds at once.
                let n = field
                    .parse_bound(&cond.value)
                    .map_err(|k| AppError::field(&cond.param(), k))?;
                q.push(" AND v.number_value = ").bind(SqlValue::Int(n));
            }
            (FieldKind::Text | FieldKind::Choice, Bound::Min | Bound::Max) => {
                return Err(AppError::field(&cond.param(), Key::ErrInvalidChoice));
            }
        }
        q.push(")");
    }
    Ok(())
}
