use crate::dates::{now_seconds, parse_date};
use crate::error::AppError;
use crate::finance::credit::payment_status;
use crate::finance::model::payment_status_label;
use crate::format::{encode_component, format_cents};
use crate::i18n::{t, use_i18n, Key};
use crate::ids::CustomerId;
use crate::timeline::api::customer_timeline;
use crate::timeline::model::*;
use crate::ui::{format_local_time, ErrorNotice};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

/// The label of an audited customer field, where the app has one.
pub fn field_label(field: &str) -> Option<Key> {
    Some(match field {
        "name" => Key::Name,
        "kind" => Key::Kind,
        "email" => Key::Email,
        "phone" => Key::Phone,
        "external_id" => Key::ExternalId,
        "country" => Key::Country,
        "province" => Key::Province,
        "city" => Key::City,
        "address" => Key::Address,
        "industry" => Key::Industry,
        "company_size" => Key::CompanySize,
        "gender" => Key::Gender,
        "birth_year" => Key::BirthYear,
        "income_band" => Key::IncomeBand,
        "source_channel" => Key::SourceChannel,
        "source_campaign" => Key::SourceCampaign,
        "source_referrer" => Key::SourceReferrer,
        "level" => Key::Level,
        "grade" => Key::Grade,
        "owner_id" => Key::Owner,
        "service_manager_id" => Key::ServiceManager,
        "team_id" => Key::Team,
        "tags" => Key::Tags,
        "contacts" => Key::Contacts,
        "orders" => Key::Orders,
        "credit_override" => Key::CreditOverride,
        "payment_paid_date" => Key::PaidDate,
        _ => return None,
    })
}

fn action_label(action: &str) -> Option<Key> {
    Some(match action {
        "create" => Key::AuditCreated,
        "import" => Key::AuditImported,
        "merge" => Key::AuditMerged,
        "add_contact" => Key::AuditContactAdded,
        "remove_contact" => Key::AuditContactRemoved,
        "delete_order" => Key::AuditOrderDeleted,
        "tier_change" => Key::TierTimelineEntry,
        _ => return None,
    })
}

