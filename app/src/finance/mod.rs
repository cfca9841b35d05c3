//! Contracts, payments and the credit rating derived from payment history. Tier-2
//! managers never see any of it on level-1 accounts (permissions::may_see_financials).

pub mod api;
pub mod credit;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
