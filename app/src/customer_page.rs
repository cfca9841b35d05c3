//! The customer page: summary cards, the timeline, and each feature's card for the
//! day-to-day work around a customer (activities, follow-ups, orders, payments, contracts,
//! credit, notes, churn and RFM). It composes the features from above, as `layout.rs` does
//! for the frame; each card lives with its feature.

use crate::activities::pages::ActivityForm;
use crate::auth::pages::{signed_in_user, Protected};
use crate::auth::permissions::{may_open_complaint, may_see_complaints};
use crate::auth::Role;
use crate::customers::api::{get_customer, AddContact, DeleteCustomer, RemoveContact};
use crate::customers::detail::{ContactsCard, ProfileCard};
use crate::customers::model::{level_short_label, Customer};
use crate::customers::pages::{customer_id_param, customer_resource};
use crate::finance::model::FinanceOverview;
use crate::finance::pages::{rating_class, FinanceCard};
use crate::format::format_cents;
use crate::i18n::{t, Key};
use crate::orders::pages::OrderForm;
use crate::tasks::api::customer_open_tasks;
use crate::tasks::pages::TasksCard;
use crate::timeline::pages::Timeline;
use crate::ui::ErrorNotice;
use crate::users::api::list_assignable_staff;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn CustomerDetailPage() -> impl IntoView {
    view! { <Protected><CustomerDetail /></Protected> }
}

#[component]
fn CustomerDetail() -> impl IntoView {
    let user = signed_in_user();
    let id = customer_id_param();
    let delete = ServerAction::<DeleteCustomer>::new();
    // Every save renders the whole page again from fresh data: the reads never refresh.
    let once = Signal::stored(0);
    // Everything the page and its cards fetch is made here, outside the `Suspense`, so it
    // is fetched once (see `auth::pages::Protected`).
    let customer = customer_resource(id, once, get_customer);
    let finance = customer_resource(id, once, crate::finance::api::customer_finance);
    let tasks = customer_resource(id, once, customer_open_tasks);
    let stage = customer_resource(id, once, crate::lifecycle::api::load_customer_stage);
    let staff = Resource::new(|| (), |_| list_assignable_staff());
    let timeline = crate::timeline::pages::TimelineData::new(id);
    let rfm = customer_resource(id, once, crate::rfm::api::load_customer_rfm);
    let churn = customer_resource(id, once, crate::churn::api::customer_churn_warning);
    let notes = crate::notes::pages::NotesData::new(id);
    let is_admin = move || user.with(|u| u.as_ref().is_some_and(|u| u.role == Role::Admin));
    let opens_complaints = move || user.with(|u| u.as_ref().is_some_and(may_open_complaint));
    let sees_complaints = move || user.with(|u| u.as_ref().is_some_and(may_see_complaints));
    // Each part of the page waits for the customer under its own boundary.
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
                    view! {
                        <div class="page-head">
                            <h1 data-testid="customer-title">{c.name.clone()}</h1>
                            <div class="actions">
                                {c.may_edit.then(|| view! {
                                    <A href=format!("/customers/{cid}/edit") attr:class="button">{t(Key::Edit)}</A>
                                })}
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
                            c.may_edit.then(|| view! { <ActivityForm customer=c.id /> })
                        })}
                    </Suspense>
                    <Timeline customer=id data=timeline />
                </div>
                <div class="side-column">
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            let c = customer.await.ok()?;
                            let finance = finance.await.ok().flatten();
                            let tasks = tasks.await.unwrap_or_default();
                            let cid = c.id;
                            let may_edit = c.may_edit;
                            let (add_contact, remove_contact) = (ServerAction::<AddContact>::new(), ServerAction::<RemoveContact>::new());
                            Some(view! {
                                <crate::churn::pages::ChurnCard data=churn />
                                <TasksCard customer=cid tasks=tasks may_edit=may_edit staff=staff />
                                <crate::rfm::pages::RfmCard data=rfm />
                                {may_edit.then(|| view! { <OrderForm customer=cid /> })}
                                {finance.map(|f| view! { <FinanceCard customer=cid finance=f /> })}
                                <crate::notes::pages::CustomerNotes customer=cid data=notes />
                                <ProfileCard customer=c.clone() />
                                <ContactsCard customer=c add=add_contact remove=remove_contact />
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