#[component]
fn EntryView(entry: TimelineEntry) -> impl IntoView {
    let i18n = use_i18n();
    let today = now_seconds().div_euclid(86_400);
    let kind = entry.kind;
    let body = match entry.body {
        TimelineBody::Activity { kind, summary, outcome, next_step } => view! {
            <p><strong>{t(kind.label())}</strong> " · " {summary}</p>
            {outcome.map(|o| view! { <p class="muted">{t(Key::Outcome)} ": " {o}</p> })}
            {next_step.map(|n| view! { <p class="muted">{t(Key::NextStep)} ": " {n}</p> })}
        }
        .into_any(),
        TimelineBody::Order { date, amount_cents, currency, product, category, channel } => view! {
            <p>
                <strong>{t(Key::Order)}</strong> " · " {format!("{currency} {}", format_cents(amount_cents))} " · " {date}
            </p>
            <p class="muted">{[product, category, channel].into_iter().flatten().collect::<Vec<_>>().join(" · ")}</p>
        }
        .into_any(),
        TimelineBody::Payment { due_date, paid_date, amount_cents, currency, contract } => {
            let status = payment_status(
                parse_date(&due_date).unwrap_or(today),
                paid_date.as_deref().and_then(parse_date),
                today,
            );
            view! {
                <p>
                    <strong>{t(Key::Payment)}</strong> " · " {format!("{currency} {}", format_cents(amount_cents))}
                    " · " <span class=format!("badge payment-{status:?}").to_lowercase()>{t(payment_status_label(status))}</span>
                </p>
                <p class="muted">
                    {t(Key::DueDate)} " " {due_date}
                    {paid_date.map(|p| view! { " · " {t(Key::PaidDate)} " " {p} })}
                    {contract.map(|c| view! { " · " {c} })}
                </p>
            }
            .into_any()
        }
        TimelineBody::Task { title, status, source, due_at, assignee } => view! {
            <p><strong>{t(Key::Task)}</strong> " · " {title} " · " <span class="badge">{t(status.label())}</span></p>
            <p class="muted">
                {t(Key::DueAt)} " " {format_local_time(due_at)} " · " {t(source.label())}
                {assignee.map(|a| view! { " · " {a} })}
            </p>
        }
        .into_any(),
        TimelineBody::Contract { before, after } => view! {
            <p><strong>{t(Key::Contract)}</strong></p>
            <p class="muted">{before.map(|b| view! { <del>{b}</del> " → " })}{after.unwrap_or_default()}</p>
        }
        .into_any(),
        TimelineBody::Tier { from_level, to_level, from_grade, to_grade, from_owner, to_owner } => {
            let grade = |g: &str| {
                crate::customers::model::Grade::parse(g)
                    .map(|g| i18n.t(g.label()).to_string())
                    .unwrap_or_else(|| g.to_string())
            };
            view! {
                <p><strong>{t(Key::TierTimelineEntry)}</strong></p>
                <p class="muted">
                    {t(Key::Level)} " " {from_level} " → " {to_level} " · "
                    {t(Key::Grade)} " " {grade(&from_grade)} " → " {grade(&to_grade)} " · "
                    {t(Key::Owner)} " " {from_owner.unwrap_or_else(|| "—".into())} " → " {to_owner.unwrap_or_else(|| "—".into())}
                </p>
            }
            .into_any()
        }
        TimelineBody::Note { body, handover } => view! {
            <p>
                <strong>{t(Key::NoteTimelineEntry)}</strong>
                {handover.then(|| view! { " · " <span class="badge">{t(Key::NoteFromHandover)}</span> })}
            </p>
            <p class="note-body">{body}</p>
        }
        .into_any(),
        TimelineBody::Lifecycle { from, to } => {
            let text = match from {
                Some(f) => i18n
                    .t(Key::LcTimelineChange)
                    .replace("{from}", i18n.t(f.label()))
                    .replace("{to}", i18n.t(to.label())),
                None => i18n.t(Key::LcTimelineStart).replace("{to}", i18n.t(to.label())),
            };
            view! {
                <p data-testid="timeline-lifecycle">
                    <strong>{text}</strong>
                    " " <span class=format!("stage-badge stage-{}", to.as_str())>{t(to.label())}</span>
                </p>
            }
            .into_any()
        }
        TimelineBody::Churn { event, score, reasons, cleared_reason } => {
            let cleared = cleared_reason
                .filter(|r| r == crate::churn::model::CLEARED_ORDERED)
                .map(|_| view! { " · " {t(Key::ChurnClearedOrdered)} });
            view! {
                <p>
                    <strong>{t(event.label())}</strong> " · " {t(Key::ChurnScore)} " " {score} " / 100"
                    {cleared}
                </p>
                <ul class="churn-reasons muted">
                    {reasons.into_iter().map(|r| view! {
                        <li>{move || r.describe(i18n.lang.get())}</li>
                    }).collect_view()}
                </ul>
            }
            .into_any()
        }
        TimelineBody::Feedback { form, nps } => view! {
            <p data-testid="timeline-feedback">
                <strong>{move || i18n.t(Key::TlFeedbackEntry).replace("{form}", &form)}</strong>
                {nps.map(|n| view! { " · NPS " {n} })}
            </p>
        }
        .into_any(),
        TimelineBody::Complaint { number, category, severity, status } => view! {
            <p data-testid="timeline-complaint">
                <A href=format!("/complaints/{number}")>
                    <strong>{move || i18n.t(Key::TlComplaintEntry).replace("{id}", &number.to_string())}</strong>
                </A>
                ": " {category} " · " {t(severity.label())} " · " {t(status.label())}
            </p>
        }
        .into_any(),
        TimelineBody::Change { action, field, before, after } => {
            let what = match (field.as_deref().and_then(field_label), action_label(&action)) {
                (Some(k), _) => i18n.t(k).to_string(),
                (None, Some(k)) => i18n.t(k).to_string(),
                (None, None) => field.clone().unwrap_or(action.clone()),
            };
            view! {
                <p><strong>{t(Key::TimelineChange)}</strong> " · " {what}</p>
                <p class="muted">
                    {before.map(|b| view! { <del>{b}</del> " → " })}
                    {after.unwrap_or_else(|| "—".into())}
                </p>
            }
            .into_any()
        }
    };
    view! {
        <li class=format!("timeline-entry kind-{}", kind.as_str()) data-testid="timeline-entry" data-kind=kind.as_str()>
            <div class="timeline-meta muted">
                <time>{format_local_time(entry.at)}</time>
                {entry.actor.map(|a| view! { " · " {a} })}
            </div>
            <div class="timeline-body">{body}</div>
        </li>
    }
}

