//! The public form page `/f/<slug>`: plain server-rendered HTML with a small inline style
//! and script, none of the staff app's code. It submits as an ordinary form post (so it
//! works without JavaScript) and answers with a thank-you or an error page; with
//! JavaScript it validates inline, posts in the background, and queues the answer in the
//! browser while offline. Every text it prints passes through [`esc`].

use super::limits::{client_address, RateLimiter};
use super::model::*;
use super::service::{self, LinkClaim, LinkProblem, PublicForm, Stored};
use super::writer::Writer;
use crate::db::Db;
use crate::error::{AppError, FieldError};
use crate::i18n::{Key, Lang, LANG_COOKIE};
use crate::CspNonce;
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
/// The honeypot: hidden from people, filled in by form-spamming robots.
const HONEYPOT: &str = "website";

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
            trusted_proxies: Arc::new(super::limits::trusted_proxies_from_env()),
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

/// Escapes text for HTML content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
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

/// What every page needs: language, script nonce, and the token (to keep in links).
struct PageCtx {
    lang: Lang,
    nonce: String,
    token: Option<String>,
}

impl PageCtx {
    fn t(&self, key: Key) -> String {
        esc(key.text(self.lang))
    }
}

const STYLE: &str = "*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1f2937;background:#f3f4f6}\
main{max-width:40rem;margin:0 auto;padding:1rem;background:#fff;min-height:100vh}\
h1{font-size:1.5rem;margin:.5rem 0 1rem}.fb-lang{text-align:right;font-size:.9rem}.fb-lang a{color:#1d4ed8;margin-left:.5rem}\
.fb-lang a[aria-current]{font-weight:700;color:#1f2937;text-decoration:none}\
.fb-q{border:0;margin:0 0 1.5rem;padding:0}.fb-q legend,.fb-q>label{font-weight:600;display:block;margin-bottom:.5rem;padding:0}\
.fb-req{color:#b91c1c}.fb-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}\
.fb-scale{display:flex;flex-wrap:wrap;gap:.35rem}.fb-scale label{position:relative}\
.fb-scale input{position:absolute;opacity:0;width:100%;height:100%;margin:0;cursor:pointer}\
.fb-scale span{display:inline-block;min-width:2.6rem;padding:.55rem .6rem;text-align:center;border:2px solid #6b7280;border-radius:.4rem;background:#fff}\
.fb-scale input:checked+span{background:#1d4ed8;border-color:#1d4ed8;color:#fff}\
.fb-scale input:focus-visible+span{outline:3px solid #f59e0b;outline-offset:2px}\
.fb-hint{display:flex;justify-content:space-between;font-size:.85rem;color:#4b5563;margin-top:.25rem}\
.fb-q>.fb-choice{display:block;padding:.4rem 0;margin:0;font-weight:400}.fb-choice input{width:1.2rem;height:1.2rem;margin-right:.5rem;vertical-align:-.2rem}\
textarea,input[type=email]{width:100%;font:inherit;padding:.55rem;border:2px solid #6b7280;border-radius:.4rem}\
textarea:focus,input[type=email]:focus{outline:3px solid #f59e0b;outline-offset:1px}\
.fb-err{color:#b91c1c;font-weight:600;margin:.35rem 0 0}.fb-bad span,.fb-bad textarea,.fb-bad input[type=email]{border-color:#b91c1c}\
.fb-summary{border:2px solid #b91c1c;border-radius:.4rem;padding:.5rem 1rem;margin-bottom:1rem}.fb-summary a{color:#b91c1c}\
button{font:inherit;font-weight:600;padding:.7rem 1.6rem;border:0;border-radius:.4rem;background:#1d4ed8;color:#fff;cursor:pointer}\
button:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}button[disabled]{opacity:.6}\
.fb-hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}\
#fb-status{font-weight:600;margin-top:1rem}.fb-done{font-size:1.1rem}";

