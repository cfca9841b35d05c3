//! The finance card of the customer page: credit rating and its override, payments and
//! contracts.

use crate::dates::{iso_date, now_seconds, user_offset_minutes};
use crate::finance::api::{
    AddContract, AddPayment, MarkPaymentPaid, OverrideCredit, SetContractStatus,
};
use crate::finance::credit::CreditRating;
use crate::finance::model::{
    payment_status_label, Contract, ContractStatus, CreditView, FinanceOverview, Payment,
};
use crate::format::format_cents;
use crate::i18n::{t, use_i18n, Key};
use crate::ids::CustomerId;
use crate::ui::{field_error, ErrorNotice};
use leptos::prelude::*;

/// The style class of a credit rating badge.
pub fn rating_class(r: Option<CreditRating>) -> String {
    format!(
        "credit credit-{}",
        r.map(|r| r.as_str()).unwrap_or("none").to_lowercase()
    )
}

/// The customer's credit rating, payments and contracts, with the forms of those who may
/// change them. Each form is folded away unless its last save was refused.
#[component]
pub fn FinanceCard(customer: CustomerId, finance: FinanceOverview) -> impl IntoView {
    let FinanceOverview {
        credit,
        contracts,
        payments,
        may_edit,
        may_override,
    } = finance;
    view! {
        <section class="card" data-testid="finance-card">
            <CreditSection customer=customer credit=credit may_override=may_override />
            <PaymentsSection customer=customer payments=payments contracts=contracts.clone() may_edit=may_edit />
            <ContractsSection customer=customer contracts=contracts may_edit=may_edit />
        </section>
    }
}

fn today_here() -> String {
    iso_date(crate::dates::local_day(
        now_seconds(),
        user_offset_minutes(),
    ))
}

#[component]
fn CreditSection(customer: CustomerId, credit: CreditView, may_override: bool) -> impl IntoView {
    let action = ServerAction::<OverrideCredit>::new();
    let fig = credit.figures;
    let credit_result = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    view! {
            <h2>{t(Key::CreditRating)}</h2>
            <dl class="fields">
                <div class="field"><dt>{t(Key::DerivedRating)}</dt><dd>{credit.derived.map(|r| r.as_str().to_string()).unwrap_or_else(|| "—".into())}</dd></div>
                <div class="field"><dt>{t(Key::OnTimeShare)}</dt><dd>{fig.on_time_percent.map(|p| format!("{p} % ({}/{})", fig.paid_on_time, fig.matured)).unwrap_or_else(|| "—".into())}</dd></div>
                <div class="field"><dt>{t(Key::MaxDaysOverdue)}</dt><dd>{fig.max_days_overdue}</dd></div>
                <div class="field"><dt>{t(Key::AmountOverdue)}</dt><dd>{format_cents(fig.overdue_cents)}</dd></div>
                {credit.override_rating.map(|r| view! {
                    <div class="field"><dt>{t(Key::CreditOverride)}</dt><dd>{r.as_str()} " — " {credit.override_reason.clone().unwrap_or_default()}</dd></div>
                })}
            </dl>
            {may_override.then(|| view! {
                <details open=credit_result.get_untracked().is_some()>
                    <summary>{t(Key::OverrideRating)}</summary>
                    <ActionForm action=action attr:class="stack compact" attr:data-testid="credit-override-form">
                        <input type="hidden" name="customer" value=customer.to_string() />
                        <label>
                            {t(Key::CreditRating)}
                            <select name="input[rating]">
                                <option value="">{t(Key::UseDerivedRating)}</option>
                                {CreditRating::ALL.into_iter().map(|r| view! { <option value=r.as_str()>{r.as_str()}</option> }).collect_view()}
                            </select>
                        </label>
                        {field_error(move || credit_result.get(), "rating")}
                        <label>{t(Key::Reason)}<input name="input[reason]" maxlength="500" /></label>
                        {field_error(move || credit_result.get(), "reason")}
                        <button type="submit">{t(Key::Save)}</button>
                    </ActionForm>
                </details>
            })}
    }
}

