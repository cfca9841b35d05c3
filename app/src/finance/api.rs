use crate::error::AppError;
use crate::finance::model::{ContractInput, CreditOverrideInput, FinanceOverview, PaymentInput};
use crate::ids::{ContractId, CustomerId, PaymentId};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::auth::session::require_user;
    pub use crate::finance::model::*;
    pub use crate::finance::service;
    pub use crate::state::app_state;

    /// Today on the user's calendar.
    pub fn today() -> i64 {
        crate::dates::local_day(crate::db::now(), crate::dates::user_offset_minutes())
    }
}

/// `None` when the viewer may see the customer but not its financial records.
#[server(endpoint = "finance/overview")]
pub async fn customer_finance(customer: CustomerId) -> Result<Option<FinanceOverview>, AppError> {
    use ssr::*;
    let user = require_user().await?;
    service::overview(&app_state()?.db, &user, customer).await
}

#[server(endpoint = "finance/contracts/add")]
pub async fn add_contract(
    customer: CustomerId,
    input: ContractInput,
) -> Result<ContractId, AppError> {
    use ssr::*;
    let user = require_user().await?;
    let draft = ContractDraft::parse(&input)?;
    service::add_contract(&app_state()?.db, &user, customer, &draft).await
}

#[server(endpoint = "finance/contracts/status")]
pub async fn set_contract_status(id: ContractId, status: String) -> Result<(), AppError> {
    use ssr::*;
    let user = require_user().await?;
    let status = ContractStatus::parse(&status)
        .ok_or_else(|| AppError::field("status", crate::i18n::Key::ErrInvalidChoice))?;
    service::set_contract_status(&app_state()?.db, &user, id, status).await
}

#[server(endpoint = "finance/payments/add")]
pub async fn add_payment(customer: CustomerId, input: PaymentInput) -> Result<PaymentId, AppError> {
    use ssr::*;
    let user = require_user().await?;
    let draft = PaymentDraft::parse(&input, today())?;
    service::add_payment(&app_state()?.db, &user, customer, &draft).await
}

/// `paid` is an ISO date; empty clears it.
#[server(endpoint = "finance/payments/paid")]
pub async fn mark_payment_paid(id: PaymentId, paid: String) -> Result<(), AppError> {
    use ssr::*;
    let user = require_user().await?;
    let paid_day = if paid.trim().is_empty() {
        None
    } else {
        match crate::dates::parse_date(&paid) {
            Some(d) if d <= today() + 1 => Some(d),
            Some(_) => return Err(AppError::field("paid", crate::i18n::Key::ErrInFuture)),
            None => return Err(AppError::field("paid", crate::i18n::Key::ErrInvalidDate)),
        }
    };
    service::set_paid(&app_state()?.db, &user, id, paid_day).await
}

#[server(endpoint = "finance/credit/override")]
pub async fn override_credit(
    customer: CustomerId,
    input: CreditOverrideInput,
) -> Result<(), AppError> {
    use ssr::*;
    let user = require_user().await?;
    let o = CreditOverride::parse(&input)?;
    service::override_credit(&app_state()?.db, &user, customer, &o).await
}
