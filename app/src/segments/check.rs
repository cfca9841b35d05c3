//! Validation of segment rules: a raw rule tree from the builder or the database becomes
//! a checked rule with typed values, or field errors that point at the bad condition.
//! Semantics are documented in `model.rs`.

use super::model::*;
use crate::custom_fields::model::{CustomField, FieldKind};
use crate::error::{AppError, FieldError};
use crate::i18n::Key;
use crate::rfm::model::RfmSegment;

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

impl SegmentRule {
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
            check_attr(*attr, *op == SetOp::NoneOf, clean_values(values)?, uses_rfm)
        }
        Condition::Measure {
            measure,
            days,
            op,
            value,
        } => check_measure(*measure, *days, *op, value, uses_rfm),
        Condition::Custom { key, op, value } => check_custom(fields, key, *op, value),
    }
}

/// An attribute condition: ids parsed, enumerated values known.
fn check_attr(
    attr: Attr,
    negate: bool,
    values: Vec<String>,
    uses_rfm: &mut bool,
) -> Result<Check, Key> {
    let known = |ok: fn(&str) -> bool| {
        if values.iter().all(|v| ok(v)) {
            Ok(())
        } else {
            Err(Key::ErrInvalidChoice)
        }
    };
    match attr {
        Attr::Level | Attr::Owner | Attr::Team | Attr::Tag => {
            let ids = values
                .iter()
                .map(|v| v.parse::<i64>().map_err(|_| Key::ErrInvalidChoice))
                .collect::<Result<Vec<_>, _>>()?;
            if attr == Attr::Level && ids.iter().any(|l| !(1..=2).contains(l)) {
                return Err(Key::ErrInvalidChoice);
            }
            return Ok(Check::Ids {
                attr,
                negate,
                values: ids,
            });
        }
        Attr::Grade => known(|v| crate::customers::model::Grade::parse(v).is_some())?,
        Attr::Kind => known(|v| crate::customers::model::CustomerKind::parse(v).is_some())?,
        Attr::LifecycleStage => known(|v| crate::lifecycle::model::Stage::parse(v).is_some())?,
        Attr::RfmSegment => {
            known(|v| RfmSegment::parse(v).is_some())?;
            *uses_rfm = true;
        }
        _ => {}
    }
    Ok(Check::Text {
        attr,
        negate,
        values,
    })
}

/// A measure condition: a number in the measure's range, a window where it has one.
fn check_measure(
    measure: Measure,
    days: Option<i64>,
    op: Cmp,
    value: &str,
    uses_rfm: &mut bool,
) -> Result<Check, Key> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Key::SegErrNoValues);
    }
    let number = match measure {
        Measure::OrdersAmount => crate::dates::parse_cents(value).ok_or(Key::ErrInvalidNumber)?,
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
            Some(d) if (1..=MAX_DAYS).contains(&d) => Some(d),
            Some(_) => return Err(Key::SegErrBadDays),
        }
    } else {
        None
    };
    if matches!(measure, Measure::RScore | Measure::FScore | Measure::MScore) {
        *uses_rfm = true;
    }
    Ok(Check::Measure {
        measure,
        days,
        op,
        value: number,
    })
}

/// A custom field condition: an active field, a value of its kind, an operator it allows.
fn check_custom(fields: &[CustomField], key: &str, op: Cmp, value: &str) -> Result<Check, Key> {
    let field = fields
        .iter()
        .find(|f| f.key == key && f.active)
        .ok_or(Key::SegErrUnknownField)?;
    let stored = field.parse_value(value)?.ok_or(Key::SegErrNoValues)?;
    match field.kind {
        FieldKind::Text | FieldKind::Choice => {
            if !matches!(op, Cmp::Eq | Cmp::Ne) {
                return Err(Key::SegErrBadOperator);
            }
            Ok(Check::CustomText {
                field_id: field.id,
                op,
                value: stored.text,
            })
        }
        FieldKind::Number | FieldKind::Date => Ok(Check::CustomNumber {
            field_id: field.id,
            op,
            value: stored.number.ok_or(Key::ErrInvalidNumber)?,
        }),
    }
}
