//! Reads the page context (url, path, query, UTM, referrer, title) for page views.

use crate::core::value::{Map, Value};

fn decode(s: &str) -> String {
    let plus = s.replace('+', " ");
    js_sys::decode_uri_component(&plus)
        .ok()
        .and_then(|j| j.as_string())
        .unwrap_or(plus)
}

/// Splits `?a=1&b=2` into an object; the last value of a repeated key wins.
pub fn parse_query(search: &str) -> Map {
    let mut m = Map::new();
    for pair in search.trim_start_matches('?').split('&') {
        if pair.is_empty() {
            continue;
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = decode(k);
        if crate::core::reader::is_forbidden_key(&k) || m.len() >= 64 {
            continue;
        }
        m.insert(k, Value::Str(decode(v)));
    }
    m
}

/// The current page as the engine's `page` context.
pub fn current() -> Value {
    let mut m = Map::new();
    let Some(win) = web_sys::window() else {
        return Value::Obj(m);
    };
    let loc = win.location();
    let get = |r: Result<String, wasm_bindgen::JsValue>| r.unwrap_or_default();
    let search = get(loc.search());
    let query = parse_query(&search);
    let mut utm = Map::new();
    for (k, v) in query.iter() {
        if let Some(short) = k.strip_prefix("utm_") {
            utm.insert(short, v.clone());
        }
    }
    m.insert("url", Value::Str(get(loc.href())));
    m.insert("path", Value::Str(get(loc.pathname())));
    m.insert("host", Value::Str(get(loc.host())));
    m.insert("hash", Value::Str(get(loc.hash())));
    m.insert("query", Value::Obj(query));
    m.insert("utm", Value::Obj(utm));
    if let Some(doc) = win.document() {
        // Document getters a page may patch: read without letting a throw through.
        m.insert("referrer", Value::Str(super::host::text(&doc, "referrer")));
        m.insert("title", Value::Str(super::host::text(&doc, "title")));
    }
    Value::Obj(m)
}
