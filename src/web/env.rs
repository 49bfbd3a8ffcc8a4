//! What every browser module needs and nothing else: the clock, the console warning,
//! random ids and JS errors as text. A leaf: it uses no other module of `web` but the
//! catching host helpers, so nothing imports in a circle through it.

use wasm_bindgen::{JsCast, JsValue};

/// The wall clock in ms (0 when the page's `Date.now` is broken).
pub fn now() -> u64 {
    let t = js_sys::Date::now();
    if t.is_finite() && t > 0.0 {
        t as u64
    } else {
        0
    }
}

pub fn warn(msg: &str) {
    super::host::warn(
        &JsValue::from_str(&format!("[cuekit] {msg}")),
        &JsValue::UNDEFINED,
    );
}

/// A random id in the form of a version-4 UUID, from `crypto.getRandomValues()` (present
/// in every context, unlike `crypto.randomUUID()`, which plain-http pages lack), else
/// `Math.random`.
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        for b in &mut bytes {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let mut s = String::with_capacity(36);
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        for d in [b >> 4, b & 0x0f] {
            s.push(char::from_digit(u32::from(d), 16).unwrap_or('0'));
        }
    }
    s
}

/// A JS error as text.
pub fn js_error(e: &JsValue) -> String {
    // An Error (a TypeError from JSON.stringify, a DOMException): its message, since
    // JSON.stringify of an Error is "{}".
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return err.message().into();
    }
    e.as_string()
        .or_else(|| js_sys::JSON::stringify(e).ok().and_then(|s| s.as_string()))
        .unwrap_or_else(|| "unknown error".into())
}
