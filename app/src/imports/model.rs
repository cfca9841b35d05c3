//! What an import is, independent of the database: kinds and their standard columns,
//! header matching, the value parsers (dates, amounts) and the report the user sees.

use crate::error::AppError;
use crate::i18n::Key;
use crate::ids::UserId;
use serde::{Deserialize, Serialize};

/// Largest file accepted, on the web and from the command line.
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;
/// Data rows shown in the mapping preview.
pub const PREVIEW_ROWS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ImportKind {
    Customers,
    Contacts,
    Orders,
    Activities,
}

const CUSTOMER_FIELDS: &[&str] = crate::customers::model::FILE_COLUMNS;
const CONTACT_FIELDS: &[&str] = &[
    "customer_external_id",
    "customer_email",
    "name",
    "title",
    "email",
    "phone",
    "primary",
];
const ORDER_FIELDS: &[&str] = &[
    "customer_external_id",
    "external_id",
    "date",
    "amount",
    "currency",
    "product",
    "category",
    "channel",
];
const ACTIVITY_FIELDS: &[&str] = &[
    "customer_external_id",
    "customer_email",
    "kind",
    "date",
    "summary",
    "outcome",
    "next_step",
];

/// Interaction kinds an activity row may name.
pub const ACTIVITY_KINDS: &[&str] = &["call", "meeting", "visit", "email", "message", "note"];

impl ImportKind {
    pub const ALL: [ImportKind; 4] = [
        ImportKind::Customers,
        ImportKind::Contacts,
        ImportKind::Orders,
        ImportKind::Activities,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Customers => "customers",
            ImportKind::Contacts => "contacts",
            ImportKind::Orders => "orders",
            ImportKind::Activities => "activities",
        }
    }

    pub fn parse(s: &str) -> Option<ImportKind> {
        ImportKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim().to_ascii_lowercase())
    }

    pub fn label(self) -> Key {
        match self {
            ImportKind::Customers => Key::ImportKindCustomers,
            ImportKind::Contacts => Key::ImportKindContacts,
            ImportKind::Orders => Key::ImportKindOrders,
            ImportKind::Activities => Key::ImportKindActivities,
        }
    }

    /// The standard column names, which are also the field names.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            ImportKind::Customers => CUSTOMER_FIELDS,
            ImportKind::Contacts => CONTACT_FIELDS,
            ImportKind::Orders => ORDER_FIELDS,
            ImportKind::Activities => ACTIVITY_FIELDS,
        }
    }
}

/// Other spellings of the standard names, Chinese included.
const ALIASES: &[(&str, &str)] = &[
    ("名称", "name"),
    ("姓名", "name"),
    ("客户名称", "name"),
    ("邮箱", "email"),
    ("电子邮箱", "email"),
    ("e-mail", "email"),
    ("电话", "phone"),
    ("手机", "phone"),
    ("国家", "country"),
    ("省份", "province"),
    ("城市", "city"),
    ("地址", "address"),
    ("行业", "industry"),
    ("规模", "company_size"),
    ("性别", "gender"),
    ("出生年份", "birth_year"),
    ("级别", "level"),
    ("等级", "grade"),
    ("标签", "tags"),
    ("编号", "external_id"),
    ("外部编号", "external_id"),
    ("客户编号", "customer_external_id"),
    ("日期", "date"),
    ("金额", "amount"),
    ("币种", "currency"),
    ("产品", "product"),
    ("类别", "category"),
    ("渠道", "channel"),
    ("职务", "title"),
    ("主要联系人", "primary"),
    ("类型", "kind"),
    ("摘要", "summary"),
    ("结果", "outcome"),
    ("下一步", "next_step"),
    ("datetime", "date"),
    ("happened_at", "date"),
    ("order_date", "date"),
];

