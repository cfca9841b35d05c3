use crate::auth::model::{optional_text, required_text, Email, Problems};
use crate::auth::permissions::{LEVEL_KEY, LEVEL_STANDARD};
use crate::error::{AppError, FieldError};
use crate::i18n::Key;
use crate::ids::{ContactId, CustomerId, TeamId, UserId};
use serde::{Deserialize, Serialize};

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
}

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
    let mut tags: Vec<String> = Vec::new();
    for t in raw.split([',', '，']) {
        let t = t.trim();
        if t.is_empty() {
            continue;
        }
        if t.chars().count() > 40 {
            return Err(FieldError::new("tags", Key::ErrTooLong));
        }
        if !tags.iter().any(|x| x.eq_ignore_ascii_case(t)) {
            tags.push(t.to_string());
        }
    }
    if tags.len() > 20 {
        return Err(FieldError::new("tags", Key::ErrTooMany));
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
}

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
    pub sort: String,
    /// Keyset cursor: the position after which the page starts.
    pub after: String,
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
        Ok(ParsedFilter {
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

/// Amounts are stored in cents; shown with two decimals.
pub fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    let whole = (c / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}{grouped}.{:02}", c % 100)
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
    fn money_formatting() {
        assert_eq!(format_cents(0), "0.00");
        assert_eq!(format_cents(123456789), "1,234,567.89");
        assert_eq!(format_cents(-5), "-0.05");
    }
}
