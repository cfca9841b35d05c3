//! Tier settings, re-evaluation, decisions (approval = hand-over) and workload.
//! Every entry point takes the acting user and asks the permission module first.

use crate::audit::service::{record, Change};
use crate::auth::permissions::{
    check_assignment, customer_visibility, may_assign_to, may_configure_tiers,
    may_decide_tier_change, may_open_tier_queue, Assignee,
};
use crate::auth::{CurrentUser, Role};
use crate::customers::model::Grade;
use crate::db::{insert_rows, now, Db, DbRow, Row, SqlBuilder, SqlValue};
use crate::error::{AppError, AppResult};
use crate::i18n::Key;
use crate::ids::{CustomerId, TeamId, UserId};
use crate::tasks::model::TaskSource;
use crate::tiers::model::*;
use sqlx::AnyConnection;
use std::collections::HashMap;

// ---------------------------------------------------------------------------------------
// The value score
// ---------------------------------------------------------------------------------------

/// Value score (0–100) and the figures behind it, per customer id.
pub type Values = HashMap<i64, (i64, serde_json::Value)>;

/// The one place the re-evaluation gets customer values from (its only caller is
/// [`run_reevaluation`]): the value score of `rfm/value.rs` — RFM of the current run,
/// credit rating and tenure — with the figures behind it.
pub async fn current_values(db: &Db) -> AppResult<Values> {
    // Before the first RFM run there is nothing to judge by.
    if crate::rfm::runs::current_run(db).await?.is_none() {
        return Ok(Values::new());
    }
    let scores = crate::rfm::service::value_scores(db, None).await?;
    let mut out = Values::with_capacity(scores.len());
    for (customer, v) in scores {
        let figures = serde_json::json!({
            "r": v.r_score,
            "f": v.f_score,
            "m": v.m_score,
            "recency_days": v.recency_days,
            "frequency": v.frequency,
            "monetary_cents": v.monetary_cents,
            "credit_rating": v.credit_rating,
            "tenure_days": v.tenure_days,
        });
        out.insert(customer.0, (v.value_score, figures));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------

/// The stored settings, or the defaults (also when the stored JSON no longer parses).
pub async fn config(db: &Db) -> AppResult<TierConfig> {
    crate::settings::load_or_default(db, CONFIG_KEY).await
}

pub async fn save_config(db: &Db, actor: &CurrentUser, cfg: &TierConfig) -> AppResult<()> {
    if !may_configure_tiers(actor) {
        return Err(AppError::Forbidden);
    }
    crate::settings::save(db, CONFIG_KEY, cfg, actor.id).await
}

pub async fn last_run(db: &Db) -> AppResult<Option<LastRun>> {
    crate::settings::load(db, LAST_RUN_KEY).await
}

/// Records a run as the last one (also used by the demo loader).
pub async fn set_last_run(conn: &mut AnyConnection, run: &LastRun) -> AppResult<()> {
    crate::settings::write_json(conn, LAST_RUN_KEY, run).await
}

// ---------------------------------------------------------------------------------------
// Re-evaluation
// ---------------------------------------------------------------------------------------

pub(super) fn grade_of(s: &str) -> Grade {
    Grade::parse(s).unwrap_or(Grade::General)
}

/// Ids bound per `IN (…)` list: well under SQLite's parameter limit.
const IN_CHUNK: usize = 500;

/// Re-evaluates every customer: new pending proposals where the value calls for another
/// level or grade and none is pending, and stale pending proposals superseded. `actor` is
/// `None` for the scheduler; a person must be an admin. Reads once, computes in memory,
/// writes in batches within one transaction.
pub async fn run_reevaluation(db: &Db, actor: Option<&CurrentUser>) -> AppResult<RunCounts> {
    if let Some(a) = actor {
        if !may_configure_tiers(a) {
            return Err(AppError::Forbidden);
        }
    }
    let cfg = config(db).await?;
    // The single call site of the value score.
    let values = current_values(db).await?;
    let t = now();
    let mut tx = db.begin_write().await?;
    let customers = sqlx::query("SELECT id, level, grade FROM customers")
        .fetch_all(&mut *tx)
        .await?;
    let pending_rows = sqlx::query(
        "SELECT id, customer_id, from_level, from_grade, to_level, to_grade FROM tier_proposals \
         WHERE status = 'pending'",
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut pending: HashMap<i64, Vec<(i64, PendingTarget)>> = HashMap::new();
    for r in &pending_rows {
        let from_grade: String = r.try_get("from_grade")?;
        let to_grade: String = r.try_get("to_grade")?;
        pending.entry(r.try_get("customer_id")?).or_default().push((
            r.try_get("id")?,
            PendingTarget {
                from_level: r.try_get("from_level")?,
                from_grade: grade_of(&from_grade),
                to_level: r.try_get("to_level")?,
                to_grade: grade_of(&to_grade),
            },
        ));
    }
    let mut counts = RunCounts::default();
    let mut superseded = Vec::new();
    let mut inserts = Vec::new();
    for r in &customers {
        let id: i64 = r.try_get("id")?;
        let level: i64 = r.try_get("level")?;
        let grade_s: String = r.try_get("grade")?;
        let grade = grade_of(&grade_s);
        let value = values.get(&id);
        let fresh = value.and_then(|(v, _)| propose(level, grade, *v, &cfg));
        let mut live = false;
        for (pid, p) in pending.get(&id).map(|v| v.as_slice()).unwrap_or_default() {
            // Without a value only a change by hand makes a proposal stale.
            let stale = match value {
                Some(_) => is_stale(p, level, grade, fresh.as_ref()),
                None => (level, grade) != (p.from_level, p.from_grade),
            };
            if stale || live {
                superseded.push(*pid);
            } else {
                live = true;
                counts.still_pending += 1;
            }
        }
        let Some((value, figures)) = value else {
            continue;
        };
        counts.evaluated += 1;
        let Some(change) = fresh else {
            continue;
        };
        if live {
            continue;
        }
        match change.direction {
            Direction::Promotion => counts.promotions += 1,
            Direction::Demotion => counts.demotions += 1,
        }
        inserts.push(vec![
            SqlValue::Int(id),
            SqlValue::Text(change.direction.as_str().into()),
            SqlValue::Int(level),
            SqlValue::Int(change.to_level),
            SqlValue::Text(grade.as_str().into()),
            SqlValue::Text(change.to_grade.as_str().into()),
            SqlValue::Int(*value),
            SqlValue::Text(figures.to_string()),
            SqlValue::Text(ProposalStatus::Pending.as_str().into()),
            SqlValue::Int(t),
        ]);
    }
    counts.superseded = superseded.len() as i64;
    for part in superseded.chunks(IN_CHUNK) {
        let mut q =
            SqlBuilder::new("UPDATE tier_proposals SET status = 'superseded', decided_at = ");
        q.bind(SqlValue::Int(t))
            .push(" WHERE status = 'pending' AND id IN (");
        q.bind_all(part.iter().map(|id| SqlValue::Int(*id)));
        q.push(")");
        q.query().execute(&mut *tx).await?;
    }
    insert_rows(
        &mut tx,
        db.engine,
        "INSERT INTO tier_proposals (customer_id, direction, from_level, to_level, from_grade, to_grade, \
         value_score, figures, status, created_at)",
        &inserts,
    )
    .await?;
    set_last_run(&mut tx, &LastRun { at: t, counts }).await?;
    tx.commit().await?;
    Ok(counts)
}

/// How often the scheduler looks at the clock.
const SCHEDULER_TICK_SECS: u64 = 300;

/// Runs the re-evaluation per the stored schedule, for as long as the server runs. Spawned
/// by `serve`; settings changes take effect at the next tick.
pub async fn run_scheduler(db: Db) {
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(SCHEDULER_TICK_SECS)).await;
        let due = async {
            let cfg = config(&db).await?;
            let last = last_run(&db).await?;
            AppResult::Ok(cfg.is_due(last.map(|l| l.at), now()))
        }
        .await;
        match due {
            Ok(true) => match run_reevaluation(&db, None).await {
                Ok(c) => tracing::info!(
                    evaluated = c.evaluated,
                    promotions = c.promotions,
                    demotions = c.demotions,
                    superseded = c.superseded,
                    "tier re-evaluation finished"
                ),
                Err(e) => tracing::warn!(error = %e, "tier re-evaluation failed"),
            },
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "tier scheduler could not read its settings"),
        }
    }
}

