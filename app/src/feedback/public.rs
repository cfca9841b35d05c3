//! The public form page `/f/<slug>`: plain server-rendered HTML with a small inline style
//! and script, none of the staff app's code. It submits as an ordinary form post (so it
//! works without JavaScript) and answers with a thank-you or an error page; with
//! JavaScript it validates inline, posts in the background, and queues the answer in the
//! browser while offline. Every text it prints passes through `public_page::esc`.

use super::answers::{self, Stored};
use super::forms::{self, PublicForm};
use super::limits::RateLimiter;
use super::links::{self, LinkClaim, LinkProblem};
use super::model::*;
use super::public_page::{form_page, message_page, PageCtx, Refill, HONEYPOT, WORKER_SCRIPT};
use super::writer::Writer;
use crate::db::Db;
use crate::error::{AppError, AppResult, FieldError};
use crate::i18n::{Key, Lang, LANG_COOKIE};
use crate::request::client_address;
use crate::request::CspNonce;
use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Form, Router};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// Largest answer accepted (every text field together): room for several long free-text
/// answers in Chinese, which URL-encode at 9 bytes a character.
pub const PUBLIC_BODY_LIMIT: usize = 256 * 1024;

#[derive(Clone, Debug)]
pub struct PublicState {
    pub db: Db,
    pub writer: Writer,
    pub limiter: Arc<RateLimiter>,
    pub trusted_proxies: Arc<Vec<IpAddr>>,
}

impl PublicState {
    /// The state for a server: a writer on `db`, limits and proxies from the environment.
    pub fn new(db: Db) -> Self {
        PublicState {
            writer: Writer::spawn(db.clone()),
            db,
            limiter: Arc::new(RateLimiter::from_env()),
            trusted_proxies: Arc::new(crate::request::trusted_proxies_from_env()),
        }
    }
}

/// The page's routes with their state applied, mergeable into any router.
pub fn router<S: Clone + Send + Sync + 'static>(state: PublicState) -> Router<S> {
    Router::new()
        .route("/f/sw.js", get(service_worker))
        .route("/f/{slug}", get(show).post(submit))
        .layer(DefaultBodyLimit::max(PUBLIC_BODY_LIMIT))
        .with_state(state)
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct PageQuery {
    t: Option<String>,
    lang: Option<String>,
}

