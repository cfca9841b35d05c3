use crate::auth::model::{required_text, Problems};
use crate::dates::{parse_cents, parse_currency, parse_date};
use crate::error::{AppError, FieldError};
use crate::finance::credit::{CreditFigures, CreditRating, PaymentStatus};
use crate::i18n::Key;
use crate::ids::{ContractId, PaymentId};
use crate::orders::model::DEFAULT_CURRENCY;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ContractStatus {
    Draft,
    Active,
    Ended,
    Cancelled,
}

impl ContractStatus {
    pub const ALL: [ContractStatus; 4] = [
        ContractStatus::Draft,
        ContractStatus::Active,
        ContractStatus::Ended,
        ContractStatus::Cancelled,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ContractStatus::Draft => "draft",
            ContractStatus::Active => "active",
            ContractStatus::Ended => "ended",
            ContractStatus::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        ContractStatus::ALL
            .into_iter()
            .find(|x| x.as_str() == s.trim())
    }
    pub fn label(self) -> Key {
        match self {
            ContractStatus::Draft => Key::ContractDraft,
            ContractStatus::Active => Key::ContractActive,
            ContractStatus::Ended => Key::ContractEnded,
            ContractStatus::Cancelled => Key::ContractCancelled,
        }
    }
}

pub fn payment_status_label(s: PaymentStatus) -> Key {
    match s {
        PaymentStatus::Paid => Key::PaymentPaid,
        PaymentStatus::Due => Key::PaymentDue,
        PaymentStatus::Overdue => Key::PaymentOverdue,
    }
}

fn amount(p: &mut Problems, field: &str, raw: &str) -> Option<i64> {
    match parse_cents(raw) {
        Some(c) if c >= 0 => Some(c),
        _ if raw.trim().is_empty() => {
            p.push(FieldError::new(field, Key::ErrRequired));
            None
        }
        _ => {
            p.push(FieldError::new(field, Key::ErrInvalidAmount));
            None
        }
    }
}

fn currency(p: &mut Problems, raw: &str) -> Option<String> {
    if raw.trim().is_empty() {
        return Some(DEFAULT_CURRENCY.into());
    }
    let c = parse_currency(raw);
    if c.is_none() {
        p.push(FieldError::new("currency", Key::ErrInvalidCurrency));
    }
    c
}

