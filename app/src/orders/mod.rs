//! Purchase history: orders with date, amount, currency, product, category and channel.

pub mod api;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod recency;
#[cfg(feature = "ssr")]
pub mod service;
