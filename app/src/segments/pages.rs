//! The segment list and the builder: a nested rule editor with a live, debounced member
//! count and the member list below it.

use crate::auth::pages::Protected;
use crate::customers::model::{level_short_label, CustomerPage};
use crate::error::{AppError, FieldError};
use crate::i18n::{t, use_i18n, Key};
use crate::segments::api::*;
use crate::segments::model::{
    Attr, BuilderOptions, Cmp, Combine, Condition, Measure, RuleGroup, RuleNode, Segment,
    SegmentInput, SegmentRule, SetOp,
};
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

/// Everything the rule editor's rows share.
#[derive(Clone, Copy)]
struct Editor {
    /// The tree; rendering tracks it, so only structural edits go through `update`.
    rule: RwSignal<SegmentRule>,
    /// Bumped on value edits, which change `rule` without re-rendering the tree.
    edits: RwSignal<u32>,
    /// Validation problems of the last count, by condition path.
    problems: RwSignal<Vec<FieldError>>,
    options: StoredValue<BuilderOptions>,
}

impl Editor {
    fn restructure(&self, f: impl FnOnce(&mut RuleGroup)) {
        self.rule.update(|r| f(&mut r.root));
    }
    fn edit_condition(&self, path: &[usize], f: impl FnOnce(&mut Condition)) {
        self.rule.update_untracked(|r| {
            if let Some(RuleNode::Condition(c)) = r.root.node_at_mut(path) {
                f(c);
            }
        });
        self.edits.update(|n| *n += 1);
    }
    fn problem(&self, path: &[usize]) -> Option<Key> {
        let name = path_name(path);
        self.problems
            .read()
            .iter()
            .find(|e| e.field == name)
            .map(|e| e.message)
    }
}

fn path_name(path: &[usize]) -> String {
    let mut s = "rule.root".to_string();
    for i in path {
        s.push('.');
        s.push_str(&i.to_string());
    }
    s
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

    // Debounce: every edit restarts a short timer; when it fires, the latest rule is
    // committed and the count refetches. The page never reloads.
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
                    {move || match count_now() {
                        None => view! { <output data-testid="segment-count">"…"</output> }.into_any(),
                        Some(Ok(n)) => view! { <output data-testid="segment-count" class="count">{n}</output> }.into_any(),
                        Some(Err(AppError::Validation(_))) => view! {
                            <output data-testid="segment-count" class="count incomplete">"–"</output>
                            <span class="hint">{t(Key::SegRuleIncomplete)}</span>
                        }.into_any(),
                        Some(Err(e)) => view! { <ErrorNotice error=e /> }.into_any(),
                    }}
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

const COMBINE_CHOICES: [(&str, Key); 4] = [
    ("all", Key::SegAllOf),
    ("any", Key::SegAnyOf),
    ("none", Key::SegNoneOf),
    ("not_all", Key::SegNotAllOf),
];

fn combine_code(g: &RuleGroup) -> &'static str {
    match (g.combine, g.negate) {
        (Combine::All, false) => "all",
        (Combine::Any, false) => "any",
        (Combine::Any, true) => "none",
        (Combine::All, true) => "not_all",
    }
}

