//! Who is signed in, what their role allows, and the sessions that carry them.

pub mod api;
pub mod model;
pub mod pages;
pub mod permissions;
#[cfg(feature = "ssr")]
pub mod scope;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod session;

pub use model::{CurrentUser, Role};
