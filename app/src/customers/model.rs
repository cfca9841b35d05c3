use crate::auth::model::{optional_text, required_text, Email, Problems};
use crate::auth::permissions::{LEVEL_KEY, LEVEL_STANDARD};
use crate::custom_fields::model::CustomValue;
use crate::error::{AppError, FieldError};
use crate::i18n::Key;
use crate::ids::{ContactId, CustomerId, TeamId, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const NAME_MAX: usize = 200;
pub const TEXT_MAX: usize = 200;
pub const PAGE_SIZE: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CustomerKind {
    Person,
    Company,
}

impl CustomerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CustomerKind::Person => "person",
            CustomerKind::Company => "company",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "person" => Some(CustomerKind::Person),
            "company" => Some(CustomerKind::Company),
            _ => None,
        }
    }
    pub fn label(self) -> Key {
        match self {
            CustomerKind::Person => Key::KindPerson,
            CustomerKind::Company => Key::KindCompany,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Grade {
    Vip,
    Key,
    General,
}

impl Grade {
    pub const ALL: [Grade; 3] = [Grade::Vip, Grade::Key, Grade::General];
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::Vip => "vip",
            Grade::Key => "key",
            Grade::General => "general",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Grade::ALL.into_iter().find(|g| g.as_str() == s.trim())
    }
    pub fn label(self) -> Key {
        match self {
            Grade::Vip => Key::GradeVip,
            Grade::Key => Key::GradeKey,
            Grade::General => Key::GradeGeneral,
        }
    }
}

/// The compact form, for table cells.
pub fn level_short_label(level: i64) -> Key {
    if level == LEVEL_KEY {
        Key::LevelKeyShort
    } else {
        Key::LevelStandardShort
    }
}

/// Raw form input, exactly as the browser sends it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomerInput {
    pub external_id: String,
    pub name: String,
    pub kind: String,
    pub email: String,
    pub phone: String,
    pub country: String,
    pub province: String,
    pub city: String,
    pub address: String,
    pub industry: String,
    pub company_size: String,
    pub gender: String,
    pub birth_year: String,
    pub income_band: String,
    pub source_channel: String,
    pub source_campaign: String,
    pub source_referrer: String,
    pub level: String,
    pub grade: String,
    pub owner_id: String,
    pub service_manager_id: String,
    /// Comma-separated tag names.
    pub tags: String,
    /// Comma-separated group names; unknown groups are created.
    pub groups: String,
    /// Custom field values by field key (`input[custom][<key>]`).
    pub custom: BTreeMap<String, String>,
}

/// A customer's attributes as files carry them, in column order: the import reads these
/// columns and the export writes them first, so an export imports again as it is.
pub const FILE_COLUMNS: &[&str] = &[
    "external_id",
    "name",
    "kind",
    "email",
    "phone",
    "country",
    "province",
    "city",
    "address",
    "industry",
    "company_size",
    "gender",
    "birth_year",
    "income_band",
    "source_channel",
    "source_campaign",
    "source_referrer",
    "level",
    "grade",
    "owner_email",
    "service_manager_email",
    "tags",
];

/// The profile attributes stored as text, by their column names.
pub const TEXT_COLUMNS: [&str; 16] = [
    "external_id",
    "name",
    "kind",
    "email",
    "phone",
    "country",
    "province",
    "city",
    "address",
    "industry",
    "company_size",
    "gender",
    "income_band",
    "source_channel",
    "source_campaign",
    "source_referrer",
];

/// A validated customer, ready for the service.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerDraft {
    pub external_id: Option<String>,
    pub name: String,
    pub kind: CustomerKind,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub country: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub address: Option<String>,
    pub industry: Option<String>,
    pub company_size: Option<String>,
    pub gender: Option<String>,
    pub birth_year: Option<i64>,
    pub income_band: Option<String>,
    pub source_channel: Option<String>,
    pub source_campaign: Option<String>,
    pub source_referrer: Option<String>,
    pub level: i64,
    pub grade: Grade,
    /// `None`: the creating user.
    pub owner_id: Option<UserId>,
    pub service_manager_id: Option<UserId>,
    pub tags: Vec<String>,
    pub groups: Vec<String>,
    /// Raw custom values by key; the service checks them against the active fields.
    pub custom: BTreeMap<String, String>,
}

