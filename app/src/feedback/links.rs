//! Personal links: `<id>.<signature>`, the signature an HMAC of the link's id, form and
//! customer under a secret kept in the database (so every app server checks the same way).

use super::forms::{database_key, get_form};
use super::model::*;
use crate::audit::service::{record, Change};
use crate::auth::permissions::{customer_visibility, may_send_feedback_links};
use crate::auth::CurrentUser;
use crate::db::{now, Db, Row, SqlBuilder, SqlValue};
use crate::error::{AppError, AppResult};
use crate::i18n::Key;
use crate::ids::CustomerId;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

const LINK_SECRET_KEY: &str = "feedback.link_secret";
/// Personal links made in one request (a segment's members).
pub const MAX_LINKS_PER_REQUEST: usize = 5_000;

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
        Change::new("feedback_form", form_id, "personal_links")
            .values(None, Some(customers.len().to_string())),
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

/// A QR code (SVG) of a form link. Only the module pattern is drawn; the text is not
/// embedded, so the SVG is safe to insert into the page.
pub fn qr_svg(url: &str) -> AppResult<String> {
    if url.len() > 1_000 {
        return Err(AppError::field("url", Key::ErrTooLong));
    }
    let code = qrcode::QrCode::new(url.as_bytes()).map_err(|_| AppError::Internal)?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(180, 180)
        .build())
}
