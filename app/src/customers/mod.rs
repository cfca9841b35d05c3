//! The customer archive: list, search, create, edit, contacts, tags, owner and service
//! manager assignment.

pub mod api;
#[cfg(feature = "ssr")]
pub mod bulk;
pub mod detail;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
