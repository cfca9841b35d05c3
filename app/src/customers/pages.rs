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
use crate::ui::{field_error, format_time, ErrorNotice};
use crate::users::api::{list_assignable_staff, list_teams};
use crate::users::model::StaffMember;
use leptos::prelude::*;
use leptos_router::components::A;
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

#[component]
fn CustomerList() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let filter = Memo::new(move |_| filter_of_query(&query.read()));
    let bulk = ServerAction::<BulkCustomers>::new();
    // A bulk action refetches the page in place.
    let page = Resource::new(
        move || (filter.get(), bulk.version().get()),
        |(f, _)| list_customers(f),
    );
    let staff = Resource::new(|| (), |_| list_assignable_staff());
    let teams = Resource::new(|| (), |_| list_teams());
    let tags = Resource::new(|| (), |_| list_tags());
    let segments = Resource::new(|| (), |_| crate::segments::api::list_segments());

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

    let selected = move |key: &'static str, value: String| is_selected(filter, key, value);

    view! {
        <section class="page">
            <div class="page-head">
                <h1>{t(Key::Customers)}</h1>
                <A href="/customers/new" attr:class="button primary">{t(Key::NewCustomer)}</A>
                <a
                    class="button"
                    data-testid="customer-export"
                    href=move || {
                        let f = CustomerFilter { after: String::new(), ..filter.get() };
                        list_url(&f).replacen("/customers", "/customers/export.csv", 1)
                    }
                >
                    {t(Key::ExportCsv)}
                </a>
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
                <select name="stage" aria-label=move || i18n.t(Key::LcStage) data-testid="filter-stage">
                    <option value="">{t(Key::LcAllStages)}</option>
                    {crate::lifecycle::model::Stage::ALL.into_iter().map(|s| view! {
                        <option value=s.as_str() selected=selected("stage", s.as_str().into())>{t(s.label())}</option>
                    }).collect_view()}
                </select>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let staff = staff.await.unwrap_or_default();
                        let teams = teams.await.unwrap_or_default();
                        let tags = tags.await.unwrap_or_default();
                        let segments = segments.await.unwrap_or_default();
                        view! {
                            <select name="segment" aria-label=move || i18n.t(Key::SegSegment) data-testid="filter-segment">
                                <option value="">{t(Key::SegAllCustomers)}</option>
                                {segments.into_iter().map(|s| { let v = s.id.to_string(); view! {
                                    <option value=v.clone() selected=selected("segment", v)>{s.name}</option>
                                }}).collect_view()}
                            </select>
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
                <MoreFilters filter=filter />
                <button type="submit">{t(Key::ApplyFilters)}</button>
                <a href="/customers" class="button">{t(Key::ClearFilters)}</a>
            </form>
            <SavedViews query=Signal::derive(move || list_query(&CustomerFilter { after: String::new(), ..filter.get() })) />
            <Transition fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(p) => view! { <CustomerTable page=p filter=filter.get_untracked() bulk=bulk staff=staff /> }.into_any(),
                        Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    }
                })}
            </Transition>
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

/// Whether the filter's `key` currently has `value`, for a select's `selected`.
fn is_selected(
    filter: Memo<CustomerFilter>,
    key: &'static str,
    value: String,
) -> impl Fn() -> bool {
    move || {
        let f = filter.get();
        let current = match key {
            "level" => f.level,
            "grade" => f.grade,
            "owner" => f.owner,
            "team" => f.team,
            "tag" => f.tag,
            "kind" => f.kind,
            "group" => f.group,
            "segment" => f.segment,
            "stage" => f.stage,
            _ => f.sort,
        };
        current == value
    }
}

