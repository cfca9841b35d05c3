//! The customer page: summary cards, the timeline, and the forms for the day-to-day work
//! around a customer (activities, follow-ups, orders, payments, contracts, credit).

use crate::activities::api::LogActivity;
use crate::activities::model::ActivityKind;
use crate::auth::pages::{signed_in_user, Protected};
use crate::auth::permissions::{may_open_complaint, may_see_complaints};
use crate::auth::Role;
use crate::customers::api::*;
use crate::customers::model::*;
use crate::customers::pages::{customer_id_param, customer_resource};
use crate::dates::{iso_date, local_datetime_value, now_seconds, user_offset_minutes};
use crate::error::AppError;
use crate::finance::api::{
    AddContract, AddPayment, MarkPaymentPaid, OverrideCredit, SetContractStatus,
};
use crate::finance::credit::CreditRating;
use crate::finance::model::{payment_status_label, ContractStatus, FinanceOverview};
use crate::i18n::{t, use_i18n, Key};
use crate::ids::CustomerId;
use crate::orders::api::AddOrder;
use crate::tasks::api::{customer_open_tasks, CreateTask, SetTaskStatus};
use crate::tasks::pages::TaskRow;
use crate::timeline::pages::Timeline;
use crate::ui::{cleared_on_success, field_error, format_time, ErrorNotice};
use crate::users::api::list_assignable_staff;
use crate::users::model::StaffMember;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn CustomerDetailPage() -> impl IntoView {
    view! { <Protected><CustomerDetail /></Protected> }
}

/// Every write on the page, so the reads can refresh after any of them.
#[derive(Clone, Copy)]
struct PageActions {
    add_contact: ServerAction<AddContact>,
    remove_contact: ServerAction<RemoveContact>,
    log_activity: ServerAction<LogActivity>,
    create_task: ServerAction<CreateTask>,
    task_status: ServerAction<SetTaskStatus>,
    add_order: ServerAction<AddOrder>,
    add_payment: ServerAction<AddPayment>,
    mark_paid: ServerAction<MarkPaymentPaid>,
    add_contract: ServerAction<AddContract>,
    contract_status: ServerAction<SetContractStatus>,
    override_credit: ServerAction<OverrideCredit>,
}

impl PageActions {
    fn new() -> Self {
        PageActions {
            add_contact: ServerAction::new(),
            remove_contact: ServerAction::new(),
            log_activity: ServerAction::new(),
            create_task: ServerAction::new(),
            task_status: ServerAction::new(),
            add_order: ServerAction::new(),
            add_payment: ServerAction::new(),
            mark_paid: ServerAction::new(),
            add_contract: ServerAction::new(),
            contract_status: ServerAction::new(),
            override_credit: ServerAction::new(),
        }
    }
    /// Changes after every completed write.
    fn version(&self) -> usize {
        self.add_contact.version().get()
            + self.remove_contact.version().get()
            + self.log_activity.version().get()
            + self.create_task.version().get()
            + self.task_status.version().get()
            + self.add_order.version().get()
            + self.add_payment.version().get()
            + self.mark_paid.version().get()
            + self.add_contract.version().get()
            + self.contract_status.version().get()
            + self.override_credit.version().get()
    }
}

