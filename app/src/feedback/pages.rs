//! Staff pages of feedback: the forms list (`/feedback`), the form builder
//! (`/feedback/new`, `/feedback/:id`) with its public link, personal links and QR codes.
//! The analysis page is in `analysis_page.rs`.

use crate::auth::pages::{signed_in_user, Protected};
use crate::auth::permissions::may_manage_forms;
use crate::complaints::api::complaint_assignees;
use crate::complaints::model::Severity;
use crate::error::{AppError, FieldError};
use crate::feedback::api::*;
use crate::feedback::links_panel::{LinksData, LinksPanel};
use crate::feedback::model::*;
use crate::i18n::{t, use_i18n, Key};
use crate::segments::api::list_segments;
use crate::ui::{format_local_time, ErrorNotice};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

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
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let form = Resource::new(id, |id| async move {
        if id > 0 {
            load_feedback_form(id).await.map(Some)
        } else {
            Ok(None)
        }
    });
    let assignees = Resource::new(|| (), |_| complaint_assignees());
    // The links panel's data is made here, outside the Suspense that builds the builder.
    let create_links = ServerAction::<CreateFeedbackLinks>::new();
    let links = Resource::new(
        move || (id(), create_links.version().get()),
        |(id, _)| async move {
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
        create: create_links,
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

/// A new form starts with the three questions most satisfaction surveys ask.
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

/// The validation message for a field by name (field names of questions are dynamic).
fn problem_for(errors: &[FieldError], field: &str) -> Option<Key> {
    errors.iter().find(|e| e.field == field).map(|e| e.message)
}

/// Options as one line per option; the Chinese lines pair with the English by position.
fn options_from_lines(en: &str, zh: &str) -> Vec<Localized> {
    let zh: Vec<&str> = zh.lines().map(str::trim).collect();
    en.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, l)| Localized::new(l, zh.get(i).copied().unwrap_or_default()))
        .collect()
}

