use crate::auth::pages::{use_user, Protected};
use crate::auth::Role;
use crate::customers::api::*;
use crate::customers::model::*;
use crate::error::AppError;
use crate::i18n::{t, use_i18n, Key};
use crate::ids::CustomerId;
use crate::ui::{field_error, format_time, ErrorNotice};
use crate::users::api::{list_assignable_staff, list_teams};
use crate::users::model::StaffMember;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

fn encode_component(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The list URL for a filter (empty values left out).
pub fn list_url(f: &CustomerFilter) -> String {
    let pairs = [
        ("q", &f.q),
        ("level", &f.level),
        ("grade", &f.grade),
        ("owner", &f.owner),
        ("team", &f.team),
        ("tag", &f.tag),
        ("sort", &f.sort),
        ("after", &f.after),
    ];
    let query: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode_component(v)))
        .collect();
    if query.is_empty() {
        "/customers".into()
    } else {
        format!("/customers?{}", query.join("&"))
    }
}

#[component]
pub fn CustomerListPage() -> impl IntoView {
    view! { <Protected><CustomerList /></Protected> }
}

#[component]
fn CustomerList() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        let q = query.read();
        let get = |k: &str| q.get(k).unwrap_or_default();
        CustomerFilter {
            q: get("q"),
            level: get("level"),
            grade: get("grade"),
            owner: get("owner"),
            team: get("team"),
            tag: get("tag"),
            sort: get("sort"),
            after: get("after"),
        }
    });
    let page = Resource::new(move || filter.get(), list_customers);
    let staff = Resource::new(|| (), |_| list_assignable_staff());
    let teams = Resource::new(|| (), |_| list_teams());
    let tags = Resource::new(|| (), |_| list_tags());

    // Typing in the search box refreshes the list after a pause, without a reload.
    #[cfg(feature = "hydrate")]
    let pending = StoredValue::new_local(None::<gloo_timers::callback::Timeout>);
    #[cfg(feature = "hydrate")]
    let navigate = leptos_router::hooks::use_navigate();
    let on_search = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            let mut f = filter.get_untracked();
            f.q = event_target_value(&ev);
            f.after.clear();
            let url = list_url(&f);
            let navigate = navigate.clone();
            pending.set_value(Some(gloo_timers::callback::Timeout::new(300, move || {
                navigate(&url, Default::default());
            })));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };

    let selected = move |key: &'static str, value: String| {
        move || {
            let f = filter.get();
            let current = match key {
                "level" => f.level,
                "grade" => f.grade,
                "owner" => f.owner,
                "team" => f.team,
                "tag" => f.tag,
                _ => f.sort,
            };
            current == value
        }
    };

    view! {
        <section class="page">
            <div class="page-head">
                <h1>{t(Key::Customers)}</h1>
                <A href="/customers/new" attr:class="button primary">{t(Key::NewCustomer)}</A>
            </div>
            <form method="get" action="/customers" class="filters" role="search">
                <input
                    type="search"
                    name="q"
                    data-testid="customer-search"
                    placeholder=move || i18n.t(Key::SearchPlaceholder)
                    aria-label=move || i18n.t(Key::Search)
                    prop:value=move || filter.get().q
                    on:input=on_search
                />
                <select name="level" aria-label=move || i18n.t(Key::Level)>
                    <option value="">{t(Key::AllLevels)}</option>
                    <option value="1" selected=selected("level", "1".into())>{t(Key::LevelKey)}</option>
                    <option value="2" selected=selected("level", "2".into())>{t(Key::LevelStandard)}</option>
                </select>
                <select name="grade" aria-label=move || i18n.t(Key::Grade)>
                    <option value="">{t(Key::AllGrades)}</option>
                    {Grade::ALL.into_iter().map(|g| view! {
                        <option value=g.as_str() selected=selected("grade", g.as_str().into())>{t(g.label())}</option>
                    }).collect_view()}
                </select>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let staff = staff.await.unwrap_or_default();
                        let teams = teams.await.unwrap_or_default();
                        let tags = tags.await.unwrap_or_default();
                        view! {
                            <select name="owner" aria-label=move || i18n.t(Key::Owner)>
                                <option value="">{t(Key::AllOwners)}</option>
                                {staff.into_iter().map(|s| { let v = s.id.to_string(); view! {
                                    <option value=v.clone() selected=selected("owner", v)>{s.name}</option>
                                }}).collect_view()}
                            </select>
                            <select name="team" aria-label=move || i18n.t(Key::Team)>
                                <option value="">{t(Key::AllTeams)}</option>
                                {teams.into_iter().map(|tm| { let v = tm.id.to_string(); view! {
                                    <option value=v.clone() selected=selected("team", v)>{tm.name}</option>
                                }}).collect_view()}
                            </select>
                            <select name="tag" aria-label=move || i18n.t(Key::Tags)>
                                <option value="">{t(Key::AllTags)}</option>
                                {tags.into_iter().map(|tg| { let v = tg.id.to_string(); view! {
                                    <option value=v.clone() selected=selected("tag", v)>{tg.name}</option>
                                }}).collect_view()}
                            </select>
                        }
                    })}
                </Transition>
                <select name="sort" aria-label=move || i18n.t(Key::SortBy)>
                    {SortKey::ALL.into_iter().map(|k| view! {
                        <option value=k.as_str() selected=selected("sort", k.as_str().into())>{t(k.label())}</option>
                    }).collect_view()}
                </select>
                <button type="submit">{t(Key::ApplyFilters)}</button>
                <a href="/customers" class="button">{t(Key::ClearFilters)}</a>
            </form>
            <Transition fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(p) => view! { <CustomerTable page=p filter=filter.get_untracked() /> }.into_any(),
                        Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn CustomerTable(page: CustomerPage, filter: CustomerFilter) -> impl IntoView {
    let empty = page.items.is_empty();
    let next = page.next_after.clone().map(|after| {
        list_url(&CustomerFilter {
            after,
            ..filter.clone()
        })
    });
    let first = (!filter.after.is_empty()).then(|| {
        list_url(&CustomerFilter {
            after: String::new(),
            ..filter.clone()
        })
    });
    view! {
        <Show when=move || !empty fallback=|| view! { <p class="empty">{t(Key::NoCustomers)}</p> }>
            <div class="table-wrap">
                <table class="data" data-testid="customer-table">
                    <thead>
                        <tr>
                            <th scope="col">{t(Key::Name)}</th>
                            <th scope="col">{t(Key::Email)}</th>
                            <th scope="col">{t(Key::Phone)}</th>
                            <th scope="col">{t(Key::City)}</th>
                            <th scope="col">{t(Key::Level)}</th>
                            <th scope="col">{t(Key::Grade)}</th>
                            <th scope="col">{t(Key::Owner)}</th>
                            <th scope="col">{t(Key::UpdatedAt)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        {page.items.clone().into_iter().map(|c| view! {
                            <tr>
                                <td><A href=format!("/customers/{}", c.id)>{c.name}</A></td>
                                <td>{c.email.unwrap_or_default()}</td>
                                <td>{c.phone.unwrap_or_default()}</td>
                                <td>{c.city.unwrap_or_default()}</td>
                                <td><span class=format!("badge level-{}", c.level)>{t(level_short_label(c.level))}</span></td>
                                <td>{t(c.grade.label())}</td>
                                <td>{c.owner_name}</td>
                                <td>{format_time(c.updated_at)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </Show>
        <nav class="pager" aria-label="pages">
            {first.map(|href| view! { <A href=href>{t(Key::FirstPage)}</A> })}
            {next.map(|href| view! { <A href=href attr:data-testid="next-page">{t(Key::NextPage)}</A> })}
        </nav>
    }
}

/// The shared fields of the create and edit forms (`input[...]` names for the server fn).
#[component]
fn CustomerFields(
    initial: CustomerInput,
    staff: Vec<StaffMember>,
    #[prop(into)] result: Signal<Option<AppError>>,
    may_change_tier: bool,
    may_reassign: bool,
) -> impl IntoView {
    let err = move || result.get();
    let text = |label: Key, field: &'static str, value: String, kind: &'static str| {
        view! {
            <label>
                {t(label)}
                <input type=kind name=format!("input[{field}]") value=value maxlength="200" />
            </label>
            {field_error(err, field)}
        }
    };
    let i = initial.clone();
    let staff_for_sm = staff.clone();
    view! {
        <fieldset class="grid-form">
            <label>
                {t(Key::Name)}
                <input name="input[name]" value=i.name.clone() required maxlength="200" data-testid="customer-name" />
            </label>
            {field_error(err, "name")}
            <label>
                {t(Key::Kind)}
                <select name="input[kind]">
                    <option value="person" selected=i.kind != "company">{t(Key::KindPerson)}</option>
                    <option value="company" selected=i.kind == "company">{t(Key::KindCompany)}</option>
                </select>
            </label>
            {text(Key::Email, "email", i.email.clone(), "email")}
            {text(Key::Phone, "phone", i.phone.clone(), "tel")}
            {text(Key::ExternalId, "external_id", i.external_id.clone(), "text")}
            {text(Key::Country, "country", i.country.clone(), "text")}
            {text(Key::Province, "province", i.province.clone(), "text")}
            {text(Key::City, "city", i.city.clone(), "text")}
            {text(Key::Address, "address", i.address.clone(), "text")}
            {text(Key::Industry, "industry", i.industry.clone(), "text")}
            {text(Key::CompanySize, "company_size", i.company_size.clone(), "text")}
            {text(Key::Gender, "gender", i.gender.clone(), "text")}
            {text(Key::BirthYear, "birth_year", i.birth_year.clone(), "text")}
            {text(Key::IncomeBand, "income_band", i.income_band.clone(), "text")}
            {text(Key::SourceChannel, "source_channel", i.source_channel.clone(), "text")}
            {text(Key::SourceCampaign, "source_campaign", i.source_campaign.clone(), "text")}
            {text(Key::SourceReferrer, "source_referrer", i.source_referrer.clone(), "text")}
            <label>
                {t(Key::Tags)}
                <input name="input[tags]" value=i.tags.clone() placeholder="vip, wholesale" />
            </label>
            {field_error(err, "tags")}
            {if may_change_tier {
                view! {
                    <label>
                        {t(Key::Level)}
                        <select name="input[level]" data-testid="customer-level">
                            <option value="2" selected=i.level != "1">{t(Key::LevelStandard)}</option>
                            <option value="1" selected=i.level == "1">{t(Key::LevelKey)}</option>
                        </select>
                    </label>
                    {field_error(err, "level")}
                    <label>
                        {t(Key::Grade)}
                        <select name="input[grade]">
                            {Grade::ALL.into_iter().map(|g| view! {
                                <option value=g.as_str() selected=i.grade == g.as_str() || (i.grade.is_empty() && g == Grade::General)>{t(g.label())}</option>
                            }).collect_view()}
                        </select>
                    </label>
                }.into_any()
            } else {
                view! {
                    <input type="hidden" name="input[level]" value=i.level.clone() />
                    <input type="hidden" name="input[grade]" value=i.grade.clone() />
                }.into_any()
            }}
            {if may_reassign {
                view! {
                    <label>
                        {t(Key::Owner)}
                        <select name="input[owner_id]" data-testid="customer-owner">
                            <option value="">{t(Key::Myself)}</option>
                            {staff.into_iter().map(|s| { let v = s.id.to_string(); view! {
                                <option value=v.clone() selected=i.owner_id == v>{format!("{} ({})", s.name, s.email)}</option>
                            }}).collect_view()}
                        </select>
                    </label>
                    {field_error(err, "owner_id")}
                    <label>
                        {t(Key::ServiceManager)}
                        <select name="input[service_manager_id]">
                            <option value="">{t(Key::NoneChoice)}</option>
                            {staff_for_sm.into_iter().filter(|s| s.role == Role::Tier2Manager).map(|s| { let v = s.id.to_string(); view! {
                                <option value=v.clone() selected=i.service_manager_id == v>{s.name}</option>
                            }}).collect_view()}
                        </select>
                    </label>
                    {field_error(err, "service_manager_id")}
                }.into_any()
            } else {
                view! {
                    <input type="hidden" name="input[owner_id]" value=i.owner_id.clone() />
                    <input type="hidden" name="input[service_manager_id]" value=i.service_manager_id.clone() />
                }.into_any()
            }}
        </fieldset>
    }
}

#[component]
pub fn CustomerCreatePage() -> impl IntoView {
    view! { <Protected><CustomerCreate /></Protected> }
}

#[component]
fn CustomerCreate() -> impl IntoView {
    let user = use_user();
    let action = ServerAction::<CreateCustomer>::new();
    let result = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let staff = Resource::new(|| (), |_| list_assignable_staff());
    let may_set_tier = crate::auth::permissions::may_set_tier_on_create(&user);
    let me = user.id;
    view! {
        <section class="page">
            <h1>{t(Key::NewCustomer)}</h1>
            {move || result.get().filter(|e| !matches!(e, AppError::Validation(_))).map(|e| view! { <ErrorNotice error=e /> })}
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let staff = staff.await.unwrap_or_default();
                    // The server lists only the staff this user may assign to: offer the
                    // choice when that is anyone but themselves.
                    let may_pick_owner = staff.iter().any(|s| s.id != me);
                    view! {
                        <ActionForm action=action attr:class="stack" attr:data-testid="customer-form">
                            <CustomerFields
                                initial=CustomerInput::default()
                                staff=staff
                                result=result
                                may_change_tier=may_set_tier
                                may_reassign=may_pick_owner
                            />
                            <button type="submit" class="primary">{t(Key::Save)}</button>
                        </ActionForm>
                    }
                })}
            </Suspense>
        </section>
    }
}

fn customer_id_param() -> Memo<Option<CustomerId>> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("id").and_then(|s| s.parse().ok()))
}

