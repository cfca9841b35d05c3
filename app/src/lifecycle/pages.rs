//! The `/lifecycle` page (customers per stage today, stages by month as a stacked chart
//! with its table, stage changes of a period, the thresholds form for admins, the export)
//! and the stage badge shown on customer pages and lists.

use crate::auth::pages::Protected;
use crate::format::encode_component;
use crate::i18n::{t, use_i18n, Key};
use crate::lifecycle::api::*;
use crate::lifecycle::model::*;
use crate::ui::{number_setting, ErrorNotice};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LifecyclePage() -> impl IntoView {
    view! { <Protected><Lifecycle /></Protected> }
}

/// A stage as a badge: its name in words, its colour only as an extra.
#[component]
pub fn StageBadge(stage: Stage) -> impl IntoView {
    view! {
        <span class=format!("stage-badge stage-{}", stage.as_str()) data-stage=stage.as_str()>
            {t(stage.label())}
        </span>
    }
}

fn percent(n: i64, total: i64) -> String {
    if total == 0 {
        "0%".into()
    } else {
        format!("{:.1}%", n as f64 * 100.0 / total as f64)
    }
}

#[component]
fn Lifecycle() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let period = Memo::new(move |_| {
        let q = query.read();
        (
            q.get("from").unwrap_or_default(),
            q.get("to").unwrap_or_default(),
        )
    });
    let saved = query.with_untracked(|q| q.get(SAVED_PARAM).is_some());
    let data = Resource::new(move || period.get(), |(from, to)| lifecycle_page(from, to));
    view! {
        <section class="page lifecycle-page">
            <div class="page-head">
                <h1>{t(Key::LcTitle)}</h1>
            </div>
            <p class="muted">{t(Key::LcIntro)}</p>
            <Suspense fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    let d = match data.await {
                        Ok(d) => d,
                        Err(e) => return view! { <ErrorNotice error=e /> }.into_any(),
                    };
                    let th = d.thresholds;
                    let rules = i18n
                        .t(Key::LcRules)
                        .replace("{new}", &th.new_days.to_string())
                        .replace("{active}", &th.active_days.to_string())
                        .replace("{churn}", &th.churn_days.to_string());
                    let export = format!("/lifecycle/export.csv?as_of={}", encode_component(&d.today));
                    view! {
                        <p class="lc-rules" data-testid="lc-rules">{rules}</p>
                        <NowTable counts=d.now />
                        <MonthChart months=d.months.clone() />
                        <MonthTable months=d.months />
                        <FlowsCard from=d.flows_from to=d.flows_to flows=d.flows />
                        <section class="card lc-export">
                            <h2>{t(Key::LcExportHeading)}</h2>
                            <form method="get" action="/lifecycle/export.csv" class="filters" data-testid="lc-export-form">
                                <label>
                                    {t(Key::LcAsOf)}
                                    <input type="date" name="as_of" value=d.today.clone() required data-testid="lc-export-as-of" />
                                </label>
                                <button type="submit">{t(Key::LcExportCsv)}</button>
                            </form>
                            <p>
                                <a href=export rel="external" download data-testid="lc-export">
                                    {t(Key::LcExportCsv)} " (" {d.today.clone()} ")"
                                </a>
                            </p>
                        </section>
                        {d.may_configure.then(|| view! { <ThresholdsForm current=th saved=saved /> })}
                    }
                    .into_any()
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn NowTable(counts: StageCounts) -> impl IntoView {
    let total: i64 = counts.iter().sum();
    view! {
        <section class="card">
            <h2>{t(Key::LcNowHeading)}</h2>
            <table class="data lc-now" data-testid="lc-now">
                <thead>
                    <tr>
                        <th scope="col">{t(Key::LcStage)}</th>
                        <th scope="col">{t(Key::LcCustomers)}</th>
                        <th scope="col">{t(Key::LcShare)}</th>
                    </tr>
                </thead>
                <tbody>
                    {Stage::ALL
                        .into_iter()
                        .map(|s| {
                            let n = counts[s.index()];
                            view! {
                                <tr data-testid=format!("lc-now-{}", s.as_str())>
                                    <td><StageBadge stage=s /></td>
                                    <td class="num">{n}</td>
                                    <td class="num">{percent(n, total)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
                <tfoot>
                    <tr>
                        <th scope="row">{t(Key::LcTotal)}</th>
                        <td class="num" data-testid="lc-now-total">{total}</td>
                        <td class="num">{percent(total, total)}</td>
                    </tr>
                </tfoot>
            </table>
        </section>
    }
}

const CHART_W: f64 = 720.0;
const CHART_H: f64 = 260.0;
const PLOT_LEFT: f64 = 48.0;
const PLOT_TOP: f64 = 12.0;
const PLOT_BOTTOM: f64 = 28.0;

/// A number of customers as a round axis maximum (1, 2 or 5 × 10ⁿ, at least `n`).
fn nice_max(n: i64) -> i64 {
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if m * step >= n.max(1) {
                return m * step;
            }
        }
        step *= 10;
    }
}

/// Stacked bars, one per month, one segment per stage (bottom: lead … top: churned). Each
/// stage has its own fill pattern as well as its colour, segments tall enough carry their
/// figure, and every segment names its stage and count on hover.
#[component]
fn MonthChart(months: Vec<MonthCounts>) -> impl IntoView {
    let i18n = use_i18n();
    let top = nice_max(months.iter().map(|m| m.total()).max().unwrap_or(0));
    let plot_h = CHART_H - PLOT_TOP - PLOT_BOTTOM;
    let slot = (CHART_W - PLOT_LEFT) / months.len().max(1) as f64;
    let bar_w = slot * 0.62;
    let y_of = move |v: i64| PLOT_TOP + plot_h - (v as f64 / top as f64) * plot_h;
    let bars = months
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let x = PLOT_LEFT + slot * i as f64 + (slot - bar_w) / 2.0;
            let mut below = 0i64;
            let segments = Stage::ALL
                .into_iter()
                .filter(|s| m.counts[s.index()] > 0)
                .map(|s| {
                    let n = m.counts[s.index()];
                    let (y1, y0) = (y_of(below + n), y_of(below));
                    below += n;
                    let h = (y0 - y1).max(0.0);
                    let tip = format!("{} · {}: {}", m.month, i18n.t(s.label()), n);
                    view! {
                        <g class=format!("lc-seg stage-{}", s.as_str())>
                            <title>{tip}</title>
                            <rect class="lc-fill" x=x y=y1 width=bar_w height=h />
                            <rect class="lc-pattern" x=x y=y1 width=bar_w height=h fill=format!("url(#lc-pat-{})", s.as_str()) />
                            {(h >= 14.0).then(|| view! {
                                <text class="lc-seg-label" x=x + bar_w / 2.0 y=y1 + h / 2.0 + 4.0 text-anchor="middle">{n}</text>
                            })}
                        </g>
                    }
                })
                .collect_view();
            let label = m.month.get(2..).unwrap_or(&m.month).to_string();
            view! {
                <g class="lc-bar" data-month=m.month.clone()>
                    {segments}
                    <text class="lc-axis" x=x + bar_w / 2.0 y=CHART_H - 10.0 text-anchor="middle">{label}</text>
                </g>
            }
        })
        .collect_view();
    let ticks = [0, top / 2, top]
        .into_iter()
        .map(|v| {
            let y = y_of(v);
            view! {
                <line class="lc-grid" x1=PLOT_LEFT x2=CHART_W y1=y y2=y />
                <text class="lc-axis" x=PLOT_LEFT - 6.0 y=y + 4.0 text-anchor="end">{v}</text>
            }
        })
        .collect_view();
    let legend = Stage::ALL
        .into_iter()
        .map(|s| {
            view! {
                <li>
                    <svg class=format!("lc-swatch lc-seg stage-{}", s.as_str()) width="18" height="14" aria-hidden="true">
                        <rect class="lc-fill" width="18" height="14" />
                        <rect class="lc-pattern" width="18" height="14" fill=format!("url(#lc-pat-{})", s.as_str()) />
                    </svg>
                    " " {t(s.label())}
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="card lc-chart-card">
            <h2>{t(Key::LcOverTimeHeading)}</h2>
            <p class="muted">{t(Key::LcChartCaption)}</p>
            <svg class="lc-chart" data-testid="lc-chart" viewBox=format!("0 0 {CHART_W} {CHART_H}") role="img"
                aria-label=move || i18n.t(Key::LcOverTimeHeading)>
                <defs>
                    <pattern id="lc-pat-lead" width="6" height="6" patternUnits="userSpaceOnUse">
                        <circle cx="3" cy="3" r="0.8" class="lc-mark-fill" />
                    </pattern>
                    <pattern id="lc-pat-new" width="6" height="6" patternUnits="userSpaceOnUse">
                        <circle cx="3" cy="3" r="1.8" class="lc-mark-fill" />
                    </pattern>
                    <pattern id="lc-pat-active" width="6" height="6" patternUnits="userSpaceOnUse">
                        <rect width="6" height="6" fill="none" />
                    </pattern>
                    <pattern id="lc-pat-reactivated" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
                        <line x1="0" y1="0" x2="0" y2="6" class="lc-mark" />
                    </pattern>
                    <pattern id="lc-pat-silent" width="6" height="6" patternUnits="userSpaceOnUse">
                        <line x1="0" y1="3" x2="6" y2="3" class="lc-mark" />
                    </pattern>
                    <pattern id="lc-pat-churned" width="6" height="6" patternUnits="userSpaceOnUse">
                        <path d="M0 0 L6 6 M6 0 L0 6" class="lc-mark" />
                    </pattern>
                </defs>
                {ticks}
                {bars}
            </svg>
            <ul class="lc-legend">{legend}</ul>
        </section>
    }
}

/// The chart's figures as a table: months as rows, stages as columns.
#[component]
fn MonthTable(months: Vec<MonthCounts>) -> impl IntoView {
    view! {
        <div class="table-wrap" tabindex="0">
            <table class="data lc-months" data-testid="lc-months">
                <caption>{t(Key::LcChartCaption)}</caption>
                <thead>
                    <tr>
                        <th scope="col">{t(Key::LcMonth)}</th>
                        {Stage::ALL.into_iter().map(|s| view! { <th scope="col">{t(s.label())}</th> }).collect_view()}
                        <th scope="col">{t(Key::LcTotal)}</th>
                    </tr>
                </thead>
                <tbody>
                    {months
                        .into_iter()
                        .map(|m| {
                            let total = m.total();
                            view! {
                                <tr data-testid=format!("lc-month-{}", m.month)>
                                    <th scope="row" title=m.as_of.clone()>{m.month.clone()}</th>
                                    {m.counts.iter().map(|n| view! { <td class="num">{*n}</td> }).collect_view()}
                                    <td class="num">{total}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn FlowsCard(from: String, to: String, flows: Vec<Flow>) -> impl IntoView {
    let empty = flows.is_empty();
    view! {
        <section class="card lc-flows">
            <h2>{t(Key::LcFlowsHeading)}</h2>
            <p class="muted">{t(Key::LcFlowsHint)}</p>
            <form method="get" action="/lifecycle" class="filters" data-testid="lc-flows-form">
                <label>{t(Key::LcFrom)}<input type="date" name="from" value=from required data-testid="lc-from" /></label>
                <label>{t(Key::LcTo)}<input type="date" name="to" value=to required data-testid="lc-to" /></label>
                <button type="submit">{t(Key::LcShow)}</button>
            </form>
            <Show when=move || !empty fallback=|| view! { <p class="muted" data-testid="lc-no-flows">{t(Key::LcNoFlows)}</p> }>
                <table class="data" data-testid="lc-flows">
                    <thead>
                        <tr>
                            <th scope="col">{t(Key::LcFromStage)}</th>
                            <th scope="col"><span class="visually-hidden">"→"</span></th>
                            <th scope="col">{t(Key::LcToStage)}</th>
                            <th scope="col">{t(Key::LcChanges)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        {flows
                            .clone()
                            .into_iter()
                            .map(|f| view! {
                                <tr data-testid=format!("lc-flow-{}-{}", f.from.as_str(), f.to.as_str())>
                                    <td><StageBadge stage=f.from /></td>
                                    <td aria-hidden="true">"→"</td>
                                    <td><StageBadge stage=f.to /></td>
                                    <td class="num">{f.count}</td>
                                </tr>
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </Show>
        </section>
    }
}

#[component]
fn ThresholdsForm(
    current: Thresholds,
    /// The page follows a successful save.
    saved: bool,
) -> impl IntoView {
    let action = ServerAction::<SaveLifecycleThresholds>::new();
    let result = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let field = move |name: &'static str, label: Key, value: i64| {
        let range = (1, MAX_THRESHOLD_DAYS);
        number_setting(
            name.into(),
            name,
            label,
            value.to_string(),
            range,
            result,
            format!("lc-{name}"),
        )
    };
    view! {
        <details class="card lc-thresholds" data-testid="lc-thresholds" open=saved || result.get_untracked().is_some()>
            <summary>{t(Key::LcThresholdsHeading)}</summary>
            <ActionForm action=action attr:class="form-grid">
                {field("new_days", Key::LcNewDays, current.new_days)}
                {field("active_days", Key::LcActiveDays, current.active_days)}
                {field("churn_days", Key::LcChurnDays, current.churn_days)}
                <button type="submit" data-testid="lc-thresholds-save">
                    {t(Key::LcSaveThresholds)}
                </button>
                {saved.then(|| view! { <p class="notice" role="status">{t(Key::LcSaved)}</p> })}
            </ActionForm>
        </details>
    }
}

/// The customer page's summary figure: the stage today and since when.
#[component]
pub fn StageStat(stage: CustomerStage) -> impl IntoView {
    let i18n = use_i18n();
    let since = stage
        .since
        .clone()
        .map(|d| i18n.t(Key::LcSince).replace("{date}", &d));
    view! {
        <div class="stat" data-testid="customer-stage">
            <span class="stat-label">{t(Key::LcStage)}</span>
            <strong><StageBadge stage=stage.stage /></strong>
            {since.map(|s| view! { <span class="muted">{s}</span> })}
        </div>
    }
}
