//! The order form of the customer page.

use crate::dates::{iso_date, now_seconds, user_offset_minutes};
use crate::i18n::{t, Key};
use crate::ids::CustomerId;
use crate::orders::api::AddOrder;
use crate::ui::field_error;
use leptos::prelude::*;

/// Folded away, unless the last save was refused: then open, with the reasons.
#[component]
pub fn OrderForm(customer: CustomerId) -> impl IntoView {
    let action = ServerAction::<AddOrder>::new();
    let result = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let today = iso_date(crate::dates::local_day(
        now_seconds(),
        user_offset_minutes(),
    ));
    view! {
        <section class="card">
            <details open=result.get_untracked().is_some()>
                <summary><h2 class="inline">{t(Key::AddOrder)}</h2></summary>
                <ActionForm action=action attr:class="stack compact" attr:data-testid="order-form">
                    <input type="hidden" name="customer" value=customer.to_string() />
                    <div class="row">
                        <label>{t(Key::Date)}<input type="date" name="input[date]" value=today required /></label>
                        <label>{t(Key::Amount)}<input name="input[amount]" inputmode="decimal" required /></label>
                        <label>{t(Key::Currency)}<input name="input[currency]" value="CNY" maxlength="3" size="4" /></label>
                    </div>
                    {field_error(move || result.get(), "date")}
                    {field_error(move || result.get(), "amount")}
                    {field_error(move || result.get(), "currency")}
                    <label>{t(Key::Product)}<input name="input[product]" maxlength="200" /></label>
                    <div class="row">
                        <label>{t(Key::Category)}<input name="input[category]" maxlength="200" /></label>
                        <label>{t(Key::Channel)}<input name="input[channel]" maxlength="200" /></label>
                    </div>
                    <button type="submit">{t(Key::AddOrder)}</button>
                </ActionForm>
            </details>
        </section>
    }
}