/// The filters folded under "More filters": kind, place, industry, channel, overdue
/// payments, open tasks, groups and custom fields.
#[component]
fn MoreFilters(filter: Memo<CustomerFilter>) -> impl IntoView {
    let i18n = use_i18n();
    let groups = Resource::new(|| (), |_| list_groups());
    let fields = Resource::new(|| (), |_| list_active_fields());
    let selected = move |key: &'static str, value: String| is_selected(filter, key, value);
    view! {
        <details class="more-filters" open=move || has_more_filters(&filter.get())>
            <summary>{t(Key::MoreFilters)}</summary>
            <div class="filters">
                <select name="kind" aria-label=move || i18n.t(Key::Kind)>
                    <option value="">{t(Key::AllKinds)}</option>
                    <option value="person" selected=selected("kind", "person".into())>{t(Key::KindPerson)}</option>
                    <option value="company" selected=selected("kind", "company".into())>{t(Key::KindCompany)}</option>
                </select>
                {[
                    ("province", Key::Province),
                    ("city", Key::City),
                    ("industry", Key::Industry),
                    ("source_channel", Key::SourceChannel),
                ].into_iter().map(|(name, label)| view! {
                    <input
                        name=name
                        placeholder=move || i18n.t(label)
                        aria-label=move || i18n.t(label)
                        prop:value=move || {
                            let f = filter.get();
                            match name {
                                "province" => f.province,
                                "city" => f.city,
                                "industry" => f.industry,
                                _ => f.source_channel,
                            }
                        }
                    />
                }).collect_view()}
                <label class="check">
                    <input type="checkbox" name="overdue" value="1" prop:checked=move || filter.get().overdue == "1" data-testid="filter-overdue" />
                    {t(Key::HasOverduePayment)}
                </label>
                <label class="check">
                    <input type="checkbox" name="open_task" value="1" prop:checked=move || filter.get().open_task == "1" data-testid="filter-open-task" />
                    {t(Key::HasOpenTask)}
                </label>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let groups = groups.await.unwrap_or_default();
                        let fields = fields.await.unwrap_or_default();
                        let current = decode_custom_pairs(&filter.get_untracked().custom);
                        view! {
                            <select name="group" aria-label=move || i18n.t(Key::Groups)>
                                <option value="">{t(Key::AllGroups)}</option>
                                {groups.into_iter().map(|(id, name)| { let v = id.to_string(); view! {
                                    <option value=v.clone() selected=selected("group", v)>{name}</option>
                                }}).collect_view()}
                            </select>
                            {fields.into_iter().map(|f| custom_filter_input(f, &current)).collect_view()}
                        }
                    })}
                </Transition>
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

/// The saved views of this user and their team: open one, save the current query, delete one's own.
#[component]
fn SavedViews(query: Signal<String>) -> impl IntoView {
    let i18n = use_i18n();
    let save = ServerAction::<SaveView>::new();
    let delete = ServerAction::<DeleteView>::new();
    let views = Resource::new(
        move || (save.version().get(), delete.version().get()),
        |_| list_views(),
    );
    let save_err = Signal::derive(move || save.value().get().and_then(|r| r.err()));
    let saved = move || matches!(save.value().get(), Some(Ok(_)));
    let navigate = leptos_router::hooks::use_navigate();
    view! {
        <div class="saved-views" data-testid="saved-views">
            <Transition fallback=|| ()>
                {move || {
                    let navigate = navigate.clone();
                    Suspend::new(async move {
                        let views = views.await.unwrap_or_default();
                        let own: Vec<SavedView> = views.iter().filter(|v| v.may_delete).cloned().collect();
                        let urls: Vec<String> = views.iter().map(SavedView::url).collect();
                        view! {
                            <select
                                aria-label=move || i18n.t(Key::SavedViews)
                                data-testid="view-select"
                                on:change=move |ev| {
                                    if let Some(url) = event_target_value(&ev).parse::<usize>().ok().and_then(|i| urls.get(i)) {
                                        navigate(url, Default::default());
                                    }
                                }
                            >
                                <option value="">{t(Key::ChooseView)}</option>
                                {views.iter().enumerate().map(|(i, v)| {
                                    let label = if v.shared { format!("{} ({}, {})", v.name, i18n.t(Key::SharedView), v.owner_name) } else { v.name.clone() };
                                    view! { <option value=i.to_string()>{label}</option> }
                                }).collect_view()}
                            </select>
                            {(!own.is_empty()).then(|| view! {
                                <ActionForm action=delete attr:class="inline">
                                    <select name="id" aria-label=move || i18n.t(Key::DeleteView)>
                                        {own.iter().map(|v| view! { <option value=v.id.to_string()>{v.name.clone()}</option> }).collect_view()}
                                    </select>
                                    <button type="submit" class="link-button">{t(Key::DeleteView)}</button>
                                </ActionForm>
                            })}
                        }
                    })
                }}
            </Transition>
            <ActionForm action=save attr:class="inline" attr:data-testid="save-view-form">
                <input type="hidden" name="query" prop:value=move || query.get() />
                <input name="name" required maxlength="80" placeholder=move || i18n.t(Key::ViewName) aria-label=move || i18n.t(Key::ViewName) />
                <label class="check"><input type="checkbox" name="shared" value="1" />{t(Key::ShareWithTeam)}</label>
                <button type="submit">{t(Key::SaveView)}</button>
            </ActionForm>
            {field_error(move || save_err.get(), "name")}
            {move || save_err.get().filter(|e| !matches!(e, AppError::Validation(_))).map(|e| view! { <ErrorNotice error=e /> })}
            {move || saved().then(|| view! { <span class="notice ok" role="status">{t(Key::ViewSaved)}</span> })}
        </div>
    }
}

