//! The `/feedback/analysis` page: filters kept in the URL, NPS and CSAT summary cards,
//! responses per month as a bar chart with its table, answer distributions per question
//! (one form chosen), the latest comments with a search box, and complaint figures.
//! Every chart writes its figures as text, so nothing depends on colour alone.

use crate::auth::pages::Protected;
use crate::complaints::model::ComplaintStats;
use crate::error::AppError;
use crate::feedback::api::{load_feedback_analysis, load_feedback_analysis_options};
use crate::feedback::model::*;
use crate::i18n::{t, use_i18n, Key};
use crate::ui::{field_error, format_local_time, ErrorNotice};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

const PAGE_PATH: &str = "/feedback/analysis";
const NO_FIGURE: &str = "—";

#[component]
pub fn FeedbackAnalysisPage() -> impl IntoView {
    view! { <Protected><FeedbackAnalysis /></Protected> }
}

/// The filter as the URL gives it; ids that do not parse mean "any".
fn filter_from_query(get: impl Fn(&str) -> Option<String>) -> AnalysisFilter {
    let text = |k: &str| get(k).unwrap_or_default().trim().to_string();
    let id = |k: &str| get(k).and_then(|v| v.trim().parse::<i64>().ok());
    AnalysisFilter {
        form_id: id("form"),
        from: text("from"),
        to: text("to"),
        segment_id: id("segment"),
        owner_id: id("owner"),
        team_id: id("team"),
        search: text("q"),
    }
}

/// The URL parameters of every filter except the comment search, so the search form can
/// resend them unchanged.
fn kept_filters(filter: &AnalysisFilter) -> Vec<(&'static str, String)> {
    let ids = [
        ("form", filter.form_id),
        ("segment", filter.segment_id),
        ("owner", filter.owner_id),
        ("team", filter.team_id),
    ];
    let dates = [("from", &filter.from), ("to", &filter.to)];
    ids.into_iter()
        .filter_map(|(name, id)| id.map(|id| (name, id.to_string())))
        .chain(
            dates
                .into_iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(name, v)| (name, v.clone())),
        )
        .collect()
}

/// `part` as a rounded percentage of `whole`; `None` when there is nothing to divide.
fn share_percent(part: i64, whole: i64) -> Option<i64> {
    (whole > 0).then(|| (part * 100 + whole / 2) / whole)
}

fn percent_text(value: Option<i64>) -> String {
    value.map_or_else(|| NO_FIGURE.to_string(), |v| format!("{v}%"))
}

fn number_text(value: Option<i64>) -> String {
    value.map_or_else(|| NO_FIGURE.to_string(), |v| v.to_string())
}

/// A resolution time as whole hours below two days (short cases stay precise), as whole
/// days above; never "0 hours" for a complaint that took a few minutes.
fn resolve_duration(secs: i64) -> (i64, Key) {
    if secs < 48 * 3_600 {
        (((secs + 1_800) / 3_600).max(1), Key::FaHours)
    } else {
        ((secs + 43_200) / 86_400, Key::FaDays)
    }
}

/// A round axis maximum (1, 2 or 5 × 10ⁿ, at least `n`).
fn axis_max(n: i64) -> i64 {
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

/// The length of a bar for `value` out of `max`; a non-zero value always shows a sliver.
fn bar_length(value: i64, max: i64, full: f64) -> f64 {
    if value <= 0 || max <= 0 {
        0.0
    } else {
        (value as f64 / max as f64 * full).max(3.0)
    }
}

/// A label cut to `max` characters with an ellipsis (SVG text does not wrap).
fn shorten(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_string()
    } else {
        let cut: String = label.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

#[component]
fn FeedbackAnalysis() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        let q = query.read();
        filter_from_query(|k| q.get(k))
    });
    let analysis = Resource::new(move || filter.get(), load_feedback_analysis);
    let options = Resource::new(|| (), |_| load_feedback_analysis_options());
    view! {
        <section class="page feedback-analysis-page">
            <div class="page-head">
                <h1>{t(Key::FaTitle)}</h1>
                <A href="/feedback" attr:data-testid="analysis-back">{t(Key::FaBackToForms)}</A>
            </div>
            <p class="muted">{t(Key::FaIntro)}</p>
            <Transition fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    let filter = filter.get();
                    let options = match options.await {
                        Ok(o) => o,
                        Err(e) => return view! { <ErrorNotice error=e /> }.into_any(),
                    };
                    let (analysis, error) = match analysis.await {
                        Ok(a) => (Some(a), None),
                        Err(e) => (None, Some(e)),
                    };
                    view! {
                        <FilterForm options=options filter=filter.clone() error=error.clone() />
                        {error.map(|e| view! { <ErrorNotice error=e /> })}
                        {analysis.map(|a| view! { <AnalysisResult analysis=a filter=filter /> })}
                    }
                    .into_any()
                })}
            </Transition>
        </section>
    }
}