// ---------------------------------------------------------------------------------------
// The queue
// ---------------------------------------------------------------------------------------

const PROPOSAL_SELECT: &str = "SELECT p.id, p.customer_id, p.direction, p.from_level, p.to_level, \
     p.from_grade, p.to_grade, p.value_score, p.figures, p.status, p.created_at, p.decided_at, \
     p.decision_comment, p.kept_as_service_manager, c.name AS customer_name, c.team_id, c.owner_id, \
     o.name AS owner_name, o.role AS owner_role, d.name AS decided_by_name, n.name AS new_owner_name, \
     po.name AS previous_owner_name \
     FROM tier_proposals p JOIN customers c ON c.id = p.customer_id JOIN users o ON o.id = c.owner_id \
     LEFT JOIN users d ON d.id = p.decided_by LEFT JOIN users n ON n.id = p.new_owner_id \
     LEFT JOIN users po ON po.id = p.previous_owner_id WHERE 1 = 1";

fn proposal_from_row(r: &DbRow) -> AppResult<ProposalView> {
    let direction: String = r.try_get("direction")?;
    let status: String = r.try_get("status")?;
    let from_grade: String = r.try_get("from_grade")?;
    let to_grade: String = r.try_get("to_grade")?;
    let figures: String = r.try_get("figures")?;
    let owner_role: String = r.try_get("owner_role")?;
    Ok(ProposalView {
        id: r.try_get("id")?,
        customer_id: CustomerId(r.try_get("customer_id")?),
        customer_name: r.try_get("customer_name")?,
        customer_team_id: r.try_get::<Option<i64>, _>("team_id")?.map(TeamId),
        direction: Direction::parse(&direction).unwrap_or(Direction::Promotion),
        from_level: r.try_get("from_level")?,
        to_level: r.try_get("to_level")?,
        from_grade: grade_of(&from_grade),
        to_grade: grade_of(&to_grade),
        value_score: r.try_get("value_score")?,
        figures: figures_pairs(&figures),
        status: ProposalStatus::parse(&status).unwrap_or(ProposalStatus::Pending),
        created_at: r.try_get("created_at")?,
        owner_id: UserId(r.try_get("owner_id")?),
        owner_name: r.try_get("owner_name")?,
        owner_role: Role::parse(&owner_role).unwrap_or(Role::Viewer),
        decided_by: r.try_get("decided_by_name")?,
        decided_at: r.try_get("decided_at")?,
        comment: r.try_get("decision_comment")?,
        new_owner: r.try_get("new_owner_name")?,
        previous_owner: r.try_get("previous_owner_name")?,
        kept_as_service_manager: r.try_get::<i64, _>("kept_as_service_manager")? != 0,
    })
}

