//! Admin-defined customer fields: definitions and the parsing of their values. Pure, so
//! the browser and the server agree on what a valid value is.

use crate::error::FieldError;
use crate::i18n::Key;
use serde::{Deserialize, Serialize};

pub const LABEL_MAX: usize = 80;
pub const KEY_MAX: usize = 40;
pub const VALUE_MAX: usize = 200;
pub const CHOICES_MAX: usize = 50;
/// Numbers are stored as integers scaled by 10^4 (four decimal places), so ranges use an index.
pub const NUMBER_SCALE: i64 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FieldKind {
    Text,
    Number,
    Date,
    Choice,
}

impl FieldKind {
    pub const ALL: [FieldKind; 4] = [
        FieldKind::Text,
        FieldKind::Number,
        FieldKind::Date,
        FieldKind::Choice,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Number => "number",
            FieldKind::Date => "date",
            FieldKind::Choice => "choice",
        }
    }
    pub fn parse(s: &str) -> Option<FieldKind> {
        FieldKind::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
    pub fn label(self) -> Key {
        match self {
            FieldKind::Text => Key::FieldKindText,
            FieldKind::Number => Key::FieldKindNumber,
            FieldKind::Date => Key::FieldKindDate,
            FieldKind::Choice => Key::FieldKindChoice,
        }
    }
    /// Number and date values are compared by range, the others by equality.
    pub fn is_ranged(self) -> bool {
        matches!(self, FieldKind::Number | FieldKind::Date)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomField {
    pub id: i64,
    pub key: String,
    pub label: String,
    pub kind: FieldKind,
    pub choices: Vec<String>,
    pub position: i64,
    pub active: bool,
}

/// One stored value: canonical text, plus the sortable integer of numbers and dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredValue {
    pub text: String,
    pub number: Option<i64>,
}

/// A customer's value of one field, for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomValue {
    pub key: String,
    pub label: String,
    pub value: String,
}

/// The admin's form for a new field, as the browser sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FieldInput {
    pub label: String,
    /// Optional; derived from the label when empty.
    pub key: String,
    pub kind: String,
    /// One choice per line.
    pub choices: String,
}

/// A checked field definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDraft {
    pub key: String,
    pub label: String,
    pub kind: FieldKind,
    pub choices: Vec<String>,
}

pub fn parse_label(raw: &str) -> Result<String, FieldError> {
    let label = raw.trim();
    if label.is_empty() {
        Err(FieldError::new("label", Key::ErrRequired))
    } else if label.chars().count() > LABEL_MAX {
        Err(FieldError::new("label", Key::ErrTooLong))
    } else {
        Ok(label.to_string())
    }
}

/// A key from the label: lower-case ASCII letters and digits, other runs become `_`.
/// Labels without any ASCII letter or digit (e.g. Chinese) give `field`.
pub fn derive_key(label: &str) -> String {
    let mut key = String::new();
    for c in label.chars() {
        if c.is_ascii_alphanumeric() {
            key.push(c.to_ascii_lowercase());
        } else if !key.ends_with('_') && !key.is_empty() {
            key.push('_');
        }
    }
    let key: String = key.trim_end_matches('_').chars().take(KEY_MAX).collect();
    if key.is_empty() {
        "field".into()
    } else {
        key
    }
}

pub fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= KEY_MAX
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl TryFrom<&FieldInput> for FieldDraft {
    type Error = crate::error::AppError;
    fn try_from(input: &FieldInput) -> Result<Self, Self::Error> {
        let mut problems = Vec::new();
        let label = parse_label(&input.label).map_err(|e| problems.push(e)).ok();
        let key = if input.key.trim().is_empty() {
            derive_key(&input.label)
        } else {
            input.key.trim().to_string()
        };
        if !valid_key(&key) {
            problems.push(FieldError::new("key", Key::ErrInvalidFieldKey));
        }
        let kind = FieldKind::parse(&input.kind);
        if kind.is_none() {
            problems.push(FieldError::new("kind", Key::ErrInvalidChoice));
        }
        let mut choices: Vec<String> = Vec::new();
        for line in input
            .choices
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            if line.chars().count() > VALUE_MAX {
                problems.push(FieldError::new("choices", Key::ErrTooLong));
                break;
            }
            if !choices.iter().any(|c| c == line) {
                choices.push(line.to_string());
            }
        }
        if choices.len() > CHOICES_MAX {
            problems.push(FieldError::new("choices", Key::ErrTooMany));
        }
        if kind == Some(FieldKind::Choice) && choices.is_empty() {
            problems.push(FieldError::new("choices", Key::ErrRequired));
        }
        if !problems.is_empty() {
            return Err(crate::error::AppError::Validation(problems));
        }
        let kind = kind.unwrap_or(FieldKind::Text);
        Ok(FieldDraft {
            key,
            label: label.unwrap_or_default(),
            kind,
            // Only choice fields keep their list.
            choices: if kind == FieldKind::Choice {
                choices
            } else {
                Vec::new()
            },
        })
    }
}

