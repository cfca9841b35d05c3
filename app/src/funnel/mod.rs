//! The customer funnel: acquired → converted → retained → expanded, by acquisition
//! cohort (PRODUCT.md §5).

pub mod api;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
