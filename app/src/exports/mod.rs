//! CSV exports of what the user may see, safe to open in a spreadsheet.

#[cfg(feature = "ssr")]
pub mod http;
#[cfg(feature = "ssr")]
pub mod service;
