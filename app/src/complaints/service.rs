//! Complaint reads and writes. Who may see and work one is decided in
//! `auth::permissions` (`may_see_complaint`, `complaint_visibility`); every status step is
//! recorded in `complaint_events` with who and when.

use super::model::*;
use crate::audit::service::{record, Change};
use crate::auth::permissions::{
    complaint_visibility, may_change_complaint, may_open_complaint, may_see_complaint,
    may_see_complaints, may_see_customer,
};
use crate::auth::scope::{optional_scope_from_row, scope_of};
use crate::auth::{CurrentUser, Role};
use crate::db::{now, Condition, Db, DbRow, Row, SqlBuilder, SqlValue};
use crate::error::{AppError, AppResult, FieldError};
use crate::i18n::Key;
use crate::ids::{CustomerId, UserId};
use crate::tasks::model::TaskSource;
use sqlx::AnyConnection;

const SELECT: &str = "SELECT k.id, k.customer_id, k.response_id, k.source, k.category, k.severity, \
     k.description, k.status, k.assignee_id, k.deadline_at, k.resolution_note, k.created_at, k.resolved_at, \
     a.name AS assignee_name, c.name AS customer_name, c.email AS customer_email, c.phone AS customer_phone, \
     c.level, c.owner_id, c.service_manager_id, c.team_id, \
     (SELECT ct.name FROM contacts ct WHERE ct.customer_id = k.customer_id ORDER BY ct.is_primary DESC, ct.id LIMIT 1) AS contact_name, \
     (SELECT ct.email FROM contacts ct WHERE ct.customer_id = k.customer_id ORDER BY ct.is_primary DESC, ct.id LIMIT 1) AS contact_email, \
     (SELECT ct.phone FROM contacts ct WHERE ct.customer_id = k.customer_id ORDER BY ct.is_primary DESC, ct.id LIMIT 1) AS contact_phone \
     FROM complaints k LEFT JOIN users a ON a.id = k.assignee_id LEFT JOIN customers c ON c.id = k.customer_id";

fn from_row(actor: &CurrentUser, r: &DbRow, t: i64) -> AppResult<Complaint> {
    let scope = optional_scope_from_row(r)?;
    let assignee = r.try_get::<Option<i64>, _>("assignee_id")?.map(UserId);
    let status = Status::parse(&r.try_get::<String, _>("status")?).unwrap_or(Status::Received);
    let deadline_at: i64 = r.try_get("deadline_at")?;
    let customer = match r.try_get::<Option<i64>, _>("customer_id")? {
        Some(id) => Some(ContactCard {
            customer_id: CustomerId(id),
            name: r
                .try_get::<Option<String>, _>("customer_name")?
                .unwrap_or_default(),
            contact_name: r.try_get("contact_name")?,
            email: r
                .try_get::<Option<String>, _>("contact_email")?
                .or(r.try_get("customer_email")?),
            phone: r
                .try_get::<Option<String>, _>("contact_phone")?
                .or(r.try_get("customer_phone")?),
            may_open_customer: scope.as_ref().is_some_and(|s| may_see_customer(actor, s)),
        }),
        None => None,
    };
    Ok(Complaint {
        id: r.try_get("id")?,
        customer,
        response_id: r.try_get("response_id")?,
        source: Source::parse(&r.try_get::<String, _>("source")?).unwrap_or(Source::Manual),
        category: r.try_get("category")?,
        severity: Severity::parse(&r.try_get::<String, _>("severity")?).unwrap_or(Severity::Medium),
        description: r.try_get("description")?,
        status,
        assignee_id: assignee,
        assignee_name: r.try_get("assignee_name")?,
        deadline_at,
        overdue: is_overdue(status, deadline_at, t),
        resolution_note: r.try_get("resolution_note")?,
        created_at: r.try_get("created_at")?,
        resolved_at: r.try_get("resolved_at")?,
        may_change: may_change_complaint(actor, assignee, scope.as_ref()),
    })
}