#[component]
fn PaymentsSection(
    customer: CustomerId,
    payments: Vec<Payment>,
    contracts: Vec<Contract>,
    may_edit: bool,
) -> impl IntoView {
    let add_payment = ServerAction::<AddPayment>::new();
    let mark_paid = ServerAction::<MarkPaymentPaid>::new();
    let payment_result = Signal::derive(move || add_payment.value().get().and_then(|r| r.err()));
    let paid_result = Signal::derive(move || mark_paid.value().get().and_then(|r| r.err()));
    let today = today_here();
    view! {
            <h2>{t(Key::Payments)}</h2>
            {move || paid_result.get().map(|e| view! { <ErrorNotice error=e /> })}
            <ul class="plain-list" data-testid="payments">
                {payments.into_iter().map(|p| {
                    let pid = p.id.to_string();
                    let unpaid = p.paid_date.is_none();
                    let today = today.clone();
                    view! {
                        <li>
                            <span>{format!("{} {}", p.currency, format_cents(p.amount_cents))}</span>
                            " · " {t(Key::DueDate)} " " {p.due_date.clone()}
                            {p.paid_date.clone().map(|d| view! { " · " {t(Key::PaidDate)} " " {d} })}
                            {p.contract_title.clone().map(|c| view! { " · " <span class="muted">{c}</span> })}
                            " " <span class=format!("badge payment-{:?}", p.status).to_lowercase()>{t(payment_status_label(p.status))}</span>
                            {(may_edit && unpaid).then(|| view! {
                                <ActionForm action=mark_paid attr:class="inline">
                                    <input type="hidden" name="id" value=pid.clone() />
                                    <input type="hidden" name="paid" value=today.clone() />
                                    <button type="submit" class="link-button">{t(Key::MarkPaidToday)}</button>
                                </ActionForm>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            {may_edit.then(|| view! {
                <details open=payment_result.get_untracked().is_some()>
                    <summary>{t(Key::AddPayment)}</summary>
                    <ActionForm action=add_payment attr:class="stack compact">
                        <input type="hidden" name="customer" value=customer.to_string() />
                        <div class="row">
                            <label>{t(Key::Amount)}<input name="input[amount]" inputmode="decimal" required /></label>
                            <label>{t(Key::Currency)}<input name="input[currency]" value="CNY" maxlength="3" size="4" /></label>
                        </div>
                        {field_error(move || payment_result.get(), "amount")}
                        {field_error(move || payment_result.get(), "currency")}
                        <div class="row">
                            <label>{t(Key::DueDate)}<input type="date" name="input[due]" required /></label>
                            <label>{t(Key::PaidDate)}<input type="date" name="input[paid]" /></label>
                        </div>
                        {field_error(move || payment_result.get(), "due")}
                        {field_error(move || payment_result.get(), "paid")}
                        <label>
                            {t(Key::Contract)}
                            <select name="input[contract]">
                                <option value="">{t(Key::NoneChoice)}</option>
                                {contracts.into_iter().map(|c| view! { <option value=c.id.to_string()>{c.title}</option> }).collect_view()}
                            </select>
                        </label>
                        <button type="submit">{t(Key::AddPayment)}</button>
                    </ActionForm>
                </details>
            })}
    }
}

#[component]
fn ContractsSection(
    customer: CustomerId,
    contracts: Vec<Contract>,
    may_edit: bool,
) -> impl IntoView {
    let add_contract = ServerAction::<AddContract>::new();
    let contract_status = ServerAction::<SetContractStatus>::new();
    let contract_result = Signal::derive(move || add_contract.value().get().and_then(|r| r.err()));
    let status_result = Signal::derive(move || contract_status.value().get().and_then(|r| r.err()));
    view! {
            <h2>{t(Key::Contracts)}</h2>
            {move || status_result.get().map(|e| view! { <ErrorNotice error=e /> })}
            <ul class="plain-list" data-testid="contracts">
                {contracts.into_iter().map(|c| {
                    let contract_id = c.id.to_string();
                    view! {
                        <li>
                            <strong>{c.title}</strong>
                            " · " {format!("{} {}", c.currency, format_cents(c.value_cents))}
                            " · " {c.start_date} " – " {c.end_date.unwrap_or_default()}
                            " " <span class="badge">{t(c.status.label())}</span>
                            {may_edit.then(|| view! {
                                <ActionForm action=contract_status attr:class="inline">
                                    <input type="hidden" name="id" value=contract_id.clone() />
                                    <select name="status" aria-label=move || use_i18n().t(Key::Status)>
                                        {ContractStatus::ALL.into_iter().map(|s| view! {
                                            <option value=s.as_str() selected=s == c.status>{t(s.label())}</option>
                                        }).collect_view()}
                                    </select>
                                    <button type="submit" class="link-button">{t(Key::Save)}</button>
                                </ActionForm>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            {may_edit.then(|| view! {
                <details open=contract_result.get_untracked().is_some()>
                    <summary>{t(Key::AddContract)}</summary>
                    <ActionForm action=add_contract attr:class="stack compact">
                        <input type="hidden" name="customer" value=customer.to_string() />
                        <label>{t(Key::TitleField)}<input name="input[title]" maxlength="200" required /></label>
                        {field_error(move || contract_result.get(), "title")}
                        <div class="row">
                            <label>{t(Key::Value)}<input name="input[value]" inputmode="decimal" required /></label>
                            <label>{t(Key::Currency)}<input name="input[currency]" value="CNY" maxlength="3" size="4" /></label>
                        </div>
                        {field_error(move || contract_result.get(), "value")}
                        <div class="row">
                            <label>{t(Key::StartDate)}<input type="date" name="input[start]" required /></label>
                            <label>{t(Key::EndDate)}<input type="date" name="input[end]" /></label>
                        </div>
                        {field_error(move || contract_result.get(), "start")}
                        {field_error(move || contract_result.get(), "end")}
                        <label>
                            {t(Key::Status)}
                            <select name="input[status]">
                                {ContractStatus::ALL.into_iter().map(|s| view! {
                                    <option value=s.as_str() selected=s == ContractStatus::Active>{t(s.label())}</option>
                                }).collect_view()}
                            </select>
                        </label>
                        <button type="submit">{t(Key::AddContract)}</button>
                    </ActionForm>
                </details>
            })}
    }
}