/// Limits a proposal query to customers the actor may decide on. The queue is open to
/// admins and tier-1 managers only, for whom "may decide" and "may see" coincide
/// (see `may_decide_tier_change`); each row is checked again in Rust.
fn push_decidable(actor: &CurrentUser, q: &mut SqlBuilder) {
    customer_visibility(actor, q);
}

/// Pending proposals the actor may decide (oldest first), the recent decisions, the
/// owners the actor may assign, and — for admins — the settings.
pub async fn queue(
    db: &Db,
    actor: &CurrentUser,
    direction: Option<Direction>,
) -> AppResult<TierQueue> {
    if !may_open_tier_queue(actor) {
        return Err(AppError::Forbidden);
    }
    let scope_ok = |p: &ProposalView| {
        // The scope columns of the row, for the per-row check.
        may_decide_tier_change(
            actor,
            &crate::auth::permissions::CustomerScope {
                level: p.from_level,
                owner_id: p.owner_id,
                service_manager_id: None,
                team_id: p.customer_team_id,
            },
        )
    };
    let mut q = SqlBuilder::new(PROPOSAL_SELECT);
    q.push(" AND p.status = 'pending'");
    if let Some(d) = direction {
        q.push(" AND p.direction = ")
            .bind(SqlValue::Text(d.as_str().into()));
    }
    push_decidable(actor, &mut q);
    q.push(" ORDER BY p.created_at, p.id LIMIT ")
        .bind(SqlValue::Int(QUEUE_LEN));
    let pending = q
        .query()
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(proposal_from_row)
        .collect::<AppResult<Vec<_>>>()?
        .into_iter()
        .filter(scope_ok)
        .collect::<Vec<_>>();

    let mut c = SqlBuilder::new(
        "SELECT COUNT(*) AS n FROM tier_proposals p JOIN customers c ON c.id = p.customer_id \
         WHERE p.status = 'pending'",
    );
    if let Some(d) = direction {
        c.push(" AND p.direction = ")
            .bind(SqlValue::Text(d.as_str().into()));
    }
    push_decidable(actor, &mut c);
    let total_pending: i64 = c.query().fetch_one(&db.pool).await?.try_get("n")?;

    let mut h = SqlBuilder::new(PROPOSAL_SELECT);
    h.push(" AND p.status IN ('approved', 'rejected')");
    if let Some(d) = direction {
        h.push(" AND p.direction = ")
            .bind(SqlValue::Text(d.as_str().into()));
    }
    push_decidable(actor, &mut h);
    h.push(" ORDER BY p.decided_at DESC, p.id DESC LIMIT ")
        .bind(SqlValue::Int(HISTORY_LEN));
    let history = h
        .query()
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(proposal_from_row)
        .collect::<AppResult<Vec<_>>>()?;

    let owners = sqlx::query(
        "SELECT id, name, role, team_id FROM users WHERE active = 1 AND role IN ('tier1', 'tier2') \
         ORDER BY name, id",
    )
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|r| {
        let role: String = r.try_get("role")?;
        Ok(OwnerOption {
            id: UserId(r.try_get("id")?),
            name: r.try_get("name")?,
            role: Role::parse(&role).unwrap_or(Role::Viewer),
            team_id: r.try_get::<Option<i64>, _>("team_id")?.map(TeamId),
        })
    })
    .collect::<AppResult<Vec<_>>>()?
    .into_iter()
    .filter(|o| {
        may_assign_to(
            actor,
            &Assignee {
                id: o.id,
                role: o.role,
                team_id: o.team_id,
                active: true,
            },
        )
    })
    .collect();

    let is_admin = may_configure_tiers(actor);
    Ok(TierQueue {
        pending,
        total_pending,
        history,
        owners,
        config: if is_admin {
            Some(config(db).await?)
        } else {
            None
        },
        last_run: last_run(db).await?,
    })
}