fn lang_of(explicit: Option<&str>, headers: &HeaderMap) -> Lang {
    explicit
        .and_then(Lang::parse)
        .or_else(|| {
            headers
                .get_all(header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find_map(|h| crate::request::cookie_value(h, LANG_COOKIE).and_then(Lang::parse))
        })
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or_default()
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"))
}

fn new_key() -> String {
    let mut bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    hex::encode(bytes)
}

/// `body` with its content type and caching rule.
fn typed(
    status: StatusCode,
    body: impl IntoResponse,
    content_type: &'static str,
    cache: &'static str,
) -> Response {
    let mut res = (status, body).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    res
}

fn html(status: StatusCode, body: String) -> Response {
    typed(status, body, "text/html; charset=utf-8", "no-store")
}

/// The JSON answer of a background post (the page's script), one per outcome.
fn json(
    status: StatusCode,
    outcome: &str,
    message: &str,
    errors: &[FieldError],
    lang: Lang,
) -> Response {
    let errors: serde_json::Map<String, serde_json::Value> = errors
        .iter()
        .map(|e| (e.field.clone(), e.message.text(lang).into()))
        .collect();
    let body = serde_json::json!({ "status": outcome, "message": message, "errors": errors });
    let mut res = (status, body.to_string()).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

/// A final outcome (not a form to correct), as HTML or JSON.
fn outcome(
    ctx: &PageCtx,
    as_json: bool,
    status: StatusCode,
    code: &str,
    title: &str,
    message: &str,
) -> Response {
    if as_json {
        json(status, code, message, &[], ctx.lang)
    } else {
        html(status, message_page(ctx, title, message))
    }
}

fn internal(ctx: &PageCtx, as_json: bool) -> Response {
    let text = Key::FbErrSave.text(ctx.lang);
    outcome(
        ctx,
        as_json,
        StatusCode::INTERNAL_SERVER_ERROR,
        "error",
        text,
        text,
    )
}

fn link_problem_page(ctx: &PageCtx, as_json: bool, problem: LinkProblem) -> Response {
    let (status, code, key) = match problem {
        LinkProblem::Invalid => (StatusCode::NOT_FOUND, "link_invalid", Key::FbLinkInvalid),
        LinkProblem::Expired => (StatusCode::GONE, "link_expired", Key::FbLinkExpired),
        LinkProblem::Used => (StatusCode::CONFLICT, "link_used", Key::FbLinkUsed),
    };
    let text = key.text(ctx.lang);
    outcome(ctx, as_json, status, code, text, text)
}

/// The form pages' service worker (slugs cannot contain a dot, so no form is shadowed).
async fn service_worker() -> Response {
    typed(
        StatusCode::OK,
        WORKER_SCRIPT,
        "text/javascript; charset=utf-8",
        "no-cache",
    )
}

fn nonce_of(nonce: Option<Extension<CspNonce>>) -> String {
    nonce.map(|Extension(n)| n.0).unwrap_or_default()
}

async fn show(
    State(state): State<PublicState>,
    Path(slug): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
    nonce: Option<Extension<CspNonce>>,
) -> Response {
    let ctx = PageCtx {
        lang: lang_of(query.lang.as_deref(), &headers),
        nonce: nonce_of(nonce),
        token: query.t.clone().filter(|t| !t.is_empty()),
    };
    let form = match forms::public_form(&state.db, &slug).await {
        Ok(Some(f)) => f,
        Ok(None) => {
            let text = Key::FbNotFound.text(ctx.lang);
            return html(StatusCode::NOT_FOUND, message_page(&ctx, text, text));
        }
        Err(_) => return internal(&ctx, false),
    };
    if !form.open {
        let text = Key::FbClosed.text(ctx.lang);
        return html(
            StatusCode::GONE,
            message_page(&ctx, form.definition.title.get(ctx.lang), text),
        );
    }
    if let Some(token) = &ctx.token {
        match links::resolve_link(&state.db, form.id, token).await {
            Ok(Ok(_)) => {}
            Ok(Err(problem)) => return link_problem_page(&ctx, false, problem),
            Err(_) => return internal(&ctx, false),
        }
    }
    let def = form.definition.clone();
    html(
        StatusCode::OK,
        form_page(
            &ctx,
            &form,
            &def,
            form.version,
            Refill::default(),
            &new_key(),
        ),
    )
}

fn single<'a>(raw: &'a RawFields, name: &str) -> Option<&'a str> {
    raw.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// The thank-you text of a form (its own, else the default).
fn thanks_text(ctx: &PageCtx, def: &FormDefinition) -> String {
    let t = def.thanks.get(ctx.lang);
    if t.trim().is_empty() {
        Key::FbThanksDefault.text(ctx.lang).to_string()
    } else {
        t.to_string()
    }
}

/// The answer to a body that could not be read as a form (too large, malformed).
fn unreadable(
    query: &PageQuery,
    headers: &HeaderMap,
    rejection: FormRejection,
    as_json: bool,
) -> Response {
    let ctx = PageCtx {
        lang: lang_of(query.lang.as_deref(), headers),
        nonce: String::new(),
        token: None,
    };
    let (status, key) = if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        (StatusCode::PAYLOAD_TOO_LARGE, Key::FbErrTooLarge)
    } else {
        (StatusCode::BAD_REQUEST, Key::FbErrUnreadable)
    };
    let text = key.text(ctx.lang);
    outcome(&ctx, as_json, status, "rejected", text, text)
}

/// The version an answer is checked against (the one the visitor saw, if it still
/// exists) and its definition.
async fn answered_version(
    state: &PublicState,
    form: &PublicForm,
    seen: Option<i64>,
) -> AppResult<(Arc<FormDefinition>, i64)> {
    let version = forms::answerable_version(&state.db, form.id, form.version, seen).await?;
    let def = forms::definition(&state.db, form.id, version)
        .await?
        .unwrap_or_else(|| form.definition.clone());
    let version = if Arc::ptr_eq(&def, &form.definition) {
        form.version
    } else {
        version
    };
    Ok((def, version))
}

/// The personal link the answer claims, if any; or the page to show instead (a used,
/// expired or forged link, or this very answer sent again).
async fn claim_link(
    state: &PublicState,
    ctx: &PageCtx,
    as_json: bool,
    form_id: i64,
    def: &FormDefinition,
    key: &str,
) -> Result<Option<LinkClaim>, Response> {
    let Some(token) = &ctx.token else {
        return Ok(None);
    };
    match links::resolve_link(&state.db, form_id, token).await {
        Ok(Ok(claim)) => Ok(Some(claim)),
        // A used link may be this very answer sent again (double click, retry).
        Ok(Err(LinkProblem::Used)) => match answers::is_stored(&state.db, form_id, key).await {
            Ok(true) => {
                let text = thanks_text(ctx, def);
                Err(outcome(
                    ctx,
                    as_json,
                    StatusCode::OK,
                    "repeat",
                    def.title.get(ctx.lang),
                    &text,
                ))
            }
            Ok(false) => Err(link_problem_page(ctx, as_json, LinkProblem::Used)),
            Err(_) => Err(internal(ctx, as_json)),
        },
        Ok(Err(problem)) => Err(link_problem_page(ctx, as_json, problem)),
        Err(_) => Err(internal(ctx, as_json)),
    }
}

