//! Tier settings, the pure re-evaluation rule, and the types the pages show.

use crate::auth::model::Problems;
use crate::auth::permissions::{LEVEL_KEY, LEVEL_STANDARD};
use crate::auth::Role;
use crate::customers::model::Grade;
use crate::error::{AppError, FieldError};
use crate::i18n::Key;
use crate::ids::{CustomerId, TeamId, UserId};
use serde::{Deserialize, Serialize};

/// The `settings` key holding [`TierConfig`] as JSON.
pub const CONFIG_KEY: &str = "tiers.config";
/// The `settings` key holding the last re-evaluation ([`LastRun`]) as JSON.
pub const LAST_RUN_KEY: &str = "tiers.last_run";
/// Longest decision comment, and of the note written with a decision (a note like any
/// other).
pub const TEXT_MAX: usize = crate::notes::model::BODY_MAX;
/// Hand-over tasks are due this many days after the approval.
pub const HANDOVER_DUE_DAYS: i64 = 3;
/// Decided proposals shown under the queue.
pub const HISTORY_LEN: i64 = 50;
/// Pending proposals shown at once (the total is shown too).
pub const QUEUE_LEN: i64 = 200;

/// Thresholds and schedule of the re-evaluation, on the 0–100 value score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TierConfig {
    /// Promote to level 1 when value ≥ this.
    pub promote_at: i64,
    /// Demote to level 2 when value < this.
    pub demote_below: i64,
    /// Grade VIP when value ≥ this.
    pub vip_at: i64,
    /// Grade key when value ≥ this (and below `vip_at`); general otherwise.
    pub key_at: i64,
    /// Re-evaluate every this many days…
    pub schedule_days: i64,
    /// …at this hour (UTC).
    pub hour_utc: i64,
    pub enabled: bool,
}

impl Default for TierConfig {
    fn default() -> Self {
        TierConfig {
            promote_at: 75,
            demote_below: 40,
            vip_at: 85,
            key_at: 60,
            schedule_days: 7,
            hour_utc: 2,
            enabled: true,
        }
    }
}

/// The settings form, as the browser sends it. `enabled` is a checkbox ("on" or absent).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TierConfigInput {
    pub promote_at: String,
    pub demote_below: String,
    pub vip_at: String,
    pub key_at: String,
    pub schedule_days: String,
    pub hour_utc: String,
    pub enabled: String,
}

/// A whole number of this form within `min..=max`.
fn int_in(field: &str, raw: &str, min: i64, max: i64) -> Result<i64, FieldError> {
    crate::auth::model::int_in(field, raw, min, max, Key::TierErrOutOfRange)
}

impl TierConfig {
    pub fn to_input(&self) -> TierConfigInput {
        TierConfigInput {
            promote_at: self.promote_at.to_string(),
            demote_below: self.demote_below.to_string(),
            vip_at: self.vip_at.to_string(),
            key_at: self.key_at.to_string(),
            schedule_days: self.schedule_days.to_string(),
            hour_utc: self.hour_utc.to_string(),
            enabled: if self.enabled {
                "on".into()
            } else {
                String::new()
            },
        }
    }

    /// Validates the form: every threshold within 0–100, demote < promote, key < VIP,
    /// a schedule of 1–365 days at an hour 0–23.
    pub fn parse(input: &TierConfigInput) -> Result<TierConfig, AppError> {
        let mut p = Problems::default();
        let promote_at = p.check(int_in("promote_at", &input.promote_at, 0, 100));
        let demote_below = p.check(int_in("demote_below", &input.demote_below, 0, 100));
        let vip_at = p.check(int_in("vip_at", &input.vip_at, 0, 100));
        let key_at = p.check(int_in("key_at", &input.key_at, 0, 100));
        let schedule_days = p.check(int_in("schedule_days", &input.schedule_days, 1, 365));
        let hour_utc = p.check(int_in("hour_utc", &input.hour_utc, 0, 23));
        if let (Some(d), Some(pr)) = (demote_below, promote_at) {
            if d >= pr {
                p.check::<()>(Err(FieldError::new(
                    "demote_below",
                    Key::TierErrDemoteBelowPromote,
                )));
            }
        }
        if let (Some(k), Some(v)) = (key_at, vip_at) {
            if k >= v {
                p.check::<()>(Err(FieldError::new("key_at", Key::TierErrKeyBelowVip)));
            }
        }
        p.into_result()?;
        Ok(TierConfig {
            promote_at: promote_at.unwrap_or_default(),
            demote_below: demote_below.unwrap_or_default(),
            vip_at: vip_at.unwrap_or_default(),
            key_at: key_at.unwrap_or_default(),
            schedule_days: schedule_days.unwrap_or(7),
            hour_utc: hour_utc.unwrap_or_default(),
            enabled: matches!(input.enabled.trim(), "on" | "true" | "1"),
        })
    }