async fn insert(
    conn: &mut AnyConnection,
    actor: Option<UserId>,
    draft: &ComplaintDraft,
    source: Source,
    response_id: Option<i64>,
    t: i64,
) -> AppResult<i64> {
    let id: i64 = sqlx::query(
        "INSERT INTO complaints (customer_id, response_id, source, category, severity, description, status, \
         assignee_id, deadline_at, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'received', $7, $8, $9, $10, $10) RETURNING id",
    )
    .bind(draft.customer.map(|c| c.0))
    .bind(response_id)
    .bind(source.as_str())
    .bind(&draft.category)
    .bind(draft.severity.as_str())
    .bind(&draft.description)
    .bind(draft.assignee.map(|a| a.0))
    .bind(t + draft.severity.response_secs())
    .bind(actor.map(|a| a.0))
    .bind(t)
    .fetch_one(&mut *conn)
    .await?
    .try_get("id")?;
    sqlx::query(
        "INSERT INTO complaint_events (complaint_id, at, actor_id, from_status, to_status, note) \
         VALUES ($1, $2, $3, NULL, 'received', NULL)",
    )
    .bind(id)
    .bind(t)
    .bind(actor.map(|a| a.0))
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// A stored answer that a form rule turns into a complaint, with what the rule sets.
pub struct LowScoreAnswer<'a> {
    pub response_id: i64,
    /// Known when the answer came through a personal link.
    pub customer: Option<CustomerId>,
    pub comment: Option<&'a str>,
    pub submitted_at: i64,
    pub category: &'a str,
    pub severity: Severity,
    /// Who handles it when the answer is anonymous (a customer's own owner otherwise).
    pub fallback_assignee: Option<UserId>,
}

/// Opens the complaint a form rule asks for, in the answer's own transaction: whoever
/// stores such an answer calls this. It goes to the customer's owner when the answer came
/// through a personal link, else to the rule's assignee.
pub async fn open_from_answer(
    conn: &mut AnyConnection,
    answer: LowScoreAnswer<'_>,
) -> AppResult<i64> {
    let customer = answer.customer;
    let owner = match customer {
        Some(c) => scope_of(conn, c).await?.map(|s| s.owner_id),
        None => None,
    };
    let summary = answer
        .comment
        .unwrap_or_default()
        .chars()
        .take(MAX_DESCRIPTION_CHARS)
        .collect::<String>();
    let draft = ComplaintDraft {
        customer,
        category: answer.category.to_string(),
        severity: answer.severity,
        description: summary,
        assignee: owner.or(answer.fallback_assignee),
    };
    insert(
        conn,
        None,
        &draft,
        Source::Form,
        Some(answer.response_id),
        answer.submitted_at,
    )
    .await
}

