use crate::auth::model::{optional_text, Problems};
use crate::dates::{iso_date, parse_cents, parse_currency, parse_date};
use crate::error::{AppError, FieldError};
use crate::i18n::Key;
use serde::{Deserialize, Serialize};

pub const DEFAULT_CURRENCY: &str = "CNY";

/// Raw form input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderInput {
    pub external_id: String,
    pub date: String,
    pub amount: String,
    pub currency: String,
    pub product: String,
    pub category: String,
    pub channel: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderDraft {
    pub external_id: Option<String>,
    /// Days since 1970-01-01.
    pub day: i64,
    pub amount_cents: i64,
    pub currency: String,
    pub product: Option<String>,
    pub category: Option<String>,
    pub channel: Option<String>,
}

impl OrderDraft {
    /// Dates later than `today` are refused: an order in the archive has happened.
    pub fn parse(input: &OrderInput, today: i64) -> Result<OrderDraft, AppError> {
        let mut p = Problems::default();
        let day = match parse_date(&input.date) {
            Some(d) if d <= today + 1 => Some(d),
            Some(_) => {
                p.push(FieldError::new("date", Key::ErrInFuture));
                None
            }
            None if input.date.trim().is_empty() => {
                p.push(FieldError::new("date", Key::ErrRequired));
                None
            }
            None => {
                p.push(FieldError::new("date", Key::ErrInvalidDate));
                None
            }
        };
        let amount = match parse_cents(&input.amount) {
            Some(c) if c >= 0 => Some(c),
            _ if input.amount.trim().is_empty() => {
                p.push(FieldError::new("amount", Key::ErrRequired));
                None
            }
            _ => {
                p.push(FieldError::new("amount", Key::ErrInvalidAmount));
                None
            }
        };
        let currency = if input.currency.trim().is_empty() {
            Some(DEFAULT_CURRENCY.to_string())
        } else {
            let c = parse_currency(&input.currency);
            if c.is_none() {
                p.push(FieldError::new("currency", Key::ErrInvalidCurrency));
            }
            c
        };
        let text = |p: &mut Problems, f: &str, v: &str| p.check(optional_text(f, v, 200)).flatten();
        let draft = OrderDraft {
            external_id: p
                .check(optional_text("external_id", &input.external_id, 64))
                .flatten(),
            day: day.unwrap_or_default(),
            amount_cents: amount.unwrap_or_default(),
            currency: currency.unwrap_or_default(),
            product: text(&mut p, "product", &input.product),
            category: text(&mut p, "category", &input.category),
            channel: text(&mut p, "channel", &input.channel),
        };
        p.into_result()?;
        Ok(draft)
    }

    pub fn iso_date(&self) -> String {
        iso_date(self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_are_validated() {
        let today = 20_758;
        let ok = OrderDraft::parse(
            &OrderInput {
                date: "2026-10-30".into(),
                amount: "1,299.90".into(),
                product: "Tea set".into(),
                ..Default::default()
            },
            today,
        )
        .unwrap();
        assert_eq!(ok.amount_cents, 129_990);
        assert_eq!(ok.currency, "CNY");
        assert_eq!(ok.iso_date(), "2026-10-30");
        let e = OrderDraft::parse(
            &OrderInput {
                date: "2027-01-01".into(),
                amount: "-5".into(),
                currency: "yuan".into(),
                ..Default::default()
            },
            today,
        )
        .unwrap_err();
        assert_eq!(e.field_error("date"), Some(Key::ErrInFuture));
        assert_eq!(e.field_error("amount"), Some(Key::ErrInvalidAmount));
        assert_eq!(e.field_error("currency"), Some(Key::ErrInvalidCurrency));
    }
}
