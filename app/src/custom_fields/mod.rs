//! Admin-defined custom fields: definitions, customer values, the admin page.

pub mod api;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
