//! Segment rules: a typed, versioned rule tree, its validation, and the plain-Rust
//! evaluator that the SQL compiler ([`super::sql`]) is tested against.
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

use crate::custom_fields::model::{CustomField, FieldKind};
use crate::error::{AppError, FieldError};
use crate::i18n::Key;
use crate::rfm::model::RfmSegment;
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

// ---------------------------------------------------------------------------------------
// Validation: raw rule → checked rule with typed values.

/// A validated condition. Values are typed; custom fields are resolved to their id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    Text {
        attr: Attr,
        negate: bool,
        values: Vec<String>,
    },
    Ids {
        attr: Attr,
        negate: bool,
        values: Vec<i64>,
    },
    Measure {
        measure: Measure,
        days: Option<i64>,
        op: Cmp,
        value: i64,
    },
    CustomText {
        field_id: i64,
        op: Cmp,
        value: String,
    },
    CustomNumber {
        field_id: i64,
        op: Cmp,
        value: i64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckedNode {
    Group {
        any: bool,
        negate: bool,
        items: Vec<CheckedNode>,
    },
    Check(Check),
}

/// A rule that passed validation; only this form is evaluated or compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedRule {
    pub root: CheckedNode,
    /// Whether any condition reads RFM scores (the caller then supplies the current run).
    pub uses_rfm: bool,
}

fn err(path: &str, key: Key) -> FieldError {
    FieldError::new(&format!("rule.{path}"), key)
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

    /// Checks every condition against the known fields; errors name the condition's path
    /// (`rule.0.2`), so the builder can point at it.
    pub fn check(&self, fields: &[CustomField]) -> Result<CheckedRule, AppError> {
        let mut errors = Vec::new();
        let mut count = 0;
        let mut uses_rfm = false;
        let root = check_group(
            &self.root,
            "root",
            1,
            fields,
            &mut errors,
            &mut count,
            &mut uses_rfm,
        );
        if count > MAX_CONDITIONS {
            errors.push(err("root", Key::SegErrTooManyConditions));
        }
        if errors.is_empty() {
            Ok(CheckedRule { root, uses_rfm })
        } else {
            Err(AppError::Validation(errors))
        }
    }

    /// Number of conditions in the tree.
    pub fn condition_count(&self) -> usize {
        fn walk(g: &RuleGroup) -> usize {
            g.items
                .iter()
                .map(|n| match n {
                    RuleNode::Group(g) => walk(g),
                    RuleNode::Condition(_) => 1,
                })
                .sum()
        }
        walk(&self.root)
    }
}

fn check_group(
    g: &RuleGroup,
    path: &str,
    depth: usize,
    fields: &[CustomField],
    errors: &mut Vec<FieldError>,
    count: &mut usize,
    uses_rfm: &mut bool,
) -> CheckedNode {
    if depth > MAX_DEPTH {
        errors.push(err(path, Key::SegErrTooDeep));
    }
    let items = g
        .items
        .iter()
        .enumerate()
        .filter_map(|(i, node)| {
            let path = format!("{path}.{i}");
            match node {
                RuleNode::Group(inner) => Some(check_group(
                    inner,
                    &path,
                    depth + 1,
                    fields,
                    errors,
                    count,
                    uses_rfm,
                )),
                RuleNode::Condition(c) => {
                    *count += 1;
                    match check_condition(c, fields, uses_rfm) {
                        Ok(check) => Some(CheckedNode::Check(check)),
                        Err(key) => {
                            errors.push(err(&path, key));
                            None
                        }
                    }
                }
            }
        })
        .collect();
    CheckedNode::Group {
        any: g.combine == Combine::Any,
        negate: g.negate,
        items,
    }
}

fn clean_values(values: &[String]) -> Result<Vec<String>, Key> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        if v.chars().count() > MAX_VALUE_LEN {
            return Err(Key::ErrTooLong);
        }
        if !out.iter().any(|x| x == v) {
            out.push(v.to_string());
        }
    }
    if out.is_empty() {
        return Err(Key::SegErrNoValues);
    }
    if out.len() > MAX_VALUES {
        return Err(Key::SegErrTooManyValues);
    }
    Ok(out)
}

