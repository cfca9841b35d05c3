//! RFM exactly as PRODUCT.md §4 defines it, in plain Rust: the reference the SQL
//! recompute is tested against.
//!
//! As of a reference date D, over the customers with at least one order on or before D
//! (and, with a window of W days, after D − W): R = whole days from the last order's date
//! to D, F = number of orders, M = sum of order amounts. Each measure is scored 1–5 with
//! ties kept together: `score = min(5, 1 + floor(5 × worse / N))`, where `worse` counts the
//! customers strictly worse on that measure (larger R, smaller F, smaller M).

use crate::i18n::Key;
use serde::{Deserialize, Serialize};

/// The named RFM segments, derived from the R and F scores (see [`RfmSegment::from_scores`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RfmSegment {
    Champions,
    Loyal,
    PotentialLoyalist,
    New,
    Promising,
    NeedAttention,
    AboutToSleep,
    AtRisk,
    CannotLoseThem,
    Hibernating,
    Lost,
}

impl RfmSegment {
    pub const ALL: [RfmSegment; 11] = [
        RfmSegment::Champions,
        RfmSegment::Loyal,
        RfmSegment::PotentialLoyalist,
        RfmSegment::New,
        RfmSegment::Promising,
        RfmSegment::NeedAttention,
        RfmSegment::AboutToSleep,
        RfmSegment::AtRisk,
        RfmSegment::CannotLoseThem,
        RfmSegment::Hibernating,
        RfmSegment::Lost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RfmSegment::Champions => "champions",
            RfmSegment::Loyal => "loyal",
            RfmSegment::PotentialLoyalist => "potential_loyalist",
            RfmSegment::New => "new",
            RfmSegment::Promising => "promising",
            RfmSegment::NeedAttention => "need_attention",
            RfmSegment::AboutToSleep => "about_to_sleep",
            RfmSegment::AtRisk => "at_risk",
            RfmSegment::CannotLoseThem => "cannot_lose_them",
            RfmSegment::Hibernating => "hibernating",
            RfmSegment::Lost => "lost",
        }
    }

    pub fn parse(s: &str) -> Option<RfmSegment> {
        RfmSegment::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }

    pub fn label(self) -> Key {
        match self {
            RfmSegment::Champions => Key::RfmChampions,
            RfmSegment::Loyal => Key::RfmLoyal,
            RfmSegment::PotentialLoyalist => Key::RfmPotentialLoyalist,
            RfmSegment::New => Key::RfmNew,
            RfmSegment::Promising => Key::RfmPromising,
            RfmSegment::NeedAttention => Key::RfmNeedAttention,
            RfmSegment::AboutToSleep => Key::RfmAboutToSleep,
            RfmSegment::AtRisk => Key::RfmAtRisk,
            RfmSegment::CannotLoseThem => Key::RfmCannotLoseThem,
            RfmSegment::Hibernating => Key::RfmHibernating,
            RfmSegment::Lost => Key::RfmLost,
        }
    }

    /// The segment of an (R score, F score) cell. Every one of the 25 cells has exactly
    /// one segment:
    ///
    /// | R \ F | 1 | 2 | 3 | 4 | 5 |
    /// |---|---|---|---|---|---|
    /// | 5 | New | Potential loyalist | Potential loyalist | Champions | Champions |
    /// | 4 | Promising | Potential loyalist | Potential loyalist | Loyal | Loyal |
    /// | 3 | About to sleep | About to sleep | Need attention | Loyal | Loyal |
    /// | 2 | Hibernating | Hibernating | At risk | At risk | Cannot lose them |
    /// | 1 | Lost | Hibernating | At risk | At risk | Cannot lose them |
    // The arms are tried in order; the overlaps on 3 are intended.
    #[allow(overlapping_range_endpoints)]
    pub fn from_scores(r: u8, f: u8) -> RfmSegment {
        use RfmSegment::*;
        let (r, f) = (r.clamp(1, 5), f.clamp(1, 5));
        match r {
            5 => match f {
                1 => New,
                2 | 3 => PotentialLoyalist,
                _ => Champions,
            },
            4 => match f {
                1 => Promising,
                2 | 3 => PotentialLoyalist,
                _ => Loyal,
            },
            3 => match f {
                1 | 2 => AboutToSleep,
                3 => NeedAttention,
                _ => Loyal,
            },
            2 => match f {
                1 | 2 => Hibernating,
                3 | 4 => AtRisk,
                _ => CannotLoseThem,
            },
            _ => match f {
                1 => Lost,
                2 => Hibernating,
                3 | 4 => AtRisk,
                _ => CannotLoseThem,
            },
        }
    }
}

