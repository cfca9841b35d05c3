//! The churn risk score: pure, explainable, with its reasons in words and figures.
//!
//! # The formula
//!
//! A customer with no order on or before the scan date is not scored. Otherwise, as of
//! day `D`, the score is `min(100, lapse + activity + overdue + feedback)`, each term an integer
//! (rounded half up) that appears as a reason when it is above zero:
//!
//! - **lapse** (up to `lapse_weight`): `gap` is the customer's usual gap — the median of
//!   the gaps between consecutive distinct order days (two middle values: their mean); a
//!   customer with a single order day takes the median of every customer's usual gap (the
//!   population); never less than `min_gap_days`. With `days` = `D` − last order day and
//!   `r = ⌊100 × days / gap⌋` (the lapse in hundredths of the usual gap),
//!   `lapse = lapse_weight × clamp(r − lapse_start_pct, 0, span) / span` where
//!   `span = lapse_full_pct − lapse_start_pct`. No population gap (nobody ordered twice):
//!   a single-order customer's lapse is not scored.
//! - **activity** (up to `activity_weight`): `recent` = activities in the 90 days ending
//!   on `D`, `previous` = in the 90 days before those. When `previous ≥
//!   activity_min_previous` and `recent < previous`:
//!   `activity = activity_weight × (previous − recent) / previous`.
//! - **overdue** (up to `overdue_weight`): payments unpaid after their due date (due
//!   before `D`). With `longest` = days since the oldest such due date:
//!   `overdue = overdue_weight × (full + min(longest, full)) / (2 × full)`, `full` =
//!   `overdue_full_days` — half the weight for any overdue payment, the rest as it ages.
//! - **feedback** (up to `feedback_weight`): the customer's latest answer with an NPS
//!   (0–10) given in the 180 days ending on `D`. A detractor (`nps ≤ 6`) gives
//!   `feedback = feedback_weight × (7 − nps) / 7` — the full weight for a 0; passives
//!   and promoters give nothing. A newer answer replaces an older one, so a customer who
//!   answers better later loses the term; the answer counts from the next scan.
//!
//! A score of at least `warning_at` opens a warning episode (see `service.rs`).
//!
//! **Value at stake** (the at-risk list's order): the customer's order revenue over the
//! 365 days ending on their last order — what a year of this customer was worth while they
//! were buying, which a lapsed customer's trailing revenue would hide.

use crate::auth::model::Problems;
use crate::dates::iso_date;
use crate::error::{AppError, FieldError};
use crate::format::format_cents;
use crate::i18n::{Key, Lang};
use crate::ids::{CustomerId, TaskId};
use serde::{Deserialize, Serialize};

/// The `settings` key holding [`ChurnConfig`] as JSON.
pub const CONFIG_KEY: &str = "churn.config";
/// The `settings` key holding the last scan ([`LastScan`]) as JSON.
pub const LAST_SCAN_KEY: &str = "churn.last_scan";
/// The job name of the scan in `job_leases`.
pub const JOB_NAME: &str = "churn";
/// Length of each activity window.
pub const ACTIVITY_WINDOW_DAYS: i64 = 90;
/// The value at stake covers this many days up to the last order.
pub const VALUE_WINDOW_DAYS: i64 = 365;
/// Follow-up tasks are due this many days after the warning opens.
pub const TASK_DUE_DAYS: i64 = 3;
/// An NPS answer counts for this many days ending on the scan date.
pub const FEEDBACK_WINDOW_DAYS: i64 = 180;
/// NPS answers up to this are detractors.
pub const DETRACTOR_MAX_NPS: i64 = 6;
/// Rows per page of the at-risk list.
pub const AT_RISK_PAGE: usize = 50;

/// Thresholds and weights of the score, and the scan's schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChurnConfig {
    /// A score at or above this opens a warning.
    pub warning_at: i64,
    pub lapse_weight: i64,
    /// Lapse points start above this many hundredths of the usual gap…
    pub lapse_start_pct: i64,
    /// …and reach the full weight here.
    pub lapse_full_pct: i64,
    /// The usual gap is never taken as shorter than this.
    pub min_gap_days: i64,
    pub activity_weight: i64,
    /// The activity drop counts only when the earlier window had at least this many.
    pub activity_min_previous: i64,
    pub overdue_weight: i64,
    /// Days overdue at which the overdue term reaches its full weight.
    pub overdue_full_days: i64,
    /// Points for the lowest NPS answer (0); detractors get a share of them.
    pub feedback_weight: i64,
    /// The daily scan runs at or after this hour (UTC).
    pub hour_utc: i64,
    pub enabled: bool,
}

