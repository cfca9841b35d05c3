//! The links panel of the form builder: the public link with its QR code, and personal
//! links made for one customer or a saved segment, with when each was used. Links show in
//! full and copy with a button; the server draws the QR code of the link the address
//! names (`?qr=public`, or `?qr=<link id>`).

use crate::error::AppError;
use crate::feedback::api::*;
use crate::feedback::model::*;
use crate::i18n::{t, use_i18n, Key};
use crate::ui::islands::CopyButton;
use crate::ui::{field_error, format_local_time, ErrorNotice};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

/// What the links panel loads, created by the page outside its Suspense.
#[derive(Clone, Copy)]
pub struct LinksData {
    pub create: ServerAction<CreateFeedbackLinks>,
    pub links: Resource<Result<Vec<LinkView>, AppError>>,
    pub segments: Resource<Vec<crate::segments::model::SegmentSummary>>,
}

/// The QR code the address asks for: `public`, or a personal link's id.
const QR: &str = "qr";
/// How many personal links the last request made.
const LINKS_CREATED: &str = "links_created";

/// `scheme://host` customers reach the app at: the configured public address, else the
/// host this page was asked from.
fn site_origin() -> String {
    #[cfg(feature = "ssr")]
    {
        let configured = crate::state::app_state()
            .ok()
            .and_then(|s| s.config.public_origin.clone());
        configured
            .or_else(|| {
                let parts = crate::request::request_parts()?;
                let host = parts.headers.get(http::header::HOST)?.to_str().ok()?;
                Some(format!("http://{host}"))
            })
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    String::new()
}

/// The QR code (SVG) of `url`, drawn on the server.
fn qr_code(url: &str) -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        crate::feedback::links::qr_svg(url).ok()
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = url;
        None
    }
}

/// A link with its copy button, and a link that shows (or hides) its QR code.
fn link_tools(
    url: String,
    testid: &'static str,
    qr_key: String,
    query: &ParamsMap,
) -> impl IntoView {
    let i18n = use_i18n();
    let showing = query.get(QR).as_deref() == Some(qr_key.as_str());
    let qr_href = if showing {
        "?#fb-links".to_string()
    } else {
        format!("?{QR}={qr_key}#fb-links")
    };
    let svg = showing.then(|| qr_code(&url)).flatten();
    view! {
        <div class="fb-link-tools" data-testid=testid>
            <input type="text" readonly=true class="fb-link" value=url.clone() aria-label=move || i18n.t(Key::FbLink)
                data-testid=format!("{testid}-url") />
            <CopyButton
                text=url
                label=i18n.t(Key::FbCopy).to_string()
                done=i18n.t(Key::FbCopied).to_string()
                testid=format!("{testid}-copy")
            />
            <a class="button secondary" href=qr_href data-testid=format!("{testid}-qr-button")>{t(Key::FbShowQr)}</a>
            // The SVG is drawn by the server from module positions only; no text of the
            // link is embedded in it.
            {svg.map(|svg| view! {
                <div class="fb-qr" role="img" aria-label=move || i18n.t(Key::FbQrLabel) data-testid=format!("{testid}-qr") inner_html=svg></div>
            })}
        </div>
    }
}

#[component]
pub fn LinksPanel(
    form_id: i64,
    slug: String,
    may_send_links: bool,
    data: LinksData,
) -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map().get_untracked();
    let origin = site_origin();
    let public_path = format!("/f/{slug}");
    let LinksData {
        create,
        links,
        segments,
    } = data;
    let create_error = move || create.value().get().and_then(|r| r.err());
    let created = query
        .get(LINKS_CREATED)
        .and_then(|n| n.parse::<usize>().ok());
    let public_tools = link_tools(
        format!("{origin}{public_path}"),
        "fb-public-link",
        "public".into(),
        &query,
    );
    view! {
        <div class="card fb-links" id="fb-links">
            <h2>{t(Key::FbPublicLink)}</h2>
            <p class="muted">{t(Key::FbPublicLinkIntro)}</p>
            {public_tools}
            <p><a href=public_path target="_blank" rel="noopener" data-testid="fb-open-public">{t(Key::FbOpenPublicPage)}</a></p>
            {may_send_links.then(|| view! {
                <h2>{t(Key::FbPersonalLinks)}</h2>
                <p class="muted">{t(Key::FbPersonalLinksIntro)}</p>
                <ActionForm action=create attr:class="form-grid" attr:data-testid="fb-link-form">
                    <input type="hidden" name="form_id" value=form_id />
                    <label>
                        {t(Key::FbLinkCustomerId)}
                        <input type="text" inputmode="numeric" name="request[customer_id]" data-testid="fb-link-customer" />
                        {field_error(create_error, "customer_id")}
                    </label>
                    <label>
                        {t(Key::FbLinkSegment)}
                        <Suspense fallback=|| view! { <select disabled=true><option>"…"</option></select> }>
                            {move || Suspend::new(async move {
                                let options = segments.await;
                                view! {
                                    <select name="request[segment_id]" data-testid="fb-link-segment">
                                        <option value="">"—"</option>
                                        {options.into_iter().map(|s| view! { <option value=s.id.to_string()>{s.name}</option> }).collect_view()}
                                    </select>
                                }
                            })}
                        </Suspense>
                        {field_error(create_error, "segment_id")}
                    </label>
                    <label>
                        {t(Key::FbLinkExpires)}
                        <input type="date" name="request[expires_on]" data-testid="fb-link-expires" />
                        {field_error(create_error, "expires_on")}
                    </label>
                    <div class="form-actions">
                        <button type="submit" class="button" data-testid="fb-link-create">{t(Key::FbCreateLinks)}</button>
                        {created.map(|n| view! {
                            <span class="notice" role="status" data-testid="fb-links-created">{move || i18n.t(Key::FbLinksCreated).replace("{n}", &n.to_string())}</span>
                        })}
                        {move || create_error().filter(|e| !matches!(e, AppError::Validation(_))).map(|e| view! { <ErrorNotice error=e /> })}
                    </div>
                </ActionForm>
                <Transition fallback=|| view! { <p class="loading">"…"</p> }>
                    {move || {
                        let (origin, query) = (origin.clone(), query.clone());
                        Suspend::new(async move {
                            match links.await {
                                Ok(list) if list.is_empty() => view! { <p class="empty">{t(Key::FbNoLinks)}</p> }.into_any(),
                                Ok(list) => view! {
                                    <table class="data" data-testid="fb-links-table">
                                        <thead><tr>
                                            <th>{t(Key::Customers)}</th>
                                            <th>{t(Key::FbLink)}</th>
                                            <th>{t(Key::FbLinkExpires)}</th>
                                            <th>{t(Key::FbLinkAnswered)}</th>
                                        </tr></thead>
                                        <tbody>
                                            {list.into_iter().map(|l| view! {
                                                <tr data-testid="fb-link-row" data-customer=l.customer_id.0>
                                                    <td><A href=format!("/customers/{}", l.customer_id)>{l.customer_name.clone()}</A></td>
                                                    <td>{link_tools(format!("{origin}{}", l.path), "fb-personal-link", l.id.to_string(), &query)}</td>
                                                    <td>{l.expires_at.map(format_local_time).unwrap_or_else(|| "—".into())}</td>
                                                    <td>{l.used_at.map(format_local_time).unwrap_or_else(|| i18n.t(Key::FbNotYet).to_string())}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                }.into_any(),
                                Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                            }
                        })
                    }}
                </Transition>
            })}
        </div>
    }
}