/// The offline queue, shared by the page and its service worker: unsent answers wait in
/// IndexedDB (which a service worker can read, unlike localStorage) and are posted in
/// order; an answer leaves the queue once the server has given a final answer (anything
/// but a network failure, 5xx or 429). The server's idempotency key makes a replay
/// harmless, so the page and the worker may both send.
macro_rules! queue_js {
    () => {
        r#"var DB='rapport-feedback',STORE='queue';
function db(){return new Promise(function(ok,no){var r=indexedDB.open(DB,1);r.onupgradeneeded=function(){r.result.createObjectStore(STORE,{keyPath:'key'})};r.onsuccess=function(){ok(r.result)};r.onerror=function(){no(r.error)}})}
function tx(mode,fn){return db().then(function(d){return new Promise(function(ok,no){var t=d.transaction(STORE,mode),req=fn(t.objectStore(STORE));t.oncomplete=function(){d.close();ok(req&&req.result)};t.onerror=function(){d.close();no(t.error)}})})}
function all(){return tx('readonly',function(s){return s.getAll()})}
function put(it){return tx('readwrite',function(s){s.put(it)})}
function del(k){return tx('readwrite',function(s){s.delete(k)})}
function post(it){return fetch(it.url,{method:'POST',headers:{'Content-Type':'application/x-www-form-urlencoded','Accept':'application/json'},body:it.body,credentials:'same-origin'}).then(function(r){if(r.status>=500||r.status===429)throw new Error('retry');return r.json().catch(function(){return{status:'error',message:''}})})}
var busy=false;
function flush(onSent){if(busy)return Promise.resolve();busy=true;
return all().then(function(a){return a.reduce(function(p,it){return p.then(function(){return post(it).then(function(j){return del(it.key).then(function(){onSent(it.key,j)})})})},Promise.resolve())}).then(function(){busy=false},function(e){busy=false;throw e})}
"#
    };
}

/// The page's script: inline validation, background posting, and the offline queue,
/// replayed by the service worker's Background Sync where the browser has it, and by the
/// page on load, on `online` and every 30 s everywhere.
const PAGE_SCRIPT: &str = concat!(
    "(function(){",
    queue_js!(),
    r#"var f=document.getElementById('fb-form'),st=document.getElementById('fb-status');
function say(t){if(st){st.textContent=t}}
var sw='serviceWorker' in navigator,idb=!!window.indexedDB;
function sent(k){if(f&&f.elements._key&&f.elements._key.value===k)say(f.dataset.sent)}
function replay(){if(idb)flush(sent).catch(function(){})}
if(sw){navigator.serviceWorker.register('/f/sw.js',{scope:'/f/'}).catch(function(){});
navigator.serviceWorker.addEventListener('message',function(e){if(e.data&&e.data.sent)sent(e.data.sent)})}
window.addEventListener('online',replay);setInterval(replay,30000);replay();
if(!f)return;var d=f.dataset;
if(window.crypto&&crypto.getRandomValues){var b=new Uint8Array(16);crypto.getRandomValues(b);f.elements._key.value=Array.prototype.map.call(b,function(x){return('0'+x.toString(16)).slice(-2)}).join('')}
function err(k,m){var e=document.getElementById('e-'+k);if(e){e.textContent=m||'';e.hidden=!m}var w=document.getElementById('q-'+k);if(w){w.classList.toggle('fb-bad',!!m)}}
function check(){var bad=null;Array.prototype.forEach.call(f.querySelectorAll('.fb-q'),function(w){var k=w.dataset.key,kind=w.dataset.kind,m='',vals=[];
Array.prototype.forEach.call(f.querySelectorAll('[name="'+k+'"]'),function(i){if((i.type==='radio'||i.type==='checkbox')?i.checked:i.value.trim())vals.push(i.value.trim())});
if(!vals.length){if(w.dataset.required==='1')m=d.errRequired}else if(kind==='email'&&!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(vals[0]))m=d.errEmail;else if(kind==='text'&&vals[0].length>4000)m=d.errLong;
err(k,m);if(m&&!bad)bad=w});if(bad){var i=bad.querySelector('input,textarea');if(i)i.focus()}return !bad}
function done(t){Array.prototype.forEach.call(document.querySelectorAll('.fb-q,.fb-summary,.fb-intro,#fb-form button'),function(e){e.hidden=true});say(t);if(st){st.className='fb-done';st.setAttribute('tabindex','-1');st.focus()}}
var btn=f.querySelector('button[type=submit]');
function queue(it){if(!idb){btn.disabled=false;say(d.errSave);return}
put(it).then(function(){if(sw&&'SyncManager' in window)return navigator.serviceWorker.ready.then(function(r){return r.sync.register('rapport-feedback')})}).catch(function(){});
done(d.queued)}
f.addEventListener('change',function(e){var w=e.target.closest('.fb-q');if(w)err(w.dataset.key,'')});
f.addEventListener('submit',function(e){e.preventDefault();if(!check())return;
var it={url:f.action,body:new URLSearchParams(new FormData(f)).toString(),key:f.elements._key.value};
if(!navigator.onLine){queue(it);return}
btn.disabled=true;say(d.sending);
post(it).then(function(j){btn.disabled=false;
if(j.status==='invalid'){Object.keys(j.errors||{}).forEach(function(k){err(k,j.errors[k])});say(j.message)}else{done(j.message)}
}).catch(function(){btn.disabled=false;queue(it)})});
})();"#
);