/// The query parameters of the timeline on the customer page: the kind shown (empty:
/// all) and the cursor of the page shown (empty: the newest entries).
const KIND_PARAM: &str = "kind";
const BEFORE_PARAM: &str = "before";

/// The page of [`Timeline`] the address asks for, made by the customer page outside any
/// `Suspense` so it is fetched once (see `auth::pages::Protected`).
#[derive(Clone, Copy)]
pub struct TimelineData {
    page: Resource<Result<TimelinePage, AppError>>,
}

impl TimelineData {
    pub fn new(customer: Memo<Option<CustomerId>>) -> Self {
        let query = use_query_map();
        let page = Resource::new(
            move || {
                let q = query.read();
                let param = |name: &str| q.get(name).unwrap_or_default();
                (
                    customer.get(),
                    TimelineQuery {
                        kinds: param(KIND_PARAM),
                        before: param(BEFORE_PARAM),
                    },
                )
            },
            |(id, query)| async move {
                match id {
                    Some(id) => customer_timeline(id, query).await,
                    None => Err(AppError::NotFound),
                }
            },
        );
        TimelineData { page }
    }
}

/// The customer's timeline, a page at a time, with kind filters. The filter and the page
/// are in the address, so each is a plain request; links come back to the timeline.
#[component]
pub fn Timeline(customer: Memo<Option<CustomerId>>, data: TimelineData) -> impl IntoView {
    let query = use_query_map();
    let (kind, before) = query.with_untracked(|q| {
        (
            q.get(KIND_PARAM).unwrap_or_default(),
            q.get(BEFORE_PARAM).unwrap_or_default(),
        )
    });
    let path = customer
        .get_untracked()
        .map(|id| format!("/customers/{id}"))
        .unwrap_or_default();
    let page_url = {
        let (path, kind) = (path.clone(), kind.clone());
        move |cursor: &str| {
            let mut url = format!("{path}?{KIND_PARAM}={}", encode_component(&kind));
            if !cursor.is_empty() {
                url.push_str(&format!("&{BEFORE_PARAM}={}", encode_component(cursor)));
            }
            url + "#timeline"
        }
    };
    view! {
        <Suspense fallback=|| view! { <p class="loading">"…"</p> }>
            {move || {
                let (path, kind, before, page_url) = (path.clone(), kind.clone(), before.clone(), page_url.clone());
                Suspend::new(async move {
                    match data.page.await {
                        Ok(page) => {
                            let newest = (!before.is_empty()).then(|| page_url(""));
                            let older = page.next.as_deref().map(&page_url);
                            view! {
                                <section class="card timeline" id="timeline" data-testid="timeline">
                                    <h2>{t(Key::Timeline)}</h2>
                                    // Submit buttons rather than links, so the chosen kind shows as pressed.
                                    <form method="get" action=format!("{path}#timeline")><div class="chips" role="group" aria-label=t(Key::FilterByKind)>
                                        <button type="submit" class="chip" name=KIND_PARAM value="" aria-pressed=kind.is_empty().to_string()>{t(Key::All)}</button>
                                        {page.kinds.into_iter().map(|k| view! {
                                            <button type="submit" class="chip" name=KIND_PARAM value=k.as_str() data-testid=format!("timeline-filter-{}", k.as_str())
                                                aria-pressed=(kind == k.as_str()).to_string()>{t(k.label())}</button>
                                        }).collect_view()}
                                    </div></form>
                                    {page.entries.is_empty().then(|| view! { <p class="empty">{t(Key::NothingHere)}</p> })}
                                    <ol class="timeline-list">
                                        {page.entries.into_iter().map(|e| view! { <EntryView entry=e /> }).collect_view()}
                                    </ol>
                                    <div class="pager">
                                        {newest.map(|href| view! { <a href=href class="link-button">{t(Key::NewestEntries)}</a> })}
                                        {older.map(|href| view! { <a href=href class="button" data-testid="timeline-more">{t(Key::OlderEntries)}</a> })}
                                    </div>
                                </section>
                            }.into_any()
                        }
                        // The page heading already says the customer is missing or hidden.
                        Err(AppError::NotFound | AppError::Forbidden | AppError::Unauthorized) => ().into_any(),
                        Err(e) => view! { <section class="card timeline"><ErrorNotice error=e /></section> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}
