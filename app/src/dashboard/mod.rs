//! Aggregate figures: what every role, viewers included, may see.

pub mod api;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
