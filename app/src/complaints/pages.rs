//! The complaint pages: the list (`/complaints`, filters kept in the URL), the opening
//! form (`/complaints/new`, optionally for one customer) and one complaint with its
//! contact card, history and the form for its next step (`/complaints/:id`).

use crate::auth::pages::Protected;
use crate::complaints::api::*;
use crate::complaints::model::*;
use crate::error::AppError;
use crate::i18n::{t, use_i18n, Key};
use crate::ids::{CustomerId, UserId};
use crate::ui::islands::SubmitOnChange;
use crate::ui::{field_error, format_local_time, ErrorNotice};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

/// Categories offered while typing; any other text is accepted too.
const COMMON_CATEGORIES: [&str; 5] = ["service", "product", "delivery", "billing", "other"];

/// The `<datalist>` of [`COMMON_CATEGORIES`] under the given id.
fn category_suggestions(id: &'static str) -> impl IntoView {
    view! {
        <datalist id=id>
            {COMMON_CATEGORIES.map(|c| view! { <option value=c></option> }).collect_view()}
        </datalist>
    }
}

/// The status filter's choices: the list's own views, then each status.
fn status_choices() -> impl Iterator<Item = (&'static str, Key)> {
    [
        ("open", Key::CpFilterOpen),
        ("overdue", Key::Overdue),
        ("all", Key::All),
    ]
    .into_iter()
    .chain(Status::ALL.into_iter().map(|s| (s.as_str(), s.label())))
}

/// The filter named by the URL; an unknown status falls back to the open complaints.
fn filter_from_query(q: &leptos_router::params::ParamsMap) -> ComplaintFilter {
    let status = q
        .get("status")
        .filter(|s| status_choices().any(|(value, _)| value == s))
        .unwrap_or_else(|| "open".to_string());
    ComplaintFilter {
        status,
        mine: q.get("mine").is_some_and(|v| v == "1"),
        customer_id: q.get("customer").and_then(|v| v.parse().ok()),
        after: q.get("after").and_then(|v| v.parse().ok()),
    }
}

/// The list URL of a filter, defaults left out. Every value is a known word or a number,
/// so nothing needs encoding.
fn list_url(f: &ComplaintFilter) -> String {
    let mut query = Vec::new();
    if f.status != "open" {
        query.push(format!("status={}", f.status));
    }
    if f.mine {
        query.push("mine=1".to_string());
    }
    if let Some(c) = f.customer_id {
        query.push(format!("customer={c}"));
    }
    if let Some(a) = f.after {
        query.push(format!("after={a}"));
    }
    if query.is_empty() {
        "/complaints".to_string()
    } else {
        format!("/complaints?{}", query.join("&"))
    }
}

/// "Overdue" in words, so the state does not rest on colour alone.
fn overdue_badge() -> impl IntoView {
    view! { <span class="badge overdue" data-testid="complaint-overdue">{t(Key::Overdue)}</span> }
}

#[component]
pub fn ComplaintsPage() -> impl IntoView {
    view! { <Protected><ComplaintList /></Protected> }
}