#[component]
fn CustomerDetail() -> impl IntoView {
    let user = signed_in_user();
    let id = customer_id_param();
    let actions = PageActions::new();
    let delete = ServerAction::<DeleteCustomer>::new();
    let version = Signal::derive(move || actions.version());
    let customer = customer_resource(id, version, get_customer);
    let finance = customer_resource(id, version, crate::finance::api::customer_finance);
    let tasks = customer_resource(id, version, customer_open_tasks);
    let stage = customer_resource(id, version, crate::lifecycle::api::load_customer_stage);
    // Everything the cards below fetch is made here, outside the `Suspense`, so it is
    // fetched once (see `auth::pages::Protected`).
    let staff = Resource::new(|| (), |_| list_assignable_staff());
    let timeline = crate::timeline::pages::TimelineData::new(id, version);
    // A new order can change both, and clears a churn warning.
    let rfm = customer_resource(id, version, crate::rfm::api::load_customer_rfm);
    let churn = customer_resource(id, version, crate::churn::api::customer_churn_warning);
    let notes = crate::tiers::pages::NotesData::new(id);
    let is_admin = move || user.with(|u| u.as_ref().is_some_and(|u| u.role == Role::Admin));
    let opens_complaints = move || user.with(|u| u.as_ref().is_some_and(may_open_complaint));
    let sees_complaints = move || user.with(|u| u.as_ref().is_some_and(may_see_complaints));
    // Each part of the page waits for the customer under its own boundary, and the
    // timeline sits outside them all: a save refreshes the cards without rebuilding the
    // timeline, whose kind filter and reloads stay its own.
    view! {
        <section class="page customer-page">
            <Suspense fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    let c = match customer.await {
                        Ok(c) => c,
                        Err(e) => return view! { <h1>{t(e.message_key())}</h1><ErrorNotice error=e /> }.into_any(),
                    };
                    let finance = finance.await.ok().flatten();
                    let tasks = tasks.await.unwrap_or_default();
                    let stage = stage.await.ok();
                    let cid = c.id;
                    let may_edit = c.may_edit;
                    view! {
                        <div class="page-head">
                            <h1 data-testid="customer-title">{c.name.clone()}</h1>
                            <div class="actions">
                                <Show when=move || may_edit>
                                    <A href=format!("/customers/{cid}/edit") attr:class="button">{t(Key::Edit)}</A>
                                </Show>
                                <Show when=is_admin>
                                    <A href=format!("/admin/audit?customer={cid}") attr:class="button">{t(Key::History)}</A>
                                </Show>
                                <Show when=sees_complaints>
                                    <A href=format!("/complaints?customer={cid}&status=all") attr:class="button" attr:data-testid="customer-complaints">
                                        {t(Key::CpComplaints)}
                                    </A>
                                </Show>
                                <Show when=opens_complaints>
                                    <A href=format!("/complaints/new?customer={cid}") attr:class="button" attr:data-testid="customer-open-complaint">
                                        {t(Key::CpOpen)}
                                    </A>
                                </Show>
                            </div>
                        </div>
                        <SummaryCards customer=c.clone() finance=finance open_tasks=tasks.len() stage=stage />
                    }.into_any()
                })}
            </Suspense>
            <div class="customer-columns">
                <div class="main-column">
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            let c = customer.await.ok()?;
                            c.may_edit.then(|| view! { <ActivityForm customer=c.id action=actions.log_activity /> })
                        })}
                    </Suspense>
                    <Timeline customer=id refresh=version data=timeline />
                </div>
                <div class="side-column">
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            let c = customer.await.ok()?;
                            let finance = finance.await.ok().flatten();
                            let tasks = tasks.await.unwrap_or_default();
                            let cid = c.id;
                            let may_edit = c.may_edit;
                            Some(view! {
                                <crate::churn::pages::ChurnCard data=churn />
                                <TasksCard customer=cid tasks=tasks actions=actions may_edit=may_edit staff=staff />
                                <crate::rfm::pages::RfmCard data=rfm />
                                <Show when=move || may_edit>
                                    <OrderForm customer=cid action=actions.add_order />
                                </Show>
                                {finance.map(|f| view! { <FinanceCard customer=cid finance=f actions=actions /> })}
                                <crate::tiers::pages::CustomerNotes customer=cid data=notes />
                                <ProfileCard customer=c.clone() />
                                <ContactsCard customer=c actions=actions />
                            })
                        })}
                    </Suspense>
                </div>
            </div>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let c = customer.await.ok()?;
                    let cid = c.id;
                    c.may_delete.then(|| view! {
                        <details class="danger-zone">
                            <summary>{t(Key::DeleteCustomer)}</summary>
                            <p>{t(Key::DeleteWarning)}</p>
                            <ActionForm action=delete>
                                <input type="hidden" name="id" value=cid.to_string() />
                                <button type="submit" class="danger">{t(Key::DeleteConfirm)}</button>
                            </ActionForm>
                        </details>
                    })
                })}
            </Suspense>
        </section>
    }
}

fn stat(label: Key, value: String, testid: &'static str) -> impl IntoView {
    view! {
        <div class="stat"><span class="stat-label">{t(label)}</span><strong data-testid=testid>{value}</strong></div>
    }
}

fn rating_class(r: Option<CreditRating>) -> String {
    format!(
        "credit credit-{}",
        r.map(|r| r.as_str()).unwrap_or("none").to_lowercase()
    )
}

