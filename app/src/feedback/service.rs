//! Forms, versions, personal links, answers and their analysis. Answers are stored by
//! [`store_batch`], which the public page reaches through the group-commit writer
//! (`feedback::writer`): many answers share one durable commit.

use super::model::*;
use crate::audit::service::{record, Change};
use crate::auth::permissions::{
    customer_visibility, may_manage_forms, may_read_feedback_comments, may_see_feedback,
    may_send_feedback_links,
};
use crate::auth::{CurrentUser, Role};
use crate::complaints::service as complaints;
use crate::db::{now, Db, Row, SqlBuilder, SqlValue};
use crate::error::{AppError, AppResult};
use crate::i18n::{Key, Lang};
use crate::ids::{CustomerId, UserId};
use sqlx::AnyConnection;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

const LINK_SECRET_KEY: &str = "feedback.link_secret";
/// Personal links made in one request (a segment's members).
pub const MAX_LINKS_PER_REQUEST: usize = 5_000;
/// Comments listed on the analysis page.
const COMMENTS_SHOWN: usize = 100;

// ---------------------------------------------------------------------------------------
// Forms and versions

fn parse_definition(json: &str) -> AppResult<FormDefinition> {
    serde_json::from_str(json).map_err(|e| {
        tracing::error!(error = %e, "stored form definition does not parse");
        AppError::Internal
    })
}

/// Which database a cached value belongs to (a process may use several, as the tests do).
fn database_key(db: &Db) -> String {
    format!("{:?}", db.pool.connect_options().database_url)
}

type VersionKey = (String, i64, i64);

/// Versions never change once written, so each is parsed once per process and database.
fn version_cache() -> &'static Mutex<HashMap<VersionKey, Arc<FormDefinition>>> {
    static CACHE: OnceLock<Mutex<HashMap<VersionKey, Arc<FormDefinition>>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// One version of a form's definition.
/// How long after a form is edited an answer to the version it replaced is still taken: a
/// visitor who opened the page before the edit may still send it.
pub const REPLACED_VERSION_GRACE_SECS: i64 = 24 * 3600;

/// The version an answer is checked against: the one the visitor says they saw (`_v`) if
/// it is the current one, or the one the current edit replaced less than
/// [`REPLACED_VERSION_GRACE_SECS`] ago; otherwise the current version. So no old version
/// can be answered at will.
pub async fn answerable_version(
    db: &Db,
    form_id: i64,
    current: i64,
    seen: Option<i64>,
) -> AppResult<i64> {
    let Some(seen) = seen.filter(|v| *v < current && *v >= 1) else {
        return Ok(current);
    };
    let replaced_at: Option<i64> = sqlx::query_scalar(
        "SELECT created_at FROM feedback_form_versions WHERE form_id = $1 AND version = $2",
    )
    .bind(form_id)
    .bind(seen + 1)
    .fetch_optional(&db.pool)
    .await?;
    Ok(match replaced_at {
        Some(at) if seen + 1 == current && now() - at < REPLACED_VERSION_GRACE_SECS => seen,
        _ => current,
    })
}

pub async fn definition(
    db: &Db,
    form_id: i64,
    version: i64,
) -> AppResult<Option<Arc<FormDefinition>>> {
    let cache_key = (database_key(db), form_id, version);
    if let Some(def) = version_cache()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&cache_key)
    {
        return Ok(Some(def.clone()));
    }
    let row = sqlx::query(
        "SELECT definition_json FROM feedback_form_versions WHERE form_id = $1 AND version = $2",
    )
    .bind(form_id)
    .bind(version)
    .fetch_optional(&db.pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let def = Arc::new(parse_definition(
        &row.try_get::<String, _>("definition_json")?,
    )?);
    let mut cache = version_cache().lock().unwrap_or_else(|e| e.into_inner());
    if cache.len() > 1_000 {
        cache.clear();
    }
    cache.insert(cache_key, def.clone());
    Ok(Some(def))
}

/// What the public page needs of a form.
#[derive(Debug, Clone)]
pub struct PublicForm {
    pub id: i64,
    pub slug: String,
    pub open: bool,
    pub version: i64,
    pub definition: Arc<FormDefinition>,
}

