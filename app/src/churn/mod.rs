//! The explainable churn early warning (PRODUCT.md §5): a risk score with its reasons in
//! words and figures, warning episodes with one follow-up task each, the daily scan under
//! an exclusive job lease, the at-risk list and the card on the customer page.

pub mod api;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
