//! Complaints: severity decides the response deadline; status moves received →
//! classified → in progress → resolved → closed, may be reopened, and resolving needs a
//! note. Plain Rust, so the rules are unit-tested and shared with the pages.

use crate::i18n::Key;
use crate::ids::{CustomerId, UserId};
use serde::{Deserialize, Serialize};

pub const MAX_DESCRIPTION_CHARS: usize = 4_000;
pub const MAX_NOTE_CHARS: usize = 4_000;
pub const MAX_CATEGORY_CHARS: usize = 80;
pub const PAGE_SIZE: i64 = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.as_str() == s.trim())
    }

    pub fn label(self) -> Key {
        match self {
            Severity::Low => Key::CpSeverityLow,
            Severity::Medium => Key::CpSeverityMedium,
            Severity::High => Key::CpSeverityHigh,
            Severity::Critical => Key::CpSeverityCritical,
        }
    }

    /// Time allowed for the response: critical 4 hours, high 1 day, medium 3 days, low 7 days.
    pub fn response_secs(self) -> i64 {
        const HOUR: i64 = 3_600;
        match self {
            Severity::Critical => 4 * HOUR,
            Severity::High => 24 * HOUR,
            Severity::Medium => 72 * HOUR,
            Severity::Low => 168 * HOUR,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Status {
    Received,
    Classified,
    InProgress,
    Resolved,
    Closed,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Received,
        Status::Classified,
        Status::InProgress,
        Status::Resolved,
        Status::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::Classified => "classified",
            Status::InProgress => "in_progress",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|v| v.as_str() == s.trim())
    }

    pub fn label(self) -> Key {
        match self {
            Status::Received => Key::CpStatusReceived,
            Status::Classified => Key::CpStatusClassified,
            Status::InProgress => Key::CpStatusInProgress,
            Status::Resolved => Key::CpStatusResolved,
            Status::Closed => Key::CpStatusClosed,
        }
    }

    /// Still waiting for a response: the deadline applies.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Status::Received | Status::Classified | Status::InProgress
        )
    }

    /// The steps allowed from here: forward one step (classifying may be skipped by
    /// starting work at once), resolve from any open state, and reopen a resolved or
    /// closed complaint into "in progress".
    pub fn next(self) -> &'static [Status] {
        match self {
            Status::Received => &[Status::Classified, Status::InProgress, Status::Resolved],
            Status::Classified => &[Status::InProgress, Status::Resolved],
            Status::InProgress => &[Status::Resolved],
            Status::Resolved => &[Status::Closed, Status::InProgress],
            Status::Closed => &[Status::InProgress],
        }
    }

    pub fn may_move_to(self, to: Status) -> bool {
        self.next().contains(&to)
    }
}

/// Why a status change is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransitionError {
    NotAllowed,
    NoteRequired,
}

/// Checks a status change: the step must be allowed, and resolving needs a note.
pub fn check_transition(from: Status, to: Status, note: &str) -> Result<(), TransitionError> {
    if !from.may_move_to(to) {
        return Err(TransitionError::NotAllowed);
    }
    if to == Status::Resolved && note.trim().is_empty() {
        return Err(TransitionError::NoteRequired);
    }
    Ok(())
}

/// Open and past its deadline.
pub fn is_overdue(status: Status, deadline_at: i64, now: i64) -> bool {
    status.is_open() && now > deadline_at
}

/// The median of durations in seconds (mean of the middle two for an even count).
pub fn median_secs(mut values: Vec<i64>) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    Form,
    Manual,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Form => "form",
            Source::Manual => "manual",
        }
    }

    pub fn parse(s: &str) -> Option<Source> {
        match s {
            "form" => Some(Source::Form),
            "manual" => Some(Source::Manual),
            _ => None,
        }
    }

    pub fn label(self) -> Key {
        match self {
            Source::Form => Key::CpSourceForm,
            Source::Manual => Key::CpSourceManual,
        }
    }
}

/// The complaint-opening form as the browser sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplaintInput {
    pub customer_id: String,
    pub category: String,
    pub severity: String,
    pub description: String,
    pub assignee_id: String,
}

/// A checked new complaint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintDraft {
    pub customer: Option<CustomerId>,
    pub category: String,
    pub severity: Severity,
    pub description: String,
    pub assignee: Option<UserId>,
}

