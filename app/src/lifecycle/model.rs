//! Lifecycle stages (PRODUCT.md §5), pure: the stage on a date, and the replay of a
//! customer's orders into dated spans of constant stage.
//!
//! The rules, first match wins, for a reference day D (orders after D are ignored;
//! "within k days" means D − date ≤ k):
//! - **lead** — no order on or before D;
//! - **new** — the first order within `new_days`;
//! - **reactivated** — the last order within `active_days`, and the gap between the last
//!   two orders longer than `active_days`;
//! - **active** — the last order within `active_days`;
//! - **silent** — the last order within `churn_days`;
//! - **churned** — otherwise.
//!
//! Orders are counted by their dates: several orders on one day are one purchase date, so
//! "the last two orders" are the two latest distinct order dates (a customer who comes
//! back after a long absence and places two orders that day is reactivated).

use crate::error::{AppError, FieldError};
use crate::i18n::Key;
use serde::{Deserialize, Serialize};

/// Settings key of the thresholds (JSON of [`Thresholds`]).
pub const THRESHOLDS_KEY: &str = "lifecycle.thresholds";

/// Longest threshold accepted, in days (ten years).
pub const MAX_THRESHOLD_DAYS: i64 = 3650;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Lead,
    New,
    Active,
    Reactivated,
    Silent,
    Churned,
}

impl Stage {
    /// In the order the page lists them: from prospect to lost.
    pub const ALL: [Stage; 6] = [
        Stage::Lead,
        Stage::New,
        Stage::Active,
        Stage::Reactivated,
        Stage::Silent,
        Stage::Churned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Lead => "lead",
            Stage::New => "new",
            Stage::Active => "active",
            Stage::Reactivated => "reactivated",
            Stage::Silent => "silent",
            Stage::Churned => "churned",
        }
    }

    pub fn parse(s: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }

    pub fn label(self) -> Key {
        match self {
            Stage::Lead => Key::LcStageLead,
            Stage::New => Key::LcStageNew,
            Stage::Active => Key::LcStageActive,
            Stage::Reactivated => Key::LcStageReactivated,
            Stage::Silent => Key::LcStageSilent,
            Stage::Churned => Key::LcStageChurned,
        }
    }

    /// Position in [`Stage::ALL`].
    pub fn index(self) -> usize {
        Stage::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }
}

/// The admin-set thresholds, in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thresholds {
    pub new_days: i64,
    pub active_days: i64,
    pub churn_days: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            new_days: 30,
            active_days: 90,
            churn_days: 180,
        }
    }
}

impl Thresholds {
    /// Each threshold 1–3650 days, `new_days ≤ active_days < churn_days`: a customer is
    /// new no longer than it could be active, and goes silent before it churns (with
    /// `active_days ≥ churn_days` no one would ever be silent).
    pub fn validate(&self) -> Result<(), AppError> {
        let mut errors = Vec::new();
        for (field, v) in [
            ("new_days", self.new_days),
            ("active_days", self.active_days),
            ("churn_days", self.churn_days),
        ] {
            if !(1..=MAX_THRESHOLD_DAYS).contains(&v) {
                errors.push(FieldError::new(field, Key::LcErrDays));
            }
        }
        if errors.is_empty() {
            if self.new_days > self.active_days {
                errors.push(FieldError::new("new_days", Key::LcErrNewAfterActive));
            }
            if self.active_days >= self.churn_days {
                errors.push(FieldError::new("churn_days", Key::LcErrChurnNotAfterActive));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(errors))
        }
    }

    /// Parses the form's three fields.
    pub fn parse_form(
        new_days: &str,
        active_days: &str,
        churn_days: &str,
    ) -> Result<Self, AppError> {
        let mut errors = Vec::new();
        let mut num = |field: &str, raw: &str| match raw.trim().parse::<i64>() {
            Ok(v) => v,
            Err(_) => {
                errors.push(FieldError::new(field, Key::LcErrDays));
                0
            }
        };
        let t = Thresholds {
            new_days: num("new_days", new_days),
            active_days: num("active_days", active_days),
            churn_days: num("churn_days", churn_days),
        };
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        t.validate()?;
        Ok(t)
    }
}

