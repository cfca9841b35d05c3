//! The one place that answers "may this user do X to this record". Services call these
//! functions before every read and write; the list queries use [`customer_visibility`]
//! so a list can never show what a read would refuse.

use crate::auth::{CurrentUser, Role};
use crate::error::{AppError, FieldError};
use crate::i18n::Key;
use crate::ids::{TeamId, UserId};

/// Customer levels of the two-level model.
pub const LEVEL_KEY: i64 = 1;
pub const LEVEL_STANDARD: i64 = 2;

/// The facts about a customer that decide who may see and change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomerScope {
    pub level: i64,
    pub owner_id: UserId,
    pub service_manager_id: Option<UserId>,
    pub team_id: Option<TeamId>,
}

/// A staff member who could be assigned as owner or service manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assignee {
    pub id: UserId,
    pub role: Role,
    pub team_id: Option<TeamId>,
    pub active: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerAction {
    Read,
    Update,
    /// Change level or grade: a tier decision, not day-to-day service.
    ChangeTier,
    Reassign,
    Delete,
}

fn same_team(user: &CurrentUser, team: Option<TeamId>) -> bool {
    user.team_id.is_some() && user.team_id == team
}

/// Whether the user may see this customer at all.
pub fn may_see_customer(user: &CurrentUser, c: &CustomerScope) -> bool {
    match user.role {
        Role::Admin => true,
        Role::Tier1Manager => c.owner_id == user.id || same_team(user, c.team_id),
        Role::Tier2Manager => c.owner_id == user.id || c.service_manager_id == Some(user.id),
        // Support agents reach customers only through complaints assigned to them;
        // viewers see aggregates only.
        Role::SupportAgent | Role::Viewer => false,
    }
}

/// Whether the user may perform `action` on this customer.
pub fn may(user: &CurrentUser, action: CustomerAction, c: &CustomerScope) -> bool {
    if !may_see_customer(user, c) {
        return false;
    }
    matches!(
        (user.role, action),
        (Role::Admin | Role::Tier1Manager, _)
            | (
                Role::Tier2Manager,
                CustomerAction::Read | CustomerAction::Update
            )
    )
}

/// Whether the customer list (names, e-mails, phones) is open to this role.
pub fn may_list_customers(user: &CurrentUser) -> bool {
    matches!(
        user.role,
        Role::Admin | Role::Tier1Manager | Role::Tier2Manager
    )
}

pub fn may_create_customers(user: &CurrentUser) -> bool {
    may_list_customers(user)
}

/// CSV import creates and updates customers (and their orders, contacts, activities):
/// open to the roles that may create customers; each row is still checked on its own.
pub fn may_import(user: &CurrentUser) -> bool {
    may_create_customers(user)
}

/// Whether a new customer may start with a level or grade other than the defaults
/// (standard account, general grade): a tier decision, like changing them later.
pub fn may_set_tier_on_create(user: &CurrentUser) -> bool {
    matches!(user.role, Role::Admin | Role::Tier1Manager)
}

/// Tier-2 managers never see credit rating, contracts or payments of level-1 accounts.
pub fn may_see_financials(user: &CurrentUser, c: &CustomerScope) -> bool {
    may_see_customer(user, c) && !(user.role == Role::Tier2Manager && c.level == LEVEL_KEY)
}

pub fn may_manage_users(user: &CurrentUser) -> bool {
    user.role == Role::Admin
}

pub fn may_read_audit_log(user: &CurrentUser) -> bool {
    user.role == Role::Admin
}

/// Aggregate dashboards: every signed-in role.
pub fn may_see_dashboard(_user: &CurrentUser) -> bool {
    true
}

/// Custom field definitions are organisation-wide: the admin's.
pub fn may_manage_custom_fields(user: &CurrentUser) -> bool {
    user.role == Role::Admin
}

/// Who owns a saved list view and whether it is shared with the owner's team.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewScope {
    pub owner_id: UserId,
    pub team_id: Option<TeamId>,
    pub shared: bool,
}