fn group_view(editor: Editor, group: RuleGroup, path: Vec<usize>) -> AnyView {
    let i18n = use_i18n();
    let current = combine_code(&group);
    let p_combine = path.clone();
    let p_add = path.clone();
    let p_add_group = path.clone();
    let p_remove = path.clone();
    let is_root = path.is_empty();
    let depth = path.len();
    let items = group
        .items
        .into_iter()
        .enumerate()
        .map(|(i, node)| {
            let mut child = path.clone();
            child.push(i);
            match node {
                RuleNode::Group(g) => group_view(editor, g, child),
                RuleNode::Condition(c) => condition_view(editor, c, child),
            }
        })
        .collect_view();
    view! {
        <div class="rule-group" data-depth=depth data-testid="rule-group">
            <div class="rule-group-head">
                <select
                    aria-label=move || i18n.t(Key::SegCombine)
                    data-testid="group-combine"
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        let path = p_combine.clone();
                        editor.restructure(|root| {
                            if let Some(g) = root.group_at_mut(&path) {
                                (g.combine, g.negate) = match v.as_str() {
                                    "any" => (Combine::Any, false),
                                    "none" => (Combine::Any, true),
                                    "not_all" => (Combine::All, true),
                                    _ => (Combine::All, false),
                                };
                            }
                        });
                    }
                >
                    {COMBINE_CHOICES.into_iter().map(|(code, key)| view! {
                        <option value=code selected=code == current>{t(key)}</option>
                    }).collect_view()}
                </select>
                {(!is_root).then(|| view! {
                    <button type="button" class="link-button" on:click=move |_| {
                        let path = p_remove.clone();
                        editor.restructure(|root| root.remove_at(&path));
                    }>{t(Key::SegRemoveGroup)}</button>
                })}
            </div>
            <div class="rule-items">{items}</div>
            <div class="rule-add">
                <button type="button" data-testid="add-condition" on:click=move |_| {
                    let path = p_add.clone();
                    editor.restructure(|root| {
                        if let Some(g) = root.group_at_mut(&path) {
                            g.items.push(RuleNode::Condition(
                                Condition::for_field("attr:province").expect("known field"),
                            ));
                        }
                    });
                }>{t(Key::SegAddCondition)}</button>
                {(depth + 1 < crate::segments::model::MAX_DEPTH).then(|| view! {
                    <button type="button" data-testid="add-group" on:click=move |_| {
                        let path = p_add_group.clone();
                        editor.restructure(|root| {
                            if let Some(g) = root.group_at_mut(&path) {
                                g.items.push(RuleNode::Group(RuleGroup::default()));
                            }
                        });
                    }>{t(Key::SegAddGroup)}</button>
                })}
            </div>
        </div>
    }
    .into_any()
}

fn field_select(editor: Editor, current: String, path: Vec<usize>) -> impl IntoView {
    let i18n = use_i18n();
    let custom = editor.options.with_value(|o| o.custom_fields.clone());
    let cur = current.clone();
    let cur2 = current.clone();
    view! {
        <select
            aria-label=move || i18n.t(Key::SegField)
            data-testid="condition-field"
            on:change=move |ev| {
                let code = event_target_value(&ev);
                let path = path.clone();
                if let Some(fresh) = Condition::for_field(&code) {
                    editor.restructure(|root| {
                        if let Some(node) = root.node_at_mut(&path) {
                            *node = RuleNode::Condition(fresh);
                        }
                    });
                }
            }
        >
            <optgroup label=move || i18n.t(Key::SegAttributes)>
                {Attr::ALL.into_iter().map(|a| { let code = format!("attr:{}", a.as_str()); let sel = code == cur; view! {
                    <option value=code selected=sel>{t(a.label())}</option>
                }}).collect_view()}
            </optgroup>
            <optgroup label=move || i18n.t(Key::SegBehaviour)>
                {Measure::ALL.into_iter().map(|m| { let code = format!("measure:{}", m.as_str()); let sel = code == cur2; view! {
                    <option value=code selected=sel>{t(m.label())}</option>
                }}).collect_view()}
            </optgroup>
            {(!custom.is_empty()).then(|| view! {
                <optgroup label=move || i18n.t(Key::NavCustomFields)>
                    {custom.into_iter().map(|(key, label, _, _)| { let code = format!("custom:{key}"); let sel = code == current; view! {
                        <option value=code selected=sel>{label}</option>
                    }}).collect_view()}
                </optgroup>
            })}
        </select>
    }
}

fn cmp_select(editor: Editor, current: Cmp, path: Vec<usize>, text_only: bool) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <select
            aria-label=move || i18n.t(Key::SegOperator)
            data-testid="condition-op"
            on:change=move |ev| {
                let op = Cmp::parse(&event_target_value(&ev)).unwrap_or_default();
                editor.edit_condition(&path, |c| match c {
                    Condition::Measure { op: o, .. } | Condition::Custom { op: o, .. } => *o = op,
                    Condition::Attr { .. } => {}
                });
            }
        >
            {Cmp::ALL
                .into_iter()
                .filter(|c| !text_only || matches!(c, Cmp::Eq | Cmp::Ne))
                .map(|c| view! { <option value=c.as_str() selected=c == current>{c.symbol()}</option> })
                .collect_view()}
        </select>
    }
}

