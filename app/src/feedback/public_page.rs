//! The public form's HTML, rendered on the server without WebAssembly: the page frame
//! with its inline style and script (under the request's CSP nonce), each question kind,
//! and the form refilled with a submission's values and errors.

use super::forms::PublicForm;
use super::model::*;
use crate::error::FieldError;
use crate::i18n::{Key, Lang};

/// The honeypot: hidden from people, filled in by form-spamming robots.
pub(super) const HONEYPOT: &str = "website";

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

/// What every page needs: language, script nonce, and the token (to keep in links).
pub(super) struct PageCtx {
    pub(super) lang: Lang,
    pub(super) nonce: String,
    pub(super) token: Option<String>,
}

impl PageCtx {
    pub(super) fn t(&self, key: Key) -> String {
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
pub(super) const WORKER_SCRIPT: &str = concat!(
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

pub(super) fn page(ctx: &PageCtx, title: &str, body: &str) -> String {
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

pub(super) fn message_page(ctx: &PageCtx, title: &str, message: &str) -> String {
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
pub(super) struct Refill<'a> {
    pub(super) values: &'a [(String, String)],
    pub(super) errors: &'a [FieldError],
    /// A problem not tied to one question (the answer could not be saved).
    pub(super) general_error: Option<Key>,
}

/// The form, empty or refilled with a submission and its errors (same idempotency key).
pub(super) fn form_page(
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
