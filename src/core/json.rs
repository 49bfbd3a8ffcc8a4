//! A small JSON reader and writer for `Value`. Crossing the wasm boundary as one JSON
//! string (the browser's `JSON.parse` / `JSON.stringify` on the other side) is far
//! cheaper than building objects field by field, and keeps serde's generic machinery
//! out of the shipped wasm.

use super::value::{Map, Value};

/// Deepest nesting accepted when reading.
pub const MAX_DEPTH: usize = 64;

/// Writes compact JSON. Non-finite numbers become `null`, as in `JSON.stringify`.
pub fn to_json(v: &Value) -> String {
    let mut out = String::with_capacity(256);
    write(v, &mut out);
    out
}

pub fn write(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Num(n) if n.is_finite() => super::num::format_into(*n, out),
        Value::Num(_) => out.push_str("null"),
        Value::Str(s) => write_str(s, out),
        Value::Arr(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(x, out);
            }
            out.push(']');
        }
        Value::Obj(m) => write_map(m, out),
    }
}

/// An object's JSON text (`write` of `Value::Obj`, without wrapping the map in a value).
pub fn write_map(m: &Map, out: &mut String) {
    out.push('{');
    for (i, (k, x)) in m.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_str(k, out);
        out.push(':');
        write(x, out);
    }
    out.push('}');
}

pub fn write_str(s: &str, out: &mut String) {
    out.push('"');
    // Runs of characters that need no escape are copied whole.
    let b = s.as_bytes();
    let mut run = 0;
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        // U+2028 and U+2029 (E2 80 A8/A9 in UTF-8) are escaped too, as JSON-in-script needs.
        let wide =
            c == 0xE2 && b.get(i + 1) == Some(&0x80) && matches!(b.get(i + 2), Some(0xA8 | 0xA9));
        if !(c == b'"' || c == b'\\' || c < 0x20 || wide) {
            i += 1;
            continue;
        }
        out.push_str(s.get(run..i).unwrap_or_default());
        let short = match c {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            _ => "",
        };
        if short.is_empty() {
            let n = match b.get(i + 2) {
                Some(0xA8) if wide => 0x2028,
                Some(_) if wide => 0x2029,
                _ => u32::from(c),
            };
            out.push_str("\\u");
            for shift in [12, 8, 4, 0] {
                out.push(char::from_digit((n >> shift) & 0xf, 16).unwrap_or('0'));
            }
        } else {
            out.push_str(short);
        }
        i += if wide { 3 } else { 1 };
        run = i;
    }
    out.push_str(s.get(run..).unwrap_or_default());
    out.push('"');
}

/// Reads JSON text. Errors name the byte offset.
pub fn parse(text: &str) -> Result<Value, String> {
    parse_to_depth(text, MAX_DEPTH)
}

/// `parse`, with nesting allowed to `max` levels (text cuekit wrote itself around values
/// that were read with `MAX_DEPTH`, one level deeper).
pub fn parse_to_depth(text: &str, max: usize) -> Result<Value, String> {
    Parser::run(text, max, false)
}

/// `parse` for host data (event properties, attributes): keys named `__proto__`,
/// `constructor` or `prototype` are dropped at every depth while reading, so no such key
/// ever reaches a template, a webhook or the stored state.
pub fn parse_data(text: &str) -> Result<Value, String> {
    Parser::run(text, MAX_DEPTH, true)
}

impl<'a> Parser<'a> {
    fn run(text: &'a str, max: usize, data: bool) -> Result<Value, String> {
        let mut p = Parser {
            text,
            s: text.as_bytes(),
            i: 0,
            max,
            data,
        };
        p.document()
    }
    fn document(&mut self) -> Result<Value, String> {
        self.ws();
        let v = self.value(0)?;
        self.ws();
        if self.i != self.s.len() {
            return Err(self.fail("unexpected text after the value"));
        }
        Ok(v)
    }
}

