//! The `/rfm` page (reference date and window, the run shown, "Recompute now", the 5 × 5
//! grid, a cell's customers, the named segments, the export) and the customer page's RFM
//! card. Runs are computed by the worker; the page refreshes itself every 2 s while one is
//! pending.

use crate::auth::pages::Protected;
use crate::error::AppError;
use crate::format::{encode_component, format_cents};
use crate::i18n::{t, use_i18n, Key};
use crate::rfm::api::*;
use crate::rfm::model::*;
use crate::ui::islands::RefreshWhileShown;
use crate::ui::{format_time, ErrorNotice};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

/// How often the page asks again while a run is pending (seconds).
const POLL_SECS: u32 = 2;

#[component]
pub fn RfmPage() -> impl IntoView {
    view! { <Protected><Rfm /></Protected> }
}

/// `window` as the URL carries it: empty = all history.
fn window_param(w: Option<i64>) -> String {
    w.map(|d| d.to_string()).unwrap_or_default()
}

/// The page URL for a date, window and optionally a cell and cursor.
fn page_url(
    as_of: &str,
    window: Option<i64>,
    cell: Option<(u8, u8)>,
    after: Option<i64>,
) -> String {
    let mut url = format!(
        "/rfm?as_of={}&window={}",
        encode_component(as_of),
        window_param(window)
    );
    if let Some((r, f)) = cell {
        url.push_str(&format!("&r={r}&f={f}"));
    }
    if let Some(a) = after {
        url.push_str(&format!("&after={a}"));
    }
    url
}

fn window_label(w: Option<i64>) -> String {
    let i18n = use_i18n();
    match w {
        None => i18n.t(Key::RfmAllHistory).to_string(),
        Some(d) => i18n.t(Key::RfmLastDays).replace("{n}", &d.to_string()),
    }
}

#[component]
fn Rfm() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let params = Memo::new(move |_| {
        let q = query.read();
        (
            q.get("as_of").unwrap_or_default(),
            // Absent: the current run's window.
            q.get("window").unwrap_or_else(|| "default".into()),
        )
    });
    let cell = Memo::new(move |_| {
        let q = query.read();
        let score = |k: &str| {
            q.get(k)
                .and_then(|v| v.parse::<u8>().ok())
                .filter(|s| (1..=5).contains(s))
        };
        let after = q.get("after").and_then(|v| v.parse::<i64>().ok());
        score("r").zip(score("f")).map(|c| (c, after))
    });
    let recompute = ServerAction::<RfmRecompute>::new();
    let data = Resource::new(
        move || params.get(),
        |(as_of, window)| rfm_page(as_of, window),
    );
    let recompute_error = move || recompute.value().get().and_then(|r| r.err());

    view! {
        <section class="page rfm-page">
            <div class="page-head">
                <h1>{t(Key::RfmTitle)}</h1>
            </div>
            <p class="muted">{t(Key::RfmIntro)}</p>
            {move || recompute_error().map(|e| view! { <ErrorNotice error=e /> })}
            <Suspense fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    let d = match data.await {
                        Ok(d) => d,
                        Err(e) => return view! { <ErrorNotice error=e /> }.into_any(),
                    };
                    let window = d.window_days;
                    let as_of = d.as_of.clone();
                    let export = format!(
                        "/rfm/export.csv?as_of={}&window={}",
                        encode_component(&d.as_of),
                        window_param(window)
                    );
                    let may_recompute = d.may_recompute;
                    let pending = d.pending.is_some();
                    let failed = d.failed;
                    let no_run = d.run.is_none() && !pending && !failed;
                    let run_id = d.run.as_ref().map(|r| r.id);
                    let summary = d.run.clone().map(|r| {
                        i18n.t(Key::RfmRunSummary)
                            .replace("{as_of}", &r.as_of)
                            .replace("{at}", &r.finished_at.map(format_time).unwrap_or_default())
                            .replace("{ms}", &r.duration_ms.unwrap_or(0).to_string())
                            .replace("{n}", &r.customers.to_string())
                    });
                    view! {
                        // Until the run shown has finished.
                        {pending.then(|| view! { <RefreshWhileShown seconds=POLL_SECS /> })}
                        <form method="get" action="/rfm" class="filters" data-testid="rfm-form">
                            <label>
                                {t(Key::RfmAsOf)}
                                <input type="date" name="as_of" value=as_of.clone() required data-testid="rfm-as-of" />
                            </label>
                            <label>
                                {t(Key::RfmWindow)}
                                <select name="window" data-testid="rfm-window">
                                    {WINDOW_CHOICES
                                        .into_iter()
                                        .map(|w| view! {
                                            <option value=window_param(w) selected={w == window}>{window_label(w)}</option>
                                        })
                                        .collect_view()}
                                </select>
                            </label>
                            <button type="submit">{t(Key::RfmShow)}</button>
                            <a class="button" href=export rel="external" download data-testid="rfm-export">{t(Key::RfmExportCsv)}</a>
                        </form>
                        {may_recompute.then(|| {
                            let as_of = as_of.clone();
                            view! {
                                <ActionForm action=recompute attr:class="inline" attr:data-testid="rfm-recompute">
                                    <input type="hidden" name="as_of" value=as_of />
                                    <input type="hidden" name="window" value=window_param(window) />
                                    <button type="submit" disabled=pending>
                                        {t(Key::RfmRecomputeNow)}
                                    </button>
                                </ActionForm>
                            }
                        })}
                        {summary.map(|s| view! { <p class="rfm-run" data-testid="rfm-run">{s}</p> })}
                        {pending.then(|| view! {
                            <p class="notice" role="status" data-testid="rfm-pending">{t(Key::RfmComputing)}</p>
                        })}
                        {(failed && !pending).then(|| view! {
                            <p class="error" role="alert">{t(Key::RfmRunFailed)}</p>
                        })}
                        {no_run.then(|| view! {
                            <p class="muted">{t(Key::RfmNoRun)}</p>
                        })}
                        {d.grid.map(|g| {
                            let cell_list = cell.get_untracked().zip(run_id).map(|((c, after), run)| view! {
                                <CellList run=run cell=c after=after as_of=as_of.clone() window=window />
                            });
                            view! {
                                <RfmGrid grid=g.clone() as_of=as_of.clone() window=window />
                                {cell_list}
                                <SegmentTable grid=g />
                            }
                        })}
                    }
                    .into_any()
                })}
            </Suspense>
        </section>
    }
}