// ---------------------------------------------------------------------------------------
// Decisions
// ---------------------------------------------------------------------------------------

struct Loaded {
    customer: CustomerId,
    customer_name: String,
    status: ProposalStatus,
    from_level: i64,
    to_level: i64,
    from_grade: Grade,
    to_grade: Grade,
    level: i64,
    grade: Grade,
    scope: crate::auth::permissions::CustomerScope,
}

/// Loads a proposal and its customer on the transaction and checks the actor's right to
/// decide: `NotFound` when the customer is invisible, `Forbidden` when visible but not
/// theirs to decide, `Conflict` when already decided.
async fn load_for_decision(
    conn: &mut AnyConnection,
    actor: &CurrentUser,
    proposal: i64,
) -> AppResult<Loaded> {
    let r = sqlx::query(
        "SELECT p.customer_id, p.status, p.from_level, p.to_level, p.from_grade, p.to_grade, \
         c.name, c.level, c.grade FROM tier_proposals p JOIN customers c ON c.id = p.customer_id \
         WHERE p.id = $1",
    )
    .bind(proposal)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)?;
    let customer = CustomerId(r.try_get("customer_id")?);
    let scope = crate::auth::scope::visible_scope(conn, actor, customer).await?;
    if !may_decide_tier_change(actor, &scope) {
        return Err(AppError::Forbidden);
    }
    let status: String = r.try_get("status")?;
    let status = ProposalStatus::parse(&status).unwrap_or(ProposalStatus::Superseded);
    if status != ProposalStatus::Pending {
        return Err(AppError::Conflict("status".into()));
    }
    let s = |c: &str| -> AppResult<String> { Ok(r.try_get(c)?) };
    Ok(Loaded {
        customer,
        customer_name: s("name")?,
        status,
        from_level: r.try_get("from_level")?,
        to_level: r.try_get("to_level")?,
        from_grade: grade_of(&s("from_grade")?),
        to_grade: grade_of(&s("to_grade")?),
        level: r.try_get("level")?,
        grade: grade_of(&s("grade")?),
        scope,
    })
}

/// A staff member's assignment facts, read on the caller's transaction.
async fn assignee_in(conn: &mut AnyConnection, id: UserId) -> AppResult<Option<Assignee>> {
    let row = sqlx::query("SELECT id, role, team_id, active FROM users WHERE id = $1")
        .bind(id.0)
        .fetch_optional(conn)
        .await?;
    row.map(|r| {
        let role: String = r.try_get("role")?;
        Ok(Assignee {
            id: UserId(r.try_get("id")?),
            role: Role::parse(&role).unwrap_or(Role::Viewer),
            team_id: r.try_get::<Option<i64>, _>("team_id")?.map(TeamId),
            active: r.try_get::<i64, _>("active")? != 0,
        })
    })
    .transpose()
}