/// The field a header names, if any: case-insensitive, trimmed, spaces and dashes read as
/// underscores, aliases resolved. Only fields of `kind` are suggested.
pub fn suggest_field(kind: ImportKind, header: &str) -> Option<&'static str> {
    let h = header
        .trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .replace([' ', '-'], "_");
    let fields = kind.fields();
    if let Some(f) = fields.iter().find(|f| **f == h) {
        return Some(f);
    }
    let raw = header.trim().to_lowercase();
    ALIASES
        .iter()
        .find(|(alias, _)| *alias == raw || *alias == h)
        .and_then(|(_, field)| fields.iter().find(|f| *f == field).copied())
}

/// The mapping the page proposes: one entry per file column, empty for "ignore".
pub fn suggest_mapping(kind: ImportKind, headers: &[String]) -> Vec<String> {
    let mut used: Vec<&str> = Vec::new();
    headers
        .iter()
        .map(|h| match suggest_field(kind, h) {
            Some(f) if !used.contains(&f) => {
                used.push(f);
                f.to_string()
            }
            _ => String::new(),
        })
        .collect()
}

/// Why a mapping cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MappingError {
    UnknownField(String),
    DuplicateField(String),
    UnknownHeader(String),
    Malformed(String),
}

impl std::fmt::Display for MappingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MappingError::UnknownField(x) => write!(f, "unknown field {x:?}"),
            MappingError::DuplicateField(x) => write!(f, "field {x:?} is mapped twice"),
            MappingError::UnknownHeader(x) => write!(f, "the file has no column {x:?}"),
            MappingError::Malformed(x) => write!(f, "expected Header=field, got {x:?}"),
        }
    }
}

/// Checks a per-column mapping: each non-empty entry a field of `kind`, none twice.
pub fn check_mapping(
    kind: ImportKind,
    mapping: &[String],
) -> Result<Vec<Option<&'static str>>, MappingError> {
    let mut seen: Vec<&'static str> = Vec::new();
    mapping
        .iter()
        .map(|m| {
            let m = m.trim();
            if m.is_empty() {
                return Ok(None);
            }
            let field = kind
                .fields()
                .iter()
                .find(|f| **f == m)
                .copied()
                .ok_or_else(|| MappingError::UnknownField(m.to_string()))?;
            if seen.contains(&field) {
                return Err(MappingError::DuplicateField(m.to_string()));
            }
            seen.push(field);
            Ok(Some(field))
        })
        .collect()
}

/// Parses the command line's `Header=field,Other=field` (or one pair per line).
pub fn parse_mapping_spec(spec: &str) -> Result<Vec<(String, String)>, MappingError> {
    spec.split([',', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty() && !p.starts_with('#'))
        .map(|pair| {
            pair.split_once('=')
                .map(|(h, f)| (h.trim().to_string(), f.trim().to_string()))
                .filter(|(h, _)| !h.is_empty())
                .ok_or_else(|| MappingError::Malformed(pair.to_string()))
        })
        .collect()
}

/// The suggested mapping with the given `Header=field` overrides applied (an empty field
/// ignores the column). Headers compare case-insensitively.
pub fn apply_overrides(
    kind: ImportKind,
    headers: &[String],
    overrides: &[(String, String)],
) -> Result<Vec<String>, MappingError> {
    let mut mapping = suggest_mapping(kind, headers);
    for (header, field) in overrides {
        let i = headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(header.trim()))
            .ok_or_else(|| MappingError::UnknownHeader(header.clone()))?;
        // The field moves to this column; another column suggested for it is ignored.
        for m in mapping.iter_mut() {
            if m == field {
                m.clear();
            }
        }
        mapping[i] = field.clone();
    }
    check_mapping(kind, &mapping)?;
    Ok(mapping)
}

/// A date as `YYYY-MM-DD` or `YYYY/MM/DD` (years 1900–2200, as everywhere): the ISO text
/// and its day number.
pub fn parse_date(raw: &str) -> Option<(String, i64)> {
    let day = crate::dates::parse_date(raw)?;
    Some((crate::dates::iso_date(day), day))
}

