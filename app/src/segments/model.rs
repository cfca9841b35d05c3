//! Segment rules: a typed, versioned rule tree and the segments that store one. Its
//! validation is `check.rs`; the plain-Rust evaluator that the SQL compiler (`sql.rs`) is
//! tested against is `eval.rs`.
//!
//! Semantics, the same in both evaluators:
//! - A group combines its items with AND ("all of") or OR ("any of"); `negate` turns it
//!   into "not all of" / "none of". An empty group places no condition (it matches
//!   everyone, negated or not), so a fresh rule counts every visible customer.
//! - A condition on a value the customer does not have (no province, no birth year, no
//!   order, no RFM score, no custom value) is false, for "is" and "is not" alike. Tags are
//!   the exception: "has none of these tags" holds for a customer without tags.
//! - "In the last N days" means an order date after today − N days. "Days since" counts
//!   whole UTC days from the last order's date (last activity's day) to today.
//! - Age is this year − birth year.

use crate::error::{AppError, FieldError};
use crate::i18n::Key;
use serde::{Deserialize, Serialize};

/// Bumped when the stored shape changes; stored rules carry the version they were written in.
pub const RULE_VERSION: u32 = 1;
pub const MAX_DEPTH: usize = 4;
pub const MAX_CONDITIONS: usize = 40;
pub const MAX_VALUES: usize = 100;
pub const MAX_VALUE_LEN: usize = 200;
pub const MAX_DAYS: i64 = 3650;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentRule {
    pub version: u32,
    pub root: RuleGroup,
}

impl Default for SegmentRule {
    fn default() -> Self {
        SegmentRule {
            version: RULE_VERSION,
            root: RuleGroup::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Combine {
    #[default]
    All,
    Any,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RuleGroup {
    pub combine: Combine,
    #[serde(default)]
    pub negate: bool,
    #[serde(default)]
    pub items: Vec<RuleNode>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "node", rename_all = "snake_case")]
pub enum RuleNode {
    Group(RuleGroup),
    Condition(Condition),
}

/// Attributes compared against a list of values ("is any of" / "is none of").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Attr {
    Country,
    Province,
    City,
    Industry,
    Gender,
    IncomeBand,
    SourceChannel,
    SourceCampaign,
    Kind,
    Level,
    Grade,
    Owner,
    Team,
    Tag,
    RfmSegment,
    LifecycleStage,
}

impl Attr {
    pub const ALL: [Attr; 16] = [
        Attr::Province,
        Attr::City,
        Attr::Country,
        Attr::Industry,
        Attr::Kind,
        Attr::Level,
        Attr::Grade,
        Attr::Owner,
        Attr::Team,
        Attr::Tag,
        Attr::Gender,
        Attr::IncomeBand,
        Attr::SourceChannel,
        Attr::SourceCampaign,
        Attr::RfmSegment,
        Attr::LifecycleStage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Attr::Country => "country",
            Attr::Province => "province",
            Attr::City => "city",
            Attr::Industry => "industry",
            Attr::Gender => "gender",
            Attr::IncomeBand => "income_band",
            Attr::SourceChannel => "source_channel",
            Attr::SourceCampaign => "source_campaign",
            Attr::Kind => "kind",
            Attr::Level => "level",
            Attr::Grade => "grade",
            Attr::Owner => "owner",
            Attr::Team => "team",
            Attr::Tag => "tag",
            Attr::RfmSegment => "rfm_segment",
            Attr::LifecycleStage => "lifecycle_stage",
        }
    }

    pub fn parse(s: &str) -> Option<Attr> {
        Attr::ALL.into_iter().find(|a| a.as_str() == s)
    }

    pub fn label(self) -> Key {
        match self {
            Attr::Country => Key::Country,
            Attr::Province => Key::Province,
            Attr::City => Key::City,
            Attr::Industry => Key::Industry,
            Attr::Gender => Key::Gender,
            Attr::IncomeBand => Key::IncomeBand,
            Attr::SourceChannel => Key::SourceChannel,
            Attr::SourceCampaign => Key::SourceCampaign,
            Attr::Kind => Key::Kind,
            Attr::Level => Key::Level,
            Attr::Grade => Key::Grade,
            Attr::Owner => Key::Owner,
            Attr::Team => Key::Team,
            Attr::Tag => Key::Tags,
            Attr::RfmSegment => Key::SegRfmSegment,
            Attr::LifecycleStage => Key::LcStage,
        }
    }

    /// Values are ids or fixed codes chosen from a list, not free text.
    pub fn is_enumerated(self) -> bool {
        matches!(
            self,
            Attr::Kind
                | Attr::Level
                | Attr::Grade
                | Attr::Owner
                | Attr::Team
                | Attr::Tag
                | Attr::RfmSegment
                | Attr::LifecycleStage
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SetOp {
    #[default]
    AnyOf,
    NoneOf,
}

/// Numeric measures of a customer, compared with a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Orders in the last `days` days (all history without `days`).
    OrdersCount,
    /// Sum of order amounts, in cents, in the last `days` days.
    OrdersAmount,
    DaysSinceLastOrder,
    DaysSinceLastActivity,
    Age,
    BirthYear,
    RScore,
    FScore,
    MScore,
}

impl Measure {
    pub const ALL: [Measure; 9] = [
        Measure::OrdersCount,
        Measure::OrdersAmount,
        Measure::DaysSinceLastOrder,
        Measure::DaysSinceLastActivity,
        Measure::RScore,
        Measure::FScore,
        Measure::MScore,
        Measure::Age,
        Measure::BirthYear,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Measure::OrdersCount => "orders_count",
            Measure::OrdersAmount => "orders_amount",
            Measure::DaysSinceLastOrder => "days_since_last_order",
            Measure::DaysSinceLastActivity => "days_since_last_activity",
            Measure::Age => "age",
            Measure::BirthYear => "birth_year",
            Measure::RScore => "r_score",
            Measure::FScore => "f_score",
            Measure::MScore => "m_score",
        }
    }

    pub fn parse(s: &str) -> Option<Measure> {
        Measure::ALL.into_iter().find(|m| m.as_str() == s)
    }

    pub fn label(self) -> Key {
        match self {
            Measure::OrdersCount => Key::SegOrdersCount,
            Measure::OrdersAmount => Key::SegOrdersAmount,
            Measure::DaysSinceLastOrder => Key::SegDaysSinceLastOrder,
            Measure::DaysSinceLastActivity => Key::SegDaysSinceLastActivity,
            Measure::Age => Key::SegAge,
            Measure::BirthYear => Key::BirthYear,
            Measure::RScore => Key::SegRScore,
            Measure::FScore => Key::SegFScore,
            Measure::MScore => Key::SegMScore,
        }
    }

    /// Whether the measure takes a "in the last N days" window.
    pub fn has_window(self) -> bool {
        matches!(self, Measure::OrdersCount | Measure::OrdersAmount)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    #[default]
    Ge,
}

impl Cmp {
    pub const ALL: [Cmp; 6] = [Cmp::Ge, Cmp::Gt, Cmp::Eq, Cmp::Ne, Cmp::Le, Cmp::Lt];

    pub fn as_str(self) -> &'static str {
        match self {
            Cmp::Eq => "eq",
            Cmp::Ne => "ne",
            Cmp::Lt => "lt",
            Cmp::Le => "le",
            Cmp::Gt => "gt",
            Cmp::Ge => "ge",
        }
    }

    pub fn parse(s: &str) -> Option<Cmp> {
        Cmp::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Cmp::Eq => "=",
            Cmp::Ne => "≠",
            Cmp::Lt => "<",
            Cmp::Le => "≤",
            Cmp::Gt => ">",
            Cmp::Ge => "≥",
        }
    }

    /// The SQL operator (never built from user text).
    pub fn sql(self) -> &'static str {
        match self {
            Cmp::Eq => "=",
            Cmp::Ne => "<>",
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
        }
    }

