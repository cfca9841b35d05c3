//! RFM scores, named RFM segments and the customer value score (PRODUCT.md §4).

pub mod api;
#[cfg(feature = "ssr")]
pub mod http;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod runs;
#[cfg(feature = "ssr")]
pub mod service;
pub mod value;
