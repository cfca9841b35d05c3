//! The `/funnel` page: filters (cohort months, owner, team, source, saved segment) kept
//! in the URL, the funnel drawn as SVG with every figure written next to it, the same
//! figures as a table, and the cohort table.

use crate::auth::pages::Protected;
use crate::error::AppError;
use crate::funnel::api::{funnel_options, funnel_report};
use crate::funnel::model::*;
use crate::i18n::{t, use_i18n, Key};
use crate::ui::ErrorNotice;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn FunnelPage() -> impl IntoView {
    view! { <Protected><FunnelView /></Protected> }
}

/// The label of a filter field, for validation messages.
fn field_label(field: &str) -> Key {
    match field {
        "from" => Key::FunnelCohortFrom,
        "to" => Key::FunnelCohortTo,
        "owner" => Key::Owner,
        "team" => Key::Team,
        "source" => Key::FunnelSource,
        "segment" => Key::SegSegment,
        _ => Key::ErrValidation,
    }
}

/// A select over server-provided choices; `current` stays selected after a reload.
fn choice_select(
    name: &'static str,
    label: Key,
    all: Key,
    choices: Vec<FilterChoice>,
    current: String,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <label>
            {t(label)}
            <select name=name data-testid=format!("funnel-{name}") aria-label=move || i18n.t(label)>
                <option value="">{t(all)}</option>
                {choices
                    .into_iter()
                    .map(|c| {
                        let selected = c.value == current;
                        view! { <option value=c.value selected=selected>{c.label}</option> }
                    })
                    .collect_view()}
            </select>
        </label>
    }
}

#[component]
fn FunnelView() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let filter = query.with_untracked(|q| {
        let get = |k: &str| q.get(k).unwrap_or_default();
        FunnelQuery {
            from: get("from"),
            to: get("to"),
            owner: get("owner"),
            team: get("team"),
            source: get("source"),
            segment: get("segment"),
        }
    });
    let report = {
        let filter = filter.clone();
        Resource::new(move || filter.clone(), funnel_report)
    };
    let options = Resource::new(|| (), |_| funnel_options());

    view! {
        <section class="page funnel-page">
            <div class="page-head">
                <h1>{t(Key::FunnelTitle)}</h1>
            </div>
            <p class="muted">{t(Key::FunnelIntro)}</p>
            <form method="get" action="/funnel" class="filters funnel-filters" data-testid="funnel-form">
                <label>
                    {t(Key::FunnelCohortFrom)}
                    <input type="month" name="from" placeholder="YYYY-MM" value=filter.from.clone() data-testid="funnel-from" />
                </label>
                <label>
                    {t(Key::FunnelCohortTo)}
                    <input type="month" name="to" placeholder="YYYY-MM" value=filter.to.clone() data-testid="funnel-to" />
                </label>
                <Suspense fallback=|| ()>
                    {move || {
                        let f = filter.clone();
                        Suspend::new(async move {
                        let o = options.await.unwrap_or_default();
                        view! {
                            {choice_select("owner", Key::Owner, Key::AllOwners, o.owners, f.owner)}
                            {choice_select("team", Key::Team, Key::AllTeams, o.teams, f.team)}
                            {choice_select("source", Key::FunnelSource, Key::FunnelAllSources, o.sources, f.source)}
                            {choice_select("segment", Key::SegSegment, Key::SegAllCustomers, o.segments, f.segment)}
                        }
                        })
                    }}
                </Suspense>
                <button type="submit" class="primary" data-testid="funnel-apply">{t(Key::FunnelShow)}</button>
                <a class="button" href="/funnel" rel="external">{t(Key::ClearFilters)}</a>
            </form>
            <Suspense fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    match report.await {
                        Ok(f) => view! { <FunnelResult funnel=f /> }.into_any(),
                        Err(AppError::Validation(errors)) => view! {
                            <ul class="notice error" role="alert" data-testid="funnel-errors">
                                {errors
                                    .into_iter()
                                    .map(|e| {
                                        let (label, message) = (field_label(&e.field), e.message);
                                        view! { <li>{move || format!("{}: {}", i18n.t(label), i18n.t(message))}</li> }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                        .into_any(),
                        Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    }
                })}
            </Suspense>
            <p class="muted funnel-definitions">{t(Key::FunnelDefinitions)}</p>
        </section>
    }
}

