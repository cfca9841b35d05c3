//! The at-risk list (`/at-risk`) with the settings form for admins, and the churn warning
//! card on the customer page.

use crate::auth::pages::Protected;
use crate::churn::api::*;
use crate::churn::model::*;
use crate::dates::iso_date;
use crate::error::AppError;
use crate::format::{encode_component, format_cents};
use crate::i18n::{t, use_i18n, Key};
use crate::ui::{format_local_time, number_setting, ErrorNotice};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

/// The reasons of a warning, each in words and figures, in the current language.
fn reasons_view(reasons: Vec<ChurnReason>, limit: usize) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ul class="churn-reasons">
            {reasons
                .into_iter()
                .take(limit)
                .map(|r| {
                    let kind = match &r {
                        ChurnReason::Lapsed { .. } => "lapsed",
                        ChurnReason::FewerActivities { .. } => "activities",
                        ChurnReason::OverduePayments { .. } => "overdue",
                        ChurnReason::LowFeedback { .. } => "feedback",
                    };
                    let title = r.title();
                    view! {
                        <li class=format!("churn-reason reason-{kind}") data-testid="churn-reason" data-reason=kind>
                            <strong>{t(title)}</strong> ": "
                            <span>{move || r.describe(i18n.lang.get())}</span>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}

/// A score as a bar with the number beside it (readable without the colour).
fn score_view(score: i64) -> impl IntoView {
    let width = score.clamp(0, 100);
    view! {
        <span class="churn-score" data-testid="churn-score">
            <svg class="churn-score-bar" viewBox="0 0 100 8" width="80" height="8" aria-hidden="true">
                <rect x="0" y="0" width="100" height="8" class="track" />
                <rect x="0" y="0" width=width height="8" class="fill" />
            </svg>
            <strong>{score}</strong> " / 100"
        </span>
    }
}

#[component]
pub fn AtRiskPage() -> impl IntoView {
    view! { <Protected><AtRiskView /></Protected> }
}

/// The at-risk page's query parameter: the cursor of the page shown (empty: the first).
const AFTER_PARAM: &str = "after";

#[component]
fn AtRiskView() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let (after, ran, saved) = query.with_untracked(|q| {
        (
            q.get(AFTER_PARAM).unwrap_or_default(),
            q.get(RUN_PARAM),
            q.get(SAVED_PARAM).is_some(),
        )
    });
    let run = ServerAction::<RunChurnScanNow>::new();
    let settings = ServerAction::<SaveChurnSettings>::new();
    let on_first = after.is_empty();
    let page = Resource::new(move || after.clone(), load_at_risk);
    let settings_result = Signal::derive(move || settings.value().get().and_then(|r| r.err()));
    let run_error = run.value().get_untracked().and_then(|r| r.err());
    // What an earlier run did is old news once a later one was refused.
    let ran = ran.filter(|_| run_error.is_none());
    view! {
        <section class="page at-risk-page">
            <div class="page-head"><h1>{t(Key::ChurnAtRiskTitle)}</h1></div>
            <p class="muted">{t(Key::ChurnAtRiskIntro)}</p>
            {match ran.as_deref() {
                Some(RUN_STARTED) => Some(view! { <p class="notice" role="status" data-testid="churn-run-started">{t(Key::ChurnRunStarted)}</p> }.into_any()),
                Some(RUN_BUSY) => Some(view! { <p class="notice" role="status" data-testid="churn-run-busy">{t(Key::ChurnRunBusy)}</p> }.into_any()),
                _ => None,
            }}
            {run_error.map(|e| view! { <ErrorNotice error=e /> })}
            <Suspense fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(p) => {
                            let summary = p.last_scan.map(|s| {
                                format!(
                                    "{} ({}) · {}",
                                    iso_date(s.day),
                                    format_local_time(s.at),
                                    i18n.t(Key::ChurnScanSummary)
                                        .replace("{scored}", &s.counts.scored.to_string())
                                        .replace("{opened}", &s.counts.opened.to_string())
                                        .replace("{updated}", &s.counts.updated.to_string())
                                        .replace("{cleared}", &s.counts.cleared.to_string())
                                        .replace("{open}", &s.counts.open_after.to_string())
                                )
                            });
                            view! {
                                <div class="churn-toolbar">
                                    <p class="muted" data-testid="churn-last-scan">
                                        {t(Key::ChurnLastScan)} ": "
                                        {summary.unwrap_or_else(|| i18n.t(Key::ChurnNeverScanned).to_string())}
                                    </p>
                                    {p.may_run.then(|| view! {
                                        <ActionForm action=run attr:class="inline">
                                            <button type="submit" class="button" data-testid="churn-run-now">
                                                {t(Key::ChurnRunNow)}
                                            </button>
                                        </ActionForm>
                                    })}
                                </div>
                                {p.config.map(|cfg| view! { <SettingsForm cfg=cfg action=settings result=settings_result saved=saved /> })}
                                {if p.rows.is_empty() {
                                    view! { <p class="empty" data-testid="churn-empty">{t(Key::ChurnNoWarnings)}</p> }.into_any()
                                } else {
                                    view! { <AtRiskTable rows=p.rows /> }.into_any()
                                }}
                                <div class="pager">
                                    {(!on_first).then(|| view! {
                                        <a href="/at-risk" class="link-button">{t(Key::ChurnFirstPage)}</a>
                                    })}
                                    {p.next.map(|n| view! {
                                        <a href=format!("/at-risk?{AFTER_PARAM}={}", encode_component(&n)) class="button" data-testid="churn-next-page">{t(Key::ChurnNextPage)}</a>
                                    })}
                                </div>
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
fn AtRiskTable(rows: Vec<AtRiskRow>) -> impl IntoView {
    view! {
        <table class="data at-risk-table" data-testid="at-risk-table">
            <thead>
                <tr>
                    <th>{t(Key::ChurnCustomer)}</th>
                    <th>{t(Key::ChurnValueAtStake)}</th>
                    <th>{t(Key::ChurnScore)}</th>
                    <th>{t(Key::ChurnReasons)}</th>
                    <th>{t(Key::ChurnOwner)}</th>
                    <th>{t(Key::ChurnOpenedOn)}</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|r| view! {
                    <tr data-testid="at-risk-row" data-customer=r.customer_id.0>
                        <td><A href=format!("/customers/{}", r.customer_id) attr:data-testid="at-risk-customer">{r.customer_name}</A></td>
                        <td class="num">{format_cents(r.value_cents)}</td>
                        <td>{score_view(r.score)}</td>
                        <td>{reasons_view(r.reasons, 2)}</td>
                        <td>{r.owner_name}</td>
                        <td>{r.opened_on}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn SettingsForm(
    cfg: ChurnConfig,
    action: ServerAction<SaveChurnSettings>,
    result: Signal<Option<AppError>>,
    /// The page follows a successful save.
    saved: bool,
) -> impl IntoView {
    let input = cfg.to_input();
    let field = move |name: &'static str, label: Key, value: String, min: i64, max: i64| {
        let (form_name, testid) = (format!("input[{name}]"), format!("churn-setting-{name}"));
        number_setting(form_name, name, label, value, (min, max), result, testid)
    };
    view! {
        <details class="card churn-settings" data-testid="churn-settings" open=saved || result.get_untracked().is_some()>
            <summary>{t(Key::ChurnSettings)}</summary>
            <p class="muted">{t(Key::ChurnSettingsIntro)}</p>
            <ActionForm action=action attr:class="form-grid">
                {field("warning_at", Key::ChurnWarningAt, input.warning_at, 1, 100)}
                {field("lapse_weight", Key::ChurnLapseWeight, input.lapse_weight, 0, 100)}
                {field("lapse_start_pct", Key::ChurnLapseStartPct, input.lapse_start_pct, 100, 1000)}
                {field("lapse_full_pct", Key::ChurnLapseFullPct, input.lapse_full_pct, 101, 2000)}
                {field("min_gap_days", Key::ChurnMinGapDays, input.min_gap_days, 1, 365)}
                {field("activity_weight", Key::ChurnActivityWeight, input.activity_weight, 0, 100)}
                {field("activity_min_previous", Key::ChurnActivityMinPrevious, input.activity_min_previous, 1, 1000)}
                {field("overdue_weight", Key::ChurnOverdueWeight, input.overdue_weight, 0, 100)}
                {field("overdue_full_days", Key::ChurnOverdueFullDays, input.overdue_full_days, 1, 365)}
                {field("feedback_weight", Key::ChurnFeedbackWeight, input.feedback_weight, 0, 100)}
                {field("hour_utc", Key::ChurnHourUtc, input.hour_utc, 0, 23)}
                <label class="check">
                    <input type="checkbox" name="input[enabled]" checked=cfg.enabled />
                    {t(Key::ChurnEnabled)}
                </label>
                <button type="submit" data-testid="churn-settings-save">{t(Key::ChurnSaveSettings)}</button>
                {saved.then(|| view! { <p class="notice" role="status">{t(Key::ChurnSettingsSaved)}</p> })}
            </ActionForm>
        </details>
    }
}

/// The open warning on the customer page, every reason in words and figures; nothing
/// when the customer has no open warning.
#[component]
pub fn ChurnCard(data: Resource<Result<Option<WarningView>, AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let w = match data.await {
                    Ok(Some(w)) => w,
                    Ok(None) | Err(AppError::NotFound | AppError::Forbidden) => return ().into_any(),
                    Err(e) => return view! { <ErrorNotice error=e /> }.into_any(),
                };
                let (score, opened, updated) = (w.score, w.opened_on.clone(), w.updated_on.clone());
                view! {
                    <section class="card churn-card" data-testid="churn-card">
                        <h2>{t(Key::ChurnCardTitle)}</h2>
                        <p>{score_view(w.score)}</p>
                        <p class="muted">
                            {move || i18n.t(Key::ChurnCardIntro)
                                .replace("{score}", &score.to_string())
                                .replace("{opened}", &opened)
                                .replace("{updated}", &updated)}
                        </p>
                        {reasons_view(w.reasons, usize::MAX)}
                        <p class="muted">{t(Key::ChurnValueAtStake)} ": " {format_cents(w.value_cents)}</p>
                        {w.task_id.map(|_| view! { <p class="muted">{t(Key::ChurnCardFollowUp)}</p> })}
                    </section>
                }
                .into_any()
            })}
        </Suspense>
    }
}