fn lines_of(options: &[Localized], zh: bool) -> String {
    options
        .iter()
        .map(|o| if zh { o.zh.as_str() } else { o.en.as_str() })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Shared by every row of the builder.
#[derive(Clone, Copy)]
struct Draft {
    /// Rendering tracks the definition, so only structural edits (add, remove, move,
    /// change kind) notify; typing edits it silently.
    def: RwSignal<FormDefinition>,
    errors: Signal<Vec<FieldError>>,
}

impl Draft {
    fn restructure(&self, f: impl FnOnce(&mut FormDefinition)) {
        self.def.update(f);
    }
    fn edit(&self, f: impl FnOnce(&mut FormDefinition)) {
        self.def.update_untracked(f);
    }
    fn edit_question(&self, key: &str, f: impl FnOnce(&mut Question)) {
        self.edit(|d| {
            if let Some(q) = d.questions.iter_mut().find(|q| q.key == key) {
                f(q);
            }
        });
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
    let version = RwSignal::new(view.as_ref().map(|v| v.version).unwrap_or(0));
    let slug = RwSignal::new(view.as_ref().map(|v| v.slug.clone()).unwrap_or_default());
    let saved_slug = RwSignal::new(slug.get_untracked());
    let open = RwSignal::new(view.as_ref().map(|v| v.open).unwrap_or(true));
    let def = RwSignal::new(
        view.as_ref()
            .map(|v| v.definition.clone())
            .unwrap_or_else(starter_definition),
    );
    let save = ServerAction::<SaveFeedbackForm>::new();
    let errors = Signal::derive(move || match save.value().get() {
        Some(Err(AppError::Validation(e))) => e,
        Some(Err(AppError::Conflict(field))) => vec![FieldError::new(&field, Key::ErrTaken)],
        _ => Vec::new(),
    });
    let draft = Draft { def, errors };
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            if saved != id {
                navigate(&format!("/feedback/{saved}"), Default::default());
            } else {
                saved_slug.set(slug.get_untracked());
                version.update(|v| *v += 1);
            }
        }
    });
    let on_save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(SaveFeedbackForm {
            id,
            slug: slug.get_untracked(),
            open: open.get_untracked(),
            definition_json: serde_json::to_string(&def.get_untracked()).unwrap_or_default(),
        });
    };
    let other_error = move || match save.value().get() {
        Some(Err(AppError::Validation(_))) | Some(Err(AppError::Conflict(_))) | None => None,
        Some(Err(e)) => Some(e),
        Some(Ok(_)) => None,
    };
    let saved = move || matches!(save.value().get(), Some(Ok(_)));
    let text_input = move |field: &'static str, label: Key, zh: bool, multiline: bool| {
        localized_input(draft, field, label, zh, multiline)
    };

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
            <form class="card form-grid fb-builder" on:submit=on_save data-testid="fb-builder">
                <fieldset disabled=!may_manage class="fb-builder-fields">
                    <label>
                        {t(Key::FbSlug)}
                        <input type="text" data-testid="fb-slug" prop:value=move || slug.get()
                            on:input=move |ev| slug.set(event_target_value(&ev)) placeholder="satisfaction" />
                        <span class="muted">"/f/" {move || slug.get()}</span>
                        {move || problem_for(&errors.get(), "slug").map(|k| view! { <span class="field-error" role="alert">{move || i18n.t(k)}</span> })}
                    </label>
                    <label class="check">
                        <input type="checkbox" data-testid="fb-open" prop:checked=move || open.get()
                            on:change=move |ev| open.set(event_target_checked(&ev)) />
                        {t(Key::FbOpenForAnswers)}
                    </label>
                    {text_input("title", Key::FbFormTitle, false, false)}
                    {text_input("title", Key::FbFormTitle, true, false)}
                    {text_input("intro", Key::FbIntro, false, true)}
                    {text_input("intro", Key::FbIntro, true, true)}
                    {text_input("thanks", Key::FbThanks, false, true)}
                    {text_input("thanks", Key::FbThanks, true, true)}
                    <h2 class="full">{t(Key::FbQuestions)}</h2>
                    {move || problem_for(&errors.get(), "questions").map(|k| view! { <p class="field-error full" role="alert">{move || i18n.t(k)}</p> })}
                    <ol class="fb-questions full" data-testid="fb-questions">
                        {move || {
                            let keys: Vec<String> = def.with(|d| d.questions.iter().map(|q| q.key.clone()).collect());
                            let count = keys.len();
                            keys.into_iter().enumerate().map(|(index, key)| view! {
                                <QuestionEditor draft key index count />
                            }).collect_view()
                        }}
                    </ol>
                    <AddQuestion draft />
                    <RuleEditor draft assignees />
                </fieldset>
                <div class="full form-actions">
                    <Show when=move || may_manage>
                        <button type="submit" class="button" data-testid="fb-save" disabled=move || save.pending().get()>{t(Key::Save)}</button>
                    </Show>
                    <Show when=saved>
                        <span class="notice" role="status" data-testid="fb-saved">{t(Key::FbSaved)} " · " {t(Key::FbVersion)} " " {move || version.get()}</span>
                    </Show>
                    {move || other_error().map(|e| view! { <ErrorNotice error=e /> })}
                    {move || (!errors.get().is_empty()).then(|| view! { <span class="field-error" role="alert" data-testid="fb-save-errors">{t(Key::ErrValidation)}</span> })}
                </div>
            </form>
            {(id > 0).then(|| view! { <LinksPanel form_id=id slug=saved_slug may_send_links data=panel /> })}
        </section>
    }
}

/// One language of a form's title, introduction or thank-you text.
fn localized_input(
    draft: Draft,
    field: &'static str,
    label: Key,
    zh: bool,
    multiline: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let get = move |d: &FormDefinition| -> String {
        let l = match field {
            "title" => &d.title,
            "intro" => &d.intro,
            _ => &d.thanks,
        };
        if zh {
            l.zh.clone()
        } else {
            l.en.clone()
        }
    };
    let set = move |value: String| {
        draft.edit(|d| {
            let l = match field {
                "title" => &mut d.title,
                "intro" => &mut d.intro,
                _ => &mut d.thanks,
            };
            if zh {
                l.zh = value;
            } else {
                l.en = value;
            }
        })
    };
    let testid = format!("fb-{field}-{}", if zh { "zh" } else { "en" });
    let initial = draft.def.with_untracked(|d| get(d));
    let lang_label = if zh { "中文" } else { "English" };
    view! {
        <label>
            {t(label)} " (" {lang_label} ")"
            {if multiline {
                view! { <textarea rows="2" data-testid=testid on:input=move |ev| set(event_target_value(&ev))>{initial}</textarea> }.into_any()
            } else {
                view! { <input type="text" data-testid=testid value=initial on:input=move |ev| set(event_target_value(&ev)) /> }.into_any()
            }}
            {(!zh).then_some(move || problem_for(&draft.errors.get(), field).map(|k| view! { <span class="field-error" role="alert">{move || i18n.t(k)}</span> }))}
        </label>
    }
}