fn parse_phone(raw: &str) -> Result<Option<String>, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let allowed = s
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')' | '.'));
    if allowed && (5..=20).contains(&digits) {
        Ok(Some(s.to_string()))
    } else {
        Err(FieldError::new("phone", Key::ErrInvalidPhone))
    }
}

fn parse_optional_user(field: &str, raw: &str) -> Result<Option<UserId>, FieldError> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        raw.parse()
            .map(Some)
            .map_err(|_| FieldError::new(field, Key::ErrInvalidChoice))
    }
}

/// Parses the tag list: trimmed, de-duplicated, each at most 40 characters, at most 20.
pub fn parse_tags(raw: &str) -> Result<Vec<String>, FieldError> {
    parse_name_list("tags", raw)
}

/// A comma list of short names (tags, groups), checked as one field.
pub fn parse_name_list(field: &str, raw: &str) -> Result<Vec<String>, FieldError> {
    let mut tags: Vec<String> = Vec::new();
    for t in raw.split([',', '，']) {
        let t = t.trim();
        if t.is_empty() {
            continue;
        }
        if t.chars().count() > 40 {
            return Err(FieldError::new(field, Key::ErrTooLong));
        }
        if !tags.iter().any(|x| x.eq_ignore_ascii_case(t)) {
            tags.push(t.to_string());
        }
    }
    if tags.len() > 20 {
        return Err(FieldError::new(field, Key::ErrTooMany));
    }
    Ok(tags)
}

impl CustomerDraft {
    /// Validates every field and reports all problems together. `this_year` bounds birth years.
    pub fn parse(input: &CustomerInput, this_year: i64) -> Result<CustomerDraft, AppError> {
        let mut p = Problems::default();
        let opt = |p: &mut Problems, field: &str, raw: &str| {
            p.check(optional_text(field, raw, TEXT_MAX)).flatten()
        };
        let name = p.check(required_text("name", &input.name, NAME_MAX));
        let kind = match CustomerKind::parse(&input.kind) {
            Some(k) => Some(k),
            None if input.kind.trim().is_empty() => Some(CustomerKind::Person),
            None => {
                p.push(FieldError::new("kind", Key::ErrInvalidChoice));
                None
            }
        };
        let email = if input.email.trim().is_empty() {
            None
        } else {
            p.check(Email::parse("email", &input.email))
                .map(|e| e.as_str().to_string())
        };
        let phone = p.check(parse_phone(&input.phone)).flatten();
        let birth_year = if input.birth_year.trim().is_empty() {
            None
        } else {
            match input.birth_year.trim().parse::<i64>() {
                Ok(y) if (1900..=this_year).contains(&y) => Some(y),
                _ => {
                    p.push(FieldError::new("birth_year", Key::ErrInvalidYear));
                    None
                }
            }
        };
        let level = match input.level.trim() {
            "" | "2" => Some(LEVEL_STANDARD),
            "1" => Some(LEVEL_KEY),
            _ => {
                p.push(FieldError::new("level", Key::ErrInvalidChoice));
                None
            }
        };
        let grade = match Grade::parse(&input.grade) {
            Some(g) => Some(g),
            None if input.grade.trim().is_empty() => Some(Grade::General),
            None => {
                p.push(FieldError::new("grade", Key::ErrInvalidChoice));
                None
            }
        };
        let owner_id = p
            .check(parse_optional_user("owner_id", &input.owner_id))
            .flatten();
        let service_manager_id = p
            .check(parse_optional_user(
                "service_manager_id",
                &input.service_manager_id,
            ))
            .flatten();
        let tags = p.check(parse_tags(&input.tags)).unwrap_or_default();
        let groups = p
            .check(parse_name_list("groups", &input.groups))
            .unwrap_or_default();
        let draft = CustomerDraft {
            external_id: p
                .check(optional_text("external_id", &input.external_id, 64))
                .flatten(),
            name: name.unwrap_or_default(),
            kind: kind.unwrap_or(CustomerKind::Person),
            email,
            phone,
            country: opt(&mut p, "country", &input.country),
            province: opt(&mut p, "province", &input.province),
            city: opt(&mut p, "city", &input.city),
            address: opt(&mut p, "address", &input.address),
            industry: opt(&mut p, "industry", &input.industry),
            company_size: opt(&mut p, "company_size", &input.company_size),
            gender: opt(&mut p, "gender", &input.gender),
            birth_year,
            income_band: opt(&mut p, "income_band", &input.income_band),
            source_channel: opt(&mut p, "source_channel", &input.source_channel),
            source_campaign: opt(&mut p, "source_campaign", &input.source_campaign),
            source_referrer: opt(&mut p, "source_referrer", &input.source_referrer),
            level: level.unwrap_or(LEVEL_STANDARD),
            grade: grade.unwrap_or(Grade::General),
            owner_id,
            service_manager_id,
            tags,
            groups,
            custom: input.custom.clone(),
        };
        p.into_result()?;
        Ok(draft)
    }

