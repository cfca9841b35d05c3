//! The audit log: who changed what, when, from what to what. Written in the same
//! transaction as the change it records; readable by admins.

pub mod api;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
