//! Duplicate finder (same e-mail, same phone, near-identical name) and the merge of two
//! customers into one.

pub mod api;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