impl Default for ChurnConfig {
    fn default() -> Self {
        ChurnConfig {
            warning_at: 50,
            lapse_weight: 60,
            lapse_start_pct: 150,
            lapse_full_pct: 300,
            min_gap_days: 7,
            activity_weight: 20,
            activity_min_previous: 2,
            overdue_weight: 30,
            overdue_full_days: 60,
            feedback_weight: 20,
            hour_utc: 3,
            enabled: true,
        }
    }
}

/// The settings form as the browser sends it; `enabled` is a checkbox.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChurnConfigInput {
    pub warning_at: String,
    pub lapse_weight: String,
    pub lapse_start_pct: String,
    pub lapse_full_pct: String,
    pub min_gap_days: String,
    pub activity_weight: String,
    pub activity_min_previous: String,
    pub overdue_weight: String,
    pub overdue_full_days: String,
    pub feedback_weight: String,
    pub hour_utc: String,
    pub enabled: String,
}

/// A whole number of this form within `min..=max`.
fn int_in(field: &str, raw: &str, min: i64, max: i64) -> Result<i64, FieldError> {
    crate::auth::model::int_in(field, raw, min, max, Key::ChurnErrOutOfRange)
}

impl ChurnConfig {
    pub fn to_input(&self) -> ChurnConfigInput {
        ChurnConfigInput {
            warning_at: self.warning_at.to_string(),
            lapse_weight: self.lapse_weight.to_string(),
            lapse_start_pct: self.lapse_start_pct.to_string(),
            lapse_full_pct: self.lapse_full_pct.to_string(),
            min_gap_days: self.min_gap_days.to_string(),
            activity_weight: self.activity_weight.to_string(),
            activity_min_previous: self.activity_min_previous.to_string(),
            overdue_weight: self.overdue_weight.to_string(),
            overdue_full_days: self.overdue_full_days.to_string(),
            feedback_weight: self.feedback_weight.to_string(),
            hour_utc: self.hour_utc.to_string(),
            enabled: if self.enabled {
                "on".into()
            } else {
                String::new()
            },
        }
    }

    /// Validates the form: the threshold 1–100, weights (lapse, activity, overdue,
    /// feedback) 0–100 that together can reach the threshold, the lapse start 100–1000 % below its full point (≤ 2000 %), a minimum
    /// gap of 1–365 days, a minimum earlier activity count of 1–1000, overdue days 1–365,
    /// an hour 0–23.
    pub fn parse(input: &ChurnConfigInput) -> Result<ChurnConfig, AppError> {
        let mut p = Problems::default();
        let warning_at = p.check(int_in("warning_at", &input.warning_at, 1, 100));
        let lapse_weight = p.check(int_in("lapse_weight", &input.lapse_weight, 0, 100));
        let lapse_start_pct = p.check(int_in("lapse_start_pct", &input.lapse_start_pct, 100, 1000));
        let lapse_full_pct = p.check(int_in("lapse_full_pct", &input.lapse_full_pct, 101, 2000));
        let min_gap_days = p.check(int_in("min_gap_days", &input.min_gap_days, 1, 365));
        let activity_weight = p.check(int_in("activity_weight", &input.activity_weight, 0, 100));
        let activity_min_previous = p.check(int_in(
            "activity_min_previous",
            &input.activity_min_previous,
            1,
            1000,
        ));
        let overdue_weight = p.check(int_in("overdue_weight", &input.overdue_weight, 0, 100));
        let overdue_full_days = p.check(int_in(
            "overdue_full_days",
            &input.overdue_full_days,
            1,
            365,
        ));
        let feedback_weight = p.check(int_in("feedback_weight", &input.feedback_weight, 0, 100));
        let hour_utc = p.check(int_in("hour_utc", &input.hour_utc, 0, 23));
        if let (Some(s), Some(f)) = (lapse_start_pct, lapse_full_pct) {
            if f <= s {
                p.push(FieldError::new(
                    "lapse_full_pct",
                    Key::ChurnErrFullAboveStart,
                ));
            }
        }
        if let (Some(w), Some(a), Some(b), Some(c), Some(f)) = (
            warning_at,
            lapse_weight,
            activity_weight,
            overdue_weight,
            feedback_weight,
        ) {
            if a + b + c + f < w {
                p.push(FieldError::new("warning_at", Key::ChurnErrUnreachable));
            }
        }
        p.into_result()?;
        let d = ChurnConfig::default();
        Ok(ChurnConfig {
            warning_at: warning_at.unwrap_or(d.warning_at),
            lapse_weight: lapse_weight.unwrap_or(d.lapse_weight),
            lapse_start_pct: lapse_start_pct.unwrap_or(d.lapse_start_pct),
            lapse_full_pct: lapse_full_pct.unwrap_or(d.lapse_full_pct),
            min_gap_days: min_gap_days.unwrap_or(d.min_gap_days),
            activity_weight: activity_weight.unwrap_or(d.activity_weight),
            activity_min_previous: activity_min_previous.unwrap_or(d.activity_min_previous),
            overdue_weight: overdue_weight.unwrap_or(d.overdue_weight),
            overdue_full_days: overdue_full_days.unwrap_or(d.overdue_full_days),
            feedback_weight: feedback_weight.unwrap_or(d.feedback_weight),
            hour_utc: hour_utc.unwrap_or(d.hour_utc),
            enabled: matches!(input.enabled.trim(), "on" | "true" | "1"),
        })
    }

