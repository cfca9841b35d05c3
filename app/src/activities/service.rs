use crate::activities::model::*;
use crate::auth::permissions::may_log_work;
use crate::auth::scope::visible_scope;
use crate::auth::CurrentUser;
use crate::db::{now, Db, Row};
use crate::error::{AppError, AppResult};
use crate::ids::{ActivityId, CustomerId};
use crate::tasks::model::{TaskDraft, TaskSource};

/// Logs an activity by the actor and, when asked, the follow-up task from its next step,
/// both or neither.
pub async fn log(
    db: &Db,
    actor: &CurrentUser,
    customer: CustomerId,
    draft: &ActivityDraft,
) -> AppResult<Logged> {
    let mut tx = db.begin_write().await?;
    let scope = visible_scope(&mut tx, actor, customer).await?;
    if !may_log_work(actor, &scope) {
        return Err(AppError::Forbidden);
    }
    let id: i64 = sqlx::query(
        "INSERT INTO activities (customer_id, user_id, kind, happened_at, summary, outcome, next_step, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(customer.0)
    .bind(actor.id.0)
    .bind(draft.kind.as_str())
    .bind(draft.happened_at)
    .bind(&draft.summary)
    .bind(&draft.outcome)
    .bind(&draft.next_step)
    .bind(now())
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    let task = match (&draft.follow_up, &draft.next_step) {
        (Some(f), Some(step)) => {
            let task = TaskDraft {
                customer: Some(customer),
                title: step.clone(),
                assignee: f.assignee,
                due_at: f.due_at,
            };
            Some(
                crate::tasks::service::create_in(
                    &mut tx,
                    db,
                    actor,
                    &task,
                    TaskSource::Activity,
                    Some(id),
                )
                .await?,
            )
        }
        _ => None,
    };
    tx.commit().await?;
    Ok(Logged {
        activity: ActivityId(id),
        task,
    })
}
