use crate::auth::model::{required_text, Problems};
use crate::dates::{local_day, parse_local_datetime};
use crate::error::{AppError, FieldError};
use crate::i18n::Key;
use crate::ids::{CustomerId, TaskId, UserId};
use serde::{Deserialize, Serialize};

pub const TITLE_MAX: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaskStatus {
    Open,
    Done,
    Cancelled,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::Done => "done",
            TaskStatus::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [TaskStatus::Open, TaskStatus::Done, TaskStatus::Cancelled]
            .into_iter()
            .find(|x| x.as_str() == s.trim())
    }
    pub fn label(self) -> Key {
        match self {
            TaskStatus::Open => Key::TaskOpen,
            TaskStatus::Done => Key::TaskDone,
            TaskStatus::Cancelled => Key::TaskCancelled,
        }
    }
}

/// Where a task came from (PRODUCT.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaskSource {
    Manual,
    Activity,
    ChurnWarning,
    LifecycleRule,
    ComplaintDeadline,
    Handover,
    /// One of a batch created for every member of a segment (`source_id`: the segment).
    SegmentBatch,
}

impl TaskSource {
    pub const ALL: [TaskSource; 7] = [
        TaskSource::Manual,
        TaskSource::Activity,
        TaskSource::ChurnWarning,
        TaskSource::LifecycleRule,
        TaskSource::ComplaintDeadline,
        TaskSource::Handover,
        TaskSource::SegmentBatch,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            TaskSource::Manual => "manual",
            TaskSource::Activity => "activity",
            TaskSource::ChurnWarning => "churn_warning",
            TaskSource::LifecycleRule => "lifecycle_rule",
            TaskSource::ComplaintDeadline => "complaint_deadline",
            TaskSource::Handover => "handover",
            TaskSource::SegmentBatch => "segment_batch",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        TaskSource::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }
    pub fn label(self) -> Key {
        match self {
            TaskSource::Manual => Key::SourceManual,
            TaskSource::Activity => Key::SourceActivity,
            TaskSource::ChurnWarning => Key::SourceChurnWarning,
            TaskSource::LifecycleRule => Key::SourceLifecycleRule,
            TaskSource::ComplaintDeadline => Key::SourceComplaintDeadline,
            TaskSource::Handover => Key::SourceHandover,
            TaskSource::SegmentBatch => Key::SourceSegmentBatch,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub id: TaskId,
    pub customer_id: Option<CustomerId>,
    /// Shown only when the viewer may see the customer.
    pub customer_name: Option<String>,
    pub title: String,
    pub assignee_id: UserId,
    pub assignee_name: String,
    pub due_at: i64,
    pub status: TaskStatus,
    pub source: TaskSource,
    pub created_at: i64,
    pub completed_at: Option<i64>,
    pub may_change: bool,
}

/// Raw form input. `due` is a `datetime-local` value in the user's zone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TaskInput {
    pub customer: String,
    pub title: String,
    pub assignee: String,
    pub due: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskDraft {
    pub customer: Option<CustomerId>,
    pub title: String,
    /// `None`: the acting user.
    pub assignee: Option<UserId>,
    pub due_at: i64,
}

impl TaskDraft {
    pub fn parse(input: &TaskInput, offset_minutes: i64) -> Result<TaskDraft, AppError> {
        let mut p = Problems::default();
        let title = p.check(required_text("title", &input.title, TITLE_MAX));
        let customer = match input.customer.trim() {
            "" => None,
            s => p.check(
                s.parse()
                    .map(Some)
                    .map_err(|_| FieldError::new("customer", Key::ErrInvalidChoice)),
            ),
        };
        let assignee = match input.assignee.trim() {
            "" => None,
            s => p.check(
                s.parse()
                    .map(Some)
                    .map_err(|_| FieldError::new("assignee", Key::ErrInvalidChoice)),
            ),
        };
        let due_at = p.check(parse_due("due", &input.due, offset_minutes));
        p.into_result()?;
        Ok(TaskDraft {
            customer: customer.flatten(),
            title: title.unwrap_or_default(),
            assignee: assignee.flatten(),
            due_at: due_at.unwrap_or_default(),
        })
    }
}

/// A required due time in the user's zone.
pub fn parse_due(field: &str, raw: &str, offset_minutes: i64) -> Result<i64, FieldError> {
    if raw.trim().is_empty() {
        return Err(FieldError::new(field, Key::ErrRequired));
    }
    parse_local_datetime(raw, offset_minutes)
        .ok_or_else(|| FieldError::new(field, Key::ErrInvalidDate))
}

/// How pressing an open task is, as seen on the user's own calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Urgency {
    Overdue,
    Today,
    Upcoming,
}

/// Overdue once its due time has passed; "today" while due later on the user's current
/// local day; upcoming after that.
pub fn urgency(due_at: i64, now: i64, offset_minutes: i64) -> Urgency {
    if due_at < now {
        Urgency::Overdue
    } else if local_day(due_at, offset_minutes) == local_day(now, offset_minutes) {
        Urgency::Today
    } else {
        Urgency::Upcoming
    }
}

/// The next moment at which one of these open tasks moves to another group (today →
/// overdue, upcoming → today); `None` when all are overdue already.
pub fn next_regrouping(due_times: &[i64], now: i64, offset_minutes: i64) -> Option<i64> {
    due_times
        .iter()
        .filter_map(|&due| match urgency(due, now, offset_minutes) {
            Urgency::Overdue => None,
            Urgency::Today => Some(due + 1),
            // The start of its local day, in UTC.
            Urgency::Upcoming => {
                Some(local_day(due, offset_minutes) * 86_400 - offset_minutes * 60)
            }
        })
        .min()
}

/// The navigation badge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskCounts {
    pub overdue: i64,
    pub due_today: i64,
}

