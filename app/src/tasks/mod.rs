//! Follow-up tasks and reminders: created by hand, from an activity's next step, and
//! later by churn warnings, lifecycle rules, complaint deadlines and hand-overs. The
//! "my work" page and the live due/overdue count in the navigation live here.

pub mod api;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
