use crate::activities::model::ActivityKind;
use crate::i18n::Key;
use crate::tasks::model::{TaskSource, TaskStatus};
use serde::{Deserialize, Serialize};

pub const TIMELINE_PAGE: usize = 30;

/// Kinds in tie-break order: entries at the same second sort by this rank, then id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TimelineKind {
    Activity,
    Order,
    Payment,
    Contract,
    Task,
    Change,
    Tier,
    Note,
    /// A lifecycle stage change (one that has happened: started on or before today).
    Lifecycle,
    Churn,
    /// A feedback form answered by the customer.
    Feedback,
    /// A complaint about the customer, as it stands now.
    Complaint,
}

impl TimelineKind {
    pub const ALL: [TimelineKind; 12] = [
        TimelineKind::Activity,
        TimelineKind::Order,
        TimelineKind::Payment,
        TimelineKind::Contract,
        TimelineKind::Task,
        TimelineKind::Change,
        TimelineKind::Tier,
        TimelineKind::Note,
        TimelineKind::Lifecycle,
        TimelineKind::Churn,
        TimelineKind::Feedback,
        TimelineKind::Complaint,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            TimelineKind::Activity => "activity",
            TimelineKind::Order => "order",
            TimelineKind::Payment => "payment",
            TimelineKind::Contract => "contract",
            TimelineKind::Task => "task",
            TimelineKind::Change => "change",
            TimelineKind::Tier => "tier",
            TimelineKind::Note => "note",
            TimelineKind::Lifecycle => "lifecycle",
            TimelineKind::Churn => "churn",
            TimelineKind::Feedback => "feedback",
            TimelineKind::Complaint => "complaint",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        TimelineKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
    }
    pub fn rank(self) -> i64 {
        self as i64
    }
    pub fn label(self) -> Key {
        match self {
            TimelineKind::Activity => Key::TimelineActivities,
            TimelineKind::Order => Key::TimelineOrders,
            TimelineKind::Payment => Key::Payments,
            TimelineKind::Contract => Key::Contracts,
            TimelineKind::Task => Key::Tasks,
            TimelineKind::Change => Key::TimelineChanges,
            TimelineKind::Tier => Key::TierTimelineKind,
            TimelineKind::Note => Key::NoteTimelineKind,
            TimelineKind::Lifecycle => Key::LcStage,
            TimelineKind::Churn => Key::ChurnTimelineKind,
            TimelineKind::Feedback => Key::TlFeedbackKind,
            TimelineKind::Complaint => Key::TlComplaintKind,
        }
    }
    /// Kinds that only viewers of financial records see.
    pub fn is_financial(self) -> bool {
        matches!(self, TimelineKind::Payment | TimelineKind::Contract)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimelineBody {
    Activity {
        kind: ActivityKind,
        summary: String,
        outcome: Option<String>,
        next_step: Option<String>,
    },
    Order {
        date: String,
        amount_cents: i64,
        currency: String,
        product: Option<String>,
        category: Option<String>,
        channel: Option<String>,
    },
    Payment {
        due_date: String,
        paid_date: Option<String>,
        amount_cents: i64,
        currency: String,
        contract: Option<String>,
    },
    Task {
        title: String,
        status: TaskStatus,
        source: TaskSource,
        due_at: i64,
        assignee: Option<String>,
    },
    /// A contract created or changed (from the audit log).
    Contract {
        before: Option<String>,
        after: Option<String>,
    },
    /// An approved tier change: levels, grades and the hand-over of the owner.
    Tier {
        from_level: i64,
        to_level: i64,
        from_grade: String,
        to_grade: String,
        from_owner: Option<String>,
        to_owner: Option<String>,
    },
    /// An internal note; `handover` when written with a tier decision.
    Note { body: String, handover: bool },
    /// A lifecycle stage change; `from` is absent for the first stage of the history.
    Lifecycle {
        from: Option<crate::lifecycle::model::Stage>,
        to: crate::lifecycle::model::Stage,
    },
    /// A churn warning opened or cleared, with the score and reasons of that moment.
    Churn {
        event: crate::churn::model::ChurnEvent,
        score: i64,
        reasons: Vec<crate::churn::model::ChurnReason>,
        cleared_reason: Option<String>,
    },
    /// A feedback form answered: the form's slug, and the NPS score when it asked for one.
    Feedback { form: String, nps: Option<i64> },
    /// A complaint with its current category, severity and status.
    Complaint {
        number: i64,
        category: String,
        severity: crate::complaints::model::Severity,
        status: crate::complaints::model::Status,
    },
    /// A field change or record action from the audit log.
    Change {
        action: String,
        field: Option<String>,
        before: Option<String>,
        after: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub kind: TimelineKind,
    pub id: i64,
    pub at: i64,
    pub actor: Option<String>,
    pub body: TimelineBody,
}

/// Where the next page starts: strictly older than this entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimelineCursor {
    pub at: i64,
    pub rank: i64,
    pub id: i64,
}

impl TimelineCursor {
    pub fn of(e: &TimelineEntry) -> Self {
        TimelineCursor {
            at: e.at,
            rank: e.kind.rank(),
            id: e.id,
        }
    }
    pub fn encode(&self) -> String {
        format!("{}.{}.{}", self.at, self.rank, self.id)
    }
    pub fn decode(s: &str) -> Option<Self> {
        let mut it = s.split('.');
        let c = TimelineCursor {
            at: it.next()?.parse().ok()?,
            rank: it.next()?.parse().ok()?,
            id: it.next()?.parse().ok()?,
        };
        it.next().is_none().then_some(c)
    }
    /// Whether an entry comes after (is older than) this cursor in timeline order.
    pub fn precedes(&self, at: i64, rank: i64, id: i64) -> bool {
        (at, rank, id) < (self.at, self.rank, self.id)
    }
}

/// Comma-separated kinds (empty: all) and an optional cursor, as sent by the page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TimelineQuery {
    pub kinds: String,
    pub before: String,
}

impl TimelineQuery {
    /// The requested kinds, or every kind; unknown names are an error.
    pub fn kinds(&self) -> Option<Vec<TimelineKind>> {
        if self.kinds.trim().is_empty() {
            return Some(TimelineKind::ALL.to_vec());
        }
        self.kinds.split(',').map(TimelineKind::parse).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelinePage {
    pub entries: Vec<TimelineEntry>,
    pub next: Option<String>,
    /// The kinds this viewer may filter by.
    pub kinds: Vec<TimelineKind>,
}

/// Sorts entries newest first with the tie-break order of the cursor.
pub fn sort_newest_first(entries: &mut [TimelineEntry]) {
    entries.sort_by_key(|e| std::cmp::Reverse((e.at, e.kind.rank(), e.id)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_order() {
        let c = TimelineCursor {
            at: 100,
            rank: 2,
            id: 7,
        };
        assert_eq!(TimelineCursor::decode(&c.encode()), Some(c));
        assert_eq!(TimelineCursor::decode("1.2"), None);
        assert_eq!(TimelineCursor::decode("1.2.x"), None);
        assert!(c.precedes(99, 5, 100));
        assert!(c.precedes(100, 1, 100));
        assert!(c.precedes(100, 2, 6));
        assert!(!c.precedes(100, 2, 7));
        assert!(!c.precedes(100, 3, 1));
    }

    #[test]
    fn kinds_parse_strictly() {
        let q = TimelineQuery {
            kinds: "order,task".into(),
            before: String::new(),
        };
        assert_eq!(
            q.kinds(),
            Some(vec![TimelineKind::Order, TimelineKind::Task])
        );
        assert_eq!(
            TimelineQuery {
                kinds: "order,bogus".into(),
                ..Default::default()
            }
            .kinds(),
            None
        );
        assert_eq!(
            TimelineQuery::default().kinds().map(|k| k.len()),
            Some(TimelineKind::ALL.len())
        );
    }
}
