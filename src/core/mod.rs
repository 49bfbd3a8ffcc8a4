//! The pure core: no browser crates, deterministic (time and randomness are arguments).
pub mod caps;
pub mod condition;
pub mod config;
pub mod engine;
pub mod experiment;
pub mod gesture;
pub mod json;
pub mod reader;
pub mod regex;
pub mod segment;
pub mod state;
pub mod stats;
pub mod template;
pub mod url;
pub mod value;
