//! Forms and their versions: the builder's saves, the version an answer is checked
//! against, and the public form. Links, answers and analysis are `links.rs`,
//! `answers.rs` and `analysis.rs` beside this file.

use super::model::*;
use crate::audit::service::{record, Change};
use crate::auth::permissions::{may_manage_forms, may_see_feedback, may_send_feedback_links};
use crate::auth::CurrentUser;
use crate::db::{now, Db, Row};
use crate::error::{AppError, AppResult};
use crate::i18n::Key;
use crate::ids::UserId;
use sqlx::AnyConnection;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

// ---------------------------------------------------------------------------------------
// Forms and versions

fn parse_definition(json: &str) -> AppResult<FormDefinition> {
    serde_json::from_str(json).map_err(|e| {
        tracing::error!(error = %e, "stored form definition does not parse");
        AppError::Internal
    })
}

/// Which database a cached value belongs to (a process may use several, as the tests do).
pub(super) fn database_key(db: &Db) -> String {
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
                Change::new("feedback_form", form_id, "create").values(None, Some(slug.clone())),
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
                    Change::new("feedback_form", form_id, "new_version")
                        .on_field("version")
                        .values(Some(current.to_string()), Some(version.to_string())),
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
                        Change::new("feedback_form", form_id, "update")
                            .on_field(field)
                            .values(Some(before.to_string()), Some(after.to_string())),
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
