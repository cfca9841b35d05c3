//! The import page, one step per visit, every step rendered by the server:
//! - choose kind and file: a plain multipart form posted to `/api/imports`, which stages
//!   the file and comes back to `/import?kind=…&upload=…` (or `…&refused=<reason>`);
//! - map columns over a preview of the staged file, and start: a form that comes back
//!   to `/import?job=…`;
//! - progress, which reloads itself in place while the job runs, then the report.
//!
//! Every value from the file is rendered as text.

use crate::auth::pages::Protected;
use crate::i18n::{t, use_i18n, Key};
use crate::imports::api::{import_status, staged_preview, StartImport};
use crate::imports::model::{refusal_key, ImportKind, JobStatus, UploadPreview};
use crate::ui::islands::RefreshWhileShown;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ImportPage() -> impl IntoView {
    view! { <Protected><ImportSteps /></Protected> }
}

/// A refusal, translated.
fn refusal_notice(key: Key) -> impl IntoView {
    view! { <p class="notice error" role="alert" data-testid="import-refused">{t(key)}</p> }
}

#[component]
fn ImportSteps() -> impl IntoView {
    let query = use_query_map();
    let (kind, upload, refused, job) = query.with_untracked(|q| {
        let given = |name: &str| q.get(name).filter(|v| !v.is_empty());
        (
            given("kind")
                .and_then(|k| ImportKind::parse(&k))
                .unwrap_or(ImportKind::Customers),
            given("upload"),
            given("refused").and_then(|k| Key::from_name(&k)),
            given("job"),
        )
    });
    let preview = Resource::new(
        move || upload.clone(),
        move |upload| async move {
            match upload {
                Some(id) => staged_preview(id, kind).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let status = Resource::new(
        move || job.clone(),
        |job| async move {
            match job {
                Some(job) => import_status(job).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let start = ServerAction::<StartImport>::new();

    view! {
        <section class="page">
            <div class="page-head">
                <h1>{t(Key::ImportTitle)}</h1>
            </div>
            <p>{t(Key::ImportIntro)}</p>
            <form
                class="import-choose"
                method="post"
                action="/api/imports"
                enctype="multipart/form-data"
                data-testid="import-upload-form"
            >
                <label>
                    {t(Key::ImportKindLabel)}
                    <select name="kind" data-testid="import-kind">
                        {ImportKind::ALL
                            .into_iter()
                            .map(|k| view! { <option value=k.as_str() selected=k == kind>{t(k.label())}</option> })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    {t(Key::ImportFile)}
                    <input type="file" name="file" accept=".csv,text/csv" required=true data-testid="import-file" />
                </label>
                <button type="submit" class="button" data-testid="import-upload">{t(Key::ImportUpload)}</button>
            </form>
            {refused.map(refusal_notice)}
            <Suspense fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    match preview.await {
                        Ok(Some(p)) => mapping_form(p, kind, start).into_any(),
                        Ok(None) => ().into_any(),
                        Err(e) => refusal_notice(refusal_key(&e)).into_any(),
                    }
                })}
            </Suspense>
            <Suspense fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(Some(s)) => job_view(s).into_any(),
                        Ok(None) => ().into_any(),
                        Err(e) => refusal_notice(refusal_key(&e)).into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The kind as the start function's argument reads it (its serde name).
fn kind_argument(kind: ImportKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The mapping step: the file's first rows under their headers, a field chosen per column.
fn mapping_form(
    p: UploadPreview,
    kind: ImportKind,
    start: ServerAction<StartImport>,
) -> impl IntoView {
    let fields = kind.fields();
    let heads = p
        .headers
        .iter()
        .enumerate()
        .map(|(i, header)| {
            let chosen = p.mapping.get(i).cloned().unwrap_or_default();
            view! {
                <th>
                    <span class="import-header">{header.clone()}</span>
                    <select name=format!("mapping[{i}]") data-testid="import-map" aria-label=header.clone()>
                        <option value="" selected=chosen.is_empty()>{t(Key::ImportIgnoreColumn)}</option>
                        {fields
                            .iter()
                            .map(|f| view! { <option value=*f selected=chosen == *f>{*f}</option> })
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
    let refused = move || {
        start
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| refusal_notice(refusal_key(&e)))
    };
    view! {
        <ActionForm action=start attr:data-testid="import-mapping">
            <input type="hidden" name="upload_id" value=p.upload_id.clone() />
            <input type="hidden" name="kind" value=kind_argument(kind) />
            <h2>{t(Key::ImportMappingTitle)}</h2>
            {gb18030}
            <p>{t(Key::ImportPreviewNote)}</p>
            <div class="table-scroll">
                <table class="import-preview">
                    <thead><tr>{heads}</tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            {refused}
            <button type="submit" class="button primary" data-testid="import-start">{t(Key::ImportStart)}</button>
        </ActionForm>
    }
}

/// A job: its progress while it runs (the page reloads itself in place meanwhile), then
/// its report.
fn job_view(s: JobStatus) -> impl IntoView {
    let finished = s.phase.finished();
    view! {
        {report_view(s)}
        {if finished {
            view! { <a href="/import">{t(Key::ImportAnother)}</a> }.into_any()
        } else {
            view! { <RefreshWhileShown seconds=1 /> }.into_any()
        }}
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
