//! Feedback forms: the builder and analysis (staff), the public page `/f/<slug>`
//! (customers, no login), personal links, and durable answer storage.

pub mod analysis_page;
pub mod api;
#[cfg(feature = "ssr")]
pub mod http;
#[cfg(feature = "ssr")]
pub mod limits;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod public;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod writer;