#[component]
pub fn CustomerEditPage() -> impl IntoView {
    view! { <Protected><CustomerEdit /></Protected> }
}

#[component]
fn CustomerEdit() -> impl IntoView {
    let id = customer_id_param();
    let customer = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => get_customer(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let staff = Resource::new(|| (), |_| list_assignable_staff());
    let action = ServerAction::<UpdateCustomer>::new();
    let result = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    view! {
        <section class="page">
            <h1>{t(Key::EditCustomer)}</h1>
            {move || result.get().filter(|e| !matches!(e, AppError::Validation(_))).map(|e| view! { <ErrorNotice error=e /> })}
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match customer.await {
                        Ok(c) if c.may_edit => {
                            let staff = staff.await.unwrap_or_default();
                            view! {
                                <ActionForm action=action attr:class="stack" attr:data-testid="customer-form">
                                    <input type="hidden" name="id" value=c.id.to_string() />
                                    <CustomerFields
                                        initial=c.to_input()
                                        staff=staff
                                        result=result
                                        may_change_tier=c.may_change_tier
                                        may_reassign=c.may_reassign
                                    />
                                    <div class="actions">
                                        <button type="submit" class="primary">{t(Key::Save)}</button>
                                        <A href=format!("/customers/{}", c.id)>{t(Key::Cancel)}</A>
                                    </div>
                                </ActionForm>
                            }.into_any()
                        }
                        Ok(_) => view! { <ErrorNotice error=AppError::Forbidden /> }.into_any(),
                        Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn CustomerDetailPage() -> impl IntoView {
    view! { <Protected><CustomerDetail /></Protected> }
}

#[component]
fn CustomerDetail() -> impl IntoView {
    let user = use_user();
    let id = customer_id_param();
    let add_contact = ServerAction::<AddContact>::new();
    let remove_contact = ServerAction::<RemoveContact>::new();
    let delete = ServerAction::<DeleteCustomer>::new();
    let customer = Resource::new(
        move || {
            (
                id.get(),
                add_contact.version().get(),
                remove_contact.version().get(),
            )
        },
        |(id, _, _)| async move {
            match id {
                Some(id) => get_customer(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let contact_result = Signal::derive(move || add_contact.value().get().and_then(|r| r.err()));
    let is_admin = user.role == Role::Admin;
    view! {
        <Suspense fallback=|| view! { <p class="loading">"…"</p> }>
            {move || Suspend::new(async move {
                match customer.await {
                    Ok(c) => {
                        let field = |label: Key, value: Option<String>| view! {
                            <div class="field"><dt>{t(label)}</dt><dd>{value.unwrap_or_else(|| "—".into())}</dd></div>
                        };
                        let cid = c.id;
                        view! {
                            <section class="page">
                                <div class="page-head">
                                    <h1 data-testid="customer-title">{c.name.clone()}</h1>
                                    <div class="actions">
                                        <Show when=move || c.may_edit>
                                            <A href=format!("/customers/{cid}/edit") attr:class="button">{t(Key::Edit)}</A>
                                        </Show>
                                        <Show when=move || is_admin>
                                            <A href=format!("/admin/audit?customer={cid}") attr:class="button">{t(Key::History)}</A>
                                        </Show>
                                    </div>
                                </div>
                                <div class="cards">
                                    <div class="stat"><span class="stat-label">{t(Key::Owner)}</span><strong data-testid="customer-owner-name">{c.owner_name.clone()}</strong></div>
                                    <div class="stat"><span class="stat-label">{t(Key::ServiceManager)}</span><strong>{c.service_manager_name.clone().unwrap_or_else(|| "—".into())}</strong></div>
                                    <div class="stat"><span class="stat-label">{t(Key::Level)}</span><strong>{t(level_short_label(c.level))}</strong></div>
                                    <div class="stat"><span class="stat-label">{t(Key::Grade)}</span><strong>{t(c.grade.label())}</strong></div>
                                    <div class="stat"><span class="stat-label">{t(Key::Orders)}</span><strong>{c.order_count}</strong></div>
                                    <div class="stat"><span class="stat-label">{t(Key::LifetimeValue)}</span><strong>{format_cents(c.lifetime_value_cents)}</strong></div>
                                    <div class="stat"><span class="stat-label">{t(Key::LastOrder)}</span><strong>{c.last_order_date.clone().unwrap_or_else(|| "—".into())}</strong></div>
                                </div>
                                <div class="columns">
                                    <div class="card">
                                        <h2>{t(Key::Profile)}</h2>
                                        <dl class="fields">
                                            {field(Key::Kind, Some(c.kind.label().text(crate::i18n::use_i18n().lang.get_untracked()).to_string()))}
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
                                            {field(Key::CreatedAt, Some(format_time(c.created_at)))}
                                            {field(Key::UpdatedAt, Some(format_time(c.updated_at)))}
                                        </dl>
                                        <div class="tags">
                                            {c.tags.iter().map(|tg| view! {
                                                <span class="tag" style:border-color=tg.color.clone()>{tg.name.clone()}</span>
                                            }).collect_view()}
                                        </div>
                                    </div>
                                    <div class="card">
                                        <h2>{t(Key::Contacts)}</h2>
                                        <ul class="contacts">
                                            {c.contacts.iter().cloned().map(|ct| view! {
                                                <li>
                                                    <strong>{ct.name}</strong>
                                                    {ct.is_primary.then(|| view! { <span class="badge">{t(Key::Primary)}</span> })}
                                                    <span class="muted">{[ct.title, ct.email, ct.phone].into_iter().flatten().collect::<Vec<_>>().join(" · ")}</span>
                                                    <Show when=move || c.may_edit>
                                                        <ActionForm action=remove_contact attr:class="inline">
                                                            <input type="hidden" name="id" value=ct.id.to_string() />
                                                            <button type="submit" class="link-button">{t(Key::Remove)}</button>
                                                        </ActionForm>
                                                    </Show>
                                                </li>
                                            }).collect_view()}
                                        </ul>
                                        <Show when=move || c.may_edit>
                                            <ActionForm action=add_contact attr:class="stack compact">
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
                                        </Show>
                                    </div>
                                </div>
                                <Show when=move || c.may_delete>
                                    <details class="danger-zone">
                                        <summary>{t(Key::DeleteCustomer)}</summary>
                                        <p>{t(Key::DeleteWarning)}</p>
                                        <ActionForm action=delete>
                                            <input type="hidden" name="id" value=cid.to_string() />
                                            <button type="submit" class="danger">{t(Key::DeleteConfirm)}</button>
                                        </ActionForm>
                                    </details>
                                </Show>
                            </section>
                        }.into_any()
                    }
                    Err(e) => view! { <section class="page narrow"><h1>{t(e.message_key())}</h1><ErrorNotice error=e /></section> }.into_any(),
                }
            })}
        </Suspense>
    }
}
