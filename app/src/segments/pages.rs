//! The segment list and the builder: a nested rule editor with a live, debounced member
//! count and the member list below it.

use crate::auth::pages::Protected;
use crate::customers::filter::CustomerPage;
use crate::customers::model::level_short_label;
use crate::error::AppError;
use crate::i18n::{t, use_i18n, Key};
use crate::segments::api::*;
use crate::segments::editor::{group_view, Editor};
use crate::segments::model::{BuilderOptions, Segment, SegmentInput};
use crate::ui::ErrorNotice;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

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

#[component]
fn SegmentEdit() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let data = Resource::new(id, |id| async move {
        let options = segment_builder_options().await?;
        let segment = if id > 0 {
            Some(get_segment(id).await?)
        } else {
            None
        };
        Ok::<_, AppError>((options, segment))
    });
    view! {
        <Suspense fallback=|| view! { <p class="loading">"…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok((options, segment)) => view! { <Builder options segment /> }.into_any(),
                    Err(e) => view! { <section class="page"><ErrorNotice error=e /></section> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Builder(options: BuilderOptions, segment: Option<Segment>) -> impl IntoView {
    let i18n = use_i18n();
    let id = segment.as_ref().map(|s| s.id).unwrap_or(0);
    let may_edit = segment.as_ref().is_none_or(|s| s.may_edit);
    let editor = Editor {
        rule: RwSignal::new(segment.as_ref().map(|s| s.rule.clone()).unwrap_or_default()),
        edits: RwSignal::new(0),
        problems: RwSignal::new(Vec::new()),
        options: StoredValue::new(options),
    };
    let name = RwSignal::new(segment.as_ref().map(|s| s.name.clone()).unwrap_or_default());
    let description = RwSignal::new(
        segment
            .as_ref()
            .map(|s| s.description.clone())
            .unwrap_or_default(),
    );
    let shared = RwSignal::new(segment.as_ref().is_some_and(|s| s.shared));

    // The rule the count and members were last asked for. Edits reach it after a pause.
    let committed = RwSignal::new(editor.rule.get_untracked().to_json());
    let after = RwSignal::new(String::new());
    // Fetched by the browser only: the builder is built once its segment has loaded, so
    // resources made here would be started again each time the server's `Suspense`
    // re-checks its children. The live count needs the browser anyway. They are read only
    // once the page is live (effects never run on the server): the server and the
    // hydrating browser both render the loading text, so hydration never depends on when
    // a fetch finishes.
    let count = LocalResource::new(move || count_segment(committed.get()));
    let members = LocalResource::new(move || segment_members(committed.get(), after.get()));
    let live = RwSignal::new(false);
    Effect::new(move |_| live.set(true));
    let count_now = move || live.get().then(|| count.get()).flatten();
    let members_now = move || live.get().then(|| members.get()).flatten();
    Effect::new(move |_| {
        if let Some(result) = count_now() {
            editor.problems.set(match result {
                Err(AppError::Validation(errors)) => errors,
                _ => Vec::new(),
            });
        }
    });

    commit_after_pause(editor, committed, after);

    let save = ServerAction::<SaveSegment>::new();
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            if saved != id {
                navigate(&format!("/segments/{saved}"), Default::default());
            }
        }
    });
    let on_save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(SaveSegment {
            id,
            input: SegmentInput {
                name: name.get_untracked(),
                description: description.get_untracked(),
                shared: shared.get_untracked(),
                rule_json: editor.rule.get_untracked().to_json(),
            },
        });
    };
    let save_error = move || save.value().get().and_then(|r| r.err());
    let delete = ServerAction::<DeleteSegment>::new();

    view! {
        <section class="page segment-builder">
            <div class="page-head">
                <h1>{if id > 0 { t(Key::SegEdit).into_any() } else { t(Key::SegNew).into_any() }}</h1>
                <A href="/segments" attr:class="button">{t(Key::SegBackToList)}</A>
            </div>
            <form class="stack" on:submit=on_save data-testid="segment-form">
                <label>
                    {t(Key::Name)}
                    <input
                        name="name"
                        required
                        maxlength="120"
                        data-testid="segment-name"
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))
                    />
                    {move || save_error().and_then(|e| e.field_error("name")).map(|k| view! { <span class="field-error">{move || i18n.t(k)}</span> })}
                </label>
                <label>
                    {t(Key::SegDescription)}
                    <input
                        name="description"
                        maxlength="1000"
                        prop:value=move || description.get()
                        on:input=move |ev| description.set(event_target_value(&ev))
                    />
                </label>
                <label class="check">
                    <input type="checkbox" prop:checked=move || shared.get() on:change=move |ev| shared.set(event_target_checked(&ev)) />
                    {t(Key::SegShareWithTeam)}
                </label>

                <fieldset class="rule-editor" data-testid="rule-editor">
                    <legend>{t(Key::SegRule)}</legend>
                    {move || {
                        let root = editor.rule.with(|r| r.root.clone());
                        group_view(editor, root, Vec::new())
                    }}
                </fieldset>

                <div class="segment-count" aria-live="polite">
                    <span>{t(Key::SegMatching)}</span>
                    {move || count_view(count_now())}
                </div>

                {move || save_error().filter(|e| e.field_error("name").is_none()).map(|e| view! { <ErrorNotice error=e /> })}
                <Show when=move || may_edit>
                    <div class="actions">
                        <button type="submit" class="primary" data-testid="segment-save">{t(Key::Save)}</button>
                        {move || matches!(save.value().get(), Some(Ok(_))).then(|| view! {
                            <span class="notice ok" role="status">{t(Key::SegSaved)}</span>
                        })}
                    </div>
                </Show>
            </form>

            {segment_actions(id, may_edit, delete)}

            <h2>{t(Key::SegMembers)}</h2>
            {move || match members_now() {
                None => view! { <p class="loading">"…"</p> }.into_any(),
                Some(Ok(page)) => member_table(page, after).into_any(),
                Some(Err(AppError::Validation(_))) => view! { <p class="hint">{t(Key::SegRuleIncomplete)}</p> }.into_any(),
                Some(Err(e)) => view! { <ErrorNotice error=e /> }.into_any(),
            }}
        </section>
    }
}