/// A date, or a date and time `YYYY-MM-DD HH:MM[:SS]` (also with `T`), as Unix seconds UTC.
pub fn parse_datetime(raw: &str) -> Option<i64> {
    let s = raw.trim();
    let (date, time) = match s.split_once([' ', 'T']) {
        Some((d, t)) => (d, Some(t.trim())),
        None => (s, None),
    };
    let (_, day) = parse_date(date)?;
    let secs = match time {
        None => 0,
        Some(t) => {
            let mut it = t.split(':');
            let h: i64 = it.next()?.parse().ok()?;
            let m: i64 = it.next()?.parse().ok()?;
            let sec: i64 = match it.next() {
                Some(x) => x.parse().ok()?,
                None => 0,
            };
            if it.next().is_some()
                || !(0..24).contains(&h)
                || !(0..60).contains(&m)
                || !(0..60).contains(&sec)
            {
                return None;
            }
            h * 3600 + m * 60 + sec
        }
    };
    Some(day * 86_400 + secs)
}

/// A decimal amount with at most two places (`1234`, `-5.5`, `12.34`) as integer cents.
/// Thousands separators and currency symbols are refused rather than guessed.
pub fn parse_amount(raw: &str) -> Option<i64> {
    let s = raw.trim();
    let (negative, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 13 || frac.len() > 2 || !digits(whole) || !digits(frac) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    let cents = whole * 100 + frac;
    Some(if negative { -cents } else { cents })
}

/// Yes/no cells: `1`, `true`, `yes`, `y`, `x`, `是` are yes.
pub fn parse_flag(raw: &str) -> bool {
    matches!(
        raw.trim().to_lowercase().as_str(),
        "1" | "true" | "yes" | "y" | "x" | "是"
    )
}

/// One row that was not stored: its line in the file (the header is line 1), the column
/// at fault (empty for the whole row) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedRow {
    pub line: u64,
    pub column: String,
    pub reason: Key,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// Data rows in the file.
    pub total_rows: u64,
    /// The file was not UTF-8 and was read as GB18030 (what Excel on Chinese Windows
    /// writes).
    #[serde(default)]
    pub read_as_gb18030: bool,
    pub created: u64,
    pub updated: u64,
    pub rejected: Vec<RejectedRow>,
}

impl ImportReport {
    pub fn stored(&self) -> u64 {
        self.created + self.updated
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobPhase {
    Validating,
    Writing,
    Done,
    Failed,
}

impl JobPhase {
    pub fn label(self) -> Key {
        match self {
            JobPhase::Validating => Key::ImportPhaseValidating,
            JobPhase::Writing => Key::ImportPhaseWriting,
            JobPhase::Done => Key::ImportPhaseDone,
            JobPhase::Failed => Key::ImportPhaseFailed,
        }
    }
    pub fn finished(self) -> bool {
        matches!(self, JobPhase::Done | JobPhase::Failed)
    }
}

/// What the page polls for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobStatus {
    pub phase: JobPhase,
    pub processed: u64,
    pub total: u64,
    pub report: Option<ImportReport>,
    /// Why the job failed (nothing was stored).
    pub error: Option<Key>,
}

impl JobStatus {
    pub fn percent(&self) -> u64 {
        if self.phase.finished() {
            100
        } else {
            (self.processed * 100)
                .checked_div(self.total)
                .unwrap_or(0)
                .min(100)
        }
    }
}

/// The one message that says why an upload, a start or a job was refused: the first
/// field problem of a validation error, else the error's own.
pub fn refusal_key(e: &AppError) -> Key {
    match e {
        AppError::Validation(errors) => {
            errors.first().map(|f| f.message).unwrap_or(e.message_key())
        }
        _ => e.message_key(),
    }
}

/// The server's answer to an upload: what the mapping step shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadPreview {
    pub upload_id: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Per column: the suggested field, empty for "ignore".
    pub mapping: Vec<String>,
    /// See [`ImportReport::read_as_gb18030`].
    #[serde(default)]
    pub read_as_gb18030: bool,
}

/// Who the import acts for, beyond the permission subject.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Owner of new customers whose row names none. The web importer owns them; the
    /// operator's `--owner` for the command line.
    pub default_owner: Option<UserId>,
    /// The audit log's actor; `None` for the operator's command line.
    pub audit_actor: Option<UserId>,
    /// Failpoint for the crash tests: fail the write after this many rows were written.
    pub fail_after_rows: Option<u64>,
}