/// R score rows (5 at the top) × F score columns; each cell a link listing its customers.
#[component]
fn RfmGrid(grid: Grid, as_of: String, window: Option<i64>) -> impl IntoView {
    let i18n = use_i18n();
    let rows = (1..=5u8)
        .rev()
        .map(|r| {
            let cells = grid
                .cells
                .iter()
                .filter(|c| c.r_score == r)
                .map(|c| {
                    let href = page_url(&as_of, window, Some((c.r_score, c.f_score)), None);
                    let (segment, customers, revenue) = (c.segment, c.customers, c.revenue_cents);
                    view! {
                        <td class=format!("rfm-cell rfm-{}", segment.as_str()) data-testid=format!("rfm-cell-{}-{}", c.r_score, c.f_score)>
                            <A href=href>
                                <span class="rfm-segment">{t(segment.label())}</span>
                                <span class="rfm-count">{customers}" "{t(Key::RfmCustomers)}</span>
                                <span class="rfm-revenue">{format_cents(revenue)}</span>
                            </A>
                        </td>
                    }
                })
                .collect_view();
            view! { <tr><th scope="row">"R "{r}</th>{cells}</tr> }
        })
        .collect_view();
    view! {
        <div class="table-wrap" tabindex="0">
            <table class="data rfm-grid" data-testid="rfm-grid">
                <caption>{move || i18n.t(Key::RfmGridCaption)}</caption>
                <thead>
                    <tr>
                        <th scope="col">{t(Key::RfmGridTitle)}</th>
                        {(1..=5u8).map(|f| view! { <th scope="col">"F "{f}</th> }).collect_view()}
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

#[component]
fn SegmentTable(grid: Grid) -> impl IntoView {
    view! {
        <section class="card">
            <h2>{t(Key::RfmSegmentsTitle)}</h2>
            <table class="data" data-testid="rfm-segments">
                <thead>
                    <tr>
                        <th scope="col">{t(Key::RfmSegment)}</th>
                        <th scope="col">{t(Key::RfmCustomers)}</th>
                        <th scope="col">{t(Key::RfmRevenue)}</th>
                    </tr>
                </thead>
                <tbody>
                    {grid
                        .segments
                        .into_iter()
                        .map(|s| view! {
                            <tr data-testid=format!("rfm-segment-{}", s.segment.as_str())>
                                <td>{t(s.segment.label())}</td>
                                <td>{s.customers}</td>
                                <td>{format_cents(s.revenue_cents)}</td>
                            </tr>
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
}

/// The customers of one cell, a page at a time (keyset by customer id, in the URL).
#[component]
fn CellList(
    run: i64,
    cell: (u8, u8),
    after: Option<i64>,
    as_of: String,
    window: Option<i64>,
) -> impl IntoView {
    let i18n = use_i18n();
    let (r, f) = cell;
    let members = Resource::new(
        move || (run, r, f, after),
        |(run, r, f, after)| rfm_cell(run, r, f, after),
    );
    let title = move || {
        i18n.t(Key::RfmCellTitle)
            .replace("{r}", &r.to_string())
            .replace("{f}", &f.to_string())
    };
    let as_of = StoredValue::new(as_of);
    view! {
        <section class="card" data-testid="rfm-cell-list">
            <h2>{title}</h2>
            <Transition fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    let page = match members.await {
                        Ok(p) => p,
                        Err(e) => return view! { <ErrorNotice error=e /> }.into_any(),
                    };
                    if page.members.is_empty() {
                        return view! { <p class="muted">{t(Key::RfmCellEmpty)}</p> }.into_any();
                    }
                    let more = page
                        .next_after
                        .map(|n| page_url(&as_of.get_value(), window, Some((r, f)), Some(n)));
                    view! {
                        <table class="data">
                            <thead>
                                <tr>
                                    <th scope="col">{t(Key::Name)}</th>
                                    <th scope="col">{t(Key::RfmRecency)}</th>
                                    <th scope="col">{t(Key::RfmFrequency)}</th>
                                    <th scope="col">{t(Key::RfmMonetary)}</th>
                                    <th scope="col">{t(Key::RfmScores)}</th>
                                    <th scope="col">{t(Key::RfmSegment)}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {page
                                    .members
                                    .into_iter()
                                    .map(|m| view! {
                                        <tr>
                                            <td><A href=format!("/customers/{}", m.customer_id)>{m.name}</A></td>
                                            <td>{m.row.recency_days}</td>
                                            <td>{m.row.frequency}</td>
                                            <td>{format_cents(m.row.monetary_cents)}</td>
                                            <td>{format!("{} / {} / {}", m.row.r_score, m.row.f_score, m.row.m_score)}</td>
                                            <td>{t(m.row.segment.label())}</td>
                                        </tr>
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                        {more.map(|href| view! { <A href=href attr:class="button">{t(Key::RfmMore)}</A> })}
                    }
                    .into_any()
                })}
            </Transition>
        </section>
    }
}

/// The customer page's card: R/F/M and their scores, the segment and the value score of
/// the current run. Nothing for users who may not see RFM.
#[component]
pub fn RfmCard(data: Resource<Result<CustomerRfm, AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let d = match data.await {
                    Ok(d) => d,
                    Err(AppError::NotFound | AppError::Forbidden) => return ().into_any(),
                    Err(e) => return view! { <ErrorNotice error=e /> }.into_any(),
                };
                let as_of = d
                    .as_of
                    .clone()
                    .map(|a| i18n.t(Key::RfmAsOfShort).replace("{as_of}", &a));
                let body = match (&d.as_of, &d.row) {
                    (None, _) => view! { <p class="muted">{t(Key::RfmNoCurrentRun)}</p> }.into_any(),
                    (Some(_), None) => view! { <p class="muted">{t(Key::RfmNotScored)}</p> }.into_any(),
                    (Some(_), Some(r)) => view! {
                        <dl class="rfm-card-figures">
                            <dt>{t(Key::RfmSegment)}</dt>
                            <dd data-testid="rfm-card-segment">{t(r.segment.label())}</dd>
                            <dt>{t(Key::RfmRecency)}</dt>
                            <dd>{r.recency_days}" (R "{r.r_score}")"</dd>
                            <dt>{t(Key::RfmFrequency)}</dt>
                            <dd>{r.frequency}" (F "{r.f_score}")"</dd>
                            <dt>{t(Key::RfmMonetary)}</dt>
                            <dd>{format_cents(r.monetary_cents)}" (M "{r.m_score}")"</dd>
                        </dl>
                    }
                    .into_any(),
                };
                view! {
                    <section class="card" data-testid="rfm-card">
                        <h2>{t(Key::RfmCardTitle)}</h2>
                        {body}
                        {d.value_score.map(|v| view! {
                            <p>
                                <span class="stat-label">{t(Key::RfmValueScore)}": "</span>
                                <strong data-testid="rfm-card-value">{v}</strong>
                                " / 100"
                            </p>
                        })}
                        {as_of.map(|a| view! { <p class="muted">{a}</p> })}
                    </section>
                }
                .into_any()
            })}
        </Suspense>
    }
}
