//! The DOM accessors cuekit uses that web-sys binds without `catch`, reached instead
//! through `Reflect` (whose bindings catch). A host page may patch any getter, setter or method on the DOM prototypes
//! (`Node.prototype.textContent`, `Document.prototype.body`, `HTMLElement.prototype.focus`…)
//! or the window (`clearTimeout`, `console.warn`), and such a patch may throw. A JS
//! exception thrown through a binding without `catch` unwinds through the wasm frames
//! without running a single Rust destructor: every `RefCell` borrow on the way (and
//! wasm-bindgen's own borrow of the exported instance) would stay held for good. Through
//! these helpers a throw is an `Err` like any other, and each helper returns what a
//! missing answer means (`None`, `false`, nothing done).
//!
//! web-sys calls that already return `Result` (`appendChild`, `setAttribute`,
//! `attachShadow`, `focus`, `addEventListener`…) are used as they are.

use js_sys::{Function, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CssStyleDeclaration, Document, Element, Event, HtmlElement, Node, ShadowRoot};

/// `o[key]`, through the prototype chain as a plain read does.
fn get(o: &JsValue, key: &str) -> Result<JsValue, JsValue> {
    Reflect::get(o, &JsValue::from_str(key))
}

/// `o[key]` as a `T`: `None` when it throws, is missing or is something else.
fn get_as<T: JsCast>(o: &JsValue, key: &str) -> Option<T> {
    get(o, key).ok()?.dyn_into::<T>().ok()
}

fn set(o: &JsValue, key: &str, v: &JsValue) -> bool {
    Reflect::set(o, &JsValue::from_str(key), v).unwrap_or(false)
}

/// `o[name](...args)`; `Err` when it throws or is not a function.
fn call(o: &JsValue, name: &str, args: &[&JsValue]) -> Result<JsValue, JsValue> {
    let f: Function = get(o, name)?.dyn_into()?;
    match args {
        [] => f.call0(o),
        [a] => f.call1(o, a),
        [a, b, ..] => f.call2(o, a, b),
    }
}

pub fn set_text(node: &Node, text: &str) {
    set(node, "textContent", &JsValue::from_str(text));
}

pub fn is_connected(node: &Node) -> bool {
    get(node, "isConnected").is_ok_and(|v| v.is_truthy())
}

pub fn contains(node: &Node, other: &Node) -> bool {
    call(node, "contains", &[other]).is_ok_and(|v| v.is_truthy())
}

/// Takes `el` out of the document: `remove()`, or through its parent when a patched
/// `remove` throws.
pub fn remove(el: &Element) {
    if call(el, "remove", &[]).is_err() {
        if let Ok(parent) = get(el, "parentNode") {
            let _ = call(&parent, "removeChild", &[el]);
        }
    }
}

/// `o[key]` as a string ("" when it throws or is not one): `document.title`, `referrer`.
pub fn text(o: &JsValue, key: &str) -> String {
    get(o, key)
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

pub fn attribute(el: &Element, name: &str) -> Option<String> {
    call(el, "getAttribute", &[&JsValue::from_str(name)])
        .ok()?
        .as_string()
}

pub fn tag_name(el: &Element) -> String {
    get(el, "tagName")
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

pub fn shadow_root(el: &Element) -> Option<ShadowRoot> {
    get_as(el, "shadowRoot")
}

pub fn body(doc: &Document) -> Option<HtmlElement> {
    get_as(doc, "body")
}

pub fn document_element(doc: &Document) -> Option<Element> {
    get_as(doc, "documentElement")
}

pub fn active(doc: &Document) -> Option<Element> {
    get_as(doc, "activeElement")
}

pub fn shadow_active(shadow: &ShadowRoot) -> Option<Element> {
    get_as(shadow, "activeElement")
}

/// Adopts `sheets`; false when the page's DOM refused.
pub fn adopt(shadow: &ShadowRoot, sheets: &js_sys::Array) -> bool {
    set(shadow, "adoptedStyleSheets", sheets)
}

pub fn style(el: &HtmlElement) -> Option<CssStyleDeclaration> {
    get_as(el, "style")
}

pub fn editable(el: &HtmlElement) -> bool {
    get(el, "isContentEditable").is_ok_and(|v| v.is_truthy())
}

pub fn prevent_default(e: &Event) {
    let _ = call(e, "preventDefault", &[]);
}

pub fn clear_timeout(id: i32) {
    if let Some(w) = web_sys::window() {
        let _ = call(&w, "clearTimeout", &[&JsValue::from(id)]);
    }
}

/// `console.warn(a, b)`; a page (or a test runner) whose `console.warn` throws loses the
/// warning, nothing else.
pub fn warn(a: &JsValue, b: &JsValue) {
    if let Ok(console) = get(&js_sys::global(), "console") {
        let _ = call(&console, "warn", &[a, b]);
    }
}
