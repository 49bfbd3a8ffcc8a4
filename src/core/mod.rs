//! The pure core: no browser crates, deterministic (time and randomness are arguments).
pub mod condition;
pub mod config;
pub mod engine;
pub mod reader;
pub mod regex;
pub mod state;
pub mod value;