/// The stage on day `d`, from order days sorted ascending (duplicates allowed).
pub fn stage_at(order_days: &[i64], d: i64, t: &Thresholds) -> Stage {
    debug_assert!(order_days.windows(2).all(|w| w[0] <= w[1]));
    let known = &order_days[..order_days.partition_point(|&o| o <= d)];
    let (Some(&first), Some(&last)) = (known.first(), known.last()) else {
        return Stage::Lead;
    };
    if d - first <= t.new_days {
        return Stage::New;
    }
    let since_last = d - last;
    if since_last <= t.active_days {
        // The latest order date before the last one.
        let before_last = known[..known.partition_point(|&o| o < last)].last();
        return match before_last {
            Some(&prev) if last - prev > t.active_days => Stage::Reactivated,
            _ => Stage::Active,
        };
    }
    if since_last <= t.churn_days {
        Stage::Silent
    } else {
        Stage::Churned
    }
}

/// A stretch of days with one stage: `starts` inclusive, `ends` exclusive (`None`: open).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub stage: Stage,
    pub starts: i64,
    pub ends: Option<i64>,
}

impl Span {
    pub fn contains(&self, d: i64) -> bool {
        self.starts <= d && self.ends.is_none_or(|e| d < e)
    }
}

/// The first day of a customer's history: the day it was created, or its first order if
/// that is earlier (orders imported from before the customer was entered). A customer
/// created before its first order starts as a lead; one whose history starts with an
/// order never was one.
pub fn history_start(order_days: &[i64], created_day: i64) -> i64 {
    order_days
        .first()
        .map_or(created_day, |&f| f.min(created_day))
}

/// The customer's whole stage history, replayed from its order days (sorted ascending):
/// consecutive spans from [`history_start`] on, the last one open. The spans include the
/// changes that follow from the passage of time alone, also those still in the future
/// (`active` → `silent` on the day after the last order + `active_days`): the stage on
/// any day is the span containing it, with no daily recomputation.
pub fn spans(order_days: &[i64], created_day: i64, t: &Thresholds) -> Vec<Span> {
    let start = history_start(order_days, created_day);
    // The stage can change only on an order day or the day after a threshold runs out
    // counted from an order; between two such days every rule's answer is fixed.
    let mut changes = Vec::with_capacity(order_days.len() * 3 + 2);
    changes.push(start);
    if let Some(&first) = order_days.first() {
        changes.push(first + t.new_days + 1);
    }
    let mut previous = None;
    for &o in order_days {
        if previous == Some(o) {
            continue;
        }
        previous = Some(o);
        changes.extend([o, o + t.active_days + 1, o + t.churn_days + 1]);
    }
    changes.sort_unstable();
    changes.dedup();
    let mut out: Vec<Span> = Vec::new();
    for day in changes.into_iter().filter(|&d| d >= start) {
        let stage = stage_at(order_days, day, t);
        match out.last_mut() {
            Some(last) if last.stage == stage => {}
            Some(last) => {
                last.ends = Some(day);
                out.push(Span {
                    stage,
                    starts: day,
                    ends: None,
                });
            }
            None => out.push(Span {
                stage,
                starts: day,
                ends: None,
            }),
        }
    }
    out
}

/// The stage on `d` by a customer's spans; `None` before its history starts.
pub fn stage_in(spans: &[Span], d: i64) -> Option<Stage> {
    spans.iter().find(|s| s.contains(d)).map(|s| s.stage)
}

// ---------------------------------------------------------------------------------------
// What the pages show

/// Customers per stage, in [`Stage::ALL`] order.
pub type StageCounts = [i64; 6];

/// Customers per stage at the end of a month (for the current month: today).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthCounts {
    /// `YYYY-MM`.
    pub month: String,
    /// The day the counts are taken on, `YYYY-MM-DD`.
    pub as_of: String,
    pub counts: StageCounts,
}

impl MonthCounts {
    pub fn total(&self) -> i64 {
        self.counts.iter().sum()
    }
}

/// How many stage changes from one stage to another began in a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    pub from: Stage,
    pub to: Stage,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecyclePageData {
    pub today: String,
    pub thresholds: Thresholds,
    pub now: StageCounts,
    pub months: Vec<MonthCounts>,
    /// The flows' period, inclusive, `YYYY-MM-DD`.
    pub flows_from: String,
    pub flows_to: String,
    pub flows: Vec<Flow>,
    pub may_configure: bool,
}

/// A customer's stage today and since when; its changes up to today, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerStage {
    pub stage: Stage,
    /// The day the current stage began (`None` for a lead without orders).
    pub since: Option<String>,
}

/// Months shown by the chart.
pub const CHART_MONTHS: usize = 12;

