//! The page's own `RegExp` behind the core's `RegexFactory`, so no regex engine ships in
//! the wasm. A leading `(?i)` (how the core asks for case-insensitivity) becomes the `i`
//! flag.

use crate::core::regex::{Matcher, RegexFactory};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// `RegExp`, declared again only for a constructor that returns the `SyntaxError`
    /// instead of throwing it into the page.
    #[wasm_bindgen(js_name = RegExp)]
    type CheckedRegExp;
    #[wasm_bindgen(constructor, catch, js_class = "RegExp")]
    fn new(pattern: &str, flags: &str) -> Result<CheckedRegExp, JsValue>;
    /// `RegExp.prototype.test` on a string already in JS.
    #[wasm_bindgen(method, js_class = "RegExp", js_name = test)]
    fn test_js(this: &CheckedRegExp, text: &JsValue) -> bool;
    #[wasm_bindgen(method, js_class = "RegExp")]
    fn test(this: &CheckedRegExp, text: &str) -> bool;
}

/// Longest text kept as a JS string between tests.
const CACHE_MAX: usize = 4096;

thread_local! {
    /// The last text tested, as a JS string. The conditions of one event test the same
    /// few texts (its URL, its name) against many patterns: each crosses into JS once.
    static LAST: core::cell::RefCell<(String, JsValue)> =
        const { core::cell::RefCell::new((String::new(), JsValue::UNDEFINED)) };
}

/// Compiles patterns with the browser's `RegExp`.
pub struct JsRegex;

struct JsMatcher(CheckedRegExp);

impl Matcher for JsMatcher {
    fn is_match(&self, text: &str) -> bool {
        if text.len() > CACHE_MAX {
            return self.0.test(text);
        }
        LAST.with(|last| match last.try_borrow_mut() {
            Ok(mut last) => {
                if last.1.is_undefined() || last.0 != text {
                    last.0.clear();
                    last.0.push_str(text);
                    last.1 = JsValue::from_str(text);
                }
                self.0.test_js(&last.1)
            }
            Err(_) => self.0.test(text),
        })
    }
}

impl RegexFactory for JsRegex {
    fn compile(&self, pattern: &str) -> Result<Box<dyn Matcher>, String> {
        let (pattern, flags) = match pattern.strip_prefix("(?i)") {
            Some(rest) => (rest, "i"),
            None => (pattern, ""),
        };
        match CheckedRegExp::new(pattern, flags) {
            Ok(re) => Ok(Box::new(JsMatcher(re))),
            Err(e) => Err(e
                .dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
                .unwrap_or_else(|| "invalid regular expression".into())),
        }
    }
}