#[component]
fn ComplaintList() -> impl IntoView {
    let filter = use_query_map().with_untracked(filter_from_query);
    let page = {
        let filter = filter.clone();
        Resource::new(move || filter.clone(), list_complaints)
    };
    let one_customer = filter.customer_id.map(|_| {
        list_url(&ComplaintFilter {
            customer_id: None,
            after: None,
            ..filter.clone()
        })
    });
    let (status, mine, customer) = (filter.status.clone(), filter.mine, filter.customer_id);
    view! {
        <section class="page complaints-page">
            <div class="page-head">
                <h1>{t(Key::CpComplaints)}</h1>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        page.await.is_ok_and(|p| p.may_create).then(|| view! {
                            <A href="/complaints/new" attr:class="button primary" attr:data-testid="complaint-new">{t(Key::CpNew)}</A>
                        })
                    })}
                </Suspense>
            </div>
            <p class="muted">{t(Key::CpListIntro)}</p>
            // A plain GET form: a changed choice shows its list at once, from the first page.
            <form method="get" action="/complaints" class="filters" data-testid="complaints-filters">
                <SubmitOnChange>
                    <label>
                        {t(Key::CpStatus)}
                        <select name="status" data-testid="complaints-status-filter">
                            {status_choices()
                                .map(|(value, label)| view! {
                                    <option value=value selected=status == value>{t(label)}</option>
                                })
                                .collect_view()}
                        </select>
                    </label>
                    <label class="check">
                        <input type="checkbox" name="mine" value="1" data-testid="complaints-mine" checked=mine />
                        {t(Key::CpMine)}
                    </label>
                </SubmitOnChange>
                {customer.map(|c| view! { <input type="hidden" name="customer" value=c.to_string() /> })}
                <button type="submit">{t(Key::CpShow)}</button>
            </form>
            {one_customer.map(|all_customers| view! {
                <p class="notice" role="status">
                    {t(Key::CpOneCustomer)} " " <A href=all_customers>{t(Key::CpAllCustomers)}</A>
                </p>
            })}
            <Suspense fallback=|| view! { <p class="loading">"…"</p> }>
                {move || {
                    let f = filter.clone();
                    Suspend::new(async move {
                        match page.await {
                            Ok(p) => {
                                let first_page = f.after.is_some().then(|| list_url(&ComplaintFilter { after: None, ..f.clone() }));
                                let next_page = p.next.map(|n| list_url(&ComplaintFilter { after: Some(n), ..f }));
                                view! {
                                    {if p.rows.is_empty() {
                                        view! { <p class="empty" data-testid="complaints-empty">{t(Key::CpEmpty)}</p> }.into_any()
                                    } else {
                                        view! { <ComplaintTable rows=p.rows /> }.into_any()
                                    }}
                                    <div class="pager">
                                        {first_page.map(|url| view! { <A href=url>{t(Key::CpFirstPage)}</A> })}
                                        {next_page.map(|url| view! {
                                            <a href=url class="button" data-testid="complaints-next-page">{t(Key::CpNextPage)}</a>
                                        })}
                                    </div>
                                }
                                .into_any()
                            }
                            Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

/// The customer's name, linked only when the viewer may open the customer page.
fn customer_name(card: Option<&ContactCard>) -> AnyView {
    match card {
        Some(c) if c.may_open_customer => {
            let (href, name) = (format!("/customers/{}", c.customer_id), c.name.clone());
            view! { <A href=href>{name}</A> }.into_any()
        }
        Some(c) => c.name.clone().into_any(),
        None => "—".into_any(),
    }
}

#[component]
fn ComplaintTable(rows: Vec<Complaint>) -> impl IntoView {
    view! {
        <div class="table-wrap" tabindex="0">
            <table class="data complaints-table" data-testid="complaints-table">
                <thead>
                    <tr>
                        <th scope="col">{t(Key::CpNumber)}</th>
                        <th scope="col">{t(Key::CpCustomer)}</th>
                        <th scope="col">{t(Key::CpCategory)}</th>
                        <th scope="col">{t(Key::CpSeverity)}</th>
                        <th scope="col">{t(Key::CpStatus)}</th>
                        <th scope="col">{t(Key::Assignee)}</th>
                        <th scope="col">{t(Key::CpDeadline)}</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|c| view! {
                            <tr class=if c.overdue { "overdue" } else { "" } data-testid="complaint-row" data-status=c.status.as_str()>
                                <td>
                                    <A href=format!("/complaints/{}", c.id) attr:data-testid="complaint-link">"#" {c.id}</A>
                                </td>
                                <td>{customer_name(c.customer.as_ref())}</td>
                                <td>{c.category}</td>
                                <td class=format!("severity-{}", c.severity.as_str())>{t(c.severity.label())}</td>
                                <td data-testid="complaint-status">{t(c.status.label())}</td>
                                <td>{c.assignee_name.unwrap_or_else(|| "—".to_string())}</td>
                                <td>
                                    {format_local_time(c.deadline_at)}
                                    {c.overdue.then(|| view! { " " {overdue_badge()} })}
                                </td>
                            </tr>
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// The assignee choices: `empty` names what the empty choice means (me, or unchanged).
fn assignee_select(
    name: &'static str,
    testid: &'static str,
    empty: Key,
    staff: Vec<(UserId, String)>,
) -> impl IntoView {
    view! {
        <label>
            {t(Key::Assignee)}
            <select name=name data-testid=testid>
                <option value="">{t(empty)}</option>
                {staff
                    .into_iter()
                    .map(|(id, name)| view! { <option value=id.to_string()>{name}</option> })
                    .collect_view()}
            </select>
        </label>
    }
}

#[component]
pub fn ComplaintNewPage() -> impl IntoView {
    view! { <Protected><ComplaintNew /></Protected> }
}

#[component]
fn ComplaintNew() -> impl IntoView {
    // A customer page links here with `?customer=ID`.
    let customer = use_query_map()
        .with_untracked(|q| q.get("customer").and_then(|v| v.parse::<CustomerId>().ok()));
    let assignees = Resource::new(|| (), |_| complaint_assignees());
    // Once saved, the server shows the new complaint.
    let open = ServerAction::<OpenComplaint>::new();
    let error = Signal::derive(move || open.value().get().and_then(|r| r.err()));
    view! {
        <section class="page complaint-new-page">
            <div class="page-head"><h1>{t(Key::CpNew)}</h1></div>
            <p class="muted">{t(Key::CpNewIntro)}</p>
            {move || error.get().filter(|e| !matches!(e, AppError::Validation(_))).map(|e| view! { <ErrorNotice error=e /> })}
            <ActionForm action=open attr:class="card complaint-form" attr:data-testid="complaint-form">
                <label>
                    {t(Key::CpCustomerId)}
                    <input
                        type="text"
                        inputmode="numeric"
                        name="input[customer_id]"
                        data-testid="complaint-customer"
                        value=customer.map(|c| c.to_string()).unwrap_or_default()
                        readonly=customer.is_some()
                    />
                    {field_error(move || error.get(), "customer_id")}
                </label>
                <label>
                    {t(Key::CpCategory)}
                    <input
                        type="text"
                        name="input[category]"
                        list="complaint-categories"
                        required=true
                        maxlength=MAX_CATEGORY_CHARS
                        data-testid="complaint-category"
                    />
                    {category_suggestions("complaint-categories")}
                    {field_error(move || error.get(), "category")}
                </label>
                <label>
                    {t(Key::CpSeverity)}
                    <select name="input[severity]" data-testid="complaint-severity">
                        {Severity::ALL
                            .map(|s| view! { <option value=s.as_str() selected=s == Severity::Medium>{t(s.label())}</option> })
                            .collect_view()}
                    </select>
                    {field_error(move || error.get(), "severity")}
                </label>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let staff = assignees.await.unwrap_or_default();
                        assignee_select("input[assignee_id]", "complaint-assignee", Key::CpAssigneeMe, staff)
                    })}
                </Suspense>
                {field_error(move || error.get(), "assignee_id")}
                <label class="wide">
                    {t(Key::CpDescription)}
                    <textarea
                        name="input[description]"
                        rows=5
                        required=true
                        maxlength=MAX_DESCRIPTION_CHARS
                        data-testid="complaint-description"
                    ></textarea>
                    {field_error(move || error.get(), "description")}
                </label>
                <div class="wide">
                    <button type="submit" class="primary" data-testid="complaint-submit">
                        {t(Key::CpOpen)}
                    </button>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn ComplaintDetailPage() -> impl IntoView {
    view! { <Protected><ComplaintDetailView /></Protected> }
}

#[component]
fn ComplaintDetailView() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").and_then(|s| s.parse::<i64>().ok()));
    // The page is rendered again after every step taken, also a refused one (a conflict
    // means what was shown is stale), so the complaint is read fresh each time.
    let detail = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => load_complaint(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let assignees = Resource::new(|| (), |_| complaint_assignees());
    view! {
        <section class="page complaint-page">
            <Suspense fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(d) => {
                            let staff = if d.complaint.may_change {
                                assignees.await.unwrap_or_default()
                            } else {
                                Vec::new()
                            };
                            view! { <ComplaintView detail=d staff=staff /> }.into_any()
                        }
                        Err(e) => view! { <h1>{t(e.message_key())}</h1> <ErrorNotice error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn ComplaintView(detail: ComplaintDetail, staff: Vec<(UserId, String)>) -> impl IntoView {
    let i18n = use_i18n();
    let ComplaintDetail {
        complaint: c,
        events,
        answers,
    } = detail;
    let number = c.id;
    view! {
        <div class="page-head">
            <h1>{move || i18n.t(Key::CpDetailTitle).replace("{id}", &number.to_string())}</h1>
        </div>
        <dl class="fields card complaint-facts">
            <div class="field"><dt>{t(Key::CpStatus)}</dt><dd data-testid="complaint-status">{t(c.status.label())}</dd></div>
            <div class="field"><dt>{t(Key::CpSeverity)}</dt><dd>{t(c.severity.label())}</dd></div>
            <div class="field"><dt>{t(Key::CpCategory)}</dt><dd>{c.category.clone()}</dd></div>
            <div class="field"><dt>{t(Key::CpSource)}</dt><dd>{t(c.source.label())}</dd></div>
            <div class="field"><dt>{t(Key::Assignee)}</dt><dd>{c.assignee_name.clone().unwrap_or_else(|| "—".to_string())}</dd></div>
            <div class="field"><dt>{t(Key::CpReceivedAt)}</dt><dd>{format_local_time(c.created_at)}</dd></div>
            <div class="field">
                <dt>{t(Key::CpDeadline)}</dt>
                <dd class:overdue=c.overdue>
                    {format_local_time(c.deadline_at)}
                    {c.overdue.then(|| view! { " " {overdue_badge()} })}
                </dd>
            </div>
            {c.resolved_at.map(|at| view! {
                <div class="field"><dt>{t(Key::CpResolvedAt)}</dt><dd>{format_local_time(at)}</dd></div>
            })}
        </dl>
        <div class="complaint-columns">
            <div class="main-column">
                <section class="card">
                    <h2>{t(Key::CpDescription)}</h2>
                    <p class="complaint-text">{c.description.clone()}</p>
                </section>
                {c.resolution_note.clone().map(|note| view! {
                    <section class="card" data-testid="complaint-resolution">
                        <h2>{t(Key::CpResolution)}</h2>
                        <p class="complaint-text">{note}</p>
                    </section>
                })}
                {(!answers.is_empty()).then(|| view! {
                    <section class="card">
                        <h2>{t(Key::CpAnswers)}</h2>
                        <dl class="complaint-answers" data-testid="complaint-answers">
                            {answers.into_iter().map(|(question, answer)| view! {
                                <dt>{question}</dt>
                                <dd>{answer}</dd>
                            }).collect_view()}
                        </dl>
                    </section>
                })}
                {c.may_change.then(|| view! { <StepForm id=c.id status=c.status staff=staff /> })}
                <HistoryList events=events />
            </div>
            <div class="side-column">
                <ContactCardView card=c.customer />
            </div>
        </div>
    }
}

/// Where the customer can be reached, with a link to the customer page when it is open
/// to the viewer.
#[component]
fn ContactCardView(card: Option<ContactCard>) -> impl IntoView {
    let body = match card {
        Some(c) => view! {
            <dl class="fields">
                <div class="field"><dt>{t(Key::CpCustomer)}</dt><dd>{customer_name(Some(&c))}</dd></div>
                {c.contact_name.map(|n| view! { <div class="field"><dt>{t(Key::CpContactPerson)}</dt><dd>{n}</dd></div> })}
                {c.email.map(|e| view! {
                    <div class="field"><dt>{t(Key::Email)}</dt><dd><a href=format!("mailto:{e}")>{e.clone()}</a></dd></div>
                })}
                {c.phone.map(|p| view! {
                    <div class="field"><dt>{t(Key::Phone)}</dt><dd><a href=format!("tel:{p}")>{p.clone()}</a></dd></div>
                })}
            </dl>
        }
        .into_any(),
        None => view! { <p class="muted">{t(Key::CpNoCustomer)}</p> }.into_any(),
    };
    view! {
        <section class="card" data-testid="complaint-contact">
            <h2>{t(Key::CpContact)}</h2>
            {body}
        </section>
    }
}

#[component]
fn HistoryList(events: Vec<ComplaintEvent>) -> impl IntoView {
    view! {
        <section class="card">
            <h2>{t(Key::CpHistory)}</h2>
            <ol class="complaint-history" data-testid="complaint-history">
                {events
                    .into_iter()
                    .map(|e| view! {
                        <li data-status=e.to.as_str()>
                            <div class="muted">
                                <time>{format_local_time(e.at)}</time>
                                " · "
                                {match e.actor {
                                    Some(name) => name.into_any(),
                                    None => t(Key::CpSystem).into_any(),
                                }}
                            </div>
                            <div>
                                {e.from.map(|from| view! { {t(from.label())} " → " })}
                                <strong>{t(e.to.label())}</strong>
                            </div>
                            {e.note.map(|note| view! { <p class="complaint-text">{note}</p> })}
                        </li>
                    })
                    .collect_view()}
            </ol>
        </section>
    }
}

/// One choice per allowed next status, a note (required to resolve) and the fields that
/// may be changed on the way; empty fields keep their value.
#[component]
fn StepForm(id: i64, status: Status, staff: Vec<(UserId, String)>) -> impl IntoView {
    let action = ServerAction::<ChangeComplaintStatus>::new();
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let saved = use_query_map().with_untracked(|q| q.get(STEP_SAVED_PARAM).is_some());
    let notice = move || {
        match error.get() {
        None if saved => Some(view! { <p class="notice ok" role="status">{t(Key::CpStepSaved)}</p> }.into_any()),
        Some(AppError::Conflict(_)) => Some(
            view! { <p class="notice error" role="alert" data-testid="complaint-conflict">{t(Key::CpErrChangedMeanwhile)}</p> }
                .into_any(),
        ),
        Some(AppError::Validation(_)) | None => None,
        Some(e) => Some(view! { <ErrorNotice error=e /> }.into_any()),
    }
    };
    view! {
        <section class="card complaint-step">
            <h2>{t(Key::CpNextStep)}</h2>
            {notice}
            <ActionForm action=action attr:class="complaint-form" attr:data-testid="complaint-change-form">
                <input type="hidden" name="id" value=id.to_string() />
                <fieldset class="wide complaint-steps">
                    <legend>{t(Key::CpStatus)}</legend>
                    {status
                        .next()
                        .iter()
                        .map(|s| view! {
                            <label class="check">
                                <input type="radio" name="input[to]" value=s.as_str() required=true
                                    data-testid=format!("complaint-step-{}", s.as_str()) />
                                {t(s.label())}
                            </label>
                        })
                        .collect_view()}
                    {field_error(move || error.get(), "to")}
                </fieldset>
                <label class="wide">
                    {t(Key::CpNote)}
                    <textarea name="input[note]" rows=3 maxlength=MAX_NOTE_CHARS data-testid="complaint-note"
                        aria-describedby="complaint-note-hint"></textarea>
                    <span class="muted" id="complaint-note-hint">{t(Key::CpNoteHint)}</span>
                    {field_error(move || error.get(), "note")}
                </label>
                <p class="muted wide">{t(Key::CpKeepHint)}</p>
                <label>
                    {t(Key::CpCategory)}
                    <input type="text" name="input[category]" list="complaint-step-categories" maxlength=MAX_CATEGORY_CHARS
                        data-testid="complaint-change-category" />
                    {category_suggestions("complaint-step-categories")}
                    {field_error(move || error.get(), "category")}
                </label>
                <label>
                    {t(Key::CpSeverity)}
                    <select name="input[severity]" data-testid="complaint-change-severity">
                        <option value="">{t(Key::CpUnchanged)}</option>
                        {Severity::ALL.map(|s| view! { <option value=s.as_str()>{t(s.label())}</option> }).collect_view()}
                    </select>
                    {field_error(move || error.get(), "severity")}
                </label>
                {assignee_select("input[assignee_id]", "complaint-change-assignee", Key::CpUnchanged, staff)}
                {field_error(move || error.get(), "assignee_id")}
                <div class="wide">
                    <button type="submit" class="primary" data-testid="complaint-change-submit">
                        {t(Key::CpSaveStep)}
                    </button>
                </div>
            </ActionForm>
        </section>
    }
}