#[component]
fn FunnelResult(funnel: Funnel) -> impl IntoView {
    if funnel.steps.first().is_none_or(|s| s.customers == 0) {
        return view! { <p class="muted" data-testid="funnel-empty">{t(Key::FunnelNoCustomers)}</p> }
            .into_any();
    }
    view! {
        <section class="card funnel-card">
            <FunnelChart steps=funnel.steps.clone() />
            <FiguresTable steps=funnel.steps />
        </section>
        <CohortTable cohorts=funnel.cohorts />
    }
    .into_any()
}

// Chart geometry (SVG user units).
const CHART_W: f64 = 900.0;
const BAR_H: f64 = 44.0;
const GAP_H: f64 = 30.0;
const TOP: f64 = 8.0;
const BAR_CENTRE: f64 = 400.0;
const BAR_MAX: f64 = 380.0;
const LABEL_X: f64 = 8.0;
const FIGURES_X: f64 = 605.0;

fn row_y(i: usize) -> f64 {
    TOP + i as f64 * (BAR_H + GAP_H)
}

/// Bars narrowing step by step, each with its own fill pattern, its number and name on
/// the left, its count and rates on the right, and the median days between steps in the
/// gaps: every figure is text, so neither colour nor bar width carries meaning alone.
#[component]
fn FunnelChart(steps: Vec<StepFigures>) -> impl IntoView {
    let i18n = use_i18n();
    let acquired = steps.first().map(|s| s.customers).unwrap_or(0);
    let height = row_y(steps.len()) - GAP_H + TOP;
    let bars = steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let y = row_y(i);
            let share = if acquired > 0 {
                s.customers as f64 / acquired as f64
            } else {
                0.0
            };
            // A reached step never vanishes: at least a sliver shows.
            let width = if s.customers > 0 {
                (share * BAR_MAX).max(4.0)
            } else {
                0.0
            };
            let step = s.step;
            let (count, of_previous, of_acquired) = (s.customers, s.of_previous, s.of_acquired);
            let number = step.number();
            let rates = move || {
                let acq = i18n
                    .t(Key::FunnelChartAcquired)
                    .replace("{pct}", &format_rate(of_acquired));
                match (step, of_previous) {
                    (FunnelStep::Acquired, _) => acq,
                    (_, prev) => format!(
                        "{} · {acq}",
                        i18n.t(Key::FunnelChartPrevious)
                            .replace("{pct}", &format_rate(prev))
                    ),
                }
            };
            view! {
                <g class=format!("funnel-step funnel-step-{}", step.as_str()) data-testid=format!("funnel-bar-{}", step.as_str())>
                    <rect class="funnel-track" x=BAR_CENTRE - BAR_MAX / 2.0 y=y width=BAR_MAX height=BAR_H rx="3" />
                    <rect
                        class="funnel-bar"
                        x=BAR_CENTRE - width / 2.0
                        y=y
                        width=width
                        height=BAR_H
                        rx="3"
                        fill=format!("url(#funnel-pattern-{i})")
                    />
                    <text class="funnel-label" x=LABEL_X y=y + BAR_H / 2.0 + 5.0>
                        {move || format!("{number} · {}", i18n.t(step.label()))}
                    </text>
                    <text class="funnel-count" x=FIGURES_X y=y + 18.0>{count}</text>
                    <text class="funnel-rates" x=FIGURES_X y=y + 37.0>{rates}</text>
                </g>
            }
        })
        .collect_view();
    let medians = steps
        .iter()
        .enumerate()
        .skip(1)
        .map(|(i, s)| {
            let y = row_y(i) - GAP_H / 2.0 + 4.0;
            let days = s.median_days;
            view! {
                <text class="funnel-median" x=BAR_CENTRE y=y text-anchor="middle" data-testid=format!("funnel-chart-median-{}", s.step.as_str())>
                    {move || format!("↓ {}", i18n.t(Key::FunnelChartMedian).replace("{days}", &format_days(days)))}
                </text>
            }
        })
        .collect_view();
    view! {
        <svg
            class="funnel-chart"
            viewBox=format!("0 0 {CHART_W} {height}")
            role="img"
            aria-label=move || i18n.t(Key::FunnelChartLabel)
            aria-describedby="funnel-figures"
            data-testid="funnel-chart"
        >
            <defs>
                <pattern id="funnel-pattern-0" width="8" height="8" patternUnits="userSpaceOnUse">
                    <rect class="funnel-pattern-bg funnel-pattern-bg-0" width="8" height="8" />
                </pattern>
                <pattern id="funnel-pattern-1" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
                    <rect class="funnel-pattern-bg funnel-pattern-bg-1" width="8" height="8" />
                    <line class="funnel-pattern-ink" x1="0" y1="0" x2="0" y2="8" stroke-width="3" />
                </pattern>
                <pattern id="funnel-pattern-2" width="8" height="8" patternUnits="userSpaceOnUse">
                    <rect class="funnel-pattern-bg funnel-pattern-bg-2" width="8" height="8" />
                    <circle class="funnel-pattern-dot" cx="4" cy="4" r="1.8" />
                </pattern>
                <pattern id="funnel-pattern-3" width="8" height="8" patternUnits="userSpaceOnUse">
                    <rect class="funnel-pattern-bg funnel-pattern-bg-3" width="8" height="8" />
                    <path class="funnel-pattern-ink" d="M0 0 L8 8 M8 0 L0 8" stroke-width="1.2" />
                </pattern>
            </defs>
            {bars}
            {medians}
        </svg>
    }
}