    /// Whether the daily scan is due at `now` (unix seconds) after a scan of `last_day`.
    pub fn is_due(&self, last_day: Option<i64>, now: i64) -> bool {
        let today = now.div_euclid(86_400);
        let hour = now.rem_euclid(86_400) / 3_600;
        self.enabled && hour >= self.hour_utc && last_day.is_none_or(|d| d < today)
    }
}

/// `a × b / c` rounded half up, for non-negative figures.
fn mul_div_round(a: i64, b: i64, c: i64) -> i64 {
    if c <= 0 {
        return 0;
    }
    (2 * a * b + c) / (2 * c)
}

/// The median of sorted values; two middle values give their mean, rounded half up.
pub fn median(sorted: &[i64]) -> Option<i64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    Some(if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2] + 1) / 2
    })
}

/// What a customer's orders say, from their orders on or before the scan date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OrderHistory {
    pub last_order_day: i64,
    /// Median gap between consecutive distinct order days; `None` with one order day.
    pub own_gap_days: Option<i64>,
    pub value_cents: i64,
}

impl OrderHistory {
    /// From `(day, amount_cents)` pairs sorted by day (several per day allowed); `None`
    /// without orders.
    pub fn from_sorted(orders: &[(i64, i64)]) -> Option<OrderHistory> {
        let last = orders.last()?.0;
        let mut gaps: Vec<i64> = orders
            .windows(2)
            .map(|w| w[1].0 - w[0].0)
            .filter(|g| *g > 0)
            .collect();
        gaps.sort_unstable();
        let value_cents = orders
            .iter()
            .filter(|(d, _)| *d > last - VALUE_WINDOW_DAYS)
            .map(|(_, c)| *c)
            .sum();
        Some(OrderHistory {
            last_order_day: last,
            own_gap_days: median(&gaps),
            value_cents,
        })
    }
}

/// Payments unpaid after their due date.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OverdueFacts {
    pub count: i64,
    pub amount_cents: i64,
    pub currency: String,
    pub oldest_due_day: i64,
}

/// A customer's NPS answer (0–10) and the day it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NpsAnswer {
    pub nps: i64,
    pub day: i64,
}

/// Everything the score looks at for one customer as of the scan date.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChurnFacts {
    /// `None`: no order on or before the scan date — not scored.
    pub orders: Option<OrderHistory>,
    /// Activities in the 90 days ending on the scan date.
    pub activities_recent: i64,
    /// Activities in the 90 days before those.
    pub activities_previous: i64,
    pub overdue: Option<OverdueFacts>,
    /// The latest NPS answer on or before the scan date, within [`FEEDBACK_WINDOW_DAYS`].
    pub latest_nps: Option<NpsAnswer>,
}

/// Why a customer is at risk, with the figures behind it and the points it adds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChurnReason {
    /// Much longer without an order than usual. `own_rhythm`: the customer's own median
    /// gap; else the population's (a single order day).
    Lapsed {
        days_since_last_order: i64,
        usual_gap_days: i64,
        own_rhythm: bool,
        points: i64,
    },
    /// Fewer activities in the last 90 days than in the 90 before.
    FewerActivities {
        recent: i64,
        previous: i64,
        points: i64,
    },
    /// Payments unpaid after their due date.
    OverduePayments {
        count: i64,
        amount_cents: i64,
        currency: String,
        longest_days_overdue: i64,
        points: i64,
    },
    /// A detractor's NPS answer (0–6) in the last 180 days; `answered_on` is YYYY-MM-DD.
    LowFeedback {
        nps: i64,
        answered_on: String,
        points: i64,
    },
}

impl ChurnReason {
    pub fn points(&self) -> i64 {
        match self {
            ChurnReason::Lapsed { points, .. }
            | ChurnReason::FewerActivities { points, .. }
            | ChurnReason::OverduePayments { points, .. }
            | ChurnReason::LowFeedback { points, .. } => *points,
        }
    }

    /// Short name for lists.
    pub fn title(&self) -> Key {
        match self {
            ChurnReason::Lapsed { .. } => Key::ChurnReasonLapsedTitle,
            ChurnReason::FewerActivities { .. } => Key::ChurnReasonActivitiesTitle,
            ChurnReason::OverduePayments { .. } => Key::ChurnReasonOverdueTitle,
            ChurnReason::LowFeedback { .. } => Key::ChurnReasonFeedbackTitle,
        }
    }

