//! The customer list's filter: its URL form (`CustomerFilter`), the checked form the
//! query takes (`ParsedFilter`), custom field conditions, sorting and the keyset cursor.

use crate::auth::permissions::{LEVEL_KEY, LEVEL_STANDARD};
use crate::customers::model::*;
use crate::error::AppError;
use crate::format::{decode_component, encode_component};
use crate::i18n::Key;
use crate::ids::{TeamId, UserId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum SortKey {
    #[default]
    Name,
    Newest,
    RecentlyUpdated,
}

impl SortKey {
    pub const ALL: [SortKey; 3] = [SortKey::Name, SortKey::Newest, SortKey::RecentlyUpdated];
    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Newest => "newest",
            SortKey::RecentlyUpdated => "updated",
        }
    }
    pub fn parse(s: &str) -> SortKey {
        SortKey::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .unwrap_or_default()
    }
    pub fn label(self) -> Key {
        match self {
            SortKey::Name => Key::SortName,
            SortKey::Newest => Key::SortNewest,
            SortKey::RecentlyUpdated => Key::SortUpdated,
        }
    }
}

/// The list's filters, as they appear in the URL query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomerFilter {
    pub q: String,
    pub level: String,
    pub grade: String,
    pub owner: String,
    pub team: String,
    pub tag: String,
    pub kind: String,
    pub province: String,
    pub city: String,
    pub industry: String,
    pub source_channel: String,
    pub group: String,
    /// `1`: only customers with an unpaid payment past its due date.
    pub overdue: String,
    /// `1`: only customers with an open task.
    pub open_task: String,
    /// Custom field conditions as URL query pairs (`cf.<key>=v`, `cf.<key>.min=v`,
    /// `cf.<key>.max=v`), already percent-encoded, so the list URL round-trips as is.
    pub custom: String,
    /// A saved segment's id: only its members.
    pub segment: String,
    /// A lifecycle stage code: only customers in that stage today.
    pub stage: String,
    pub sort: String,
    /// Keyset cursor: the position after which the page starts.
    pub after: String,
}

impl CustomerFilter {
    /// The filter a list address carries: `get` reads one query parameter (empty when
    /// absent), `pairs` are all of them, of which the `cf.*` ones are custom field
    /// conditions. The one reading of list parameters, for the page and the export.
    pub fn from_params<'a>(
        get: impl Fn(&str) -> String,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> CustomerFilter {
        CustomerFilter {
            q: get("q"),
            level: get("level"),
            grade: get("grade"),
            owner: get("owner"),
            team: get("team"),
            tag: get("tag"),
            kind: get("kind"),
            province: get("province"),
            city: get("city"),
            industry: get("industry"),
            source_channel: get("source_channel"),
            group: get("group"),
            overdue: get("overdue"),
            open_task: get("open_task"),
            custom: encode_custom_pairs(pairs),
            segment: get("segment"),
            stage: get("stage"),
            sort: get("sort"),
            after: get("after"),
        }
    }
}

/// Encodes custom field conditions (key of the URL parameter, value) for [`CustomerFilter::custom`].
pub fn encode_custom_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut pairs: Vec<(&str, &str)> = pairs
        .into_iter()
        .filter(|(k, v)| k.starts_with("cf.") && !v.trim().is_empty())
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The decoded `(parameter, value)` pairs of [`CustomerFilter::custom`].
pub fn decode_custom_pairs(custom: &str) -> Vec<(String, String)> {
    custom
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode_component(k), decode_component(v))
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    Equals,
    Min,
    Max,
}

/// One custom field condition, not yet checked against the field definitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomCondition {
    pub key: String,
    pub bound: Bound,
    pub value: String,
}

impl CustomCondition {
    /// The URL parameter this condition came from, used as the error's field name.
    pub fn param(&self) -> String {
        match self.bound {
            Bound::Equals => format!("cf.{}", self.key),
            Bound::Min => format!("cf.{}.min", self.key),
            Bound::Max => format!("cf.{}.max", self.key),
        }
    }
}

fn parse_custom_conditions(custom: &str) -> Result<Vec<CustomCondition>, AppError> {
    let mut out = Vec::new();
    for (param, value) in decode_custom_pairs(custom) {
        let value = value.trim().to_string();
        if value.is_empty() {
            continue;
        }
        let bad = || AppError::field(&param, Key::ErrUnknownField);
        let rest = param.strip_prefix("cf.").ok_or_else(bad)?;
        let (key, bound) = if let Some(k) = rest.strip_suffix(".min") {
            (k, Bound::Min)
        } else if let Some(k) = rest.strip_suffix(".max") {
            (k, Bound::Max)
        } else {
            (rest, Bound::Equals)
        };
        if !crate::custom_fields::model::valid_key(key) || value.chars().count() > 200 {
            return Err(bad());
        }
        out.push(CustomCondition {
            key: key.to_string(),
            bound,
            value,
        });
    }
    Ok(out)
}

/// Where a page ends: the sort value and id of its last row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub key: String,
    pub id: i64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        format!("{}:{}", self.id, self.key)
    }
    pub fn decode(s: &str) -> Option<Cursor> {
        let (id, key) = s.split_once(':')?;
        Some(Cursor {
            id: id.parse().ok()?,
            key: key.to_string(),
        })
    }
}