/// The service worker of the form pages (`/f/sw.js`, scope `/f/`): Background Sync sends
/// the queue when the connection returns, even with the page closed, and tells open pages;
/// form pages are kept so one opened before can open again offline (network first).
const WORKER_SCRIPT: &str = concat!(
    queue_js!(),
    r#"self.addEventListener('install',function(){self.skipWaiting()});
self.addEventListener('activate',function(e){e.waitUntil(self.clients.claim())});
function notify(k){return self.clients.matchAll({includeUncontrolled:true,type:'window'}).then(function(cs){cs.forEach(function(c){c.postMessage({sent:k})})})}
self.addEventListener('sync',function(e){if(e.tag==='rapport-feedback')e.waitUntil(flush(function(k){notify(k)}))});
var CACHE='rapport-forms-v1';
self.addEventListener('fetch',function(e){var r=e.request;if(r.method!=='GET'||r.mode!=='navigate')return;
e.respondWith(fetch(r).then(function(res){if(res.ok){var c=res.clone();caches.open(CACHE).then(function(x){return x.put(r,c)})}return res}).catch(function(){return caches.match(r).then(function(hit){return hit||Response.error()})}))});
"#
);

fn page(ctx: &PageCtx, title: &str, body: &str) -> String {
    let switch: String = Lang::ALL
        .iter()
        .map(|l| {
            let mut href = format!("?lang={}", l.code());
            if let Some(t) = &ctx.token {
                href.push_str("&amp;t=");
                href.push_str(&esc(t));
            }
            let current = if *l == ctx.lang {
                " aria-current=\"true\""
            } else {
                ""
            };
            format!(
                "<a href=\"{href}\" lang=\"{}\"{current}>{}</a>",
                l.code(),
                esc(l.native_name())
            )
        })
        .collect();
    format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\">\
         <title>{title}</title><style>{STYLE}</style></head><body><main>\
         <nav class=\"fb-lang\" aria-label=\"{language}\">{switch}</nav>{body}</main>\
         <script nonce=\"{nonce}\">{PAGE_SCRIPT}</script></body></html>",
        lang = ctx.lang.code(),
        title = esc(title),
        language = ctx.t(Key::Language),
        nonce = esc(&ctx.nonce),
    )
}

fn message_page(ctx: &PageCtx, title: &str, message: &str) -> String {
    page(
        ctx,
        title,
        &format!(
            "<h1>{}</h1><p class=\"fb-done\" id=\"fb-status\" role=\"status\">{}</p>",
            esc(title),
            esc(message)
        ),
    )
}

fn field_value<'a>(values: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    values
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

fn scale_inputs(q: &Question, lang: Lang, chosen: &[&str]) -> String {
    let (lo, hi) = q.kind.scale().unwrap_or((0, 0));
    let mut out = String::from("<div class=\"fb-scale\">");
    for n in lo..=hi {
        let value = n.to_string();
        let text = match q.kind {
            QuestionKind::Csat => CSAT_LABELS[(n - 1) as usize].text(lang).to_string(),
            _ => value.clone(),
        };
        let checked = if chosen.contains(&value.as_str()) {
            " checked"
        } else {
            ""
        };
        out.push_str(&format!(
            "<label><input type=\"radio\" name=\"{key}\" value=\"{value}\"{checked}><span>{}</span></label>",
            esc(&text),
            key = esc(&q.key),
        ));
    }
    out.push_str("</div>");
    let hint = match q.kind {
        QuestionKind::Nps => Some((Key::FbNpsLow, Key::FbNpsHigh)),
        QuestionKind::Rating => Some((Key::FbRatingLow, Key::FbRatingHigh)),
        _ => None,
    };
    if let Some((low, high)) = hint {
        out.push_str(&format!(
            "<div class=\"fb-hint\" aria-hidden=\"true\"><span>{}</span><span>{}</span></div>",
            esc(low.text(lang)),
            esc(high.text(lang))
        ));
    }
    out
}