/// Adds a question of the chosen kind at the end (choice questions with two options).
#[component]
fn AddQuestion(draft: Draft) -> impl IntoView {
    let add_kind = RwSignal::new(QuestionKind::Rating);
    view! {
        <div class="fb-add full">
            <label>
                {t(Key::FbQuestionKind)}
                <select data-testid="fb-add-kind" on:change=move |ev| {
                    if let Some(k) = QuestionKind::parse(&event_target_value(&ev)) { add_kind.set(k) }
                }>
                    {QuestionKind::ALL.into_iter().map(|k| view! {
                        <option value=k.as_str() selected=move || add_kind.get() == k>{t(k.label())}</option>
                    }).collect_view()}
                </select>
            </label>
            <button type="button" class="button secondary" data-testid="fb-add-question" on:click=move |_| {
                let kind = add_kind.get_untracked();
                draft.restructure(|d| {
                    let key = d.next_question_key();
                    let options = if kind.has_options() {
                        vec![Localized::new("Option 1", ""), Localized::new("Option 2", "")]
                    } else {
                        Vec::new()
                    };
                    d.questions.push(Question { key, kind, label: Localized::default(), required: false, options });
                });
            }>{t(Key::FbAddQuestion)}</button>
        </div>
    }
}

#[component]
fn QuestionEditor(draft: Draft, key: String, index: usize, count: usize) -> impl IntoView {
    let i18n = use_i18n();
    let q = draft
        .def
        .with_untracked(|d| d.question(&key).cloned())
        .unwrap_or_else(|| Question {
            key: key.clone(),
            kind: QuestionKind::Text,
            label: Localized::default(),
            required: false,
            options: Vec::new(),
        });
    let errors = draft.errors;
    let is_first = index == 0;
    let is_last = index + 1 >= count;
    let label_field = format!("{key}.label");
    let options_field = format!("{key}.options");
    let options_en = RwSignal::new(lines_of(&q.options, false));
    let options_zh = RwSignal::new(lines_of(&q.options, true));
    let (k1, k2, k3, k4, k5, k6, k7, k8) = (
        key.clone(),
        key.clone(),
        key.clone(),
        key.clone(),
        key.clone(),
        key.clone(),
        key.clone(),
        key.clone(),
    );
    let set_options = move |k: &str| {
        let options = options_from_lines(&options_en.get_untracked(), &options_zh.get_untracked());
        draft.edit_question(k, |q| q.options = options);
    };
    let set_options_en = set_options;
    view! {
        <li class="fb-question card" data-testid="fb-question" data-key=key.clone() data-kind=q.kind.as_str()>
            <div class="fb-question-head">
                <strong>{format!("{}.", index + 1)}</strong>
                <label>
                    <span class="fb-sr">{t(Key::FbQuestionKind)}</span>
                    <select data-testid="fb-question-kind" on:change=move |ev| {
                        if let Some(kind) = QuestionKind::parse(&event_target_value(&ev)) {
                            let k = k1.clone();
                            draft.restructure(|d| {
                                if let Some(q) = d.questions.iter_mut().find(|q| q.key == k) {
                                    q.kind = kind;
                                    if kind.has_options() && q.options.len() < 2 {
                                        q.options = vec![Localized::new("Option 1", ""), Localized::new("Option 2", "")];
                                    }
                                    if !kind.has_options() {
                                        q.options.clear();
                                    }
                                }
                            });
                        }
                    }>
                        {QuestionKind::ALL.into_iter().map(|k| view! {
                            <option value=k.as_str() selected=k == q.kind>{t(k.label())}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label class="check">
                    <input type="checkbox" data-testid="fb-question-required" checked=q.required
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            draft.edit_question(&k2, |q| q.required = on);
                        } />
                    {t(Key::FbRequiredLabel)}
                </label>
                <span class="fb-question-moves">
                    <button type="button" class="link-button" disabled=is_first aria-label=move || i18n.t(Key::FbMoveUp)
                        on:click=move |_| { let k = k3.clone(); draft.restructure(|d| {
                            if let Some(i) = d.questions.iter().position(|q| q.key == k) { if i > 0 { d.questions.swap(i, i - 1) } }
                        }) }>"↑"</button>
                    <button type="button" class="link-button" disabled=is_last aria-label=move || i18n.t(Key::FbMoveDown)
                        on:click=move |_| { let k = k4.clone(); draft.restructure(|d| {
                            if let Some(i) = d.questions.iter().position(|q| q.key == k) { if i + 1 < d.questions.len() { d.questions.swap(i, i + 1) } }
                        }) }>"↓"</button>
                    <button type="button" class="link-button danger" data-testid="fb-question-remove"
                        on:click=move |_| { let k = k5.clone(); draft.restructure(|d| {
                            d.questions.retain(|q| q.key != k);
                            if d.complaint_rule.as_ref().is_some_and(|r| r.question == k) { d.complaint_rule = None; }
                        }) }>{t(Key::FbRemove)}</button>
                </span>
            </div>
            <label>
                {t(Key::FbQuestionLabel)} " (English)"
                <input type="text" data-testid="fb-question-label-en" value=q.label.en.clone()
                    on:input=move |ev| { let v = event_target_value(&ev); draft.edit_question(&k6, |q| q.label.en = v) } />
                {move || problem_for(&errors.get(), &label_field).map(|k| view! { <span class="field-error" role="alert">{move || i18n.t(k)}</span> })}
            </label>
            <label>
                {t(Key::FbQuestionLabel)} " (中文)"
                <input type="text" data-testid="fb-question-label-zh" value=q.label.zh.clone()
                    on:input=move |ev| { let v = event_target_value(&ev); draft.edit_question(&k7, |q| q.label.zh = v) } />
            </label>
            {q.kind.has_options().then(|| {
                let k_en = k8.clone();
                let k_zh = k8.clone();
                view! {
                    <label>
                        {t(Key::FbOptionsOnePerLine)} " (English)"
                        <textarea rows="3" data-testid="fb-question-options-en"
                            on:input=move |ev| { options_en.set(event_target_value(&ev)); set_options_en(&k_en) }>{options_en.get_untracked()}</textarea>
                        {move || problem_for(&errors.get(), &options_field).map(|k| view! { <span class="field-error" role="alert">{move || i18n.t(k)}</span> })}
                    </label>
                    <label>
                        {t(Key::FbOptionsOnePerLine)} " (中文)"
                        <textarea rows="3" data-testid="fb-question-options-zh"
                            on:input=move |ev| { options_zh.set(event_target_value(&ev)); set_options(&k_zh) }>{options_zh.get_untracked()}</textarea>
                    </label>
                }
            })}
        </li>
    }
}

/// The optional rule that turns an answer into a complaint.
#[component]
fn RuleEditor(draft: Draft, assignees: Vec<(crate::ids::UserId, String)>) -> impl IntoView {
    let i18n = use_i18n();
    let def = draft.def;
    let errors = draft.errors;
    let enabled = move || def.with(|d| d.complaint_rule.is_some());
    // Questions a rule can watch: scored ones (threshold) and choices (an option).
    let candidates = move || {
        def.with(|d| {
            d.questions
                .iter()
                .filter(|q| q.kind.scale().is_some() || q.kind.has_options())
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let toggle = move |on: bool| {
        draft.restructure(|d| {
            d.complaint_rule = if on {
                d.questions
                    .iter()
                    .find(|q| q.kind.scale().is_some() || q.kind.has_options())
                    .map(|q| ComplaintRule {
                        question: q.key.clone(),
                        trigger: match q.kind {
                            QuestionKind::Nps => ComplaintTrigger::AtOrBelow(6),
                            k if k.scale().is_some() => ComplaintTrigger::AtOrBelow(2),
                            _ => ComplaintTrigger::Chose(0),
                        },
                        category: "service".into(),
                        severity: Severity::High,
                        assignee: None,
                    })
            } else {
                None
            };
        })
    };
    let assignees = StoredValue::new(assignees);
    view! {
        <div class="fb-rule full card" data-testid="fb-rule">
            <label class="check">
                <input type="checkbox" data-testid="fb-rule-enabled" prop:checked=enabled
                    disabled=move || candidates().is_empty()
                    on:change=move |ev| toggle(event_target_checked(&ev)) />
                {t(Key::FbRuleEnable)}
            </label>
            {move || def.with(|d| d.complaint_rule.clone()).map(|rule| {
                let watched = def.with_untracked(|d| d.question(&rule.question).cloned());
                let scale = watched.as_ref().and_then(|q| q.kind.scale());
                let options = watched.as_ref().map(|q| q.options.clone()).unwrap_or_default();
                let trigger_input = match (scale, rule.trigger.clone()) {
                    (Some((lo, hi)), ComplaintTrigger::AtOrBelow(v)) => view! {
                        <label>
                            {t(Key::FbRuleThreshold)}
                            <input type="number" data-testid="fb-rule-threshold" min=lo max=hi value=v
                                on:input=move |ev| {
                                    if let Ok(n) = event_target_value(&ev).parse::<i64>() {
                                        draft.edit(|d| if let Some(r) = d.complaint_rule.as_mut() { r.trigger = ComplaintTrigger::AtOrBelow(n) });
                                    }
                                } />
                        </label>
                    }.into_any(),
                    (_, trigger) => {
                        let chosen = match trigger { ComplaintTrigger::Chose(i) => i, _ => 0 };
                        view! {
                            <label>
                                {t(Key::FbRuleOption)}
                                <select data-testid="fb-rule-option" on:change=move |ev| {
                                    if let Ok(i) = event_target_value(&ev).parse::<usize>() {
                                        draft.edit(|d| if let Some(r) = d.complaint_rule.as_mut() { r.trigger = ComplaintTrigger::Chose(i) });
                                    }
                                }>
                                    {options.iter().enumerate().map(|(i, o)| {
                                        let label = o.clone();
                                        view! { <option value=i.to_string() selected=i == chosen>{move || label.get(i18n.lang.get()).to_string()}</option> }
                                    }).collect_view()}
                                </select>
                            </label>
                        }.into_any()
                    }
                };
                view! {
                    <div class="form-grid">
                        <label>
                            {t(Key::FbRuleQuestion)}
                            <select data-testid="fb-rule-question" on:change=move |ev| {
                                let key = event_target_value(&ev);
                                draft.restructure(|d| {
                                    let kind = d.question(&key).map(|q| q.kind);
                                    if let (Some(kind), Some(r)) = (kind, d.complaint_rule.as_mut()) {
                                        r.question = key.clone();
                                        r.trigger = match kind.scale() {
                                            Some((lo, hi)) => ComplaintTrigger::AtOrBelow(if kind == QuestionKind::Nps { 6 } else { (lo + hi) / 2 - 1 }),
                                            None => ComplaintTrigger::Chose(0),
                                        };
                                    }
                                });
                            }>
                                {candidates().into_iter().map(|q| {
                                    let selected = q.key == rule.question;
                                    let label = q.label.clone();
                                    let key = q.key.clone();
                                    view! { <option value=q.key.clone() selected=selected>{move || format!("{} {}", key, label.get(i18n.lang.get()))}</option> }
                                }).collect_view()}
                            </select>
                        </label>
                        {trigger_input}
                        {move || problem_for(&errors.get(), "rule.trigger").map(|k| view! { <span class="field-error" role="alert">{move || i18n.t(k)}</span> })}
                        <label>
                            {t(Key::FbRuleCategory)}
                            <input type="text" data-testid="fb-rule-category" value=rule.category.clone()
                                on:input=move |ev| { let v = event_target_value(&ev); draft.edit(|d| if let Some(r) = d.complaint_rule.as_mut() { r.category = v }) } />
                            {move || problem_for(&errors.get(), "rule.category").map(|k| view! { <span class="field-error" role="alert">{move || i18n.t(k)}</span> })}
                        </label>
                        <label>
                            {t(Key::FbRuleSeverity)}
                            <select data-testid="fb-rule-severity" on:change=move |ev| {
                                if let Some(s) = Severity::parse(&event_target_value(&ev)) {
                                    draft.edit(|d| if let Some(r) = d.complaint_rule.as_mut() { r.severity = s });
                                }
                            }>
                                {Severity::ALL.into_iter().map(|s| view! {
                                    <option value=s.as_str() selected=s == rule.severity>{t(s.label())}</option>
                                }).collect_view()}
                            </select>
                        </label>
                        <label>
                            {t(Key::FbRuleAssignee)}
                            <select data-testid="fb-rule-assignee" on:change=move |ev| {
                                let v = event_target_value(&ev).parse::<i64>().ok().map(crate::ids::UserId);
                                draft.edit(|d| if let Some(r) = d.complaint_rule.as_mut() { r.assignee = v });
                            }>
                                <option value="" selected=rule.assignee.is_none()>{t(Key::FbRuleAssigneeOwner)}</option>
                                {assignees.get_value().into_iter().map(|(id, name)| view! {
                                    <option value=id.0.to_string() selected=rule.assignee == Some(id)>{name}</option>
                                }).collect_view()}
                            </select>
                            {move || problem_for(&errors.get(), "rule.assignee").map(|k| view! { <span class="field-error" role="alert">{move || i18n.t(k)}</span> })}
                        </label>
                    </div>
                }
            })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_lines_pair_languages_by_position() {
        let options = options_from_lines("Price\n\n Speed \nQuality", "价格\n速度");
        assert_eq!(options.len(), 3);
        assert_eq!(options[1], Localized::new("Speed", "速度"));
        assert_eq!(options[2], Localized::new("Quality", ""));
        assert_eq!(options[0], Localized::new("Price", "价格"));
        assert_eq!(lines_of(&options, false), "Price\nSpeed\nQuality");
    }
}