/// Checks the opening form of a complaint.
pub fn parse_draft(input: &ComplaintInput) -> AppResult<ComplaintDraft> {
    let mut errors = Vec::new();
    let category = input.category.trim().to_string();
    if category.is_empty() {
        errors.push(FieldError::new("category", Key::ErrRequired));
    } else if category.chars().count() > MAX_CATEGORY_CHARS {
        errors.push(FieldError::new("category", Key::ErrTooLong));
    }
    let severity = Severity::parse(&input.severity);
    if severity.is_none() {
        errors.push(FieldError::new("severity", Key::ErrInvalidChoice));
    }
    let description = input.description.trim().to_string();
    if description.is_empty() {
        errors.push(FieldError::new("description", Key::ErrRequired));
    } else if description.chars().count() > MAX_DESCRIPTION_CHARS {
        errors.push(FieldError::new("description", Key::ErrTooLong));
    }
    let customer = match input.customer_id.trim() {
        "" => None,
        raw => match raw.parse::<i64>() {
            Ok(id) => Some(CustomerId(id)),
            Err(_) => {
                errors.push(FieldError::new("customer_id", Key::ErrInvalidChoice));
                None
            }
        },
    };
    let assignee = match input.assignee_id.trim() {
        "" => None,
        raw => match raw.parse::<i64>() {
            Ok(id) => Some(UserId(id)),
            Err(_) => {
                errors.push(FieldError::new("assignee_id", Key::ErrInvalidChoice));
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok(ComplaintDraft {
        customer,
        category,
        severity: severity.unwrap_or(Severity::Medium),
        description,
        assignee,
    })
}

/// A user who may receive complaints: active, and not a viewer.
async fn check_assignee(db: &Db, id: UserId) -> AppResult<()> {
    let row = sqlx::query("SELECT role, active FROM users WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&db.pool)
        .await?;
    let ok = match row {
        Some(r) => {
            let role: String = r.try_get("role")?;
            let active: i64 = r.try_get("active")?;
            active == 1 && Role::parse(&role).is_some_and(|r| r != Role::Viewer)
        }
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err(AppError::field("assignee_id", Key::ErrInvalidChoice))
    }
}

/// Opens a complaint by hand (support agent, manager, admin; from a customer page or the
/// complaints list). Without an assignee it goes to the opener.
pub async fn create(db: &Db, actor: &CurrentUser, mut draft: ComplaintDraft) -> AppResult<i64> {
    if !may_open_complaint(actor) {
        return Err(AppError::Forbidden);
    }
    let mut tx = db.begin_write().await?;
    if let Some(customer) = draft.customer {
        let unknown = if actor.role == Role::SupportAgent {
            Key::CpErrUnknownCustomer
        } else {
            Key::ErrInvalidChoice
        };
        let scope = scope_of(&mut tx, customer)
            .await?
            .ok_or_else(|| AppError::field("customer_id", unknown))?;
        // Managers open complaints for customers they may see. Support agents cannot
        // browse customers: they may name only a customer of a complaint they already
        // handle, or the new complaint's contact card would reveal any customer.
        let allowed = if actor.role == Role::SupportAgent {
            sqlx::query(
                "SELECT id FROM complaints WHERE customer_id = $1 AND assignee_id = $2 LIMIT 1",
            )
            .bind(customer.0)
            .bind(actor.id.0)
            .fetch_optional(&mut *tx)
            .await?
            .is_some()
        } else {
            may_see_customer(actor, &scope)
        };
        if !allowed {
            let problem = if actor.role == Role::SupportAgent {
                Key::CpErrUnknownCustomer
            } else {
                Key::ErrInvalidChoice
            };
            return Err(AppError::field("customer_id", problem));
        }
    }
    let assignee = draft.assignee.unwrap_or(actor.id);
    check_assignee(db, assignee).await?;
    draft.assignee = Some(assignee);
    let t = now();
    let id = insert(&mut tx, Some(actor.id), &draft, Source::Manual, None, t).await?;
    record(
        &mut tx,
        Some(actor.id),
        Change::new("complaint", id, "create")
            .values(None, Some(draft.severity.as_str().to_string())),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// One page of the complaints the actor may see, most urgent first within open ones.
pub async fn list(
    db: &Db,
    actor: &CurrentUser,
    filter: &ComplaintFilter,
) -> AppResult<ComplaintPage> {
    if !may_see_complaints(actor) {
        return Err(AppError::Forbidden);
    }
    let t = now();
    let mut q = SqlBuilder::new(SELECT);
    q.push(" WHERE 1 = 1");
    complaint_visibility(actor, &mut q);
    match filter.status.as_str() {
        "" | "open" => {
            q.push(" AND k.status IN ('received', 'classified', 'in_progress')");
        }
        "overdue" => {
            q.push(
                " AND k.status IN ('received', 'classified', 'in_progress') AND k.deadline_at < ",
            )
            .bind(SqlValue::Int(t));
        }
        "all" => {}
        other => {
            let status = Status::parse(other)
                .ok_or_else(|| AppError::field("status", Key::ErrInvalidChoice))?;
            q.push(" AND k.status = ")
                .bind(SqlValue::Text(status.as_str().into()));
        }
    }
    if filter.mine {
        q.push(" AND k.assignee_id = ")
            .bind(SqlValue::Int(actor.id.0));
    }
    if let Some(c) = filter.customer_id {
        q.push(" AND k.customer_id = ").bind(SqlValue::Int(c.0));
    }
    if let Some(after) = filter.after {
        q.push(" AND k.id < ").bind(SqlValue::Int(after));
    }
    q.push(" ORDER BY k.id DESC LIMIT ")
        .bind(SqlValue::Int(PAGE_SIZE + 1));
    let rows = q.query().fetch_all(&db.pool).await?;
    let mut out: Vec<Complaint> = rows
        .iter()
        .map(|r| from_row(actor, r, t))
        .collect::<AppResult<_>>()?;
    let next = if out.len() as i64 > PAGE_SIZE {
        out.truncate(PAGE_SIZE as usize);
        out.last().map(|c| c.id)
    } else {
        None
    };
    Ok(ComplaintPage {
        rows: out,
        next,
        may_create: may_open_complaint(actor),
    })
}

async fn load(db: &Db, actor: &CurrentUser, id: i64) -> AppResult<Complaint> {
    if !may_see_complaints(actor) {
        return Err(AppError::NotFound);
    }
    let mut q = SqlBuilder::new(SELECT);
    q.push(" WHERE k.id = ").bind(SqlValue::Int(id));
    let row = q
        .query()
        .fetch_optional(&db.pool)
        .await?
        .ok_or(AppError::NotFound)?;
    let scope = optional_scope_from_row(&row)?;
    let assignee = row.try_get::<Option<i64>, _>("assignee_id")?.map(UserId);
    if !may_see_complaint(actor, assignee, scope.as_ref()) {
        return Err(AppError::NotFound);
    }
    from_row(actor, &row, now())
}

/// The complaint and its history; the answers behind it are added by the caller (they are
/// the feedback feature's).
pub async fn get(db: &Db, actor: &CurrentUser, id: i64) -> AppResult<ComplaintDetail> {
    let complaint = load(db, actor, id).await?;
    let events = sqlx::query(
        "SELECT e.at, e.from_status, e.to_status, e.note, u.name FROM complaint_events e \
         LEFT JOIN users u ON u.id = e.actor_id WHERE e.complaint_id = $1 ORDER BY e.id",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|r| {
        Ok(ComplaintEvent {
            at: r.try_get("at")?,
            actor: r.try_get("name")?,
            from: r
                .try_get::<Option<String>, _>("from_status")?
                .and_then(|s| Status::parse(&s)),
            to: Status::parse(&r.try_get::<String, _>("to_status")?).unwrap_or(Status::Received),
            note: r.try_get("note")?,
        })
    })
    .collect::<AppResult<Vec<_>>>()?;
    Ok(ComplaintDetail {
        complaint,
        events,
        answers: Vec::new(),
    })
}

/// Moves a complaint one step (see [`Status::next`]); classifying may also set category,
/// severity (which resets the deadline from the time received) and assignee.
pub async fn change_status(
    db: &Db,
    actor: &CurrentUser,
    id: i64,
    input: &StatusChangeInput,
) -> AppResult<()> {
    let current = load(db, actor, id).await?;
    if !current.may_change {
        return Err(AppError::Forbidden);
    }
    let to =
        Status::parse(&input.to).ok_or_else(|| AppError::field("to", Key::ErrInvalidChoice))?;
    let note = input.note.trim();
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(AppError::field("note", Key::ErrTooLong));
    }
    match check_transition(current.status, to, note) {
        Ok(()) => {}
        Err(TransitionError::NotAllowed) => {
            return Err(AppError::field("to", Key::CpErrStep));
        }
        Err(TransitionError::NoteRequired) => {
            return Err(AppError::field("note", Key::CpErrNoteRequired));
        }
    }
    let category = match input.category.trim() {
        "" => current.category.clone(),
        c if c.chars().count() > MAX_CATEGORY_CHARS => {
            return Err(AppError::field("category", Key::ErrTooLong));
        }
        c => c.to_string(),
    };
    let severity = match input.severity.trim() {
        "" => current.severity,
        s => {
            Severity::parse(s).ok_or_else(|| AppError::field("severity", Key::ErrInvalidChoice))?
        }
    };
    let assignee = match input.assignee_id.trim() {
        "" => current.assignee_id,
        raw => {
            let id = UserId(
                raw.parse()
                    .map_err(|_| AppError::field("assignee_id", Key::ErrInvalidChoice))?,
            );
            check_assignee(db, id).await?;
            Some(id)
        }
    };
    let t = now();
    // Reopening starts a fresh response time; a new severity re-dates the deadline from
    // the time received.
    let reopening = !current.status.is_open() && to.is_open();
    let deadline = if reopening {
        t + severity.response_secs()
    } else if severity != current.severity {
        current.created_at + severity.response_secs()
    } else {
        current.deadline_at
    };
    let resolution_note = if to == Status::Resolved {
        Some(note.to_string())
    } else {
        current.resolution_note.clone()
    };
    let resolved_at = match to {
        Status::Resolved => Some(t),
        _ if reopening => None,
        _ => current.resolved_at,
    };
    let mut tx = db.begin_write().await?;
    let overdue_task: Option<i64> =
        sqlx::query("SELECT overdue_task_id FROM complaints WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?
            .try_get("overdue_task_id")?;
    if to == Status::Resolved {
        // The overdue reminder is answered by the resolution.
        if let Some(task) = overdue_task {
            sqlx::query(
                "UPDATE tasks SET status = 'done', completed_at = $1 WHERE id = $2 AND status = 'open'",
            )
            .bind(t)
            .bind(task)
            .execute(&mut *tx)
            .await?;
        }
    }
    // A reopened complaint may fall overdue again and then gets a new reminder.
    let overdue_task = if reopening { None } else { overdue_task };
    // The status in the WHERE makes two people moving the same complaint at once safe:
    // the second finds it changed and is told so.
    let done = sqlx::query(
        "UPDATE complaints SET status = $1, category = $2, severity = $3, assignee_id = $4, deadline_at = $5, \
         resolution_note = $6, resolved_at = $7, overdue_task_id = $8, updated_at = $9 WHERE id = $10 AND status = $11",
    )
    .bind(to.as_str())
    .bind(&category)
    .bind(severity.as_str())
    .bind(assignee.map(|a| a.0))
    .bind(deadline)
    .bind(resolution_note)
    .bind(resolved_at)
    .bind(overdue_task)
    .bind(t)
    .bind(id)
    .bind(current.status.as_str())
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::Conflict("status".into()));
    }
    sqlx::query(
        "INSERT INTO complaint_events (complaint_id, at, actor_id, from_status, to_status, note) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(t)
    .bind(actor.id.0)
    .bind(current.status.as_str())
    .bind(to.as_str())
    .bind((!note.is_empty()).then_some(note))
    .execute(&mut *tx)
    .await?;
    record(
        &mut tx,
        Some(actor.id),
        Change::new("complaint", id, "status")
            .on_field("status")
            .values(
                Some(current.status.as_str().to_string()),
                Some(to.as_str().to_string()),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Raises one task for each overdue complaint that has none yet, for its assignee (or,
/// without one, the customer's owner). Returns how many were raised.
pub async fn raise_overdue_tasks(db: &Db) -> AppResult<usize> {
    let t = now();
    let rows = sqlx::query(
        "SELECT k.id, k.category, k.customer_id, k.assignee_id, c.owner_id FROM complaints k \
         LEFT JOIN customers c ON c.id = k.customer_id \
         WHERE k.status IN ('received', 'classified', 'in_progress') AND k.deadline_at < $1 \
         AND k.overdue_task_id IS NULL ORDER BY k.id",
    )
    .bind(t)
    .fetch_all(&db.pool)
    .await?;
    let mut raised = 0;
    for r in rows {
        let id: i64 = r.try_get("id")?;
        let Some(assignee) = r
            .try_get::<Option<i64>, _>("assignee_id")?
            .or(r.try_get("owner_id")?)
        else {
            continue;
        };
        let category: String = r.try_get("category")?;
        let mut tx = db.begin_write().await?;
        let task: i64 = sqlx::query(
            "INSERT INTO tasks (customer_id, title, assignee_id, due_at, status, source, source_id, created_by, created_at) \
             VALUES ($1, $2, $3, $4, 'open', $5, $6, NULL, $7) RETURNING id",
        )
        .bind(r.try_get::<Option<i64>, _>("customer_id")?)
        .bind(format!("Overdue complaint #{id}: {category}"))
        .bind(assignee)
        .bind(t)
        .bind(TaskSource::ComplaintDeadline.as_str())
        .bind(id)
        .bind(t)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        let claimed = sqlx::query(
            "UPDATE complaints SET overdue_task_id = $1 WHERE id = $2 AND overdue_task_id IS NULL",
        )
        .bind(task)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() == 1 {
            tx.commit().await?;
            raised += 1;
        }
    }
    Ok(raised)
}

/// Checks for overdue complaints every few minutes, on one server at a time.
pub async fn run_scheduler(db: Db) {
    let runner = crate::jobs::JobRunner::new();
    loop {
        let ttl = std::time::Duration::from_secs(120);
        match runner.acquire(&db, "complaint_deadlines", ttl).await {
            Ok(true) => {
                if let Err(e) = raise_overdue_tasks(&db).await {
                    tracing::warn!(error = %e, "complaint deadline check failed");
                }
                let _ = runner.release(&db, "complaint_deadlines").await;
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "complaint deadline lease failed"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(300)).await;
    }
}

/// Complaint figures for the feedback analysis: its filters, and `customers`, conditions
/// on the complaint's customer `c` (a saved segment's rule) compiled by the caller.
pub async fn stats(
    db: &Db,
    actor: &CurrentUser,
    filter: &StatsFilter,
    customers: &[Condition],
) -> AppResult<ComplaintStats> {
    if !may_see_complaints(actor) && actor.role != Role::Viewer {
        return Ok(ComplaintStats::default());
    }
    let t = now();
    let mut q = SqlBuilder::new(
        "SELECT k.category, k.status, k.deadline_at, k.created_at, k.resolved_at FROM complaints k \
         LEFT JOIN customers c ON c.id = k.customer_id LEFT JOIN feedback_responses r ON r.id = k.response_id WHERE 1 = 1",
    );
    // Viewers read aggregates of everything; others the complaints they may see.
    if actor.role != Role::Viewer {
        complaint_visibility(actor, &mut q);
    }
    if let Some(form) = filter.form_id {
        q.push(" AND r.form_id = ").bind(SqlValue::Int(form));
    }
    if let Some(day) = filter.from_day {
        q.push(" AND k.created_at >= ")
            .bind(SqlValue::Int(day * 86_400));
    }
    if let Some(day) = filter.to_day {
        q.push(" AND k.created_at < ")
            .bind(SqlValue::Int((day + 1) * 86_400));
    }
    if let Some(owner) = filter.owner_id {
        q.push(" AND c.owner_id = ").bind(SqlValue::Int(owner));
    }
    if let Some(team) = filter.team_id {
        q.push(" AND c.team_id = ").bind(SqlValue::Int(team));
    }
    if !customers.is_empty() {
        q.push(" AND c.id IS NOT NULL");
        for condition in customers {
            condition(&mut q);
        }
    }
    let rows = q.query().fetch_all(&db.pool).await?;
    let mut stats = ComplaintStats::default();
    let mut categories: std::collections::BTreeMap<String, i64> = Default::default();
    let mut durations = Vec::new();
    for r in &rows {
        stats.total += 1;
        *categories.entry(r.try_get("category")?).or_default() += 1;
        let status = Status::parse(&r.try_get::<String, _>("status")?).unwrap_or(Status::Received);
        if status.is_open() {
            stats.open += 1;
            if is_overdue(status, r.try_get("deadline_at")?, t) {
                stats.overdue += 1;
            }
        }
        if let Some(resolved) = r.try_get::<Option<i64>, _>("resolved_at")? {
            durations.push(resolved - r.try_get::<i64, _>("created_at")?);
        }
    }
    let mut by_category: Vec<(String, i64)> = categories.into_iter().collect();
    by_category.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    stats.by_category = by_category;
    stats.median_resolve_secs = median_secs(durations);
    Ok(stats)
}

/// Staff who may receive a complaint, for the assignee choices.
pub async fn assignees(db: &Db, actor: &CurrentUser) -> AppResult<Vec<(UserId, String)>> {
    if !may_see_complaints(actor) {
        return Err(AppError::Forbidden);
    }
    let rows = sqlx::query(
        "SELECT id, name FROM users WHERE role <> 'viewer' AND active = 1 ORDER BY name",
    )
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((UserId(r.try_get("id")?), r.try_get("name")?)))
        .collect()
}