pub async fn public_form(db: &Db, slug: &str) -> AppResult<Option<PublicForm>> {
    let row =
        sqlx::query("SELECT id, slug, status, current_version FROM feedback_forms WHERE slug = $1")
            .bind(slug)
            .fetch_optional(&db.pool)
            .await?;
    let Some(row) = row else { return Ok(None) };
    let id: i64 = row.try_get("id")?;
    let version: i64 = row.try_get("current_version")?;
    let definition = definition(db, id, version)
        .await?
        .ok_or(AppError::Internal)?;
    Ok(Some(PublicForm {
        id,
        slug: row.try_get("slug")?,
        open: row.try_get::<String, _>("status")? == "open",
        version,
        definition,
    }))
}

pub async fn list_forms(db: &Db, actor: &CurrentUser) -> AppResult<Vec<FormSummary>> {
    if !may_see_feedback(actor) {
        return Err(AppError::Forbidden);
    }
    let rows = sqlx::query(
        "SELECT f.id, f.slug, f.status, f.current_version, v.definition_json, \
         (SELECT COUNT(*) FROM feedback_responses r WHERE r.form_id = f.id) AS responses, \
         (SELECT MAX(r.submitted_at) FROM feedback_responses r WHERE r.form_id = f.id) AS last_at \
         FROM feedback_forms f JOIN feedback_form_versions v ON v.form_id = f.id AND v.version = f.current_version \
         ORDER BY f.id",
    )
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let def = parse_definition(&r.try_get::<String, _>("definition_json")?)?;
            Ok(FormSummary {
                id: r.try_get("id")?,
                slug: r.try_get("slug")?,
                title: def.title.clone(),
                open: r.try_get::<String, _>("status")? == "open",
                version: r.try_get("current_version")?,
                questions: def.questions.len(),
                responses: r.try_get("responses")?,
                last_response_at: r.try_get("last_at")?,
            })
        })
        .collect()
}