/// One order as RFM sees it: its date (days since 1970-01-01) and amount in cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderFact {
    pub customer_id: i64,
    pub day: i64,
    pub amount_cents: i64,
}

/// The RFM of one customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RfmRow {
    pub customer_id: i64,
    pub recency_days: i64,
    pub frequency: i64,
    pub monetary_cents: i64,
    pub r_score: u8,
    pub f_score: u8,
    pub m_score: u8,
    pub segment: RfmSegment,
}

/// `min(5, 1 + floor(5 × worse / n))`.
pub fn quintile_score(worse: usize, n: usize) -> u8 {
    if n == 0 {
        return 1;
    }
    (1 + (5 * worse) / n).min(5) as u8
}

/// For each value, how many values are strictly smaller (`smaller_is_worse`) or strictly
/// larger (otherwise). Equal values get equal counts.
fn worse_counts(values: &[i64], smaller_is_worse: bool) -> Vec<usize> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    values
        .iter()
        .map(|v| {
            if smaller_is_worse {
                sorted.partition_point(|x| x < v)
            } else {
                sorted.len() - sorted.partition_point(|x| x <= v)
            }
        })
        .collect()
}

/// RFM as of `as_of` (a day number) over the orders on or before it and, with a window,
/// after `as_of − window_days`. Customers without such orders are not scored. Rows come
/// back ordered by customer id.
pub fn compute(as_of: i64, window_days: Option<i64>, orders: &[OrderFact]) -> Vec<RfmRow> {
    use std::collections::BTreeMap;
    let from = window_days.map(|w| as_of - w);
    // customer → (last day, count, sum)
    let mut per_customer: BTreeMap<i64, (i64, i64, i64)> = BTreeMap::new();
    for o in orders {
        if o.day > as_of || from.is_some_and(|f| o.day <= f) {
            continue;
        }
        let e = per_customer.entry(o.customer_id).or_insert((o.day, 0, 0));
        e.0 = e.0.max(o.day);
        e.1 += 1;
        e.2 += o.amount_cents;
    }
    let ids: Vec<i64> = per_customer.keys().copied().collect();
    let r: Vec<i64> = per_customer.values().map(|v| as_of - v.0).collect();
    let f: Vec<i64> = per_customer.values().map(|v| v.1).collect();
    let m: Vec<i64> = per_customer.values().map(|v| v.2).collect();
    let n = ids.len();
    let (wr, wf, wm) = (
        worse_counts(&r, false),
        worse_counts(&f, true),
        worse_counts(&m, true),
    );
    (0..n)
        .map(|i| {
            let (rs, fs, ms) = (
                quintile_score(wr[i], n),
                quintile_score(wf[i], n),
                quintile_score(wm[i], n),
            );
            RfmRow {
                customer_id: ids[i],
                recency_days: r[i],
                frequency: f[i],
                monetary_cents: m[i],
                r_score: rs,
                f_score: fs,
                m_score: ms,
                segment: RfmSegment::from_scores(rs, fs),
            }
        })
        .collect()
}

/// Why a run was computed: the scheduler's daily run, or a date/window chosen on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RunKind {
    Scheduled,
    Adhoc,
}

