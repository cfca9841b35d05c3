//! The tier-change queue (`/tiers`), the workload page (`/workload`) and the notes thread
//! shown on the customer page.

use crate::auth::pages::{signed_in_user, Protected};
use crate::auth::Role;
use crate::customers::model::level_short_label;
use crate::dates::now_seconds;
use crate::error::AppError;
use crate::i18n::{t, use_i18n, Key};
use crate::tiers::api::*;
use crate::tiers::model::*;
use crate::ui::{field_error, format_local_time, number_setting, ErrorNotice};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

/// "Level 2 → 1, grade key → VIP" as a compact view.
fn change_view(
    from_level: i64,
    to_level: i64,
    from: crate::customers::model::Grade,
    to: crate::customers::model::Grade,
) -> impl IntoView {
    view! {
        <span class="tier-change">
            {t(level_short_label(from_level))} " → " {t(level_short_label(to_level))}
            " · " {t(from.label())} " → " {t(to.label())}
        </span>
    }
}

fn figures_view(value: i64, figures: Vec<(String, String)>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="tier-figures">
            <strong data-testid="tier-value">{value}</strong>
            <ul class="figures">
                {figures
                    .into_iter()
                    .map(|(k, v)| {
                        let label = figure_label(&k).map(|key| i18n.t(key).to_string()).unwrap_or(k);
                        view! { <li>{label} ": " {v}</li> }
                    })
                    .collect_view()}
            </ul>
        </div>
    }
}

#[component]
pub fn TiersPage() -> impl IntoView {
    view! { <Protected><TiersView /></Protected> }
}

