//! The interaction log: calls, meetings, visits, e-mails, messages and notes. Logging one
//! with a next step offers the follow-up task in the same step.

pub mod api;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