impl RunKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Scheduled => "scheduled",
            RunKind::Adhoc => "adhoc",
        }
    }
    pub fn parse(s: &str) -> Option<RunKind> {
        [RunKind::Scheduled, RunKind::Adhoc]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RunStatus {
    Queued,
    Running,
    Done,
    Failed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::Running => "running",
            RunStatus::Done => "done",
            RunStatus::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> Option<RunStatus> {
        [
            RunStatus::Queued,
            RunStatus::Running,
            RunStatus::Done,
            RunStatus::Failed,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
    /// Still waiting or computing.
    pub fn pending(self) -> bool {
        matches!(self, RunStatus::Queued | RunStatus::Running)
    }
}

/// Windows offered on the page (days; `None` = all history).
pub const WINDOW_CHOICES: [Option<i64>; 4] = [None, Some(90), Some(180), Some(365)];

/// One RFM run as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunInfo {
    pub id: i64,
    pub kind: RunKind,
    pub as_of: String,
    pub window_days: Option<i64>,
    pub status: RunStatus,
    pub requested_at: i64,
    pub finished_at: Option<i64>,
    pub customers: i64,
    pub duration_ms: Option<i64>,
}

/// One cell of the 5 × 5 grid: the visible customers with these R and F scores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridCell {
    pub r_score: u8,
    pub f_score: u8,
    pub customers: i64,
    pub revenue_cents: i64,
    pub segment: RfmSegment,
}

/// A named segment's totals over the visible customers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentTotal {
    pub segment: RfmSegment,
    pub customers: i64,
    pub revenue_cents: i64,
}

/// The grid of a run: 25 cells (R 5→1 rows, F 1→5 columns) and the 11 segment totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grid {
    pub cells: Vec<GridCell>,
    pub segments: Vec<SegmentTotal>,
}

impl Grid {
    /// Fills the 25 cells (missing ones empty) and sums them per segment.
    pub fn from_counts(counts: &[(u8, u8, i64, i64)]) -> Grid {
        let mut cells = Vec::with_capacity(25);
        for r in (1..=5u8).rev() {
            for f in 1..=5u8 {
                let (customers, revenue_cents) = counts
                    .iter()
                    .filter(|c| c.0 == r && c.1 == f)
                    .fold((0, 0), |acc, c| (acc.0 + c.2, acc.1 + c.3));
                cells.push(GridCell {
                    r_score: r,
                    f_score: f,
                    customers,
                    revenue_cents,
                    segment: RfmSegment::from_scores(r, f),
                });
            }
        }
        let segments = RfmSegment::ALL
            .into_iter()
            .map(|segment| {
                let (customers, revenue_cents) = cells
                    .iter()
                    .filter(|c| c.segment == segment)
                    .fold((0, 0), |acc, c| {
                        (acc.0 + c.customers, acc.1 + c.revenue_cents)
                    });
                SegmentTotal {
                    segment,
                    customers,
                    revenue_cents,
                }
            })
            .collect();
        Grid { cells, segments }
    }
}

/// A customer listed under a grid cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellMember {
    pub customer_id: i64,
    pub name: String,
    pub row: RfmRow,
}

/// Rows of a cell page.
pub const CELL_PAGE: i64 = 50;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellPage {
    pub members: Vec<CellMember>,
    /// The cursor (a customer id) of the next page.
    pub next_after: Option<i64>,
}

/// The RFM card of the customer page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRfm {
    pub as_of: Option<String>,
    /// `None`: no order in the current run's window (or no run yet).
    pub row: Option<RfmRow>,
    /// The value score (0–100). `None` where the reader may not see the customer's credit
    /// (tier-2 managers on key accounts): the score, with the RFM scores and tenure beside
    /// it, would give the credit rating away.
    pub value_score: Option<i64>,
}