/// One's own views, and the shared views of one's team. A view only stores a query: what
/// it lists is still filtered by [`customer_visibility`].
pub fn may_see_view(user: &CurrentUser, v: &ViewScope) -> bool {
    v.owner_id == user.id || (v.shared && same_team(user, v.team_id))
}

/// Only the owner deletes a view.
pub fn may_delete_view(user: &CurrentUser, v: &ViewScope) -> bool {
    v.owner_id == user.id
}

/// Who owns a saved segment and whether it is shared with the owner's team.
pub type SegmentScope = ViewScope;

/// Segments follow the rule of saved views: one's own, and those shared with one's team.
/// Counts and member lists are still filtered by [`customer_visibility`].
pub fn may_see_segment(user: &CurrentUser, s: &SegmentScope) -> bool {
    may_list_customers(user) && may_see_view(user, s)
}

/// Only the owner edits or deletes a segment.
pub fn may_delete_segment(user: &CurrentUser, s: &SegmentScope) -> bool {
    may_list_customers(user) && may_delete_view(user, s)
}

/// Merging changes the survivor and deletes the other: both rights are needed.
pub fn may_merge(user: &CurrentUser, survivor: &CustomerScope, other: &CustomerScope) -> bool {
    may(user, CustomerAction::Update, survivor) && may(user, CustomerAction::Delete, other)
}

/// Whether `actor` may make `candidate` the owner or service manager of a customer.
/// Admins assign anyone; tier-1 managers assign within their own team (or themselves);
/// tier-2 managers only ever themselves, when they create a standard account.
pub fn may_assign_to(actor: &CurrentUser, candidate: &Assignee) -> bool {
    match actor.role {
        Role::Admin => true,
        Role::Tier1Manager => {
            candidate.id == actor.id
                || (actor.team_id.is_some() && candidate.team_id == actor.team_id)
        }
        Role::Tier2Manager => candidate.id == actor.id,
        _ => false,
    }
}

/// Who may become the owner of an account handed over at `level` (a tier decision): the
/// two-level rule of [`check_assignment`], and a tier-2 manager only within the account's
/// own team.
pub fn may_take_over(candidate: &Assignee, level: i64, customer_team: Option<TeamId>) -> bool {
    check_assignment(level, candidate, None).is_ok()
        && (candidate.role != Role::Tier2Manager
            || (customer_team.is_some() && candidate.team_id == customer_team))
}

