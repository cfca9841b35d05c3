//! The links panel of the form builder: the public link with its QR code, and personal
//! links made for one customer or a saved segment, with when each was used.

use crate::error::AppError;
use crate::feedback::api::*;
use crate::feedback::model::*;
use crate::i18n::{t, use_i18n, Key};
use crate::ui::{field_error, format_local_time, ErrorNotice};
use leptos::prelude::*;
use leptos_router::components::A;

/// What the links panel loads, created by the page outside its Suspense.
#[derive(Clone, Copy)]
pub struct LinksData {
    pub create: ServerAction<CreateFeedbackLinks>,
    pub links: Resource<Result<Vec<LinkView>, AppError>>,
    pub segments: Resource<Vec<crate::segments::model::SegmentSummary>>,
}

/// Copies text to the clipboard; the link stays selectable in its field where the
/// clipboard is unavailable.
fn copy_to_clipboard(text: String) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().clipboard().write_text(&text);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = text;
}

/// This page's origin (`https://host`), known only in the browser; links show as paths
/// until the page is live.
fn page_origin() -> Signal<String> {
    let origin = RwSignal::new(String::new());
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(o) = web_sys::window().and_then(|w| w.location().origin().ok()) {
            origin.set(o);
        }
    });
    origin.into()
}

/// A link with copy and QR buttons.
#[component]
fn LinkTools(url: Signal<String>, testid: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    let qr = Action::new(|url: &String| {
        let url = url.clone();
        async move { feedback_link_qr(url).await }
    });
    let copied = RwSignal::new(false);
    view! {
        <div class="fb-link-tools" data-testid=testid>
            <input type="text" readonly=true class="fb-link" prop:value=move || url.get() aria-label=move || i18n.t(Key::FbLink)
                data-testid=format!("{testid}-url") />
            <button type="button" class="button secondary" on:click=move |_| { copy_to_clipboard(url.get_untracked()); copied.set(true); }>
                {move || if copied.get() { i18n.t(Key::FbCopied) } else { i18n.t(Key::FbCopy) }}
            </button>
            <button type="button" class="button secondary" data-testid=format!("{testid}-qr-button")
                on:click=move |_| { qr.dispatch(url.get_untracked()); }>{t(Key::FbShowQr)}</button>
            {move || qr.value().get().map(|r| match r {
                // The SVG is drawn by the server from module positions only; no text of
                // the link is embedded in it.
                Ok(svg) => view! { <div class="fb-qr" role="img" aria-label=i18n.t(Key::FbQrLabel) data-testid=format!("{testid}-qr") inner_html=svg></div> }.into_any(),
                Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
            })}
        </div>
    }
}

#[component]
pub fn LinksPanel(
    form_id: i64,
    slug: RwSignal<String>,
    may_send_links: bool,
    data: LinksData,
) -> impl IntoView {
    let i18n = use_i18n();
    let origin = page_origin();
    let public_url = Signal::derive(move || format!("{}/f/{}", origin.get(), slug.get()));
    let LinksData {
        create,
        links,
        segments,
    } = data;
    let create_error = move || create.value().get().and_then(|r| r.err());
    view! {
        <div class="card fb-links">
            <h2>{t(Key::FbPublicLink)}</h2>
            <p class="muted">{t(Key::FbPublicLinkIntro)}</p>
            <LinkTools url=public_url testid="fb-public-link" />
            <p><a href=move || format!("/f/{}", slug.get()) target="_blank" rel="noopener" data-testid="fb-open-public">{t(Key::FbOpenPublicPage)}</a></p>
            <Show when=move || may_send_links>
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
                        <button type="submit" class="button" data-testid="fb-link-create" disabled=move || create.pending().get()>{t(Key::FbCreateLinks)}</button>
                        {move || create.value().get().map(|r| match r {
                            Ok(n) => view! { <span class="notice" role="status" data-testid="fb-links-created">{i18n.t(Key::FbLinksCreated).replace("{n}", &n.to_string())}</span> }.into_any(),
                            Err(AppError::Validation(_)) => ().into_any(),
                            Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                        })}
                    </div>
                </ActionForm>
                <Transition fallback=|| view! { <p class="loading">"…"</p> }>
                    {move || Suspend::new(async move {
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
                                        {list.into_iter().map(|l| {
                                            let path = l.path.clone();
                                            let url = Signal::derive(move || format!("{}{}", origin.get(), path));
                                            view! {
                                                <tr data-testid="fb-link-row" data-customer=l.customer_id.0>
                                                    <td><A href=format!("/customers/{}", l.customer_id)>{l.customer_name.clone()}</A></td>
                                                    <td><LinkTools url testid="fb-personal-link" /></td>
                                                    <td>{l.expires_at.map(format_local_time).unwrap_or_else(|| "—".into())}</td>
                                                    <td>{l.used_at.map(format_local_time).unwrap_or_else(|| i18n.t(Key::FbNotYet).to_string())}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any(),
                            Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                        }
                    })}
                </Transition>
            </Show>
        </div>
    }
}