/// What the `/rfm` page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RfmPageData {
    pub as_of: String,
    pub window_days: Option<i64>,
    /// The latest done run for this date and window.
    pub run: Option<RunInfo>,
    /// A run queued or computing for them.
    pub pending: Option<RunInfo>,
    pub grid: Option<Grid>,
    /// The last run for them failed (and there is no other).
    pub failed: bool,
    pub may_recompute: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(customer_id: i64, day: i64, amount_cents: i64) -> OrderFact {
        OrderFact {
            customer_id,
            day,
            amount_cents,
        }
    }

    #[test]
    fn no_orders_means_no_rows() {
        assert!(compute(100, None, &[]).is_empty());
        // Orders only after the reference date do not count either.
        assert!(compute(100, None, &[order(1, 101, 500)]).is_empty());
    }

    #[test]
    fn single_customer_scores_one_everywhere() {
        // N = 1, nobody is worse: 1 + floor(0) = 1.
        let rows = compute(100, None, &[order(7, 90, 1000)]);
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(
            (r.recency_days, r.frequency, r.monetary_cents),
            (10, 1, 1000)
        );
        assert_eq!((r.r_score, r.f_score, r.m_score), (1, 1, 1));
        assert_eq!(r.segment, RfmSegment::Lost);
    }

    #[test]
    fn five_distinct_customers_get_one_to_five() {
        // Customer i ordered i times, last on day 100 - (5 - i), amount i × 100.
        let mut orders = Vec::new();
        for c in 1..=5 {
            for _ in 0..c {
                orders.push(order(c, 100 - (5 - c), 100));
            }
        }
        let rows = compute(100, None, &orders);
        for (i, row) in rows.iter().enumerate() {
            let expected = (i + 1) as u8;
            assert_eq!(row.r_score, expected, "R of {}", row.customer_id);
            assert_eq!(row.f_score, expected, "F of {}", row.customer_id);
            assert_eq!(row.m_score, expected, "M of {}", row.customer_id);
        }
        assert_eq!(rows[4].segment, RfmSegment::Champions);
        assert_eq!(rows[0].segment, RfmSegment::Lost);
    }

    #[test]
    fn ties_share_a_score() {
        // Four customers, all with one order of 100 on the same day: nobody is strictly
        // worse than anyone, so every score is 1.
        let orders: Vec<_> = (1..=4).map(|c| order(c, 50, 100)).collect();
        let rows = compute(60, None, &orders);
        assert!(rows
            .iter()
            .all(|r| (r.r_score, r.f_score, r.m_score) == (1, 1, 1)));
        // Two tied at the top of ten: both get the same score.
        let mut orders: Vec<_> = (1..=8).map(|c| order(c, c, 100 * c)).collect();
        orders.push(order(9, 20, 5000));
        orders.push(order(10, 20, 5000));
        let rows = compute(30, None, &orders);
        assert_eq!(rows[8].m_score, rows[9].m_score);
        assert_eq!(rows[8].r_score, rows[9].r_score);
        // 8 customers are strictly worse on M: 1 + floor(40 / 10) = 5.
        assert_eq!(rows[8].m_score, 5);
    }

    #[test]
    fn two_orders_on_one_day_both_count() {
        let rows = compute(10, None, &[order(1, 5, 100), order(1, 5, 100)]);
        assert_eq!((rows[0].frequency, rows[0].monetary_cents), (2, 200));
    }

    #[test]
    fn window_excludes_older_orders() {
        let orders = [order(1, 10, 100), order(1, 95, 100), order(2, 20, 100)];
        let rows = compute(100, Some(30), &orders);
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].customer_id, rows[0].frequency), (1, 1));
        // The window's first day is excluded: as_of − window is "30 days ago".
        assert!(compute(100, Some(5), &[order(3, 95, 1)]).is_empty());
        assert_eq!(compute(100, Some(5), &[order(3, 96, 1)]).len(), 1);
    }

    #[test]
    fn score_formula_matches_the_spec() {
        assert_eq!(quintile_score(0, 10), 1);
        assert_eq!(quintile_score(1, 10), 1);
        assert_eq!(quintile_score(2, 10), 2);
        assert_eq!(quintile_score(9, 10), 5);
        assert_eq!(quintile_score(3, 7), 3); // 1 + floor(15 / 7)
        assert_eq!(quintile_score(0, 0), 1);
    }

    #[test]
    fn every_cell_has_one_segment_and_every_segment_a_cell() {
        let mut seen = std::collections::HashSet::new();
        for r in 1..=5 {
            for f in 1..=5 {
                seen.insert(RfmSegment::from_scores(r, f));
            }
        }
        assert_eq!(seen.len(), RfmSegment::ALL.len());
        assert_eq!(RfmSegment::from_scores(3, 3), RfmSegment::NeedAttention);
        assert_eq!(RfmSegment::from_scores(2, 5), RfmSegment::CannotLoseThem);
        assert_eq!(RfmSegment::from_scores(1, 2), RfmSegment::Hibernating);
        assert_eq!(RfmSegment::from_scores(4, 1), RfmSegment::Promising);
        assert_eq!(RfmSegment::from_scores(3, 1), RfmSegment::AboutToSleep);
        for s in RfmSegment::ALL {
            assert_eq!(RfmSegment::parse(s.as_str()), Some(s));
        }
    }
}