#[component]
fn SummaryCards(
    customer: Customer,
    finance: Option<FinanceOverview>,
    open_tasks: usize,
    stage: Option<crate::lifecycle::model::CustomerStage>,
) -> impl IntoView {
    let c = customer;
    let credit = finance.map(|f| f.credit);
    view! {
        <div class="cards">
            {stat(Key::LifetimeValue, format_cents(c.lifetime_value_cents), "customer-ltv")}
            {stat(Key::LastOrder, c.last_order_date.clone().unwrap_or_else(|| "—".into()), "customer-last-order")}
            {stat(Key::OpenTasks, open_tasks.to_string(), "customer-open-tasks")}
            {credit.map(|cr| {
                let effective = cr.effective();
                view! {
                    <div class="stat">
                        <span class="stat-label">{t(Key::CreditRating)}</span>
                        <strong class=rating_class(effective) data-testid="credit-rating">
                            {match effective { Some(r) => r.as_str().to_string(), None => "—".into() }}
                        </strong>
                        {cr.override_rating.is_some().then(|| view! { <span class="muted">{t(Key::Overridden)}</span> })}
                    </div>
                }
            })}
            {stat(Key::Owner, c.owner_name.clone(), "customer-owner-name")}
            {stat(Key::ServiceManager, c.service_manager_name.clone().unwrap_or_else(|| "—".into()), "customer-service-manager")}
            <div class="stat"><span class="stat-label">{t(Key::Level)}</span><strong>{t(level_short_label(c.level))}</strong></div>
            <div class="stat"><span class="stat-label">{t(Key::Grade)}</span><strong>{t(c.grade.label())}</strong></div>
            {stage.map(|s| view! { <crate::lifecycle::pages::StageStat stage=s /> })}
        </div>
    }
}

