//! `Value` ⇄ `JsValue` as one JSON string: the browser's `JSON.stringify`/`JSON.parse`
//! on the JS side and `core::json` on ours. One string crossing the boundary is much
//! cheaper than building objects field by field. `JSON.stringify` also gives host data
//! the web's usual meaning: `toJSON` is honoured, functions and `undefined` are dropped,
//! cycles and BigInts are errors.

use wasm_bindgen::JsValue;

use crate::core::json;
use crate::core::value::Value;

/// Longest JSON text accepted from the host (config, event properties, attributes).
const MAX_INPUT: usize = 1 << 20;

/// Converts host data.
pub fn from_js(v: &JsValue) -> Result<Value, String> {
    match stringify(v)? {
        Some(text) => from_json(&text),
        None => Ok(Value::Null),
    }
}

/// `JSON.stringify(v)`; `None` for `undefined` and `null`.
fn stringify(v: &JsValue) -> Result<Option<String>, String> {
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    js_sys::JSON::stringify(v)
        .map_err(|e| super::env::js_error(&e))?
        .as_string()
        .map(Some)
        .ok_or_else(|| String::from("not representable as JSON"))
}

/// Reads host data already made JSON text (by the JS wrapper).
pub fn from_json(text: &str) -> Result<Value, String> {
    json::parse(within_limit(text)?)
}

fn within_limit(text: &str) -> Result<&str, String> {
    if text.len() > MAX_INPUT {
        return Err("larger than 1 MB as JSON".into());
    }
    Ok(text)
}

/// `from_json` for events and attributes, minus prototype-polluting keys.
pub fn from_json_data(text: &str) -> Result<Value, String> {
    json::parse_data(within_limit(text)?)
}

/// Host data for events and attributes: as `from_js`, minus prototype-polluting keys.
pub fn from_js_data(v: &JsValue) -> Result<Value, String> {
    match stringify(v)? {
        Some(text) => from_json_data(&text),
        None => Ok(Value::Null),
    }
}

pub fn to_js(v: &Value) -> JsValue {
    js_sys::JSON::parse(&json::to_json(v)).unwrap_or(JsValue::NULL)
}
