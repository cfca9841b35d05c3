//! The segment list and the builder. The builder is one form: its rule editor (an
//! island) sends it as a GET to this page after each edit, and the server renders the
//! page with the count and members of the rule in the address (`input[…]` fields, the
//! names the save function reads); its save button posts it.

use crate::auth::pages::Protected;
use crate::customers::filter::CustomerPage;
use crate::customers::model::level_short_label;
use crate::error::AppError;
use crate::i18n::{t, use_i18n, Key};
use crate::segments::api::*;
use crate::segments::editor::{path_name, problem_list, RuleEditor, RULE_FIELD};
use crate::segments::model::{parse_rule_json, BuilderOptions, Segment, SegmentRule};
use crate::ui::{field_error, ErrorNotice};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};
use leptos_router::params::ParamsMap;

#[component]
pub fn SegmentsPage() -> impl IntoView {
    view! { <Protected><SegmentList /></Protected> }
}

#[component]
fn SegmentList() -> impl IntoView {
    let segments = Resource::new(|| (), |_| list_segments());
    view! {
        <section class="page">
            <div class="page-head">
                <h1>{t(Key::SegSegments)}</h1>
                <A href="/segments/new" attr:class="button primary" attr:data-testid="new-segment">{t(Key::SegNew)}</A>
            </div>
            <p class="hint">{t(Key::SegIntro)}</p>
            <Transition fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    match segments.await {
                        Ok(list) if list.is_empty() => view! { <p class="empty">{t(Key::SegNone)}</p> }.into_any(),
                        Ok(list) => view! {
                            <table class="data" data-testid="segment-list">
                                <thead><tr>
                                    <th>{t(Key::Name)}</th>
                                    <th>{t(Key::SegConditions)}</th>
                                    <th>{t(Key::Owner)}</th>
                                    <th>{t(Key::SegShared)}</th>
                                    <th>{t(Key::SegUpdated)}</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|s| view! {
                                        <tr>
                                            <td>
                                                <a href=format!("/segments/{}", s.id)>{s.name}</a>
                                                <div class="muted">{s.description}</div>
                                            </td>
                                            <td>{s.conditions}</td>
                                            <td>{s.owner_name}</td>
                                            <td>{if s.shared { t(Key::Yes).into_any() } else { t(Key::No).into_any() }}</td>
                                            <td>{crate::ui::format_local_time(s.updated_at)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
pub fn SegmentEditPage() -> impl IntoView {
    view! { <Protected><SegmentEdit /></Protected> }
}

const NAME_FIELD: &str = "input[name]";
const DESCRIPTION_FIELD: &str = "input[description]";
const SHARED_FIELD: &str = "input[shared]";
// The member page's cursor, and what the save and the task batch came back with.
const AFTER: &str = "after";
const SAVED: &str = "saved";
const TASKS_CREATED: &str = "tasks_created";
const TASKS_REFUSED: &str = "tasks_refused";

/// The unsaved edits the builder's form put in the address, if it did.
#[derive(Clone, Default, serde::Serialize, serde::Deserialize)]
struct Edits {
    name: String,
    description: String,
    shared: bool,
    rule_json: String,
}

impl Edits {
    fn from_query(q: &ParamsMap) -> Option<Edits> {
        Some(Edits {
            rule_json: q.get(RULE_FIELD)?,
            name: q.get(NAME_FIELD).unwrap_or_default(),
            description: q.get(DESCRIPTION_FIELD).unwrap_or_default(),
            shared: q.get(SHARED_FIELD).is_some(),
        })
    }
}

/// What the builder shows, loaded in one go before the page is sent.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Loaded {
    options: BuilderOptions,
    segment: Option<Segment>,
    edits: Option<Edits>,
    /// The rule counted: the edited one, else the saved one.
    rule: SegmentRule,
    count: Result<i64, AppError>,
    members: Result<CustomerPage, AppError>,
}

#[component]
fn SegmentEdit() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id =
        params.with_untracked(|p| p.get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0));
    let (edits, after) =
        query.with_untracked(|q| (Edits::from_query(q), q.get(AFTER).unwrap_or_default()));
    let data = Resource::new(
        || (),
        move |_| {
            let (edits, after) = (edits.clone(), after.clone());
            async move {
                let options = segment_builder_options().await?;
                let segment = if id > 0 {
                    Some(get_segment(id).await?)
                } else {
                    None
                };
                // An edited rule that does not parse (a hand-made address) shows the saved one.
                let rule = edits
                    .as_ref()
                    .and_then(|e| parse_rule_json(&e.rule_json).ok())
                    .or_else(|| segment.as_ref().map(|s| s.rule.clone()))
                    .unwrap_or_default();
                let count = count_segment(rule.to_json()).await;
                let members = segment_members(rule.to_json(), after).await;
                Ok::<_, AppError>(Loaded {
                    options,
                    segment,
                    edits,
                    rule,
                    count,
                    members,
                })
            }
        },
    );
    view! {
        <Suspense fallback=|| view! { <p class="loading">"…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(loaded) => view! { <Builder id loaded /> }.into_any(),
                    Err(e) => view! { <section class="page"><ErrorNotice error=e /></section> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Builder(id: i64, loaded: Loaded) -> impl IntoView {
    let query = use_query_map().get_untracked();
    let Loaded {
        options,
        segment,
        edits,
        rule,
        count,
        members,
    } = loaded;
    let may_edit = segment.as_ref().is_none_or(|s| s.may_edit);
    let Edits {
        name,
        description,
        shared,
        ..
    } = edits.unwrap_or_else(|| {
        segment
            .as_ref()
            .map(|s| Edits {
                name: s.name.clone(),
                description: s.description.clone(),
                shared: s.shared,
                rule_json: String::new(),
            })
            .unwrap_or_default()
    });
    let save = ServerAction::<SaveSegment>::new();
    let save_url = <SaveSegment as ServerFn>::PATH;
    let save_error = move || save.value().get().and_then(|r| r.err());
    let saved = query.get(SAVED).is_some() && save_error().is_none();
    let problems = match &count {
        Err(AppError::Validation(errors)) => errors.clone(),
        _ => Vec::new(),
    };
    let page_path = if id > 0 {
        format!("/segments/{id}")
    } else {
        "/segments/new".to_string()
    };

    view! {
        <section class="page segment-builder">
            <div class="page-head">
                <h1>{if id > 0 { t(Key::SegEdit).into_any() } else { t(Key::SegNew).into_any() }}</h1>
                <A href="/segments" attr:class="button">{t(Key::SegBackToList)}</A>
            </div>
            <form class="stack" method="get" action=page_path.clone() data-testid="segment-form">
                <input type="hidden" name="id" value=id />
                <label>
                    {t(Key::Name)}
                    <input name=NAME_FIELD required=true maxlength="120" data-testid="segment-name" value=name />
                    {field_error(save_error, "name")}
                </label>
                <label>
                    {t(Key::SegDescription)}
                    <input name=DESCRIPTION_FIELD maxlength="1000" value=description />
                    {field_error(save_error, "description")}
                </label>
                <label class="check">
                    <input type="checkbox" name=SHARED_FIELD value="true" checked=shared />
                    {t(Key::SegShareWithTeam)}
                </label>

                <fieldset class="rule-editor" data-testid="rule-editor">
                    <legend>{t(Key::SegRule)}</legend>
                    <RuleEditor options rule strings=crate::segments::editor::rule_editor_strings()>
                        {problem_list(problems)}
                    </RuleEditor>
                </fieldset>

                <div class="segment-count" aria-live="polite">
                    <span>{t(Key::SegMatching)}</span>
                    {count_view(count)}
                </div>

                {move || save_error().filter(|e| e.field_error("name").is_none() && e.field_error("description").is_none()).map(|e| view! { <ErrorNotice error=e /> })}
                {may_edit.then(|| view! {
                    <div class="actions">
                        <button type="submit" formmethod="post" formaction=save_url class="primary" data-testid="segment-save">{t(Key::Save)}</button>
                        {saved.then(|| view! { <span class="notice ok" role="status">{t(Key::SegSaved)}</span> })}
                    </div>
                })}
            </form>

            {(id > 0).then(|| segment_actions(id, may_edit, &query))}

            <h2>{t(Key::SegMembers)}</h2>
            {match members {
                Ok(page) => member_table(page, &query).into_any(),
                Err(AppError::Validation(_)) => view! { <p class="hint">{t(Key::SegRuleIncomplete)}</p> }.into_any(),
                Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
            }}
        </section>
    }
}

/// The count, or why there is none: an incomplete rule (its problems show on the
/// conditions), or a problem of the whole rule.
fn count_view(count: Result<i64, AppError>) -> AnyView {
    match count {
        Ok(n) => {
            view! { <output data-testid="segment-count" class="count">{n}</output> }.into_any()
        }
        Err(AppError::Validation(errors)) => {
            let whole_rule = errors
                .into_iter()
                .filter(|e| e.field == "rule" || e.field == path_name(&[]))
                .map(|e| view! { <span class="field-error" role="alert">{t(e.message)}</span> })
                .collect_view();
            view! {
                <output data-testid="segment-count" class="count incomplete">"–"</output>
                <span class="hint">{t(Key::SegRuleIncomplete)}</span>
                {whole_rule}
            }
            .into_any()
        }
        Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
    }
}

/// Opening, exporting and deleting a saved segment, and its task batch.
fn segment_actions(id: i64, may_edit: bool, query: &ParamsMap) -> impl IntoView {
    let delete = ServerAction::<DeleteSegment>::new();
    view! {
        <div class="segment-actions">
            <a class="button" href=format!("/customers?segment={id}") data-testid="segment-open-list">{t(Key::SegOpenInList)}</a>
            <a class="button" href=format!("/customers/export.csv?segment={id}") data-testid="segment-export">{t(Key::ExportCsv)}</a>
            {may_edit.then(|| view! {
                <ActionForm action=delete attr:class="inline">
                    <input type="hidden" name="id" value=id />
                    <button type="submit" class="danger">{t(Key::SegDelete)}</button>
                </ActionForm>
                {move || delete.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNotice error=e /> })}
            })}
        </div>
        <TaskBatchForm id outcome=task_batch_outcome(query) />
    }
}

/// The outcome of a task batch, from the address its form came back to.
fn task_batch_outcome(query: &ParamsMap) -> Option<(usize, usize)> {
    let number = |k: &str| query.get(k).and_then(|v| v.parse::<usize>().ok());
    Some((number(TASKS_CREATED)?, number(TASKS_REFUSED)?))
}

/// The current address with the member page's cursor set (`None`: the first page).
fn member_page_href(query: &ParamsMap, after: Option<&str>) -> String {
    let mut query = query.clone();
    for k in [
        AFTER,
        SAVED,
        TASKS_CREATED,
        TASKS_REFUSED,
        "__err",
        "__path",
    ] {
        query.remove(k);
    }
    if let Some(after) = after {
        query.insert(AFTER, after.to_string());
    }
    let q = query.to_query_string();
    if q.is_empty() {
        "?".to_string()
    } else {
        q
    }
}

fn member_table(page: CustomerPage, query: &ParamsMap) -> impl IntoView {
    let paged = query.get(AFTER).is_some_and(|a| !a.is_empty());
    let first = paged.then(|| member_page_href(query, None));
    let next = page
        .next_after
        .as_deref()
        .map(|cursor| member_page_href(query, Some(cursor)));
    view! {
        <table class="data" data-testid="segment-members">
            <thead><tr>
                <th>{t(Key::Name)}</th>
                <th>{t(Key::City)}</th>
                <th>{t(Key::Level)}</th>
                <th>{t(Key::Grade)}</th>
                <th>{t(Key::Owner)}</th>
            </tr></thead>
            <tbody>
                {page.items.into_iter().map(|c| view! {
                    <tr>
                        <td><a href=format!("/customers/{}", c.id)>{c.name}</a></td>
                        <td>{c.city.unwrap_or_default()}</td>
                        <td>{t(level_short_label(c.level))}</td>
                        <td>{t(c.grade.label())}</td>
                        <td>{c.owner_name}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        <div class="pager">
            {first.map(|href| view! { <a class="button" href=href>{t(Key::FirstPage)}</a> })}
            {next.map(|href| view! { <a class="button" href=href data-testid="segment-next">{t(Key::NextPage)}</a> })}
        </div>
    }
}

#[component]
fn TaskBatchForm(id: i64, outcome: Option<(usize, usize)>) -> impl IntoView {
    let i18n = use_i18n();
    let batch = ServerAction::<CreateSegmentTaskBatch>::new();
    let error = move || batch.value().get().and_then(|r| r.err());
    let open = outcome.is_some() || error().is_some();
    view! {
        <details class="task-batch" open=open>
            <summary data-testid="task-batch-open">{t(Key::SegTaskBatch)}</summary>
            <p class="hint">{t(Key::SegTaskBatchHint)}</p>
            <ActionForm action=batch attr:class="stack" attr:data-testid="task-batch-form">
                <input type="hidden" name="id" value=id />
                <label>
                    {t(Key::TitleField)}
                    <input name="title" required maxlength="200" data-testid="task-batch-title" />
                    {field_error(error, "title")}
                </label>
                <label>
                    {t(Key::DueAt)}
                    <input name="due" type="datetime-local" required data-testid="task-batch-due" />
                    {field_error(error, "due")}
                </label>
                <button type="submit" class="primary" data-testid="task-batch-submit">{t(Key::SegCreateTasks)}</button>
            </ActionForm>
            {outcome.map(|(created, refused)| view! {
                <p class="notice ok" role="status" data-testid="task-batch-result">
                    {move || i18n.t(Key::SegTasksCreated).replace("{created}", &created.to_string()).replace("{refused}", &refused.to_string())}
                </p>
            })}
            {move || error().filter(|e| e.field_error("title").is_none() && e.field_error("due").is_none()).map(|e| view! { <ErrorNotice error=e /> })}
        </details>
    }
}
