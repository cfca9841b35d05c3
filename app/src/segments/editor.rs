//! The rule editor of the segment builder, an island: the rule tree lives here, in the
//! browser. Every edit writes the tree as JSON into the builder form's rule field and
//! submits the form as a GET to the builder page (after a pause in typing, at once for a
//! choice); the server renders that page with the count and members of the rule in the
//! address. The problems it found come inside this island (its children) and are shown on
//! the condition they name. Groups and conditions are edited in place, by index path.

use crate::error::FieldError;
use crate::i18n::{t, use_i18n, IslandStrings, Key};
use crate::segments::model::{
    Attr, BuilderOptions, Cmp, Combine, Condition, Measure, RuleGroup, RuleNode, SegmentRule, SetOp,
};
use leptos::prelude::*;

/// The builder form's field that carries the rule, named as the save function reads it.
pub const RULE_FIELD: &str = "input[rule_json]";

/// Everything the rule editor's rows share.
#[derive(Clone, Copy)]
struct Editor {
    /// The tree; rendering tracks it, so only structural edits notify.
    rule: RwSignal<SegmentRule>,
    /// (condition path, message) of the problems the server found in the rule it counted.
    problems: RwSignal<Vec<(String, String)>>,
    options: StoredValue<BuilderOptions>,
    /// Its texts, as the server sent them: part of the props the page is rendered with.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    strings: StoredValue<IslandStrings>,
    root: NodeRef<leptos::html::Div>,
    field: NodeRef<leptos::html::Input>,
    #[cfg(feature = "hydrate")]
    pending: StoredValue<browser::Pending, LocalStorage>,
}

impl Editor {
    fn restructure(&self, f: impl FnOnce(&mut RuleGroup)) {
        self.rule.update(|r| f(&mut r.root));
        // Paths have moved: the problems name conditions that may no longer be there.
        self.problems.set(Vec::new());
        self.changed(false);
    }
    /// A value edit: `typed` for text, which waits for a pause before counting.
    fn edit_condition(&self, path: &[usize], typed: bool, f: impl FnOnce(&mut Condition)) {
        self.rule.update_untracked(|r| {
            if let Some(RuleNode::Condition(c)) = r.root.node_at_mut(path) {
                f(c);
            }
        });
        self.changed(typed);
    }
    fn problem(&self, path: &[usize]) -> Option<String> {
        let name = path_name(path);
        self.problems
            .read()
            .iter()
            .find(|(field, _)| *field == name)
            .map(|(_, message)| message.clone())
    }
    fn changed(&self, typed: bool) {
        #[cfg(feature = "hydrate")]
        browser::changed(*self, typed);
        #[cfg(not(feature = "hydrate"))]
        let _ = typed;
    }
}

/// The name the server's checks give a condition (`rule.root.0.2`).
pub fn path_name(path: &[usize]) -> String {
    let mut s = "rule.root".to_string();
    for i in path {
        s.push('.');
        s.push_str(&i.to_string());
    }
    s
}

/// Every text the rule editor may show, for its props.
pub fn rule_editor_strings() -> IslandStrings {
    IslandStrings::of(rule_editor_keys())
}

fn rule_editor_keys() -> Vec<Key> {
    use crate::customers::model::{CustomerKind, Grade};
    use crate::rfm::model::RfmSegment;
    let fixed = [
        Key::LevelKey,
        Key::LevelStandard,
        Key::NavCustomFields,
        Key::SegAddCondition,
        Key::SegAddGroup,
        Key::SegAllOf,
        Key::SegAllTime,
        Key::SegAnyOf,
        Key::SegAttributes,
        Key::SegBehaviour,
        Key::SegCombine,
        Key::SegDays,
        Key::SegField,
        Key::SegInLastDays,
        Key::SegIsAnyOf,
        Key::SegIsNoneOf,
        Key::SegNoneOf,
        Key::SegNotAllOf,
        Key::SegOperator,
        Key::SegRemoveCondition,
        Key::SegRemoveGroup,
        Key::SegValue,
        Key::SegValuesHint,
    ];
    fixed
        .into_iter()
        .chain(Attr::ALL.into_iter().map(|a| a.label()))
        .chain(Measure::ALL.into_iter().map(|m| m.label()))
        .chain(Grade::ALL.into_iter().map(|g| g.label()))
        .chain([CustomerKind::Person, CustomerKind::Company].map(|k| k.label()))
        .chain(RfmSegment::ALL.into_iter().map(|r| r.label()))
        .chain(
            crate::lifecycle::model::Stage::ALL
                .into_iter()
                .map(|s| s.label()),
        )
        .collect()
}