/// An ISO date `YYYY-MM-DD` that exists in the calendar, as days since the epoch.
pub fn parse_iso_date(raw: &str) -> Option<i64> {
    let s = raw.trim();
    let mut parts = s.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (i64, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    if !(1..=12).contains(&m) || d == 0 {
        return None;
    }
    let days = crate::dates::days_from_civil(y, m, d);
    // Round-trip through the calendar rejects 2023-02-30 and friends.
    (crate::dates::civil_from_days(days) == (y, m, d)).then_some(days)
}

/// A decimal number with at most four decimals, scaled by 10^4. Accepts `1,234.5`.
pub fn parse_number(raw: &str) -> Option<i64> {
    let s: String = raw.trim().chars().filter(|c| *c != ',').collect();
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.as_str()),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && frac.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 4
        || whole.len() > 14
    {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let frac_scaled: i64 = format!("{frac:0<4}").parse().ok()?;
    let value = whole.checked_mul(NUMBER_SCALE)?.checked_add(frac_scaled)?;
    Some(if negative { -value } else { value })
}

/// The canonical text of a scaled number: no trailing zeros, no grouping.
pub fn format_number(scaled: i64) -> String {
    let sign = if scaled < 0 { "-" } else { "" };
    let v = scaled.unsigned_abs();
    let whole = v / NUMBER_SCALE as u64;
    let frac = v % NUMBER_SCALE as u64;
    if frac == 0 {
        format!("{sign}{whole}")
    } else {
        let frac = format!("{frac:04}");
        format!("{sign}{whole}.{}", frac.trim_end_matches('0'))
    }
}

impl CustomField {
    /// The form and filter name of this field's value: `custom.<key>`.
    pub fn error_field(&self) -> String {
        format!("custom.{}", self.key)
    }

    /// Checks a raw value for this field. Empty means "no value".
    pub fn parse_value(&self, raw: &str) -> Result<Option<StoredValue>, Key> {
        let s = raw.trim();
        if s.is_empty() {
            return Ok(None);
        }
        match self.kind {
            FieldKind::Text => {
                if s.chars().count() > VALUE_MAX {
                    Err(Key::ErrTooLong)
                } else {
                    Ok(Some(StoredValue {
                        text: s.to_string(),
                        number: None,
                    }))
                }
            }
            FieldKind::Number => {
                let n = parse_number(s).ok_or(Key::ErrInvalidNumber)?;
                Ok(Some(StoredValue {
                    text: format_number(n),
                    number: Some(n),
                }))
            }
            FieldKind::Date => {
                let days = parse_iso_date(s).ok_or(Key::ErrInvalidDate)?;
                Ok(Some(StoredValue {
                    text: s.to_string(),
                    number: Some(days),
                }))
            }
            FieldKind::Choice => self
                .choices
                .iter()
                .find(|c| c.as_str() == s)
                .map(|c| {
                    Some(StoredValue {
                        text: c.clone(),
                        number: None,
                    })
                })
                .ok_or(Key::ErrInvalidChoice),
        }
    }

    /// The integer a range bound compares with (`number_value`), for number and date fields.
    pub fn parse_bound(&self, raw: &str) -> Result<i64, Key> {
        match self.kind {
            FieldKind::Number => parse_number(raw).ok_or(Key::ErrInvalidNumber),
            FieldKind::Date => parse_iso_date(raw).ok_or(Key::ErrInvalidDate),
            FieldKind::Text | FieldKind::Choice => Err(Key::ErrInvalidChoice),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(kind: FieldKind) -> CustomField {
        CustomField {
            id: 1,
            key: "f".into(),
            label: "F".into(),
            kind,
            choices: vec!["Morning".into(), "Evening".into()],
            position: 0,
            active: true,
        }
    }

    #[test]
    fn numbers_are_scaled_and_canonical() {
        let f = field(FieldKind::Number);
        let v = f.parse_value(" 1,234.50 ").unwrap().unwrap();
        assert_eq!(v.number, Some(12_345_000));
        assert_eq!(v.text, "1234.5");
        assert_eq!(f.parse_value("-0.0001").unwrap().unwrap().number, Some(-1));
        assert_eq!(f.parse_value("12").unwrap().unwrap().text, "12");
        for bad in ["abc", "1.23456", "1e5", "--1", ".", "1.2.3"] {
            assert_eq!(f.parse_value(bad), Err(Key::ErrInvalidNumber), "{bad}");
        }
        assert_eq!(f.parse_value("  "), Ok(None));
    }

    #[test]
    fn dates_must_exist() {
        let f = field(FieldKind::Date);
        assert_eq!(
            f.parse_value("1970-01-02").unwrap().unwrap().number,
            Some(1)
        );
        assert_eq!(
            f.parse_value("2024-02-29").unwrap().unwrap().number,
            Some(crate::dates::days_from_civil(2024, 2, 29))
        );
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-1-1",
            "yesterday",
            "2024-01-01x",
        ] {
            assert_eq!(f.parse_value(bad), Err(Key::ErrInvalidDate), "{bad}");
        }
    }

    #[test]
    fn choices_and_text() {
        let f = field(FieldKind::Choice);
        assert_eq!(f.parse_value("Evening").unwrap().unwrap().text, "Evening");
        assert_eq!(f.parse_value("Night"), Err(Key::ErrInvalidChoice));
        let t = field(FieldKind::Text);
        assert_eq!(t.parse_value(" hi ").unwrap().unwrap().text, "hi");
        assert_eq!(t.parse_value(&"x".repeat(201)), Err(Key::ErrTooLong));
    }

    #[test]
    fn keys_are_derived_and_checked() {
        assert_eq!(
            derive_key("Preferred contact time"),
            "preferred_contact_time"
        );
        assert_eq!(derive_key("  Annual budget (CNY) "), "annual_budget_cny");
        assert_eq!(derive_key("年度预算"), "field");
        assert!(valid_key("segment_code"));
        assert!(!valid_key("Segment"));
        assert!(!valid_key("a-b"));
        let draft = FieldDraft::try_from(&FieldInput {
            label: "Segment".into(),
            kind: "choice".into(),
            choices: "A\n\nB\nA".into(),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(draft.key, "segment");
        assert_eq!(draft.choices, ["A", "B"]);
        assert!(FieldDraft::try_from(&FieldInput {
            label: "Segment".into(),
            kind: "choice".into(),
            ..Default::default()
        })
        .is_err());
    }
}