    /// The level the value calls for. Between the thresholds the level stays as it is, so
    /// a customer near one threshold does not flip back and forth.
    pub fn target_level(&self, current_level: i64, value: i64) -> i64 {
        if value >= self.promote_at {
            LEVEL_KEY
        } else if value < self.demote_below {
            LEVEL_STANDARD
        } else {
            current_level
        }
    }

    pub fn target_grade(&self, value: i64) -> Grade {
        if value >= self.vip_at {
            Grade::Vip
        } else if value >= self.key_at {
            Grade::Key
        } else {
            Grade::General
        }
    }

    /// When the next scheduled run is due: `schedule_days` after the day of the last run,
    /// at `hour_utc`; without a previous run, today at `hour_utc`.
    pub fn next_run_at(&self, last_run: Option<i64>, now: i64) -> i64 {
        let hour = self.hour_utc.clamp(0, 23) * 3_600;
        match last_run {
            Some(t) => (t.div_euclid(86_400) + self.schedule_days.max(1)) * 86_400 + hour,
            None => now.div_euclid(86_400) * 86_400 + hour,
        }
    }

    pub fn is_due(&self, last_run: Option<i64>, now: i64) -> bool {
        self.enabled && now >= self.next_run_at(last_run, now)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Direction {
    Promotion,
    Demotion,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Promotion => "promotion",
            Direction::Demotion => "demotion",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Direction::Promotion, Direction::Demotion]
            .into_iter()
            .find(|d| d.as_str() == s.trim())
    }
    pub fn label(self) -> Key {
        match self {
            Direction::Promotion => Key::TierPromotion,
            Direction::Demotion => Key::TierDemotion,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProposalStatus {
    Pending,
    Approved,
    Rejected,
    Superseded,
}

impl ProposalStatus {
    pub const ALL: [ProposalStatus; 4] = [
        ProposalStatus::Pending,
        ProposalStatus::Approved,
        ProposalStatus::Rejected,
        ProposalStatus::Superseded,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ProposalStatus::Pending => "pending",
            ProposalStatus::Approved => "approved",
            ProposalStatus::Rejected => "rejected",
            ProposalStatus::Superseded => "superseded",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        ProposalStatus::ALL
            .into_iter()
            .find(|x| x.as_str() == s.trim())
    }
    pub fn label(self) -> Key {
        match self {
            ProposalStatus::Pending => Key::TierStatusPending,
            ProposalStatus::Approved => Key::TierStatusApproved,
            ProposalStatus::Rejected => Key::TierStatusRejected,
            ProposalStatus::Superseded => Key::TierStatusSuperseded,
        }
    }
}

fn grade_rank(g: Grade) -> i64 {
    match g {
        Grade::Vip => 3,
        Grade::Key => 2,
        Grade::General => 1,
    }
}

/// What the re-evaluation would change for one customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProposedChange {
    pub direction: Direction,
    pub to_level: i64,
    pub to_grade: Grade,
}

/// The change the value calls for, or `None` when level and grade already fit. A level
/// change decides the direction; otherwise the grade does.
pub fn propose(
    current_level: i64,
    current_grade: Grade,
    value: i64,
    config: &TierConfig,
) -> Option<ProposedChange> {
    let to_level = config.target_level(current_level, value);
    let to_grade = config.target_grade(value);
    if to_level == current_level && to_grade == current_grade {
        return None;
    }
    let direction = if to_level != current_level {
        // Level 1 is the higher tier.
        if to_level < current_level {
            Direction::Promotion
        } else {
            Direction::Demotion
        }
    } else if grade_rank(to_grade) > grade_rank(current_grade) {
        Direction::Promotion
    } else {
        Direction::Demotion
    };
    Some(ProposedChange {
        direction,
        to_level,
        to_grade,
    })
}

/// A pending proposal as the re-evaluation sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingTarget {
    pub from_level: i64,
    pub from_grade: Grade,
    pub to_level: i64,
    pub to_grade: Grade,
}

/// A pending proposal is stale when the customer was changed since (by hand, or has
/// reached the target) or the value now calls for something else (or nothing).
pub fn is_stale(
    pending: &PendingTarget,
    current_level: i64,
    current_grade: Grade,
    fresh: Option<&ProposedChange>,
) -> bool {
    if (current_level, current_grade) != (pending.from_level, pending.from_grade) {
        return true;
    }
    match fresh {
        None => true,
        Some(f) => (f.to_level, f.to_grade) != (pending.to_level, pending.to_grade),
    }
}

/// What one re-evaluation did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunCounts {
    /// Customers with a value score.
    pub evaluated: i64,
    pub promotions: i64,
    pub demotions: i64,
    /// Pending proposals that no longer applied.
    pub superseded: i64,
    /// Customers whose pending proposal still applies.
    pub still_pending: i64,
}