#[component]
fn TiersView() -> impl IntoView {
    let user = signed_in_user();
    let is_admin = move || user.with(|u| u.as_ref().is_some_and(|u| u.role == Role::Admin));
    let (direction, ran, settings_saved) = {
        let params = use_query_map();
        let q = params.read_untracked();
        (
            q.get("direction").unwrap_or_default(),
            q.get("ran").is_some(),
            q.get("settings_saved").is_some(),
        )
    };
    let run = ServerAction::<ReevaluateTiers>::new();
    let settings = ServerAction::<SaveTierSettings>::new();
    let queue = Resource::new(|| (), {
        let direction = direction.clone();
        move |_| load_tier_queue(direction.clone())
    });
    let settings_result = Signal::derive(move || settings.value().get().and_then(|r| r.err()));
    view! {
        <section class="page tiers-page">
            <div class="page-head">
                <h1>{t(Key::TierQueueTitle)}</h1>
                // The role comes from a resource: read inside a boundary, so the server waits for it.
                <Suspense fallback=|| ()>
                    <Show when=is_admin>
                        <ActionForm action=run attr:class="inline">
                            <button type="submit" class="button" data-testid="tier-reevaluate">
                                {t(Key::TierReevaluateNow)}
                            </button>
                        </ActionForm>
                    </Show>
                </Suspense>
            </div>
            <p class="muted">{t(Key::TierQueueIntro)}</p>
            {move || run.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNotice error=e /> })}
            <form method="get" action="/tiers"><div class="chips" role="group" aria-label=move || use_i18n().t(Key::TierDirection)>
                <button type="submit" name="direction" value="" class="chip" aria-pressed=direction.is_empty().to_string()>
                    {t(Key::TierAllDirections)}
                </button>
                {[Direction::Promotion, Direction::Demotion].into_iter().map(|d| view! {
                    <button type="submit" name="direction" value=d.as_str() class="chip" data-testid=format!("tier-filter-{}", d.as_str())
                        aria-pressed=(direction == d.as_str()).to_string()>{t(d.label())}</button>
                }).collect_view()}
            </div></form>
            <Suspense fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    match queue.await {
                        Ok(q) => {
                            let shown = q.pending.len();
                            let total = q.total_pending;
                            let owners = q.owners;
                            // Open after a save, to say so, and after a refusal, to say why.
                            let settings_open = settings_saved || settings_result.get_untracked().is_some();
                            view! {
                                {ran.then_some(q.last_run).flatten().map(|r| view! {
                                    <p class="notice" role="status" data-testid="tier-run-result">
                                        {t(Key::TierReevaluated)} ": " {r.counts.evaluated} " " {t(Key::TierCountEvaluated)} " · "
                                        {r.counts.promotions} " " {t(Key::TierCountPromotions)} " · " {r.counts.demotions} " " {t(Key::TierCountDemotions)} " · "
                                        {r.counts.superseded} " " {t(Key::TierCountSuperseded)}
                                    </p>
                                })}
                                {q.config.map(|cfg| view! {
                                    <SettingsForm cfg=cfg last_run=q.last_run action=settings result=settings_result open=settings_open saved=settings_saved />
                                })}
                                <section class="card" data-testid="tier-pending">
                                    <h2>{t(Key::TierPending)} " " <span class="count">{total}</span></h2>
                                    {((shown as i64) < total).then(|| view! { <p class="muted">{shown} " " {t(Key::TierPendingShown)} " " {total}</p> })}
                                    {if q.pending.is_empty() {
                                        view! { <p class="empty">{t(Key::NothingHere)}</p> }.into_any()
                                    } else {
                                        view! {
                                            <ul class="proposal-list">
                                                {q.pending.into_iter().map(|p| view! { <ProposalRow p=p owners=owners.clone() /> }).collect_view()}
                                            </ul>
                                        }.into_any()
                                    }}
                                </section>
                                <section class="card" data-testid="tier-history">
                                    <h2>{t(Key::TierHistory)}</h2>
                                    {if q.history.is_empty() {
                                        view! { <p class="empty">{t(Key::NothingHere)}</p> }.into_any()
                                    } else {
                                        view! { <HistoryTable rows=q.history /> }.into_any()
                                    }}
                                </section>
                            }.into_any()
                        }
                        Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn SettingsForm(
    cfg: TierConfig,
    last_run: Option<LastRun>,
    action: ServerAction<SaveTierSettings>,
    result: Signal<Option<AppError>>,
    /// Shown open rather than folded.
    open: bool,
    /// The settings were just saved.
    saved: bool,
) -> impl IntoView {
    let input = cfg.to_input();
    let field = move |name: &'static str, label: Key, value: String, min: i64, max: i64| {
        let (form_name, testid) = (format!("input[{name}]"), format!("tier-setting-{name}"));
        number_setting(form_name, name, label, value, (min, max), result, testid)
    };
    view! {
        <details class="card tier-settings" data-testid="tier-settings" open=open>
            <summary>{t(Key::TierSettings)}</summary>
            <p class="muted">
                {t(Key::TierLastRun)} ": "
                {match last_run {
                    Some(r) => format!(
                        "{} · {} / +{} / −{} / {}",
                        format_local_time(r.at), r.counts.evaluated, r.counts.promotions, r.counts.demotions, r.counts.superseded
                    ),
                    None => use_i18n().t(Key::TierNeverRun).to_string(),
                }}
            </p>
            <ActionForm action=action attr:class="form-grid">
                {field("promote_at", Key::TierPromoteAt, input.promote_at, 0, 100)}
                {field("demote_below", Key::TierDemoteBelow, input.demote_below, 0, 100)}
                {field("vip_at", Key::TierVipAt, input.vip_at, 0, 100)}
                {field("key_at", Key::TierKeyAt, input.key_at, 0, 100)}
                {field("schedule_days", Key::TierScheduleDays, input.schedule_days, 1, 365)}
                {field("hour_utc", Key::TierHourUtc, input.hour_utc, 0, 23)}
                <label class="check">
                    <input type="checkbox" name="input[enabled]" checked=cfg.enabled />
                    {t(Key::TierEnabled)}
                </label>
                <button type="submit" data-testid="tier-settings-save">{t(Key::TierSaveSettings)}</button>
                {saved.then(|| view! { <p class="notice" role="status">{t(Key::TierSettingsSaved)}</p> })}
            </ActionForm>
        </details>
    }
}

