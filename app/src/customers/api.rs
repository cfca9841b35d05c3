use crate::customers::filter::{CustomerFilter, CustomerPage};
use crate::customers::model::{BulkInput, BulkOutcome, ContactInput, Customer, CustomerInput, Tag};
use crate::error::AppError;
use crate::ids::{ContactId, CustomerId};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::auth::session::require_user;
    pub use crate::customers::filter::ParsedFilter;
    pub use crate::customers::model::ContactDraft;
    pub use crate::customers::{contacts, listing, service, tags};
    pub use crate::state::app_state;
}

#[server(endpoint = "customers/list")]
pub async fn list_customers(filter: CustomerFilter) -> Result<CustomerPage, AppError> {
    use ssr::*;
    let user = require_user().await?;
    let filter = ParsedFilter::try_from(&filter)?;
    let db = &app_state()?.db;
    let conditions = crate::segments::service::list_conditions(db, &user, &filter).await?;
    listing::list(db, &user, &filter, &conditions).await
}

#[server(endpoint = "customers/get")]
pub async fn get_customer(id: CustomerId) -> Result<Customer, AppError> {
    use ssr::*;
    let user = require_user().await?;
    let result = service::get(&app_state()?.db, &user, id).await;
    // Rendering the customer page calls this directly, not over HTTP, so the error's
    // own status (set for HTTP calls in `AppError::ser`) must be given to the page here.
    if matches!(result, Err(AppError::NotFound)) {
        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
            res.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    result
}

#[server(endpoint = "customers/create")]
pub async fn create_customer(input: CustomerInput) -> Result<CustomerId, AppError> {
    use ssr::*;
    let user = require_user().await?;
    let draft = service::parse_draft(&input)?;
    let id = service::create(&app_state()?.db, &user, draft).await?;
    leptos_axum::redirect(&format!("/customers/{id}"));
    Ok(id)
}

#[server(endpoint = "customers/update")]
pub async fn update_customer(id: CustomerId, input: CustomerInput) -> Result<CustomerId, AppError> {
    use ssr::*;
    let user = require_user().await?;
    let draft = service::parse_draft(&input)?;
    service::update(&app_state()?.db, &user, id, draft).await?;
    leptos_axum::redirect(&format!("/customers/{id}"));
    Ok(id)
}

#[server(endpoint = "customers/delete")]
pub async fn delete_customer(id: CustomerId) -> Result<(), AppError> {
    use ssr::*;
    let user = require_user().await?;
    service::delete(&app_state()?.db, &user, id).await?;
    leptos_axum::redirect("/customers");
    Ok(())
}

#[server(endpoint = "customers/contacts/add")]
pub async fn add_contact(customer: CustomerId, input: ContactInput) -> Result<ContactId, AppError> {
    use ssr::*;
    let user = require_user().await?;
    let draft = ContactDraft::try_from(&input)?;
    contacts::add_contact(&app_state()?.db, &user, customer, draft).await
}

#[server(endpoint = "customers/contacts/remove")]
pub async fn remove_contact(id: ContactId) -> Result<(), AppError> {
    use ssr::*;
    let user = require_user().await?;
    contacts::remove_contact(&app_state()?.db, &user, id).await
}

#[server(endpoint = "tags/list")]
pub async fn list_tags() -> Result<Vec<Tag>, AppError> {
    use ssr::*;
    require_user().await?;
    tags::list_tags(&app_state()?.db).await
}

/// Groups, for the list filter.
#[server(endpoint = "groups/list")]
pub async fn list_groups() -> Result<Vec<(i64, String)>, AppError> {
    use ssr::*;
    require_user().await?;
    let groups = tags::list_groups(&app_state()?.db).await?;
    Ok(groups.into_iter().map(|g| (g.id, g.name)).collect())
}

/// Tags, assigns or un-tags the selected customers; reports changed and refused counts.
#[server(endpoint = "customers/bulk")]
pub async fn bulk_customers(input: BulkInput) -> Result<BulkOutcome, AppError> {
    use ssr::*;
    let user = require_user().await?;
    let (ids, command) = crate::customers::model::parse_bulk(&input)?;
    crate::customers::bulk::apply(&app_state()?.db, &user, &ids, &command).await
}
