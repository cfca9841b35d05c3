use crate::error::AppError;
use crate::ids::{CustomerId, TaskId};
use crate::tasks::model::{Task, TaskCounts, TaskInput};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::auth::session::require_user;
    pub use crate::dates::user_offset_minutes;
    pub use crate::state::app_state;
    pub use crate::tasks::model::{TaskDraft, TaskSource};
    pub use crate::tasks::service;
}

/// The "my work" page: open tasks soonest first, and what was finished this week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MyWork {
    pub open: Vec<Task>,
    pub recently_done: Vec<Task>,
}

#[server(endpoint = "tasks/mine")]
pub async fn load_my_work() -> Result<MyWork, AppError> {
    use ssr::*;
    let user = require_user().await?;
    let db = &app_state()?.db;
    Ok(MyWork {
        open: service::my_open_tasks(db, &user).await?,
        recently_done: service::my_recently_done(db, &user).await?,
    })
}

#[server(endpoint = "tasks/counts")]
pub async fn my_task_counts() -> Result<TaskCounts, AppError> {
    use ssr::*;
    let user = require_user().await?;
    service::counts(&app_state()?.db, &user, user_offset_minutes()).await
}

#[server(endpoint = "tasks/for-customer")]
pub async fn customer_open_tasks(customer: CustomerId) -> Result<Vec<Task>, AppError> {
    use ssr::*;
    let user = require_user().await?;
    service::open_for_customer(&app_state()?.db, &user, customer).await
}

#[server(endpoint = "tasks/create")]
pub async fn create_task(input: TaskInput) -> Result<TaskId, AppError> {
    use ssr::*;
    let user = require_user().await?;
    let draft = TaskDraft::parse(&input, user_offset_minutes())?;
    service::create(&app_state()?.db, &user, &draft, TaskSource::Manual).await
}

#[server(endpoint = "tasks/status")]
pub async fn set_task_status(id: TaskId, status: String) -> Result<(), AppError> {
    use ssr::*;
    let user = require_user().await?;
    let status = crate::tasks::model::TaskStatus::parse(&status)
        .ok_or_else(|| AppError::field("status", crate::i18n::Key::ErrInvalidChoice))?;
    service::set_status(&app_state()?.db, &user, id, status).await
}
