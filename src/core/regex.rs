//! Regular expressions behind a small trait, so the core stays pure. The one engine, in
//! the browser and natively alike, is [`LinearRegex`]: JavaScript's `RegExp` syntax run by
//! a Pike VM (`vm.rs`), so no pattern and no text can make a match backtrack. A match
//! costs at most (text length + 1) × (program length) steps. A pattern's program is at
//! most [`MAX_INSTS`] instructions, and a text longer than its [`text_limit`] (so that
//! text length × instructions stays within [`MAX_WORK`]) matches nothing: that bounds
//! every match, whatever the pattern and the text (`tests/e2e/redos.test.mjs` measures it
//! in the browser).

mod parse;
mod vm;

pub use parse::{MAX_INSTS, MAX_PATTERN};

/// Most steps (text bytes × program instructions) one match may take.
pub const MAX_WORK: usize = 1 << 19;
/// Longest text any pattern is run against, in bytes.
pub const MAX_TEXT: usize = 32 * 1024;

/// The longest text, in bytes, that `pattern` is run against: `MAX_WORK` over its program's
/// length, at most [`MAX_TEXT`]. A longer text matches nothing (`$regex` is false).
pub fn text_limit(pattern: &str) -> Result<usize, String> {
    let (pattern, icase) = split_flags(pattern);
    Ok(vm::Program::new(&parse::parse(pattern)?, icase).text_limit())
}

/// Instructions in `pattern`'s program, and the work (instructions visited) of one match
/// of it against `text`: for tests of the bound, at most 3 × instructions × (characters
/// + 1), and nothing past the text limit.
pub fn work(pattern: &str, text: &str) -> Result<(usize, usize), String> {
    let (pattern, icase) = split_flags(pattern);
    let prog = vm::Program::new(&parse::parse(pattern)?, icase);
    let mut work = 0;
    if text.len() <= prog.text_limit() {
        prog.run(text, &mut work);
    }
    Ok((prog.len(), work))
}

fn split_flags(pattern: &str) -> (&str, bool) {
    match pattern.strip_prefix("(?i)") {
        Some(rest) => (rest, true),
        None => (pattern, false),
    }
}

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

/// Compiles patterns in JavaScript's syntax (no flags; a leading `(?i)`, which the core
/// adds for `$regexi`, is the `i` flag) for the linear-time VM. Refused, with the reason:
/// backreferences and lookaround (no linear-time algorithm exists for them), patterns
/// over [`MAX_PATTERN`] bytes or [`MAX_INSTS`] instructions.
pub struct LinearRegex;

impl Matcher for vm::Program {
    fn is_match(&self, text: &str) -> bool {
        text.len() <= self.text_limit() && vm::Program::is_match(self, text)
    }
}

impl RegexFactory for LinearRegex {
    fn compile(&self, pattern: &str) -> Result<Box<dyn Matcher>, String> {
        let (pattern, icase) = split_flags(pattern);
        let node = parse::parse(pattern)?;
        Ok(Box::new(vm::Program::new(&node, icase)))
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
            let re = LinearRegex.compile(p).unwrap();
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
