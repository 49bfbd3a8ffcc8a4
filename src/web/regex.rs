//! The page's own `RegExp` behind the core's `RegexFactory`, so no regex engine ships in
//! the wasm. A leading `(?i)` (how the core asks for case-insensitivity) becomes the `i`
//! flag.

use crate::core::regex::{Matcher, RegexFactory};
use js_sys::RegExp;
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
}

/// Compiles patterns with the browser's `RegExp`.
pub struct JsRegex;

struct JsMatcher(RegExp);

impl Matcher for JsMatcher {
    fn is_match(&self, text: &str) -> bool {
        self.0.test(text)
    }
}

impl RegexFactory for JsRegex {
    fn compile(&self, pattern: &str) -> Result<Box<dyn Matcher>, String> {
        let (pattern, flags) = match pattern.strip_prefix("(?i)") {
            Some(rest) => (rest, "i"),
            None => (pattern, ""),
        };
        match CheckedRegExp::new(pattern, flags) {
            Ok(re) => Ok(Box::new(JsMatcher(re.unchecked_into()))),
            Err(e) => Err(e
                .dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
                .unwrap_or_else(|| "invalid regular expression".into())),
        }
    }
}
