//! The `rapport` server: configuration, the HTTP stack around the Leptos app, and the
//! operator commands (migrate, create-admin, demo, backup).

pub mod assets;
pub mod backup;
pub mod config;
pub mod demo;
pub mod web;
