//! Task reads and writes. A task's customer decides who may see it; its assignee must be
//! able to reach that customer.

use crate::audit::service::{record, Change};
use crate::auth::permissions::{
    may_assign_task, may_change_task, may_create_tasks, may_log_work, may_see_customer,
};
use crate::auth::scope::{optional_scope_from_row, visible_scope};
use crate::auth::CurrentUser;
use crate::db::{now, Db, DbRow, Row};
use crate::error::{AppError, AppResult};
use crate::i18n::Key;
use crate::ids::{CustomerId, TaskId, UserId};
use crate::tasks::model::*;
use crate::users::service::load_assignee;
use sqlx::AnyConnection;

const TASK_SELECT: &str = "SELECT t.id, t.customer_id, t.title, t.assignee_id, t.due_at, t.status, t.source, \
     t.created_by, t.created_at, t.completed_at, a.name AS assignee_name, c.name AS customer_name, \
     c.level, c.owner_id, c.service_manager_id, c.team_id \
     FROM tasks t JOIN users a ON a.id = t.assignee_id LEFT JOIN customers c ON c.id = t.customer_id";

fn task_from_row(actor: &CurrentUser, r: &DbRow) -> AppResult<Task> {
    let scope = optional_scope_from_row(r)?;
    let visible = scope.as_ref().is_some_and(|s| may_see_customer(actor, s));
    let assignee = UserId(r.try_get("assignee_id")?);
    let created_by = r.try_get::<Option<i64>, _>("created_by")?.map(UserId);
    let status: String = r.try_get("status")?;
    let source: String = r.try_get("source")?;
    Ok(Task {
        id: TaskId(r.try_get("id")?),
        customer_id: r.try_get::<Option<i64>, _>("customer_id")?.map(CustomerId),
        customer_name: if visible {
            r.try_get("customer_name")?
        } else {
            None
        },
        title: r.try_get("title")?,
        assignee_id: assignee,
        assignee_name: r.try_get("assignee_name")?,
        due_at: r.try_get("due_at")?,
        status: TaskStatus::parse(&status).unwrap_or(TaskStatus::Open),
        source: TaskSource::parse(&source).unwrap_or(TaskSource::Manual),
        created_at: r.try_get("created_at")?,
        completed_at: r.try_get("completed_at")?,
        may_change: may_change_task(actor, assignee, created_by, scope.as_ref()),
    })
}

/// Creates a task on an open transaction, after checking that the actor may add work to
/// the customer and that the assignee may receive it.
pub async fn create_in(
    conn: &mut AnyConnection,
    db: &Db,
    actor: &CurrentUser,
    draft: &TaskDraft,
    source: TaskSource,
    source_id: Option<i64>,
) -> AppResult<TaskId> {
    if !may_create_tasks(actor) {
        return Err(AppError::Forbidden);
    }
    let scope = match draft.customer {
        Some(id) => {
            let scope = visible_scope(conn, actor, id).await?;
            if !may_log_work(actor, &scope) {
                return Err(AppError::Forbidden);
            }
            Some(scope)
        }
        None => None,
    };
    let assignee_id = draft.assignee.unwrap_or(actor.id);
    let assignee = load_assignee(db, assignee_id)
        .await?
        .ok_or_else(|| AppError::field("assignee", Key::ErrInvalidChoice))?;
    if !may_assign_task(actor, &assignee, scope.as_ref()) {
        return Err(AppError::field(
            "assignee",
            Key::ErrAssigneeCannotSeeCustomer,
        ));
    }
    let t = now();
    let id: i64 = sqlx::query(
        "INSERT INTO tasks (customer_id, title, assignee_id, due_at, status, source, source_id, created_by, created_at) \
         VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $8) RETURNING id",
    )
    .bind(draft.customer.map(|c| c.0))
    .bind(&draft.title)
    .bind(assignee_id.0)
    .bind(draft.due_at)
    .bind(source.as_str())
    .bind(source_id)
    .bind(actor.id.0)
    .bind(t)
    .fetch_one(&mut *conn)
    .await?
    .try_get("id")?;
    Ok(TaskId(id))
}