/// A select over id choices; "all" is the empty value, `current` stays selected.
fn id_select<L>(
    name: &'static str,
    label: Key,
    all: Key,
    choices: Vec<(i64, L)>,
    current: Option<i64>,
) -> impl IntoView
where
    L: Fn() -> String + Send + Sync + 'static,
{
    view! {
        <label>
            {t(label)}
            <select name=name data-testid=format!("analysis-{name}-filter")>
                <option value="">{t(all)}</option>
                {choices
                    .into_iter()
                    .map(|(id, text)| {
                        view! { <option value=id.to_string() selected=current == Some(id)>{text}</option> }
                    })
                    .collect_view()}
            </select>
        </label>
    }
}

/// Plain names as select labels.
fn named(choices: Vec<(i64, String)>) -> Vec<(i64, impl Fn() -> String + Send + Sync)> {
    choices
        .into_iter()
        .map(|(id, name)| (id, move || name.clone()))
        .collect()
}

/// The filters as a GET form, so a view is a shareable URL. Choices the user has none of
/// (no segments they may read, say) are left out.
#[component]
fn FilterForm(
    options: AnalysisOptions,
    filter: AnalysisFilter,
    error: Option<AppError>,
) -> impl IntoView {
    let i18n = use_i18n();
    let error = move || error.clone();
    let forms = options
        .forms
        .into_iter()
        .map(|(id, title)| (id, move || title.get(i18n.lang.get()).to_string()))
        .collect();
    let segments = (!options.segments.is_empty()).then(|| {
        id_select(
            "segment",
            Key::SegSegment,
            Key::SegAllCustomers,
            named(options.segments),
            filter.segment_id,
        )
    });
    let owners = (!options.owners.is_empty()).then(|| {
        id_select(
            "owner",
            Key::Owner,
            Key::AllOwners,
            named(options.owners),
            filter.owner_id,
        )
    });
    let teams = (!options.teams.is_empty()).then(|| {
        id_select(
            "team",
            Key::Team,
            Key::AllTeams,
            named(options.teams),
            filter.team_id,
        )
    });
    let search = (!filter.search.is_empty())
        .then(|| view! { <input type="hidden" name="q" value=filter.search.clone() /> });
    view! {
        <form method="get" action=PAGE_PATH class="filters fa-filters" data-testid="analysis-filters">
            {id_select("form", Key::FaForm, Key::FaAllForms, forms, filter.form_id)}
            <label>
                {t(Key::FaFrom)}
                <input type="date" name="from" value=filter.from.clone() data-testid="analysis-from" />
                {field_error(error.clone(), "from")}
            </label>
            <label>
                {t(Key::FaTo)}
                <input type="date" name="to" value=filter.to.clone() data-testid="analysis-to" />
                {field_error(error.clone(), "to")}
            </label>
            {segments}
            {field_error(error, "segment")}
            {owners}
            {teams}
            {search}
            <div class="fa-filter-actions">
                <button type="submit" class="primary" data-testid="analysis-apply">{t(Key::FaApply)}</button>
                <a class="button" href=PAGE_PATH>{t(Key::ClearFilters)}</a>
            </div>
        </form>
    }
}