    /// The reason in words and figures.
    pub fn describe(&self, lang: Lang) -> String {
        let text = match self {
            ChurnReason::Lapsed {
                days_since_last_order,
                usual_gap_days,
                own_rhythm,
                ..
            } => {
                let tenths = days_since_last_order * 10 / (*usual_gap_days).max(1);
                let key = if *own_rhythm {
                    Key::ChurnReasonLapsedOwn
                } else {
                    Key::ChurnReasonLapsedPopulation
                };
                key.text(lang)
                    .replace("{days}", &days_since_last_order.to_string())
                    .replace("{gap}", &usual_gap_days.to_string())
                    .replace("{ratio}", &format!("{}.{}", tenths / 10, tenths % 10))
            }
            ChurnReason::FewerActivities {
                recent, previous, ..
            } => {
                let drop = mul_div_round(previous - recent, 100, *previous);
                Key::ChurnReasonActivities
                    .text(lang)
                    .replace("{recent}", &recent.to_string())
                    .replace("{previous}", &previous.to_string())
                    .replace("{drop}", &drop.to_string())
            }
            ChurnReason::OverduePayments {
                count,
                amount_cents,
                currency,
                longest_days_overdue,
                ..
            } => Key::ChurnReasonOverdue
                .text(lang)
                .replace("{count}", &count.to_string())
                .replace(
                    "{amount}",
                    &format!("{} {}", format_cents(*amount_cents), currency),
                )
                .replace("{days}", &longest_days_overdue.to_string()),
            ChurnReason::LowFeedback {
                nps, answered_on, ..
            } => Key::ChurnReasonFeedback
                .text(lang)
                .replace("{nps}", &nps.to_string())
                .replace("{date}", answered_on),
        };
        let points = Key::ChurnPoints
            .text(lang)
            .replace("{points}", &self.points().to_string());
        format!("{text} ({points})")
    }
}

/// A score and the reasons that add up to it, largest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub score: i64,
    pub reasons: Vec<ChurnReason>,
}

/// Scores one customer as of `today` (days since the epoch); `None` when the customer has
/// no order to judge by. `population_gap`: the median usual gap over all customers with
/// at least two order days.
pub fn assess(
    facts: &ChurnFacts,
    population_gap: Option<i64>,
    today: i64,
    cfg: &ChurnConfig,
) -> Option<Assessment> {
    let orders = facts.orders?;
    let mut reasons = Vec::new();

    let gap = orders
        .own_gap_days
        .map(|g| (g, true))
        .or(population_gap.map(|g| (g, false)));
    if let Some((gap, own_rhythm)) = gap {
        let gap = gap.max(cfg.min_gap_days).max(1);
        let days = (today - orders.last_order_day).max(0);
        let r = days * 100 / gap;
        let span = (cfg.lapse_full_pct - cfg.lapse_start_pct).max(1);
        let over = (r - cfg.lapse_start_pct).clamp(0, span);
        let points = mul_div_round(cfg.lapse_weight, over, span);
        if points > 0 {
            reasons.push(ChurnReason::Lapsed {
                days_since_last_order: days,
                usual_gap_days: gap,
                own_rhythm,
                points,
            });
        }
    }

    let (recent, previous) = (facts.activities_recent, facts.activities_previous);
    if previous >= cfg.activity_min_previous && recent < previous {
        let points = mul_div_round(cfg.activity_weight, previous - recent, previous);
        if points > 0 {
            reasons.push(ChurnReason::FewerActivities {
                recent,
                previous,
                points,
            });
        }
    }

    if let Some(o) = facts.overdue.as_ref().filter(|o| o.count > 0) {
        let full = cfg.overdue_full_days.max(1);
        let longest = (today - o.oldest_due_day).max(0);
        let points = mul_div_round(cfg.overdue_weight, full + longest.min(full), 2 * full);
        if points > 0 {
            reasons.push(ChurnReason::OverduePayments {
                count: o.count,
                amount_cents: o.amount_cents,
                currency: o.currency.clone(),
                longest_days_overdue: longest,
                points,
            });
        }
    }

    if let Some(answer) = facts.latest_nps.filter(|a| {
        a.nps <= DETRACTOR_MAX_NPS && a.day <= today && today - a.day < FEEDBACK_WINDOW_DAYS
    }) {
        let below = DETRACTOR_MAX_NPS + 1 - answer.nps.max(0);
        let points = mul_div_round(cfg.feedback_weight, below, DETRACTOR_MAX_NPS + 1);
        if points > 0 {
            reasons.push(ChurnReason::LowFeedback {
                nps: answer.nps,
                answered_on: iso_date(answer.day),
                points,
            });
        }
    }

    reasons.sort_by_key(|r| std::cmp::Reverse(r.points()));
    let score = reasons
        .iter()
        .map(ChurnReason::points)
        .sum::<i64>()
        .min(100);
    Some(Assessment { score, reasons })
}

