use crate::auth::model::{optional_text, required_text, Problems};
use crate::dates::parse_local_datetime;
use crate::error::{AppError, FieldError};
use crate::i18n::Key;
use crate::ids::{ActivityId, TaskId, UserId};
use crate::tasks::model::parse_due;
use serde::{Deserialize, Serialize};

pub const SUMMARY_MAX: usize = 2_000;
pub const SHORT_MAX: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActivityKind {
    Call,
    Meeting,
    Visit,
    Email,
    Message,
    Note,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 6] = [
        ActivityKind::Call,
        ActivityKind::Meeting,
        ActivityKind::Visit,
        ActivityKind::Email,
        ActivityKind::Message,
        ActivityKind::Note,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::Call => "call",
            ActivityKind::Meeting => "meeting",
            ActivityKind::Visit => "visit",
            ActivityKind::Email => "email",
            ActivityKind::Message => "message",
            ActivityKind::Note => "note",
        }
    }
    /// Also accepts `e-mail`, as people write it.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase();
        let s = if s == "e-mail" {
            "email".to_string()
        } else {
            s
        };
        ActivityKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label(self) -> Key {
        match self {
            ActivityKind::Call => Key::ActivityCall,
            ActivityKind::Meeting => Key::ActivityMeeting,
            ActivityKind::Visit => Key::ActivityVisit,
            ActivityKind::Email => Key::ActivityEmail,
            ActivityKind::Message => Key::ActivityMessage,
            ActivityKind::Note => Key::ActivityNote,
        }
    }
}

/// Raw form input. `happened_at` and `follow_up_due` are `datetime-local` values in the
/// user's zone; `follow_up` is the checkbox ("on" when ticked).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ActivityInput {
    pub kind: String,
    pub happened_at: String,
    pub summary: String,
    pub outcome: String,
    pub next_step: String,
    pub follow_up: String,
    pub follow_up_due: String,
    pub follow_up_assignee: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUp {
    pub due_at: i64,
    pub assignee: Option<UserId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityDraft {
    pub kind: ActivityKind,
    pub happened_at: i64,
    pub summary: String,
    pub outcome: Option<String>,
    pub next_step: Option<String>,
    /// A follow-up task titled after the next step.
    pub follow_up: Option<FollowUp>,
}

impl ActivityDraft {
    /// `now` fills an empty time; times more than a day ahead are refused (an activity is
    /// something that happened).
    pub fn parse(
        input: &ActivityInput,
        now: i64,
        offset_minutes: i64,
    ) -> Result<ActivityDraft, AppError> {
        let mut p = Problems::default();
        let kind = ActivityKind::parse(&input.kind);
        if kind.is_none() {
            p.push(FieldError::new("kind", Key::ErrInvalidChoice));
        }
        let happened_at = if input.happened_at.trim().is_empty() {
            Some(now)
        } else {
            match parse_local_datetime(&input.happened_at, offset_minutes) {
                Some(t) if t <= now + 86_400 => Some(t),
                Some(_) => {
                    p.push(FieldError::new("happened_at", Key::ErrInFuture));
                    None
                }
                None => {
                    p.push(FieldError::new("happened_at", Key::ErrInvalidDate));
                    None
                }
            }
        };
        let summary = p.check(required_text("summary", &input.summary, SUMMARY_MAX));
        let outcome = p
            .check(optional_text("outcome", &input.outcome, SHORT_MAX))
            .flatten();
        let next_step = p
            .check(optional_text("next_step", &input.next_step, SHORT_MAX))
            .flatten();
        let wants_follow_up = matches!(input.follow_up.trim(), "on" | "true" | "1");
        let follow_up = if wants_follow_up {
            if next_step.is_none() && !input.next_step.trim().is_empty() {
                None // the next step itself is already reported
            } else if next_step.is_none() {
                p.push(FieldError::new("next_step", Key::ErrNextStepForFollowUp));
                None
            } else {
                let due = p.check(parse_due(
                    "follow_up_due",
                    &input.follow_up_due,
                    offset_minutes,
                ));
                let assignee =
                    match input.follow_up_assignee.trim() {
                        "" => Some(None),
                        s => p.check(s.parse::<UserId>().map(Some).map_err(|_| {
                            FieldError::new("follow_up_assignee", Key::ErrInvalidChoice)
                        })),
                    };
                due.zip(assignee)
                    .map(|(due_at, assignee)| FollowUp { due_at, assignee })
            }
        } else {
            None
        };
        p.into_result()?;
        Ok(ActivityDraft {
            kind: kind.unwrap_or(ActivityKind::Note),
            happened_at: happened_at.unwrap_or(now),
            summary: summary.unwrap_or_default(),
            outcome,
            next_step,
            follow_up,
        })
    }
}

/// What logging an activity created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Logged {
    pub activity: ActivityId,
    pub task: Option<TaskId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ActivityInput {
        ActivityInput {
            kind: "call".into(),
            summary: "Discussed the renewal".into(),
            ..Default::default()
        }
    }

    #[test]
    fn empty_time_means_now() {
        let d = ActivityDraft::parse(&input(), 1_000_000, 0).unwrap();
        assert_eq!(d.happened_at, 1_000_000);
        assert_eq!(d.kind, ActivityKind::Call);
        assert!(d.follow_up.is_none());
    }

    #[test]
    fn follow_up_needs_a_next_step_and_due_time() {
        let mut i = input();
        i.follow_up = "on".into();
        let e = ActivityDraft::parse(&i, 0, 0).unwrap_err();
        assert_eq!(
            e.field_error("next_step"),
            Some(Key::ErrNextStepForFollowUp)
        );
        i.next_step = "Send the quote".into();
        let e = ActivityDraft::parse(&i, 0, 0).unwrap_err();
        assert_eq!(e.field_error("follow_up_due"), Some(Key::ErrRequired));
        i.follow_up_due = "2026-11-03T10:00".into();
        let d = ActivityDraft::parse(&i, 0, 0).unwrap();
        assert_eq!(
            d.follow_up,
            Some(FollowUp {
                due_at: 20_760 * 86_400 + 36_000,
                assignee: None
            })
        );
    }

    #[test]
    fn bad_input_is_reported_per_field() {
        let e = ActivityDraft::parse(
            &ActivityInput {
                kind: "fax".into(),
                happened_at: "2099-01-01T00:00".into(),
                summary: " ".into(),
                ..Default::default()
            },
            0,
            0,
        )
        .unwrap_err();
        assert_eq!(e.field_error("kind"), Some(Key::ErrInvalidChoice));
        assert_eq!(e.field_error("happened_at"), Some(Key::ErrInFuture));
        assert_eq!(e.field_error("summary"), Some(Key::ErrRequired));
        assert_eq!(ActivityKind::parse("E-mail"), Some(ActivityKind::Email));
    }
}