/// The last re-evaluation, kept in `settings` for the scheduler and the page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastRun {
    pub at: i64,
    pub counts: RunCounts,
}

/// One proposal as the queue and the history list it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProposalView {
    pub id: i64,
    pub customer_id: CustomerId,
    pub customer_name: String,
    pub customer_team_id: Option<TeamId>,
    pub direction: Direction,
    pub from_level: i64,
    pub to_level: i64,
    pub from_grade: Grade,
    pub to_grade: Grade,
    pub value_score: i64,
    /// The figures behind the value score (a JSON object of numbers), in display order.
    pub figures: Vec<(String, String)>,
    pub status: ProposalStatus,
    pub created_at: i64,
    pub owner_id: UserId,
    pub owner_name: String,
    pub owner_role: Role,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub comment: Option<String>,
    pub new_owner: Option<String>,
    pub previous_owner: Option<String>,
    pub kept_as_service_manager: bool,
}

/// A manager who can be chosen as new owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerOption {
    pub id: UserId,
    pub name: String,
    pub role: Role,
    pub team_id: Option<TeamId>,
}

/// Whether `o` fits as the new owner of a customer going to `to_level` in `team`: a
/// tier-1 manager always; for a standard account also a tier-2 manager of the team.
pub fn owner_fits(o: &OwnerOption, to_level: i64, team: Option<TeamId>) -> bool {
    let candidate = crate::auth::permissions::Assignee {
        id: o.id,
        role: o.role,
        team_id: o.team_id,
        // Only active managers are offered.
        active: true,
    };
    crate::auth::permissions::may_take_over(&candidate, to_level, team)
}

/// The queue page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierQueue {
    pub pending: Vec<ProposalView>,
    pub total_pending: i64,
    pub history: Vec<ProposalView>,
    pub owners: Vec<OwnerOption>,
    /// Present for admins only: they see and change the settings.
    pub config: Option<TierConfig>,
    pub last_run: Option<LastRun>,
}

/// The approve form. `keep_previous` is a checkbox ("on" or absent).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApproveInput {
    pub proposal: String,
    pub new_owner: String,
    pub keep_previous: String,
    pub comment: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    pub proposal: i64,
    pub new_owner: UserId,
    pub keep_previous: bool,
    pub comment: Option<String>,
    pub note: Option<String>,
}

fn optional_text(field: &str, raw: &str) -> Result<Option<String>, FieldError> {
    let s = raw.trim();
    if s.chars().count() > TEXT_MAX {
        Err(FieldError::new(field, Key::ErrTooLong))
    } else if s.is_empty() {
        Ok(None)
    } else {
        Ok(Some(s.to_string()))
    }
}

impl Approval {
    pub fn parse(input: &ApproveInput) -> Result<Approval, AppError> {
        let mut p = Problems::default();
        let proposal = p.check(
            input
                .proposal
                .trim()
                .parse::<i64>()
                .map_err(|_| FieldError::new("proposal", Key::ErrInvalidChoice)),
        );
        let new_owner = p.check(match input.new_owner.trim() {
            "" => Err(FieldError::new("new_owner", Key::ErrRequired)),
            s => s
                .parse::<UserId>()
                .map_err(|_| FieldError::new("new_owner", Key::ErrInvalidChoice)),
        });
        let comment = p.check(optional_text("comment", &input.comment));
        let note = p.check(optional_text("note", &input.note));
        p.into_result()?;
        Ok(Approval {
            proposal: proposal.unwrap_or_default(),
            new_owner: new_owner.unwrap_or(UserId(0)),
            keep_previous: matches!(input.keep_previous.trim(), "on" | "true" | "1"),
            comment: comment.flatten(),
            note: note.flatten(),
        })
    }
}