impl TaskCounts {
    pub fn of(due_times: &[i64], now: i64, offset_minutes: i64) -> TaskCounts {
        let mut c = TaskCounts::default();
        for due in due_times {
            match urgency(*due, now, offset_minutes) {
                Urgency::Overdue => c.overdue += 1,
                Urgency::Today => c.due_today += 1,
                Urgency::Upcoming => {}
            }
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    #[test]
    fn urgency_follows_the_users_day() {
        let now = 20_759 * DAY + 10 * 3_600; // 10:00 UTC = 18:00 in UTC+8
        assert_eq!(urgency(now - 1, now, 0), Urgency::Overdue);
        assert_eq!(urgency(now, now, 0), Urgency::Today);
        assert_eq!(urgency(now + 3 * 3_600, now, 0), Urgency::Today);
        // 21:00 UTC is already tomorrow in UTC+8, still today in UTC.
        assert_eq!(urgency(20_759 * DAY + 21 * 3_600, now, 0), Urgency::Today);
        assert_eq!(
            urgency(20_759 * DAY + 21 * 3_600, now, 480),
            Urgency::Upcoming
        );
        assert_eq!(urgency(now + 2 * DAY, now, 0), Urgency::Upcoming);
    }

    #[test]
    fn regrouping_comes_with_the_first_due_time_or_the_users_midnight() {
        let now = 20_759 * DAY + 10 * 3_600;
        // Due today: overdue the second after it is due.
        assert_eq!(
            next_regrouping(&[now + 60, now + 3 * 3_600], now, 0),
            Some(now + 61)
        );
        // Due tomorrow only: it becomes today at midnight, on the user's clock.
        let tomorrow = 20_760 * DAY + 12 * 3_600;
        assert_eq!(next_regrouping(&[tomorrow], now, 0), Some(20_760 * DAY));
        assert_eq!(
            next_regrouping(&[tomorrow], now, 480),
            Some(20_760 * DAY - 480 * 60)
        );
        assert_eq!(next_regrouping(&[now - 5], now, 0), None);
        assert_eq!(next_regrouping(&[], now, 0), None);
    }

    #[test]
    fn counts_split_overdue_and_today() {
        let now = 20_759 * DAY + 12 * 3_600;
        let c = TaskCounts::of(&[now - 10, now - DAY, now + 60, now + 3 * DAY], now, 0);
        assert_eq!(
            c,
            TaskCounts {
                overdue: 2,
                due_today: 1
            }
        );
    }

    #[test]
    fn drafts_are_validated() {
        let ok = TaskDraft::parse(
            &TaskInput {
                customer: "7".into(),
                title: " Call back ".into(),
                assignee: String::new(),
                due: "2026-11-02T09:00".into(),
            },
            480,
        )
        .unwrap();
        assert_eq!(ok.title, "Call back");
        assert_eq!(ok.customer, Some(CustomerId(7)));
        assert_eq!(ok.due_at, 20_759 * DAY + 3_600);
        let err = TaskDraft::parse(
            &TaskInput {
                due: "tomorrow".into(),
                ..Default::default()
            },
            0,
        )
        .unwrap_err();
        assert_eq!(err.field_error("title"), Some(Key::ErrRequired));
        assert_eq!(err.field_error("due"), Some(Key::ErrInvalidDate));
    }
}
