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

/// Tags, assigns or un-tags the selected customers, then returns to the list saying how
/// many changed and how many were refused; or downloads exactly the selected ones.
#[server(endpoint = "customers/bulk")]
pub async fn bulk_customers(input: BulkInput) -> Result<BulkOutcome, AppError> {
    use crate::customers::model::{bulk_export_url, bulk_return_url, parse_bulk, parse_bulk_ids};
    use ssr::*;
    let user = require_user().await?;
    if input.op == "export" {
        // The download checks for itself which of them the user may see.
        let ids = parse_bulk_ids(&input.ids)?;
        leptos_axum::redirect(&bulk_export_url(&ids));
        return Ok(BulkOutcome::default());
    }
    let (ids, command) = parse_bulk(&input)?;
    let outcome = crate::customers::bulk::apply(&app_state()?.db, &user, &ids, &command).await?;
    leptos_axum::redirect(&bulk_return_url(&input.list, outcome));
    Ok(outcome)
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use leptos::server_fn::codec::{FromReq, PostUrl};

    /// The bulk arguments as the server function reads a form post.
    async fn posted(body: &str) -> BulkInput {
        let req = http::Request::post("/api/customers/bulk")
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(axum::body::Body::from(body.to_string()))
            .unwrap();
        let args = <BulkCustomers as FromReq<PostUrl, http::Request<axum::body::Body>, AppError>>::from_req(req);
        args.await.unwrap().input
    }

    #[tokio::test]
    async fn bulk_ids_come_from_one_box_per_row_or_one_text() {
        let boxes = posted("input%5Bids%5D%5B%5D=3&input%5Bids%5D%5B%5D=5&input%5Bop%5D=tag_add&input%5Btag%5D=vip").await;
        assert_eq!(boxes.ids, "3,5");
        assert_eq!(boxes.op, "tag_add");
        let text = posted("input%5Bids%5D=3%2C5&input%5Bop%5D=assign").await;
        assert_eq!(text.ids, "3,5");
        let none = posted("input%5Bop%5D=export&input%5Blist%5D=grade%3Dvip").await;
        assert_eq!((none.ids.as_str(), none.list.as_str()), ("", "grade=vip"));
    }
}
