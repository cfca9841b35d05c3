//! The form builder's editor, an island: the form's definition (texts, questions, the
//! complaint rule) lives here, in the browser, and every edit writes it as JSON into the
//! builder form's `definition_json` field, which the save button posts. After a refused
//! save the server renders the same page with the same props, so this island (and the
//! edits in it) stays; the problems the server found come inside it (its children) and
//! are shown by the fields they name.

use crate::complaints::model::Severity;
use crate::error::FieldError;
use crate::feedback::model::*;
use crate::i18n::{t, use_i18n, IslandStrings, Key};
use crate::ids::UserId;
use leptos::prelude::*;

/// The builder form's field that carries the definition, named as the save function reads it.
const DEFINITION_FIELD: &str = "definition_json";

/// The server's list of a save's problems, the children of [`DefinitionEditor`].
pub fn problem_list(problems: Vec<FieldError>) -> impl IntoView {
    view! {
        <ul>
            {problems.into_iter().map(|e| view! { <li data-problem-for=e.field>{t(e.message)}</li> }).collect_view()}
        </ul>
    }
}

/// The message of the problem the server found in `field`, if any (field names of
/// questions are dynamic: `q3.label`).
fn problem_for(problems: &[(String, String)], field: &str) -> Option<String> {
    problems
        .iter()
        .find(|(f, _)| f == field)
        .map(|(_, message)| message.clone())
}

