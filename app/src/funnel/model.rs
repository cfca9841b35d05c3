//! The customer funnel (PRODUCT.md §5): acquired → converted → retained → expanded, its
//! maths and its filter. Pure Rust, shared by the server and the browser.
//!
//! Definitions (the service's SQL computes the same milestones; `milestones` below is
//! the reference in plain Rust):
//! - **Acquired**: the customer exists; its day is the UTC day of `created_at`, its
//!   cohort the month of that day.
//! - Orders are taken in order of date, ties on one date broken by order id (entry
//!   order), so "first" and "second" are always single, well-defined orders.
//! - **Converted**: has a first order. **Retained**: has a second order — a second order
//!   on the same day as the first counts (0 days between the steps).
//! - **Expanded**: has an order, other than the first, whose category is known and
//!   differs from the first order's category. An order without a category never counts
//!   as expansion, and a customer whose first order has no category cannot expand: with
//!   no known starting category, no later order can be shown to be in another one.
//!   Categories compare exactly as stored; an empty category is no category.
//!   Every expanded customer has at least two orders, so each step is a subset of the
//!   one before it.
//! - **Days between steps**: acquired → converted = first order day − created day, or 0
//!   when the first order predates the record (history imported with the customer);
//!   converted → retained = second − first; retained → expanded = expansion order day −
//!   second order day (never negative: the expansion order is the second or a later
//!   one).
//! - **Median** of an even number of values is the mean of the two middle ones (so it
//!   may end in .5); of no values, none.
//! - **Step conversion** = customers at the step ÷ customers at the previous step;
//!   **overall** = customers at the step ÷ acquired. Neither exists when the divisor is 0.

use crate::error::{AppError, FieldError};
use crate::i18n::Key;
use crate::ids::{TeamId, UserId};
use serde::{Deserialize, Serialize};

/// Longest source channel accepted as a filter value.
pub const SOURCE_MAX: usize = 200;

/// The four steps, in funnel order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FunnelStep {
    Acquired,
    Converted,
    Retained,
    Expanded,
}

impl FunnelStep {
    pub const ALL: [FunnelStep; 4] = [
        FunnelStep::Acquired,
        FunnelStep::Converted,
        FunnelStep::Retained,
        FunnelStep::Expanded,
    ];

    /// 1-based position, shown next to the step so the chart reads without colour.
    pub fn number(self) -> usize {
        self as usize + 1
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FunnelStep::Acquired => "acquired",
            FunnelStep::Converted => "converted",
            FunnelStep::Retained => "retained",
            FunnelStep::Expanded => "expanded",
        }
    }

    pub fn label(self) -> Key {
        match self {
            FunnelStep::Acquired => Key::FunnelAcquired,
            FunnelStep::Converted => Key::FunnelConverted,
            FunnelStep::Retained => Key::FunnelRetained,
            FunnelStep::Expanded => Key::FunnelExpanded,
        }
    }
}

/// One order as the milestone rule needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderFact {
    pub id: i64,
    pub day: i64,
    pub category: Option<String>,
}

/// A customer's milestone days (days since 1970-01-01).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milestones {
    pub created_day: i64,
    pub first_order: Option<i64>,
    pub second_order: Option<i64>,
    pub expansion: Option<i64>,
}

fn known(category: &Option<String>) -> Option<&str> {
    category.as_deref().filter(|c| !c.is_empty())
}

/// The milestones of one customer from all their orders (any order given).
pub fn milestones(created_day: i64, orders: &[OrderFact]) -> Milestones {
    let mut sorted: Vec<&OrderFact> = orders.iter().collect();
    sorted.sort_by_key(|o| (o.day, o.id));
    let first = sorted.first();
    let first_category = first.and_then(|o| known(&o.category));
    let expansion = first_category.and_then(|fc| {
        sorted
            .iter()
            .skip(1)
            .find(|o| known(&o.category).is_some_and(|c| c != fc))
            .map(|o| o.day)
    });
    Milestones {
        created_day,
        first_order: first.map(|o| o.day),
        second_order: sorted.get(1).map(|o| o.day),
        expansion,
    }
}

impl Milestones {
    /// The last step reached (every customer is at least acquired).
    pub fn reached(&self) -> FunnelStep {
        match (self.first_order, self.second_order, self.expansion) {
            (Some(_), Some(_), Some(_)) => FunnelStep::Expanded,
            (Some(_), Some(_), None) => FunnelStep::Retained,
            (Some(_), None, _) => FunnelStep::Converted,
            (None, _, _) => FunnelStep::Acquired,
        }
    }

