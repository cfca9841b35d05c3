//! The activity form of the customer page: log a call, meeting, visit…, with the offer of a
//! follow-up task when there is a next step.

use crate::activities::api::{LogActivity, LOGGED_PARAM, LOGGED_WITH_TASK};
use crate::activities::model::ActivityKind;
use crate::dates::{local_datetime_value, now_seconds, user_offset_minutes};
use crate::error::AppError;
use crate::i18n::{t, Key};
use crate::ids::CustomerId;
use crate::ui::{field_error, ErrorNotice};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

/// The fields whose messages sit in the follow-up offer (or concern it), so a refused save
/// that names one shows the offer open.
const FOLLOW_UP_FIELDS: [&str; 3] = ["next_step", "follow_up_due", "follow_up_assignee"];

/// Log a call, meeting, visit…; with a next step, offers to create the follow-up task.
/// The page after a save says what was saved (`?logged=`), with an empty form.
#[component]
pub fn ActivityForm(customer: CustomerId) -> impl IntoView {
    let action = ServerAction::<LogActivity>::new();
    let offset = user_offset_minutes();
    let result = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let logged = use_query_map().read_untracked().get(LOGGED_PARAM);
    let offered = result
        .get_untracked()
        .is_some_and(|e| FOLLOW_UP_FIELDS.iter().any(|f| e.field_error(f).is_some()));
    let tomorrow_nine = {
        let day = crate::dates::local_day(now_seconds(), offset) + 1;
        local_datetime_value(day * 86_400 + 9 * 3_600 - offset * 60, offset)
    };
    view! {
        <section class="card">
            <h2>{t(Key::LogActivity)}</h2>
            <FollowUpOffer>
            <ActionForm action=action attr:class="stack compact" attr:data-testid="activity-form">
                <input type="hidden" name="customer" value=customer.to_string() />
                <div class="row">
                    <label>
                        {t(Key::Kind)}
                        <select name="input[kind]" data-testid="activity-kind">
                            {ActivityKind::ALL.into_iter().map(|k| view! { <option value=k.as_str()>{t(k.label())}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>
                        {t(Key::When)}
                        <input type="datetime-local" name="input[happened_at]" aria-describedby="when-hint" />
                    </label>
                </div>
                <span id="when-hint" class="hint">{t(Key::EmptyMeansNow)}</span>
                {field_error(move || result.get(), "happened_at")}
                <label>
                    {t(Key::Summary)}
                    <textarea name="input[summary]" rows="2" maxlength="2000" required data-testid="activity-summary"></textarea>
                </label>
                {field_error(move || result.get(), "summary")}
                <label>{t(Key::Outcome)}<input name="input[outcome]" maxlength="500" /></label>
                <label>
                    {t(Key::NextStep)}
                    <input name="input[next_step]" maxlength="500" data-testid="activity-next-step" />
                </label>
                {field_error(move || result.get(), "next_step")}
                // Hidden and disabled (so not sent) until there is a next step.
                <fieldset class="follow-up" data-testid="follow-up-offer" hidden=!offered disabled=!offered>
                    <label class="check">
                        <input type="checkbox" name="input[follow_up]" value="on" checked=true data-testid="follow-up-check" />
                        {t(Key::CreateFollowUp)}
                    </label>
                    <label class="follow-up-due">
                        {t(Key::DueAt)}
                        <input type="datetime-local" name="input[follow_up_due]" value=tomorrow_nine data-testid="follow-up-due" />
                    </label>
                    {field_error(move || result.get(), "follow_up_due")}
                    {field_error(move || result.get(), "follow_up_assignee")}
                </fieldset>
                <button type="submit" class="primary" data-testid="activity-save">{t(Key::Save)}</button>
                {move || result.get().filter(|e| !matches!(e, AppError::Validation(_))).map(|e| view! { <ErrorNotice error=e /> })}
                {logged.map(|what| view! {
                    <p class="notice ok" role="status" data-testid="activity-saved">
                        {t(Key::ActivityLogged)}
                        {(what == LOGGED_WITH_TASK).then(|| view! { " " {t(Key::FollowUpCreated)} " " <A href="/work">{t(Key::MyWork)}</A> })}
                    </p>
                })}
            </ActionForm>
            </FollowUpOffer>
        </section>
    }
}

/// Around the activity form: shows the follow-up offer while there is a next step (hidden,
/// it is also disabled, so it is not sent), and its due field while the offer is ticked.
/// Checked on every edit, and again on focus and before sending, because a refused save
/// puts back what was typed without any edit event.
#[island]
fn FollowUpOffer(children: Children) -> impl IntoView {
    let root = NodeRef::<leptos::html::Span>::new();
    let follow = move || {
        #[cfg(feature = "hydrate")]
        if let Some(root) = root.get_untracked() {
            browser::follow_next_step(&root);
        }
    };
    view! {
        <span class="contents" node_ref=root
            on:input=move |_| follow() on:change=move |_| follow()
            on:focusin=move |_| follow() on:submit=move |_| follow()>
            {children()}
        </span>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use wasm_bindgen::JsCast;

    pub fn follow_next_step(root: &web_sys::HtmlSpanElement) {
        let find = |selector: &str| root.query_selector(selector).ok().flatten();
        let input = |selector: &str| {
            find(selector).and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
        };
        let has_next_step =
            input("input[name='input[next_step]']").is_some_and(|i| !i.value().trim().is_empty());
        let ticked = input("input[name='input[follow_up]']").is_some_and(|i| i.checked());
        if let Some(offer) = find("fieldset.follow-up") {
            let _ = offer.toggle_attribute_with_force("hidden", !has_next_step);
            let _ = offer.toggle_attribute_with_force("disabled", !has_next_step);
        }
        if let Some(due) = find(".follow-up-due") {
            let _ = due.toggle_attribute_with_force("hidden", !ticked);
        }
    }
}