pub async fn get_form(db: &Db, actor: &CurrentUser, id: i64) -> AppResult<FormView> {
    if !may_see_feedback(actor) {
        return Err(AppError::NotFound);
    }
    let row = sqlx::query(
        "SELECT f.slug, f.status, f.current_version, \
         (SELECT COUNT(*) FROM feedback_responses r WHERE r.form_id = f.id) AS responses \
         FROM feedback_forms f WHERE f.id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let version: i64 = row.try_get("current_version")?;
    let definition = definition(db, id, version)
        .await?
        .ok_or(AppError::Internal)?;
    Ok(FormView {
        id,
        slug: row.try_get("slug")?,
        open: row.try_get::<String, _>("status")? == "open",
        version,
        definition: (*definition).clone(),
        responses: row.try_get("responses")?,
        may_manage: may_manage_forms(actor),
        may_send_links: may_send_feedback_links(actor),
    })
}

/// Creates a form, or saves an edit. A changed definition becomes a new version; answers
/// keep the version they were given for, so old answers stay readable.
pub async fn save_form(
    db: &Db,
    actor: &CurrentUser,
    id: Option<i64>,
    input: &FormInput,
) -> AppResult<i64> {
    if !may_manage_forms(actor) {
        return Err(AppError::Forbidden);
    }
    let slug = parse_slug(&input.slug).map_err(|e| AppError::Validation(vec![e]))?;
    let def = &input.definition;
    def.validate()?;
    if let Some(rule) = &def.complaint_rule {
        if let Some(assignee) = rule.assignee {
            if crate::users::service::load_assignee(db, assignee)
                .await?
                .is_none()
            {
                return Err(AppError::field("rule.assignee", Key::ErrInvalidChoice));
            }
        }
    }
    let json = serde_json::to_string(def).map_err(|_| AppError::Internal)?;
    let status = if input.open { "open" } else { "closed" };
    let t = now();
    let mut tx = db.begin_write().await?;
    let taken = sqlx::query("SELECT id FROM feedback_forms WHERE slug = $1")
        .bind(&slug)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get::<i64, _>("id"))
        .transpose()?;
    if taken.is_some() && taken != id {
        return Err(AppError::field("slug", Key::ErrTaken));
    }
    let form_id = match id {
        None => {
            let form_id: i64 = sqlx::query(
                "INSERT INTO feedback_forms (slug, status, current_version, created_by, created_at, updated_at) \
                 VALUES ($1, $2, 1, $3, $4, $4) RETURNING id",
            )
            .bind(&slug)
            .bind(status)
            .bind(actor.id.0)
            .bind(t)
            .fetch_one(&mut *tx)
            .await?
            .try_get("id")?;
            insert_version(&mut tx, form_id, 1, &json, actor.id, t).await?;
            record(
                &mut tx,
                Some(actor.id),
                Change {
                    entity: "feedback_form",
                    entity_id: form_id,
                    action: "create",
                    field: None,
                    before: None,
                    after: Some(slug.clone()),
                },
            )
            .await?;
            form_id
        }
        Some(form_id) => {
            let row = sqlx::query(
                "SELECT f.slug, f.status, f.current_version, v.definition_json FROM feedback_forms f \
                 JOIN feedback_form_versions v ON v.form_id = f.id AND v.version = f.current_version WHERE f.id = $1",
            )
            .bind(form_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(AppError::NotFound)?;
            let current: i64 = row.try_get("current_version")?;
            let old_json: String = row.try_get("definition_json")?;
            let old_def = parse_definition(&old_json)?;
            let mut version = current;
            if old_def != *def {
                version = current + 1;
                insert_version(&mut tx, form_id, version, &json, actor.id, t).await?;
                record(
                    &mut tx,
                    Some(actor.id),
                    Change {
                        entity: "feedback_form",
                        entity_id: form_id,
                        action: "new_version",
                        field: Some("version"),
                        before: Some(current.to_string()),
                        after: Some(version.to_string()),
                    },
                )
                .await?;
            }
            let old_slug: String = row.try_get("slug")?;
            let old_status: String = row.try_get("status")?;
            for (field, before, after) in [
                ("slug", old_slug.as_str(), slug.as_str()),
                ("status", old_status.as_str(), status),
            ] {
                if before != after {
                    record(
                        &mut tx,
                        Some(actor.id),
                        Change {
                            entity: "feedback_form",
                            entity_id: form_id,
                            action: "update",
                            field: Some(field),
                            before: Some(before.to_string()),
                            after: Some(after.to_string()),
                        },
                    )
                    .await?;
                }
            }
            sqlx::query(
                "UPDATE feedback_forms SET slug = $1, status = $2, current_version = $3, updated_at = $4 WHERE id = $5",
            )
            .bind(&slug)
            .bind(status)
            .bind(version)
            .bind(t)
            .bind(form_id)
            .execute(&mut *tx)
            .await?;
            form_id
        }
    };
    tx.commit().await?;
    Ok(form_id)
}

async fn insert_version(
    conn: &mut AnyConnection,
    form_id: i64,
    version: i64,
    json: &str,
    actor: UserId,
    t: i64,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO feedback_form_versions (form_id, version, definition_json, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(form_id)
    .bind(version)
    .bind(json)
    .bind(actor.0)
    .bind(t)
    .execute(conn)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Personal links: `<id>.<signature>`, the signature an HMAC of the link's id, form and
// customer under a secret kept in the database (so every app server checks the same way).

async fn link_secret(db: &Db) -> AppResult<Vec<u8>> {
    static SECRET: OnceLock<Mutex<HashMap<String, Vec<u8>>>> = OnceLock::new();
    let cache_key = database_key(db);
    if let Some(s) = SECRET
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&cache_key)
    {
        return Ok(s.clone());
    }
    let mut fresh = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut fresh);
    sqlx::query(
        "INSERT INTO settings (key, value, updated_by, updated_at) VALUES ($1, $2, NULL, $3) \
         ON CONFLICT (key) DO NOTHING",
    )
    .bind(LINK_SECRET_KEY)
    .bind(hex::encode(fresh))
    .bind(now())
    .execute(&db.pool)
    .await?;
    let stored: String = sqlx::query("SELECT value FROM settings WHERE key = $1")
        .bind(LINK_SECRET_KEY)
        .fetch_one(&db.pool)
        .await?
        .try_get("value")?;
    let secret = hex::decode(stored).map_err(|_| AppError::Internal)?;
    SECRET
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(cache_key, secret.clone());
    Ok(secret)
}

type LinkMac = hmac::Hmac<sha2::Sha256>;

/// HMAC-SHA256 over the link's identity (RustCrypto `hmac`).
fn link_mac(secret: &[u8], link_id: i64, form_id: i64, customer_id: i64) -> LinkMac {
    use hmac::Mac;
    let mut mac = LinkMac::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(format!("feedback-link:{link_id}:{form_id}:{customer_id}").as_bytes());
    mac
}

/// The signature part of a token: the first 16 bytes of the MAC, in hex.
fn signature(secret: &[u8], link_id: i64, form_id: i64, customer_id: i64) -> String {
    use hmac::Mac;
    let tag = link_mac(secret, link_id, form_id, customer_id)
        .finalize()
        .into_bytes();
    hex::encode(&tag[..16])
}

/// Checks a token's signature in constant time (`Mac::verify_truncated_left`).
fn signature_matches(
    secret: &[u8],
    link_id: i64,
    form_id: i64,
    customer_id: i64,
    sig: &str,
) -> bool {
    use hmac::Mac;
    match hex::decode(sig) {
        Ok(bytes) if bytes.len() == 16 => link_mac(secret, link_id, form_id, customer_id)
            .verify_truncated_left(&bytes)
            .is_ok(),
        _ => false,
    }
}

/// A personal link, once its token checks out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkClaim {
    pub link_id: i64,
    pub customer_id: CustomerId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkProblem {
    /// Malformed, forged, or for another form: treated as no such link.
    Invalid,
    Expired,
    Used,
}

/// Checks a personal-link token for a form.
pub async fn resolve_link(
    db: &Db,
    form_id: i64,
    token: &str,
) -> AppResult<Result<LinkClaim, LinkProblem>> {
    let Some((id, sig)) = token.split_once('.') else {
        return Ok(Err(LinkProblem::Invalid));
    };
    let Ok(link_id) = id.parse::<i64>() else {
        return Ok(Err(LinkProblem::Invalid));
    };
    let row = sqlx::query(
        "SELECT form_id, customer_id, expires_at, used_at FROM feedback_links WHERE id = $1",
    )
    .bind(link_id)
    .fetch_optional(&db.pool)
    .await?;
    let Some(row) = row else {
        return Ok(Err(LinkProblem::Invalid));
    };
    let link_form: i64 = row.try_get("form_id")?;
    let customer: i64 = row.try_get("customer_id")?;
    let secret = link_secret(db).await?;
    if link_form != form_id || !signature_matches(&secret, link_id, link_form, customer, sig) {
        return Ok(Err(LinkProblem::Invalid));
    }
    if row.try_get::<Option<i64>, _>("used_at")?.is_some() {
        return Ok(Err(LinkProblem::Used));
    }
    if row
        .try_get::<Option<i64>, _>("expires_at")?
        .is_some_and(|e| now() > e)
    {
        return Ok(Err(LinkProblem::Expired));
    }
    Ok(Ok(LinkClaim {
        link_id,
        customer_id: CustomerId(customer),
    }))
}

/// Makes personal links for one customer or for every member of a segment the actor may
/// see. Returns how many were made.
pub async fn create_links(
    db: &Db,
    actor: &CurrentUser,
    form_id: i64,
    request: &LinkRequest,
) -> AppResult<usize> {
    if !may_send_feedback_links(actor) {
        return Err(AppError::Forbidden);
    }
    get_form(db, actor, form_id).await?;
    let expires_at = match request.expires_on.trim() {
        "" => None,
        raw => {
            let day = crate::dates::parse_date(raw)
                .ok_or_else(|| AppError::field("expires_on", Key::ErrInvalidDate))?;
            let end = (day + 1) * 86_400 - 1;
            if end < now() {
                return Err(AppError::field("expires_on", Key::FbErrExpiryPast));
            }
            Some(end)
        }
    };
    let mut q = SqlBuilder::new("SELECT c.id FROM customers c WHERE 1 = 1");
    customer_visibility(actor, &mut q);
    match (request.customer_id.trim(), request.segment_id.trim()) {
        (c, "") if !c.is_empty() => {
            let id: i64 = c
                .parse()
                .map_err(|_| AppError::field("customer_id", Key::ErrInvalidChoice))?;
            q.push(" AND c.id = ").bind(SqlValue::Int(id));
        }
        ("", s) if !s.is_empty() => {
            let id: i64 = s
                .parse()
                .map_err(|_| AppError::field("segment_id", Key::ErrInvalidChoice))?;
            let rule = crate::segments::service::checked_rule_of(db, actor, id)
                .await
                .map_err(|e| match e {
                    AppError::NotFound => AppError::field("segment_id", Key::ErrInvalidChoice),
                    other => other,
                })?;
            let ctx = crate::segments::service::eval_context(db).await?;
            crate::segments::sql::push_rule(&mut q, &rule, &ctx);
        }
        _ => return Err(AppError::field("customer_id", Key::FbErrLinkTarget)),
    }
    q.push(" ORDER BY c.id");
    let customers: Vec<i64> = q
        .query()
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<Result<_, _>>()?;
    if customers.is_empty() {
        return Err(AppError::field("customer_id", Key::FbErrNoRecipients));
    }
    if customers.len() > MAX_LINKS_PER_REQUEST {
        return Err(AppError::field("segment_id", Key::FbErrTooManyLinks));
    }
    let t = now();
    let mut tx = db.begin_write().await?;
    for c in &customers {
        sqlx::query(
            "INSERT INTO feedback_links (form_id, customer_id, expires_at, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(form_id)
        .bind(c)
        .bind(expires_at)
        .bind(actor.id.0)
        .bind(t)
        .execute(&mut *tx)
        .await?;
    }
    record(
        &mut tx,
        Some(actor.id),
        Change {
            entity: "feedback_form",
            entity_id: form_id,
            action: "personal_links",
            field: None,
            before: None,
            after: Some(customers.len().to_string()),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(customers.len())
}

/// The personal links of a form, newest first, for customers the actor may see.
pub async fn list_links(db: &Db, actor: &CurrentUser, form_id: i64) -> AppResult<Vec<LinkView>> {
    if !may_send_feedback_links(actor) {
        return Err(AppError::NotFound);
    }
    let form = get_form(db, actor, form_id).await?;
    let mut q = SqlBuilder::new(
        "SELECT l.id, l.customer_id, l.expires_at, l.used_at, c.name FROM feedback_links l \
         JOIN customers c ON c.id = l.customer_id WHERE l.form_id = ",
    );
    q.bind(SqlValue::Int(form_id));
    customer_visibility(actor, &mut q);
    q.push(" ORDER BY l.id DESC LIMIT 200");
    let secret = link_secret(db).await?;
    q.query()
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| {
            let id: i64 = r.try_get("id")?;
            let customer: i64 = r.try_get("customer_id")?;
            Ok(LinkView {
                id,
                customer_id: CustomerId(customer),
                customer_name: r.try_get("name")?,
                path: format!(
                    "/f/{}?t={id}.{}",
                    form.slug,
                    signature(&secret, id, form_id, customer)
                ),
                expires_at: r.try_get("expires_at")?,
                used_at: r.try_get("used_at")?,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Answers

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

fn answers_json(answers: &Answers) -> String {
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
        };
        complaints::open_from_answer(conn, answer, rule).await?;
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

// ---------------------------------------------------------------------------------------
// Analysis

/// Rows the actor's figures cover: admins and viewers all answers; managers the answers
/// of customers they may see.
fn push_response_scope(actor: &CurrentUser, q: &mut SqlBuilder) {
    if !matches!(actor.role, Role::Admin | Role::Viewer) {
        q.push(" AND c.id IS NOT NULL");
        customer_visibility(actor, q);
    }
}

async fn push_filter(
    db: &Db,
    actor: &CurrentUser,
    filter: &AnalysisFilter,
    q: &mut SqlBuilder,
) -> AppResult<()> {
    push_response_scope(actor, q);
    if let Some(form) = filter.form_id {
        q.push(" AND r.form_id = ").bind(SqlValue::Int(form));
    }
    if !filter.from.trim().is_empty() {
        let day = crate::dates::parse_date(filter.from.trim())
            .ok_or_else(|| AppError::field("from", Key::ErrInvalidDate))?;
        q.push(" AND r.submitted_at >= ")
            .bind(SqlValue::Int(day * 86_400));
    }
    if !filter.to.trim().is_empty() {
        let day = crate::dates::parse_date(filter.to.trim())
            .ok_or_else(|| AppError::field("to", Key::ErrInvalidDate))?;
        q.push(" AND r.submitted_at < ")
            .bind(SqlValue::Int((day + 1) * 86_400));
    }
    if let Some(owner) = filter.owner_id {
        q.push(" AND c.owner_id = ").bind(SqlValue::Int(owner));
    }
    if let Some(team) = filter.team_id {
        q.push(" AND c.team_id = ").bind(SqlValue::Int(team));
    }
    if let Some(segment) = filter.segment_id {
        let rule = crate::segments::service::checked_rule_of(db, actor, segment)
            .await
            .map_err(|e| match e {
                AppError::NotFound => AppError::field("segment", Key::ErrInvalidChoice),
                other => other,
            })?;
        let ctx = crate::segments::service::eval_context(db).await?;
        q.push(" AND c.id IS NOT NULL");
        crate::segments::sql::push_rule(q, &rule, &ctx);
    }
    Ok(())
}

fn month_of(ts: i64) -> String {
    let (y, m, _) = crate::dates::civil_from_days(ts.div_euclid(86_400));
    format!("{y:04}-{m:02}")
}

/// Counts per month, summed; NPS and CSAT follow from them.
#[derive(Default)]
struct ScoreCounts {
    responses: i64,
    promoters: i64,
    detractors: i64,
    nps_answers: i64,
    satisfied: i64,
    csat_answers: i64,
}

impl ScoreCounts {
    fn add(&mut self, other: &ScoreCounts) {
        self.responses += other.responses;
        self.promoters += other.promoters;
        self.detractors += other.detractors;
        self.nps_answers += other.nps_answers;
        self.satisfied += other.satisfied;
        self.csat_answers += other.csat_answers;
    }
    fn passives(&self) -> i64 {
        self.nps_answers - self.promoters - self.detractors
    }
    fn nps(&self) -> Option<i64> {
        nps_from_counts(self.promoters, self.passives(), self.detractors)
    }
    fn csat(&self) -> Option<i64> {
        percent_of(self.satisfied, self.csat_answers)
    }
}

/// The figures of the analysis page. Counts are aggregated by the database per day (then
/// folded into months here); only the chosen form's answers are read for the per-question
/// distributions, and only the newest matching comments.
pub async fn analysis(
    db: &Db,
    actor: &CurrentUser,
    filter: &AnalysisFilter,
) -> AppResult<Analysis> {
    if !may_see_feedback(actor) {
        return Err(AppError::Forbidden);
    }
    let read_comments = may_read_feedback_comments(actor);
    let mut out = Analysis {
        may_read_comments: read_comments,
        ..Default::default()
    };

    let mut q = SqlBuilder::new(
        "SELECT CAST(r.submitted_at / 86400 AS BIGINT) AS day, COUNT(*) AS n, \
         CAST(SUM(CASE WHEN r.nps >= 9 THEN 1 ELSE 0 END) AS BIGINT) AS promoters, \
         CAST(SUM(CASE WHEN r.nps <= 6 THEN 1 ELSE 0 END) AS BIGINT) AS detractors, \
         CAST(SUM(CASE WHEN r.nps IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS nps_n, \
         CAST(SUM(CASE WHEN r.csat >= 4 THEN 1 ELSE 0 END) AS BIGINT) AS satisfied, \
         CAST(SUM(CASE WHEN r.csat IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS csat_n \
         FROM feedback_responses r LEFT JOIN customers c ON c.id = r.customer_id WHERE 1 = 1",
    );
    push_filter(db, actor, filter, &mut q).await?;
    q.push(" GROUP BY 1");
    let mut months: std::collections::BTreeMap<String, ScoreCounts> = Default::default();
    let mut total = ScoreCounts::default();
    for r in q.query().fetch_all(&db.pool).await? {
        let count =
            |name: &str| -> AppResult<i64> { Ok(r.try_get::<Option<i64>, _>(name)?.unwrap_or(0)) };
        let day = ScoreCounts {
            responses: count("n")?,
            promoters: count("promoters")?,
            detractors: count("detractors")?,
            nps_answers: count("nps_n")?,
            satisfied: count("satisfied")?,
            csat_answers: count("csat_n")?,
        };
        total.add(&day);
        months
            .entry(month_of(r.try_get::<i64, _>("day")? * 86_400))
            .or_default()
            .add(&day);
    }
    out.responses = total.responses;
    out.promoters = total.promoters;
    out.detractors = total.detractors;
    out.passives = total.passives();
    out.nps = total.nps();
    out.csat = total.csat();
    out.csat_answers = total.csat_answers;
    out.by_month = months
        .into_iter()
        .map(|(month, m)| MonthPoint {
            month,
            responses: m.responses,
            nps: m.nps(),
            csat: m.csat(),
        })
        .collect();

    if let Some(form) = filter.form_id {
        let version: Option<i64> =
            sqlx::query("SELECT current_version FROM feedback_forms WHERE id = $1")
                .bind(form)
                .fetch_optional(&db.pool)
                .await?
                .map(|r| r.try_get("current_version"))
                .transpose()?;
        let current = match version {
            Some(v) => definition(db, form, v).await?,
            None => None,
        };
        if let Some(def) = current {
            out.questions = question_stats(db, actor, filter, form, &def, read_comments).await?;
        }
    }

    if read_comments {
        let mut q = SqlBuilder::new(
            "SELECT r.id, r.submitted_at, r.nps, r.comment, r.customer_id, c.name AS customer_name \
             FROM feedback_responses r LEFT JOIN customers c ON c.id = r.customer_id \
             WHERE r.comment IS NOT NULL",
        );
        push_filter(db, actor, filter, &mut q).await?;
        let needle = filter.search.trim();
        if !needle.is_empty() {
            q.push(" AND LOWER(r.comment) LIKE ")
                .bind(SqlValue::Text(crate::db::like_contains(
                    &needle.to_lowercase(),
                )))
                .push(" ESCAPE '\\'");
        }
        q.push(" ORDER BY r.submitted_at DESC, r.id DESC LIMIT ")
            .bind(SqlValue::Int(COMMENTS_SHOWN as i64));
        for r in q.query().fetch_all(&db.pool).await? {
            let customer = r
                .try_get::<Option<i64>, _>("customer_id")?
                .zip(r.try_get::<Option<String>, _>("customer_name")?)
                .map(|(id, name)| (CustomerId(id), name));
            out.comments.push(CommentRow {
                response_id: r.try_get("id")?,
                at: r.try_get("submitted_at")?,
                text: r
                    .try_get::<Option<String>, _>("comment")?
                    .unwrap_or_default(),
                nps: r.try_get("nps")?,
                customer,
            });
        }
    }
    out.complaints = complaints::stats(db, actor, filter).await?;
    Ok(out)
}

/// The distribution of every question of the form's current version over the filtered
/// answers. An old answer counts towards today's question only while the question has the
/// same kind and options (choices are stored by position).
async fn question_stats(
    db: &Db,
    actor: &CurrentUser,
    filter: &AnalysisFilter,
    form: i64,
    def: &FormDefinition,
    read_comments: bool,
) -> AppResult<Vec<QuestionStats>> {
    let mut q = SqlBuilder::new(
        "SELECT r.version, r.answers_json FROM feedback_responses r \
         LEFT JOIN customers c ON c.id = r.customer_id WHERE 1 = 1",
    );
    push_filter(db, actor, filter, &mut q).await?;
    let mut versions: HashMap<i64, Option<Arc<FormDefinition>>> = HashMap::new();
    let mut per_question: HashMap<String, Vec<AnswerValue>> = HashMap::new();
    for r in q.query().fetch_all(&db.pool).await? {
        let version: i64 = r.try_get("version")?;
        let given = match versions.get(&version) {
            Some(d) => d.clone(),
            None => {
                let d = definition(db, form, version).await?;
                versions.insert(version, d.clone());
                d
            }
        };
        let Some(given) = given else { continue };
        for (key, value) in parse_answers_json(&r.try_get::<String, _>("answers_json")?) {
            let unchanged = match (given.question(&key), def.question(&key)) {
                (Some(then), Some(now)) => then.kind == now.kind && then.options == now.options,
                _ => false,
            };
            if unchanged {
                per_question.entry(key).or_default().push(value);
            }
        }
    }
    Ok(def
        .questions
        .iter()
        .filter(|q| read_comments || !matches!(q.kind, QuestionKind::Text | QuestionKind::Email))
        .map(|q| {
            let given = per_question.get(&q.key).map(Vec::as_slice).unwrap_or(&[]);
            let refs: Vec<&AnswerValue> = given.iter().collect();
            QuestionStats {
                key: q.key.clone(),
                label: q.label.clone(),
                kind: q.kind,
                answered: given.len() as i64,
                buckets: distribution(q, &refs),
            }
        })
        .collect())
}

pub async fn analysis_options(db: &Db, actor: &CurrentUser) -> AppResult<AnalysisOptions> {
    if !may_see_feedback(actor) {
        return Err(AppError::Forbidden);
    }
    let forms = list_forms(db, actor)
        .await?
        .into_iter()
        .map(|f| (f.id, f.title))
        .collect();
    let segments = if crate::auth::permissions::may_list_customers(actor) {
        crate::segments::service::list(db, actor)
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect()
    } else {
        Vec::new()
    };
    let staff = crate::users::service::list_staff(db, actor)
        .await
        .unwrap_or_default();
    let owners = staff
        .iter()
        .filter(|s| s.role.is_manager())
        .map(|s| (s.id.0, s.name.clone()))
        .collect();
    let teams = crate::users::service::list_teams(db)
        .await?
        .into_iter()
        .map(|t| (t.id.0, t.name))
        .collect();
    Ok(AnalysisOptions {
        forms,
        segments,
        owners,
        teams,
    })
}

/// Answers per owner of the answering customers, with the counts NPS and CSAT need; the
/// caller adds its conditions and ` GROUP BY c.owner_id`.
pub const OWNER_SCORES_SELECT: &str = "SELECT c.owner_id, COUNT(*) AS n, \
     CAST(SUM(CASE WHEN r.nps >= 9 THEN 1 ELSE 0 END) AS BIGINT) AS promoters, \
     CAST(SUM(CASE WHEN r.nps <= 6 THEN 1 ELSE 0 END) AS BIGINT) AS detractors, \
     CAST(SUM(CASE WHEN r.nps IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS nps_n, \
     CAST(SUM(CASE WHEN r.csat >= 4 THEN 1 ELSE 0 END) AS BIGINT) AS satisfied, \
     CAST(SUM(CASE WHEN r.csat IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS csat_n \
     FROM feedback_responses r JOIN customers c ON c.id = r.customer_id WHERE 1 = 1";

/// One row of [`OWNER_SCORES_SELECT`].
pub fn owner_scores_from_row(r: &crate::db::DbRow) -> AppResult<ManagerScores> {
    let count =
        |name: &str| -> AppResult<i64> { Ok(r.try_get::<Option<i64>, _>(name)?.unwrap_or(0)) };
    let (promoters, detractors, nps_n) =
        (count("promoters")?, count("detractors")?, count("nps_n")?);
    let (satisfied, csat_n) = (count("satisfied")?, count("csat_n")?);
    Ok(ManagerScores {
        user_id: UserId(r.try_get("owner_id")?),
        responses: r.try_get("n")?,
        nps: nps_from_counts(promoters, nps_n - promoters - detractors, detractors),
        csat: percent_of(satisfied, csat_n),
    })
}

/// NPS and CSAT per owner over the answers of the customers each owns, within what the
/// actor's feedback figures cover.
pub async fn manager_scores(db: &Db, actor: &CurrentUser) -> AppResult<Vec<ManagerScores>> {
    if !may_see_feedback(actor) {
        return Err(AppError::Forbidden);
    }
    let mut q = SqlBuilder::new(OWNER_SCORES_SELECT);
    push_response_scope(actor, &mut q);
    q.push(" GROUP BY c.owner_id");
    q.query()
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(owner_scores_from_row)
        .collect()
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

/// The answers of one form under the analysis filters as CSV: one row per answer, one
/// column per question of the current version (choices by their labels), and the
/// customer where the answer came through a personal link. Not for viewers.
pub async fn export_csv(
    db: &Db,
    actor: &CurrentUser,
    filter: &AnalysisFilter,
) -> AppResult<String> {
    if !may_read_feedback_comments(actor) {
        return Err(AppError::Forbidden);
    }
    let form_id = filter
        .form_id
        .ok_or_else(|| AppError::field("form", Key::ErrRequired))?;
    let view = get_form(db, actor, form_id).await?;
    let mut q = SqlBuilder::new(
        "SELECT r.id, r.version, r.submitted_at, r.language, r.answers_json, c.external_id, c.name AS customer_name \
         FROM feedback_responses r LEFT JOIN customers c ON c.id = r.customer_id WHERE 1 = 1",
    );
    push_filter(db, actor, filter, &mut q).await?;
    q.push(" ORDER BY r.submitted_at, r.id");
    let rows = q.query().fetch_all(&db.pool).await?;
    let questions = &view.definition.questions;
    let mut csv = crate::csv_writer::CsvWriter::new();
    let mut header: Vec<String> = [
        "response_id",
        "submitted_at",
        "form_version",
        "language",
        "customer_external_id",
        "customer_name",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(
        questions
            .iter()
            .map(|q| format!("{} {}", q.key, q.label.en)),
    );
    csv.row(&header);
    for r in &rows {
        let version: i64 = r.try_get("version")?;
        let given = definition(db, form_id, version).await?;
        let answers = parse_answers_json(&r.try_get::<String, _>("answers_json")?);
        let mut line = vec![
            r.try_get::<i64, _>("id")?.to_string(),
            crate::ui::format_time(r.try_get("submitted_at")?),
            version.to_string(),
            r.try_get::<String, _>("language")?,
            r.try_get::<Option<String>, _>("external_id")?
                .unwrap_or_default(),
            r.try_get::<Option<String>, _>("customer_name")?
                .unwrap_or_default(),
        ];
        for q in questions {
            // Labels come from the version the answer was given for.
            let asked = given.as_ref().and_then(|d| d.question(&q.key)).unwrap_or(q);
            let cell = answers
                .iter()
                .find(|(k, _)| k == &q.key)
                .filter(|_| asked.kind == q.kind)
                .map(|(_, v)| answer_text(asked, v, Lang::En))
                .unwrap_or_default();
            line.push(cell);
        }
        csv.row(&line);
    }
    Ok(csv.finish())
}