/// Debounce: every edit restarts a short timer; when it fires, the latest rule is
/// committed and the count refetches. The page never reloads.
fn commit_after_pause(editor: Editor, committed: RwSignal<String>, after: RwSignal<String>) {
    #[cfg(feature = "hydrate")]
    {
        let generation = StoredValue::new(0u64);
        Effect::new(move |first: Option<()>| {
            editor.rule.track();
            editor.edits.track();
            if first.is_none() {
                return;
            }
            let mine = generation.get_value() + 1;
            generation.set_value(mine);
            leptos::task::spawn_local(async move {
                gloo_timers::future::TimeoutFuture::new(350).await;
                if generation.get_value() == mine {
                    after.set(String::new());
                    committed.set(editor.rule.get_untracked().to_json());
                }
            });
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (editor, committed, after);
}

/// The live count, or why there is none yet.
fn count_view(count: Option<Result<i64, AppError>>) -> AnyView {
    match count {
        None => view! { <output data-testid="segment-count">"…"</output> }.into_any(),
        Some(Ok(n)) => {
            view! { <output data-testid="segment-count" class="count">{n}</output> }.into_any()
        }
        Some(Err(AppError::Validation(_))) => view! {
            <output data-testid="segment-count" class="count incomplete">"–"</output>
            <span class="hint">{t(Key::SegRuleIncomplete)}</span>
        }
        .into_any(),
        Some(Err(e)) => view! { <ErrorNotice error=e /> }.into_any(),
    }
}

/// Opening, exporting and deleting a saved segment, and its task batch.
fn segment_actions(id: i64, may_edit: bool, delete: ServerAction<DeleteSegment>) -> impl IntoView {
    view! {
        <Show when=move || { id > 0 }>
            <div class="segment-actions">
                <a class="button" href=format!("/customers?segment={id}") data-testid="segment-open-list">{t(Key::SegOpenInList)}</a>
                <a class="button" href=format!("/customers/export.csv?segment={id}") data-testid="segment-export">{t(Key::ExportCsv)}</a>
                <Show when=move || may_edit>
                    <ActionForm action=delete attr:class="inline">
                        <input type="hidden" name="id" value=id />
                        <button type="submit" class="danger">{t(Key::SegDelete)}</button>
                    </ActionForm>
                </Show>
            </div>
            <TaskBatchForm id />
        </Show>
    }
}

fn member_table(page: CustomerPage, after: RwSignal<String>) -> impl IntoView {
    let next = page.next_after.clone();
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
            <Show when=move || !after.get().is_empty()>
                <button type="button" on:click=move |_| after.set(String::new())>{t(Key::FirstPage)}</button>
            </Show>
            {next.map(|cursor| view! {
                <button type="button" data-testid="segment-next" on:click=move |_| after.set(cursor.clone())>{t(Key::NextPage)}</button>
            })}
        </div>
    }
}

#[component]
fn TaskBatchForm(id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let batch = ServerAction::<CreateSegmentTaskBatch>::new();
    let result = move || batch.value().get();
    view! {
        <details class="task-batch">
            <summary data-testid="task-batch-open">{t(Key::SegTaskBatch)}</summary>
            <p class="hint">{t(Key::SegTaskBatchHint)}</p>
            <ActionForm action=batch attr:class="stack" attr:data-testid="task-batch-form">
                <input type="hidden" name="id" value=id />
                <label>
                    {t(Key::TitleField)}
                    <input name="title" required maxlength="200" data-testid="task-batch-title" />
                    {move || result().and_then(|r| r.err()).and_then(|e| e.field_error("title")).map(|k| view! { <span class="field-error">{move || i18n.t(k)}</span> })}
                </label>
                <label>
                    {t(Key::DueAt)}
                    <input name="due" type="datetime-local" required data-testid="task-batch-due" />
                    {move || result().and_then(|r| r.err()).and_then(|e| e.field_error("due")).map(|k| view! { <span class="field-error">{move || i18n.t(k)}</span> })}
                </label>
                <button type="submit" class="primary" data-testid="task-batch-submit">{t(Key::SegCreateTasks)}</button>
            </ActionForm>
            {move || result().map(|r| match r {
                Ok(outcome) => view! {
                    <p class="notice ok" role="status" data-testid="task-batch-result">
                        {move || i18n.t(Key::SegTasksCreated).replace("{created}", &outcome.created.to_string()).replace("{refused}", &outcome.refused.to_string())}
                    </p>
                }.into_any(),
                Err(e) if e.field_error("title").is_none() && e.field_error("due").is_none() => view! { <ErrorNotice error=e /> }.into_any(),
                Err(_) => ().into_any(),
            })}
        </details>
    }
}
