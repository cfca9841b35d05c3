//! Internal notes on a customer: the thread, and the rule for a note's body.

use crate::error::AppError;
use serde::{Deserialize, Serialize};

/// Longest note.
pub const BODY_MAX: usize = 4_000;

/// A note body: required, at most [`BODY_MAX`] characters.
pub fn parse_note_body(raw: &str) -> Result<String, AppError> {
    crate::auth::model::required_text("body", raw, BODY_MAX)
        .map_err(|e| AppError::Validation(vec![e]))
}

/// One note of the thread on a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub id: i64,
    pub author: String,
    pub body: String,
    pub created_at: i64,
    /// Written with a tier decision: that proposal's id, direction and levels.
    pub proposal: Option<NoteContext>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteContext {
    pub proposal_id: i64,
    /// A promotion to key account (`true`) or a demotion; `None` for an unknown direction.
    pub promotion: Option<bool>,
    pub from_level: i64,
    pub to_level: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotesThread {
    pub notes: Vec<Note>,
    pub may_write: bool,
}
