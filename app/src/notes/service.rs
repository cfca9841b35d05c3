//! The notes thread on a customer: reading it under the customer's visibility, writing
//! by those who may work on the customer, and the note a tier decision leaves.

use crate::auth::permissions::may_write_note;
use crate::auth::scope::visible_scope;
use crate::auth::CurrentUser;
use crate::db::{now, Db, Row};
use crate::error::{AppError, AppResult};
use crate::ids::{CustomerId, UserId};
use crate::notes::model::*;
use sqlx::AnyConnection;

/// Newest notes shown on the customer page.
const NOTES_SHOWN: i64 = 100;

/// The thread on a customer, for those who may see the customer.
pub async fn thread(db: &Db, actor: &CurrentUser, customer: CustomerId) -> AppResult<NotesThread> {
    let mut conn = db.pool.acquire().await?;
    let scope = visible_scope(&mut conn, actor, customer).await?;
    let rows = sqlx::query(
        "SELECT n.id, n.body, n.created_at, n.proposal_id, u.name AS author, p.direction, \
         p.from_level, p.to_level FROM customer_notes n JOIN users u ON u.id = n.author_id \
         LEFT JOIN tier_proposals p ON p.id = n.proposal_id WHERE n.customer_id = $1 \
         ORDER BY n.created_at DESC, n.id DESC LIMIT $2",
    )
    .bind(customer.0)
    .bind(NOTES_SHOWN)
    .fetch_all(&mut *conn)
    .await?;
    let notes = rows
        .iter()
        .map(|r| {
            let proposal: Option<i64> = r.try_get("proposal_id")?;
            let direction: Option<String> = r.try_get("direction")?;
            Ok(Note {
                id: r.try_get("id")?,
                author: r.try_get("author")?,
                body: r.try_get("body")?,
                created_at: r.try_get("created_at")?,
                proposal: match proposal {
                    Some(pid) => Some(NoteContext {
                        proposal_id: pid,
                        promotion: direction.as_deref().and_then(|d| match d {
                            "promotion" => Some(true),
                            "demotion" => Some(false),
                            _ => None,
                        }),
                        from_level: r
                            .try_get::<Option<i64>, _>("from_level")?
                            .unwrap_or_default(),
                        to_level: r.try_get::<Option<i64>, _>("to_level")?.unwrap_or_default(),
                    }),
                    None => None,
                },
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(NotesThread {
        notes,
        may_write: may_write_note(actor, &scope),
    })
}

/// Adds a note by someone who may work on the customer.
pub async fn add(db: &Db, actor: &CurrentUser, customer: CustomerId, body: &str) -> AppResult<i64> {
    let mut tx = db.begin_write().await?;
    let scope = visible_scope(&mut tx, actor, customer).await?;
    if !may_write_note(actor, &scope) {
        return Err(AppError::Forbidden);
    }
    let body = parse_note_body(body)?;
    let id = insert(&mut tx, customer, actor.id, None, &body, now()).await?;
    tx.commit().await?;
    Ok(id)
}

/// Writes one note on the caller's transaction; `proposal` when it comes with a tier
/// decision, whose context the thread then shows.
pub async fn insert(
    conn: &mut AnyConnection,
    customer: CustomerId,
    author: UserId,
    proposal: Option<i64>,
    body: &str,
    at: i64,
) -> AppResult<i64> {
    Ok(sqlx::query(
        "INSERT INTO customer_notes (customer_id, author_id, proposal_id, body, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(customer.0)
    .bind(author.0)
    .bind(proposal)
    .bind(body)
    .bind(at)
    .fetch_one(conn)
    .await?
    .try_get("id")?)
}