/// Log a call, meeting, visit…; with a next step, offers to create the follow-up task.
#[component]
fn ActivityForm(customer: CustomerId, action: ServerAction<LogActivity>) -> impl IntoView {
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

#[component]
fn TasksCard(
    customer: CustomerId,
    tasks: Vec<crate::tasks::model::Task>,
    actions: PageActions,
    may_edit: bool,
    staff: Resource<Result<Vec<StaffMember>, AppError>>,
) -> impl IntoView {
    let offset = user_offset_minutes();
    let now = now_seconds();
    let result = Signal::derive(move || actions.create_task.value().get().and_then(|r| r.err()));
    let default_due = StoredValue::new(local_datetime_value(now + 86_400, offset));
    view! {
        <section class="card" data-testid="customer-tasks">
            <h2>{t(Key::OpenTasks)}</h2>
            {if tasks.is_empty() {
                view! { <p class="empty">{t(Key::NothingHere)}</p> }.into_any()
            } else {
                view! {
                    <ul class="task-list">
                        {tasks.into_iter().map(|task| {
                            let overdue = task.due_at < now;
                            view! { <TaskRow task=task status=actions.task_status overdue=overdue /> }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <Show when=move || may_edit>
                <details>
                    <summary>{t(Key::NewTask)}</summary>
                    <ActionForm action=actions.create_task node_ref=cleared_on_success(actions.create_task) attr:class="stack compact">
                        <input type="hidden" name="input[customer]" value=customer.to_string() />
                        <label>{t(Key::TitleField)}<input name="input[title]" maxlength="200" required /></label>
                        {field_error(move || result.get(), "title")}
                        <label>{t(Key::DueAt)}<input type="datetime-local" name="input[due]" value=default_due.get_value() required /></label>
                        {field_error(move || result.get(), "due")}
                        <label>
                            {t(Key::Assignee)}
                            <select name="input[assignee]">
                                <option value="">{t(Key::Myself)}</option>
                                <Transition fallback=|| ()>
                                    {move || Suspend::new(async move {
                                        staff.await.unwrap_or_default().into_iter().map(|s| view! {
                                            <option value=s.id.to_string()>{s.name}</option>
                                        }).collect_view()
                                    })}
                                </Transition>
                            </select>
                        </label>
                        {field_error(move || result.get(), "assignee")}
                        <button type="submit">{t(Key::AddTask)}</button>
                    </ActionForm>
                </details>
            </Show>
        </section>
    }
}

#[component]
fn OrderForm(
    customer: CustomerId,
    action: ServerAction<crate::orders::api::AddOrder>,
) -> impl IntoView {
    let result = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let today = iso_date(crate::dates::local_day(
        now_seconds(),
        user_offset_minutes(),
    ));
    view! {
        <section class="card">
            <details>
                <summary><h2 class="inline">{t(Key::AddOrder)}</h2></summary>
                <ActionForm action=action node_ref=cleared_on_success(action) attr:class="stack compact" attr:data-testid="order-form">
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

#[component]
fn FinanceCard(
    customer: CustomerId,
    finance: FinanceOverview,
    actions: PageActions,
) -> impl IntoView {
    let f = finance;
    let fig = f.credit.figures;
    let payment_result =
        Signal::derive(move || actions.add_payment.value().get().and_then(|r| r.err()));
    let contract_result =
        Signal::derive(move || actions.add_contract.value().get().and_then(|r| r.err()));
    let credit_result =
        Signal::derive(move || actions.override_credit.value().get().and_then(|r| r.err()));
    let paid_result = Signal::derive(move || actions.mark_paid.value().get().and_then(|r| r.err()));
    let today = iso_date(crate::dates::local_day(
        now_seconds(),
        user_offset_minutes(),
    ));
    let may_edit = f.may_edit;
    let contracts_for_select = StoredValue::new(f.contracts.clone());
    view! {
        <section class="card" data-testid="finance-card">
            <h2>{t(Key::CreditRating)}</h2>
            <dl class="fields">
                <div class="field"><dt>{t(Key::DerivedRating)}</dt><dd>{f.credit.derived.map(|r| r.as_str().to_string()).unwrap_or_else(|| "—".into())}</dd></div>
                <div class="field"><dt>{t(Key::OnTimeShare)}</dt><dd>{fig.on_time_percent.map(|p| format!("{p} % ({}/{})", fig.paid_on_time, fig.matured)).unwrap_or_else(|| "—".into())}</dd></div>
                <div class="field"><dt>{t(Key::MaxDaysOverdue)}</dt><dd>{fig.max_days_overdue}</dd></div>
                <div class="field"><dt>{t(Key::AmountOverdue)}</dt><dd>{format_cents(fig.overdue_cents)}</dd></div>
                {f.credit.override_rating.map(|r| view! {
                    <div class="field"><dt>{t(Key::CreditOverride)}</dt><dd>{r.as_str()} " — " {f.credit.override_reason.clone().unwrap_or_default()}</dd></div>
                })}
            </dl>
            <Show when=move || f.may_override>
                <details>
                    <summary>{t(Key::OverrideRating)}</summary>
                    <ActionForm action=actions.override_credit attr:class="stack compact" attr:data-testid="credit-override-form">
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
            </Show>
            <h2>{t(Key::Payments)}</h2>
            {move || paid_result.get().map(|e| view! { <ErrorNotice error=e /> })}
            <ul class="plain-list" data-testid="payments">
                {f.payments.into_iter().map(|p| {
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
                                <ActionForm action=actions.mark_paid attr:class="inline">
                                    <input type="hidden" name="id" value=pid.clone() />
                                    <input type="hidden" name="paid" value=today.clone() />
                                    <button type="submit" class="link-button">{t(Key::MarkPaidToday)}</button>
                                </ActionForm>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            <Show when=move || may_edit>
                <details>
                    <summary>{t(Key::AddPayment)}</summary>
                    <ActionForm action=actions.add_payment node_ref=cleared_on_success(actions.add_payment) attr:class="stack compact">
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
                                {contracts_for_select.get_value().into_iter().map(|c| view! { <option value=c.id.to_string()>{c.title}</option> }).collect_view()}
                            </select>
                        </label>
                        <button type="submit">{t(Key::AddPayment)}</button>
                    </ActionForm>
                </details>
            </Show>
            <h2>{t(Key::Contracts)}</h2>
            <ul class="plain-list" data-testid="contracts">
                {f.contracts.into_iter().map(|c| {
                    let contract_id = c.id.to_string();
                    view! {
                        <li>
                            <strong>{c.title}</strong>
                            " · " {format!("{} {}", c.currency, format_cents(c.value_cents))}
                            " · " {c.start_date} " – " {c.end_date.unwrap_or_default()}
                            " " <span class="badge">{t(c.status.label())}</span>
                            {may_edit.then(|| view! {
                                <ActionForm action=actions.contract_status attr:class="inline">
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
            <Show when=move || may_edit>
                <details>
                    <summary>{t(Key::AddContract)}</summary>
                    <ActionForm action=actions.add_contract node_ref=cleared_on_success(actions.add_contract) attr:class="stack compact">
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
            </Show>
        </section>
    }
}

#[component]
fn ProfileCard(customer: Customer) -> impl IntoView {
    let c = customer;
    let lang = use_i18n().lang;
    let field = |label: Key, value: Option<String>| {
        view! {
            <div class="field"><dt>{t(label)}</dt><dd>{value.unwrap_or_else(|| "—".into())}</dd></div>
        }
    };
    view! {
        <section class="card">
            <h2>{t(Key::Profile)}</h2>
            <dl class="fields">
                {field(Key::Kind, Some(c.kind.label().text(lang.get_untracked()).to_string()))}
                {field(Key::Email, c.email.clone())}
                {field(Key::Phone, c.phone.clone())}
                {field(Key::ExternalId, c.external_id.clone())}
                {field(Key::Region, Some([c.country.clone(), c.province.clone(), c.city.clone()].into_iter().flatten().collect::<Vec<_>>().join(" / ")).filter(|s| !s.is_empty()))}
                {field(Key::Address, c.address.clone())}
                {field(Key::Industry, c.industry.clone())}
                {field(Key::CompanySize, c.company_size.clone())}
                {field(Key::Gender, c.gender.clone())}
                {field(Key::BirthYear, c.birth_year.map(|y| y.to_string()))}
                {field(Key::IncomeBand, c.income_band.clone())}
                {field(Key::SourceChannel, c.source_channel.clone())}
                {field(Key::SourceCampaign, c.source_campaign.clone())}
                {field(Key::SourceReferrer, c.source_referrer.clone())}
                {field(Key::Team, c.team_name.clone())}
                {field(Key::Groups, Some(c.groups.join(", ")).filter(|s| !s.is_empty()))}
                {c.custom.iter().map(|v| view! {
                    <div class="field" data-testid=format!("custom-value-{}", v.key)><dt>{v.label.clone()}</dt><dd>{v.value.clone()}</dd></div>
                }).collect_view()}
                {field(Key::Orders, Some(c.order_count.to_string()))}
                {field(Key::CreatedAt, Some(format_time(c.created_at)))}
                {field(Key::UpdatedAt, Some(format_time(c.updated_at)))}
            </dl>
            <div class="tags">
                {c.tags.iter().map(|tg| view! {
                    <span class="tag" style:border-color=tg.color.clone()>{tg.name.clone()}</span>
                }).collect_view()}
            </div>
        </section>
    }
}

#[component]
fn ContactsCard(customer: Customer, actions: PageActions) -> impl IntoView {
    let c = customer;
    let cid = c.id;
    let may_edit = c.may_edit;
    let contact_result =
        Signal::derive(move || actions.add_contact.value().get().and_then(|r| r.err()));
    view! {
        <section class="card">
            <h2>{t(Key::Contacts)}</h2>
            <ul class="contacts">
                {c.contacts.iter().cloned().map(|ct| view! {
                    <li>
                        <strong>{ct.name}</strong>
                        {ct.is_primary.then(|| view! { <span class="badge">{t(Key::Primary)}</span> })}
                        <span class="muted">{[ct.title, ct.email, ct.phone].into_iter().flatten().collect::<Vec<_>>().join(" · ")}</span>
                        <Show when=move || may_edit>
                            <ActionForm action=actions.remove_contact attr:class="inline">
                                <input type="hidden" name="id" value=ct.id.to_string() />
                                <button type="submit" class="link-button">{t(Key::Remove)}</button>
                            </ActionForm>
                        </Show>
                    </li>
                }).collect_view()}
            </ul>
            <Show when=move || may_edit>
                <details>
                    <summary>{t(Key::AddContact)}</summary>
                    <ActionForm action=actions.add_contact node_ref=cleared_on_success(actions.add_contact) attr:class="stack compact">
                        <input type="hidden" name="customer" value=cid.to_string() />
                        <label>{t(Key::Name)}<input name="input[name]" maxlength="200" /></label>
                        {field_error(move || contact_result.get(), "contact_name")}
                        <label>{t(Key::Title)}<input name="input[title]" maxlength="200" /></label>
                        <label>{t(Key::Email)}<input type="email" name="input[email]" /></label>
                        {field_error(move || contact_result.get(), "contact_email")}
                        <label>{t(Key::Phone)}<input type="tel" name="input[phone]" /></label>
                        {field_error(move || contact_result.get(), "contact_phone")}
                        <label class="check"><input type="checkbox" name="input[is_primary]" />{t(Key::Primary)}</label>
                        <button type="submit">{t(Key::AddContact)}</button>
                    </ActionForm>
                </details>
            </Show>
        </section>
    }
}
