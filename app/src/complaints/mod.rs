//! Complaints: opened by a feedback rule or by hand, worked through received → classified
//! → in progress → resolved → closed with deadlines by severity.

pub mod api;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