/// Reads stored reasons; unreadable JSON (an older format) shows no reasons.
pub fn reasons_from_json(s: &str) -> Vec<ChurnReason> {
    serde_json::from_str(s).unwrap_or_default()
}

/// What one scan did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ScanCounts {
    pub scored: i64,
    pub opened: i64,
    pub updated: i64,
    pub cleared: i64,
    pub open_after: i64,
}

/// The last completed scan: its date (days since the epoch), when it ran, what it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastScan {
    pub day: i64,
    pub at: i64,
    pub counts: ScanCounts,
}

/// An open warning in the at-risk list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtRiskRow {
    pub warning_id: i64,
    pub customer_id: CustomerId,
    pub customer_name: String,
    pub owner_name: String,
    pub score: i64,
    pub reasons: Vec<ChurnReason>,
    pub opened_on: String,
    pub value_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtRiskPage {
    pub rows: Vec<AtRiskRow>,
    /// Cursor of the next page, when there is one.
    pub next: Option<String>,
    pub may_run: bool,
    /// Present for those who may change the settings.
    pub config: Option<ChurnConfig>,
    pub last_scan: Option<LastScan>,
}

/// Keyset position in the at-risk list: (value at stake, warning id), both descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AtRiskCursor {
    pub value_cents: i64,
    pub id: i64,
}

impl AtRiskCursor {
    pub fn encode(&self) -> String {
        format!("{}.{}", self.value_cents, self.id)
    }
    pub fn decode(s: &str) -> Option<Self> {
        let (v, id) = s.split_once('.')?;
        Some(AtRiskCursor {
            value_cents: v.parse().ok()?,
            id: id.parse().ok()?,
        })
    }
}

/// A customer's open warning, for the card on the customer page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarningView {
    pub id: i64,
    pub score: i64,
    pub reasons: Vec<ChurnReason>,
    pub opened_on: String,
    pub updated_on: String,
    pub task_id: Option<TaskId>,
    pub value_cents: i64,
}

/// The two events of an episode, as the timeline shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChurnEvent {
    Opened,
    Cleared,
}

impl ChurnEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            ChurnEvent::Opened => "opened",
            ChurnEvent::Cleared => "cleared",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [ChurnEvent::Opened, ChurnEvent::Cleared]
            .into_iter()
            .find(|e| e.as_str() == s)
    }
    pub fn label(self) -> Key {
        match self {
            ChurnEvent::Opened => Key::ChurnWarningOpened,
            ChurnEvent::Cleared => Key::ChurnWarningCleared,
        }
    }
}

/// Why an episode ended. Only a new order ends one today.
pub const CLEARED_ORDERED: &str = "ordered";