    /// Days from the previous step to `step`, when the customer reached it.
    pub fn days_to(&self, step: FunnelStep) -> Option<i64> {
        match step {
            FunnelStep::Acquired => None,
            FunnelStep::Converted => self.first_order.map(|f| (f - self.created_day).max(0)),
            FunnelStep::Retained => Some(self.second_order? - self.first_order?),
            FunnelStep::Expanded => {
                self.first_order?;
                Some((self.expansion? - self.second_order?).max(0))
            }
        }
    }
}

/// The median; an even count takes the mean of the two middle values.
pub fn median(values: &mut [i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2] as f64
    } else {
        (values[n / 2 - 1] as f64 + values[n / 2] as f64) / 2.0
    })
}

/// `part` ÷ `whole` in percent, none when `whole` is 0.
pub fn rate(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
}

/// A rate for display: one decimal and `%`, or a dash when there is none.
pub fn format_rate(r: Option<f64>) -> String {
    r.map(|v| format!("{v:.1}%")).unwrap_or_else(|| "—".into())
}

/// A median for display: whole days without decimals, halves with one.
pub fn format_days(d: Option<f64>) -> String {
    match d {
        None => "—".into(),
        Some(v) if v.fract() == 0.0 => format!("{v:.0}"),
        Some(v) => format!("{v:.1}"),
    }
}

/// The figures of one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepFigures {
    pub step: FunnelStep,
    pub customers: i64,
    /// Of the previous step, in percent (none for the first step or an empty previous).
    pub of_previous: Option<f64>,
    /// Of the acquired customers, in percent.
    pub of_acquired: Option<f64>,
    /// Median days from the previous step to this one, over the customers who reached it.
    pub median_days: Option<f64>,
}

/// One acquisition cohort: the customers created in `month` (`YYYY-MM`) and how many
/// reached each step, in [`FunnelStep::ALL`] order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CohortRow {
    pub month: String,
    pub counts: [i64; 4],
}

/// The whole funnel and its cohort table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Funnel {
    pub steps: Vec<StepFigures>,
    /// Oldest cohort first; only months with at least one customer.
    pub cohorts: Vec<CohortRow>,
}

/// The funnel of a set of customers.
pub fn funnel(customers: &[Milestones]) -> Funnel {
    let mut counts = [0i64; 4];
    let mut gaps: [Vec<i64>; 4] = Default::default();
    let mut cohorts: std::collections::BTreeMap<Month, [i64; 4]> = Default::default();
    for m in customers {
        let reached = m.reached() as usize;
        let row = cohorts.entry(Month::of_day(m.created_day)).or_default();
        for (i, step) in FunnelStep::ALL.iter().enumerate().take(reached + 1) {
            counts[i] += 1;
            row[i] += 1;
            if let Some(d) = m.days_to(*step) {
                gaps[i].push(d);
            }
        }
    }
    let steps = FunnelStep::ALL
        .iter()
        .enumerate()
        .map(|(i, &step)| StepFigures {
            step,
            customers: counts[i],
            of_previous: if i == 0 {
                None
            } else {
                rate(counts[i], counts[i - 1])
            },
            of_acquired: rate(counts[i], counts[0]),
            median_days: median(&mut gaps[i]),
        })
        .collect();
    Funnel {
        steps,
        cohorts: cohorts
            .into_iter()
            .map(|(month, counts)| CohortRow {
                month: month.to_string(),
                counts,
            })
            .collect(),
    }
}

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Month {
    pub year: i64,
    pub month: u32,
}

impl Month {
    /// `YYYY-MM`, years 1900–2200.
    pub fn parse(raw: &str) -> Option<Month> {
        let (y, m) = raw.trim().split_once('-')?;
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        let (year, month): (i64, u32) = (y.parse().ok()?, m.parse().ok()?);
        ((1900..=2200).contains(&year) && (1..=12).contains(&month))
            .then_some(Month { year, month })
    }

    pub fn of_day(day: i64) -> Month {
        let (year, month, _) = crate::dates::civil_from_days(day);
        Month { year, month }
    }