/// The fixed choices of an enumerated attribute: (value, label).
fn enumerated_choices(attr: Attr, options: &BuilderOptions) -> Vec<(String, ChoiceLabel)> {
    use crate::customers::model::{CustomerKind, Grade};
    use crate::rfm::model::RfmSegment;
    let ids = |list: &[(i64, String)]| {
        list.iter()
            .map(|(id, name)| (id.to_string(), ChoiceLabel::Text(name.clone())))
            .collect()
    };
    match attr {
        Attr::Level => vec![
            ("1".into(), ChoiceLabel::Key(Key::LevelKey)),
            ("2".into(), ChoiceLabel::Key(Key::LevelStandard)),
        ],
        Attr::Grade => Grade::ALL
            .into_iter()
            .map(|g| (g.as_str().to_string(), ChoiceLabel::Key(g.label())))
            .collect(),
        Attr::Kind => [CustomerKind::Person, CustomerKind::Company]
            .into_iter()
            .map(|k| (k.as_str().to_string(), ChoiceLabel::Key(k.label())))
            .collect(),
        Attr::RfmSegment => RfmSegment::ALL
            .into_iter()
            .map(|s| (s.as_str().to_string(), ChoiceLabel::Key(s.label())))
            .collect(),
        Attr::LifecycleStage => crate::lifecycle::model::Stage::ALL
            .into_iter()
            .map(|s| (s.as_str().to_string(), ChoiceLabel::Key(s.label())))
            .collect(),
        Attr::Owner => ids(&options.owners),
        Attr::Team => ids(&options.teams),
        Attr::Tag => ids(&options.tags),
        _ => Vec::new(),
    }
}

#[derive(Clone)]
enum ChoiceLabel {
    Key(Key),
    Text(String),
}