#[component]
fn AnalysisResult(analysis: Analysis, filter: AnalysisFilter) -> impl IntoView {
    let has_responses = analysis.responses > 0;
    let summary = summary_cards(&analysis);
    let Analysis {
        by_month,
        questions,
        comments,
        may_read_comments,
        complaints,
        ..
    } = analysis;
    view! {
        {summary}
        {if has_responses {
            view! {
                <MonthsCard months=by_month />
                {(!questions.is_empty()).then(|| view! { <QuestionsCard questions=questions /> })}
            }
            .into_any()
        } else {
            view! { <p class="empty" data-testid="analysis-empty">{t(Key::FaNoResponses)}</p> }.into_any()
        }}
        {(may_read_comments && has_responses && filter.form_id.is_some()).then(|| {
            let query = kept_filters(&filter)
                .into_iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&");
            view! {
                <p><a href=format!("/feedback/export.csv?{query}") class="button secondary" download=true
                    data-testid="analysis-export">{t(Key::FaExportCsv)}</a></p>
            }
        })}
        {may_read_comments.then(|| view! { <CommentsCard comments=comments filter=filter /> })}
        <ComplaintsCard stats=complaints />
    }
}

fn summary_cards(a: &Analysis) -> impl IntoView {
    let i18n = use_i18n();
    let nps_answers = a.promoters + a.passives + a.detractors;
    let split = [
        (Key::FaPromoters, a.promoters),
        (Key::FaPassives, a.passives),
        (Key::FaDetractors, a.detractors),
    ]
    .into_iter()
    .map(|(label, n)| {
        let share = percent_text(share_percent(n, nps_answers));
        view! { <li>{t(label)} ": " <span class="num">{n}</span> " (" {share} ")"</li> }
    })
    .collect_view();
    let csat_answers = a.csat_answers;
    view! {
        <div class="cards fa-summary">
            <div class="stat" data-testid="analysis-responses">
                <span class="stat-label">{t(Key::FaResponses)}</span>
                <strong>{a.responses}</strong>
            </div>
            <div class="stat" data-testid="analysis-nps">
                <span class="stat-label">{t(Key::FaNps)}</span>
                <strong>{number_text(a.nps)}</strong>
                <span class="muted fa-hint">{t(Key::FaNpsHint)}</span>
                <ul class="fa-nps-split">{split}</ul>
            </div>
            <div class="stat" data-testid="analysis-csat">
                <span class="stat-label">{t(Key::FaCsat)}</span>
                <strong>{percent_text(a.csat)}</strong>
                <span class="muted fa-hint">
                    {move || i18n.t(Key::FaCsatAnswers).replace("{n}", &csat_answers.to_string())}
                </span>
            </div>
        </div>
    }
}

// Month chart geometry (SVG user units). Slots never get narrower than the month and
// NPS labels need; with many months the chart grows wider and its card scrolls.
const MONTH_CHART_MIN_W: f64 = 720.0;
const MONTH_CHART_H: f64 = 250.0;
const MONTH_SLOT_MIN: f64 = 46.0;
const MONTH_PLOT_LEFT: f64 = 48.0;
const MONTH_PLOT_TOP: f64 = 20.0;
const MONTH_PLOT_BOTTOM: f64 = 44.0;

