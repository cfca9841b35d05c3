//! `/admin/fields`: the admin defines, renames, orders and retires custom fields.

use crate::auth::pages::Protected;
use crate::custom_fields::api::*;
use crate::custom_fields::model::{CustomField, FieldKind};
use crate::error::AppError;
use crate::i18n::{t, use_i18n, Key};
use crate::ui::{field_error, ErrorNotice};
use leptos::prelude::*;

#[component]
pub fn CustomFieldsPage() -> impl IntoView {
    view! { <Protected><CustomFieldsAdmin /></Protected> }
}

#[component]
fn CustomFieldsAdmin() -> impl IntoView {
    let create = ServerAction::<CreateField>::new();
    let rename = ServerAction::<RenameField>::new();
    let reorder = ServerAction::<MoveField>::new();
    let toggle = ServerAction::<SetFieldActive>::new();
    let fields = Resource::new(|| (), |_| list_all_fields());
    let create_err = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let row_err = Signal::derive(move || {
        [
            rename.value().get(),
            reorder.value().get(),
            toggle.value().get(),
        ]
        .into_iter()
        .flatten()
        .find_map(|r| r.err())
    });
    view! {
        <section class="page">
            <h1>{t(Key::NavCustomFields)}</h1>
            <p class="muted">{t(Key::CustomFieldsIntro)}</p>
            {move || row_err.get().map(|e| view! { <ErrorNotice error=e /> })}
            <Suspense fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    match fields.await {
                        Ok(list) => view! { <FieldTable fields=list rename reorder toggle /> }.into_any(),
                        Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    }
                })}
            </Suspense>
            <div class="card">
                <h2>{t(Key::NewCustomField)}</h2>
                {move || create_err.get().filter(|e| !matches!(e, AppError::Validation(_) | AppError::Conflict(_))).map(|e| view! { <ErrorNotice error=e /> })}
                <ActionForm action=create attr:class="stack" attr:data-testid="new-field-form">
                    <label>{t(Key::FieldLabel)}<input name="input[label]" required maxlength="80" /></label>
                    {field_error(move || create_err.get(), "label")}
                    <label>{t(Key::FieldKey)}<input name="input[key]" maxlength="40" pattern="[a-z0-9_]+" placeholder=t(Key::FieldKeyHint) /></label>
                    {field_error(move || create_err.get(), "key")}
                    <label>
                        {t(Key::FieldKind)}
                        <select name="input[kind]">
                            {FieldKind::ALL.into_iter().map(|k| view! { <option value=k.as_str()>{t(k.label())}</option> }).collect_view()}
                        </select>
                    </label>
                    {field_error(move || create_err.get(), "kind")}
                    <label>{t(Key::FieldChoices)}<textarea name="input[choices]" rows="4"></textarea></label>
                    {field_error(move || create_err.get(), "choices")}
                    <button type="submit" class="primary">{t(Key::CreateCustomField)}</button>
                </ActionForm>
            </div>
        </section>
    }
}

#[component]
fn FieldTable(
    fields: Vec<CustomField>,
    rename: ServerAction<RenameField>,
    reorder: ServerAction<MoveField>,
    toggle: ServerAction<SetFieldActive>,
) -> impl IntoView {
    let i18n = use_i18n();
    if fields.is_empty() {
        return view! { <p class="empty">{t(Key::NoCustomFields)}</p> }.into_any();
    }
    view! {
        <div class="table-wrap" tabindex="0">
            <table class="data" data-testid="fields-table">
                <thead>
                    <tr>
                        <th scope="col">{t(Key::FieldLabel)}</th>
                        <th scope="col">{t(Key::FieldKey)}</th>
                        <th scope="col">{t(Key::FieldKind)}</th>
                        <th scope="col">{t(Key::FieldChoices)}</th>
                        <th scope="col">{t(Key::Active)}</th>
                        <th scope="col"></th>
                    </tr>
                </thead>
                <tbody>
                    {fields.into_iter().map(|f| {
                        let id = f.id.to_string();
                        let (id2, id3, id4) = (id.clone(), id.clone(), id.clone());
                        view! {
                            <tr class:inactive=!f.active>
                                <td>
                                    <ActionForm action=rename attr:class="inline">
                                        <input type="hidden" name="id" value=id.clone() />
                                        <input name="label" value=f.label.clone() maxlength="80" aria-label=move || i18n.t(Key::FieldLabel) />
                                        <button type="submit">{t(Key::Rename)}</button>
                                    </ActionForm>
                                </td>
                                <td><code>{f.key.clone()}</code></td>
                                <td>{t(f.kind.label())}</td>
                                <td>{f.choices.join(", ")}</td>
                                <td>{if f.active { t(Key::Yes) } else { t(Key::No) }}</td>
                                <td class="actions">
                                    <ActionForm action=reorder attr:class="inline">
                                        <input type="hidden" name="id" value=id2 />
                                        <input type="hidden" name="direction" value="up" />
                                        <button type="submit" aria-label=move || i18n.t(Key::MoveUp)>"↑"</button>
                                    </ActionForm>
                                    <ActionForm action=reorder attr:class="inline">
                                        <input type="hidden" name="id" value=id3 />
                                        <input type="hidden" name="direction" value="down" />
                                        <button type="submit" aria-label=move || i18n.t(Key::MoveDown)>"↓"</button>
                                    </ActionForm>
                                    <ActionForm action=toggle attr:class="inline">
                                        <input type="hidden" name="id" value=id4 />
                                        <input type="hidden" name="active" value=(!f.active).to_string() />
                                        <button type="submit">{if f.active { t(Key::Deactivate) } else { t(Key::Reactivate) }}</button>
                                    </ActionForm>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }.into_any()
}

/// One form input for a custom field value (`input[custom][<key>]`), with its error.
pub fn custom_field_input(
    field: &CustomField,
    value: String,
    result: Signal<Option<AppError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let name = format!("input[custom][{}]", field.key);
    let error_name = field.error_field();
    let control = match field.kind {
        FieldKind::Choice => {
            let choices = field.choices.clone();
            view! {
                <select name=name>
                    <option value="">"—"</option>
                    {choices.into_iter().map(|c| { let selected = c == value; view! {
                        <option value=c.clone() selected=selected>{c.clone()}</option>
                    }}).collect_view()}
                </select>
            }
            .into_any()
        }
        FieldKind::Number => {
            view! { <input type="text" inputmode="decimal" name=name value=value /> }.into_any()
        }
        FieldKind::Date => view! { <input type="date" name=name value=value /> }.into_any(),
        FieldKind::Text => {
            view! { <input type="text" name=name value=value maxlength="200" /> }.into_any()
        }
    };
    view! {
        <label data-testid=format!("custom-{}", field.key)>{field.label.clone()}{control}</label>
        {move || result.get().and_then(|e| e.field_error(&error_name)).map(|k| view! {
            <span class="field-error" role="alert">{i18n.t(k)}</span>
        })}
    }
}
