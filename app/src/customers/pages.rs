use crate::auth::pages::Protected;
use crate::custom_fields::api::list_active_fields;
use crate::custom_fields::model::{CustomField, FieldKind};
use crate::customers::api::*;
use crate::customers::filter::*;
use crate::customers::model::*;
use crate::error::AppError;
use crate::format::encode_component;
use crate::i18n::{t, use_i18n, Key};
use crate::ids::CustomerId;
use crate::saved_views::api::{list_views, DeleteView, SaveView};
use crate::saved_views::model::SavedView;
use crate::ui::islands::{RowSelection, SubmitOnChange};
use crate::ui::{field_error, format_time, ErrorNotice};
use crate::users::api::{list_assignable_staff, list_teams};
use crate::users::model::StaffMember;
use leptos::prelude::*;
use leptos_router::components::{Redirect, A};
use leptos_router::hooks::{use_params_map, use_query_map};

/// The list URL for a filter (empty values left out). Custom field conditions follow the
/// fixed parameters, already encoded.
pub fn list_url(f: &CustomerFilter) -> String {
    let pairs = [
        ("q", &f.q),
        ("level", &f.level),
        ("grade", &f.grade),
        ("owner", &f.owner),
        ("team", &f.team),
        ("tag", &f.tag),
        ("kind", &f.kind),
        ("province", &f.province),
        ("city", &f.city),
        ("industry", &f.industry),
        ("source_channel", &f.source_channel),
        ("group", &f.group),
        ("overdue", &f.overdue),
        ("open_task", &f.open_task),
        ("segment", &f.segment),
        ("stage", &f.stage),
        ("sort", &f.sort),
        ("after", &f.after),
    ];
    let mut query: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode_component(v)))
        .collect();
    if !f.custom.is_empty() {
        query.push(f.custom.clone());
    }
    if query.is_empty() {
        "/customers".into()
    } else {
        format!("/customers?{}", query.join("&"))
    }
}

/// The list's query string for a filter, without `?` (what a saved view stores).
fn list_query(f: &CustomerFilter) -> String {
    list_url(f)
        .split_once('?')
        .map(|(_, q)| q.to_string())
        .unwrap_or_default()
}

#[component]
pub fn CustomerListPage() -> impl IntoView {
    view! { <Protected><CustomerList /></Protected> }
}

/// The form the bulk bar submits; the row boxes belong to it from inside the table.
const BULK_FORM: &str = "bulk-form";
/// The name of the row boxes, one id each, as the bulk server function reads them.
const BULK_IDS: &str = "input[ids][]";

