//! Tags and groups of customers: created on first use, replaced as a whole on save.

use crate::customers::model::*;
use crate::db::{now, Db, Row};
use crate::error::AppResult;
use crate::ids::CustomerId;
use sqlx::AnyConnection;

pub(crate) async fn ensure_tags(conn: &mut AnyConnection, names: &[String]) -> AppResult<Vec<i64>> {
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let existing = sqlx::query("SELECT id FROM tags WHERE LOWER(name) = LOWER($1)")
            .bind(name)
            .fetch_optional(&mut *conn)
            .await?;
        let id: i64 = match existing {
            Some(r) => r.try_get("id")?,
            None => sqlx::query("INSERT INTO tags (name, color) VALUES ($1, $2) RETURNING id")
                .bind(name)
                .bind(tag_color(name))
                .fetch_one(&mut *conn)
                .await?
                .try_get("id")?,
        };
        ids.push(id);
    }
    Ok(ids)
}

/// A stable colour per tag name, from a palette readable in both themes.
fn tag_color(name: &str) -> &'static str {
    const PALETTE: [&str; 8] = [
        "#2563eb", "#059669", "#d97706", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#4b5563",
    ];
    let h = name
        .bytes()
        .fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(b as usize));
    PALETTE[h % PALETTE.len()]
}

/// The `name`s a query for one customer answers, joined as the audit log shows them.
async fn joined_names(conn: &mut AnyConnection, sql: &str, id: CustomerId) -> AppResult<String> {
    let rows = sqlx::query(sql).bind(id.0).fetch_all(&mut *conn).await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get::<String, _>("name"))
        .collect::<Result<Vec<_>, _>>()?
        .join(", "))
}

pub(crate) async fn tag_names(conn: &mut AnyConnection, id: CustomerId) -> AppResult<String> {
    joined_names(
        conn,
        "SELECT t.name FROM tags t JOIN customer_tags ct ON ct.tag_id = t.id WHERE ct.customer_id = $1 ORDER BY t.name",
        id,
    )
    .await
}

pub(super) async fn replace_tags(
    conn: &mut AnyConnection,
    id: CustomerId,
    names: &[String],
) -> AppResult<()> {
    let tag_ids = ensure_tags(conn, names).await?;
    sqlx::query("DELETE FROM customer_tags WHERE customer_id = $1")
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    for tag in tag_ids {
        sqlx::query("INSERT INTO customer_tags (customer_id, tag_id) VALUES ($1, $2)")
            .bind(id.0)
            .bind(tag)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub(super) async fn group_names(conn: &mut AnyConnection, id: CustomerId) -> AppResult<String> {
    joined_names(
        conn,
        "SELECT g.name FROM customer_groups g JOIN customer_group_members m ON m.group_id = g.id \
         WHERE m.customer_id = $1 ORDER BY g.name",
        id,
    )
    .await
}

/// Replaces the customer's groups, creating unknown ones (matched case-insensitively).
pub(super) async fn replace_groups(
    conn: &mut AnyConnection,
    id: CustomerId,
    names: &[String],
) -> AppResult<()> {
    sqlx::query("DELETE FROM customer_group_members WHERE customer_id = $1")
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    for name in names {
        let existing = sqlx::query("SELECT id FROM customer_groups WHERE LOWER(name) = LOWER($1)")
            .bind(name)
            .fetch_optional(&mut *conn)
            .await?;
        let group: i64 = match existing {
            Some(r) => r.try_get("id")?,
            None => sqlx::query(
                "INSERT INTO customer_groups (name, created_at) VALUES ($1, $2) RETURNING id",
            )
            .bind(name)
            .bind(now())
            .fetch_one(&mut *conn)
            .await?
            .try_get("id")?,
        };
        sqlx::query("INSERT INTO customer_group_members (customer_id, group_id) VALUES ($1, $2)")
            .bind(id.0)
            .bind(group)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Group {
    pub id: i64,
    pub name: String,
}

pub async fn list_groups(db: &Db) -> AppResult<Vec<Group>> {
    sqlx::query("SELECT id, name FROM customer_groups ORDER BY name")
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(Group {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
            })
        })
        .collect()
}

pub async fn list_tags(db: &Db) -> AppResult<Vec<Tag>> {
    let rows = sqlx::query("SELECT id, name, color FROM tags ORDER BY name")
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Tag {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                color: r.try_get("color")?,
            })
        })
        .collect()
}