/// The server's list of a rule's problems, the children of [`RuleEditor`].
pub fn problem_list(problems: Vec<FieldError>) -> impl IntoView {
    view! {
        <ul>
            {problems.into_iter().map(|e| view! { <li data-problem-for=e.field>{t(e.message)}</li> }).collect_view()}
        </ul>
    }
}

/// The rule editor inside the builder form. `children` is the server's list of the rule's
/// problems ([`problem_list`]), kept hidden: each shows on its condition.
#[island]
pub fn RuleEditor(
    options: BuilderOptions,
    rule: SegmentRule,
    strings: IslandStrings,
    children: Children,
) -> impl IntoView {
    strings.install();
    let editor = Editor {
        rule: RwSignal::new(rule),
        problems: RwSignal::new(Vec::new()),
        options: StoredValue::new(options),
        strings: StoredValue::new(strings),
        root: NodeRef::new(),
        field: NodeRef::new(),
        #[cfg(feature = "hydrate")]
        pending: StoredValue::new_local(browser::Pending::default()),
    };
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| browser::start(editor));
    let json = editor.rule.with_untracked(|r| r.to_json());
    view! {
        <div class="contents" node_ref=editor.root>
            <input type="hidden" name=RULE_FIELD value=json node_ref=editor.field />
            {move || {
                let root = editor.rule.with(|r| r.root.clone());
                group_view(editor, root, Vec::new())
            }}
            <div hidden=true>{children()}</div>
        </div>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::{Editor, RuleEditorProps};
    use gloo_timers::callback::Timeout;
    use leptos::prelude::*;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    /// How long typing pauses before the count is asked for.
    const TYPING_PAUSE_MS: u32 = 350;
    /// Marks the items of [`super::problem_list`]: each names its condition.
    const PROBLEM_ATTR: &str = "data-problem-for";

    /// The editor's dealings with the page around it.
    #[derive(Default)]
    pub struct Pending {
        /// The preview that waits for a pause in typing.
        timer: Option<Timeout>,
        /// Set while this editor submits the form itself.
        own_submit: bool,
    }

    pub fn changed(editor: Editor, typed: bool) {
        // The form carries the latest rule at once, so a save never sends an older one.
        if let Some(field) = editor.field.get_untracked() {
            field.set_value(&editor.rule.with_untracked(|r| r.to_json()));
        }
        if typed {
            let timer = Timeout::new(TYPING_PAUSE_MS, move || preview(editor));
            editor.pending.update_value(|p| p.timer = Some(timer));
        } else {
            editor.pending.update_value(|p| p.timer = None);
            preview(editor);
        }
    }

    fn form_of(editor: Editor) -> Option<web_sys::HtmlFormElement> {
        editor
            .root
            .get_untracked()?
            .closest("form")
            .ok()??
            .dyn_into()
            .ok()
    }

    /// Submits the builder form as a GET to the page, which comes back with the count.
    fn preview(editor: Editor) {
        // A newer preview supersedes one still loading (the navigation script keeps the
        // latest), and the page keeps its scroll and focus: the address stays the page's.
        let Some(form) = form_of(editor) else { return };
        // The page that comes back renders this island with these props; saying so keeps
        // this island, and what is being typed into it, instead of a fresh copy.
        let host = editor
            .root
            .get_untracked()
            .and_then(|r| r.closest("leptos-island").ok().flatten());
        let props = serde_json::to_string(&RuleEditorProps {
            options: editor.options.get_value(),
            rule: editor.rule.get_untracked(),
            strings: editor.strings.get_value(),
            children: Box::new(|| ().into_any()),
        });
        if let (Some(host), Ok(props)) = (host, props) {
            let _ = host.set_attribute("data-props", &props);
        }
        editor.pending.update_value(|p| p.own_submit = true);
        // A preview needs no name yet: the form's checks are for saving.
        form.set_no_validate(true);
        let _ = form.request_submit();
        form.set_no_validate(false);
        editor.pending.update_value(|p| p.own_submit = false);
    }

    /// Once hydrated: shows the server's problems, and after each navigation the new ones.
    /// Any other submission of the form (a save) drops a preview still waiting.
    pub fn start(editor: Editor) {
        read_problems(editor);
        let Some(root) = editor.root.get_untracked() else {
            return;
        };
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let on_navigated = Closure::<dyn Fn()>::new(move || {
            if root.is_connected() {
                read_problems(editor);
            }
        });
        let _ = document.add_event_listener_with_callback(
            "rapport:navigated",
            on_navigated.as_ref().unchecked_ref(),
        );
        // Lives as long as the page; does nothing once the editor has left it.
        on_navigated.forget();
        if let Some(form) = form_of(editor) {
            let on_submit = Closure::<dyn Fn()>::new(move || {
                editor.pending.update_value(|p| {
                    if !p.own_submit {
                        p.timer = None;
                    }
                });
            });
            let _ =
                form.add_event_listener_with_callback("submit", on_submit.as_ref().unchecked_ref());
            on_submit.forget();
        }
    }

    fn read_problems(editor: Editor) {
        let Some(root) = editor.root.get_untracked() else {
            return;
        };
        let Ok(items) = root.query_selector_all(&format!("[{PROBLEM_ATTR}]")) else {
            return;
        };
        let problems = (0..items.length())
            .filter_map(|i| items.item(i)?.dyn_into::<web_sys::Element>().ok())
            .filter_map(|el| Some((el.get_attribute(PROBLEM_ATTR)?, el.text_content()?)))
            .collect();
        editor.problems.set(problems);
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
                editor.edit_condition(&path, false, |c| match c {
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
        Condition::Attr { attr, op, values } => attr_inputs(editor, attr, op, values, &path),
        Condition::Measure {
            measure,
            days,
            op,
            value,
        } => measure_inputs(editor, measure, days, op, value, &path),
        Condition::Custom { key, op, value } => custom_inputs(editor, &key, op, value, &path),
    };
    view! {
        <div class="rule-condition" data-testid="rule-condition">
            {field}
            {body}
            <button type="button" class="link-button" aria-label=move || i18n.t(Key::SegRemoveCondition) on:click=move |_| {
                let path = p_remove.clone();
                editor.restructure(|root| root.remove_at(&path));
            }>"✕"</button>
            {move || editor.problem(&p_problem).map(|message| view! { <span class="field-error" role="alert">{message}</span> })}
        </div>
    }
    .into_any()
}

/// The operator and values of an attribute condition: chips for enumerated attributes,
/// free text with suggestions otherwise.
fn attr_inputs(
    editor: Editor,
    attr: Attr,
    op: SetOp,
    values: Vec<String>,
    path: &[usize],
) -> AnyView {
    let i18n = use_i18n();
    let path = path.to_vec();
    let p_op = path.clone();
    let op_select = view! {
        <select
            aria-label=move || i18n.t(Key::SegOperator)
            data-testid="condition-op"
            on:change=move |ev| {
                let v = event_target_value(&ev);
                editor.edit_condition(&p_op, false, |c| if let Condition::Attr { op, .. } = c {
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
                                editor.edit_condition(&p, false, |c| if let Condition::Attr { values, .. } = c {
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
                    editor.edit_condition(&p, true, |c| if let Condition::Attr { values, .. } = c {
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

/// The window, comparison and number of a measure condition.
fn measure_inputs(
    editor: Editor,
    measure: Measure,
    days: Option<i64>,
    op: Cmp,
    value: String,
    path: &[usize],
) -> AnyView {
    let i18n = use_i18n();
    let path = path.to_vec();
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
                        editor.edit_condition(&p_days, true, |c| if let Condition::Measure { days, .. } = c {
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
                editor.edit_condition(&p_value, true, |c| if let Condition::Measure { value, .. } = c {
                    *value = raw;
                });
            }
        />
    }
    .into_any()
}

/// The comparison and value of a custom field condition, as the field's kind asks.
fn custom_inputs(editor: Editor, key: &str, op: Cmp, value: String, path: &[usize]) -> AnyView {
    let path = path.to_vec();
    let field = editor.options.with_value(|o| {
        o.custom_fields
            .iter()
            .find(|(k, _, _, _)| k == key)
            .cloned()
    });
    let kind = field.as_ref().map(|f| f.2.clone()).unwrap_or_default();
    let text_only = kind == "text" || kind == "choice";
    let p_value = path.clone();
    // A date or text is typed; a choice is picked.
    let typed = kind != "choice";
    let set_value = move |raw: String| {
        editor.edit_condition(&p_value, typed, |c| {
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

#[cfg(all(test, feature = "ssr"))]
mod strings_tests {
    use super::*;

    /// Every key this file names is among the editor's texts (the labels of the choices
    /// come from the lists they are drawn from).
    #[test]
    fn the_editor_carries_every_text_it_names() {
        let keys = rule_editor_keys();
        let named = crate::i18n::keys_named_in(include_str!("editor.rs"));
        assert!(named.len() > 10, "the file names its keys in full");
        for key in named {
            assert!(keys.contains(&key), "{key:?} missing from rule_editor_keys");
        }
    }
}