fn question_html(
    q: &Question,
    lang: Lang,
    values: &[(String, String)],
    error: Option<Key>,
) -> String {
    let key = esc(&q.key);
    let required = if q.required {
        format!(
            " <span class=\"fb-req\" aria-hidden=\"true\">*</span><span class=\"fb-sr\">({})</span>",
            esc(Key::FbRequired.text(lang))
        )
    } else {
        String::new()
    };
    let label = esc(q.label.get(lang));
    let error_html = format!(
        "<p class=\"fb-err\" id=\"e-{key}\"{}>{}</p>",
        if error.is_some() { "" } else { " hidden" },
        error.map(|e| esc(e.text(lang))).unwrap_or_default()
    );
    let bad = if error.is_some() { " fb-bad" } else { "" };
    let given = field_value(values, &q.key);
    let data = format!(
        "data-key=\"{key}\" data-kind=\"{}\" data-required=\"{}\"",
        q.kind.as_str(),
        if q.required { 1 } else { 0 }
    );
    let invalid = if error.is_some() {
        " aria-invalid=\"true\""
    } else {
        ""
    };
    match q.kind {
        QuestionKind::Rating | QuestionKind::Nps | QuestionKind::Csat => format!(
            "<fieldset class=\"fb-q{bad}\" id=\"q-{key}\" {data} aria-describedby=\"e-{key}\"{invalid}>\
             <legend>{label}{required}</legend>{}{error_html}</fieldset>",
            scale_inputs(q, lang, &given)
        ),
        QuestionKind::SingleChoice | QuestionKind::MultipleChoice => {
            let kind = if q.kind == QuestionKind::SingleChoice {
                "radio"
            } else {
                "checkbox"
            };
            let options: String = q
                .options
                .iter()
                .enumerate()
                .map(|(i, o)| {
                    let value = i.to_string();
                    let checked = if given.contains(&value.as_str()) {
                        " checked"
                    } else {
                        ""
                    };
                    format!(
                        "<label class=\"fb-choice\"><input type=\"{kind}\" name=\"{key}\" value=\"{value}\"{checked}>{}</label>",
                        esc(o.get(lang))
                    )
                })
                .collect();
            format!(
                "<fieldset class=\"fb-q{bad}\" id=\"q-{key}\" {data} aria-describedby=\"e-{key}\"{invalid}>\
                 <legend>{label}{required}</legend>{options}{error_html}</fieldset>"
            )
        }
        QuestionKind::Text => format!(
            "<div class=\"fb-q{bad}\" id=\"q-{key}\" {data}><label for=\"i-{key}\">{label}{required}</label>\
             <textarea id=\"i-{key}\" name=\"{key}\" rows=\"4\" maxlength=\"{MAX_TEXT_ANSWER_CHARS}\" aria-describedby=\"e-{key}\"{invalid}>{}</textarea>{error_html}</div>",
            esc(given.first().copied().unwrap_or_default())
        ),
        QuestionKind::Email => format!(
            "<div class=\"fb-q{bad}\" id=\"q-{key}\" {data}><label for=\"i-{key}\">{label}{required}</label>\
             <input type=\"email\" id=\"i-{key}\" name=\"{key}\" autocomplete=\"email\" maxlength=\"{MAX_EMAIL_CHARS}\" value=\"{}\" aria-describedby=\"e-{key}\"{invalid}>{error_html}</div>",
            esc(given.first().copied().unwrap_or_default())
        ),
    }
}

/// A submission shown again with its problems (empty for a fresh form).
#[derive(Default)]
struct Refill<'a> {
    values: &'a [(String, String)],
    errors: &'a [FieldError],
    /// A problem not tied to one question (the answer could not be saved).
    general_error: Option<Key>,
}

