//! Two-level tier management (PRODUCT.md §3): periodic re-evaluation of level and grade
//! from the customer's value, the proposal queue, approval as a hand-over between managers,
//! and the per-manager workload page. Notes on a customer are `notes/`.

pub mod api;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod workload;