#[component]
fn CustomerTable(
    page: CustomerPage,
    filter: CustomerFilter,
    bulk: ServerAction<BulkCustomers>,
    /// The list's own staff resource: a resource created here would start again each time
    /// the surrounding `Transition` re-checks its children.
    staff: Resource<Result<Vec<StaffMember>, AppError>>,
) -> impl IntoView {
    let i18n = use_i18n();
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
    let page_ids: Vec<CustomerId> = page.items.iter().map(|c| c.id).collect();
    let selection = RwSignal::new(std::collections::BTreeSet::<CustomerId>::new());
    let all_selected = {
        let page_ids = page_ids.clone();
        move || !page_ids.is_empty() && selection.with(|s| page_ids.iter().all(|id| s.contains(id)))
    };
    let toggle_page = {
        let page_ids = page_ids.clone();
        move |ev: leptos::ev::Event| {
            let on = event_target_checked(&ev);
            selection.update(|s| {
                for id in &page_ids {
                    if on {
                        s.insert(*id);
                    } else {
                        s.remove(id);
                    }
                }
            });
        }
    };
    view! {
        <BulkBar selection=selection bulk=bulk staff=staff />
        <Show when=move || !empty fallback=|| view! { <p class="empty">{t(Key::NoCustomers)}</p> }>
            <div class="table-wrap" tabindex="0">
                <table class="data" data-testid="customer-table">
                    <thead>
                        <tr>
                            <th scope="col">
                                <input type="checkbox" data-testid="select-page" aria-label=move || i18n.t(Key::SelectPage) prop:checked=all_selected.clone() on:change=toggle_page.clone() />
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
                        {page.items.clone().into_iter().map(|c| {
                            let id = c.id;
                            view! {
                                <tr>
                                    <td>
                                        <input
                                            type="checkbox"
                                            data-testid="row-select"
                                            aria-label=move || i18n.t(Key::SelectRow)
                                            prop:checked=move || selection.with(|s| s.contains(&id))
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                selection.update(|s| { if on { s.insert(id); } else { s.remove(&id); } });
                                            }
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
                            }
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

/// The actions on the selected rows: tag, untag, assign an owner, export.
#[component]
fn BulkBar(
    selection: RwSignal<std::collections::BTreeSet<CustomerId>>,
    bulk: ServerAction<BulkCustomers>,
    staff: Resource<Result<Vec<StaffMember>, AppError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let ids_text = move || {
        selection.with(|s| {
            s.iter()
                .map(|id| id.to_string())
                .collect::<Vec<_>>()
                .join(",")
        })
    };
    let bulk_tag = RwSignal::new(String::new());
    let bulk_owner = RwSignal::new(String::new());
    let run = move |op: &'static str| {
        bulk.dispatch(BulkCustomers {
            input: BulkInput {
                ids: ids_text(),
                op: op.into(),
                tag: bulk_tag.get_untracked(),
                owner_id: bulk_owner.get_untracked(),
                service_manager_id: String::new(),
            },
        });
    };
    view! {
        <Show when=move || !selection.with(|s| s.is_empty())>
            <div class="bulk-bar" data-testid="bulk-bar">
                <strong>{move || selection.with(|s| s.len())}" "{t(Key::SelectedCount)}</strong>
                <input
                    data-testid="bulk-tag-input"
                    placeholder=move || i18n.t(Key::BulkTag)
                    aria-label=move || i18n.t(Key::BulkTag)
                    maxlength="40"
                    prop:value=move || bulk_tag.get()
                    on:input=move |ev| bulk_tag.set(event_target_value(&ev))
                />
                <button type="button" data-testid="bulk-tag-add" on:click=move |_| run("tag_add")>{t(Key::BulkAddTag)}</button>
                <button type="button" data-testid="bulk-tag-remove" on:click=move |_| run("tag_remove")>{t(Key::BulkRemoveTag)}</button>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let staff = staff.await.unwrap_or_default();
                        view! {
                            <select aria-label=move || i18n.t(Key::Owner) data-testid="bulk-owner" on:change=move |ev| bulk_owner.set(event_target_value(&ev))>
                                <option value="">{t(Key::Owner)}</option>
                                {staff.into_iter().map(|s| view! { <option value=s.id.to_string()>{s.name}</option> }).collect_view()}
                            </select>
                        }
                    })}
                </Transition>
                <button type="button" data-testid="bulk-assign" on:click=move |_| run("assign")>{t(Key::BulkAssign)}</button>
                <a class="button" data-testid="bulk-export" href=move || format!("/customers/export.csv?ids={}", ids_text()) rel="external">{t(Key::ExportSelected)}</a>
            </div>
        </Show>
        <p class="bulk-result" data-testid="bulk-result" role="status">
            {move || bulk.value().get().map(|r| match r {
                Ok(o) => format!("{} {} · {} {}", o.changed, i18n.t(Key::BulkChanged), o.refused, i18n.t(Key::BulkRefused)),
                Err(e) => i18n.t(e.message_key()).to_string(),
            })}
        </p>
    }
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
