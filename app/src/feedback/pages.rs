//! Staff pages of feedback: the forms list (`/feedback`), the form builder
//! (`/feedback/new`, `/feedback/:id`) with its public link, personal links and QR codes.
//! The builder is a form the server renders around the definition's editor (an island,
//! `editor.rs`); saving posts it. The analysis page is in `analysis_page.rs`.

use crate::auth::pages::{signed_in_user, Protected};
use crate::auth::permissions::may_manage_forms;
use crate::complaints::api::complaint_assignees;
use crate::error::{AppError, FieldError};
use crate::feedback::api::*;
use crate::feedback::editor::{problem_list, DefinitionEditor};
use crate::feedback::links_panel::{LinksData, LinksPanel};
use crate::feedback::model::*;
use crate::i18n::{t, use_i18n, Key};
use crate::segments::api::list_segments;
use crate::ui::{format_local_time, ErrorNotice};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn FormsPage() -> impl IntoView {
    view! { <Protected><FormsList /></Protected> }
}

#[component]
fn FormsList() -> impl IntoView {
    let i18n = use_i18n();
    let forms = Resource::new(|| (), |_| list_feedback_forms());
    let user = signed_in_user();
    let may_manage = move || user.get().is_some_and(|u| may_manage_forms(&u));
    view! {
        <section class="page feedback-forms">
            <div class="page-head">
                <h1>{t(Key::FbFormsTitle)}</h1>
                <div class="actions">
                    <A href="/feedback/analysis" attr:class="button secondary" attr:data-testid="fb-analysis-link">{t(Key::FbAnalysis)}</A>
                    // Inside a boundary: the role comes from a resource (see `Protected`).
                    <Transition fallback=|| ()>
                        <Show when=may_manage>
                            <A href="/feedback/new" attr:class="button" attr:data-testid="fb-new-form">{t(Key::FbNewForm)}</A>
                        </Show>
                    </Transition>
                </div>
            </div>
            <p class="muted">{t(Key::FbFormsIntro)}</p>
            <Suspense fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    match forms.await {
                        Ok(list) if list.is_empty() => view! { <p class="empty">{t(Key::FbNoForms)}</p> }.into_any(),
                        Ok(list) => view! {
                            <table class="data" data-testid="fb-forms-table">
                                <thead><tr>
                                    <th>{t(Key::FbFormTitle)}</th>
                                    <th>{t(Key::FbPublicLink)}</th>
                                    <th>{t(Key::FbStatus)}</th>
                                    <th class="num">{t(Key::FbQuestions)}</th>
                                    <th class="num">{t(Key::FbVersion)}</th>
                                    <th class="num">{t(Key::FbResponses)}</th>
                                    <th>{t(Key::FbLastResponse)}</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|f| {
                                        let title = f.title.clone();
                                        let public = format!("/f/{}", f.slug);
                                        view! {
                                            <tr data-testid="fb-form-row" data-slug=f.slug.clone()>
                                                <td><A href=format!("/feedback/{}", f.id)>{move || title.get(i18n.lang.get()).to_string()}</A></td>
                                                <td><a href=public.clone() target="_blank" rel="noopener">{public.clone()}</a></td>
                                                <td>{if f.open { t(Key::FbOpen) } else { t(Key::FbClosedShort) }}</td>
                                                <td class="num">{f.questions}</td>
                                                <td class="num">{f.version}</td>
                                                <td class="num">
                                                    <A href=format!("/feedback/analysis?form={}", f.id)>{f.responses}</A>
                                                </td>
                                                <td>{f.last_response_at.map(format_local_time).unwrap_or_else(|| "—".into())}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn FormEditPage() -> impl IntoView {
    view! { <Protected><FormEdit /></Protected> }
}

#[component]
fn FormEdit() -> impl IntoView {
    let params = use_params_map();
    let id =
        params.with_untracked(|p| p.get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0));
    let form = Resource::new(
        || (),
        move |_| async move {
            if id > 0 {
                load_feedback_form(id).await.map(Some)
            } else {
                Ok(None)
            }
        },
    );
    let assignees = Resource::new(|| (), |_| complaint_assignees());
    // The links panel's data is made here, outside the Suspense that builds the builder.
    let links = Resource::new(
        || (),
        move |_| async move {
            if id == 0 {
                return Ok(Vec::new());
            }
            match list_feedback_links(id).await {
                // Roles that cannot send personal links see none.
                Err(AppError::NotFound) => Ok(Vec::new()),
                other => other,
            }
        },
    );
    let segments = Resource::new(
        || (),
        |_| async move { list_segments().await.unwrap_or_default() },
    );
    let panel = LinksData {
        create: ServerAction::<CreateFeedbackLinks>::new(),
        links,
        segments,
    };
    view! {
        <Suspense fallback=|| view! { <p class="loading">"…"</p> }>
            {move || Suspend::new(async move {
                let assignees = assignees.await.unwrap_or_default();
                match form.await {
                    Ok(view) => view! { <Builder view assignees panel /> }.into_any(),
                    Err(e) => view! { <section class="page"><ErrorNotice error=e /></section> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// A new form starts with the question most satisfaction surveys ask.
fn starter_definition() -> FormDefinition {
    FormDefinition {
        title: Localized::default(),
        intro: Localized::default(),
        thanks: Localized::default(),
        questions: vec![Question {
            key: "q1".into(),
            kind: QuestionKind::Nps,
            label: Localized::new(
                "How likely are you to recommend us to a friend or colleague?",
                "您向朋友或同事推荐我们的可能性有多大？",
            ),
            required: true,
            options: Vec::new(),
        }],
        complaint_rule: None,
    }
}

/// The problems of a refused save, by field; a taken slug is one.
fn save_problems(error: Option<AppError>) -> Vec<FieldError> {
    match error {
        Some(AppError::Validation(e)) => e,
        Some(AppError::Conflict(field)) => vec![FieldError::new(&field, Key::ErrTaken)],
        _ => Vec::new(),
    }
}

#[component]
fn Builder(
    view: Option<FormView>,
    assignees: Vec<(crate::ids::UserId, String)>,
    panel: LinksData,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = view.as_ref().map(|v| v.id).unwrap_or(0);
    let may_manage = view.as_ref().map(|v| v.may_manage).unwrap_or(true);
    let may_send_links = view.as_ref().map(|v| v.may_send_links).unwrap_or(false);
    let responses = view.as_ref().map(|v| v.responses).unwrap_or(0);
    let version = view.as_ref().map(|v| v.version).unwrap_or(0);
    let slug = view.as_ref().map(|v| v.slug.clone()).unwrap_or_default();
    let open = view.as_ref().map(|v| v.open).unwrap_or(true);
    let definition = view
        .map(|v| v.definition)
        .unwrap_or_else(starter_definition);
    // The saved address; what is typed is sent when saving.
    let (slug_value, slug_hint) = (slug.clone(), format!("/f/{slug}"));
    let save = ServerAction::<SaveFeedbackForm>::new();
    let refused = save.value().get_untracked().and_then(|r| r.err());
    let problems = save_problems(refused.clone());
    let slug_problem = problems
        .iter()
        .find(|e| e.field == "slug")
        .map(|e| view! { <span class="field-error" role="alert">{t(e.message)}</span> });
    let has_problems = !problems.is_empty();
    let other_error = refused.filter(|_| !has_problems);
    let saved = use_query_map().with_untracked(|q| q.get("saved").is_some())
        && !has_problems
        && other_error.is_none();

    view! {
        <section class="page feedback-builder">
            <div class="page-head">
                <h1>{if id > 0 { t(Key::FbEditForm) } else { t(Key::FbNewForm) }}</h1>
                <div class="actions">
                    <A href="/feedback" attr:class="button secondary">{t(Key::FbBackToForms)}</A>
                    {(id > 0).then(|| view! {
                        <A href=format!("/feedback/analysis?form={id}") attr:class="button secondary">{t(Key::FbAnalysis)}</A>
                    })}
                </div>
            </div>
            {(responses > 0).then(|| view! {
                <p class="notice" data-testid="fb-versioned-note">{t(Key::FbVersionedNote)}</p>
            })}
            <ActionForm action=save attr:class="card form-grid fb-builder" attr:data-testid="fb-builder">
                <input type="hidden" name="id" value=id />
                <fieldset disabled=!may_manage class="fb-builder-fields">
                    <label>
                        {t(Key::FbSlug)}
                        <input type="text" name="slug" data-testid="fb-slug" value=slug_value placeholder="satisfaction" />
                        <span class="muted">{slug_hint}</span>
                        {slug_problem}
                    </label>
                    <label class="check">
                        <input type="checkbox" name="open" value="true" data-testid="fb-open" checked=open />
                        {t(Key::FbOpenForAnswers)}
                    </label>
                    <DefinitionEditor definition assignees strings=crate::feedback::editor::definition_editor_strings()>
                        {problem_list(problems)}
                    </DefinitionEditor>
                </fieldset>
                <div class="full form-actions">
                    {may_manage.then(|| view! {
                        <button type="submit" class="button" data-testid="fb-save">{t(Key::Save)}</button>
                    })}
                    {saved.then(|| view! {
                        <span class="notice" role="status" data-testid="fb-saved">
                            {t(Key::FbSaved)} " · " {t(Key::FbVersion)} " " {version}
                        </span>
                    })}
                    {other_error.map(|e| view! { <ErrorNotice error=e /> })}
                    {has_problems.then(|| view! {
                        <span class="field-error" role="alert" data-testid="fb-save-errors">{move || i18n.t(Key::ErrValidation)}</span>
                    })}
                </div>
            </ActionForm>
            {(id > 0).then(|| view! { <LinksPanel form_id=id slug may_send_links data=panel /> })}
        </section>
    }
}
