//! Answers: checked, stored once per idempotency key (with the personal link they claim
//! and the complaint a low score opens, in the same transaction), and read back as text.
//! [`store_batch`] is what the group-commit writer (`feedback::writer`) calls: many
//! answers share one durable commit.

use super::forms::definition;
use super::links::LinkClaim;
use super::model::*;
use crate::auth::CurrentUser;
use crate::complaints::service as complaints;
use crate::db::{now, Db, Row};
use crate::error::{AppError, AppResult};
use crate::i18n::{Key, Lang};
use sqlx::AnyConnection;

/// A checked answer, ready to store.
#[derive(Debug, Clone)]
pub struct Submission {
    pub form_id: i64,
    pub version: i64,
    pub idempotency_key: String,
    pub link: Option<LinkClaim>,
    pub language: Lang,
    pub answers: Answers,
    pub nps: Option<i64>,
    pub csat: Option<i64>,
    pub comment: Option<String>,
    /// The rule that fired, if any: a complaint is opened with the answer.
    pub complaint: Option<ComplaintRule>,
    pub submitted_at: i64,
}

/// An idempotency key: 8 to 64 letters, digits, dashes or underscores.
pub fn valid_idempotency_key(key: &str) -> bool {
    (8..=64).contains(&key.len())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Checks raw fields against a form version and prepares the row.
pub fn prepare(
    form_id: i64,
    version: i64,
    def: &FormDefinition,
    idempotency_key: &str,
    link: Option<LinkClaim>,
    language: Lang,
    raw: &RawFields,
) -> Result<Submission, Vec<crate::error::FieldError>> {
    if !valid_idempotency_key(idempotency_key) {
        return Err(vec![crate::error::FieldError::new(
            "_key",
            Key::ErrInvalidChoice,
        )]);
    }
    let answers = parse_answers(def, raw)?;
    Ok(Submission {
        form_id,
        version,
        idempotency_key: idempotency_key.to_string(),
        link,
        language,
        nps: first_score(def, &answers, QuestionKind::Nps),
        csat: first_score(def, &answers, QuestionKind::Csat),
        comment: comment_text(def, &answers),
        complaint: triggers_complaint(def, &answers)
            .then(|| def.complaint_rule.clone())
            .flatten(),
        answers,
        submitted_at: now(),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    New(i64),
    /// The same idempotency key was stored before: nothing new was written.
    Repeat(i64),
    /// The personal link already carries an answer.
    LinkUsed,
}

pub(super) fn answers_json(answers: &Answers) -> String {
    let map: serde_json::Map<String, serde_json::Value> = answers
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or_default()))
        .collect();
    serde_json::Value::Object(map).to_string()
}

pub fn parse_answers_json(json: &str) -> Answers {
    serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(json)
        .map(|m| {
            m.into_iter()
                .filter_map(|(k, v)| serde_json::from_value(v).ok().map(|v| (k, v)))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether an answer with this idempotency key is already stored.
pub async fn is_stored(db: &Db, form_id: i64, key: &str) -> AppResult<bool> {
    Ok(
        sqlx::query(
            "SELECT id FROM feedback_responses WHERE form_id = $1 AND idempotency_key = $2",
        )
        .bind(form_id)
        .bind(key)
        .fetch_optional(&db.pool)
        .await?
        .is_some(),
    )
}

/// Stores one answer on an open write transaction.
pub async fn store_in(conn: &mut AnyConnection, sub: &Submission) -> AppResult<Stored> {
    let inserted = sqlx::query(
        "INSERT INTO feedback_responses (form_id, version, idempotency_key, customer_id, link_id, language, \
         submitted_at, answers_json, nps, csat, comment) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(sub.form_id)
    .bind(sub.version)
    .bind(&sub.idempotency_key)
    .bind(sub.link.map(|l| l.customer_id.0))
    .bind(sub.link.map(|l| l.link_id))
    .bind(sub.language.code())
    .bind(sub.submitted_at)
    .bind(answers_json(&sub.answers))
    .bind(sub.nps)
    .bind(sub.csat)
    .bind(sub.comment.as_deref())
    .fetch_optional(&mut *conn)
    .await?;
    // Nothing inserted: either this key was stored before (a retry), or another answer
    // already holds the personal link (the unique index on `link_id`).
    let Some(row) = inserted else {
        let earlier = sqlx::query(
            "SELECT id FROM feedback_responses WHERE form_id = $1 AND idempotency_key = $2",
        )
        .bind(sub.form_id)
        .bind(&sub.idempotency_key)
        .fetch_optional(&mut *conn)
        .await?;
        return Ok(match earlier {
            Some(r) => Stored::Repeat(r.try_get("id")?),
            None => Stored::LinkUsed,
        });
    };
    let id: i64 = row.try_get("id")?;
    if let Some(link) = sub.link {
        let claimed =
            sqlx::query("UPDATE feedback_links SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
                .bind(sub.submitted_at)
                .bind(link.link_id)
                .execute(&mut *conn)
                .await?;
        if claimed.rows_affected() == 0 {
            sqlx::query("DELETE FROM feedback_responses WHERE id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
            return Ok(Stored::LinkUsed);
        }
    }
    if let Some(rule) = &sub.complaint {
        let answer = complaints::LowScoreAnswer {
            response_id: id,
            customer: sub.link.map(|l| l.customer_id),
            comment: sub.comment.as_deref(),
            submitted_at: sub.submitted_at,
            category: &rule.category,
            severity: rule.severity,
            fallback_assignee: rule.assignee,
        };
        complaints::open_from_answer(conn, answer).await?;
    }
    Ok(Stored::New(id))
}

/// Stores answers in one transaction (one durable commit for all of them). If the batch
/// fails as a whole, each answer is retried alone so one bad answer cannot lose the others.
pub async fn store_batch(db: &Db, batch: &[Submission]) -> Vec<AppResult<Stored>> {
    match store_together(db, batch).await {
        Ok(results) => results.into_iter().map(Ok).collect(),
        Err(_) if batch.len() > 1 => {
            let mut out = Vec::with_capacity(batch.len());
            for sub in batch {
                out.push(
                    store_together(db, std::slice::from_ref(sub))
                        .await
                        .map(|mut r| r.pop().unwrap_or(Stored::LinkUsed)),
                );
            }
            out
        }
        Err(e) => vec![Err(e)],
    }
}

async fn store_together(db: &Db, batch: &[Submission]) -> AppResult<Vec<Stored>> {
    let mut conn = db.pool.acquire().await?;
    let sqlite = db.engine == crate::db::Engine::Sqlite;
    // WAL with synchronous=NORMAL may lose the last commits on power loss; an answer that
    // was acknowledged must not be, so this commit waits for the disk.
    if sqlite {
        sqlx::query("PRAGMA synchronous = FULL")
            .execute(&mut *conn)
            .await?;
    }
    let result = async {
        let mut tx = if sqlite {
            sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE").await?
        } else {
            sqlx::Connection::begin(&mut *conn).await?
        };
        let mut out = Vec::with_capacity(batch.len());
        for sub in batch {
            out.push(store_in(&mut tx, sub).await?);
        }
        tx.commit().await?;
        AppResult::Ok(out)
    }
    .await;
    if sqlite {
        let _ = sqlx::query("PRAGMA synchronous = NORMAL")
            .execute(&mut *conn)
            .await;
    }
    result
}

/// Stores one answer directly (tests, tools); the public page goes through the writer.
pub async fn store(db: &Db, sub: &Submission) -> AppResult<Stored> {
    store_batch(db, std::slice::from_ref(sub))
        .await
        .pop()
        .unwrap_or(Err(AppError::Internal))
}

/// The text of an answer as staff read it (choices by their labels).
pub fn answer_text(q: &Question, value: &AnswerValue, lang: Lang) -> String {
    match value {
        AnswerValue::Number(n) => match q.kind {
            QuestionKind::Csat => usize::try_from(n - 1)
                .ok()
                .and_then(|i| CSAT_LABELS.get(i))
                .map(|k| k.text(lang).to_string())
                .unwrap_or_else(|| n.to_string()),
            _ => n.to_string(),
        },
        AnswerValue::Choices(c) => c
            .iter()
            .filter_map(|i| q.options.get(*i).map(|o| o.get(lang).to_string()))
            .collect::<Vec<_>>()
            .join(", "),
        AnswerValue::Text(t) => t.clone(),
    }
}

/// A complaint with the answers of the response that opened it, if one did.
pub async fn complaint_detail(
    db: &Db,
    actor: &CurrentUser,
    id: i64,
    lang: Lang,
) -> AppResult<crate::complaints::model::ComplaintDetail> {
    let mut detail = complaints::get(db, actor, id).await?;
    if let Some(response) = detail.complaint.response_id {
        detail.answers = response_answers(db, response, lang).await?;
    }
    Ok(detail)
}

/// A stored response's answers as (question, answer) texts.
pub async fn response_answers(
    db: &Db,
    response_id: i64,
    lang: Lang,
) -> AppResult<Vec<(String, String)>> {
    let row =
        sqlx::query("SELECT form_id, version, answers_json FROM feedback_responses WHERE id = $1")
            .bind(response_id)
            .fetch_optional(&db.pool)
            .await?;
    let Some(row) = row else {
        return Ok(Vec::new());
    };
    let def = definition(db, row.try_get("form_id")?, row.try_get("version")?).await?;
    let Some(def) = def else {
        return Ok(Vec::new());
    };
    let answers = parse_answers_json(&row.try_get::<String, _>("answers_json")?);
    Ok(def
        .questions
        .iter()
        .filter_map(|q| {
            answers
                .iter()
                .find(|(k, _)| k == &q.key)
                .map(|(_, v)| (q.label.get(lang).to_string(), answer_text(q, v, lang)))
        })
        .collect())
}