async fn insert_handover_task(
    conn: &mut AnyConnection,
    actor: &CurrentUser,
    customer: CustomerId,
    assignee: UserId,
    title: String,
    proposal: i64,
    t: i64,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO tasks (customer_id, title, assignee_id, due_at, status, source, source_id, created_by, created_at) \
         VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $8)",
    )
    .bind(customer.0)
    .bind(title)
    .bind(assignee.0)
    .bind(t + HANDOVER_DUE_DAYS * 86_400)
    .bind(TaskSource::Handover.as_str())
    .bind(proposal)
    .bind(actor.id.0)
    .bind(t)
    .execute(conn)
    .await?;
    Ok(())
}

/// Approves a proposal and hands the account over, all in one transaction: new level,
/// grade, owner (and team), optionally the previous owner kept as service manager; the
/// decision; a tier history row; audit rows; hand-over tasks for both managers; the note.
/// The managers an approval leaves on the customer.
struct Managers {
    owner: Assignee,
    service_manager: Option<Assignee>,
    /// The owner before, if the account exists.
    previous: Option<Assignee>,
}

/// Checks the approval's new owner (and, when asked, the previous owner kept as service
/// manager) against the two-level rules for the new level.
async fn managers_after(
    conn: &mut AnyConnection,
    actor: &CurrentUser,
    p: &Loaded,
    a: &Approval,
) -> AppResult<Managers> {
    let new_owner = assignee_in(&mut *conn, a.new_owner)
        .await?
        .filter(|o| o.active)
        .ok_or_else(|| AppError::field("new_owner", Key::ErrInvalidChoice))?;
    if !may_assign_to(actor, &new_owner) {
        return Err(AppError::field("new_owner", Key::ErrOutsideYourTeam));
    }
    let option = OwnerOption {
        id: new_owner.id,
        name: String::new(),
        role: new_owner.role,
        team_id: new_owner.team_id,
    };
    if !owner_fits(&option, p.to_level, p.scope.team_id) {
        return Err(AppError::field("new_owner", Key::TierErrOwnerDoesNotFit));
    }
    let previous = assignee_in(&mut *conn, p.scope.owner_id).await?;
    let service_manager = if a.keep_previous {
        match &previous {
            Some(prev)
                if prev.active && prev.role == Role::Tier2Manager && prev.id != new_owner.id =>
            {
                Some(*prev)
            }
            _ => return Err(AppError::field("keep_previous", Key::TierErrKeepNotTier2)),
        }
    } else {
        // The current service manager stays if they still fit next to the new owner.
        match p.scope.service_manager_id {
            Some(sm) => assignee_in(&mut *conn, sm)
                .await?
                .filter(|sm| check_assignment(p.to_level, &new_owner, Some(sm)).is_ok()),
            None => None,
        }
    };
    check_assignment(p.to_level, &new_owner, service_manager.as_ref())?;
    Ok(Managers {
        owner: new_owner,
        service_manager,
        previous,
    })
}

/// The tier history row and the audit rows of an approved change.
async fn record_tier_change(
    conn: &mut AnyConnection,
    actor: &CurrentUser,
    p: &Loaded,
    a: &Approval,
    managers: &Managers,
    t: i64,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO tier_changes (customer_id, proposal_id, at, actor_id, from_level, to_level, \
         from_grade, to_grade, from_owner_id, to_owner_id, comment) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(p.customer.0)
    .bind(a.proposal)
    .bind(t)
    .bind(actor.id.0)
    .bind(p.from_level)
    .bind(p.to_level)
    .bind(p.from_grade.as_str())
    .bind(p.to_grade.as_str())
    .bind(p.scope.owner_id.0)
    .bind(managers.owner.id.0)
    .bind(a.comment.as_deref())
    .execute(&mut *conn)
    .await?;
    let team = managers.owner.team_id;
    let id_text = |v: Option<i64>| v.map(|v| v.to_string());
    let changes: [(&str, Option<String>, Option<String>); 5] = [
        (
            "level",
            Some(p.from_level.to_string()),
            Some(p.to_level.to_string()),
        ),
        (
            "grade",
            Some(p.from_grade.as_str().into()),
            Some(p.to_grade.as_str().into()),
        ),
        (
            "owner_id",
            Some(p.scope.owner_id.to_string()),
            Some(managers.owner.id.to_string()),
        ),
        (
            "service_manager_id",
            id_text(p.scope.service_manager_id.map(|s| s.0)),
            id_text(managers.service_manager.map(|s| s.id.0)),
        ),
        (
            "team_id",
            id_text(p.scope.team_id.map(|t| t.0)),
            id_text(team.map(|t| t.0)),
        ),
    ];
    for (field, before, after) in changes {
        if before != after {
            record(
                &mut *conn,
                Some(actor.id),
                Change::new("customer", p.customer.0, "tier_change")
                    .on_field(field)
                    .values(before, after),
            )
            .await?;
        }
    }
    Ok(())
}