fn date(p: &mut Problems, field: &str, raw: &str, required: bool) -> Option<Option<i64>> {
    if raw.trim().is_empty() {
        if required {
            p.push(FieldError::new(field, Key::ErrRequired));
            return None;
        }
        return Some(None);
    }
    match parse_date(raw) {
        Some(d) => Some(Some(d)),
        None => {
            p.push(FieldError::new(field, Key::ErrInvalidDate));
            None
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContractInput {
    pub title: String,
    pub value: String,
    pub currency: String,
    pub start: String,
    pub end: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractDraft {
    pub title: String,
    pub value_cents: i64,
    pub currency: String,
    pub start_day: i64,
    pub end_day: Option<i64>,
    pub status: ContractStatus,
}

impl ContractDraft {
    pub fn parse(input: &ContractInput) -> Result<ContractDraft, AppError> {
        let mut p = Problems::default();
        let title = p.check(required_text("title", &input.title, 200));
        let value = amount(&mut p, "value", &input.value);
        let currency = currency(&mut p, &input.currency);
        let start = date(&mut p, "start", &input.start, true).flatten();
        let end = date(&mut p, "end", &input.end, false);
        if let (Some(s), Some(Some(e))) = (start, end) {
            if e < s {
                p.push(FieldError::new("end", Key::ErrEndBeforeStart));
            }
        }
        let status = if input.status.trim().is_empty() {
            Some(ContractStatus::Active)
        } else {
            let s = ContractStatus::parse(&input.status);
            if s.is_none() {
                p.push(FieldError::new("status", Key::ErrInvalidChoice));
            }
            s
        };
        p.into_result()?;
        Ok(ContractDraft {
            title: title.unwrap_or_default(),
            value_cents: value.unwrap_or_default(),
            currency: currency.unwrap_or_default(),
            start_day: start.unwrap_or_default(),
            end_day: end.flatten(),
            status: status.unwrap_or(ContractStatus::Active),
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PaymentInput {
    pub amount: String,
    pub currency: String,
    pub due: String,
    pub paid: String,
    pub contract: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentDraft {
    pub amount_cents: i64,
    pub currency: String,
    pub due_day: i64,
    pub paid_day: Option<i64>,
    pub contract: Option<ContractId>,
}

impl PaymentDraft {
    /// A paid date later than `today` is refused.
    pub fn parse(input: &PaymentInput, today: i64) -> Result<PaymentDraft, AppError> {
        let mut p = Problems::default();
        let amount = amount(&mut p, "amount", &input.amount);
        let currency = currency(&mut p, &input.currency);
        let due = date(&mut p, "due", &input.due, true).flatten();
        let paid = date(&mut p, "paid", &input.paid, false);
        if let Some(Some(d)) = paid {
            if d > today + 1 {
                p.push(FieldError::new("paid", Key::ErrInFuture));
            }
        }
        let contract = match input.contract.trim() {
            "" => Some(None),
            s => p.check(
                s.parse()
                    .map(Some)
                    .map_err(|_| FieldError::new("contract", Key::ErrInvalidChoice)),
            ),
        };
        p.into_result()?;
        Ok(PaymentDraft {
            amount_cents: amount.unwrap_or_default(),
            currency: currency.unwrap_or_default(),
            due_day: due.unwrap_or_default(),
            paid_day: paid.flatten(),
            contract: contract.flatten(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contract {
    pub id: ContractId,
    pub title: String,
    pub value_cents: i64,
    pub currency: String,
    pub start_date: String,
    pub end_date: Option<String>,
    pub status: ContractStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub id: PaymentId,
    pub contract_title: Option<String>,
    pub amount_cents: i64,
    pub currency: String,
    pub due_date: String,
    pub paid_date: Option<String>,
    pub status: PaymentStatus,
}

/// The rating shown on the customer page, with the figures behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditView {
    pub derived: Option<CreditRating>,
    pub figures: CreditFigures,
    pub override_rating: Option<CreditRating>,
    pub override_reason: Option<String>,
}

impl CreditView {
    /// The override when there is one, else the derived rating.
    pub fn effective(&self) -> Option<CreditRating> {
        self.override_rating.or(self.derived)
    }
}

/// Everything financial about one customer, for viewers allowed to see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinanceOverview {
    pub credit: CreditView,
    pub contracts: Vec<Contract>,
    pub payments: Vec<Payment>,
    pub may_edit: bool,
    pub may_override: bool,
}

/// `rating` empty clears the override; a new override needs a reason.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CreditOverrideInput {
    pub rating: String,
    pub reason: String,
}

/// `None` clears the override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditOverride(pub Option<(CreditRating, String)>);

impl CreditOverride {
    pub fn parse(input: &CreditOverrideInput) -> Result<CreditOverride, AppError> {
        if input.rating.trim().is_empty() {
            return Ok(CreditOverride(None));
        }
        let mut p = Problems::default();
        let rating = CreditRating::parse(&input.rating);
        if rating.is_none() {
            p.push(FieldError::new("rating", Key::ErrInvalidChoice));
        }
        let reason = p.check(required_text("reason", &input.reason, 500));
        p.into_result()?;
        Ok(CreditOverride(rating.zip(reason)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contracts_need_a_sane_period() {
        let e = ContractDraft::parse(&ContractInput {
            title: "Support".into(),
            value: "1000".into(),
            start: "2026-05-01".into(),
            end: "2026-04-01".into(),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(e.field_error("end"), Some(Key::ErrEndBeforeStart));
        let ok = ContractDraft::parse(&ContractInput {
            title: "Support".into(),
            value: "1000".into(),
            start: "2026-05-01".into(),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(ok.status, ContractStatus::Active);
        assert_eq!(ok.value_cents, 100_000);
    }

    #[test]
    fn overrides_need_a_reason() {
        let e = CreditOverride::parse(&CreditOverrideInput {
            rating: "B".into(),
            reason: " ".into(),
        })
        .unwrap_err();
        assert_eq!(e.field_error("reason"), Some(Key::ErrRequired));
        assert_eq!(
            CreditOverride::parse(&CreditOverrideInput {
                rating: "b".into(),
                reason: "Bank guarantee".into()
            })
            .unwrap(),
            CreditOverride(Some((CreditRating::B, "Bank guarantee".into())))
        );
        assert_eq!(
            CreditOverride::parse(&CreditOverrideInput::default()).unwrap(),
            CreditOverride(None)
        );
    }

    #[test]
    fn payments_paid_in_the_future_are_refused() {
        let e = PaymentDraft::parse(
            &PaymentInput {
                amount: "10".into(),
                due: "2026-11-01".into(),
                paid: "2027-01-01".into(),
                ..Default::default()
            },
            20_758,
        )
        .unwrap_err();
        assert_eq!(e.field_error("paid"), Some(Key::ErrInFuture));
    }
}
