//! The plain-Rust evaluator of checked rules, which the SQL compiler (`sql.rs`) is tested
//! against. Semantics are documented in `model.rs`.

use super::check::*;
use super::model::*;

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

/// The customer's value of a custom field: its canonical text and number.
fn custom_value(c: &CustomerFacts, field_id: i64) -> Option<(&str, Option<i64>)> {
    c.custom
        .iter()
        .find(|(id, _, _)| *id == field_id)
        .map(|(_, text, n)| (text.as_str(), *n))
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
        } => {
            let text = custom_value(c, *field_id).map(|(text, _)| text);
            text.is_some_and(|t| op.holds(t, value.as_str()))
        }
        Check::CustomNumber {
            field_id,
            op,
            value,
        } => {
            let number = custom_value(c, *field_id).and_then(|(_, n)| n);
            number.is_some_and(|n| op.holds(n, *value))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AppError;

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
