//! The persisted state in one namespaced, versioned localStorage record, with a memory
//! fallback when storage is unavailable or throws (Safari with cookies blocked,
//! sandboxed iframes, quota). Writes happen only when the text changed, and never before
//! consent when consent is required.

use wasm_bindgen::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

use crate::core::state::State;

#[wasm_bindgen]
extern "C" {
    /// `Storage.setItem` with the value already a JS string (the record is copied out
    /// of wasm once, for both the write and the later comparison).
    type RawStorage;
    #[wasm_bindgen(method, catch, js_name = setItem)]
    fn set_item_js(this: &RawStorage, key: &JsValue, value: &JsValue) -> Result<(), JsValue>;
    /// `Storage.getItem`, the text left in JS.
    #[wasm_bindgen(method, catch, js_name = getItem)]
    fn get_item_js(this: &RawStorage, key: &JsValue) -> Result<JsValue, JsValue>;
}

pub struct Store {
    key: String,
    storage: Option<web_sys::Storage>,
    /// The last text written or read, so unchanged state is never written again and
    /// another tab's write is noticed. Kept as a JS string too: comparing in JS avoids
    /// copying the stored text into wasm when nothing changed.
    last: String,
    last_js: JsValue,
    /// `key` as a JS string, made once.
    key_js: JsValue,
    failed: bool,
    /// The full record did not fit but the essentials did: only they are written.
    compact: bool,
    warned_compact: bool,
    /// Writing is allowed (false until consent when consent is required).
    allowed: bool,
}

impl Store {
    pub fn open(prefix: &str) -> Store {
        // `window.localStorage` itself can throw (SecurityError): probe once.
        let storage = web_sys::window().and_then(|w| w.local_storage().ok().flatten());
        let key = format!("{prefix}:state");
        Store {
            key_js: JsValue::from_str(&key),
            key,
            storage,
            last: String::new(),
            last_js: JsValue::NULL,
            failed: false,
            compact: false,
            warned_compact: false,
            allowed: true,
        }
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn set_allowed(&mut self, allowed: bool) {
        self.allowed = allowed;
    }

    /// Whether a save would reach storage.
    pub fn writable(&self) -> bool {
        self.allowed && self.storage.is_some() && !self.failed
    }

    /// Whether the state lives in memory only.
    pub fn memory_only(&self) -> bool {
        !self.writable()
    }

    /// The stored text. Storage that throws on read is not written either (a record we
    /// cannot read may hold the visitor's choices): memory only, with one warning.
    fn read_text(&mut self) -> Option<String> {
        let st = self.storage.as_ref()?;
        match st.get_item(&self.key) {
            Ok(text) => text,
            Err(_) => {
                self.stop_writing(
                    "localStorage cannot be read; keeping state in memory for this page",
                );
                None
            }
        }
    }

    fn stop_writing(&mut self, why: &str) {
        if !self.failed {
            self.failed = true;
            super::env::warn(why);
        }
    }

    /// The stored text as a JS string, without copying it into wasm. Storage that
    /// failed is not read again (no storage call per event after a failure).
    fn read_js(&self) -> Option<JsValue> {
        if self.failed {
            return None;
        }
        self.storage
            .as_ref()?
            .unchecked_ref::<RawStorage>()
            .get_item_js(&self.key_js)
            .ok()
            .filter(|v| !v.is_null())
    }

    /// Parses a stored record. One written by a newer cuekit is read for the visitor's
    /// choices but never overwritten (this page keeps its changes in memory).
    fn parse(&mut self, text: &str, now: u64) -> (State, bool) {
        let stored = State::read(text, now);
        if stored.newer {
            self.stop_writing(
                "the stored record was written by a newer cuekit; it is read, not overwritten (memory only)",
            );
        }
        (stored.state, stored.repaired)
    }

    /// Reads the stored state; anything unreadable gives a fresh state.
    pub fn load(&mut self, now: u64) -> (State, bool) {
        let Some(text) = self.read_text() else {
            return (State::default(), false);
        };
        let out = self.parse(&text, now);
        self.last_js = JsValue::from_str(&text);
        self.last = text;
        out
    }

    /// What another tab stored since our last read or write, if anything.
    pub fn peek(&mut self, now: u64) -> Option<State> {
        let js = self.read_js()?;
        if js == self.last_js {
            return None;
        }
        let text = js.as_string()?;
        let (state, _) = self.parse(&text, now);
        self.last = text;
        self.last_js = js;
        Some(state)
    }

    /// Another tab's write, from a `storage` event.
    pub fn incoming(
        &mut self,
        key: Option<String>,
        text: Option<String>,
        now: u64,
    ) -> Option<State> {
        if key.as_deref() != Some(self.key.as_str()) {
            return None;
        }
        let text = text?;
        if text == self.last {
            return None;
        }
        let (state, _) = self.parse(&text, now);
        self.last_js = JsValue::from_str(&text);
        self.last = text;
        Some(state)
    }

    /// Writes the state if its text changed. When the full record does not fit (the
    /// quota, shared with the host page, is nearly used up), `essentials` is written
    /// instead, and from then on (the visitor's choices always fit); when even that
    /// fails, the page switches to memory, once.
    pub fn save(&mut self, full: String, essentials: impl FnOnce() -> String) {
        if !self.writable() {
            return;
        }
        if !self.compact {
            if self.write(full) {
                return;
            }
            self.compact = true;
        }
        if !self.write(essentials()) {
            self.stop_writing("localStorage write failed; keeping state in memory for this page");
        } else if !self.warned_compact {
            self.warned_compact = true;
            super::env::warn(
                "localStorage is nearly full: the visitor's choices are stored, attributes and pattern progress only in memory for this page",
            );
        }
    }

    /// Writes the record that says consent was withdrawn: the one write allowed without
    /// consent (it holds no identifier and no data, and stops every other tab from
    /// writing back what was erased).
    pub fn save_withdrawal(&mut self, text: String) {
        if self.storage.is_some() && !self.failed {
            self.write(text);
        }
    }

    /// Writes `text` unless storage already holds it; false when `setItem` threw.
    fn write(&mut self, text: String) -> bool {
        let Some(st) = &self.storage else {
            return false;
        };
        if text == self.last {
            return true;
        }
        let js = JsValue::from_str(&text);
        if st
            .unchecked_ref::<RawStorage>()
            .set_item_js(&self.key_js, &js)
            .is_err()
        {
            return false;
        }
        self.last = text;
        self.last_js = js;
        true
    }

    /// Erases the stored record (consent withdrawn, `forget()`).
    pub fn clear(&mut self) {
        if let Some(st) = &self.storage {
            let _ = st.remove_item(&self.key);
        }
        self.last.clear();
        self.last_js = JsValue::NULL;
    }
}