/// The chart's figures as a table (also what screen readers get).
#[component]
fn FiguresTable(steps: Vec<StepFigures>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="table-wrap" tabindex="0">
            <table class="data funnel-figures" id="funnel-figures" data-testid="funnel-figures">
                <caption>{move || i18n.t(Key::FunnelFiguresCaption)}</caption>
                <thead>
                    <tr>
                        <th scope="col">{t(Key::FunnelStepHeader)}</th>
                        <th scope="col">{t(Key::FunnelCustomers)}</th>
                        <th scope="col">{t(Key::FunnelOfPrevious)}</th>
                        <th scope="col">{t(Key::FunnelOfAcquired)}</th>
                        <th scope="col">{t(Key::FunnelMedianDays)}</th>
                    </tr>
                </thead>
                <tbody>
                    {steps
                        .into_iter()
                        .map(|s| {
                            let name = s.step.as_str();
                            let first = s.step == FunnelStep::Acquired;
                            view! {
                                <tr data-testid=format!("funnel-row-{name}")>
                                    <th scope="row">{s.step.number()}" · "{t(s.step.label())}</th>
                                    <td data-testid=format!("funnel-count-{name}")>{s.customers}</td>
                                    <td data-testid=format!("funnel-prev-{name}")>{if first { "—".to_string() } else { format_rate(s.of_previous) }}</td>
                                    <td data-testid=format!("funnel-acq-{name}")>{format_rate(s.of_acquired)}</td>
                                    <td data-testid=format!("funnel-median-{name}")>{if first { "—".to_string() } else { format_days(s.median_days) }}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// One row per acquisition month: how many of its customers reached each step, with the
/// share of the month's acquired customers.
#[component]
fn CohortTable(cohorts: Vec<CohortRow>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="card">
            <h2>{t(Key::FunnelCohortsTitle)}</h2>
            <div class="table-wrap" tabindex="0">
                <table class="data funnel-cohorts" data-testid="funnel-cohorts">
                    <caption>{move || i18n.t(Key::FunnelCohortsCaption)}</caption>
                    <thead>
                        <tr>
                            <th scope="col">{t(Key::FunnelCohort)}</th>
                            {FunnelStep::ALL
                                .into_iter()
                                .map(|s| view! { <th scope="col">{s.number()}" · "{t(s.label())}</th> })
                                .collect_view()}
                        </tr>
                    </thead>
                    <tbody>
                        {cohorts
                            .into_iter()
                            .map(|c| {
                                let acquired = c.counts[0];
                                let cells = FunnelStep::ALL
                                    .into_iter()
                                    .zip(c.counts)
                                    .map(|(s, n)| {
                                        let share = (s != FunnelStep::Acquired)
                                            .then(|| format!(" ({})", format_rate(rate(n, acquired))));
                                        view! {
                                            <td data-testid=format!("funnel-cohort-{}-{}", c.month, s.as_str())>
                                                {n}{share}
                                            </td>
                                        }
                                    })
                                    .collect_view();
                                view! {
                                    <tr data-testid=format!("funnel-cohort-{}", c.month)>
                                        <th scope="row">{c.month.clone()}</th>
                                        {cells}
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}