    pub fn first_day(self) -> i64 {
        crate::dates::days_from_civil(self.year, self.month, 1)
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The filter as the URL and the form carry it (empty = no condition).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct FunnelQuery {
    /// First cohort month, `YYYY-MM`.
    pub from: String,
    /// Last cohort month, `YYYY-MM` (inclusive).
    pub to: String,
    pub owner: String,
    pub team: String,
    /// Acquisition channel (`source_channel`), exactly.
    pub source: String,
    /// A saved segment's id.
    pub segment: String,
}

impl FunnelQuery {
    /// The page's query string, without `?` (empty values left out).
    pub fn to_query_string(&self) -> String {
        [
            ("from", &self.from),
            ("to", &self.to),
            ("owner", &self.owner),
            ("team", &self.team),
            ("source", &self.source),
            ("segment", &self.segment),
        ]
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", crate::format::encode_component(v.trim())))
        .collect::<Vec<_>>()
        .join("&")
    }
}

/// A validated filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FunnelFilter {
    pub from: Option<Month>,
    pub to: Option<Month>,
    pub owner: Option<UserId>,
    pub team: Option<TeamId>,
    pub source: Option<String>,
    pub segment: Option<i64>,
}

fn positive_id(raw: &str) -> Result<Option<i64>, ()> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<i64>() {
        Ok(v) if v > 0 => Ok(Some(v)),
        _ => Err(()),
    }
}

impl FunnelFilter {
    /// Checks every field, reporting each bad one by its name.
    pub fn parse(q: &FunnelQuery) -> Result<FunnelFilter, AppError> {
        let mut errors = Vec::new();
        let mut month = |field: &str, raw: &str| {
            if raw.trim().is_empty() {
                return None;
            }
            let m = Month::parse(raw);
            if m.is_none() {
                errors.push(FieldError::new(field, Key::FunnelErrBadMonth));
            }
            m
        };
        let from = month("from", &q.from);
        let to = month("to", &q.to);
        let mut id = |field: &str, raw: &str| {
            positive_id(raw).unwrap_or_else(|()| {
                errors.push(FieldError::new(field, Key::FunnelErrBadId));
                None
            })
        };
        let owner = id("owner", &q.owner).map(UserId);
        let team = id("team", &q.team).map(TeamId);
        let segment = id("segment", &q.segment);
        let source = Some(q.source.trim()).filter(|s| !s.is_empty());
        if source.is_some_and(|s| s.chars().count() > SOURCE_MAX) {
            errors.push(FieldError::new("source", Key::ErrTooLong));
        }
        if let (Some(f), Some(t)) = (from, to) {
            if t < f {
                errors.push(FieldError::new("to", Key::FunnelErrRange));
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        Ok(FunnelFilter {
            from,
            to,
            owner,
            team,
            source: source.map(str::to_string),
            segment,
        })
    }

    /// The `created_at` range (Unix seconds, end exclusive) of the cohort months.
    pub fn created_range(&self) -> (Option<i64>, Option<i64>) {
        (
            self.from.map(|m| m.first_day() * 86_400),
            self.to.map(|m| m.next().first_day() * 86_400),
        )
    }
}

/// A choice in one of the filter selects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterChoice {
    pub value: String,
    pub label: String,
}

/// What the filter selects offer the viewer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterOptions {
    pub owners: Vec<FilterChoice>,
    pub teams: Vec<FilterChoice>,
    pub sources: Vec<FilterChoice>,
    pub segments: Vec<FilterChoice>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(id: i64, day: i64, category: Option<&str>) -> OrderFact {
        OrderFact {
            id,
            day,
            category: category.map(str::to_string),
        }
    }

    fn m(created: i64, first: Option<i64>, second: Option<i64>, exp: Option<i64>) -> Milestones {
        Milestones {
            created_day: created,
            first_order: first,
            second_order: second,
            expansion: exp,
        }
    }

    #[test]
    fn empty_data_has_four_empty_steps_and_no_cohorts() {
        let f = funnel(&[]);
        assert_eq!(f.steps.len(), 4);
        for s in &f.steps {
            assert_eq!(s.customers, 0);
            assert_eq!(s.of_previous, None);
            assert_eq!(s.of_acquired, None);
            assert_eq!(s.median_days, None);
        }
        assert!(f.cohorts.is_empty());
    }