fn check_condition(
    c: &Condition,
    fields: &[CustomField],
    uses_rfm: &mut bool,
) -> Result<Check, Key> {
    match c {
        Condition::Attr { attr, op, values } => {
            let values = clean_values(values)?;
            let negate = *op == SetOp::NoneOf;
            match attr {
                Attr::Level | Attr::Owner | Attr::Team | Attr::Tag => {
                    let ids = values
                        .iter()
                        .map(|v| v.parse::<i64>().map_err(|_| Key::ErrInvalidChoice))
                        .collect::<Result<Vec<_>, _>>()?;
                    if *attr == Attr::Level && ids.iter().any(|l| !(1..=2).contains(l)) {
                        return Err(Key::ErrInvalidChoice);
                    }
                    Ok(Check::Ids {
                        attr: *attr,
                        negate,
                        values: ids,
                    })
                }
                Attr::Grade => {
                    if values
                        .iter()
                        .any(|v| crate::customers::model::Grade::parse(v).is_none())
                    {
                        return Err(Key::ErrInvalidChoice);
                    }
                    Ok(Check::Text {
                        attr: *attr,
                        negate,
                        values,
                    })
                }
                Attr::Kind => {
                    if values
                        .iter()
                        .any(|v| crate::customers::model::CustomerKind::parse(v).is_none())
                    {
                        return Err(Key::ErrInvalidChoice);
                    }
                    Ok(Check::Text {
                        attr: *attr,
                        negate,
                        values,
                    })
                }
                Attr::LifecycleStage => {
                    if values
                        .iter()
                        .any(|v| crate::lifecycle::model::Stage::parse(v).is_none())
                    {
                        return Err(Key::ErrInvalidChoice);
                    }
                    Ok(Check::Text {
                        attr: *attr,
                        negate,
                        values,
                    })
                }
                Attr::RfmSegment => {
                    if values.iter().any(|v| RfmSegment::parse(v).is_none()) {
                        return Err(Key::ErrInvalidChoice);
                    }
                    *uses_rfm = true;
                    Ok(Check::Text {
                        attr: *attr,
                        negate,
                        values,
                    })
                }
                _ => Ok(Check::Text {
                    attr: *attr,
                    negate,
                    values,
                }),
            }
        }
        Condition::Measure {
            measure,
            days,
            op,
            value,
        } => {
            let value = value.trim();
            if value.is_empty() {
                return Err(Key::SegErrNoValues);
            }
            let number = match measure {
                Measure::OrdersAmount => {
                    crate::dates::parse_cents(value).ok_or(Key::ErrInvalidNumber)?
                }
                _ => value.parse::<i64>().map_err(|_| Key::ErrInvalidNumber)?,
            };
            let in_range = match measure {
                Measure::RScore | Measure::FScore | Measure::MScore => (0..=6).contains(&number),
                Measure::BirthYear => (1800..=2200).contains(&number),
                Measure::Age => (0..=200).contains(&number),
                _ => (0..=1_000_000_000_000).contains(&number),
            };
            if !in_range {
                return Err(Key::SegErrOutOfRange);
            }
            let days = if measure.has_window() {
                match days {
                    None => None,
                    Some(d) if (1..=MAX_DAYS).contains(d) => Some(*d),
                    Some(_) => return Err(Key::SegErrBadDays),
                }
            } else {
                None
            };
            if matches!(measure, Measure::RScore | Measure::FScore | Measure::MScore) {
                *uses_rfm = true;
            }
            Ok(Check::Measure {
                measure: *measure,
                days,
                op: *op,
                value: number,
            })
        }
        Condition::Custom { key, op, value } => {
            let field = fields
                .iter()
                .find(|f| f.key == *key && f.active)
                .ok_or(Key::SegErrUnknownField)?;
            let stored = field.parse_value(value)?.ok_or(Key::SegErrNoValues)?;
            match field.kind {
                FieldKind::Text | FieldKind::Choice => {
                    if !matches!(op, Cmp::Eq | Cmp::Ne) {
                        return Err(Key::SegErrBadOperator);
                    }
                    Ok(Check::CustomText {
                        field_id: field.id,
                        op: *op,
                        value: stored.text,
                    })
                }
                FieldKind::Number | FieldKind::Date => Ok(Check::CustomNumber {
                    field_id: field.id,
                    op: *op,
                    value: stored.number.ok_or(Key::ErrInvalidNumber)?,
                }),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The plain-Rust evaluator.

/// What the evaluators need to know about "now".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvalContext {
    /// Today as a day number (days since 1970-01-01, UTC).
    pub today: i64,
    /// The current RFM run, if any has finished.
    pub rfm_run: Option<i64>,
    /// The engine the rule is compiled for: a few conditions are written differently.
    #[cfg(feature = "ssr")]
    pub engine: crate::db::Engine,
}

impl EvalContext {
    pub fn year(&self) -> i64 {
        crate::dates::civil_from_days(self.today).0
    }
}

/// Everything about one customer a rule can ask.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerFacts {
    pub id: i64,
    pub country: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub industry: Option<String>,
    pub gender: Option<String>,
    pub income_band: Option<String>,
    pub source_channel: Option<String>,
    pub source_campaign: Option<String>,
    pub kind: String,
    pub level: i64,
    pub grade: String,
    pub owner_id: i64,
    pub team_id: Option<i64>,
    pub birth_year: Option<i64>,
    pub tags: Vec<i64>,
    /// field id → (canonical text, number)
    pub custom: Vec<(i64, String, Option<i64>)>,
    /// (day, amount in cents) of each order.
    pub orders: Vec<(i64, i64)>,
    /// Unix seconds of the latest activity.
    pub last_activity_at: Option<i64>,
    /// (R score, F score, M score, segment code) in the current run.
    pub rfm: Option<(i64, i64, i64, String)>,
    /// Lifecycle stage code today; `None` is a lead (no orders).
    pub lifecycle_stage: Option<String>,
}

impl CheckedRule {
    pub fn matches(&self, c: &CustomerFacts, ctx: &EvalContext) -> bool {
        eval_node(&self.root, c, ctx)
    }
}

fn eval_node(node: &CheckedNode, c: &CustomerFacts, ctx: &EvalContext) -> bool {
    match node {
        CheckedNode::Group { items, .. } if items.is_empty() => true,
        CheckedNode::Group { any, negate, items } => {
            let v = if *any {
                items.iter().any(|n| eval_node(n, c, ctx))
            } else {
                items.iter().all(|n| eval_node(n, c, ctx))
            };
            v != *negate
        }
        CheckedNode::Check(check) => eval_check(check, c, ctx),
    }
}

fn text_attr(attr: Attr, c: &CustomerFacts) -> Option<&str> {
    match attr {
        Attr::Country => c.country.as_deref(),
        Attr::Province => c.province.as_deref(),
        Attr::City => c.city.as_deref(),
        Attr::Industry => c.industry.as_deref(),
        Attr::Gender => c.gender.as_deref(),
        Attr::IncomeBand => c.income_band.as_deref(),
        Attr::SourceChannel => c.source_channel.as_deref(),
        Attr::SourceCampaign => c.source_campaign.as_deref(),
        Attr::Kind => Some(c.kind.as_str()),
        Attr::Grade => Some(c.grade.as_str()),
        Attr::RfmSegment => c.rfm.as_ref().map(|r| r.3.as_str()),
        Attr::LifecycleStage => Some(c.lifecycle_stage.as_deref().unwrap_or("lead")),
        Attr::Level | Attr::Owner | Attr::Team | Attr::Tag => None,
    }
}

fn eval_check(check: &Check, c: &CustomerFacts, ctx: &EvalContext) -> bool {
    match check {
        Check::Text {
            attr,
            negate,
            values,
        } => match text_attr(*attr, c) {
            None => false,
            Some(v) => values.iter().any(|x| x == v) != *negate,
        },
        Check::Ids {
            attr: Attr::Tag,
            negate,
            values,
        } => c.tags.iter().any(|t| values.contains(t)) != *negate,
        Check::Ids {
            attr,
            negate,
            values,
        } => {
            let own = match attr {
                Attr::Level => Some(c.level),
                Attr::Owner => Some(c.owner_id),
                Attr::Team => c.team_id,
                _ => None,
            };
            match own {
                None => false,
                Some(v) => values.contains(&v) != *negate,
            }
        }
        Check::Measure {
            measure,
            days,
            op,
            value,
        } => {
            let in_window = |day: i64| days.is_none_or(|d| day > ctx.today - d);
            let own = match measure {
                Measure::OrdersCount => {
                    Some(c.orders.iter().filter(|(d, _)| in_window(*d)).count() as i64)
                }
                Measure::OrdersAmount => Some(
                    c.orders
                        .iter()
                        .filter(|(d, _)| in_window(*d))
                        .map(|(_, a)| a)
                        .sum(),
                ),
                Measure::DaysSinceLastOrder => c
                    .orders
                    .iter()
                    .map(|(d, _)| *d)
                    .max()
                    .map(|d| ctx.today - d),
                Measure::DaysSinceLastActivity => c
                    .last_activity_at
                    .map(|at| ctx.today - at.div_euclid(86_400)),
                Measure::Age => c.birth_year.map(|y| ctx.year() - y),
                Measure::BirthYear => c.birth_year,
                Measure::RScore => c.rfm.as_ref().map(|r| r.0),
                Measure::FScore => c.rfm.as_ref().map(|r| r.1),
                Measure::MScore => c.rfm.as_ref().map(|r| r.2),
            };
            own.is_some_and(|v| op.holds(v, *value))
        }
        Check::CustomText {
            field_id,
            op,
            value,
        } => c
            .custom
            .iter()
            .find(|(id, _, _)| id == field_id)
            .is_some_and(|(_, text, _)| op.holds(text.as_str(), value.as_str())),
        Check::CustomNumber {
            field_id,
            op,
            value,
        } => c
            .custom
            .iter()
            .find(|(id, _, _)| id == field_id)
            .and_then(|(_, _, n)| *n)
            .is_some_and(|n| op.holds(n, *value)),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> EvalContext {
        EvalContext {
            today: crate::dates::days_from_civil(2026, 11, 23),
            rfm_run: Some(1),
            #[cfg(feature = "ssr")]
            engine: crate::db::Engine::Sqlite,
        }
    }

    fn attr(attr: Attr, op: SetOp, values: &[&str]) -> RuleNode {
        RuleNode::Condition(Condition::Attr {
            attr,
            op,
            values: values.iter().map(|s| s.to_string()).collect(),
        })
    }

    fn measure(measure: Measure, days: Option<i64>, op: Cmp, value: &str) -> RuleNode {
        RuleNode::Condition(Condition::Measure {
            measure,
            days,
            op,
            value: value.into(),
        })
    }

    fn rule(combine: Combine, negate: bool, items: Vec<RuleNode>) -> SegmentRule {
        SegmentRule {
            version: RULE_VERSION,
            root: RuleGroup {
                combine,
                negate,
                items,
            },
        }
    }

    fn customer() -> CustomerFacts {
        let today = ctx().today;
        CustomerFacts {
            id: 1,
            province: Some("Guangdong".into()),
            kind: "company".into(),
            level: 2,
            grade: "key".into(),
            owner_id: 7,
            team_id: Some(2),
            birth_year: Some(1990),
            tags: vec![3],
            orders: vec![(today - 10, 10_000), (today - 40, 5_000), (today - 89, 100)],
            last_activity_at: Some((today - 5) * 86_400 + 3600),
            ..Default::default()
        }
    }

    fn matches(r: &SegmentRule, c: &CustomerFacts) -> bool {
        r.check(&[]).expect("valid rule").matches(c, &ctx())
    }

    #[test]
    fn empty_rule_matches_everyone() {
        assert!(matches(&SegmentRule::default(), &customer()));
        assert!(matches(&rule(Combine::Any, true, vec![]), &customer()));
    }

    #[test]
    fn south_three_orders_not_vip() {
        let r = rule(
            Combine::All,
            false,
            vec![
                attr(Attr::Province, SetOp::AnyOf, &["Guangdong", "Fujian"]),
                measure(Measure::OrdersCount, Some(90), Cmp::Ge, "3"),
                attr(Attr::Grade, SetOp::NoneOf, &["vip"]),
            ],
        );
        let mut c = customer();
        assert!(matches(&r, &c));
        c.grade = "vip".into();
        assert!(!matches(&r, &c));
        c.grade = "general".into();
        // The oldest order leaves the 90-day window at day 90.
        c.orders[2].0 = ctx().today - 90;
        assert!(!matches(&r, &c));
    }

    #[test]
    fn missing_values_never_match() {
        let mut c = customer();
        c.province = None;
        c.birth_year = None;
        for r in [
            rule(
                Combine::All,
                false,
                vec![attr(Attr::Province, SetOp::AnyOf, &["X"])],
            ),
            rule(
                Combine::All,
                false,
                vec![attr(Attr::Province, SetOp::NoneOf, &["X"])],
            ),
            rule(
                Combine::All,
                false,
                vec![measure(Measure::Age, None, Cmp::Ge, "0")],
            ),
        ] {
            assert!(!matches(&r, &c), "{r:?}");
        }
        // …but the negated group of a false condition is true.
        let negated = rule(
            Combine::All,
            true,
            vec![attr(Attr::Province, SetOp::AnyOf, &["X"])],
        );
        assert!(matches(&negated, &c));
        // Without tags, "has none of these tags" holds.
        c.tags.clear();
        assert!(matches(
            &rule(
                Combine::All,
                false,
                vec![attr(Attr::Tag, SetOp::NoneOf, &["3"])]
            ),
            &c
        ));
    }

    #[test]
    fn nested_groups_and_negation() {
        let inner = RuleNode::Group(RuleGroup {
            combine: Combine::Any,
            negate: false,
            items: vec![
                attr(Attr::Grade, SetOp::AnyOf, &["vip"]),
                measure(Measure::DaysSinceLastActivity, None, Cmp::Le, "5"),
            ],
        });
        let r = rule(Combine::All, false, vec![inner.clone()]);
        assert!(matches(&r, &customer()));
        let none_of = rule(Combine::Any, true, vec![inner]);
        assert!(!matches(&none_of, &customer()));
    }

    #[test]
    fn measures_compare_as_documented() {
        let c = customer();
        let today = ctx().today;
        assert!(matches(
            &rule(
                Combine::All,
                false,
                vec![measure(Measure::DaysSinceLastOrder, None, Cmp::Eq, "10")]
            ),
            &c
        ));
        assert!(matches(
            &rule(
                Combine::All,
                false,
                vec![measure(Measure::OrdersAmount, Some(30), Cmp::Eq, "100.00")]
            ),
            &c
        ));
        assert!(matches(
            &rule(
                Combine::All,
                false,
                vec![measure(Measure::Age, None, Cmp::Eq, "36")]
            ),
            &c
        ));
        let mut no_orders = c.clone();
        no_orders.orders.clear();
        assert!(matches(
            &rule(
                Combine::All,
                false,
                vec![measure(Measure::OrdersCount, None, Cmp::Lt, "1")]
            ),
            &no_orders
        ));
        assert!(!matches(
            &rule(
                Combine::All,
                false,
                vec![measure(Measure::DaysSinceLastOrder, None, Cmp::Ge, "0")]
            ),
            &no_orders
        ));
        assert_eq!(today - c.orders[0].0, 10);
    }

    #[test]
    fn validation_points_at_the_bad_condition() {
        let r = rule(
            Combine::All,
            false,
            vec![
                attr(Attr::Province, SetOp::AnyOf, &["A"]),
                RuleNode::Group(RuleGroup {
                    combine: Combine::All,
                    negate: false,
                    items: vec![attr(Attr::Level, SetOp::AnyOf, &["3"])],
                }),
                measure(Measure::OrdersCount, Some(0), Cmp::Ge, "1"),
                measure(Measure::Age, None, Cmp::Ge, "abc"),
                attr(Attr::City, SetOp::AnyOf, &[]),
            ],
        );
        let Err(AppError::Validation(errors)) = r.check(&[]) else {
            panic!("expected validation errors");
        };
        let paths: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            paths,
            ["rule.root.1.0", "rule.root.2", "rule.root.3", "rule.root.4"]
        );
    }

    #[test]
    fn depth_and_size_are_limited() {
        let mut g = RuleGroup::default();
        for _ in 0..MAX_DEPTH {
            g = RuleGroup {
                combine: Combine::All,
                negate: false,
                items: vec![RuleNode::Group(g)],
            };
        }
        assert!(SegmentRule {
            version: 1,
            root: g
        }
        .check(&[])
        .is_err());
        let many = rule(
            Combine::All,
            false,
            (0..=MAX_CONDITIONS)
                .map(|_| attr(Attr::City, SetOp::AnyOf, &["x"]))
                .collect(),
        );
        assert!(many.check(&[]).is_err());
    }

    #[test]
    fn json_round_trips_and_rejects_garbage() {
        let r = rule(
            Combine::Any,
            true,
            vec![measure(Measure::OrdersCount, Some(90), Cmp::Ge, "3")],
        );
        assert_eq!(parse_rule_json(&r.to_json()).unwrap(), r);
        assert!(parse_rule_json("{").is_err());
        assert!(parse_rule_json(r#"{"version":99,"root":{"combine":"all"}}"#).is_err());
        assert!(parse_rule_json(r#"{"version":1,"root":{"combine":"all","items":[{"node":"condition","kind":"sql","text":"1=1"}]}}"#).is_err());
    }

    #[test]
    fn tree_editing_by_path() {
        let mut r = rule(
            Combine::All,
            false,
            vec![RuleNode::Group(RuleGroup::default())],
        );
        r.root
            .group_at_mut(&[0])
            .unwrap()
            .items
            .push(attr(Attr::City, SetOp::AnyOf, &["x"]));
        assert_eq!(r.condition_count(), 1);
        r.root.remove_at(&[0, 0]);
        assert_eq!(r.condition_count(), 0);
        assert!(r.root.group_at_mut(&[5]).is_none());
    }
}