/// A form that is open for answers, or the page that says why not (rate limited,
/// unknown, closed; a robot's answer is thanked and dropped).
async fn open_form(
    state: &PublicState,
    ctx: &PageCtx,
    as_json: bool,
    slug: &str,
    client: IpAddr,
    raw: &RawFields,
) -> Result<PublicForm, Response> {
    if !state
        .limiter
        .allow_shared(&state.db, "public_form", client, crate::db::now_precise())
        .await
    {
        let text = Key::FbRateLimited.text(ctx.lang);
        return Err(outcome(
            ctx,
            as_json,
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            text,
            text,
        ));
    }
    let form = match forms::public_form(&state.db, slug).await {
        Ok(Some(f)) => f,
        Ok(None) => {
            let text = Key::FbNotFound.text(ctx.lang);
            return Err(outcome(
                ctx,
                as_json,
                StatusCode::NOT_FOUND,
                "not_found",
                text,
                text,
            ));
        }
        Err(_) => return Err(internal(ctx, as_json)),
    };
    // Robots get the same thank-you as people, and nothing is stored.
    if single(raw, HONEYPOT).is_some_and(|v| !v.trim().is_empty()) {
        tracing::info!(form = form.id, "honeypot filled; answer discarded");
        let text = thanks_text(ctx, &form.definition);
        return Err(outcome(
            ctx,
            as_json,
            StatusCode::OK,
            "stored",
            form.definition.title.get(ctx.lang),
            &text,
        ));
    }
    if !form.open {
        let text = Key::FbClosed.text(ctx.lang);
        return Err(outcome(
            ctx,
            as_json,
            StatusCode::GONE,
            "closed",
            text,
            text,
        ));
    }
    Ok(form)
}

async fn submit(
    State(state): State<PublicState>,
    Path(slug): Path<String>,
    Query(query): Query<PageQuery>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    nonce: Option<Extension<CspNonce>>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let as_json = wants_json(&headers);
    let raw = match form {
        Ok(Form(raw)) => raw,
        Err(rejection) => return unreadable(&query, &headers, rejection, as_json),
    };
    let token = single(&raw, "_t")
        .map(str::to_string)
        .or(query.t.clone())
        .filter(|t| !t.is_empty());
    let ctx = PageCtx {
        lang: lang_of(single(&raw, "_lang").or(query.lang.as_deref()), &headers),
        nonce: nonce_of(nonce),
        token,
    };
    let peer = connect
        .map(|Extension(ConnectInfo(addr))| addr.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let client = client_address(peer, forwarded, &state.trusted_proxies);
    let form = match open_form(&state, &ctx, as_json, &slug, client, &raw).await {
        Ok(form) => form,
        Err(page) => return page,
    };
    let seen = single(&raw, "_v").and_then(|v| v.trim().parse::<i64>().ok());
    let Ok((def, version)) = answered_version(&state, &form, seen).await else {
        return internal(&ctx, as_json);
    };
    let key = single(&raw, "_key").unwrap_or_default().trim().to_string();
    let link = match claim_link(&state, &ctx, as_json, form.id, &def, &key).await {
        Ok(link) => link,
        Err(page) => return page,
    };
    let fields: RawFields = raw
        .iter()
        .filter(|(k, _)| !k.starts_with('_') && k != HONEYPOT)
        .cloned()
        .collect();
    let refill = |errors: &[FieldError], general_error: Option<Key>, key: &str| {
        form_page(
            &ctx,
            &form,
            &def,
            version,
            Refill {
                values: &fields,
                errors,
                general_error,
            },
            key,
        )
    };
    let submission = match answers::prepare(form.id, version, &def, &key, link, ctx.lang, &fields) {
        Ok(s) => s,
        Err(errors) if as_json => {
            return json(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                Key::FbErrSummary.text(ctx.lang),
                &errors,
                ctx.lang,
            );
        }
        Err(errors) => {
            let key = if answers::valid_idempotency_key(&key) {
                key.clone()
            } else {
                new_key()
            };
            return html(
                StatusCode::UNPROCESSABLE_ENTITY,
                refill(&errors, None, &key),
            );
        }
    };
    match state.writer.submit(submission).await {
        Ok(Stored::New(_)) | Ok(Stored::Repeat(_)) => {
            let text = thanks_text(&ctx, &def);
            outcome(
                &ctx,
                as_json,
                StatusCode::OK,
                "stored",
                def.title.get(ctx.lang),
                &text,
            )
        }
        Ok(Stored::LinkUsed) => link_problem_page(&ctx, as_json, LinkProblem::Used),
        Err(AppError::RateLimited) => {
            let text = Key::FbBusy.text(ctx.lang);
            outcome(
                &ctx,
                as_json,
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                text,
                text,
            )
        }
        Err(_) if !as_json => html(
            StatusCode::INTERNAL_SERVER_ERROR,
            refill(&[], Some(Key::FbErrSave), &key),
        ),
        Err(_) => internal(&ctx, as_json),
    }
}