/// A rejection needs a reason.
pub fn parse_reject_comment(raw: &str) -> Result<String, AppError> {
    crate::auth::model::required_text("comment", raw, TEXT_MAX)
        .map_err(|e| AppError::Validation(vec![e]))
}

/// One manager's row on the workload page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadRow {
    pub user_id: UserId,
    pub name: String,
    pub role: Option<Role>,
    pub team: Option<String>,
    /// Accounts owned: level 1, level 2.
    pub level1: i64,
    pub level2: i64,
    /// Accounts owned by grade: VIP, key, general.
    pub vip: i64,
    pub key: i64,
    pub general: i64,
    pub open_tasks: i64,
    pub overdue_tasks: i64,
    /// Activities they logged in the last 30 days.
    pub activities_30d: i64,
    /// Pending tier proposals of customers they own.
    pub pending_proposals: i64,
    /// Feedback answers from customers they own, with their NPS and CSAT (percent).
    pub feedback_responses: i64,
    pub nps: Option<i64>,
    pub csat: Option<i64>,
}

impl Default for WorkloadRow {
    fn default() -> Self {
        WorkloadRow {
            user_id: UserId(0),
            name: String::new(),
            role: None,
            team: None,
            level1: 0,
            level2: 0,
            vip: 0,
            key: 0,
            general: 0,
            open_tasks: 0,
            overdue_tasks: 0,
            activities_30d: 0,
            pending_proposals: 0,
            feedback_responses: 0,
            nps: None,
            csat: None,
        }
    }
}

/// Columns the workload page sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WorkloadSort {
    Name,
    Level1,
    Level2,
    Vip,
    Key,
    General,
    OpenTasks,
    Overdue,
    Activities,
    Pending,
}

impl WorkloadSort {
    pub const ALL: [WorkloadSort; 10] = [
        WorkloadSort::Name,
        WorkloadSort::Level1,
        WorkloadSort::Level2,
        WorkloadSort::Vip,
        WorkloadSort::Key,
        WorkloadSort::General,
        WorkloadSort::OpenTasks,
        WorkloadSort::Overdue,
        WorkloadSort::Activities,
        WorkloadSort::Pending,
    ];

    /// The column's name in the page address (`?sort=`).
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadSort::Name => "name",
            WorkloadSort::Level1 => "level1",
            WorkloadSort::Level2 => "level2",
            WorkloadSort::Vip => "vip",
            WorkloadSort::Key => "key",
            WorkloadSort::General => "general",
            WorkloadSort::OpenTasks => "open_tasks",
            WorkloadSort::Overdue => "overdue",
            WorkloadSort::Activities => "activities",
            WorkloadSort::Pending => "pending",
        }
    }

    /// The column an address names; by name when it names none.
    pub fn parse(s: &str) -> WorkloadSort {
        WorkloadSort::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .unwrap_or(WorkloadSort::Name)
    }

    /// Sorts by the column, numbers largest first, names alphabetically.
    pub fn apply(self, rows: &mut [WorkloadRow]) {
        if self == WorkloadSort::Name {
            rows.sort_by_key(|r| r.name.to_lowercase());
            return;
        }
        let key = |r: &WorkloadRow| match self {
            WorkloadSort::Name => 0,
            WorkloadSort::Level1 => r.level1,
            WorkloadSort::Level2 => r.level2,
            WorkloadSort::Vip => r.vip,
            WorkloadSort::Key => r.key,
            WorkloadSort::General => r.general,
            WorkloadSort::OpenTasks => r.open_tasks,
            WorkloadSort::Overdue => r.overdue_tasks,
            WorkloadSort::Activities => r.activities_30d,
            WorkloadSort::Pending => r.pending_proposals,
        };
        rows.sort_by(|a, b| key(b).cmp(&key(a)).then_with(|| a.name.cmp(&b.name)));
    }
}

/// The label of a figure key behind a value score, where the app has one.
pub fn figure_label(key: &str) -> Option<Key> {
    Some(match key {
        "r" | "r_score" => Key::TierFigureR,
        "f" | "f_score" => Key::TierFigureF,
        "m" | "m_score" => Key::TierFigureM,
        "recency_days" => Key::TierFigureRecencyDays,
        "frequency" => Key::TierFigureFrequency,
        "monetary_cents" | "monetary" => Key::TierFigureMonetary,
        "credit_rating" => Key::TierFigureCredit,
        "tenure_days" => Key::TierFigureTenureDays,
        _ => return None,
    })
}