/// The form, empty or refilled with a submission and its errors (same idempotency key).
fn form_page(
    ctx: &PageCtx,
    form: &PublicForm,
    def: &FormDefinition,
    version: i64,
    refill: Refill<'_>,
    key: &str,
) -> String {
    let Refill {
        values,
        errors,
        general_error,
    } = refill;
    let lang = ctx.lang;
    let mut body = format!("<h1>{}</h1>", esc(def.title.get(lang)));
    let intro = def.intro.get(lang);
    if !intro.trim().is_empty() {
        body.push_str(&format!("<p class=\"fb-intro\">{}</p>", esc(intro)));
    }
    if !errors.is_empty() || general_error.is_some() {
        body.push_str(&format!(
            "<div class=\"fb-summary\" id=\"fb-summary\" role=\"alert\"><p>{}</p><ul>",
            ctx.t(general_error.unwrap_or(Key::FbErrSummary))
        ));
        for e in errors {
            if let Some(q) = def.question(&e.field) {
                body.push_str(&format!(
                    "<li><a href=\"#q-{}\">{}: {}</a></li>",
                    esc(&q.key),
                    esc(q.label.get(lang)),
                    esc(e.message.text(lang))
                ));
            }
        }
        body.push_str("</ul></div>");
    }
    let mut action = format!("/f/{}", esc(&form.slug));
    if let Some(t) = &ctx.token {
        action.push_str("?t=");
        action.push_str(&esc(t));
    }
    body.push_str(&format!(
        "<form id=\"fb-form\" method=\"post\" action=\"{action}\" novalidate \
         data-err-required=\"{}\" data-err-email=\"{}\" data-err-long=\"{}\" data-queued=\"{}\" \
         data-sent=\"{}\" data-sending=\"{}\" data-err-save=\"{}\">\
         <input type=\"hidden\" name=\"_key\" value=\"{}\"><input type=\"hidden\" name=\"_v\" value=\"{version}\">\
         <input type=\"hidden\" name=\"_lang\" value=\"{}\">\
         <div class=\"fb-hp\" aria-hidden=\"true\"><label for=\"fb-{HONEYPOT}\">{}</label>\
         <input id=\"fb-{HONEYPOT}\" name=\"{HONEYPOT}\" type=\"text\" tabindex=\"-1\" autocomplete=\"off\"></div>",
        ctx.t(Key::ErrRequired),
        ctx.t(Key::ErrInvalidEmail),
        ctx.t(Key::ErrTooLong),
        ctx.t(Key::FbQueued),
        ctx.t(Key::FbQueuedSent),
        ctx.t(Key::FbSending),
        ctx.t(Key::FbErrSave),
        esc(key),
        lang.code(),
        ctx.t(Key::FbHoneypot),
    ));
    for q in &def.questions {
        let error = errors.iter().find(|e| e.field == q.key).map(|e| e.message);
        body.push_str(&question_html(q, lang, values, error));
    }
    body.push_str(&format!(
        "<button type=\"submit\">{}</button><p id=\"fb-status\" role=\"status\" aria-live=\"polite\"></p></form>",
        ctx.t(Key::FbSend)
    ));
    page(ctx, def.title.get(lang), &body)
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
    let form = match service::public_form(&state.db, &slug).await {
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
        match service::resolve_link(&state.db, form.id, token).await {
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
        Err(rejection) => {
            let ctx = PageCtx {
                lang: lang_of(query.lang.as_deref(), &headers),
                nonce: String::new(),
                token: None,
            };
            let (status, key) = if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                (StatusCode::PAYLOAD_TOO_LARGE, Key::FbErrTooLarge)
            } else {
                (StatusCode::BAD_REQUEST, Key::FbErrUnreadable)
            };
            let text = key.text(ctx.lang);
            return outcome(&ctx, as_json, status, "rejected", text, text);
        }
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
    if !state
        .limiter
        .allow_shared(&state.db, "public_form", client, crate::db::now_precise())
        .await
    {
        let text = Key::FbRateLimited.text(ctx.lang);
        return outcome(
            &ctx,
            as_json,
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            text,
            text,
        );
    }
    let form = match service::public_form(&state.db, &slug).await {
        Ok(Some(f)) => f,
        Ok(None) => {
            let text = Key::FbNotFound.text(ctx.lang);
            return outcome(
                &ctx,
                as_json,
                StatusCode::NOT_FOUND,
                "not_found",
                text,
                text,
            );
        }
        Err(_) => return internal(&ctx, as_json),
    };
    let thanks_text = |def: &FormDefinition| -> String {
        let t = def.thanks.get(ctx.lang);
        if t.trim().is_empty() {
            Key::FbThanksDefault.text(ctx.lang).to_string()
        } else {
            t.to_string()
        }
    };
    // Robots get the same thank-you as people, and nothing is stored.
    if single(&raw, HONEYPOT).is_some_and(|v| !v.trim().is_empty()) {
        tracing::info!(form = form.id, "honeypot filled; answer discarded");
        let text = thanks_text(&form.definition);
        return outcome(
            &ctx,
            as_json,
            StatusCode::OK,
            "stored",
            form.definition.title.get(ctx.lang),
            &text,
        );
    }
    if !form.open {
        let text = Key::FbClosed.text(ctx.lang);
        return outcome(&ctx, as_json, StatusCode::GONE, "closed", text, text);
    }
    // The answer is checked against the version the visitor saw, if it still exists.
    let seen = single(&raw, "_v").and_then(|v| v.trim().parse::<i64>().ok());
    let version = match service::answerable_version(&state.db, form.id, form.version, seen).await {
        Ok(v) => v,
        Err(_) => return internal(&ctx, as_json),
    };
    let def = match service::definition(&state.db, form.id, version).await {
        Ok(Some(d)) => d,
        Ok(None) => form.definition.clone(),
        Err(_) => return internal(&ctx, as_json),
    };
    let version = if Arc::ptr_eq(&def, &form.definition) {
        form.version
    } else {
        version
    };
    let key = single(&raw, "_key").unwrap_or_default().trim().to_string();
    let link: Option<LinkClaim> = match &ctx.token {
        None => None,
        Some(token) => match service::resolve_link(&state.db, form.id, token).await {
            Ok(Ok(claim)) => Some(claim),
            // A used link may be this very answer sent again (double click, retry).
            Ok(Err(LinkProblem::Used)) => {
                match service::is_stored(&state.db, form.id, &key).await {
                    Ok(true) => {
                        let text = thanks_text(&def);
                        return outcome(
                            &ctx,
                            as_json,
                            StatusCode::OK,
                            "repeat",
                            def.title.get(ctx.lang),
                            &text,
                        );
                    }
                    Ok(false) => return link_problem_page(&ctx, as_json, LinkProblem::Used),
                    Err(_) => return internal(&ctx, as_json),
                }
            }
            Ok(Err(problem)) => return link_problem_page(&ctx, as_json, problem),
            Err(_) => return internal(&ctx, as_json),
        },
    };
    let fields: RawFields = raw
        .iter()
        .filter(|(k, _)| !k.starts_with('_') && k != HONEYPOT)
        .cloned()
        .collect();
    let submission = match service::prepare(form.id, version, &def, &key, link, ctx.lang, &fields) {
        Ok(s) => s,
        Err(errors) => {
            if as_json {
                return json(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid",
                    Key::FbErrSummary.text(ctx.lang),
                    &errors,
                    ctx.lang,
                );
            }
            let key = if service::valid_idempotency_key(&key) {
                key
            } else {
                new_key()
            };
            return html(
                StatusCode::UNPROCESSABLE_ENTITY,
                form_page(
                    &ctx,
                    &form,
                    &def,
                    version,
                    Refill {
                        values: &fields,
                        errors: &errors,
                        general_error: None,
                    },
                    &key,
                ),
            );
        }
    };
    match state.writer.submit(submission).await {
        Ok(Stored::New(_)) | Ok(Stored::Repeat(_)) => {
            let text = thanks_text(&def);
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
            form_page(
                &ctx,
                &form,
                &def,
                version,
                Refill {
                    values: &fields,
                    errors: &[],
                    general_error: Some(Key::FbErrSave),
                },
                &key,
            ),
        ),
        Err(_) => internal(&ctx, as_json),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            esc(r#"<script>alert("x" & 'y')</script>"#),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
    }
}
