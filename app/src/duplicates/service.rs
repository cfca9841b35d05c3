//! Finding duplicate candidates among the customers a user may see, and merging two.

use crate::audit::service::{record, Change};
use crate::auth::permissions::{
    customer_visibility, may, may_list_customers, may_merge, CustomerAction,
};
use crate::auth::scope::scope_of;
use crate::auth::CurrentUser;
use crate::customers::model::TEXT_COLUMNS;
use crate::db::{now, Db, DbRow, Row, SqlBuilder, SqlValue};
use crate::duplicates::model::*;
use crate::error::{AppError, AppResult};
use crate::i18n::Key;
use crate::ids::CustomerId;
use std::collections::{HashMap, HashSet};

/// Phone digits in portable SQL: the phone check admits only digits, `+ - ( ) .` and spaces.
const PHONE_DIGITS_SQL: &str = "REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(c.phone, ' ', ''), '-', ''), '(', ''), ')', ''), '+', ''), '.', '')";

/// Customers sharing a key (`key_sql` over alias `c`), grouped in SQL: consecutive rows
/// with the same key are one group.
async fn exact_key_groups(
    db: &Db,
    actor: &CurrentUser,
    key_sql: &str,
    min_len: i64,
) -> AppResult<Vec<Vec<CustomerId>>> {
    let mut q = SqlBuilder::new(format!(
        "SELECT c.id, {key_sql} AS k FROM customers c WHERE {key_sql} IS NOT NULL AND LENGTH({key_sql}) >= "
    ));
    q.bind(SqlValue::Int(min_len));
    customer_visibility(actor, &mut q);
    q.push(&format!(
        " AND {key_sql} IN (SELECT {key_sql} FROM customers c WHERE {key_sql} IS NOT NULL"
    ));
    customer_visibility(actor, &mut q);
    q.push(&format!(
        " GROUP BY {key_sql} HAVING COUNT(*) > 1 ORDER BY {key_sql} LIMIT "
    ))
    .bind(SqlValue::Int(PAIR_CAP as i64))
    .push(") ORDER BY k, c.id");
    let rows = q.query().fetch_all(&db.pool).await?;
    let mut groups: Vec<Vec<CustomerId>> = Vec::new();
    let mut last: Option<String> = None;
    for r in rows {
        let key: String = r.try_get("k")?;
        let id = CustomerId(r.try_get("id")?);
        if last.as_deref() == Some(key.as_str()) {
            if let Some(g) = groups.last_mut() {
                g.push(id);
            }
        } else {
            groups.push(vec![id]);
            last = Some(key);
        }
    }
    Ok(groups)
}

fn candidate(r: &DbRow) -> AppResult<DuplicateCandidate> {
    Ok(DuplicateCandidate {
        id: CustomerId(r.try_get("id")?),
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        phone: r.try_get("phone")?,
        city: r.try_get("city")?,
        owner_name: r.try_get("owner_name")?,
    })
}

