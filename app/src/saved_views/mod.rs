//! Named customer-list queries, private or shared with the owner's team.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
