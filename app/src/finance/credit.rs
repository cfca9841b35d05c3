//! The credit rating rule. A payment has *matured* once its due date has passed or once
//! it is paid (an unpaid payment due today is not late yet). Over the matured payments:
//!
//! - **on-time share**: paid on or before the due date, as a share of matured payments
//!   (an unpaid matured payment counts as not on time);
//! - **days overdue**: for unpaid payments past due, days since the due date (the largest);
//! - **amount overdue**: the sum of unpaid payments past due, as a share of the matured amount;
//! - **days late**: for paid payments, days paid after the due date (the largest).
//!
//! | rating | when |
//! |---|---|
//! | E | anything unpaid more than 90 days past due, or ≥ 50 % of the matured amount overdue |
//! | D | anything unpaid more than 30 days past due, or on-time share below 50 % |
//! | C | anything unpaid past due, or on-time share below 80 % |
//! | B | on-time share below 95 %, or a payment once paid more than 30 days late |
//! | A | otherwise |
//!
//! No matured payment: no rating ("not rated"). The first matching row from the top wins.
//! A manual override (with a reason, audited) replaces the derived rating until cleared.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CreditRating {
    A,
    B,
    C,
    D,
    E,
}

impl CreditRating {
    pub const ALL: [CreditRating; 5] = [
        CreditRating::A,
        CreditRating::B,
        CreditRating::C,
        CreditRating::D,
        CreditRating::E,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            CreditRating::A => "A",
            CreditRating::B => "B",
            CreditRating::C => "C",
            CreditRating::D => "D",
            CreditRating::E => "E",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        CreditRating::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// One payment as the rule sees it: days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentFacts {
    pub amount_cents: i64,
    pub due_day: i64,
    pub paid_day: Option<i64>,
}

/// The figures behind a rating, shown next to it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditFigures {
    pub matured: i64,
    pub paid_on_time: i64,
    /// Whole percent, rounded down; `None` without matured payments.
    pub on_time_percent: Option<i64>,
    pub max_days_overdue: i64,
    pub overdue_cents: i64,
    pub matured_cents: i64,
    pub max_days_late: i64,
}

pub fn figures(payments: &[PaymentFacts], today: i64) -> CreditFigures {
    let mut f = CreditFigures::default();
    for p in payments {
        let matured = p.paid_day.is_some() || p.due_day < today;
        if !matured {
            continue;
        }
        f.matured += 1;
        f.matured_cents += p.amount_cents;
        match p.paid_day {
            Some(paid) if paid <= p.due_day => f.paid_on_time += 1,
            Some(paid) => f.max_days_late = f.max_days_late.max(paid - p.due_day),
            None => {
                f.overdue_cents += p.amount_cents;
                f.max_days_overdue = f.max_days_overdue.max(today - p.due_day);
            }
        }
    }
    f.on_time_percent = (f.matured > 0).then(|| f.paid_on_time * 100 / f.matured);
    f
}

/// The derived rating of [`figures`], per the table in the module documentation.
pub fn rating(f: &CreditFigures) -> Option<CreditRating> {
    let share = f.on_time_percent?;
    let overdue_half =
        f.matured_cents > 0 && f.overdue_cents * 2 >= f.matured_cents && f.overdue_cents > 0;
    Some(if f.max_days_overdue > 90 || overdue_half {
        CreditRating::E
    } else if f.max_days_overdue > 30 || share < 50 {
        CreditRating::D
    } else if f.max_days_overdue > 0 || share < 80 {
        CreditRating::C
    } else if share < 95 || f.max_days_late > 30 {
        CreditRating::B
    } else {
        CreditRating::A
    })
}

/// Payment status, derived from dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PaymentStatus {
    Paid,
    Due,
    Overdue,
}

pub fn payment_status(due_day: i64, paid_day: Option<i64>, today: i64) -> PaymentStatus {
    match paid_day {
        Some(_) => PaymentStatus::Paid,
        None if due_day < today => PaymentStatus::Overdue,
        None => PaymentStatus::Due,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: i64 = 20_758;

    fn paid(amount: i64, due: i64, paid: i64) -> PaymentFacts {
        PaymentFacts {
            amount_cents: amount,
            due_day: TODAY + due,
            paid_day: Some(TODAY + paid),
        }
    }
    fn open(amount: i64, due: i64) -> PaymentFacts {
        PaymentFacts {
            amount_cents: amount,
            due_day: TODAY + due,
            paid_day: None,
        }
    }
    fn rate(p: &[PaymentFacts]) -> Option<CreditRating> {
        rating(&figures(p, TODAY))
    }

    #[test]
    fn no_history_is_not_rated() {
        assert_eq!(rate(&[]), None);
        // Only payments not yet past due: nothing has matured.
        assert_eq!(rate(&[open(100, 5), open(100, 0)]), None);
    }

    #[test]
    fn punctual_payers_get_a() {
        let p: Vec<_> = (0..20).map(|i| paid(100, -30 * i, -30 * i - 2)).collect();
        assert_eq!(rate(&p), Some(CreditRating::A));
        // Due today and unpaid is not late yet.
        let mut q = p.clone();
        q.push(open(100, 0));
        let f = figures(&q, TODAY);
        assert_eq!(f.max_days_overdue, 0);
        assert_eq!(figures(&q, TODAY).matured, 20);
        assert_eq!(rate(&q), Some(CreditRating::A));
    }

    #[test]
    fn boundaries_of_each_grade() {
        // 19 of 20 on time = 95 %: A; one paid 31 days late: B.
        let mut p: Vec<_> = (0..19).map(|i| paid(100, -i, -i)).collect();
        p.push(paid(100, -40, -35));
        assert_eq!(figures(&p, TODAY).on_time_percent, Some(95));
        assert_eq!(rate(&p), Some(CreditRating::A));
        p.pop();
        p.push(paid(100, -40, -9));
        assert_eq!(rate(&p), Some(CreditRating::B));
        // Anything overdue by a day: C; by 31 days: D; by 91 days: E.
        let base: Vec<_> = (0..9).map(|i| paid(1_000, -i, -i)).collect();
        for (days, grade) in [
            (1, CreditRating::C),
            (30, CreditRating::C),
            (31, CreditRating::D),
            (90, CreditRating::D),
            (91, CreditRating::E),
        ] {
            let mut q = base.clone();
            q.push(open(100, -days));
            assert_eq!(rate(&q), Some(grade), "{days} days overdue");
        }
        // Half of the matured amount overdue: E even if recent.
        assert_eq!(
            rate(&[paid(100, -10, -10), open(100, -1)]),
            Some(CreditRating::E)
        );
        // On-time share below 50 %: D; below 80 %: C.
        assert_eq!(
            rate(&[paid(1, -5, 0), paid(1, -5, 0), paid(1, -5, -5)]),
            Some(CreditRating::D)
        );
        let mut r: Vec<_> = (0..7).map(|i| paid(1, -i, -i)).collect();
        r.extend((0..3).map(|_| paid(1, -10, -5)));
        assert_eq!(rate(&r), Some(CreditRating::C));
    }

    #[test]
    fn status_is_derived_from_dates() {
        assert_eq!(
            payment_status(TODAY - 1, None, TODAY),
            PaymentStatus::Overdue
        );
        assert_eq!(payment_status(TODAY, None, TODAY), PaymentStatus::Due);
        assert_eq!(
            payment_status(TODAY - 9, Some(TODAY), TODAY),
            PaymentStatus::Paid
        );
    }
}