/// Candidate pairs, at most [`PAIR_CAP`], each with why it matched. Only customers the
/// actor may see are considered, on both sides of every pair.
pub async fn find(db: &Db, actor: &CurrentUser) -> AppResult<DuplicateReport> {
    if !may_list_customers(actor) {
        return Err(AppError::Forbidden);
    }
    let mut found: Vec<(CustomerId, CustomerId, MatchReason)> = Vec::new();
    for (key_sql, min_len, reason) in [
        ("LOWER(c.email)", 3, MatchReason::SameEmail),
        (PHONE_DIGITS_SQL, 5, MatchReason::SamePhone),
    ] {
        for group in exact_key_groups(db, actor, key_sql, min_len).await? {
            for other in &group[1..] {
                found.push((group[0], *other, reason));
            }
        }
    }
    let mut q = SqlBuilder::new("SELECT c.id, c.name FROM customers c WHERE 1 = 1");
    customer_visibility(actor, &mut q);
    let names = q
        .query()
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| Ok((CustomerId(r.try_get("id")?), r.try_get("name")?)))
        .collect::<AppResult<Vec<(CustomerId, String)>>>()?;
    found.extend(name_pairs(&names, PAIR_CAP + 1));

    // One row per unordered pair, first reason wins (e-mail, phone, then names).
    let mut seen = HashSet::new();
    found.retain(|(a, b, _)| seen.insert(if a < b { (*a, *b) } else { (*b, *a) }));
    let capped = found.len() > PAIR_CAP;
    found.truncate(PAIR_CAP);

    let ids: Vec<CustomerId> = found
        .iter()
        .flat_map(|(a, b, _)| [*a, *b])
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut details: HashMap<CustomerId, DuplicateCandidate> = HashMap::new();
    for chunk in ids.chunks(500) {
        let mut q = SqlBuilder::new(
            "SELECT c.id, c.name, c.email, c.phone, c.city, o.name AS owner_name FROM customers c \
             JOIN users o ON o.id = c.owner_id WHERE c.id IN (",
        );
        q.bind_all(chunk.iter().map(|id| SqlValue::Int(id.0)));
        q.push(")");
        customer_visibility(actor, &mut q);
        for r in q.query().fetch_all(&db.pool).await? {
            let c = candidate(&r)?;
            details.insert(c.id, c);
        }
    }
    let pairs = found
        .into_iter()
        .filter_map(|(a, b, reason)| {
            Some(DuplicatePair {
                a: details.get(&a)?.clone(),
                b: details.get(&b)?.clone(),
                reason,
            })
        })
        .collect();
    Ok(DuplicateReport { pairs, capped })
}

/// Tables whose rows simply change hands.
const MOVED_TABLES: [&str; 6] = [
    "contacts",
    "orders",
    "activities",
    "tasks",
    "payments",
    "contracts",
];

