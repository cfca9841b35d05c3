//! One timeline per customer, newest first: activities, orders, payments, contract
//! changes, tasks and field changes from the audit log, filterable by kind and paged by
//! keyset. Later record types (feedback, complaints, lifecycle and tier changes) add a
//! branch to the query in `service.rs` and a variant to [`model::TimelineBody`].

pub mod api;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
