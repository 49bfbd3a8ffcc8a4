//! The persisted state in localStorage, with a memory fallback when storage is
//! unavailable or throws (Safari with cookies blocked, sandboxed iframes, quota).

use wasm_bindgen::JsValue;

use crate::core::state::State;
use crate::core::value::Value;

use super::convert::{from_js, to_js};

pub struct Store {
    key: String,
    storage: Option<web_sys::Storage>,
    /// The last text written or read, so unchanged state is never written again.
    last: String,
    failed: bool,
}

impl Store {
    pub fn open(prefix: &str) -> Store {
        // `window.localStorage` itself can throw (SecurityError): probe once.
        let storage = web_sys::window().and_then(|w| w.local_storage().ok().flatten());
        Store {
            key: format!("{prefix}:state"),
            storage,
            last: String::new(),
            failed: false,
        }
    }

    pub fn available(&self) -> bool {
        self.storage.is_some() && !self.failed
    }

    /// Reads the stored state; anything unreadable gives a fresh state.
    pub fn load(&mut self, now: u64) -> (State, bool) {
        let Some(st) = &self.storage else {
            return (State::default(), false);
        };
        let text = match st.get_item(&self.key) {
            Ok(Some(t)) => t,
            _ => return (State::default(), false),
        };
        let parsed = js_sys::JSON::parse(&text)
            .ok()
            .and_then(|j| from_js(&j).ok())
            .unwrap_or(Value::Null);
        self.last = text;
        State::from_value(&parsed, now)
    }

    /// Writes the state if its text changed. Failures switch to memory-only, once.
    pub fn save(&mut self, state: &State) {
        if self.failed {
            return;
        }
        let Some(st) = &self.storage else {
            return;
        };
        let js = to_js(&state.to_value());
        let Some(text) = js_sys::JSON::stringify(&js)
            .ok()
            .and_then(|s| s.as_string())
        else {
            return;
        };
        if text == self.last {
            return;
        }
        if st.set_item(&self.key, &text).is_err() {
            self.failed = true;
            super::runtime::warn(
                "localStorage write failed; keeping state in memory for this page",
            );
            return;
        }
        self.last = text;
    }

    pub fn clear(&mut self) {
        if let Some(st) = &self.storage {
            let _ = st.remove_item(&self.key);
        }
        self.last.clear();
    }
}

/// A random visitor id: `crypto.randomUUID()` where present, else `Math.random`.
pub fn random_id() -> String {
    let uuid = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .map(|c| c.random_uuid());
    if let Some(id) = uuid {
        return id;
    }
    let mut s = String::with_capacity(32);
    for _ in 0..32 {
        let d = (js_sys::Math::random() * 16.0) as u32;
        s.push(char::from_digit(d.min(15), 16).unwrap_or('0'));
    }
    s
}

pub fn js_error(e: &JsValue) -> String {
    e.as_string()
        .or_else(|| js_sys::JSON::stringify(e).ok().and_then(|s| s.as_string()))
        .unwrap_or_else(|| "unknown error".into())
}