/// The two-level rules for who may hold a customer: a key (level-1) account is owned by
/// a tier-1 manager; a standard account by any account manager; the service manager, if
/// any, is a tier-2 manager. Only active staff can be assigned.
pub fn check_assignment(
    level: i64,
    owner: &Assignee,
    service_manager: Option<&Assignee>,
) -> Result<(), AppError> {
    let mut errors = Vec::new();
    let owner_ok = owner.active
        && match level {
            LEVEL_KEY => owner.role == Role::Tier1Manager,
            _ => owner.role.is_manager(),
        };
    if !owner_ok {
        errors.push(FieldError::new(
            "owner_id",
            if level == LEVEL_KEY {
                Key::ErrOwnerMustBeTier1
            } else {
                Key::ErrOwnerMustBeManager
            },
        ));
    }
    if let Some(sm) = service_manager {
        if !(sm.active && sm.role == Role::Tier2Manager) || sm.id == owner.id {
            errors.push(FieldError::new(
                "service_manager_id",
                Key::ErrServiceManagerMustBeTier2,
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

/// Day-to-day work on a customer: logging activities and orders, creating follow-ups.
/// Everyone who may edit the customer may do it.
pub fn may_log_work(user: &CurrentUser, c: &CustomerScope) -> bool {
    may(user, CustomerAction::Update, c)
}

/// Recording payments and contracts: day-to-day work on the financial records one may see.
pub fn may_edit_financials(user: &CurrentUser, c: &CustomerScope) -> bool {
    may_see_financials(user, c) && may(user, CustomerAction::Update, c)
}

/// Overriding the derived credit rating is a tier decision (admins and tier-1 managers).
pub fn may_override_credit(user: &CurrentUser, c: &CustomerScope) -> bool {
    may_see_financials(user, c) && may(user, CustomerAction::ChangeTier, c)
}

/// A follow-up task may go to any active staff member who can see its customer (or to
/// anyone active for a task without customer); only managers and admins hand work to
/// others, everyone may assign themselves.
pub fn may_assign_task(
    actor: &CurrentUser,
    assignee: &Assignee,
    customer: Option<&CustomerScope>,
) -> bool {
    let as_viewer = CurrentUser {
        id: assignee.id,
        email: String::new(),
        name: String::new(),
        role: assignee.role,
        team_id: assignee.team_id,
        language: Default::default(),
    };
    let reaches_customer = customer.is_none_or(|c| may_see_customer(&as_viewer, c));
    let hands_out = assignee.id == actor.id
        || matches!(
            actor.role,
            Role::Admin | Role::Tier1Manager | Role::Tier2Manager
        );
    assignee.active && reaches_customer && hands_out
}

/// Creating tasks: everyone but viewers, who only read.
pub fn may_create_tasks(user: &CurrentUser) -> bool {
    user.role != Role::Viewer
}

/// Completing, reopening or rescheduling a task: its assignee or creator, or whoever may
/// edit its customer; never a viewer.
pub fn may_change_task(
    user: &CurrentUser,
    assignee: UserId,
    created_by: Option<UserId>,
    customer: Option<&CustomerScope>,
) -> bool {
    if user.role == Role::Viewer {
        return false;
    }
    assignee == user.id
        || created_by == Some(user.id)
        || customer.is_some_and(|c| may(user, CustomerAction::Update, c))
        || user.role == Role::Admin
}

/// Opening the tier-change queue: admins and tier-1 managers (who see only what they may decide).
pub fn may_open_tier_queue(user: &CurrentUser) -> bool {
    matches!(user.role, Role::Admin | Role::Tier1Manager)
}

/// Deciding a tier proposal (and so handing the account over): admins, and the tier-1
/// manager who owns the customer or leads its team.
pub fn may_decide_tier_change(user: &CurrentUser, c: &CustomerScope) -> bool {
    match user.role {
        Role::Admin => true,
        Role::Tier1Manager => c.owner_id == user.id || same_team(user, c.team_id),
        _ => false,
    }
}

/// Thresholds and schedule of the tier re-evaluation, and running it on demand.
pub fn may_configure_tiers(user: &CurrentUser) -> bool {
    user.role == Role::Admin
}

/// Writing an internal note on a customer: whoever may see it and work on it.
pub fn may_write_note(user: &CurrentUser, c: &CustomerScope) -> bool {
    may_log_work(user, c)
}

/// Which managers' workload the user may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkloadScope {
    All,
    /// Oneself and the managers of this team.
    Team(Option<TeamId>),
    OnlySelf,
}

/// The workload page: admins see every manager, tier-1 managers their team, tier-2
/// managers themselves; other roles none (`None`).
pub fn workload_scope(user: &CurrentUser) -> Option<WorkloadScope> {
    match user.role {
        Role::Admin => Some(WorkloadScope::All),
        Role::Tier1Manager => Some(WorkloadScope::Team(user.team_id)),
        Role::Tier2Manager => Some(WorkloadScope::OnlySelf),
        Role::SupportAgent | Role::Viewer => None,
    }
}

/// RFM scores, the grid and its exports: the account managers and admins (the grid counts
/// only customers the user may see). Support agents and viewers do not.
pub fn may_see_rfm(user: &CurrentUser) -> bool {
    matches!(
        user.role,
        Role::Admin | Role::Tier1Manager | Role::Tier2Manager
    )
}

/// Asking for a fresh RFM computation ("Recompute now"): admins and tier-1 managers.
pub fn may_recompute_rfm(user: &CurrentUser) -> bool {
    matches!(user.role, Role::Admin | Role::Tier1Manager)
}

/// The funnel page: the account managers and admins, counting only the customers they may
/// see. Its filters name owners and segments, so it is not an anonymous aggregate like the
/// dashboard: support agents and viewers do not get it.
pub fn may_see_funnel(user: &CurrentUser) -> bool {
    may_list_customers(user)
}

/// The lifecycle page, stage counts, flows and the lifecycle export: account managers and
/// admins (every count includes only customers the user may see), like RFM.
pub fn may_see_lifecycle(user: &CurrentUser) -> bool {
    matches!(
        user.role,
        Role::Admin | Role::Tier1Manager | Role::Tier2Manager
    )
}

/// Setting the lifecycle thresholds (which rebuilds every customer's stage history).
pub fn may_configure_lifecycle(user: &CurrentUser) -> bool {
    user.role == Role::Admin
}

/// The at-risk list and churn warnings: account managers and admins (the list holds only
/// customers the user may see).
pub fn may_see_at_risk(user: &CurrentUser) -> bool {
    matches!(
        user.role,
        Role::Admin | Role::Tier1Manager | Role::Tier2Manager
    )
}

/// Starting the churn scan by hand ("Run now"): admins and tier-1 managers.
pub fn may_run_churn_scan(user: &CurrentUser) -> bool {
    matches!(user.role, Role::Admin | Role::Tier1Manager)
}

/// Thresholds, weights and schedule of the churn warning: admins.
pub fn may_configure_churn(user: &CurrentUser) -> bool {
    user.role == Role::Admin
}

/// Building, editing, opening and closing feedback forms: admins.
pub fn may_manage_forms(user: &CurrentUser) -> bool {
    user.role == Role::Admin
}

/// Feedback figures (NPS, CSAT, distributions): every role but support agents, who work
/// on complaints. Managers' figures cover the customers they may see.
pub fn may_see_feedback(user: &CurrentUser) -> bool {
    user.role != Role::SupportAgent
}

/// Free-text answers and who gave them: not viewers, who see aggregates only.
pub fn may_read_feedback_comments(user: &CurrentUser) -> bool {
    matches!(
        user.role,
        Role::Admin | Role::Tier1Manager | Role::Tier2Manager
    )
}

/// Personal links tie an answer to a customer; the sender must see that customer.
pub fn may_send_feedback_links(user: &CurrentUser) -> bool {
    matches!(
        user.role,
        Role::Admin | Role::Tier1Manager | Role::Tier2Manager
    )
}

/// The complaints list: everyone but viewers.
pub fn may_see_complaints(user: &CurrentUser) -> bool {
    user.role != Role::Viewer
}

/// Opening a complaint by hand: admins, managers and support agents.
pub fn may_open_complaint(user: &CurrentUser) -> bool {
    user.role != Role::Viewer
}

/// Whether `user` may see one complaint: admins all; its assignee; managers those of
/// customers they may see. Support agents see only complaints assigned to them.
pub fn may_see_complaint(
    user: &CurrentUser,
    assignee: Option<UserId>,
    customer: Option<&CustomerScope>,
) -> bool {
    match user.role {
        Role::Admin => true,
        Role::Viewer => false,
        Role::SupportAgent => assignee == Some(user.id),
        Role::Tier1Manager | Role::Tier2Manager => {
            assignee == Some(user.id) || customer.is_some_and(|c| may_see_customer(user, c))
        }
    }
}

/// Working a complaint (status, category, severity, assignee) is open to whoever may see it.
pub fn may_change_complaint(
    user: &CurrentUser,
    assignee: Option<UserId>,
    customer: Option<&CustomerScope>,
) -> bool {
    may_see_complaint(user, assignee, customer)
}

/// Appends the complaint visibility of `user` (aliases: `k` complaints, `c` customers,
/// left-joined). Mirrors [`may_see_complaint`].
#[cfg(feature = "ssr")]
pub fn complaint_visibility(user: &CurrentUser, q: &mut crate::db::SqlBuilder) {
    use crate::db::SqlValue;
    match user.role {
        Role::Admin => {}
        Role::Viewer => {
            q.push(" AND 1 = 0");
        }
        Role::SupportAgent => {
            q.push(" AND k.assignee_id = ")
                .bind(SqlValue::Int(user.id.0));
        }
        Role::Tier1Manager | Role::Tier2Manager => {
            q.push(" AND (k.assignee_id = ")
                .bind(SqlValue::Int(user.id.0))
                .push(" OR (c.id IS NOT NULL");
            customer_visibility(user, q);
            q.push("))");
        }
    }
}

/// Appends the visibility condition of `user` to a customer query (`c` is the customers
/// alias). Mirrors [`may_see_customer`]; the integration tests hold the two together.
#[cfg(feature = "ssr")]
pub fn customer_visibility(user: &CurrentUser, q: &mut crate::db::SqlBuilder) {
    use crate::db::SqlValue;
    match user.role {
        Role::Admin => {}
        Role::Tier1Manager => {
            q.push(" AND (c.owner_id = ").bind(SqlValue::Int(user.id.0));
            if let Some(team) = user.team_id {
                q.push(" OR c.team_id = ").bind(SqlValue::Int(team.0));
            }
            q.push(")");
        }
        Role::Tier2Manager => {
            q.push(" AND (c.owner_id = ")
                .bind(SqlValue::Int(user.id.0))
                .push(" OR c.service_manager_id = ")
                .bind(SqlValue::Int(user.id.0))
                .push(")");
        }
        Role::SupportAgent | Role::Viewer => {
            q.push(" AND 1 = 0");
        }
    }
}

/// The SQL condition of [`may_see_financials`] beyond [`customer_visibility`]: a filter
/// or sort on payments, contracts or credit keeps to the customers whose financial records
/// the user may see, so what it selects tells nothing about the others.
#[cfg(feature = "ssr")]
pub fn financial_visibility(user: &CurrentUser, q: &mut crate::db::SqlBuilder) {
    use crate::db::SqlValue;
    if user.role == Role::Tier2Manager {
        q.push(" AND c.level <> ").bind(SqlValue::Int(LEVEL_KEY));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn user(id: i64, role: Role, team: Option<i64>) -> CurrentUser {
        CurrentUser {
            id: UserId(id),
            email: format!("u{id}@example.com"),
            name: format!("User {id}"),
            role,
            team_id: team.map(TeamId),
            language: Lang::En,
        }
    }

    fn scope(level: i64, owner: i64, service: Option<i64>, team: Option<i64>) -> CustomerScope {
        CustomerScope {
            level,
            owner_id: UserId(owner),
            service_manager_id: service.map(UserId),
            team_id: team.map(TeamId),
        }
    }

    #[test]
    fn tier2_sees_only_owned_or_served() {
        let t2 = user(5, Role::Tier2Manager, Some(1));
        assert!(may_see_customer(&t2, &scope(2, 5, None, Some(1))));
        assert!(may_see_customer(&t2, &scope(1, 2, Some(5), Some(1))));
        assert!(!may_see_customer(&t2, &scope(2, 6, None, Some(1))));
        assert!(may(
            &t2,
            CustomerAction::Update,
            &scope(2, 5, None, Some(1))
        ));
        assert!(!may(
            &t2,
            CustomerAction::Reassign,
            &scope(2, 5, None, Some(1))
        ));
        assert!(!may(
            &t2,
            CustomerAction::Delete,
            &scope(2, 5, None, Some(1))
        ));
        assert!(!may(
            &t2,
            CustomerAction::ChangeTier,
            &scope(2, 5, None, Some(1))
        ));
    }

    #[test]
    fn tier1_sees_own_and_team() {
        let t1 = user(2, Role::Tier1Manager, Some(1));
        assert!(may_see_customer(&t1, &scope(1, 2, None, Some(9))));
        assert!(may_see_customer(&t1, &scope(2, 7, None, Some(1))));
        assert!(!may_see_customer(&t1, &scope(2, 7, None, Some(3))));
        let lone = user(3, Role::Tier1Manager, None);
        assert!(!may_see_customer(&lone, &scope(2, 7, None, None)));
    }

    #[test]
    fn support_and_viewer_see_no_customers() {
        for role in [Role::SupportAgent, Role::Viewer] {
            let u = user(9, role, Some(1));
            assert!(!may_see_customer(&u, &scope(2, 9, None, Some(1))));
            assert!(!may_list_customers(&u));
        }
    }

    #[test]
    fn financials_hidden_from_tier2_on_key_accounts() {
        let t2 = user(5, Role::Tier2Manager, Some(1));
        assert!(!may_see_financials(&t2, &scope(1, 2, Some(5), Some(1))));
        assert!(may_see_financials(&t2, &scope(2, 5, None, Some(1))));
    }

    #[test]
    fn assignment_follows_two_levels() {
        let t1 = Assignee {
            id: UserId(2),
            role: Role::Tier1Manager,
            team_id: Some(TeamId(1)),
            active: true,
        };
        let t2 = Assignee {
            id: UserId(5),
            role: Role::Tier2Manager,
            team_id: Some(TeamId(1)),
            active: true,
        };
        let gone = Assignee {
            active: false,
            ..t2
        };
        assert!(check_assignment(LEVEL_KEY, &t1, Some(&t2)).is_ok());
        assert!(check_assignment(LEVEL_KEY, &t2, None).is_err());
        assert!(check_assignment(LEVEL_STANDARD, &t2, None).is_ok());
        assert!(check_assignment(LEVEL_STANDARD, &gone, None).is_err());
        assert!(check_assignment(LEVEL_KEY, &t1, Some(&t1)).is_err());
    }

    #[test]
    fn views_are_private_or_team_shared() {
        let owner = user(2, Role::Tier1Manager, Some(1));
        let mate = user(3, Role::Tier2Manager, Some(1));
        let stranger = user(4, Role::Tier1Manager, Some(2));
        let private = ViewScope {
            owner_id: owner.id,
            team_id: Some(TeamId(1)),
            shared: false,
        };
        let shared = ViewScope {
            shared: true,
            ..private
        };
        assert!(may_see_view(&owner, &private));
        assert!(!may_see_view(&mate, &private));
        assert!(may_see_view(&mate, &shared));
        assert!(!may_see_view(&stranger, &shared));
        assert!(may_delete_view(&owner, &shared));
        assert!(!may_delete_view(&mate, &shared));
    }

    #[test]
    fn merge_needs_update_and_delete() {
        let t1 = user(2, Role::Tier1Manager, Some(1));
        let t2 = user(5, Role::Tier2Manager, Some(1));
        let a = scope(2, 5, None, Some(1));
        let b = scope(2, 5, None, Some(1));
        assert!(may_merge(&t1, &a, &b));
        assert!(!may_merge(&t2, &a, &b));
    }

    #[test]
    fn rfm_is_for_managers_and_recompute_for_tier1_and_admins() {
        for (role, see, recompute) in [
            (Role::Admin, true, true),
            (Role::Tier1Manager, true, true),
            (Role::Tier2Manager, true, false),
            (Role::SupportAgent, false, false),
            (Role::Viewer, false, false),
        ] {
            let u = user(9, role, Some(1));
            assert_eq!(may_see_rfm(&u), see, "{role:?} sees RFM");
            assert_eq!(may_recompute_rfm(&u), recompute, "{role:?} recomputes RFM");
        }
    }

    #[test]
    fn the_funnel_is_for_managers_and_admins() {
        for (role, see) in [
            (Role::Admin, true),
            (Role::Tier1Manager, true),
            (Role::Tier2Manager, true),
            (Role::SupportAgent, false),
            (Role::Viewer, false),
        ] {
            assert_eq!(may_see_funnel(&user(9, role, Some(1))), see, "{role:?}");
        }
    }

    #[test]
    fn tier1_assigns_within_team_only() {
        let actor = user(2, Role::Tier1Manager, Some(1));
        let mate = Assignee {
            id: UserId(5),
            role: Role::Tier2Manager,
            team_id: Some(TeamId(1)),
            active: true,
        };
        let other = Assignee {
            team_id: Some(TeamId(2)),
            ..mate
        };
        assert!(may_assign_to(&actor, &mate));
        assert!(!may_assign_to(&actor, &other));
    }

    #[test]
    fn tier_decisions_belong_to_admins_and_the_team_lead() {
        let admin = user(1, Role::Admin, None);
        let t1 = user(2, Role::Tier1Manager, Some(1));
        let other_t1 = user(3, Role::Tier1Manager, Some(2));
        let t2 = user(5, Role::Tier2Manager, Some(1));
        let c = scope(2, 5, None, Some(1));
        assert!(may_decide_tier_change(&admin, &c));
        assert!(may_decide_tier_change(&t1, &c));
        assert!(!may_decide_tier_change(&other_t1, &c));
        assert!(may_decide_tier_change(
            &other_t1,
            &scope(2, 3, None, Some(1))
        ));
        assert!(!may_decide_tier_change(&t2, &c));
        assert!(may_open_tier_queue(&t1) && !may_open_tier_queue(&t2));
        assert!(may_configure_tiers(&admin) && !may_configure_tiers(&t1));
    }

    #[test]
    fn notes_follow_work_rights_and_workload_scopes() {
        let t2 = user(5, Role::Tier2Manager, Some(1));
        let mate = user(6, Role::Tier2Manager, Some(1));
        let c = scope(2, 5, None, Some(1));
        assert!(may_write_note(&t2, &c));
        assert!(!may_write_note(&mate, &c));
        assert!(!may_write_note(&user(9, Role::Viewer, Some(1)), &c));
        assert!(may_write_note(&user(2, Role::Tier1Manager, Some(1)), &c));
        assert_eq!(workload_scope(&t2), Some(WorkloadScope::OnlySelf));
        assert_eq!(
            workload_scope(&user(2, Role::Tier1Manager, Some(1))),
            Some(WorkloadScope::Team(Some(TeamId(1))))
        );
        assert_eq!(workload_scope(&user(9, Role::SupportAgent, None)), None);
    }

    #[test]
    fn who_may_take_over_a_handed_over_account() {
        let a = |role: Role, team: Option<i64>| Assignee {
            id: UserId(9),
            role,
            team_id: team.map(TeamId),
            active: true,
        };
        let team = Some(TeamId(1));
        assert!(may_take_over(
            &a(Role::Tier1Manager, Some(2)),
            LEVEL_KEY,
            team
        ));
        assert!(!may_take_over(
            &a(Role::Tier2Manager, Some(1)),
            LEVEL_KEY,
            team
        ));
        assert!(may_take_over(
            &a(Role::Tier2Manager, Some(1)),
            LEVEL_STANDARD,
            team
        ));
        assert!(!may_take_over(
            &a(Role::Tier2Manager, Some(2)),
            LEVEL_STANDARD,
            team
        ));
        assert!(!may_take_over(
            &a(Role::Tier2Manager, None),
            LEVEL_STANDARD,
            None
        ));
        assert!(!may_take_over(
            &a(Role::SupportAgent, Some(1)),
            LEVEL_STANDARD,
            team
        ));
        let mut inactive = a(Role::Tier1Manager, Some(1));
        inactive.active = false;
        assert!(!may_take_over(&inactive, LEVEL_KEY, team));
    }

    #[test]
    fn lifecycle_seen_by_managers_configured_by_admins() {
        let admin = user(1, Role::Admin, None);
        let t1 = user(2, Role::Tier1Manager, Some(1));
        let t2 = user(3, Role::Tier2Manager, Some(1));
        let agent = user(4, Role::SupportAgent, None);
        let viewer = user(5, Role::Viewer, None);
        for u in [&admin, &t1, &t2] {
            assert!(may_see_lifecycle(u));
        }
        assert!(!may_see_lifecycle(&agent));
        assert!(!may_see_lifecycle(&viewer));
        assert!(may_configure_lifecycle(&admin));
        for u in [&t1, &t2, &agent, &viewer] {
            assert!(!may_configure_lifecycle(u));
        }
    }

    #[test]
    fn churn_list_for_managers_scan_for_tier1_and_admins_settings_for_admins() {
        for (role, see, run, configure) in [
            (Role::Admin, true, true, true),
            (Role::Tier1Manager, true, true, false),
            (Role::Tier2Manager, true, false, false),
            (Role::SupportAgent, false, false, false),
            (Role::Viewer, false, false, false),
        ] {
            let u = user(1, role, Some(1));
            assert_eq!(may_see_at_risk(&u), see, "{role:?} sees the at-risk list");
            assert_eq!(may_run_churn_scan(&u), run, "{role:?} runs the churn scan");
            assert_eq!(
                may_configure_churn(&u),
                configure,
                "{role:?} configures churn"
            );
        }
    }
}