    #[test]
    fn a_single_customer_without_orders_is_only_acquired() {
        let f = funnel(&[m(100, None, None, None)]);
        let counts: Vec<i64> = f.steps.iter().map(|s| s.customers).collect();
        assert_eq!(counts, [1, 0, 0, 0]);
        assert_eq!(f.steps[0].of_acquired, Some(100.0));
        assert_eq!(f.steps[1].of_previous, Some(0.0));
        assert_eq!(f.steps[2].of_previous, None, "nobody converted");
        assert_eq!(f.steps[1].median_days, None);
        assert_eq!(
            f.cohorts,
            [CohortRow {
                month: "1970-04".into(),
                counts: [1, 0, 0, 0]
            }]
        );
    }

    #[test]
    fn a_single_customer_through_every_step() {
        let ms = milestones(
            10,
            &[
                order(3, 40, Some("hardware")),
                order(1, 15, Some("hardware")),
                order(2, 25, Some("service")),
            ],
        );
        assert_eq!(ms, m(10, Some(15), Some(25), Some(25)));
        let f = funnel(&[ms]);
        let counts: Vec<i64> = f.steps.iter().map(|s| s.customers).collect();
        assert_eq!(counts, [1, 1, 1, 1]);
        let medians: Vec<Option<f64>> = f.steps.iter().map(|s| s.median_days).collect();
        assert_eq!(medians, [None, Some(5.0), Some(10.0), Some(0.0)]);
        assert_eq!(f.steps[3].of_previous, Some(100.0));
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [7]), Some(7.0));
        assert_eq!(median(&mut [9, 1, 4]), Some(4.0));
        assert_eq!(median(&mut [4, 1, 9, 2]), Some(3.0));
        assert_eq!(median(&mut [1, 2]), Some(1.5));
        assert_eq!(median(&mut [5, 5, 6, 6]), Some(5.5));
    }

    #[test]
    fn step_medians_use_only_customers_who_reached_the_step() {
        let f = funnel(&[
            m(0, Some(2), None, None),
            m(0, Some(3), Some(3), None),
            m(0, Some(10), Some(14), None),
            m(0, None, None, None),
        ]);
        // Converted: 2, 3, 10 → 3. Retained: 0, 4 → 2.
        assert_eq!(f.steps[1].median_days, Some(3.0));
        assert_eq!(f.steps[2].median_days, Some(2.0));
        assert_eq!(f.steps[1].of_previous, Some(75.0));
        assert_eq!(f.steps[2].of_previous, Some(200.0 / 3.0));
        assert_eq!(f.steps[2].of_acquired, Some(50.0));
    }

    #[test]
    fn a_same_day_second_order_retains_with_zero_days() {
        let ms = milestones(0, &[order(8, 30, Some("a")), order(5, 30, Some("a"))]);
        assert_eq!(ms, m(0, Some(30), Some(30), None));
        assert_eq!(ms.reached(), FunnelStep::Retained);
        assert_eq!(ms.days_to(FunnelStep::Retained), Some(0));
    }

    #[test]
    fn same_day_ties_take_the_lower_order_id_first() {
        // Order 5 (software) is the first; 8 (hardware), the same day, expands.
        let ms = milestones(
            0,
            &[
                order(8, 30, Some("hardware")),
                order(5, 30, Some("software")),
            ],
        );
        assert_eq!(ms, m(0, Some(30), Some(30), Some(30)));
    }

    #[test]
    fn expansion_needs_a_known_different_category_after_the_first_order() {
        // Same category only: retained, not expanded.
        let same = milestones(0, &[order(1, 1, Some("a")), order(2, 2, Some("a"))]);
        assert_eq!(same.reached(), FunnelStep::Retained);
        // An order without a category never expands; the next categorised one does.
        let later = milestones(
            0,
            &[
                order(1, 1, Some("a")),
                order(2, 2, None),
                order(3, 3, Some("")),
                order(4, 9, Some("b")),
            ],
        );
        assert_eq!(later.expansion, Some(9));
        assert_eq!(later.days_to(FunnelStep::Expanded), Some(7));
        // A first order without a category: no expansion, whatever follows.
        let unknown_start = milestones(
            0,
            &[
                order(1, 1, None),
                order(2, 2, Some("a")),
                order(3, 3, Some("b")),
            ],
        );
        assert_eq!(unknown_start.expansion, None);
        assert_eq!(unknown_start.reached(), FunnelStep::Retained);
        // A single order cannot expand, even in a category.
        let one = milestones(0, &[order(1, 1, Some("a"))]);
        assert_eq!(one.reached(), FunnelStep::Converted);
        // Categories compare exactly.
        let case = milestones(0, &[order(1, 1, Some("a")), order(2, 2, Some("A"))]);
        assert_eq!(case.expansion, Some(2));
    }

    #[test]
    fn orders_before_the_record_was_created_count_zero_days() {
        let ms = milestones(100, &[order(1, 40, Some("a")), order(2, 60, Some("a"))]);
        assert_eq!(ms.days_to(FunnelStep::Converted), Some(0));
        assert_eq!(ms.days_to(FunnelStep::Retained), Some(20));
    }

    #[test]
    fn cohorts_group_by_created_month_oldest_first() {
        let jan = crate::dates::parse_date("2026-01-31").unwrap();
        let feb = crate::dates::parse_date("2026-02-01").unwrap();
        let f = funnel(&[
            m(feb, Some(feb), None, None),
            m(jan, None, None, None),
            m(jan, Some(jan + 3), Some(jan + 4), Some(jan + 4)),
        ]);
        assert_eq!(
            f.cohorts,
            [
                CohortRow {
                    month: "2026-01".into(),
                    counts: [2, 1, 1, 1]
                },
                CohortRow {
                    month: "2026-02".into(),
                    counts: [1, 1, 0, 0]
                },
            ]
        );
    }

    #[test]
    fn display_of_rates_and_days() {
        assert_eq!(format_rate(rate(1, 3)), "33.3%");
        assert_eq!(format_rate(rate(1, 0)), "—");
        assert_eq!(format_days(Some(12.0)), "12");
        assert_eq!(format_days(Some(2.5)), "2.5");
        assert_eq!(format_days(None), "—");
    }

    #[test]
    fn months_parse_strictly_and_bound_the_created_range() {
        assert_eq!(
            Month::parse("2026-11"),
            Some(Month {
                year: 2026,
                month: 11
            })
        );
        for bad in [
            "2026-13", "2026-00", "26-11", "2026-1", "2026/11", "", "abcd-ef", "1899-12",
        ] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
        let f = FunnelFilter::parse(&FunnelQuery {
            from: "2025-12".into(),
            to: "2025-12".into(),
            ..Default::default()
        })
        .unwrap();
        let (start, end) = f.created_range();
        assert_eq!(
            start,
            Some(crate::dates::parse_date("2025-12-01").unwrap() * 86_400)
        );
        assert_eq!(
            end,
            Some(crate::dates::parse_date("2026-01-01").unwrap() * 86_400)
        );
    }

    #[test]
    fn the_filter_names_every_bad_field() {
        let err = FunnelFilter::parse(&FunnelQuery {
            from: "2026-13".into(),
            to: "soon".into(),
            owner: "bob".into(),
            team: "-3".into(),
            source: "x".repeat(SOURCE_MAX + 1),
            segment: "1.5".into(),
        })
        .unwrap_err();
        for (field, key) in [
            ("from", Key::FunnelErrBadMonth),
            ("to", Key::FunnelErrBadMonth),
            ("owner", Key::FunnelErrBadId),
            ("team", Key::FunnelErrBadId),
            ("segment", Key::FunnelErrBadId),
            ("source", Key::ErrTooLong),
        ] {
            assert_eq!(err.field_error(field), Some(key), "{field}");
        }
        let reversed = FunnelFilter::parse(&FunnelQuery {
            from: "2026-05".into(),
            to: "2026-04".into(),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(reversed.field_error("to"), Some(Key::FunnelErrRange));
    }

    #[test]
    fn a_good_filter_is_trimmed_and_typed() {
        let q = FunnelQuery {
            from: " 2026-01 ".into(),
            to: "".into(),
            owner: "7".into(),
            team: " 2".into(),
            source: "  web ".into(),
            segment: "".into(),
        };
        let f = FunnelFilter::parse(&q).unwrap();
        assert_eq!(
            f,
            FunnelFilter {
                from: Some(Month {
                    year: 2026,
                    month: 1
                }),
                to: None,
                owner: Some(UserId(7)),
                team: Some(TeamId(2)),
                source: Some("web".into()),
                segment: None,
            }
        );
        assert_eq!(
            q.to_query_string(),
            "from=2026-01&owner=7&team=2&source=web"
        );
        assert_eq!(
            FunnelFilter::parse(&FunnelQuery::default()).unwrap(),
            FunnelFilter::default()
        );
    }
}
