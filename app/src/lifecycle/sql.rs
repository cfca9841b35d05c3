//! The lifecycle stage as SQL conditions on a customer `c`, for the customer list and
//! segment rules: the stage a customer is in on a day, read from its spans.

use crate::dates::iso_date;
use crate::db::{now, SqlBuilder, SqlValue};
use crate::lifecycle::model::Stage;

/// "Customer `c` is in `stage` today", as a condition of the customer list.
pub fn stage_condition(stage: Stage) -> crate::db::Condition {
    Box::new(move |q| {
        q.push(" AND ");
        push_stage_condition(
            q,
            now().div_euclid(86_400),
            false,
            &[stage.as_str().to_string()],
        );
    })
}

/// Appends ` AND <customer c's stage today is one of stages>` (negated: none of), for the
/// customer list's stage filter and segment conditions.
pub fn push_stage_condition(q: &mut SqlBuilder, today: i64, negate: bool, stages: &[String]) {
    let day = iso_date(today);
    q.push("COALESCE((SELECT ls.stage FROM lifecycle_spans ls WHERE ls.customer_id = c.id AND ls.starts_on <= ")
        .bind(SqlValue::Text(day.clone()))
        .push(" AND (ls.ends_on IS NULL OR ls.ends_on > ")
        .bind(SqlValue::Text(day))
        .push(")), 'lead')")
        .push(if negate { " NOT IN (" } else { " IN (" });
    q.bind_all(stages.iter().map(|s| SqlValue::Text(s.clone())));
    q.push(")");
}
