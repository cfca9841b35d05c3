//! `/customers/duplicates`: candidate pairs; `/customers/duplicates/merge?a=&b=`: the two
//! records side by side and the merge confirmation.

use crate::auth::pages::Protected;
use crate::customers::api::get_customer;
use crate::customers::model::Customer;
use crate::duplicates::api::*;
use crate::duplicates::model::DuplicateCandidate;
use crate::error::AppError;
use crate::i18n::{t, Key};
use crate::ids::CustomerId;
use crate::ui::{field_error, ErrorNotice};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

#[component]
pub fn DuplicatesPage() -> impl IntoView {
    view! { <Protected><Duplicates /></Protected> }
}

fn candidate_cell(c: DuplicateCandidate) -> impl IntoView {
    let detail = [c.email, c.phone, c.city]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ");
    view! {
        <td>
            <A href=format!("/customers/{}", c.id)>{c.name}</A>
            <div class="muted">{detail}</div>
            <div class="muted">{c.owner_name}</div>
        </td>
    }
}

#[component]
fn Duplicates() -> impl IntoView {
    let report = Resource::new(|| (), |_| find_duplicates());
    view! {
        <section class="page">
            <h1>{t(Key::DuplicatesTitle)}</h1>
            <p class="muted">{t(Key::DuplicatesIntro)}</p>
            <Suspense fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    match report.await {
                        Ok(r) if r.pairs.is_empty() => view! { <p class="empty">{t(Key::NoDuplicates)}</p> }.into_any(),
                        Ok(r) => view! {
                            {r.capped.then(|| view! { <p class="notice">{t(Key::DuplicatesCapped)}</p> })}
                            <div class="table-wrap" tabindex="0">
                                <table class="data" data-testid="duplicates-table">
                                    <thead>
                                        <tr>
                                            <th scope="col">{t(Key::Customers)}</th>
                                            <th scope="col">{t(Key::Customers)}</th>
                                            <th scope="col">{t(Key::MatchReason)}</th>
                                            <th scope="col"></th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {r.pairs.into_iter().map(|p| {
                                            let href = format!("/customers/duplicates/merge?a={}&b={}", p.a.id, p.b.id);
                                            view! {
                                                <tr>
                                                    {candidate_cell(p.a)}
                                                    {candidate_cell(p.b)}
                                                    <td>{t(p.reason.label())}</td>
                                                    <td><A href=href>{t(Key::Review)}</A></td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                        Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn MergePage() -> impl IntoView {
    view! { <Protected><Merge /></Protected> }
}

fn profile(c: &Customer) -> impl IntoView {
    let row = |label: Key, value: Option<String>| {
        view! {
            <div class="field"><dt>{t(label)}</dt><dd>{value.unwrap_or_else(|| "—".into())}</dd></div>
        }
    };
    view! {
        <dl class="fields">
            {row(Key::Name, Some(c.name.clone()))}
            {row(Key::Email, c.email.clone())}
            {row(Key::Phone, c.phone.clone())}
            {row(Key::City, c.city.clone())}
            {row(Key::Address, c.address.clone())}
            {row(Key::Industry, c.industry.clone())}
            {row(Key::Owner, Some(c.owner_name.clone()))}
            {row(Key::Orders, Some(c.order_count.to_string()))}
            {row(Key::Contacts, Some(c.contacts.len().to_string()))}
            {row(Key::Tags, Some(c.tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ")))}
        </dl>
    }
}

#[component]
fn Merge() -> impl IntoView {
    let query = use_query_map();
    let pair = Memo::new(move |_| {
        let q = query.read();
        let id = |k: &str| q.get(k).and_then(|s| s.parse::<CustomerId>().ok());
        (id("a"), id("b"))
    });
    let records = Resource::new(
        move || pair.get(),
        |(a, b)| async move {
            match (a, b) {
                (Some(a), Some(b)) if a != b => {
                    Ok((get_customer(a).await?, get_customer(b).await?))
                }
                _ => Err(AppError::NotFound),
            }
        },
    );
    let merge = ServerAction::<MergeCustomers>::new();
    let result = Signal::derive(move || merge.value().get().and_then(|r| r.err()));
    view! {
        <section class="page">
            <h1>{t(Key::MergeTitle)}</h1>
            <p class="muted">{t(Key::MergeIntro)}</p>
            {move || result.get().filter(|e| !matches!(e, AppError::Validation(_))).map(|e| view! { <ErrorNotice error=e /> })}
            <Suspense fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    match records.await {
                        Ok((a, b)) => view! {
                            <ActionForm action=merge attr:class="stack" attr:data-testid="merge-form">
                                <input type="hidden" name="a" value=a.id.to_string() />
                                <input type="hidden" name="b" value=b.id.to_string() />
                                <div class="columns">
                                    <div class="card">
                                        <label class="check"><input type="radio" name="keep" value=a.id.to_string() checked />{t(Key::KeepThisOne)}</label>
                                        {profile(&a)}
                                    </div>
                                    <div class="card">
                                        <label class="check"><input type="radio" name="keep" value=b.id.to_string() />{t(Key::KeepThisOne)}</label>
                                        {profile(&b)}
                                    </div>
                                </div>
                                {field_error(move || result.get(), "keep")}
                                <div class="actions">
                                    <button type="submit" class="danger" data-testid="merge-confirm">{t(Key::MergeConfirm)}</button>
                                    <A href="/customers/duplicates">{t(Key::Cancel)}</A>
                                </div>
                            </ActionForm>
                        }.into_any(),
                        Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