/// The figures JSON as ordered key/value text pairs (objects only; other JSON shows nothing).
pub fn figures_pairs(json: &str) -> Vec<(String, String)> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(json) else {
        return Vec::new();
    };
    const ORDER: [&str; 8] = [
        "r",
        "f",
        "m",
        "recency_days",
        "frequency",
        "monetary_cents",
        "credit_rating",
        "tenure_days",
    ];
    let rank = |k: &str| ORDER.iter().position(|o| *o == k).unwrap_or(ORDER.len());
    let mut pairs: Vec<(String, serde_json::Value)> = map.into_iter().collect();
    pairs.sort_by(|a, b| rank(&a.0).cmp(&rank(&b.0)).then_with(|| a.0.cmp(&b.0)));
    pairs
        .into_iter()
        .map(|(k, v)| {
            let text = match (&k[..], &v) {
                ("monetary_cents", serde_json::Value::Number(n)) => n
                    .as_i64()
                    .map(crate::format::format_cents)
                    .unwrap_or_else(|| n.to_string()),
                (_, serde_json::Value::String(s)) => s.clone(),
                (_, serde_json::Value::Null) => "—".to_string(),
                _ => v.to_string(),
            };
            (k, text)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workload_columns_round_trip_through_the_address() {
        for c in WorkloadSort::ALL {
            assert_eq!(WorkloadSort::parse(c.as_str()), c);
        }
        assert_eq!(WorkloadSort::parse("nonsense"), WorkloadSort::Name);
    }

    fn cfg() -> TierConfig {
        TierConfig::default()
    }

    #[test]
    fn promotions_and_demotions_follow_thresholds() {
        let c = cfg();
        // Standard general account with a high value: promote, VIP.
        assert_eq!(
            propose(2, Grade::General, 90, &c),
            Some(ProposedChange {
                direction: Direction::Promotion,
                to_level: 1,
                to_grade: Grade::Vip
            })
        );
        // Exactly at the promotion threshold: key grade (75 ≥ 60, < 85).
        assert_eq!(
            propose(2, Grade::General, 75, &c).map(|p| (p.to_level, p.to_grade)),
            Some((1, Grade::Key))
        );
        // Key account with a low value: demote, general.
        assert_eq!(
            propose(1, Grade::Key, 39, &c),
            Some(ProposedChange {
                direction: Direction::Demotion,
                to_level: 2,
                to_grade: Grade::General
            })
        );
        // At the demotion threshold nothing moves the level.
        assert_eq!(propose(1, Grade::General, 40, &c), None);
        // Already where the value says.
        assert_eq!(propose(1, Grade::Vip, 95, &c), None);
        assert_eq!(propose(2, Grade::General, 10, &c), None);
    }

    #[test]
    fn between_thresholds_only_the_grade_moves() {
        let c = cfg();
        let up = propose(2, Grade::General, 65, &c).unwrap();
        assert_eq!(
            (up.direction, up.to_level, up.to_grade),
            (Direction::Promotion, 2, Grade::Key)
        );
        let down = propose(1, Grade::Vip, 62, &c).unwrap();
        assert_eq!(
            (down.direction, down.to_level, down.to_grade),
            (Direction::Demotion, 1, Grade::Key)
        );
    }

    #[test]
    fn stale_when_reached_moved_or_changed() {
        let c = cfg();
        let pending = PendingTarget {
            from_level: 2,
            from_grade: Grade::General,
            to_level: 1,
            to_grade: Grade::Vip,
        };
        let same = propose(2, Grade::General, 90, &c);
        assert!(!is_stale(&pending, 2, Grade::General, same.as_ref()));
        // The value fell back: nothing or something else is called for.
        assert!(is_stale(
            &pending,
            2,
            Grade::General,
            propose(2, Grade::General, 50, &c).as_ref()
        ));
        assert!(is_stale(
            &pending,
            2,
            Grade::General,
            propose(2, Grade::General, 76, &c).as_ref()
        ));
        // Changed by hand in the meantime.
        assert!(is_stale(&pending, 1, Grade::Vip, None));
        assert!(is_stale(&pending, 2, Grade::Key, same.as_ref()));
    }

    #[test]
    fn settings_are_validated() {
        let ok = TierConfig::parse(&cfg().to_input()).unwrap();
        assert_eq!(ok, cfg());
        let mut bad = cfg().to_input();
        bad.demote_below = "80".into();
        bad.key_at = "90".into();
        bad.hour_utc = "24".into();
        bad.schedule_days = "x".into();
        let e = TierConfig::parse(&bad).unwrap_err();
        assert_eq!(
            e.field_error("demote_below"),
            Some(Key::TierErrDemoteBelowPromote)
        );
        assert_eq!(e.field_error("key_at"), Some(Key::TierErrKeyBelowVip));
        assert_eq!(e.field_error("hour_utc"), Some(Key::TierErrOutOfRange));
        assert_eq!(e.field_error("schedule_days"), Some(Key::ErrInvalidNumber));
        let mut off = cfg().to_input();
        off.enabled = String::new();
        off.promote_at = "101".into();
        assert_eq!(
            TierConfig::parse(&off)
                .unwrap_err()
                .field_error("promote_at"),
            Some(Key::TierErrOutOfRange)
        );
        off.promote_at = "75".into();
        assert!(!TierConfig::parse(&off).unwrap().enabled);
    }

    #[test]
    fn schedule_runs_every_n_days_at_the_hour() {
        let c = cfg();
        let day = 20_000 * 86_400;
        // Never ran: due from today 02:00 on.
        assert!(!c.is_due(None, day + 3_600));
        assert!(c.is_due(None, day + 2 * 3_600));
        // Ran on day 20 000 (any hour): next on day 20 007 at 02:00.
        assert_eq!(
            c.next_run_at(Some(day + 15 * 3_600), day),
            day + 7 * 86_400 + 7_200
        );
        assert!(!c.is_due(Some(day + 7_200), day + 6 * 86_400 + 23 * 3_600));
        assert!(c.is_due(Some(day + 7_200), day + 7 * 86_400 + 7_200));
        let off = TierConfig {
            enabled: false,
            ..c
        };
        assert!(!off.is_due(None, day + 86_399));
    }

    #[test]
    fn owners_fit_the_target_level() {
        let t1 = OwnerOption {
            id: UserId(1),
            name: "a".into(),
            role: Role::Tier1Manager,
            team_id: Some(TeamId(2)),
        };
        let t2 = OwnerOption {
            id: UserId(2),
            name: "b".into(),
            role: Role::Tier2Manager,
            team_id: Some(TeamId(1)),
        };
        assert!(owner_fits(&t1, 1, Some(TeamId(1))));
        assert!(!owner_fits(&t2, 1, Some(TeamId(1))));
        assert!(owner_fits(&t2, 2, Some(TeamId(1))));
        assert!(!owner_fits(&t2, 2, Some(TeamId(3))));
    }

    #[test]
    fn approvals_and_rejections_parse() {
        let a = Approval::parse(&ApproveInput {
            proposal: "4".into(),
            new_owner: "9".into(),
            keep_previous: "on".into(),
            comment: "  ".into(),
            note: " Call them Monday ".into(),
        })
        .unwrap();
        assert_eq!(a.new_owner, UserId(9));
        assert!(a.keep_previous);
        assert_eq!(a.comment, None);
        assert_eq!(a.note.as_deref(), Some("Call them Monday"));
        let e = Approval::parse(&ApproveInput {
            proposal: "4".into(),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(e.field_error("new_owner"), Some(Key::ErrRequired));
        assert_eq!(
            parse_reject_comment(" ")
                .unwrap_err()
                .field_error("comment"),
            Some(Key::ErrRequired)
        );
    }

    #[test]
    fn figures_read_as_pairs_and_workload_sorts() {
        let pairs = figures_pairs(r#"{"r":5,"f":4,"monetary_cents":123456}"#);
        assert_eq!(pairs[0], ("r".to_string(), "5".to_string()));
        assert_eq!(pairs[2].1, crate::format::format_cents(123456));
        assert!(figures_pairs("[1]").is_empty());
        let mut rows = vec![
            WorkloadRow {
                name: "b".into(),
                overdue_tasks: 1,
                ..Default::default()
            },
            WorkloadRow {
                name: "a".into(),
                overdue_tasks: 3,
                ..Default::default()
            },
        ];
        WorkloadSort::Overdue.apply(&mut rows);
        assert_eq!(rows[0].name, "a");
        WorkloadSort::Name.apply(&mut rows);
        assert_eq!(rows[0].name, "a");
    }
}
