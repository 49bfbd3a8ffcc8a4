//! The browser boundary (compiled for wasm32 only): listeners turn DOM events into
//! signals, the runtime feeds them to the core and applies what it decides (render,
//! host calls, webhooks, storage). Modules import in one direction, leaves first
//! (`tests/web_layers.rs` checks there is no circle):
//!
//! - leaves: `host` (DOM calls that catch what the page throws), `env` (clock, console
//!   warnings, random ids, JS errors as text), `dom` (RAII listeners and timers);
//! - `convert`, `page`, `storage`, `webhook`, `render`, `reentry`: one job each, on the
//!   leaves only;
//! - `runtime`: the instance, over all of the above; `listeners` over the runtime.
pub mod convert;
pub mod dom;
pub mod env;
pub mod host;
pub mod listeners;
pub mod page;
pub mod reentry;
pub mod render;
pub mod runtime;
pub mod storage;
pub mod webhook;