fn condition_view(editor: Editor, condition: Condition, path: Vec<usize>) -> AnyView {
    let i18n = use_i18n();
    let field = field_select(editor, condition.field_code(), path.clone());
    let p_remove = path.clone();
    let p_problem = path.clone();
    let body = match condition {
        Condition::Attr { attr, op, values } => {
            let p_op = path.clone();
            let op_select = view! {
                <select
                    aria-label=move || i18n.t(Key::SegOperator)
                    data-testid="condition-op"
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        editor.edit_condition(&p_op, |c| if let Condition::Attr { op, .. } = c {
                            *op = if v == "none_of" { SetOp::NoneOf } else { SetOp::AnyOf };
                        });
                    }
                >
                    <option value="any_of" selected=op == SetOp::AnyOf>{t(Key::SegIsAnyOf)}</option>
                    <option value="none_of" selected=op == SetOp::NoneOf>{t(Key::SegIsNoneOf)}</option>
                </select>
            };
            let choices = editor.options.with_value(|o| enumerated_choices(attr, o));
            let values_view = if attr.is_enumerated() {
                choices
                    .into_iter()
                    .map(|(value, label)| {
                        let checked = values.contains(&value);
                        let p = path.clone();
                        let v = value.clone();
                        view! {
                            <label class="check chip">
                                <input
                                    type="checkbox"
                                    value=value.clone()
                                    checked=checked
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        let v = v.clone();
                                        editor.edit_condition(&p, |c| if let Condition::Attr { values, .. } = c {
                                            values.retain(|x| *x != v);
                                            if on { values.push(v); }
                                        });
                                    }
                                />
                                {match label {
                                    ChoiceLabel::Key(k) => t(k).into_any(),
                                    ChoiceLabel::Text(s) => s.into_any(),
                                }}
                            </label>
                        }
                    })
                    .collect_view()
                    .into_any()
            } else {
                let list_id = format!("sugg-{}", path_name(&path).replace('.', "-"));
                let suggestions = editor.options.with_value(|o| {
                    o.suggestions
                        .iter()
                        .find(|(code, _)| code == attr.as_str())
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                });
                let p = path.clone();
                view! {
                    <input
                        class="values"
                        data-testid="condition-values"
                        list=list_id.clone()
                        placeholder=move || i18n.t(Key::SegValuesHint)
                        value=values.join(", ")
                        on:input=move |ev| {
                            let raw = event_target_value(&ev);
                            editor.edit_condition(&p, |c| if let Condition::Attr { values, .. } = c {
                                *values = raw.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
                            });
                        }
                    />
                    <datalist id=list_id>
                        {suggestions.into_iter().map(|s| view! { <option value=s /> }).collect_view()}
                    </datalist>
                }
                .into_any()
            };
            view! { {op_select} <span class="values-set">{values_view}</span> }.into_any()
        }
        Condition::Measure {
            measure,
            days,
            op,
            value,
        } => {
            let p_days = path.clone();
            let p_value = path.clone();
            let window = measure.has_window().then(|| {
                view! {
                    <label class="inline-label">
                        {t(Key::SegInLastDays)}
                        <input
                            type="number"
                            min="1"
                            max="3650"
                            class="days"
                            data-testid="condition-days"
                            placeholder=move || i18n.t(Key::SegAllTime)
                            value=days.map(|d| d.to_string()).unwrap_or_default()
                            on:input=move |ev| {
                                let raw = event_target_value(&ev);
                                editor.edit_condition(&p_days, |c| if let Condition::Measure { days, .. } = c {
                                    // Empty means all history; anything unparsable is sent as
                                    // is-invalid (0) so the server names the problem.
                                    *days = if raw.trim().is_empty() { None } else { Some(raw.trim().parse().unwrap_or(0)) };
                                });
                            }
                        />
                        {t(Key::SegDays)}
                    </label>
                }
            });
            view! {
                {window}
                {cmp_select(editor, op, path.clone(), false)}
                <input
                    class="number"
                    inputmode="decimal"
                    data-testid="condition-value"
                    aria-label=move || i18n.t(Key::SegValue)
                    value=value
                    on:input=move |ev| {
                        let raw = event_target_value(&ev);
                        editor.edit_condition(&p_value, |c| if let Condition::Measure { value, .. } = c {
                            *value = raw;
                        });
                    }
                />
            }
            .into_any()
        }
        Condition::Custom { key, op, value } => {
            let field = editor.options.with_value(|o| {
                o.custom_fields
                    .iter()
                    .find(|(k, _, _, _)| *k == key)
                    .cloned()
            });
            let kind = field.as_ref().map(|f| f.2.clone()).unwrap_or_default();
            let text_only = kind == "text" || kind == "choice";
            let p_value = path.clone();
            let set_value = move |raw: String| {
                editor.edit_condition(&p_value, |c| {
                    if let Condition::Custom { value, .. } = c {
                        *value = raw;
                    }
                })
            };
            let input = if kind == "choice" {
                let choices = field.map(|f| f.3).unwrap_or_default();
                view! {
                    <select data-testid="condition-value" on:change=move |ev| set_value(event_target_value(&ev))>
                        <option value="">"—"</option>
                        {choices.into_iter().map(|c| { let sel = c == value; let label = c.clone(); view! { <option value=c selected=sel>{label}</option> }}).collect_view()}
                    </select>
                }
                .into_any()
            } else {
                let input_type = if kind == "date" { "date" } else { "text" };
                view! {
                    <input
                        type=input_type
                        data-testid="condition-value"
                        value=value
                        on:input=move |ev| set_value(event_target_value(&ev))
                    />
                }
                .into_any()
            };
            view! { {cmp_select(editor, op, path.clone(), text_only)} {input} }.into_any()
        }
    };
    view! {
        <div class="rule-condition" data-testid="rule-condition">
            {field}
            {body}
            <button type="button" class="link-button" aria-label=move || i18n.t(Key::SegRemoveCondition) on:click=move |_| {
                let path = p_remove.clone();
                editor.restructure(|root| root.remove_at(&path));
            }>"✕"</button>
            {move || editor.problem(&p_problem).map(|k| view! { <span class="field-error" role="alert">{move || i18n.t(k)}</span> })}
        </div>
    }
    .into_any()
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