/// Where a customer can be reached: all a support agent sees of a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactCard {
    pub customer_id: CustomerId,
    pub name: String,
    pub contact_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The customer page is open to this viewer.
    pub may_open_customer: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplaintEvent {
    pub at: i64,
    pub actor: Option<String>,
    pub from: Option<Status>,
    pub to: Status,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Complaint {
    pub id: i64,
    pub customer: Option<ContactCard>,
    pub response_id: Option<i64>,
    pub source: Source,
    pub category: String,
    pub severity: Severity,
    pub description: String,
    pub status: Status,
    pub assignee_id: Option<UserId>,
    pub assignee_name: Option<String>,
    pub deadline_at: i64,
    pub overdue: bool,
    pub resolution_note: Option<String>,
    pub created_at: i64,
    pub resolved_at: Option<i64>,
    /// The viewer may change status, category, severity and assignee.
    pub may_change: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplaintDetail {
    pub complaint: Complaint,
    pub events: Vec<ComplaintEvent>,
    /// The answers of the response that opened it: (question, answer text).
    pub answers: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplaintFilter {
    /// "open", "overdue", "all" or one status.
    pub status: String,
    pub mine: bool,
    pub customer_id: Option<CustomerId>,
    /// Keyset cursor: the last id of the previous page.
    pub after: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplaintPage {
    pub rows: Vec<Complaint>,
    pub next: Option<i64>,
    pub may_create: bool,
}

/// A status change as the browser sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChangeInput {
    pub to: String,
    pub note: String,
    /// Classifying may set category and severity (empty: unchanged).
    pub category: String,
    pub severity: String,
    pub assignee_id: String,
}

/// Complaint figures for the analysis page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplaintStats {
    pub by_category: Vec<(String, i64)>,
    pub total: i64,
    pub open: i64,
    pub overdue: i64,
    pub median_resolve_secs: Option<i64>,
}

/// Which complaints the figures count: those opened in a day range, by answers to one
/// form, of customers of one owner or team. Days are `dates` day numbers (UTC), inclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatsFilter {
    pub form_id: Option<i64>,
    pub from_day: Option<i64>,
    pub to_day: Option<i64>,
    pub owner_id: Option<i64>,
    pub team_id: Option<i64>,
}

impl ComplaintStats {
    /// Overdue complaints as a share of the open ones, in percent.
    pub fn overdue_percent(&self) -> Option<i64> {
        (self.open > 0).then(|| (self.overdue * 100 + self.open / 2) / self.open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workflow_moves_forward_and_can_reopen() {
        use Status::*;
        assert!(check_transition(Received, Classified, "").is_ok());
        assert!(check_transition(Classified, InProgress, "").is_ok());
        assert!(check_transition(InProgress, Resolved, "Refunded").is_ok());
        assert!(check_transition(Resolved, Closed, "").is_ok());
        assert!(check_transition(Closed, InProgress, "").is_ok());
        assert!(check_transition(Resolved, InProgress, "").is_ok());
        assert_eq!(
            check_transition(Received, Closed, ""),
            Err(TransitionError::NotAllowed)
        );
        assert_eq!(
            check_transition(InProgress, Received, ""),
            Err(TransitionError::NotAllowed)
        );
        assert_eq!(
            check_transition(Closed, Closed, ""),
            Err(TransitionError::NotAllowed)
        );
        assert_eq!(
            check_transition(InProgress, Resolved, "  "),
            Err(TransitionError::NoteRequired)
        );
    }

    #[test]
    fn deadlines_grow_as_severity_falls_and_only_open_complaints_are_overdue() {
        let secs: Vec<i64> = Severity::ALL.iter().map(|s| s.response_secs()).collect();
        assert!(secs.windows(2).all(|w| w[0] > w[1]));
        assert!(is_overdue(Status::InProgress, 100, 101));
        assert!(!is_overdue(Status::InProgress, 100, 100));
        assert!(!is_overdue(Status::Resolved, 100, 1_000));
    }

    #[test]
    fn medians_and_shares() {
        assert_eq!(median_secs(vec![]), None);
        assert_eq!(median_secs(vec![5, 1, 3]), Some(3));
        assert_eq!(median_secs(vec![4, 1, 3, 2]), Some(2));
        let stats = ComplaintStats {
            open: 3,
            overdue: 1,
            ..Default::default()
        };
        assert_eq!(stats.overdue_percent(), Some(33));
        assert_eq!(ComplaintStats::default().overdue_percent(), None);
    }

    #[test]
    fn names_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        for s in Severity::ALL {
            assert_eq!(Severity::parse(s.as_str()), Some(s));
        }
    }
}
