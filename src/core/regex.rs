//! Regular expressions behind a small trait, so the core stays pure: the browser build
//! uses the page's own `RegExp` (no regex engine shipped in the wasm), native builds and
//! tests use `regex-lite`.

/// A compiled pattern.
pub trait Matcher {
    fn is_match(&self, text: &str) -> bool;
}

/// Compiles patterns. `Err` carries a plain-language reason for the config error.
pub trait RegexFactory {
    fn compile(&self, pattern: &str) -> Result<Box<dyn Matcher>, String>;
}

/// The native implementation (tests, benchmarks, server-side use).
#[cfg(not(target_arch = "wasm32"))]
pub struct NativeRegex;

#[cfg(not(target_arch = "wasm32"))]
impl Matcher for regex_lite::Regex {
    fn is_match(&self, text: &str) -> bool {
        regex_lite::Regex::is_match(self, text)
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl RegexFactory for NativeRegex {
    fn compile(&self, pattern: &str) -> Result<Box<dyn Matcher>, String> {
        match regex_lite::Regex::new(pattern) {
            Ok(r) => Ok(Box::new(r)),
            Err(e) => Err(format!("invalid regular expression: {e}")),
        }
    }
}
