//! Internal notes on a customer: a thread newest first, written by those who may work on
//! the customer; a tier decision's note shows the hand-over it came with.

pub mod api;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