#[component]
fn ProposalRow(p: ProposalView, owners: Vec<OwnerOption>) -> impl IntoView {
    let approve = ServerAction::<ApproveTierChange>::new();
    let reject = ServerAction::<RejectTierChange>::new();
    let approve_err = Signal::derive(move || approve.value().get().and_then(|r| r.err()));
    let reject_err = Signal::derive(move || reject.value().get().and_then(|r| r.err()));
    let age_days = (now_seconds() - p.created_at).max(0) / 86_400;
    let fitting: Vec<OwnerOption> = owners
        .into_iter()
        .filter(|o| owner_fits(o, p.to_level, p.customer_team_id))
        .collect();
    let keep_default = p.owner_role == Role::Tier2Manager;
    let current_owner = p.owner_id;
    let id = p.id.to_string();
    let id2 = id.clone();
    let page_error = move |e: Option<crate::error::AppError>| {
        e.filter(|e| !matches!(e, crate::error::AppError::Validation(_)))
            .map(|e| view! { <ErrorNotice error=e /> })
    };
    view! {
        <li class=format!("proposal card direction-{}", p.direction.as_str()) data-testid="tier-proposal" data-proposal=p.id>
            <div class="proposal-head">
                <A href=format!("/customers/{}", p.customer_id)><strong>{p.customer_name.clone()}</strong></A>
                " " <span class=format!("badge {}", p.direction.as_str())>{t(p.direction.label())}</span>
                " " {change_view(p.from_level, p.to_level, p.from_grade, p.to_grade)}
                <span class="muted">" · " {t(Key::TierCurrentOwner)} ": " {p.owner_name.clone()}
                    " · " {t(Key::TierAge)} ": " {age_days} " " {t(Key::TierDays)}</span>
            </div>
            <div class="proposal-figures">
                <span class="muted">{t(Key::TierValueScore)} " / " {t(Key::TierFigures)}</span>
                {figures_view(p.value_score, p.figures.clone())}
            </div>
            {move || page_error(approve_err.get())}
            {move || page_error(reject_err.get())}
            <div class="proposal-forms">
                <ActionForm action=approve attr:class="approve-form">
                    <input type="hidden" name="input[proposal]" value=id2 />
                    <label>
                        {t(Key::TierNewOwner)}
                        <select name="input[new_owner]" required=true data-testid="tier-new-owner">
                            <option value="">"—"</option>
                            {fitting.into_iter().map(|o| view! {
                                <option value=o.id.to_string() selected=o.id == current_owner>{o.name}</option>
                            }).collect_view()}
                        </select>
                        {field_error(move || approve_err.get(), "new_owner")}
                        {field_error(move || approve_err.get(), "proposal")}
                    </label>
                    <label class="check">
                        <input type="checkbox" name="input[keep_previous]" checked=keep_default />
                        {t(Key::TierKeepPrevious)}
                        {field_error(move || approve_err.get(), "keep_previous")}
                    </label>
                    <label>
                        {t(Key::TierComment)}
                        <input type="text" name="input[comment]" maxlength=TEXT_MAX />
                        {field_error(move || approve_err.get(), "comment")}
                    </label>
                    <label>
                        {t(Key::TierFirstNote)}
                        <textarea name="input[note]" rows=2 maxlength=TEXT_MAX></textarea>
                        {field_error(move || approve_err.get(), "note")}
                    </label>
                    <button type="submit" data-testid="tier-approve">{t(Key::TierApprove)}</button>
                </ActionForm>
                <ActionForm action=reject attr:class="reject-form">
                    <input type="hidden" name="proposal" value=id />
                    <label>
                        {t(Key::TierComment)}
                        <input type="text" name="comment" required=true maxlength=TEXT_MAX />
                        {field_error(move || reject_err.get(), "comment")}
                    </label>
                    <button type="submit" class="danger" data-testid="tier-reject">{t(Key::TierReject)}</button>
                </ActionForm>
            </div>
        </li>
    }
}

