//! The browser boundary: the only place that touches window/document.
pub mod convert;
pub mod dom;
pub mod host;
pub mod listeners;
pub mod page;
pub mod reentry;
pub mod render;
pub mod runtime;
pub mod storage;
pub mod webhook;
