//! The notes thread's server functions: thin wrappers over `notes::service`.

use crate::error::AppError;
use crate::ids::CustomerId;
use crate::notes::model::NotesThread;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::auth::session::require_user;
    pub use crate::notes::service;
    pub use crate::state::app_state;
}

#[server(endpoint = "notes/list")]
pub async fn customer_notes(customer: CustomerId) -> Result<NotesThread, AppError> {
    use ssr::*;
    let user = require_user().await?;
    service::thread(&app_state()?.db, &user, customer).await
}

#[server(endpoint = "notes/add")]
pub async fn add_customer_note(customer: CustomerId, body: String) -> Result<i64, AppError> {
    use ssr::*;
    let user = require_user().await?;
    service::add(&app_state()?.db, &user, customer, &body).await
}