fn problem_view(message: String) -> impl IntoView {
    view! { <span class="field-error" role="alert">{message}</span> }
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

/// Shared by every row of the editor.
#[derive(Clone, Copy)]
struct Draft {
    /// Rendering tracks the definition, so only structural edits (add, remove, move,
    /// change kind) notify; typing edits it silently.
    def: RwSignal<FormDefinition>,
    /// (field, message) of the problems of the last save.
    errors: RwSignal<Vec<(String, String)>>,
    field: NodeRef<leptos::html::Input>,
}

impl Draft {
    fn restructure(&self, f: impl FnOnce(&mut FormDefinition)) {
        self.def.update(f);
        self.write();
    }
    fn edit(&self, f: impl FnOnce(&mut FormDefinition)) {
        self.def.update_untracked(f);
        self.write();
    }
    fn edit_question(&self, key: &str, f: impl FnOnce(&mut Question)) {
        self.edit(|d| {
            if let Some(q) = d.questions.iter_mut().find(|q| q.key == key) {
                f(q);
            }
        });
    }
    /// The form carries the definition as it is now.
    fn write(&self) {
        if let Some(field) = self.field.get_untracked() {
            field.set_value(&self.def.with_untracked(definition_json));
        }
    }
}

fn definition_json(def: &FormDefinition) -> String {
    serde_json::to_string(def).unwrap_or_default()
}

/// Every text the form editor may show, for its props.
pub fn definition_editor_strings() -> IslandStrings {
    IslandStrings::of(definition_editor_keys())
}

fn definition_editor_keys() -> Vec<Key> {
    let fixed = [
        Key::FbAddQuestion,
        Key::FbFormTitle,
        Key::FbIntro,
        Key::FbMoveDown,
        Key::FbMoveUp,
        Key::FbOptionsOnePerLine,
        Key::FbQuestionKind,
        Key::FbQuestionLabel,
        Key::FbQuestions,
        Key::FbRemove,
        Key::FbRequiredLabel,
        Key::FbRuleAssignee,
        Key::FbRuleAssigneeOwner,
        Key::FbRuleCategory,
        Key::FbRuleEnable,
        Key::FbRuleOption,
        Key::FbRuleQuestion,
        Key::FbRuleSeverity,
        Key::FbRuleThreshold,
        Key::FbThanks,
    ];
    fixed
        .into_iter()
        .chain(QuestionKind::ALL.into_iter().map(|k| k.label()))
        .chain(Severity::ALL.into_iter().map(|s| s.label()))
        .collect()
}

/// The editor inside the builder form. `children` is the server's list of the last save's
/// problems ([`problem_list`]), kept hidden: each shows by its field.
#[island]
pub fn DefinitionEditor(
    definition: FormDefinition,
    assignees: Vec<(UserId, String)>,
    strings: IslandStrings,
    children: Children,
) -> impl IntoView {
    strings.install();
    let json = definition_json(&definition);
    let draft = Draft {
        def: RwSignal::new(definition),
        errors: RwSignal::new(Vec::new()),
        field: NodeRef::new(),
    };
    let root = NodeRef::<leptos::html::Div>::new();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| browser::show_problems(draft, root));
    let def = draft.def;
    let errors = draft.errors;
    let text_input = move |field: &'static str, label: Key, zh: bool, multiline: bool| {
        localized_input(draft, field, label, zh, multiline)
    };
    view! {
        <div class="contents" node_ref=root>
            <input type="hidden" name=DEFINITION_FIELD value=json node_ref=draft.field />
            {text_input("title", Key::FbFormTitle, false, false)}
            {text_input("title", Key::FbFormTitle, true, false)}
            {text_input("intro", Key::FbIntro, false, true)}
            {text_input("intro", Key::FbIntro, true, true)}
            {text_input("thanks", Key::FbThanks, false, true)}
            {text_input("thanks", Key::FbThanks, true, true)}
            <h2 class="full">{t(Key::FbQuestions)}</h2>
            {move || problem_for(&errors.read(), "questions").map(|m| view! { <p class="field-error full" role="alert">{m}</p> })}
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
            <ComplaintRuleEditor draft assignees />
            <div hidden=true>{children()}</div>
        </div>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::Draft;
    use leptos::prelude::*;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    /// Marks the items of [`super::problem_list`]: each names its field.
    const PROBLEM_ATTR: &str = "data-problem-for";

    /// Shows the server's problems once hydrated, and again after each navigation (a
    /// refused save keeps this island and brings new ones).
    pub fn show_problems(draft: Draft, root: NodeRef<leptos::html::Div>) {
        let Some(root) = root.get_untracked() else {
            return;
        };
        read(draft, &root);
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let on_navigated = Closure::<dyn Fn()>::new(move || {
            if root.is_connected() {
                read(draft, &root);
            }
        });
        let _ = document.add_event_listener_with_callback(
            "rapport:navigated",
            on_navigated.as_ref().unchecked_ref(),
        );
        // Lives as long as the page; does nothing once the editor has left it.
        on_navigated.forget();
    }

    fn read(draft: Draft, root: &web_sys::HtmlDivElement) {
        let Ok(items) = root.query_selector_all(&format!("[{PROBLEM_ATTR}]")) else {
            return;
        };
        let problems = (0..items.length())
            .filter_map(|i| items.item(i)?.dyn_into::<web_sys::Element>().ok())
            .filter_map(|el| Some((el.get_attribute(PROBLEM_ATTR)?, el.text_content()?)))
            .collect();
        draft.errors.set(problems);
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
            {(!zh).then_some(move || problem_for(&draft.errors.read(), field).map(problem_view))}
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
                {move || problem_for(&errors.read(), &label_field).map(problem_view)}
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
                        {move || problem_for(&errors.read(), &options_field).map(problem_view)}
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
fn ComplaintRuleEditor(draft: Draft, assignees: Vec<(UserId, String)>) -> impl IntoView {
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
                        {move || problem_for(&errors.read(), "rule.trigger").map(problem_view)}
                        <label>
                            {t(Key::FbRuleCategory)}
                            <input type="text" data-testid="fb-rule-category" value=rule.category.clone()
                                on:input=move |ev| { let v = event_target_value(&ev); draft.edit(|d| if let Some(r) = d.complaint_rule.as_mut() { r.category = v }) } />
                            {move || problem_for(&errors.read(), "rule.category").map(problem_view)}
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
                                let v = event_target_value(&ev).parse::<i64>().ok().map(UserId);
                                draft.edit(|d| if let Some(r) = d.complaint_rule.as_mut() { r.assignee = v });
                            }>
                                <option value="" selected=rule.assignee.is_none()>{t(Key::FbRuleAssigneeOwner)}</option>
                                {assignees.get_value().into_iter().map(|(id, name)| view! {
                                    <option value=id.0.to_string() selected=rule.assignee == Some(id)>{name}</option>
                                }).collect_view()}
                            </select>
                            {move || problem_for(&errors.read(), "rule.assignee").map(problem_view)}
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

#[cfg(all(test, feature = "ssr"))]
mod strings_tests {
    use super::*;

    /// Every key this file names is among the editor's texts (the labels of the choices
    /// come from the lists they are drawn from).
    #[test]
    fn the_editor_carries_every_text_it_names() {
        let keys = definition_editor_keys();
        let named = crate::i18n::keys_named_in(include_str!("editor.rs"));
        assert!(named.len() > 10, "the file names its keys in full");
        for key in named {
            assert!(
                keys.contains(&key),
                "{key:?} missing from definition_editor_keys"
            );
        }
    }
}