/// The last `n` months up to the one containing `today`, oldest first, as
/// (`YYYY-MM`, the day counted on): the month's last day, or `today` for this month.
pub fn chart_months(today: i64, n: usize) -> Vec<(String, i64)> {
    let (mut y, mut m, _) = crate::dates::civil_from_days(today);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let day = if i == 0 {
            today
        } else {
            let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            crate::dates::days_from_civil(ny, nm, 1) - 1
        };
        out.push((format!("{y:04}-{m:02}"), day));
        if m == 1 {
            y -= 1;
            m = 12;
        } else {
            m -= 1;
        }
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Thresholds = Thresholds {
        new_days: 30,
        active_days: 90,
        churn_days: 180,
    };

    fn at(orders: &[i64], d: i64) -> Stage {
        stage_at(orders, d, &T)
    }

    #[test]
    fn codes_round_trip() {
        for s in Stage::ALL {
            assert_eq!(Stage::parse(s.as_str()), Some(s));
            assert_eq!(Stage::ALL[s.index()], s);
        }
        assert_eq!(Stage::parse("dormant"), None);
    }

    #[test]
    fn lead_until_the_first_order_and_orders_after_d_ignored() {
        assert_eq!(at(&[], 100), Stage::Lead);
        assert_eq!(at(&[100], 99), Stage::Lead);
        assert_eq!(at(&[100], 100), Stage::New);
        // A later order does not change the stage on an earlier day.
        assert_eq!(at(&[0, 500], 200), Stage::Churned);
        assert_eq!(at(&[0, 95, 500], 100), Stage::Reactivated);
        assert_eq!(at(&[0, 95, 95, 500], 100), Stage::Reactivated);
        assert_eq!(at(&[0, 95, 96, 500], 100), Stage::Active);
    }

    #[test]
    fn new_for_exactly_new_days() {
        assert_eq!(at(&[0], 30), Stage::New);
        assert_eq!(at(&[0], 31), Stage::Active);
        // New depends on the first order, whatever came after.
        assert_eq!(at(&[0, 10, 20], 30), Stage::New);
        assert_eq!(at(&[0, 10, 20], 31), Stage::Active);
    }

    #[test]
    fn active_silent_churned_boundaries() {
        assert_eq!(at(&[0], 90), Stage::Active);
        assert_eq!(at(&[0], 91), Stage::Silent);
        assert_eq!(at(&[0], 180), Stage::Silent);
        assert_eq!(at(&[0], 181), Stage::Churned);
        assert_eq!(at(&[0, 50], 140), Stage::Active);
        assert_eq!(at(&[0, 50], 141), Stage::Silent);
        assert_eq!(at(&[0, 50], 230), Stage::Silent);
        assert_eq!(at(&[0, 50], 231), Stage::Churned);
    }

    #[test]
    fn reactivation_needs_a_gap_longer_than_active_days() {
        // Gap of exactly 90 days: active, not reactivated.
        assert_eq!(at(&[0, 90], 120), Stage::Active);
        // 91 days: reactivated, while the last order is within 90 days.
        assert_eq!(at(&[0, 91], 121), Stage::Reactivated);
        assert_eq!(at(&[0, 91], 181), Stage::Reactivated);
        assert_eq!(at(&[0, 91], 182), Stage::Silent);
        // New wins over reactivated while the first order is recent (needs new_days ≥ gap,
        // so with these thresholds only the rule order is checked here).
        let wide = Thresholds {
            new_days: 90,
            active_days: 90,
            churn_days: 180,
        };
        assert_eq!(stage_at(&[0, 91], 91, &wide), Stage::Reactivated);
        assert_eq!(stage_at(&[0, 50], 60, &wide), Stage::New);
        // A further order soon after the return ends the reactivation.
        assert_eq!(at(&[0, 200, 210], 215), Stage::Active);
    }

    #[test]
    fn same_day_orders_are_one_purchase_date() {
        assert_eq!(at(&[0, 0, 0], 0), Stage::New);
        assert_eq!(at(&[0, 0], 31), Stage::Active);
        // Two orders on the day of return: the gap is to the previous date.
        assert_eq!(at(&[0, 200, 200], 200), Stage::Reactivated);
        assert_eq!(at(&[0, 200, 200], 210), Stage::Reactivated);
        assert_eq!(at(&[0, 200, 200], 291), Stage::Silent);
    }

    #[test]
    fn thresholds_are_validated_with_field_errors() {
        assert!(T.validate().is_ok());
        assert!(Thresholds::default().validate().is_ok());
        let bad = |t: Thresholds| match t.validate() {
            Err(AppError::Validation(e)) => e.into_iter().map(|e| e.field).collect::<Vec<_>>(),
            other => panic!("expected a validation error, got {other:?}"),
        };
        assert_eq!(bad(Thresholds { new_days: 0, ..T }), ["new_days"]);
        assert_eq!(
            bad(Thresholds {
                churn_days: 4000,
                ..T
            }),
            ["churn_days"]
        );
        assert_eq!(bad(Thresholds { new_days: 91, ..T }), ["new_days"]);
        assert_eq!(
            bad(Thresholds {
                churn_days: 90,
                ..T
            }),
            ["churn_days"]
        );
        // new = active and active one day short of churn are fine.
        assert!(Thresholds {
            new_days: 90,
            active_days: 90,
            churn_days: 91
        }
        .validate()
        .is_ok());
        assert!(Thresholds::parse_form("30", "x", "180").is_err());
        assert_eq!(Thresholds::parse_form(" 30", "90 ", "180").unwrap(), T);
    }

    #[test]
    fn spans_of_a_single_order() {
        assert_eq!(
            spans(&[10], 0, &T),
            vec![
                Span {
                    stage: Stage::Lead,
                    starts: 0,
                    ends: Some(10)
                },
                Span {
                    stage: Stage::New,
                    starts: 10,
                    ends: Some(41)
                },
                Span {
                    stage: Stage::Active,
                    starts: 41,
                    ends: Some(101)
                },
                Span {
                    stage: Stage::Silent,
                    starts: 101,
                    ends: Some(191)
                },
                Span {
                    stage: Stage::Churned,
                    starts: 191,
                    ends: None
                },
            ]
        );
        // Orders from before the customer was entered: the history starts with them.
        assert_eq!(
            spans(&[10], 50, &T)[0],
            Span {
                stage: Stage::New,
                starts: 10,
                ends: Some(41)
            }
        );
        assert_eq!(
            spans(&[], 7, &T),
            vec![Span {
                stage: Stage::Lead,
                starts: 7,
                ends: None
            }]
        );
    }

    #[test]
    fn spans_of_a_return() {
        let s = spans(&[0, 300], 0, &T);
        let stages: Vec<_> = s.iter().map(|s| (s.stage, s.starts)).collect();
        assert_eq!(
            stages,
            vec![
                (Stage::New, 0),
                (Stage::Active, 31),
                (Stage::Silent, 91),
                (Stage::Churned, 181),
                (Stage::Reactivated, 300),
                (Stage::Silent, 391),
                (Stage::Churned, 481),
            ]
        );
    }

    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    /// On generated histories and thresholds, the span containing each day has the stage
    /// the rules give for that day; spans are consecutive, non-empty, and change stage.
    #[test]
    fn spans_agree_with_the_rules_on_every_day() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for case in 0..400 {
            let new_days = 1 + rng.below(60) as i64;
            let active_days = new_days + rng.below(60) as i64;
            let t = Thresholds {
                new_days,
                active_days,
                churn_days: active_days + 1 + rng.below(90) as i64,
            };
            let n = rng.below(8) as usize;
            let mut orders: Vec<i64> = (0..n).map(|_| rng.below(600) as i64).collect();
            if case % 5 == 0 && !orders.is_empty() {
                let again = orders[0];
                orders.push(again);
                // Gaps of exactly active_days and one more.
                orders.push(again + t.active_days + (case % 2) as i64);
            }
            orders.sort_unstable();
            let created = rng.below(600) as i64;
            let s = spans(&orders, created, &t);
            let start = history_start(&orders, created);
            assert_eq!(s[0].starts, start);
            assert!(s.last().unwrap().ends.is_none());
            for w in s.windows(2) {
                assert_eq!(w[0].ends, Some(w[1].starts));
                assert!(w[0].starts < w[1].starts);
                assert_ne!(w[0].stage, w[1].stage);
            }
            for d in start..start + 1200 {
                assert_eq!(
                    stage_in(&s, d),
                    Some(stage_at(&orders, d, &t)),
                    "day {d}, orders {orders:?}, created {created}, {t:?}"
                );
            }
            assert_eq!(stage_in(&s, start - 1), None);
        }
    }

    #[test]
    fn chart_months_end_with_today() {
        let today = crate::dates::parse_date("2026-03-15").unwrap();
        let m = chart_months(today, 4);
        let shown: Vec<_> = m
            .iter()
            .map(|(k, d)| (k.as_str(), crate::dates::iso_date(*d)))
            .collect();
        assert_eq!(
            shown,
            vec![
                ("2025-12", "2025-12-31".to_string()),
                ("2026-01", "2026-01-31".to_string()),
                ("2026-02", "2026-02-28".to_string()),
                ("2026-03", "2026-03-15".to_string()),
            ]
        );
    }
}