    pub fn holds<T: PartialOrd>(self, left: T, right: T) -> bool {
        match self {
            Cmp::Eq => left == right,
            Cmp::Ne => left != right,
            Cmp::Lt => left < right,
            Cmp::Le => left <= right,
            Cmp::Gt => left > right,
            Cmp::Ge => left >= right,
        }
    }

    /// The operator with its sides swapped: `a op b` ⇔ `b op.flipped() a`.
    pub fn flipped(self) -> Cmp {
        match self {
            Cmp::Lt => Cmp::Gt,
            Cmp::Le => Cmp::Ge,
            Cmp::Gt => Cmp::Lt,
            Cmp::Ge => Cmp::Le,
            other => other,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Condition {
    Attr {
        attr: Attr,
        #[serde(default)]
        op: SetOp,
        #[serde(default)]
        values: Vec<String>,
    },
    Measure {
        measure: Measure,
        #[serde(default)]
        days: Option<i64>,
        #[serde(default)]
        op: Cmp,
        /// As typed: a whole number, or an amount with up to two decimals for order value.
        #[serde(default)]
        value: String,
    },
    Custom {
        key: String,
        #[serde(default)]
        op: Cmp,
        #[serde(default)]
        value: String,
    },
}

impl Condition {
    /// A new condition with sensible defaults for the picked field (`attr:x`, `measure:x`,
    /// `custom:key`).
    pub fn for_field(field: &str) -> Option<Condition> {
        let (kind, name) = field.split_once(':')?;
        match kind {
            "attr" => Attr::parse(name).map(|attr| Condition::Attr {
                attr,
                op: SetOp::AnyOf,
                values: Vec::new(),
            }),
            "measure" => Measure::parse(name).map(|measure| Condition::Measure {
                measure,
                days: measure.has_window().then_some(90),
                op: Cmp::Ge,
                value: String::new(),
            }),
            "custom" => Some(Condition::Custom {
                key: name.to_string(),
                op: Cmp::Eq,
                value: String::new(),
            }),
            _ => None,
        }
    }

    /// The field selector value of this condition (inverse of [`Condition::for_field`]).
    pub fn field_code(&self) -> String {
        match self {
            Condition::Attr { attr, .. } => format!("attr:{}", attr.as_str()),
            Condition::Measure { measure, .. } => format!("measure:{}", measure.as_str()),
            Condition::Custom { key, .. } => format!("custom:{key}"),
        }
    }
}

/// Parses the stored or submitted JSON of a rule.
pub fn parse_rule_json(raw: &str) -> Result<SegmentRule, AppError> {
    if raw.len() > 64 * 1024 {
        return Err(AppError::field("rule", Key::SegErrRuleTooLarge));
    }
    let rule: SegmentRule =
        serde_json::from_str(raw).map_err(|_| AppError::field("rule", Key::SegErrRuleInvalid))?;
    if rule.version == 0 || rule.version > RULE_VERSION {
        return Err(AppError::field("rule", Key::SegErrRuleVersion));
    }
    Ok(rule)
}

impl SegmentRule {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

// ---------------------------------------------------------------------------------------
// Editing helpers for the builder: the tree is addressed by index paths.

impl RuleGroup {
    pub fn group_at_mut(&mut self, path: &[usize]) -> Option<&mut RuleGroup> {
        match path.split_first() {
            None => Some(self),
            Some((i, rest)) => match self.items.get_mut(*i)? {
                RuleNode::Group(g) => g.group_at_mut(rest),
                RuleNode::Condition(_) => None,
            },
        }
    }

    pub fn node_at_mut(&mut self, path: &[usize]) -> Option<&mut RuleNode> {
        let (last, parent) = path.split_last()?;
        self.group_at_mut(parent)?.items.get_mut(*last)
    }

    pub fn remove_at(&mut self, path: &[usize]) {
        if let Some((last, parent)) = path.split_last() {
            if let Some(g) = self.group_at_mut(parent) {
                if *last < g.items.len() {
                    g.items.remove(*last);
                }
            }
        }
    }
}

/// A saved segment as lists and the builder show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub rule: SegmentRule,
    pub owner_id: i64,
    pub owner_name: String,
    pub shared: bool,
    pub may_edit: bool,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentSummary {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub owner_name: String,
    pub shared: bool,
    pub conditions: usize,
    pub updated_at: i64,
}

/// What the builder submits to save.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentInput {
    pub name: String,
    pub description: String,
    /// An unticked box is not sent at all.
    #[serde(default)]
    pub shared: bool,
    pub rule_json: String,
}

pub struct SegmentDraft {
    pub name: String,
    pub description: String,
    pub shared: bool,
    pub rule: SegmentRule,
}

impl SegmentDraft {
    pub fn parse(input: &SegmentInput) -> Result<SegmentDraft, AppError> {
        let name = input.name.trim();
        let mut errors = Vec::new();
        if name.is_empty() {
            errors.push(FieldError::new("name", Key::ErrRequired));
        } else if name.chars().count() > 120 {
            errors.push(FieldError::new("name", Key::ErrTooLong));
        }
        let description = input.description.trim();
        if description.chars().count() > 1000 {
            errors.push(FieldError::new("description", Key::ErrTooLong));
        }
        let rule = match parse_rule_json(&input.rule_json) {
            Ok(r) => Some(r),
            Err(AppError::Validation(mut e)) => {
                errors.append(&mut e);
                None
            }
            Err(e) => return Err(e),
        };
        match (errors.is_empty(), rule) {
            (true, Some(rule)) => Ok(SegmentDraft {
                name: name.to_string(),
                description: description.to_string(),
                shared: input.shared,
                rule,
            }),
            _ => Err(AppError::Validation(errors)),
        }
    }
}

/// The choices the builder offers for enumerated attributes and custom fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuilderOptions {
    pub owners: Vec<(i64, String)>,
    pub teams: Vec<(i64, String)>,
    pub tags: Vec<(i64, String)>,
    /// attribute code → known values (for suggestions).
    pub suggestions: Vec<(String, Vec<String>)>,
    /// (key, label, kind code, choices)
    pub custom_fields: Vec<(String, String, String, Vec<String>)>,
}

/// The result of a task batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskBatchOutcome {
    pub created: usize,
    pub refused: usize,
}

pub const TASK_BATCH_MAX: usize = 5000;

/// The title and due time (a local `YYYY-MM-DDTHH:MM`, in the user's offset) of a task batch.
pub fn parse_task_batch(
    title: &str,
    due: &str,
    offset_minutes: i64,
) -> Result<(String, i64), AppError> {
    let title = title.trim();
    let mut errors = Vec::new();
    if title.is_empty() {
        errors.push(FieldError::new("title", Key::ErrRequired));
    } else if title.chars().count() > 200 {
        errors.push(FieldError::new("title", Key::ErrTooLong));
    }
    let due_at = crate::dates::parse_local_datetime(due, offset_minutes);
    if due_at.is_none() {
        errors.push(FieldError::new("due", Key::ErrInvalidDate));
    }
    match (errors.is_empty(), due_at) {
        (true, Some(due_at)) => Ok((title.to_string(), due_at)),
        _ => Err(AppError::Validation(errors)),
    }
}