struct Parser<'a> {
    /// The text, and the same as bytes.
    text: &'a str,
    s: &'a [u8],
    i: usize,
    /// Deepest nesting accepted.
    max: usize,
    /// Host data: drop prototype-polluting keys (see `parse_data`).
    data: bool,
}

impl Parser<'_> {
    fn fail(&self, what: &str) -> String {
        format!("invalid JSON at byte {}: {what}", self.i)
    }
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    #[inline(always)]
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.i += 1;
        }
    }
    fn eat(&mut self, lit: &str) -> Result<(), String> {
        let end = self.i + lit.len();
        if self.s.get(self.i..end) == Some(lit.as_bytes()) {
            self.i = end;
            Ok(())
        } else {
            Err(self.fail("unexpected token"))
        }
    }
    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > self.max {
            return Err(self.fail(&format!("nested deeper than {} levels", self.max)));
        }
        match self.peek() {
            Some(b'n') => self.eat("null").map(|_| Value::Null),
            Some(b't') => self.eat("true").map(|_| Value::Bool(true)),
            Some(b'f') => self.eat("false").map(|_| Value::Bool(false)),
            Some(b'"') => self.string().map(Value::Str),
            Some(b'[') => {
                self.i += 1;
                let mut out = Vec::new();
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(Value::Arr(out));
                }
                loop {
                    self.ws();
                    out.push(self.value(depth + 1)?);
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Value::Arr(out));
                        }
                        _ => return Err(self.fail("expected ',' or ']'")),
                    }
                }
            }
            Some(b'{') => {
                self.i += 1;
                let mut out = Map::new();
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                    return Ok(Value::Obj(out));
                }
                loop {
                    self.ws();
                    if self.peek() != Some(b'"') {
                        return Err(self.fail("expected a key"));
                    }
                    let k = self.string()?;
                    self.ws();
                    if self.peek() != Some(b':') {
                        return Err(self.fail("expected ':'"));
                    }
                    self.i += 1;
                    self.ws();
                    let v = self.value(depth + 1)?;
                    if !(self.data && super::reader::is_forbidden_key(&k)) {
                        out.insert(k, v);
                    }
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Value::Obj(out));
                        }
                        _ => return Err(self.fail("expected ',' or '}'")),
                    }
                }
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.fail("expected a value")),
        }
    }
    fn number(&mut self) -> Result<Value, String> {
        let start = self.i;
        // Fast path for integers of up to 15 digits, the common case (timestamps, counts):
        // read in the same pass that finds their end.
        let mut n: u64 = 0;
        while let Some(b @ b'0'..=b'9') = self.peek() {
            n = n.wrapping_mul(10).wrapping_add(u64::from(b - b'0'));
            self.i += 1;
        }
        let digits = self.i - start;
        if !matches!(self.peek(), Some(b'-' | b'+' | b'.' | b'e' | b'E'))
            && (1..=15).contains(&digits)
        {
            return Ok(Value::Num(n as f64));
        }
        let rest = self.s.get(self.i..).unwrap_or(&[]);
        self.i += rest
            .iter()
            .position(|b| !matches!(b, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'))
            .unwrap_or(rest.len());
        let bytes = self.s.get(start..self.i).unwrap_or(&[]);
        let text = core::str::from_utf8(bytes).map_err(|_| self.fail("bad number"))?;
        super::num::parse(text)
            .filter(|n| n.is_finite())
            .map(Value::Num)
            .ok_or_else(|| self.fail("bad number"))
    }
    fn hex4(&mut self) -> Result<u32, String> {
        let h = self
            .s
            .get(self.i..self.i + 4)
            .and_then(|b| core::str::from_utf8(b).ok())
            .and_then(|t| u32::from_str_radix(t, 16).ok())
            .ok_or_else(|| self.fail("bad \\u escape"))?;
        self.i += 4;
        Ok(h)
    }
    fn string(&mut self) -> Result<String, String> {
        self.i += 1; // opening quote
        let mut out = String::new();
        loop {
            // Copy the run of plain bytes at once.
            let start = self.i;
            let rest = self.s.get(start..).unwrap_or(&[]);
            self.i += rest
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(rest.len());
            // The run ends at an ASCII byte (or the end), so it is whole characters.
            let run = self
                .text
                .get(start..self.i)
                .ok_or_else(|| self.fail("bad UTF-8"))?;
            match self.peek() {
                Some(b'"') => {
                    self.i += 1;
                    // No escape (the usual case): one allocation of the exact size.
                    if out.is_empty() {
                        return Ok(run.to_owned());
                    }
                    out.push_str(run);
                    return Ok(out);
                }
                Some(b'\\') => {
                    out.push_str(run);
                    self.i += 1;
                    let c = self.peek().ok_or_else(|| self.fail("unfinished escape"))?;
                    self.i += 1;
                    match c {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let cp = if (0xD800..0xDC00).contains(&hi)
                                && self.s.get(self.i..self.i + 2) == Some(b"\\u")
                            {
                                self.i += 2;
                                let lo = self.hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                                } else {
                                    0xFFFD
                                }
                            } else {
                                hi
                            };
                            out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                        }
                        _ => return Err(self.fail("bad escape")),
                    }
                }
                _ => return Err(self.fail("unterminated string")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_data_loses_prototype_polluting_keys_at_every_depth() {
        let src = r#"{"a":1,"__proto__":{"x":1},"o":{"constructor":2,"b":[{"prototype":3,"c":4}]},"prototypes":5}"#;
        let v = parse_data(src).unwrap();
        assert_eq!(to_json(&v), r#"{"a":1,"o":{"b":[{"c":4}]},"prototypes":5}"#);
        let mut stripped = parse(src).unwrap();
        stripped.strip_forbidden_keys();
        assert_eq!(v, stripped);
        // Plain parsing keeps them (cuekit's own text, the config's own checks).
        assert!(parse(src).unwrap().get("__proto__").is_some());
    }

    #[test]
    fn round_trips() {
        let src = r#"{"a":[1,-2.5,1e21,true,false,null],"s":"q\"\\\n\t\u0001 é ☕ 😀","o":{}}"#;
        let v = parse(src).unwrap();
        let back = parse(&to_json(&v)).unwrap();
        assert_eq!(v, back);
        assert_eq!(
            v.get("s").and_then(Value::as_str),
            Some("q\"\\\n\t\u{1} é ☕ 😀")
        );
        assert_eq!(parse(r#""\ud83d\ude00""#).unwrap(), Value::Str("😀".into()));
    }

    #[test]
    fn writes_strings_as_json_stringify_does() {
        let cases = [
            ("", r#""""#),
            ("plain ascii", r#""plain ascii""#),
            ("q\"b\\n\nr\rt\t", r#""q\"b\\n\nr\rt\t""#),
            ("\u{1}\u{1f}x", r#""\u0001\u001fx""#),
            ("é ☕ 😀", r#""é ☕ 😀""#),
            (
                "a\u{2028}b\u{2029}c\u{2027}",
                "\"a\\u2028b\\u2029c\u{2027}\"",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(to_json(&Value::Str(text.into())), want, "{text:?}");
            assert_eq!(parse(want).unwrap(), Value::Str(text.into()));
        }
    }

    #[test]
    fn agrees_with_serde_json() {
        let src = r#"{"x":[0.1,12345678901234567,-0,3.5e-7],"y":{"z":"w"}}"#;
        let ours = parse(src).unwrap();
        let theirs: Value = serde_json::from_str(src).unwrap();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\" 1}",
            "tru",
            "\"abc",
            "01x",
            "1e999",
            "{\"a\":1}}",
            "\"\\x\"",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        let deep = "[".repeat(100) + &"]".repeat(100);
        assert!(parse(&deep).is_err());
    }
}