#[component]
fn CustomerList() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    // Rendered on the server for one address: the filter is read once.
    let filter = filter_of_query(&query.read_untracked());
    let outcome = bulk_outcome_of_query(&query.read_untracked());
    let bulk = ServerAction::<BulkCustomers>::new();
    let page = Resource::new(|| (), {
        let filter = filter.clone();
        move |_| list_customers(filter.clone())
    });
    let staff = Resource::new(|| (), |_| list_assignable_staff());
    let teams = Resource::new(|| (), |_| list_teams());
    let tags = Resource::new(|| (), |_| list_tags());
    let segments = Resource::new(|| (), |_| crate::segments::api::list_segments());
    let f = filter.clone();
    // For the lists that arrive later, and for the search box, which are built apart.
    let (f_lists, typed) = (filter.clone(), filter.q.clone());
    let export = list_url(&CustomerFilter {
        after: String::new(),
        ..filter.clone()
    })
    .replacen("/customers", "/customers/export.csv", 1);
    let view_query = list_query(&CustomerFilter {
        after: String::new(),
        ..filter.clone()
    });

    view! {
        <section class="page">
            <div class="page-head">
                <h1>{t(Key::Customers)}</h1>
                <A href="/customers/new" attr:class="button primary">{t(Key::NewCustomer)}</A>
                <a class="button" data-testid="customer-export" href=export>
                    {t(Key::ExportCsv)}
                </a>
            </div>
            <form method="get" action="/customers" class="filters" role="search">
                // Typing refreshes the list after a pause; the other filters wait for "Apply".
                <SubmitOnChange>
                    <input
                        type="search"
                        name="q"
                        data-testid="customer-search"
                        placeholder=move || i18n.t(Key::SearchPlaceholder)
                        aria-label=move || i18n.t(Key::Search)
                        value=typed
                    />
                </SubmitOnChange>
                <select name="level" aria-label=move || i18n.t(Key::Level)>
                    <option value="">{t(Key::AllLevels)}</option>
                    <option value="1" selected=f.level == "1">{t(Key::LevelKey)}</option>
                    <option value="2" selected=f.level == "2">{t(Key::LevelStandard)}</option>
                </select>
                <select name="grade" aria-label=move || i18n.t(Key::Grade)>
                    <option value="">{t(Key::AllGrades)}</option>
                    {Grade::ALL.into_iter().map(|g| view! {
                        <option value=g.as_str() selected=f.grade == g.as_str()>{t(g.label())}</option>
                    }).collect_view()}
                </select>
                <select name="stage" aria-label=move || i18n.t(Key::LcStage) data-testid="filter-stage">
                    <option value="">{t(Key::LcAllStages)}</option>
                    {crate::lifecycle::model::Stage::ALL.into_iter().map(|s| view! {
                        <option value=s.as_str() selected=f.stage == s.as_str()>{t(s.label())}</option>
                    }).collect_view()}
                </select>
                <Suspense fallback=|| ()>
                    {
                        move || {
                            let f = f_lists.clone();
                            Suspend::new(async move {
                                let staff = staff.await.unwrap_or_default();
                                let teams = teams.await.unwrap_or_default();
                                let tags = tags.await.unwrap_or_default();
                                let segments = segments.await.unwrap_or_default();
                                view! {
                                    <select name="segment" aria-label=move || i18n.t(Key::SegSegment) data-testid="filter-segment">
                                        <option value="">{t(Key::SegAllCustomers)}</option>
                                        {segments.into_iter().map(|s| { let v = s.id.to_string(); view! {
                                            <option selected=f.segment == v value=v>{s.name}</option>
                                        }}).collect_view()}
                                    </select>
                                    <select name="owner" aria-label=move || i18n.t(Key::Owner)>
                                        <option value="">{t(Key::AllOwners)}</option>
                                        {staff.into_iter().map(|s| { let v = s.id.to_string(); view! {
                                            <option selected=f.owner == v value=v>{s.name}</option>
                                        }}).collect_view()}
                                    </select>
                                    <select name="team" aria-label=move || i18n.t(Key::Team)>
                                        <option value="">{t(Key::AllTeams)}</option>
                                        {teams.into_iter().map(|tm| { let v = tm.id.to_string(); view! {
                                            <option selected=f.team == v value=v>{tm.name}</option>
                                        }}).collect_view()}
                                    </select>
                                    <select name="tag" aria-label=move || i18n.t(Key::Tags)>
                                        <option value="">{t(Key::AllTags)}</option>
                                        {tags.into_iter().map(|tg| { let v = tg.id.to_string(); view! {
                                            <option selected=f.tag == v value=v>{tg.name}</option>
                                        }}).collect_view()}
                                    </select>
                                }
                            })
                        }
                    }
                </Suspense>
                <select name="sort" aria-label=move || i18n.t(Key::SortBy)>
                    {SortKey::ALL.into_iter().map(|k| view! {
                        <option value=k.as_str() selected=f.sort == k.as_str()>{t(k.label())}</option>
                    }).collect_view()}
                </select>
                <MoreFilters filter=filter.clone() />
                <button type="submit">{t(Key::ApplyFilters)}</button>
                <a href="/customers" class="button">{t(Key::ClearFilters)}</a>
            </form>
            <SavedViews query=view_query />
            <Suspense fallback=|| view! { <p class="loading">"…"</p> }>
                {move || {
                    let filter = filter.clone();
                    Suspend::new(async move {
                        let staff = staff.await.unwrap_or_default();
                        match page.await {
                            Ok(p) => view! { <CustomerTable page=p filter=filter bulk=bulk staff=staff outcome=outcome /> }.into_any(),
                            Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

/// The list's filter as the address bar holds it.
fn filter_of_query(q: &leptos_router::params::ParamsMap) -> CustomerFilter {
    CustomerFilter::from_params(
        |k| q.get(k).unwrap_or_default(),
        q.into_iter().map(|(k, v)| (k.as_ref(), v)),
    )
}

/// What the bulk action just taken did, as it returned to the list (`bulk_changed`,
/// `bulk_refused`).
fn bulk_outcome_of_query(q: &leptos_router::params::ParamsMap) -> Option<BulkOutcome> {
    let count = |k: &str| q.get(k).and_then(|v| v.parse::<usize>().ok());
    Some(BulkOutcome {
        changed: count("bulk_changed")?,
        refused: count("bulk_refused")?,
    })
}

/// The filters folded under "More filters": kind, place, industry, channel, overdue
/// payments, open tasks, groups and custom fields.
#[component]
fn MoreFilters(filter: CustomerFilter) -> impl IntoView {
    let i18n = use_i18n();
    let groups = Resource::new(|| (), |_| list_groups());
    let fields = Resource::new(|| (), |_| list_active_fields());
    let f = filter;
    let open = has_more_filters(&f);
    let (group, current) = (f.group.clone(), decode_custom_pairs(&f.custom));
    view! {
        <details class="more-filters" open=open>
            <summary>{t(Key::MoreFilters)}</summary>
            <div class="filters">
                <select name="kind" aria-label=move || i18n.t(Key::Kind)>
                    <option value="">{t(Key::AllKinds)}</option>
                    <option value="person" selected=f.kind == "person">{t(Key::KindPerson)}</option>
                    <option value="company" selected=f.kind == "company">{t(Key::KindCompany)}</option>
                </select>
                {[
                    ("province", Key::Province, f.province.clone()),
                    ("city", Key::City, f.city.clone()),
                    ("industry", Key::Industry, f.industry.clone()),
                    ("source_channel", Key::SourceChannel, f.source_channel.clone()),
                ].into_iter().map(|(name, label, value)| view! {
                    <input
                        name=name
                        placeholder=move || i18n.t(label)
                        aria-label=move || i18n.t(label)
                        value=value
                    />
                }).collect_view()}
                <label class="check">
                    <input type="checkbox" name="overdue" value="1" checked=f.overdue == "1" data-testid="filter-overdue" />
                    {t(Key::HasOverduePayment)}
                </label>
                <label class="check">
                    <input type="checkbox" name="open_task" value="1" checked=f.open_task == "1" data-testid="filter-open-task" />
                    {t(Key::HasOpenTask)}
                </label>
                <Suspense fallback=|| ()>
                    {move || {
                        let (group, current) = (group.clone(), current.clone());
                        Suspend::new(async move {
                            let groups = groups.await.unwrap_or_default();
                            let fields = fields.await.unwrap_or_default();
                            view! {
                                <select name="group" aria-label=move || i18n.t(Key::Groups)>
                                    <option value="">{t(Key::AllGroups)}</option>
                                    {groups.into_iter().map(|(id, name)| { let v = id.to_string(); view! {
                                        <option selected=group == v value=v>{name}</option>
                                    }}).collect_view()}
                                </select>
                                {fields.into_iter().map(|f| custom_filter_input(f, &current)).collect_view()}
                            }
                        })
                    }}
                </Suspense>
            </div>
        </details>
    }
}
/// Whether any filter inside "More filters" is set, so the section opens by itself.
fn has_more_filters(f: &CustomerFilter) -> bool {
    [
        &f.kind,
        &f.province,
        &f.city,
        &f.industry,
        &f.source_channel,
        &f.group,
        &f.overdue,
        &f.open_task,
        &f.custom,
    ]
    .iter()
    .any(|v| !v.is_empty())
}

/// The filter inputs of one custom field: a value for text and choice, a range for
/// numbers and dates (`cf.<key>`, `cf.<key>.min`, `cf.<key>.max`).
fn custom_filter_input(field: CustomField, current: &[(String, String)]) -> impl IntoView {
    let value_of = |param: &str| {
        current
            .iter()
            .find(|(k, _)| k == param)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let base = format!("cf.{}", field.key);
    match field.kind {
        FieldKind::Choice => {
            let now = value_of(&base);
            view! {
                <label class="filter-field">
                    {field.label.clone()}
                    <select name=base.clone()>
                        <option value="">{t(Key::AnyValue)}</option>
                        {field.choices.iter().map(|c| view! {
                            <option value=c.clone() selected=*c == now>{c.clone()}</option>
                        }).collect_view()}
                    </select>
                </label>
            }
            .into_any()
        }
        FieldKind::Text => view! {
            <label class="filter-field">
                {field.label.clone()}
                <input name=base.clone() value=value_of(&base) />
            </label>
        }
        .into_any(),
        FieldKind::Number | FieldKind::Date => {
            let kind = if field.kind == FieldKind::Date {
                "date"
            } else {
                "text"
            };
            let (min, max) = (format!("{base}.min"), format!("{base}.max"));
            view! {
                <fieldset class="filter-field range">
                    <legend>{field.label.clone()}</legend>
                    <input type=kind name=min.clone() value=value_of(&min) placeholder=t(Key::RangeFrom) aria-label=t(Key::RangeFrom) />
                    <input type=kind name=max.clone() value=value_of(&max) placeholder=t(Key::RangeTo) aria-label=t(Key::RangeTo) />
                </fieldset>
            }
            .into_any()
        }
    }
}

/// The saved views of this user and their team: open one, save the current query
/// (`query`), delete one's own.
#[component]
fn SavedViews(query: String) -> impl IntoView {
    let i18n = use_i18n();
    let save = ServerAction::<SaveView>::new();
    let delete = ServerAction::<DeleteView>::new();
    let views = Resource::new(|| (), |_| list_views());
    let params = use_query_map();
    let opened = params.read_untracked().get("view");
    let saved = params.read_untracked().get("view_saved").is_some();
    let save_err = Signal::derive(move || save.value().get().and_then(|r| r.err()));
    view! {
        <div class="saved-views" data-testid="saved-views">
            <Suspense fallback=|| ()>
                {move || {
                    let opened = opened.clone();
                    Suspend::new(async move {
                        let views = views.await.unwrap_or_default();
                        // Choosing a view asks for the list with `view=<id>`: the answer is
                        // the view's own address.
                        if let Some(v) = opened.and_then(|id| views.iter().find(|v| v.id.to_string() == id)) {
                            return view! { <Redirect path=v.url() /> }.into_any();
                        }
                        let own: Vec<SavedView> = views.iter().filter(|v| v.may_delete).cloned().collect();
                        view! {
                            <form method="get" action="/customers" class="inline">
                                <SubmitOnChange>
                                    <select name="view" aria-label=move || i18n.t(Key::SavedViews) data-testid="view-select">
                                        <option value="">{t(Key::ChooseView)}</option>
                                        {views.iter().map(|v| {
                                            let label = if v.shared { format!("{} ({}, {})", v.name, i18n.t(Key::SharedView), v.owner_name) } else { v.name.clone() };
                                            view! { <option value=v.id.to_string()>{label}</option> }
                                        }).collect_view()}
                                    </select>
                                </SubmitOnChange>
                            </form>
                            {(!own.is_empty()).then(|| view! {
                                <ActionForm action=delete attr:class="inline">
                                    <select name="id" aria-label=move || i18n.t(Key::DeleteView)>
                                        {own.iter().map(|v| view! { <option value=v.id.to_string()>{v.name.clone()}</option> }).collect_view()}
                                    </select>
                                    <button type="submit" class="link-button">{t(Key::DeleteView)}</button>
                                </ActionForm>
                            })}
                        }.into_any()
                    })
                }}
            </Suspense>
            <ActionForm action=save attr:class="inline" attr:data-testid="save-view-form">
                <input type="hidden" name="query" value=query />
                <input name="name" required maxlength="80" placeholder=move || i18n.t(Key::ViewName) aria-label=move || i18n.t(Key::ViewName) />
                <label class="check"><input type="checkbox" name="shared" value="1" />{t(Key::ShareWithTeam)}</label>
                <button type="submit">{t(Key::SaveView)}</button>
            </ActionForm>
            {field_error(move || save_err.get(), "name")}
            {move || save_err.get().filter(|e| !matches!(e, AppError::Validation(_))).map(|e| view! { <ErrorNotice error=e /> })}
            {saved.then(|| view! { <span class="notice ok" role="status">{t(Key::ViewSaved)}</span> })}
        </div>
    }
}

/// One page of the list, its row boxes and the bulk bar they feed; `outcome` is what the
/// bulk action just taken did.
#[component]
fn CustomerTable(
    page: CustomerPage,
    filter: CustomerFilter,
    bulk: ServerAction<BulkCustomers>,
    staff: Vec<StaffMember>,
    outcome: Option<BulkOutcome>,
) -> impl IntoView {
    let i18n = use_i18n();
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
    let table = if page.items.is_empty() {
        view! { <p class="empty">{t(Key::NoCustomers)}</p> }.into_any()
    } else {
        view! {
            <div class="table-wrap" tabindex="0">
                <table class="data" data-testid="customer-table">
                    <thead>
                        <tr>
                            <th scope="col">
                                <input type="checkbox" data-select-all="" data-testid="select-page" aria-label=move || i18n.t(Key::SelectPage) />
                            </th>
                            <th scope="col">{t(Key::Name)}</th>
                            <th scope="col">{t(Key::Email)}</th>
                            <th scope="col">{t(Key::Phone)}</th>
                            <th scope="col">{t(Key::City)}</th>
                            <th scope="col">{t(Key::Level)}</th>
                            <th scope="col">{t(Key::Grade)}</th>
                            <th scope="col">{t(Key::LcStage)}</th>
                            <th scope="col">{t(Key::Owner)}</th>
                            <th scope="col">{t(Key::UpdatedAt)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        {page.items.into_iter().map(|c| view! {
                            <tr>
                                <td>
                                    <input
                                        type="checkbox"
                                        form=BULK_FORM
                                        name=BULK_IDS
                                        value=c.id.to_string()
                                        data-testid="row-select"
                                        aria-label=move || i18n.t(Key::SelectRow)
                                    />
                                </td>
                                <td><A href=format!("/customers/{}", c.id)>{c.name}</A></td>
                                <td>{c.email.unwrap_or_default()}</td>
                                <td>{c.phone.unwrap_or_default()}</td>
                                <td>{c.city.unwrap_or_default()}</td>
                                <td><span class=format!("badge level-{}", c.level)>{t(level_short_label(c.level))}</span></td>
                                <td>{t(c.grade.label())}</td>
                                <td><crate::lifecycle::pages::StageBadge stage=c.stage /></td>
                                <td>{c.owner_name}</td>
                                <td>{format_time(c.updated_at)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        }.into_any()
    };
    view! {
        <RowSelection name=BULK_IDS.to_string()>
            <BulkBar bulk=bulk staff=staff list=list_query(&filter) />
            {table}
        </RowSelection>
        <BulkResult bulk=bulk outcome=outcome />
        <nav class="pager" aria-label="pages">
            {first.map(|href| view! { <A href=href>{t(Key::FirstPage)}</A> })}
            {next.map(|href| view! { <A href=href attr:data-testid="next-page">{t(Key::NextPage)}</A> })}
        </nav>
    }
}

/// The actions on the ticked rows: tag, untag, assign an owner, export. Shown while a
/// row is ticked; each button sends the form with its own `input[op]`, and the list it
/// was on (`list`) to come back to.
#[component]
fn BulkBar(
    bulk: ServerAction<BulkCustomers>,
    staff: Vec<StaffMember>,
    list: String,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ActionForm action=bulk attr:id=BULK_FORM>
            <input type="hidden" name="input[list]" value=list />
            <div class="bulk-bar" data-testid="bulk-bar" data-when-selected="" hidden=true>
                <strong><span data-selected-count="">"0"</span>" "{t(Key::SelectedCount)}</strong>
                <input
                    name="input[tag]"
                    data-testid="bulk-tag-input"
                    placeholder=move || i18n.t(Key::BulkTag)
                    aria-label=move || i18n.t(Key::BulkTag)
                    maxlength="40"
                />
                <button type="submit" name="input[op]" value="tag_add" data-testid="bulk-tag-add">{t(Key::BulkAddTag)}</button>
                <button type="submit" name="input[op]" value="tag_remove" data-testid="bulk-tag-remove">{t(Key::BulkRemoveTag)}</button>
                <select name="input[owner_id]" aria-label=move || i18n.t(Key::Owner) data-testid="bulk-owner">
                    <option value="">{t(Key::Owner)}</option>
                    {staff.into_iter().map(|s| view! { <option value=s.id.to_string()>{s.name}</option> }).collect_view()}
                </select>
                <button type="submit" name="input[op]" value="assign" data-testid="bulk-assign">{t(Key::BulkAssign)}</button>
                <button type="submit" name="input[op]" value="export" class="button" data-testid="bulk-export">{t(Key::ExportSelected)}</button>
            </div>
        </ActionForm>
    }
}

/// What the last bulk action did, or why it was refused.
#[component]
fn BulkResult(bulk: ServerAction<BulkCustomers>, outcome: Option<BulkOutcome>) -> impl IntoView {
    let i18n = use_i18n();
    let text = move || match bulk.value().get() {
        Some(Err(e)) => Some(i18n.t(e.message_key()).to_string()),
        _ => outcome.map(|o| {
            format!(
                "{} {} · {} {}",
                o.changed,
                i18n.t(Key::BulkChanged),
                o.refused,
                i18n.t(Key::BulkRefused)
            )
        }),
    };
    view! { <p class="bulk-result" data-testid="bulk-result" role="status">{text}</p> }
}

pub fn customer_id_param() -> Memo<Option<CustomerId>> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("id").and_then(|s| s.parse().ok()))
}

/// What `fetch` says about the customer named by the route, fetched again whenever
/// `refresh` changes; a missing or malformed id is not found.
pub fn customer_resource<T, Fut>(
    id: Memo<Option<CustomerId>>,
    refresh: Signal<usize>,
    fetch: impl Fn(CustomerId) -> Fut + Send + Sync + Copy + 'static,
) -> Resource<Result<T, AppError>>
where
    T: serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<T, AppError>> + Send + 'static,
{
    Resource::new(
        move || (id.get(), refresh.get()),
        move |(id, _)| async move {
            match id {
                Some(id) => fetch(id).await,
                None => Err(AppError::NotFound),
            }
        },
    )
}
