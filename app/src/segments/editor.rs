//! The rule editor of the segment builder: groups and conditions edited in place, by
//! index path, each row showing the problem the last count found in it.

use crate::error::FieldError;
use crate::i18n::{t, use_i18n, Key};
use crate::segments::model::{
    Attr, BuilderOptions, Cmp, Combine, Condition, Measure, RuleGroup, RuleNode, SegmentRule, SetOp,
};
use leptos::prelude::*;

/// Everything the rule editor's rows share.
#[derive(Clone, Copy)]
pub struct Editor {
    /// The tree; rendering tracks it, so only structural edits go through `update`.
    pub rule: RwSignal<SegmentRule>,
    /// Bumped on value edits, which change `rule` without re-rendering the tree.
    pub edits: RwSignal<u32>,
    /// Validation problems of the last count, by condition path.
    pub problems: RwSignal<Vec<FieldError>>,
    pub options: StoredValue<BuilderOptions>,
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

pub fn group_view(editor: Editor, group: RuleGroup, path: Vec<usize>) -> AnyView {
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
            {move || editor.problem(&p_problem).map(|k| view! { <span class="field-error" role="alert">{move || i18n.t(k)}</span> })}
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
