//! The customer value score (PRODUCT.md §4), an integer from 0 to 100 used by the tier
//! re-evaluation:
//!
//! ```text
//! value = round( 60 × (r + f + m − 3) / 12      RFM: the three 1–5 scores of the current run
//!              + 25 × credit                     A = 1, B = .75, C = .5, D = .25, E = 0, not rated = .5
//!              + 15 × min(tenure_days / 730, 1) ) tenure: days since the customer was created
//! ```
//!
//! A customer without a score in the current run (no order in its window) gets 0 for the RFM
//! part. The credit rating is the effective one (a manual override, else the derived rating
//! of `finance::credit`). Halves round up. The arithmetic is exact: everything is scaled by
//! 4 × 730 and divided once, so there is no floating-point rounding.

use crate::finance::credit::CreditRating;
use serde::{Deserialize, Serialize};

/// Days of tenure at which the tenure part is full.
pub const FULL_TENURE_DAYS: i64 = 730;

/// The figures behind a value score, as stored with a tier proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueFigures {
    pub r_score: Option<u8>,
    pub f_score: Option<u8>,
    pub m_score: Option<u8>,
    pub recency_days: Option<i64>,
    pub frequency: i64,
    pub monetary_cents: i64,
    /// "A"–"E", or `None` when not rated.
    pub credit_rating: Option<String>,
    pub tenure_days: i64,
    pub value_score: i64,
}

/// Credit in quarters: A = 4 … E = 0, not rated = 2.
fn credit_quarters(rating: Option<CreditRating>) -> i64 {
    match rating {
        Some(CreditRating::A) => 4,
        Some(CreditRating::B) => 3,
        Some(CreditRating::C) => 2,
        Some(CreditRating::D) => 1,
        Some(CreditRating::E) => 0,
        None => 2,
    }
}

/// The value score (0–100) of the formula in the module documentation.
pub fn value_score(
    scores: Option<(u8, u8, u8)>,
    credit: Option<CreditRating>,
    tenure_days: i64,
) -> i64 {
    // RFM sum above the minimum, 0..=12.
    let rfm = scores
        .map(|(r, f, m)| {
            let c = |s: u8| i64::from(s.clamp(1, 5));
            c(r) + c(f) + c(m) - 3
        })
        .unwrap_or(0);
    let tenure = tenure_days.clamp(0, FULL_TENURE_DAYS);
    // Scaled by 4 × 730: 60/12 × rfm + 25/4 × quarters + 15/730 × tenure.
    let scale = 4 * FULL_TENURE_DAYS;
    let scaled =
        5 * rfm * scale + 25 * credit_quarters(credit) * FULL_TENURE_DAYS + 15 * tenure * 4;
    (scaled + scale / 2) / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extremes() {
        assert_eq!(
            value_score(Some((5, 5, 5)), Some(CreditRating::A), 730),
            100
        );
        assert_eq!(
            value_score(Some((5, 5, 5)), Some(CreditRating::A), 5000),
            100
        );
        assert_eq!(value_score(Some((1, 1, 1)), Some(CreditRating::E), 0), 0);
        assert_eq!(value_score(None, Some(CreditRating::E), 0), 0);
    }

    #[test]
    fn parts_add_up() {
        // RFM alone: 60 × 6 / 12 = 30.
        assert_eq!(value_score(Some((3, 3, 3)), Some(CreditRating::E), 0), 30);
        // Credit alone: 25 × .75 = 18.75 → 19; 25 × .25 = 6.25 → 6.
        assert_eq!(value_score(None, Some(CreditRating::B), 0), 19);
        assert_eq!(value_score(None, Some(CreditRating::D), 0), 6);
        // Not rated counts as C: 12.5 rounds up to 13.
        assert_eq!(value_score(None, None, 0), 13);
        assert_eq!(value_score(None, Some(CreditRating::C), 0), 13);
        // Tenure alone: 15 × 365 / 730 = 7.5 → 8.
        assert_eq!(value_score(None, Some(CreditRating::E), 365), 8);
        // Together: 60 × 9 / 12 = 45, + 25, + 15 × 146 / 730 = 3 → 73.
        assert_eq!(value_score(Some((5, 4, 3)), Some(CreditRating::A), 146), 73);
    }

    #[test]
    fn negative_tenure_and_odd_scores_are_clamped() {
        assert_eq!(value_score(Some((9, 0, 5)), Some(CreditRating::E), -10), 40);
    }

    #[test]
    fn monotonic_in_each_input() {
        let mut last = -1;
        for s in 1..=5u8 {
            let v = value_score(Some((s, 3, 3)), None, 100);
            assert!(v > last);
            last = v;
        }
        let ratings = [
            CreditRating::E,
            CreditRating::D,
            CreditRating::C,
            CreditRating::B,
            CreditRating::A,
        ];
        let mut last = -1;
        for r in ratings {
            let v = value_score(Some((3, 3, 3)), Some(r), 100);
            assert!(v > last);
            last = v;
        }
    }
}
