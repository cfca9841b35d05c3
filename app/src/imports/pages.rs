//! The import page: choose kind and file, upload, map columns over a preview, start,
//! watch progress, read the report. Every value from the file is rendered as text.

use crate::auth::pages::Protected;
use crate::i18n::{t, use_i18n, Key};
use crate::imports::api::{import_status, start_import};
use crate::imports::model::{ImportKind, JobPhase, JobStatus, UploadPreview};
use leptos::prelude::*;

#[component]
pub fn ImportPage() -> impl IntoView {
    view! { <Protected><ImportForm /></Protected> }
}

/// Sends the chosen file as the raw request body; the answer is the preview or the
/// reason it was refused.
#[cfg(feature = "hydrate")]
async fn send_file(file: web_sys::File, kind: ImportKind) -> Result<UploadPreview, Key> {
    use crate::error::AppError;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let window = web_sys::window().ok_or(Key::ErrTransport)?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&file);
    let url = format!("/api/imports?kind={}", kind.as_str());
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(&url, &init))
        .await
        .ok()
        .and_then(|r| r.dyn_into().ok())
        .ok_or(Key::ErrTransport)?;
    let text = match response.text() {
        Ok(p) => JsFuture::from(p)
            .await
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default(),
        Err(_) => return Err(Key::ErrTransport),
    };
    if response.ok() {
        serde_json::from_str(&text).map_err(|_| Key::ErrTransport)
    } else {
        Err(match serde_json::from_str::<AppError>(&text) {
            Ok(AppError::Validation(errors)) => errors
                .first()
                .map(|e| e.message)
                .unwrap_or(Key::ErrValidation),
            Ok(e) => e.message_key(),
            // The server's own limit answered before our handler: the file is too large.
            Err(_) if response.status() == 413 => Key::ErrImportFileTooLarge,
            Err(_) => Key::ErrTransport,
        })
    }
}

