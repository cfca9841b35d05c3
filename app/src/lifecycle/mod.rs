//! Computed customer lifecycle (PRODUCT.md §5): stages replayed from orders into dated
//! spans, the lifecycle page, its export and the stage shown across the app.

pub mod api;
#[cfg(feature = "ssr")]
pub mod http;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod sql;