/// Responses per month as bars with the count above each bar, the month and its NPS
/// written under it, and the same figures (plus CSAT) as a table.
#[component]
fn MonthsCard(months: Vec<MonthPoint>) -> impl IntoView {
    let i18n = use_i18n();
    let top = axis_max(months.iter().map(|m| m.responses).max().unwrap_or(0));
    let plot_h = MONTH_CHART_H - MONTH_PLOT_TOP - MONTH_PLOT_BOTTOM;
    let slot =
        ((MONTH_CHART_MIN_W - MONTH_PLOT_LEFT) / months.len().max(1) as f64).max(MONTH_SLOT_MIN);
    let width = MONTH_PLOT_LEFT + slot * months.len() as f64;
    let bar_w = slot * 0.6;
    let base = MONTH_PLOT_TOP + plot_h;
    let y_of = move |v: i64| base - v as f64 / top as f64 * plot_h;
    let ticks = {
        let mut values = vec![0, top / 2, top];
        values.dedup();
        values
            .into_iter()
            .map(|v| {
                let y = y_of(v);
                view! {
                    <line class="lc-grid" x1=MONTH_PLOT_LEFT x2=width y1=y y2=y />
                    <text class="lc-axis" x=MONTH_PLOT_LEFT - 6.0 y=y + 4.0 text-anchor="end">{v}</text>
                }
            })
            .collect_view()
    };
    let bars = months
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let centre = MONTH_PLOT_LEFT + slot * (i as f64 + 0.5);
            let h = bar_length(m.responses, top, plot_h);
            // "24-05": the century adds nothing and would crowd narrow slots.
            let month = m.month.get(2..).unwrap_or(&m.month).to_string();
            view! {
                <g class="fa-month" data-month=m.month.clone()>
                    <rect class="fa-bar" x=centre - bar_w / 2.0 y=base - h width=bar_w height=h />
                    <text class="fa-bar-figure" x=centre y=base - h - 5.0 text-anchor="middle">{m.responses}</text>
                    <text class="lc-axis" x=centre y=base + 15.0 text-anchor="middle">{month}</text>
                    <text class="fa-month-nps" x=centre y=base + 33.0 text-anchor="middle">{number_text(m.nps)}</text>
                </g>
            }
        })
        .collect_view();
    let rows = months
        .into_iter()
        .map(|m| {
            view! {
                <tr data-month=m.month.clone()>
                    <th scope="row">{m.month.clone()}</th>
                    <td class="num">{m.responses}</td>
                    <td class="num">{number_text(m.nps)}</td>
                    <td class="num">{percent_text(m.csat)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card fa-months-card" data-testid="analysis-months">
            <h2>{t(Key::FaOverTime)}</h2>
            <p class="muted">{t(Key::FaOverTimeCaption)}</p>
            <div class="fa-scroll">
                <svg
                    class="fa-month-chart"
                    viewBox=format!("0 0 {width} {MONTH_CHART_H}")
                    style=format!("min-width: {}px", width.round())
                    role="img"
                    aria-label=move || i18n.t(Key::FaOverTime)
                    aria-describedby="fa-months-table"
                >
                    {ticks}
                    <text class="fa-month-nps" x=MONTH_PLOT_LEFT - 6.0 y=base + 33.0 text-anchor="end">{t(Key::FaNps)}</text>
                    {bars}
                </svg>
            </div>
            <div class="table-wrap" tabindex="0">
                <table class="data fa-months" id="fa-months-table">
                    <caption>{t(Key::FaOverTimeCaption)}</caption>
                    <thead>
                        <tr>
                            <th scope="col">{t(Key::FaMonth)}</th>
                            <th scope="col">{t(Key::FaResponses)}</th>
                            <th scope="col">{t(Key::FaNps)}</th>
                            <th scope="col">{t(Key::FaCsat)}</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </section>
    }
}

// Horizontal bar geometry: each row is its label line, then the bar with its figure.
const HBAR_W: f64 = 720.0;
const HBAR_LABEL_H: f64 = 18.0;
const HBAR_H: f64 = 16.0;
const HBAR_GAP: f64 = 10.0;
const HBAR_MAX: f64 = 560.0;
const HBAR_LABEL_CHARS: usize = 90;

/// One bar per row with its label above and "count (share of `whole`)" beside it. The
/// chart is a labelled group rather than an image so screen readers read its text.
fn bar_rows<L>(
    rows: Vec<(L, i64)>,
    whole: i64,
    title: impl Fn() -> String + Send + Sync + 'static,
) -> impl IntoView
where
    L: Fn() -> String + Clone + Send + Sync + 'static,
{
    let max = rows.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let row_h = HBAR_LABEL_H + HBAR_H + HBAR_GAP;
    let height = row_h * rows.len() as f64;
    let bars = rows
        .into_iter()
        .enumerate()
        .map(|(i, (label, n))| {
            let y = row_h * i as f64;
            let length = bar_length(n, max, HBAR_MAX);
            let figure = match share_percent(n, whole) {
                Some(p) => format!("{n} ({p}%)"),
                None => n.to_string(),
            };
            let full = label.clone();
            view! {
                <g class="fa-hbar-row">
                    <text class="fa-hbar-label" x="0" y=y + 13.0>
                        <title>{full}</title>
                        {move || shorten(&label(), HBAR_LABEL_CHARS)}
                    </text>
                    <rect class="fa-track" x="0" y=y + HBAR_LABEL_H width=HBAR_MAX height=HBAR_H />
                    <rect class="fa-bar" x="0" y=y + HBAR_LABEL_H width=length height=HBAR_H />
                    <text class="fa-bar-figure" x=length + 8.0 y=y + HBAR_LABEL_H + 12.5>{figure}</text>
                </g>
            }
        })
        .collect_view();
    view! {
        <svg class="fa-hbar-chart" viewBox=format!("0 0 {HBAR_W} {height}") role="group" aria-label=title>
            {bars}
        </svg>
    }
}

#[component]
fn QuestionsCard(questions: Vec<QuestionStats>) -> impl IntoView {
    let i18n = use_i18n();
    let items = questions
        .into_iter()
        .map(|q| {
            let answered = q.answered;
            let kind = q.kind;
            let heading = q.label.clone();
            let chart_title = q.label.clone();
            // Text and e-mail answers have no buckets: they are read, not counted.
            let chart = (!q.buckets.is_empty()).then(|| {
                let rows = q
                    .buckets
                    .into_iter()
                    .map(|(label, n)| (move || label.get(i18n.lang.get()).to_string(), n))
                    .collect();
                bar_rows(rows, answered, move || {
                    chart_title.get(i18n.lang.get()).to_string()
                })
            });
            view! {
                <section class="fa-question" data-testid="analysis-question" data-key=q.key>
                    <h3>{move || heading.get(i18n.lang.get()).to_string()}</h3>
                    <p class="muted">
                        {t(kind.label())} " · "
                        {move || i18n.t(Key::FaAnswered).replace("{n}", &answered.to_string())}
                    </p>
                    {chart}
                </section>
            }
        })
        .collect_view();
    view! {
        <section class="card fa-questions">
            <h2>{t(Key::FaQuestions)}</h2>
            <p class="muted">{t(Key::FaQuestionsHint)}</p>
            {items}
        </section>
    }
}

/// The latest comments, searchable; texts are shown as plain text.
#[component]
fn CommentsCard(comments: Vec<CommentRow>, filter: AnalysisFilter) -> impl IntoView {
    let i18n = use_i18n();
    let hidden = kept_filters(&filter)
        .into_iter()
        .map(|(name, value)| view! { <input type="hidden" name=name value=value /> })
        .collect_view();
    let list = if comments.is_empty() {
        view! { <p class="empty" data-testid="analysis-no-comments">{t(Key::FaNoComments)}</p> }
            .into_any()
    } else {
        let items = comments
            .into_iter()
            .map(|c| {
                let nps = c.nps.map(|n| {
                    view! { <span class="fa-comment-nps">{t(Key::FaNps)} " " {n}</span> }
                });
                let customer = c.customer.map(|(id, name)| {
                    view! { <A href=format!("/customers/{id}")>{name}</A> }
                });
                view! {
                    <li class="fa-comment" data-testid="analysis-comment" data-response=c.response_id>
                        <p class="fa-comment-meta muted">
                            <time>{format_local_time(c.at)}</time>
                            {nps.map(|v| view! { " · " {v} })}
                            {customer.map(|v| view! { " · " {v} })}
                        </p>
                        <p class="fa-comment-text">{c.text}</p>
                    </li>
                }
            })
            .collect_view();
        view! { <ul class="fa-comments">{items}</ul> }.into_any()
    };
    view! {
        <section class="card" data-testid="analysis-comments">
            <h2>{t(Key::FaComments)}</h2>
            <form method="get" action=PAGE_PATH class="filters" role="search">
                {hidden}
                <input
                    type="search"
                    name="q"
                    value=filter.search
                    aria-label=move || i18n.t(Key::FaSearchComments)
                    placeholder=move || i18n.t(Key::FaSearchComments)
                    data-testid="analysis-search"
                />
                <button type="submit">{t(Key::FaSearch)}</button>
            </form>
            {list}
        </section>
    }
}

#[component]
fn ComplaintsCard(stats: ComplaintStats) -> impl IntoView {
    let i18n = use_i18n();
    let overdue = stats.overdue_percent().map(|p| {
        let (overdue, open) = (stats.overdue, stats.open);
        move || {
            i18n.t(Key::FaOverdueOfOpen)
                .replace("{pct}", &p.to_string())
                .replace("{overdue}", &overdue.to_string())
                .replace("{open}", &open.to_string())
        }
    });
    let median = stats.median_resolve_secs.map(|secs| {
        let (n, unit) = resolve_duration(secs);
        move || i18n.t(unit).replace("{n}", &n.to_string())
    });
    let chart = if stats.by_category.is_empty() {
        view! { <p class="empty">{t(Key::FaNoComplaints)}</p> }.into_any()
    } else {
        let rows = stats
            .by_category
            .into_iter()
            .map(|(category, n)| (move || category.clone(), n))
            .collect();
        view! {
            <h3>{t(Key::FaByCategory)}</h3>
            {bar_rows(rows, stats.total, move || i18n.t(Key::FaByCategory).to_string())}
        }
        .into_any()
    };
    view! {
        <section class="card fa-complaints" data-testid="analysis-complaints">
            <h2>{t(Key::FaComplaints)}</h2>
            <dl class="fa-figures">
                <div><dt>{t(Key::FaComplaintsTotal)}</dt><dd data-testid="analysis-complaints-total">{stats.total}</dd></div>
                <div><dt>{t(Key::FaComplaintsOpen)}</dt><dd data-testid="analysis-complaints-open">{stats.open}</dd></div>
                <div>
                    <dt>{t(Key::FaOverdueShare)}</dt>
                    <dd data-testid="analysis-complaints-overdue">{overdue.map(|v| v.into_any()).unwrap_or_else(|| NO_FIGURE.into_any())}</dd>
                </div>
                <div>
                    <dt>{t(Key::FaMedianResolve)}</dt>
                    <dd data-testid="analysis-complaints-median">{median.map(|v| v.into_any()).unwrap_or_else(|| NO_FIGURE.into_any())}</dd>
                </div>
            </dl>
            {chart}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> AnalysisFilter {
        filter_from_query(|k| {
            pairs
                .iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn the_url_gives_the_filter_and_bad_ids_mean_any() {
        let f = query(&[
            ("form", "3"),
            ("from", " 2024-01-01 "),
            ("owner", "abc"),
            ("team", ""),
            ("q", "late"),
        ]);
        assert_eq!(f.form_id, Some(3));
        assert_eq!(f.from, "2024-01-01");
        assert_eq!(f.to, "");
        assert_eq!(f.owner_id, None);
        assert_eq!(f.team_id, None);
        assert_eq!(f.search, "late");
    }

    #[test]
    fn the_search_form_keeps_every_other_filter() {
        let f = query(&[("form", "3"), ("to", "2024-02-01"), ("q", "late")]);
        assert_eq!(
            kept_filters(&f),
            vec![("form", "3".to_string()), ("to", "2024-02-01".to_string())]
        );
    }

    #[test]
    fn shares_round_and_need_a_whole() {
        assert_eq!(share_percent(1, 3), Some(33));
        assert_eq!(share_percent(2, 3), Some(67));
        assert_eq!(share_percent(0, 0), None);
        assert_eq!(percent_text(None), "—");
    }

    #[test]
    fn resolution_times_are_hours_below_two_days() {
        assert_eq!(resolve_duration(10 * 60), (1, Key::FaHours));
        assert_eq!(resolve_duration(5 * 3_600 + 1_900), (6, Key::FaHours));
        assert_eq!(resolve_duration(47 * 3_600), (47, Key::FaHours));
        assert_eq!(resolve_duration(48 * 3_600), (2, Key::FaDays));
        assert_eq!(resolve_duration(10 * 86_400 + 50_000), (11, Key::FaDays));
    }

    #[test]
    fn axes_and_bars_scale() {
        assert_eq!(axis_max(0), 1);
        assert_eq!(axis_max(7), 10);
        assert_eq!(axis_max(140), 200);
        assert_eq!(bar_length(0, 10, 100.0), 0.0);
        assert_eq!(bar_length(5, 10, 100.0), 50.0);
        assert_eq!(bar_length(1, 1_000, 100.0), 3.0);
    }

    #[test]
    fn long_labels_are_cut_with_an_ellipsis() {
        assert_eq!(shorten("short", 10), "short");
        assert_eq!(shorten("a long label here", 8), "a long…");
        assert_eq!(shorten("满意度非常高", 4), "满意度…");
    }
}