#[component]
fn ImportForm() -> impl IntoView {
    let i18n = use_i18n();
    let kind = RwSignal::new(ImportKind::Customers);
    let preview = RwSignal::new(None::<UploadPreview>);
    let mapping = RwSignal::new(Vec::<String>::new());
    let error = RwSignal::new(None::<Key>);
    let busy = RwSignal::new(false);
    let status = RwSignal::new(None::<JobStatus>);
    let file_input = NodeRef::<leptos::html::Input>::new();

    let upload = move |_| {
        error.set(None);
        status.set(None);
        preview.set(None);
        #[cfg(feature = "hydrate")]
        {
            let Some(file) = file_input
                .get_untracked()
                .and_then(|input| input.files())
                .and_then(|files| files.get(0))
            else {
                error.set(Some(Key::ImportChooseFile));
                return;
            };
            busy.set(true);
            let kind = kind.get_untracked();
            leptos::task::spawn_local(async move {
                match send_file(file, kind).await {
                    Ok(p) => {
                        mapping.set(p.mapping.clone());
                        preview.set(Some(p));
                    }
                    Err(key) => error.set(Some(key)),
                }
                busy.set(false);
            });
        }
    };

    let start = move |_| {
        let Some(p) = preview.get_untracked() else {
            return;
        };
        error.set(None);
        busy.set(true);
        let (kind, columns) = (kind.get_untracked(), mapping.get_untracked());
        leptos::task::spawn_local(async move {
            match start_import(p.upload_id, kind, columns).await {
                Ok(job) => {
                    preview.set(None);
                    loop {
                        #[cfg(feature = "hydrate")]
                        gloo_timers::future::TimeoutFuture::new(500).await;
                        match import_status(job.clone()).await {
                            Ok(s) => {
                                let finished = s.phase.finished();
                                status.set(Some(s));
                                if finished {
                                    break;
                                }
                            }
                            Err(e) => {
                                error.set(Some(e.message_key()));
                                break;
                            }
                        }
                    }
                }
                Err(e) => error.set(Some(e.message_key())),
            }
            busy.set(false);
        });
    };

    let mapping_step = move || {
        preview
            .get()
            .map(|p| mapping_view(p, kind.get_untracked().fields(), mapping, busy, start))
    };
    let report = move || status.get().map(report_view);

    view! {
        <section class="page">
            <div class="page-head">
                <h1>{t(Key::ImportTitle)}</h1>
            </div>
            <p>{t(Key::ImportIntro)}</p>
            <div class="import-choose">
                <label>
                    {t(Key::ImportKindLabel)}
                    <select
                        data-testid="import-kind"
                        on:change=move |ev| {
                            if let Some(k) = ImportKind::parse(&event_target_value(&ev)) {
                                kind.set(k);
                                preview.set(None);
                            }
                        }
                    >
                        {ImportKind::ALL
                            .into_iter()
                            .map(|k| {
                                view! {
                                    <option value=k.as_str() selected=move || kind.get() == k>
                                        {move || i18n.t(k.label())}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    {t(Key::ImportFile)}
                    <input type="file" accept=".csv,text/csv" data-testid="import-file" node_ref=file_input />
                </label>
                <button
                    type="button"
                    class="button"
                    data-testid="import-upload"
                    disabled=move || busy.get()
                    on:click=upload
                >
                    {move || if busy.get() { i18n.t(Key::ImportUploading) } else { i18n.t(Key::ImportUpload) }}
                </button>
            </div>
            {move || error.get().map(|k| view! { <p class="notice error" role="alert">{move || i18n.t(k)}</p> })}
            {mapping_step}
            {report}
            <Show when=move || status.get().is_some_and(|s| s.phase == JobPhase::Done || s.phase == JobPhase::Failed)>
                <a href="/import">{t(Key::ImportAnother)}</a>
            </Show>
        </section>
    }
}

/// The mapping step: the file's first rows under their headers, a field chosen per column.
fn mapping_view(
    p: UploadPreview,
    fields: &'static [&'static str],
    mapping: RwSignal<Vec<String>>,
    busy: RwSignal<bool>,
    start: impl Fn(leptos::ev::MouseEvent) + 'static,
) -> impl IntoView {
    let heads = p
        .headers
        .iter()
        .enumerate()
        .map(|(i, header)| {
            let selected = move |f: &str| mapping.with(|m| m.get(i).is_some_and(|x| x == f));
            view! {
                <th>
                    <span class="import-header">{header.clone()}</span>
                    <select
                        data-testid="import-map"
                        aria-label=header.clone()
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            mapping.update(|m| {
                                if let Some(slot) = m.get_mut(i) {
                                    *slot = v;
                                }
                            });
                        }
                    >
                        <option value="" selected=move || selected("")>{t(Key::ImportIgnoreColumn)}</option>
                        {fields
                            .iter()
                            .map(|f| view! { <option value=*f selected=move || selected(f)>{*f}</option> })
                            .collect_view()}
                    </select>
                </th>
            }
        })
        .collect_view();
    let rows = p
        .rows
        .iter()
        .map(|row| {
            view! { <tr>{row.iter().map(|c| view! { <td>{c.clone()}</td> }).collect_view()}</tr> }
        })
        .collect_view();
    let gb18030 = p.read_as_gb18030.then(|| view! {
        <p class="notice" role="status" data-testid="import-gb18030">{t(Key::ImportReadAsGb18030)}</p>
    });
    view! {
        <h2>{t(Key::ImportMappingTitle)}</h2>
        {gb18030}
        <p>{t(Key::ImportPreviewNote)}</p>
        <div class="table-scroll">
            <table class="import-preview">
                <thead><tr>{heads}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <button
            type="button"
            class="button primary"
            data-testid="import-start"
            disabled=move || busy.get()
            on:click=start
        >
            {t(Key::ImportStart)}
        </button>
    }
}

/// Progress of a running import, then its report: stored, created, updated, rejected rows.
fn report_view(s: JobStatus) -> impl IntoView {
    let i18n = use_i18n();
    let percent = s.percent();
    let phase = s.phase;
    let failed = s
        .error
        .map(|k| view! { <p class="notice error" role="alert">{move || i18n.t(k)}</p> });
    let summary = s.report.map(|r| {
        let stored = r.stored();
        let rejected = if r.rejected.is_empty() {
            view! { <p>{t(Key::ImportNoRejected)}</p> }.into_any()
        } else {
            let rows = r
                .rejected
                .into_iter()
                .map(|row| {
                    view! {
                        <tr data-testid="import-rejected-row">
                            <td>{row.line}</td>
                            <td>{row.column}</td>
                            <td>{move || i18n.t(row.reason)}</td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <h3>{t(Key::ImportRejectedTitle)}</h3>
                <table class="import-rejected">
                    <thead>
                        <tr>
                            <th>{t(Key::ImportLine)}</th>
                            <th>{t(Key::ImportColumn)}</th>
                            <th>{t(Key::ImportReason)}</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            }
            .into_any()
        };
        let gb18030 = r.read_as_gb18030.then(|| {
            view! {
                <p class="notice" role="status">{t(Key::ImportReadAsGb18030)}</p>
            }
        });
        view! {
            {gb18030}
            <p>
                {t(Key::ImportStored)} ": "
                <strong data-testid="import-stored">{stored}</strong>
                " (" {t(Key::ImportCreated)} " " {r.created} ", "
                {t(Key::ImportUpdated)} " " {r.updated} ")"
            </p>
            {rejected}
        }
    });
    view! {
        <div class="import-report" data-testid="import-report" aria-live="polite">
            <p>{move || i18n.t(phase.label())}</p>
            <progress max="100" value=percent aria-label=move || i18n.t(Key::ImportProgress)>
                {percent} "%"
            </progress>
            {failed}
            {summary}
        </div>
    }
}
