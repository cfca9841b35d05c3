use serde::{Deserialize, Serialize};

/// Counts only: no names, e-mails or phone numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub customers: i64,
    pub key_accounts: i64,
    pub standard_accounts: i64,
    /// (grade, count) for vip, key, general.
    pub by_grade: Vec<(String, i64)>,
    /// Whether the figures cover only the viewer's own customers.
    pub scoped: bool,
}