pub async fn create(
    db: &Db,
    actor: &CurrentUser,
    draft: &TaskDraft,
    source: TaskSource,
) -> AppResult<TaskId> {
    let mut tx = db.begin_write().await?;
    let id = create_in(&mut tx, db, actor, draft, source, None).await?;
    tx.commit().await?;
    Ok(id)
}

/// The open tasks assigned to the actor, soonest first.
pub async fn my_open_tasks(db: &Db, actor: &CurrentUser) -> AppResult<Vec<Task>> {
    let rows = sqlx::query(&format!(
        "{TASK_SELECT} WHERE t.assignee_id = $1 AND t.status = 'open' ORDER BY t.due_at, t.id LIMIT 500"
    ))
    .bind(actor.id.0)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(|r| task_from_row(actor, r)).collect()
}

/// Tasks the actor finished in the last seven days, newest first.
pub async fn my_recently_done(db: &Db, actor: &CurrentUser) -> AppResult<Vec<Task>> {
    let rows = sqlx::query(&format!(
        "{TASK_SELECT} WHERE t.assignee_id = $1 AND t.status = 'done' AND t.completed_at >= $2 \
         ORDER BY t.completed_at DESC LIMIT 50"
    ))
    .bind(actor.id.0)
    .bind(now() - 7 * 86_400)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(|r| task_from_row(actor, r)).collect()
}

/// Overdue and due-today counts of the actor's open tasks, on their calendar.
pub async fn counts(db: &Db, actor: &CurrentUser, offset_minutes: i64) -> AppResult<TaskCounts> {
    let t = now();
    // Everything due before the end of the user's day: overdue or today.
    let end_of_day =
        (crate::dates::local_day(t, offset_minutes) + 1) * 86_400 - offset_minutes * 60;
    let rows = sqlx::query(
        "SELECT due_at FROM tasks WHERE assignee_id = $1 AND status = 'open' AND due_at < $2",
    )
    .bind(actor.id.0)
    .bind(end_of_day)
    .fetch_all(&db.pool)
    .await?;
    let due: Vec<i64> = rows
        .iter()
        .map(|r| r.try_get("due_at"))
        .collect::<Result<_, _>>()?;
    Ok(TaskCounts::of(&due, t, offset_minutes))
}

/// The open tasks of one customer, for its page.
pub async fn open_for_customer(
    db: &Db,
    actor: &CurrentUser,
    customer: CustomerId,
) -> AppResult<Vec<Task>> {
    let mut conn = db.pool.acquire().await?;
    let _scope = visible_scope(&mut conn, actor, customer).await?;
    let rows = sqlx::query(&format!(
        "{TASK_SELECT} WHERE t.customer_id = $1 AND t.status = 'open' ORDER BY t.due_at, t.id LIMIT 200"
    ))
    .bind(customer.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| task_from_row(actor, r)).collect()
}

/// Marks a task done, cancelled, or open again.
pub async fn set_status(
    db: &Db,
    actor: &CurrentUser,
    id: TaskId,
    status: TaskStatus,
) -> AppResult<()> {
    let mut tx = db.begin_write().await?;
    let row = sqlx::query(&format!("{TASK_SELECT} WHERE t.id = $1"))
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound)?;
    let task = task_from_row(actor, &row)?;
    let scope = optional_scope_from_row(&row)?;
    let sees = task.assignee_id == actor.id
        || scope.as_ref().is_some_and(|s| may_see_customer(actor, s))
        || task.may_change;
    if !sees {
        return Err(AppError::NotFound);
    }
    if !task.may_change {
        return Err(AppError::Forbidden);
    }
    if task.status == status {
        return Ok(());
    }
    let completed = (status == TaskStatus::Done).then(now);
    sqlx::query("UPDATE tasks SET status = $1, completed_at = $2 WHERE id = $3")
        .bind(status.as_str())
        .bind(completed)
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        Some(actor.id),
        Change::new("task", id.0, "status")
            .on_field("status")
            .values(
                Some(task.status.as_str().into()),
                Some(status.as_str().into()),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