/// Reports phase, processed rows and total rows; called often, must be cheap.
pub type Progress<'a> = &'a (dyn Fn(JobPhase, u64, u64) + Send + Sync);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_both_notations_and_only_real_days() {
        assert_eq!(
            parse_date("2026-03-09"),
            Some(("2026-03-09".into(), 20_521))
        );
        assert_eq!(
            parse_date(" 2026/3/9 ").map(|d| d.0),
            Some("2026-03-09".into())
        );
        assert_eq!(
            parse_date("2024-02-29").map(|d| d.0),
            Some("2024-02-29".into())
        );
        for bad in [
            "2025-02-29",
            "2026-04-31",
            "2026-13-01",
            "26-01-01",
            "yesterday",
            "",
            "2026-01-01-01",
            "2026-0x-01",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        assert_eq!(crate::dates::days_from_civil(1970, 1, 1), 0);
        assert_eq!(crate::dates::days_from_civil(2026, 11, 1), 20_758);
    }

    #[test]
    fn datetimes() {
        assert_eq!(parse_datetime("1970-01-02"), Some(86_400));
        assert_eq!(parse_datetime("1970-01-01 01:02"), Some(3_720));
        assert_eq!(parse_datetime("1970-01-01T00:00:05"), Some(5));
        assert_eq!(parse_datetime("1970-01-01 25:00"), None);
    }

    #[test]
    fn amounts_to_cents() {
        assert_eq!(parse_amount("12"), Some(1200));
        assert_eq!(parse_amount("12.3"), Some(1230));
        assert_eq!(parse_amount("12.34"), Some(1234));
        assert_eq!(parse_amount("-0.05"), Some(-5));
        for bad in [
            "12.345",
            "1,000",
            "¥5",
            "",
            "abc",
            ".5",
            "1e3",
            "99999999999999",
        ] {
            assert_eq!(parse_amount(bad), None, "{bad}");
        }
    }

    #[test]
    fn headers_match_loosely_and_in_chinese() {
        let k = ImportKind::Customers;
        assert_eq!(suggest_field(k, " Name "), Some("name"));
        assert_eq!(suggest_field(k, "\u{feff}External ID"), Some("external_id"));
        assert_eq!(suggest_field(k, "邮箱"), Some("email"));
        assert_eq!(suggest_field(k, "电话"), Some("phone"));
        assert_eq!(suggest_field(k, "amount"), None);
        assert_eq!(suggest_field(ImportKind::Orders, "金额"), Some("amount"));
        let headers = vec!["name".to_string(), "名称".into(), "x".into()];
        assert_eq!(suggest_mapping(k, &headers), ["name", "", ""]);
    }

    #[test]
    fn mapping_spec_and_overrides() {
        let spec = parse_mapping_spec("Client=name, Mail = email\nNr=external_id").unwrap();
        assert_eq!(spec.len(), 3);
        let headers: Vec<String> = ["Client", "Mail", "Nr", "name"].map(String::from).into();
        let m = apply_overrides(ImportKind::Customers, &headers, &spec).unwrap();
        assert_eq!(m, ["name", "email", "external_id", ""]);
        assert!(parse_mapping_spec("nonsense").is_err());
        assert_eq!(
            apply_overrides(
                ImportKind::Customers,
                &headers,
                &[("Client".into(), "salary".into())]
            ),
            Err(MappingError::UnknownField("salary".into()))
        );
        assert_eq!(
            apply_overrides(
                ImportKind::Customers,
                &headers,
                &[("Nope".into(), "name".into())]
            ),
            Err(MappingError::UnknownHeader("Nope".into()))
        );
        assert!(check_mapping(ImportKind::Orders, &["date".into(), "date".into()]).is_err());
    }

    #[test]
    fn flags() {
        assert!(parse_flag("Yes") && parse_flag("1") && parse_flag("是"));
        assert!(!parse_flag("") && !parse_flag("no"));
    }
}