pub async fn approve(db: &Db, actor: &CurrentUser, a: &Approval) -> AppResult<()> {
    let mut tx = db.begin_write().await?;
    let p = load_for_decision(&mut tx, actor, a.proposal).await?;
    debug_assert_eq!(p.status, ProposalStatus::Pending);
    if (p.level, p.grade) != (p.from_level, p.from_grade) {
        return Err(AppError::field("proposal", Key::TierErrStale));
    }
    let managers = managers_after(&mut tx, actor, &p, a).await?;
    let new_owner = managers.owner;
    let service_manager = managers.service_manager;
    let team = new_owner.team_id;
    let t = now();
    sqlx::query(
        "UPDATE customers SET level = $1, grade = $2, owner_id = $3, service_manager_id = $4, \
         team_id = $5, updated_at = $6 WHERE id = $7",
    )
    .bind(p.to_level)
    .bind(p.to_grade.as_str())
    .bind(new_owner.id.0)
    .bind(service_manager.map(|s| s.id.0))
    .bind(team.map(|t| t.0))
    .bind(t)
    .bind(p.customer.0)
    .execute(&mut *tx)
    .await?;
    let kept = a.keep_previous && service_manager.is_some();
    let done = sqlx::query(
        "UPDATE tier_proposals SET status = 'approved', decided_by = $1, decided_at = $2, \
         decision_comment = $3, new_owner_id = $4, previous_owner_id = $5, kept_as_service_manager = $6 \
         WHERE id = $7 AND status = 'pending'",
    )
    .bind(actor.id.0)
    .bind(t)
    .bind(a.comment.as_deref())
    .bind(new_owner.id.0)
    .bind(p.scope.owner_id.0)
    .bind(i64::from(kept))
    .bind(a.proposal)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(AppError::Conflict("status".into()));
    }
    record_tier_change(&mut tx, actor, &p, a, &managers, t).await?;
    let lang = actor.language;
    insert_handover_task(
        &mut tx,
        actor,
        p.customer,
        new_owner.id,
        format!(
            "{} {}",
            Key::TierHandoverTaskNew.text(lang),
            p.customer_name
        ),
        a.proposal,
        t,
    )
    .await?;
    if let Some(prev) = managers
        .previous
        .filter(|prev| prev.active && prev.id != new_owner.id)
    {
        insert_handover_task(
            &mut tx,
            actor,
            p.customer,
            prev.id,
            format!(
                "{} {}",
                Key::TierHandoverTaskPrevious.text(lang),
                p.customer_name
            ),
            a.proposal,
            t,
        )
        .await?;
    }
    if let Some(note) = &a.note {
        crate::notes::service::insert(&mut tx, p.customer, actor.id, Some(a.proposal), note, t)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Rejects a proposal; the comment (the reason) is required.
pub async fn reject(db: &Db, actor: &CurrentUser, proposal: i64, comment: &str) -> AppResult<()> {
    let mut tx = db.begin_write().await?;
    load_for_decision(&mut tx, actor, proposal).await?;
    let comment = parse_reject_comment(comment)?;
    let t = now();
    let done = sqlx::query(
        "UPDATE tier_proposals SET status = 'rejected', decided_by = $1, decided_at = $2, \
         decision_comment = $3 WHERE id = $4 AND status = 'pending'",
    )
    .bind(actor.id.0)
    .bind(t)
    .bind(&comment)
    .bind(proposal)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(AppError::Conflict("status".into()));
    }
    record(
        &mut tx,
        Some(actor.id),
        Change::new("tier_proposal", proposal, "reject")
            .on_field("status")
            .values(
                Some(ProposalStatus::Pending.as_str().into()),
                Some(format!("{}: {comment}", ProposalStatus::Rejected.as_str())),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