    /// Lower-cased text the list search looks in.
    pub fn search_text(&self) -> String {
        [
            Some(self.name.as_str()),
            self.email.as_deref(),
            self.phone.as_deref(),
            self.external_id.as_deref(),
            self.city.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
    }

    pub fn name_key(&self) -> String {
        self.name.to_lowercase()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub id: i64,
    pub name: String,
    pub color: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub id: ContactId,
    pub name: String,
    pub title: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub is_primary: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContactInput {
    pub name: String,
    pub title: String,
    pub email: String,
    pub phone: String,
    pub is_primary: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ContactDraft {
    pub name: String,
    pub title: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub is_primary: bool,
}

impl TryFrom<&ContactInput> for ContactDraft {
    type Error = AppError;
    fn try_from(input: &ContactInput) -> Result<Self, AppError> {
        let mut p = Problems::default();
        let name = p.check(required_text("contact_name", &input.name, NAME_MAX));
        let title = p
            .check(optional_text("title", &input.title, TEXT_MAX))
            .flatten();
        let email = if input.email.trim().is_empty() {
            None
        } else {
            p.check(Email::parse("contact_email", &input.email))
                .map(|e| e.as_str().to_string())
        };
        let phone = p
            .check(
                parse_phone(&input.phone)
                    .map_err(|_| FieldError::new("contact_phone", Key::ErrInvalidPhone)),
            )
            .flatten();
        p.into_result()?;
        Ok(ContactDraft {
            name: name.unwrap_or_default(),
            title,
            email,
            phone,
            is_primary: input
                .is_primary
                .as_deref()
                .is_some_and(|v| !v.is_empty() && v != "false"),
        })
    }
}

/// The full customer record, with what the viewer may do to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    pub id: CustomerId,
    pub external_id: Option<String>,
    pub name: String,
    pub kind: CustomerKind,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub country: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub address: Option<String>,
    pub industry: Option<String>,
    pub company_size: Option<String>,
    pub gender: Option<String>,
    pub birth_year: Option<i64>,
    pub income_band: Option<String>,
    pub source_channel: Option<String>,
    pub source_campaign: Option<String>,
    pub source_referrer: Option<String>,
    pub level: i64,
    pub grade: Grade,
    pub owner_id: UserId,
    pub owner_name: String,
    pub service_manager_id: Option<UserId>,
    pub service_manager_name: Option<String>,
    pub team_id: Option<TeamId>,
    pub team_name: Option<String>,
    pub tags: Vec<Tag>,
    pub groups: Vec<String>,
    /// Values of active custom fields, in the admin's order.
    pub custom: Vec<CustomValue>,
    pub contacts: Vec<Contact>,
    pub order_count: i64,
    pub lifetime_value_cents: i64,
    pub last_order_date: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub may_edit: bool,
    pub may_change_tier: bool,
    pub may_reassign: bool,
    pub may_delete: bool,
}

impl Customer {
    /// The edit form's starting values.
    pub fn to_input(&self) -> CustomerInput {
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        CustomerInput {
            external_id: s(&self.external_id),
            name: self.name.clone(),
            kind: self.kind.as_str().into(),
            email: s(&self.email),
            phone: s(&self.phone),
            country: s(&self.country),
            province: s(&self.province),
            city: s(&self.city),
            address: s(&self.address),
            industry: s(&self.industry),
            company_size: s(&self.company_size),
            gender: s(&self.gender),
            birth_year: self.birth_year.map(|y| y.to_string()).unwrap_or_default(),
            income_band: s(&self.income_band),
            source_channel: s(&self.source_channel),
            source_campaign: s(&self.source_campaign),
            source_referrer: s(&self.source_referrer),
            level: self.level.to_string(),
            grade: self.grade.as_str().into(),
            owner_id: self.owner_id.to_string(),
            service_manager_id: self
                .service_manager_id
                .map(|i| i.to_string())
                .unwrap_or_default(),
            tags: self
                .tags
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            groups: self.groups.join(", "),
            custom: self
                .custom
                .iter()
                .map(|v| (v.key.clone(), v.value.clone()))
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerListItem {
    pub id: CustomerId,
    pub name: String,
    pub kind: CustomerKind,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub city: Option<String>,
    pub level: i64,
    pub grade: Grade,
    pub owner_name: String,
    pub updated_at: i64,
    /// Lifecycle stage today.
    pub stage: crate::lifecycle::model::Stage,
}

/// A bulk action on selected customers, as the list page sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BulkInput {
    /// Comma-separated customer ids; the list's row boxes send one each
    /// (`input[ids][]=1&input[ids][]=2`), joined here.
    #[serde(deserialize_with = "joined_ids")]
    pub ids: String,
    /// `tag_add`, `tag_remove`, `assign` or `export`.
    pub op: String,
    pub tag: String,
    /// Empty: keep each customer's owner.
    pub owner_id: String,
    /// Empty: keep; `none`: remove the service manager; else the new one.
    pub service_manager_id: String,
    /// The list's query the action was taken on, to return to with the outcome.
    pub list: String,
}

/// Ids sent as one text or as a list of texts (repeated form fields), as one text.
fn joined_ids<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    struct Ids;
    impl<'de> serde::de::Visitor<'de> for Ids {
        type Value = String;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("customer ids")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<String, A::Error> {
            let mut ids = Vec::new();
            while let Some(id) = seq.next_element::<String>()? {
                ids.push(id);
            }
            Ok(ids.join(","))
        }
    }
    d.deserialize_any(Ids)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkCommand {
    AddTag(String),
    RemoveTag(String),
    Assign {
        owner: Option<UserId>,
        /// `None`: keep; `Some(None)`: remove.
        service_manager: Option<Option<UserId>>,
    },
}

pub const BULK_MAX: usize = 500;

/// The selected customers: at least one, at most [`BULK_MAX`], each once.
pub fn parse_bulk_ids(text: &str) -> Result<Vec<CustomerId>, AppError> {
    let mut ids: Vec<CustomerId> = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let id = part
            .parse()
            .map_err(|_| AppError::field("ids", Key::ErrInvalidChoice))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        return Err(AppError::field("ids", Key::ErrRequired));
    }
    if ids.len() > BULK_MAX {
        return Err(AppError::field("ids", Key::ErrTooMany));
    }
    Ok(ids)
}

/// The checked selection and command.
pub fn parse_bulk(input: &BulkInput) -> Result<(Vec<CustomerId>, BulkCommand), AppError> {
    let ids = parse_bulk_ids(&input.ids)?;
    let tag = || -> Result<String, AppError> {
        let tags = parse_tags(&input.tag).map_err(|e| AppError::Validation(vec![e]))?;
        match tags.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(AppError::field("tag", Key::ErrRequired)),
            _ => Err(AppError::field("tag", Key::ErrTooMany)),
        }
    };
    let command = match input.op.as_str() {
        "tag_add" => BulkCommand::AddTag(tag()?),
        "tag_remove" => BulkCommand::RemoveTag(tag()?),
        "assign" => {
            let owner = parse_optional_user("owner_id", &input.owner_id)
                .map_err(|e| AppError::Validation(vec![e]))?;
            let service_manager = match input.service_manager_id.trim() {
                "" => None,
                "none" => Some(None),
                raw => Some(Some(raw.parse().map_err(|_| {
                    AppError::field("service_manager_id", Key::ErrInvalidChoice)
                })?)),
            };
            if owner.is_none() && service_manager.is_none() {
                return Err(AppError::field("owner_id", Key::ErrRequired));
            }
            BulkCommand::Assign {
                owner,
                service_manager,
            }
        }
        _ => return Err(AppError::field("op", Key::ErrInvalidChoice)),
    };
    Ok((ids, command))
}

/// The export of exactly these customers.
pub fn bulk_export_url(ids: &[CustomerId]) -> String {
    let ids: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
    format!("/customers/export.csv?ids={}", ids.join(","))
}

/// The list a bulk action was taken on (`list`: its query as the page sent it), saying
/// what the action did. Anything that is not visible ASCII is percent-encoded, so the
/// address is a valid `Location` whatever was sent.
pub fn bulk_return_url(list: &str, outcome: BulkOutcome) -> String {
    let mut query: Vec<String> = list
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("bulk_"))
        .map(|p| {
            p.bytes()
                .map(|b| match b {
                    b'#' => "%23".to_string(),
                    b if b.is_ascii_graphic() => (b as char).to_string(),
                    b => format!("%{b:02X}"),
                })
                .collect()
        })
        .collect();
    query.push(format!("bulk_changed={}", outcome.changed));
    query.push(format!("bulk_refused={}", outcome.refused));
    format!("/customers?{}", query.join("&"))
}

/// What a bulk action did: every selected customer is either changed or refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkOutcome {
    pub changed: usize,
    pub refused: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> CustomerInput {
        CustomerInput {
            name: "  Acme Ltd ".into(),
            kind: "company".into(),
            email: "Sales@Acme.com".into(),
            phone: "+86 21 5555 0101".into(),
            level: "1".into(),
            grade: "vip".into(),
            tags: "wholesale, East ,wholesale".into(),
            ..Default::default()
        }
    }

    #[test]
    fn parses_and_normalises() {
        let d = CustomerDraft::parse(&input(), 2026).unwrap();
        assert_eq!(d.name, "Acme Ltd");
        assert_eq!(d.email.as_deref(), Some("sales@acme.com"));
        assert_eq!(d.level, LEVEL_KEY);
        assert_eq!(d.grade, Grade::Vip);
        assert_eq!(d.tags, ["wholesale", "East"]);
        assert!(d.search_text().contains("acme ltd"));
    }

    #[test]
    fn reports_each_bad_field() {
        let bad = CustomerInput {
            name: "x".repeat(NAME_MAX + 1),
            email: "not-an-email".into(),
            phone: "call me".into(),
            birth_year: "1850".into(),
            level: "3".into(),
            grade: "gold".into(),
            ..Default::default()
        };
        let AppError::Validation(errors) = CustomerDraft::parse(&bad, 2026).unwrap_err() else {
            panic!("expected validation errors")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        for f in ["name", "email", "phone", "birth_year", "level", "grade"] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
    }

    #[test]
    fn bulk_return_keeps_the_list_and_says_what_happened() {
        let outcome = BulkOutcome {
            changed: 2,
            refused: 1,
        };
        assert_eq!(
            bulk_return_url("grade=vip&bulk_changed=9&q=caf%C3%A9", outcome),
            "/customers?grade=vip&q=caf%C3%A9&bulk_changed=2&bulk_refused=1"
        );
        assert_eq!(
            bulk_return_url("q=a b#c\u{e9}", outcome),
            "/customers?q=a%20b%23c%C3%A9&bulk_changed=2&bulk_refused=1"
        );
        assert_eq!(
            bulk_export_url(&[CustomerId(4), CustomerId(7)]),
            "/customers/export.csv?ids=4,7"
        );
    }

    #[test]
    fn html_is_kept_as_text() {
        let d = CustomerDraft::parse(
            &CustomerInput {
                name: "<script>alert(1)</script>".into(),
                ..Default::default()
            },
            2026,
        )
        .unwrap();
        assert_eq!(d.name, "<script>alert(1)</script>");
    }
}
