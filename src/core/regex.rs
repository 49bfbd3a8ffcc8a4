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

/// A pattern that is plain text, optionally anchored (`^…`, `…$`), such as the escaped
/// literal of a "URL contains" condition: matched with string search, without a regex
/// engine (and, in the browser, without a call into JS). Same answers as the regex.
#[derive(Debug, PartialEq)]
pub struct Literal {
    text: String,
    start: bool,
    end: bool,
}

impl Literal {
    /// The literal a pattern stands for, or `None` when it uses any regex feature. Escapes
    /// of ASCII punctuation (`\.`, `\/`, `\?`…) are the character itself.
    pub fn parse(pattern: &str) -> Option<Literal> {
        let (start, body) = match pattern.strip_prefix('^') {
            Some(rest) => (true, rest),
            None => (false, pattern),
        };
        let mut text = String::with_capacity(body.len());
        let mut end = false;
        let mut chars = body.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(e) if e.is_ascii_punctuation() => text.push(e),
                    _ => return None,
                },
                '$' if chars.as_str().is_empty() => end = true,
                '^' | '$' | '.' | '|' | '?' | '*' | '+' | '(' | ')' | '[' | ']' | '{' | '}' => {
                    return None
                }
                c => text.push(c),
            }
        }
        Some(Literal { text, start, end })
    }
}

impl Matcher for Literal {
    fn is_match(&self, t: &str) -> bool {
        match (self.start, self.end) {
            (false, false) => super::find::contains(t, &self.text),
            (true, false) => t.starts_with(self.text.as_str()),
            (false, true) => t.ends_with(self.text.as_str()),
            (true, true) => t == self.text,
        }
    }
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

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn literal_patterns_answer_as_the_regex_does() {
        let texts = [
            "",
            "https://shop.example/product/3?x=1",
            "/cart",
            "a.b$c",
            "price: $5",
            "PRODUCT",
            "x/product/",
            "a\\b",
        ];
        let patterns = [
            "",
            "product",
            "^https://shop\\.example/",
            "/cart$",
            "^/cart$",
            "a\\.b\\$c",
            "\\$5$",
            "shop\\.example\\/product\\/3\\?x=1",
            "^$",
            "a\\\\b",
            "-_:,=!<>",
        ];
        for p in patterns {
            let lit = Literal::parse(p).unwrap_or_else(|| panic!("{p:?} is a literal"));
            let re = NativeRegex.compile(p).unwrap();
            for t in texts {
                assert_eq!(lit.is_match(t), re.is_match(t), "{p:?} on {t:?}");
            }
        }
    }

    #[test]
    fn patterns_with_regex_features_are_left_to_the_regex() {
        for p in [
            "a.b", "a|b", "ab?", "a*", "a+", "(a)", "[ab]", "a{2}", "\\d", "\\bx", "a^b", "a$b",
            "\\",
        ] {
            assert_eq!(Literal::parse(p), None, "{p:?}");
        }
    }
}