/// The profile values the survivor takes from the other customer: those empty on the
/// survivor (every customer has a name and a kind of its own), as (column, value, text).
fn profile_fills(
    s_row: &DbRow,
    o_row: &DbRow,
) -> Result<Vec<(&'static str, SqlValue, String)>, sqlx::Error> {
    let mut fills: Vec<(&'static str, SqlValue, String)> = Vec::new();
    let profile = TEXT_COLUMNS
        .into_iter()
        .filter(|c| !matches!(*c, "name" | "kind"));
    for col in profile {
        let mine: Option<String> = s_row.try_get(col)?;
        let theirs: Option<String> = o_row.try_get(col)?;
        if mine.as_deref().is_none_or(|v| v.trim().is_empty()) {
            if let Some(v) = theirs.filter(|v| !v.trim().is_empty()) {
                fills.push((col, SqlValue::Text(v.clone()), v));
            }
        }
    }
    let (mine, theirs): (Option<i64>, Option<i64>) =
        (s_row.try_get("birth_year")?, o_row.try_get("birth_year")?);
    if let (None, Some(y)) = (mine, theirs) {
        fills.push(("birth_year", SqlValue::Int(y), y.to_string()));
    }
    Ok(fills)
}

/// Merges `other` into `survivor`: moves every related record, fills empty profile fields,
/// audits, deletes `other`. One write transaction; nothing changes if any step fails.
pub async fn merge(
    db: &Db,
    actor: &CurrentUser,
    survivor: CustomerId,
    other: CustomerId,
) -> AppResult<()> {
    if survivor == other {
        return Err(AppError::field("keep", Key::ErrMergeSame));
    }
    let mut tx = db.begin_write().await?;
    let s_scope = scope_of(&mut tx, survivor)
        .await?
        .ok_or(AppError::NotFound)?;
    let o_scope = scope_of(&mut tx, other).await?.ok_or(AppError::NotFound)?;
    if !may(actor, CustomerAction::Read, &s_scope) || !may(actor, CustomerAction::Read, &o_scope) {
        return Err(AppError::NotFound);
    }
    if !may_merge(actor, &s_scope, &o_scope) {
        return Err(AppError::Forbidden);
    }
    let load = |id: CustomerId| sqlx::query("SELECT * FROM customers WHERE id = $1").bind(id.0);
    let s_row = load(survivor).fetch_one(&mut *tx).await?;
    let o_row = load(other).fetch_one(&mut *tx).await?;
    let fills = profile_fills(&s_row, &o_row)?;
    let s_name: String = s_row.try_get("name")?;
    let o_name: String = o_row.try_get("name")?;

    // A survivor with a primary contact keeps it; the other's contacts join as secondary.
    let has_primary: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM contacts WHERE customer_id = $1 AND is_primary = 1")
            .bind(survivor.0)
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
    if has_primary > 0 {
        sqlx::query("UPDATE contacts SET is_primary = 0 WHERE customer_id = $1")
            .bind(other.0)
            .execute(&mut *tx)
            .await?;
    }
    for table in MOVED_TABLES {
        sqlx::query(&format!(
            "UPDATE {table} SET customer_id = $1 WHERE customer_id = $2"
        ))
        .bind(survivor.0)
        .bind(other.0)
        .execute(&mut *tx)
        .await?;
    }
    // Set-like links: copy what the survivor lacks (its own values win), the rest goes
    // with the other customer's row.
    for (table, columns, key) in [
        ("customer_tags", "tag_id", "tag_id"),
        ("customer_group_members", "group_id", "group_id"),
        (
            "custom_field_values",
            "field_id, value, number_value",
            "field_id",
        ),
    ] {
        sqlx::query(&format!(
            "INSERT INTO {table} (customer_id, {columns}) SELECT $1, {columns} FROM {table} \
             WHERE customer_id = $2 AND {key} NOT IN (SELECT {key} FROM {table} WHERE customer_id = $3)"
        ))
        .bind(survivor.0)
        .bind(other.0)
        .bind(survivor.0)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("DELETE FROM customers WHERE id = $1")
        .bind(other.0)
        .execute(&mut *tx)
        .await?;
    crate::db::derived::forget_customer(&mut tx, other.0).await?;
    // The survivor's purchase history now includes the other customer's orders.
    crate::db::derived::orders_changed(&mut tx, &[survivor.0]).await?;
    if !fills.is_empty() {
        let mut q = SqlBuilder::new("UPDATE customers SET ");
        for (i, (col, value, _)) in fills.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push(col).push(" = ").bind(value.clone());
        }
        q.push(" WHERE id = ").bind(SqlValue::Int(survivor.0));
        q.query().execute(&mut *tx).await?;
    }
    // The search text covers e-mail, phone, external id and city, which may have been filled.
    let merged = load(survivor).fetch_one(&mut *tx).await?;
    let search_text = ["name", "email", "phone", "external_id", "city"]
        .iter()
        .map(|c| merged.try_get::<Option<String>, _>(*c))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    sqlx::query("UPDATE customers SET search_text = $1, updated_at = $2 WHERE id = $3")
        .bind(search_text)
        .bind(now())
        .bind(survivor.0)
        .execute(&mut *tx)
        .await?;

    record(
        &mut tx,
        Some(actor.id),
        Change::new("customer", survivor.0, "merge")
            .values(Some(format!("{o_name} (#{other})")), Some(s_name)),
    )
    .await?;
    for (col, _, value) in &fills {
        record(
            &mut tx,
            Some(actor.id),
            Change::new("customer", survivor.0, "merge")
                .on_field(col)
                .values(None, Some(value.clone())),
        )
        .await?;
    }
    record(
        &mut tx,
        Some(actor.id),
        Change::new("customer", other.0, "delete")
            .values(Some(o_name), Some(format!("merged into #{survivor}"))),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
