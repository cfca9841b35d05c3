//! Segments: saved, dynamic rules over customer attributes and behaviour (PRODUCT.md §4),
//! with a live count, member lists, export and task batches.

pub mod api;
pub mod check;
pub mod editor;
pub mod eval;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod sql;