/// The part of a warning a reader may see. Overdue payments are financial records: for a
/// reader who may not see the customer's payments their reason is dropped and the score is
/// what the remaining reasons add up to (capped as [`assess`] caps it), so score minus the
/// visible reasons reveals nothing.
pub fn visible_part(
    score: i64,
    reasons: Vec<ChurnReason>,
    financial: bool,
) -> (i64, Vec<ChurnReason>) {
    if financial {
        return (score, reasons);
    }
    let shown: Vec<ChurnReason> = reasons
        .into_iter()
        .filter(|r| !matches!(r, ChurnReason::OverduePayments { .. }))
        .collect();
    let points: i64 = shown.iter().map(ChurnReason::points).sum();
    (points.clamp(0, 100), shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: i64 = 20_000;

    fn cfg() -> ChurnConfig {
        ChurnConfig::default()
    }

    fn ordered(last: i64, gap: Option<i64>) -> ChurnFacts {
        ChurnFacts {
            orders: Some(OrderHistory {
                last_order_day: last,
                own_gap_days: gap,
                value_cents: 0,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[5]), Some(5));
        assert_eq!(median(&[1, 2, 9]), Some(2));
        assert_eq!(median(&[10, 15]), Some(13));
        assert_eq!(median(&[10, 20, 30, 40]), Some(25));
    }

    #[test]
    fn order_history_uses_distinct_days_and_last_year_value() {
        // Two orders on one day are one order day: gaps 10 and 30 → median 20.
        let h = OrderHistory::from_sorted(&[(100, 1), (110, 2), (110, 3), (140, 4)]).unwrap();
        assert_eq!(h.last_order_day, 140);
        assert_eq!(h.own_gap_days, Some(20));
        assert_eq!(h.value_cents, 10);
        let single = OrderHistory::from_sorted(&[(100, 5), (100, 6)]).unwrap();
        assert_eq!(single.own_gap_days, None);
        assert_eq!(OrderHistory::from_sorted(&[]), None);
        // 365 days before the last order is outside the window; 364 inside.
        let h = OrderHistory::from_sorted(&[(0, 1), (1, 2), (365, 4)]).unwrap();
        assert_eq!(h.value_cents, 6);
    }

    #[test]
    fn no_orders_is_not_scored() {
        let f = ChurnFacts {
            activities_previous: 10,
            ..Default::default()
        };
        assert_eq!(assess(&f, Some(30), D, &cfg()), None);
    }

    #[test]
    fn lapse_starts_after_the_start_ratio_and_caps_at_full() {
        let c = cfg();
        // gap 20: 150 % = 30 days → no points yet.
        assert!(assess(&ordered(D - 30, Some(20)), None, D, &c)
            .unwrap()
            .reasons
            .is_empty());
        // 31 days = 155 %: 60 × 5 / 150 = 2.
        let a = assess(&ordered(D - 31, Some(20)), None, D, &c).unwrap();
        assert_eq!(
            a.reasons,
            vec![ChurnReason::Lapsed {
                days_since_last_order: 31,
                usual_gap_days: 20,
                own_rhythm: true,
                points: 2
            }]
        );
        assert_eq!(a.score, 2);
        // 300 % = 60 days: the full weight; beyond stays there.
        assert_eq!(
            assess(&ordered(D - 60, Some(20)), None, D, &c)
                .unwrap()
                .score,
            60
        );
        assert_eq!(
            assess(&ordered(D - 600, Some(20)), None, D, &c)
                .unwrap()
                .score,
            60
        );
        // 59 days = 295 %: 60 × 145 / 150 = 58.
        assert_eq!(
            assess(&ordered(D - 59, Some(20)), None, D, &c)
                .unwrap()
                .score,
            58
        );
    }

    #[test]
    fn single_order_customers_use_the_population_gap() {
        let c = cfg();
        let a = assess(&ordered(D - 100, None), Some(40), D, &c).unwrap();
        assert_eq!(
            a.reasons,
            vec![ChurnReason::Lapsed {
                days_since_last_order: 100,
                usual_gap_days: 40,
                own_rhythm: false,
                points: 40
            }]
        );
        // Without a population gap the lapse is not scored.
        assert!(assess(&ordered(D - 1000, None), None, D, &c)
            .unwrap()
            .reasons
            .is_empty());
        // The customer's own gap wins over the population's.
        let a = assess(&ordered(D - 100, Some(100)), Some(10), D, &c).unwrap();
        assert!(a.reasons.is_empty());
    }

    #[test]
    fn short_gaps_are_raised_to_the_minimum() {
        // Daily buyer, 10 days quiet: gap 1 → 7; 10 / 7 = 142 % < 150 %.
        assert_eq!(
            assess(&ordered(D - 10, Some(1)), None, D, &cfg())
                .unwrap()
                .score,
            0
        );
        // 11 days: 157 % → 60 × 7 / 150 = 2.8 → 3.
        assert_eq!(
            assess(&ordered(D - 11, Some(1)), None, D, &cfg())
                .unwrap()
                .score,
            3
        );
    }

    #[test]
    fn fewer_activities_needs_an_earlier_baseline() {
        let c = cfg();
        let with = |recent, previous| {
            let mut f = ordered(D, Some(30));
            f.activities_recent = recent;
            f.activities_previous = previous;
            assess(&f, None, D, &c).unwrap()
        };
        // One earlier activity is below the minimum of 2.
        assert!(with(0, 1).reasons.is_empty());
        // Same as before or more: nothing.
        assert!(with(4, 4).reasons.is_empty());
        assert!(with(5, 4).reasons.is_empty());
        // 1 of 4: 75 % fewer → 20 × 3 / 4 = 15.
        assert_eq!(
            with(1, 4).reasons,
            vec![ChurnReason::FewerActivities {
                recent: 1,
                previous: 4,
                points: 15
            }]
        );
        assert_eq!(with(0, 2).score, 20);
        // 2 of 3 = 6.67 → 7.
        assert_eq!(with(2, 3).score, 7);
    }

    #[test]
    fn overdue_payments_count_half_at_once_and_the_rest_with_age() {
        let c = cfg();
        let with = |due_day| {
            let mut f = ordered(D, Some(30));
            f.overdue = Some(OverdueFacts {
                count: 2,
                amount_cents: 12_345,
                currency: "CNY".into(),
                oldest_due_day: due_day,
            });
            assess(&f, None, D, &c).unwrap()
        };
        // One day overdue: 30 × 61 / 120 = 15.25 → 15.
        assert_eq!(
            with(D - 1).reasons,
            vec![ChurnReason::OverduePayments {
                count: 2,
                amount_cents: 12_345,
                currency: "CNY".into(),
                longest_days_overdue: 1,
                points: 15
            }]
        );
        assert_eq!(with(D - 60).score, 30);
        assert_eq!(with(D - 400).score, 30);
        assert_eq!(with(D - 30).score, 23);
        // No overdue payment, no reason.
        let mut f = ordered(D, Some(30));
        f.overdue = Some(OverdueFacts::default());
        assert!(assess(&f, None, D, &c).unwrap().reasons.is_empty());
    }

    #[test]
    fn a_recent_detractor_answer_adds_the_feedback_term() {
        let with = |nps: i64, day: i64, c: &ChurnConfig| {
            let mut f = ordered(D, Some(30));
            f.latest_nps = Some(NpsAnswer { nps, day });
            assess(&f, None, D, c).unwrap()
        };
        let c = cfg();
        // NPS 3 five days ago: 20 × 4 / 7 = 11.43 → 11.
        assert_eq!(
            with(3, D - 5, &c).reasons,
            vec![ChurnReason::LowFeedback {
                nps: 3,
                answered_on: iso_date(D - 5),
                points: 11
            }]
        );
        // A 0 gives the full weight; a 6 the smallest share: 20 / 7 = 2.86 → 3.
        assert_eq!(with(0, D, &c).score, 20);
        assert_eq!(with(6, D, &c).score, 3);
        // Rounded to the nearest point (sevenths never fall on a half): weight 7, NPS 6:
        // 7 / 7 = 1; weight 11, NPS 5: 22 / 7 = 3.14 → 3; weight 1, NPS 3: 4 / 7 = 0.57 → 1;
        // weight 1, NPS 4: 3 / 7 = 0.43 → 0, no term.
        let w = |feedback_weight| ChurnConfig {
            feedback_weight,
            ..cfg()
        };
        assert_eq!(with(6, D, &w(7)).score, 1);
        assert_eq!(with(5, D, &w(11)).score, 3);
        assert_eq!(with(3, D, &w(1)).score, 1);
        assert!(with(4, D, &w(1)).reasons.is_empty());
        // Passives and promoters give nothing.
        assert!(with(7, D, &c).reasons.is_empty());
        assert!(with(10, D, &c).reasons.is_empty());
        // The window is the 180 days ending on the scan date; later answers don't count.
        assert_eq!(with(0, D - 179, &c).score, 20);
        assert!(with(0, D - 180, &c).reasons.is_empty());
        assert!(with(0, D + 1, &c).reasons.is_empty());
        // Weight 0: no term.
        assert!(with(0, D, &w(0)).reasons.is_empty());
        // No answer: no term.
        assert!(assess(&ordered(D, Some(30)), None, D, &c)
            .unwrap()
            .reasons
            .is_empty());
    }

    #[test]
    fn score_sums_reasons_largest_first_and_caps_at_100() {
        let c = ChurnConfig {
            lapse_weight: 100,
            activity_weight: 100,
            overdue_weight: 100,
            ..cfg()
        };
        let mut f = ordered(D - 100, Some(10));
        f.activities_previous = 4;
        f.activities_recent = 3;
        f.overdue = Some(OverdueFacts {
            count: 1,
            amount_cents: 100,
            currency: "CNY".into(),
            oldest_due_day: D - 60,
        });
        let a = assess(&f, None, D, &c).unwrap();
        assert_eq!(a.score, 100);
        let points: Vec<i64> = a.reasons.iter().map(ChurnReason::points).collect();
        assert_eq!(points, vec![100, 100, 25]);
        assert!(matches!(a.reasons[2], ChurnReason::FewerActivities { .. }));
    }

    #[test]
    fn reasons_read_in_words_and_figures_in_both_languages() {
        let lapsed = ChurnReason::Lapsed {
            days_since_last_order: 95,
            usual_gap_days: 30,
            own_rhythm: true,
            points: 60,
        };
        let en = lapsed.describe(Lang::En);
        assert!(
            en.contains("95") && en.contains("30") && en.contains("3.1"),
            "{en}"
        );
        assert!(en.contains("60"), "{en}");
        let zh = lapsed.describe(Lang::Zh);
        assert!(
            zh.contains("95") && zh.contains("30") && zh.contains("3.1"),
            "{zh}"
        );
        let acts = ChurnReason::FewerActivities {
            recent: 1,
            previous: 4,
            points: 15,
        };
        assert!(acts.describe(Lang::En).contains("75"));
        let feedback = ChurnReason::LowFeedback {
            nps: 3,
            answered_on: "2026-11-02".into(),
            points: 11,
        };
        assert_eq!(
            feedback.describe(Lang::En),
            "Gave an NPS of 3 on 2026-11-02 (a detractor) (+11 points)"
        );
        let zh = feedback.describe(Lang::Zh);
        assert!(zh.contains('3') && zh.contains("2026-11-02"), "{zh}");
        assert_eq!(feedback.title(), Key::ChurnReasonFeedbackTitle);
        let overdue = ChurnReason::OverduePayments {
            count: 2,
            amount_cents: 123_456,
            currency: "CNY".into(),
            longest_days_overdue: 45,
            points: 26,
        };
        let en = overdue.describe(Lang::En);
        assert!(
            en.contains("1,234.56 CNY") && en.contains("45") && en.contains('2'),
            "{en}"
        );
        for r in [lapsed, acts, overdue, feedback] {
            for lang in Lang::ALL {
                assert!(!r.describe(lang).contains('{'), "{r:?}");
            }
            let json = serde_json::to_string(&vec![r.clone()]).unwrap();
            assert_eq!(reasons_from_json(&json), vec![r]);
        }
        assert!(reasons_from_json("not json").is_empty());
    }

    #[test]
    fn config_validates_every_field() {
        let ok = ChurnConfig::parse(&cfg().to_input()).unwrap();
        assert_eq!(ok, cfg());
        let mut bad = cfg().to_input();
        bad.warning_at = "0".into();
        bad.lapse_weight = "x".into();
        bad.min_gap_days = String::new();
        bad.lapse_full_pct = "150".into();
        let AppError::Validation(errs) = ChurnConfig::parse(&bad).unwrap_err() else {
            panic!("validation error expected");
        };
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"warning_at"));
        assert!(fields.contains(&"lapse_weight"));
        assert!(fields.contains(&"min_gap_days"));
        assert!(fields.contains(&"lapse_full_pct"));
        // Weights that cannot reach the threshold.
        let mut low = cfg().to_input();
        low.warning_at = "90".into();
        low.lapse_weight = "10".into();
        let AppError::Validation(errs) = ChurnConfig::parse(&low).unwrap_err() else {
            panic!("validation error expected");
        };
        assert_eq!(errs[0].field, "warning_at");
        // The feedback weight counts towards the threshold and is checked like the others.
        let mut reach = cfg().to_input();
        reach.warning_at = "100".into();
        reach.lapse_weight = "50".into();
        reach.activity_weight = "0".into();
        reach.overdue_weight = "0".into();
        reach.feedback_weight = "50".into();
        assert_eq!(ChurnConfig::parse(&reach).unwrap().feedback_weight, 50);
        reach.feedback_weight = "49".into();
        assert!(ChurnConfig::parse(&reach).is_err());
        reach.feedback_weight = "101".into();
        let AppError::Validation(errs) = ChurnConfig::parse(&reach).unwrap_err() else {
            panic!("validation error expected");
        };
        assert_eq!(errs[0].field, "feedback_weight");
        // Stored settings from before the feedback term load with its default weight.
        let stored: ChurnConfig = serde_json::from_str(r#"{"warning_at":40}"#).unwrap();
        assert_eq!(stored.feedback_weight, 20);
        assert_eq!(stored.warning_at, 40);
        let mut off = cfg().to_input();
        off.enabled = String::new();
        assert!(!ChurnConfig::parse(&off).unwrap().enabled);
    }

    #[test]
    fn scan_is_due_once_a_day_after_the_hour() {
        let c = cfg();
        let day = 20_000;
        let at = |h: i64| day * 86_400 + h * 3_600;
        assert!(!c.is_due(None, at(2)));
        assert!(c.is_due(None, at(3)));
        assert!(c.is_due(Some(day - 1), at(23)));
        assert!(!c.is_due(Some(day), at(23)));
        let off = ChurnConfig {
            enabled: false,
            ..c
        };
        assert!(!off.is_due(None, at(12)));
    }

    #[test]
    fn cursor_round_trips() {
        let c = AtRiskCursor {
            value_cents: 120_000,
            id: 7,
        };
        assert_eq!(AtRiskCursor::decode(&c.encode()), Some(c));
        assert_eq!(AtRiskCursor::decode("x.1"), None);
        assert_eq!(AtRiskCursor::decode("1"), None);
    }

    #[test]
    fn hidden_overdue_points_leave_the_score_with_their_reason() {
        let lapsed = ChurnReason::FewerActivities {
            recent: 1,
            previous: 4,
            points: 15,
        };
        let overdue = ChurnReason::OverduePayments {
            count: 1,
            amount_cents: 100,
            currency: "CNY".into(),
            longest_days_overdue: 40,
            points: 25,
        };
        let reasons = vec![lapsed.clone(), overdue.clone()];
        assert_eq!(
            visible_part(40, reasons.clone(), true),
            (40, reasons.clone())
        );
        let (score, shown) = visible_part(40, reasons, false);
        assert_eq!((score, shown.clone()), (15, vec![lapsed]));
        assert_eq!(score, shown.iter().map(ChurnReason::points).sum::<i64>());
        assert_eq!(visible_part(25, vec![overdue], false), (0, vec![]));
    }
}
