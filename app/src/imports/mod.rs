//! CSV import of customers, contacts, orders and activities: upload, column mapping with
//! a preview, per-row validation and report, all-or-nothing write, progress.

pub mod api;
#[cfg(feature = "ssr")]
pub mod jobs;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod upload;
