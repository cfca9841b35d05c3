//! The activity form of the customer page: log a call, meeting, visit…, with the offer of a
//! follow-up task when there is a next step.

use crate::activities::api::LogActivity;
use crate::activities::model::ActivityKind;
use crate::dates::{local_datetime_value, now_seconds, user_offset_minutes};
use crate::error::AppError;
use crate::i18n::{t, use_i18n, Key};
use crate::ids::CustomerId;
use crate::ui::{cleared_on_success, field_error, ErrorNotice};
use leptos::prelude::*;
use leptos_router::components::A;

/// Log a call, meeting, visit…; with a next step, offers to create the follow-up task.
#[component]
pub fn ActivityForm(customer: CustomerId, action: ServerAction<LogActivity>) -> impl IntoView {
    let i18n = use_i18n();
    let offset = user_offset_minutes();
    let result = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let next_step = RwSignal::new(String::new());
    let follow_up = RwSignal::new(true);
    let created_task = move || {
        action
            .value()
            .get()
            .and_then(|r| r.ok())
            .and_then(|l| l.task)
    };
    // A fresh form after each successful save.
    let saved = move || matches!(action.value().get(), Some(Ok(_)));
    let form = cleared_on_success(action);
    Effect::new(move |_| {
        if saved() {
            next_step.set(String::new());
            follow_up.set(true);
        }
    });
    let tomorrow_nine = {
        let day = crate::dates::local_day(now_seconds(), offset) + 1;
        StoredValue::new(local_datetime_value(
            day * 86_400 + 9 * 3_600 - offset * 60,
            offset,
        ))
    };
    view! {
        <section class="card">
            <h2>{t(Key::LogActivity)}</h2>
            <ActionForm action=action node_ref=form attr:class="stack compact" attr:data-testid="activity-form">
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
                    <input name="input[next_step]" maxlength="500" data-testid="activity-next-step"
                        prop:value=move || next_step.get()
                        on:input=move |ev| next_step.set(event_target_value(&ev)) />
                </label>
                {field_error(move || result.get(), "next_step")}
                <Show when=move || !next_step.get().trim().is_empty()>
                    <fieldset class="follow-up" data-testid="follow-up-offer">
                        <label class="check">
                            <input type="checkbox" name="input[follow_up]" value="on" data-testid="follow-up-check"
                                prop:checked=move || follow_up.get()
                                on:change=move |ev| follow_up.set(event_target_checked(&ev)) />
                            {t(Key::CreateFollowUp)}
                        </label>
                        <Show when=move || follow_up.get()>
                            <label>
                                {t(Key::DueAt)}
                                <input type="datetime-local" name="input[follow_up_due]" value=tomorrow_nine.get_value() data-testid="follow-up-due" />
                            </label>
                        </Show>
                        {field_error(move || result.get(), "follow_up_due")}
                        {field_error(move || result.get(), "follow_up_assignee")}
                    </fieldset>
                </Show>
                <button type="submit" class="primary" data-testid="activity-save">{t(Key::Save)}</button>
                {move || result.get().filter(|e| !matches!(e, AppError::Validation(_))).map(|e| view! { <ErrorNotice error=e /> })}
                {move || action.value().get().and_then(|r| r.ok()).map(|_| view! {
                    <p class="notice ok" role="status" data-testid="activity-saved">
                        {move || i18n.t(Key::ActivityLogged)}
                        {created_task().map(|_| view! { " " {t(Key::FollowUpCreated)} " " <A href="/work">{t(Key::MyWork)}</A> })}
                    </p>
                })}
            </ActionForm>
        </section>
    }
}
