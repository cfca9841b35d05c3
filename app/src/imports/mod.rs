//! CSV import of customers, contacts, orders and activities: upload, column mapping with
//! a preview, per-row validation and report, all-or-nothing write, progress.

#[cfg(feature = "ssr")]
mod activities;
pub mod api;
#[cfg(feature = "ssr")]
mod contacts;
#[cfg(feature = "ssr")]
pub mod csv;
#[cfg(feature = "ssr")]
mod customers;
#[cfg(feature = "ssr")]
pub mod jobs;
pub mod model;
#[cfg(feature = "ssr")]
mod orders;
pub mod pages;
#[cfg(feature = "ssr")]
mod run;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod upload;
