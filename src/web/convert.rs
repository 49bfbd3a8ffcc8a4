//! `Value` ⇄ `JsValue` through serde-wasm-bindgen (plain objects, never `Map`s).

use serde::Serialize;
use wasm_bindgen::JsValue;

use crate::core::value::Value;

/// Converts host data. Functions, symbols and BigInts are refused with a reason.
pub fn from_js(v: &JsValue) -> Result<Value, String> {
    if v.is_undefined() || v.is_null() {
        return Ok(Value::Null);
    }
    serde_wasm_bindgen::from_value::<Value>(v.clone()).map_err(|e| e.to_string())
}

/// Host data for events and attributes: as `from_js`, minus prototype-polluting keys.
pub fn from_js_data(v: &JsValue) -> Result<Value, String> {
    let mut out = from_js(v)?;
    out.strip_forbidden_keys();
    Ok(out)
}

pub fn to_js(v: &Value) -> JsValue {
    let ser = serde_wasm_bindgen::Serializer::json_compatible();
    v.serialize(&ser).unwrap_or(JsValue::NULL)
}
