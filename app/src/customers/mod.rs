//! The customer archive: list, search, create, edit, contacts, tags, owner and service
//! manager assignment.

pub mod api;
#[cfg(feature = "ssr")]
pub mod bulk;
#[cfg(feature = "ssr")]
pub mod contacts;
pub mod detail;
pub mod filter;
pub mod form;
#[cfg(feature = "ssr")]
pub mod listing;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod tags;
