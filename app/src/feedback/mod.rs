//! Feedback forms: the builder and analysis (staff), the public page `/f/<slug>`
//! (customers, no login), personal links, and durable answer storage.

#[cfg(feature = "ssr")]
pub mod analysis;
pub mod analysis_page;
#[cfg(feature = "ssr")]
pub mod answers;
pub mod api;
pub mod editor;
#[cfg(feature = "ssr")]
pub mod forms;
#[cfg(feature = "ssr")]
pub mod http;
#[cfg(feature = "ssr")]
pub mod limits;
#[cfg(feature = "ssr")]
pub mod links;
pub mod links_panel;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod public;
#[cfg(feature = "ssr")]
mod public_page;
#[cfg(feature = "ssr")]
pub mod writer;