/// A filter checked and typed; unknown values are errors, not silently ignored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedFilter {
    pub q: Option<String>,
    pub level: Option<i64>,
    pub grade: Option<Grade>,
    pub owner: Option<UserId>,
    pub team: Option<TeamId>,
    pub tag: Option<i64>,
    pub kind: Option<CustomerKind>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub industry: Option<String>,
    pub source_channel: Option<String>,
    pub group: Option<i64>,
    pub overdue: bool,
    pub open_task: bool,
    pub custom: Vec<CustomCondition>,
    /// Members of this saved segment only (resolved and permission-checked by the list).
    pub segment: Option<i64>,
    /// Customers in this lifecycle stage today.
    pub stage: Option<crate::lifecycle::model::Stage>,
    pub sort: SortKey,
    pub after: Option<Cursor>,
}

impl TryFrom<&CustomerFilter> for ParsedFilter {
    type Error = AppError;
    fn try_from(f: &CustomerFilter) -> Result<Self, AppError> {
        let bad = |field: &str| AppError::field(field, Key::ErrInvalidChoice);
        let num = |field: &str, s: &str| -> Result<Option<i64>, AppError> {
            if s.trim().is_empty() {
                Ok(None)
            } else {
                s.trim().parse().map(Some).map_err(|_| bad(field))
            }
        };
        let q = f.q.trim();
        let exact = |s: &str| {
            let s = s.trim();
            (!s.is_empty()).then(|| s.chars().take(200).collect::<String>())
        };
        let flag = |field: &str, s: &str| match s.trim() {
            "" | "0" => Ok(false),
            "1" | "on" | "true" => Ok(true),
            _ => Err(bad(field)),
        };
        Ok(ParsedFilter {
            kind: if f.kind.trim().is_empty() {
                None
            } else {
                Some(CustomerKind::parse(&f.kind).ok_or_else(|| bad("kind"))?)
            },
            province: exact(&f.province),
            city: exact(&f.city),
            industry: exact(&f.industry),
            source_channel: exact(&f.source_channel),
            group: num("group", &f.group)?,
            overdue: flag("overdue", &f.overdue)?,
            open_task: flag("open_task", &f.open_task)?,
            custom: parse_custom_conditions(&f.custom)?,
            segment: num("segment", &f.segment)?,
            stage: if f.stage.trim().is_empty() {
                None
            } else {
                Some(crate::lifecycle::model::Stage::parse(&f.stage).ok_or_else(|| bad("stage"))?)
            },
            q: (!q.is_empty()).then(|| q.chars().take(100).collect::<String>().to_lowercase()),
            level: match num("level", &f.level)? {
                None => None,
                Some(l) if l == LEVEL_KEY || l == LEVEL_STANDARD => Some(l),
                Some(_) => return Err(bad("level")),
            },
            grade: if f.grade.trim().is_empty() {
                None
            } else {
                Some(Grade::parse(&f.grade).ok_or_else(|| bad("grade"))?)
            },
            owner: num("owner", &f.owner)?.map(UserId),
            team: num("team", &f.team)?.map(TeamId),
            tag: num("tag", &f.tag)?,
            sort: SortKey::parse(&f.sort),
            after: if f.after.is_empty() {
                None
            } else {
                Some(Cursor::decode(&f.after).ok_or_else(|| bad("after"))?)
            },
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerPage {
    pub items: Vec<CustomerListItem>,
    /// Cursor of the next page, when there is one.
    pub next_after: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip_with_colons() {
        let c = Cursor {
            key: "a:b:c".into(),
            id: 42,
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("x:y"), None);
    }

    #[test]
    fn filter_rejects_unknown_values() {
        let f = CustomerFilter {
            level: "7".into(),
            ..Default::default()
        };
        assert!(ParsedFilter::try_from(&f).is_err());
        let f = CustomerFilter {
            grade: "vip".into(),
            q: " Ann ".into(),
            ..Default::default()
        };
        let p = ParsedFilter::try_from(&f).unwrap();
        assert_eq!(p.grade, Some(Grade::Vip));
        assert_eq!(p.q.as_deref(), Some("ann"));
    }

    #[test]
    fn custom_conditions_round_trip_and_parse() {
        let custom = encode_custom_pairs([
            ("cf.budget.min", "1000"),
            ("cf.segment", "A & B"),
            ("cf.empty", " "),
            ("q", "ignored"),
        ]);
        assert_eq!(custom, "cf.budget.min=1000&cf.segment=A%20%26%20B");
        let f = CustomerFilter {
            custom,
            overdue: "1".into(),
            kind: "company".into(),
            ..Default::default()
        };
        let p = ParsedFilter::try_from(&f).unwrap();
        assert!(p.overdue && !p.open_task);
        assert_eq!(p.kind, Some(CustomerKind::Company));
        assert_eq!(
            p.custom,
            [
                CustomCondition {
                    key: "budget".into(),
                    bound: Bound::Min,
                    value: "1000".into()
                },
                CustomCondition {
                    key: "segment".into(),
                    bound: Bound::Equals,
                    value: "A & B".into()
                }
            ]
        );
        let bad = CustomerFilter {
            custom: "cf.Bad%20Key=1".into(),
            ..Default::default()
        };
        assert_eq!(
            ParsedFilter::try_from(&bad)
                .unwrap_err()
                .field_error("cf.Bad Key"),
            Some(Key::ErrUnknownField)
        );
    }
}