#[component]
fn HistoryTable(rows: Vec<ProposalView>) -> impl IntoView {
    view! {
        <table class="data">
            <thead>
                <tr>
                    <th>{t(Key::TierCustomer)}</th>
                    <th>{t(Key::TierChange)}</th>
                    <th>{t(Key::TierStatus)}</th>
                    <th>{t(Key::TierDecidedBy)}</th>
                    <th>{t(Key::TierDecidedAt)}</th>
                    <th>{t(Key::TierNewOwner)}</th>
                    <th>{t(Key::TierComment)}</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|p| view! {
                    <tr data-testid="tier-history-row">
                        <td><A href=format!("/customers/{}", p.customer_id)>{p.customer_name}</A></td>
                        <td>{t(p.direction.label())} " · " {change_view(p.from_level, p.to_level, p.from_grade, p.to_grade)}</td>
                        <td>{t(p.status.label())}</td>
                        <td>{p.decided_by.unwrap_or_default()}</td>
                        <td>{p.decided_at.map(format_local_time).unwrap_or_default()}</td>
                        <td>
                            {p.previous_owner.map(|o| view! { {o} " → " })}
                            {p.new_owner.unwrap_or_default()}
                            {p.kept_as_service_manager.then(|| view! { " " <span class="muted">"(" {t(Key::TierKeepPrevious)} ")"</span> })}
                        </td>
                        <td>{p.comment.unwrap_or_default()}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

fn overdue_class(n: i64) -> &'static str {
    if n > 0 {
        "alert"
    } else {
        ""
    }
}

#[component]
pub fn WorkloadPage() -> impl IntoView {
    view! { <Protected><WorkloadView /></Protected> }
}

#[component]
fn WorkloadView() -> impl IntoView {
    let rows = Resource::new(|| (), |_| load_workload());
    let sort = WorkloadSort::parse(
        &use_query_map()
            .read_untracked()
            .get("sort")
            .unwrap_or_default(),
    );
    // Each sortable heading is a button of the GET form around the table (`?sort=`).
    let header = move |col: WorkloadSort, label: Key| {
        view! {
            <th aria-sort=if sort == col { "descending" } else { "none" }>
                <button type="submit" name="sort" value=col.as_str() class="link-button" title=move || use_i18n().t(Key::WorkloadSortBy)>
                    {t(label)}
                </button>
            </th>
        }
    };
    view! {
        <section class="page workload-page">
            <div class="page-head"><h1>{t(Key::WorkloadTitle)}</h1></div>
            <p class="muted">{t(Key::WorkloadIntro)}</p>
            <Suspense fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    match rows.await {
                        Ok(mut list) => {
                            sort.apply(&mut list);
                            view! {
                                <form method="get" action="/workload">
                                    <table class="data" data-testid="workload-table">
                                        <thead>
                                            <tr>
                                                {header(WorkloadSort::Name, Key::WorkloadManager)}
                                                <th>{t(Key::Team)}</th>
                                                {header(WorkloadSort::Level1, Key::WorkloadLevel1)}
                                                {header(WorkloadSort::Level2, Key::WorkloadLevel2)}
                                                {header(WorkloadSort::Vip, Key::GradeVip)}
                                                {header(WorkloadSort::Key, Key::GradeKey)}
                                                {header(WorkloadSort::General, Key::GradeGeneral)}
                                                {header(WorkloadSort::OpenTasks, Key::WorkloadOpenTasks)}
                                                {header(WorkloadSort::Overdue, Key::WorkloadOverdue)}
                                                {header(WorkloadSort::Activities, Key::WorkloadActivities30)}
                                                {header(WorkloadSort::Pending, Key::WorkloadPending)}
                                                <th class="num">{t(Key::WorkloadNps)}</th>
                                                <th class="num">{t(Key::WorkloadCsat)}</th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {list.into_iter().map(|r| view! {
                                                <tr data-testid="workload-row" data-user=r.user_id.0>
                                                    <td>{r.name} {r.role.map(|role| view! { " " <span class="role-badge">{t(role.label())}</span> })}</td>
                                                    <td>{r.team.unwrap_or_default()}</td>
                                                    <td>{r.level1}</td>
                                                    <td>{r.level2}</td>
                                                    <td>{r.vip}</td>
                                                    <td>{r.key}</td>
                                                    <td>{r.general}</td>
                                                    <td>{r.open_tasks}</td>
                                                    <td class=overdue_class(r.overdue_tasks)>{r.overdue_tasks}</td>
                                                    <td>{r.activities_30d}</td>
                                                    <td>{r.pending_proposals}</td>
                                                    <td class="num" data-testid="workload-nps" title=format!("n = {}", r.feedback_responses)>
                                                        {r.nps.map(|n| n.to_string()).unwrap_or_else(|| "—".into())}
                                                    </td>
                                                    <td class="num" data-testid="workload-csat">
                                                        {r.csat.map(|n| format!("{n}%")).unwrap_or_else(|| "—".into())}
                                                    </td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </form>
                            }.into_any()
                        }
                        Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
