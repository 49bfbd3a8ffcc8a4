//! Shared plumbing for the proptest-based fuzz targets (`tests/fuzz_*.rs`): case counts
//! from `CUEKIT_FUZZ_CASES`, the seed corpus in `tests/fuzz-corpus/<target>/`, a
//! structure-aware mutator for `Value` trees and JSON text, hostile strings, and the
//! execution report (written straight to stderr so it shows even when cargo captures
//! test output).
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use cuekit::core::value::{obj, Map, Value};
use proptest::prelude::*;

/// Number of generated cases for a target: `CUEKIT_FUZZ_CASES` when set, else `default`.
pub fn cases(default: u32) -> u32 {
    std::env::var("CUEKIT_FUZZ_CASES")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

/// The seed inputs of a target, `(file name, text)`, sorted by name.
pub fn corpus(target: &str) -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-corpus")
        .join(target);
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(e.path()).unwrap_or_default();
            (name, text)
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "empty corpus for {target}");
    out
}

/// Counts executions of a target (corpus replays, generated cases and shrinking runs).
pub struct Execs {
    pub target: &'static str,
    count: AtomicU64,
    accepted: AtomicU64,
    start: Instant,
}

impl Execs {
    pub fn new(target: &'static str) -> Execs {
        Execs {
            target,
            count: AtomicU64::new(0),
            accepted: AtomicU64::new(0),
            start: Instant::now(),
        }
    }
    pub fn hit(&self) {
        self.count.fetch_add(1, Ordering::Relaxed);
    }
    /// Counts an execution whose input was accepted (compiled, parsed, rendered).
    pub fn accept(&self) {
        self.accepted.fetch_add(1, Ordering::Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
    /// Prints `cuekit-fuzz: target=<t> test=<name> executions=<n> accepted=<a> seeds=<s> cases=<c> secs=<x>`
    /// to the process's stderr (not the captured test output).
    pub fn report(&self, test: &str, seeds: usize, cases: u32) {
        let line = format!(
            "cuekit-fuzz: target={} test={} executions={} accepted={} seeds={} cases={} secs={:.1}\n",
            self.target,
            test,
            self.get(),
            self.accepted.load(Ordering::Relaxed),
            seeds,
            cases,
            self.start.elapsed().as_secs_f64()
        );
        let _ = std::io::stderr().write_all(line.as_bytes());
    }
}

/// Strings that have hurt SDKs: markup, script breaks, template syntax, bidi and
/// zero-width characters, control characters, prototype keys, scheme tricks.
pub const HOSTILE: &[&str] = &[
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(1)</script>",
    "\"><svg onload=alert(1)>",
    "{{",
    "}}",
    "{{secret}}",
    "{{#l}}x{{/l}}",
    "{{{x}}}",
    "\u{202E}evil\u{202C}",
    "\u{2066}rtl\u{2069}",
    "zero\u{200B}width\u{200D}",
    "\u{0}\u{1}\u{1b}[31m",
    "\u{E000}",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\nscript:alert(1)",
    "\u{1}javascript:alert(1)",
    "data:text/html,<b>x</b>",
    "vbscript:msgbox",
    "//evil.example",
    "__proto__",
    "constructor",
    "prototype",
    "undefined",
    "NaN",
    "-1",
    "1e308",
    "",
    " ",
    "😀",
    "a\u{301}",
    "\u{FFFF}",
];

/// Numbers that have hurt SDKs.
pub const NUMBERS: &[f64] = &[
    0.0,
    -0.0,
    -1.0,
    1.0,
    0.5,
    30.0,
    1e308,
    -1e308,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    9_007_199_254_740_993.0,
    7_258_118_400_001.0,
    1.8e12,
    4_294_967_296.0,
];

/// A scalar: null, a boolean, a hostile number or a string from `words`/`HOSTILE`.
pub fn arb_scalar(words: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        2 => prop::sample::select(NUMBERS).prop_map(Value::Num),
        1 => (-1000.0f64..1000.0).prop_map(Value::Num),
        3 => prop::sample::select(words).prop_map(|s| Value::Str(s.into())),
        1 => prop::sample::select(HOSTILE).prop_map(|s| Value::Str(s.into())),
        1 => "[ -~]{0,12}".prop_map(Value::Str),
    ]
}

/// An arbitrary JSON-ish value whose object keys come from `keys` and strings from `words`.
pub fn arb_value(
    keys: &'static [&'static str],
    words: &'static [&'static str],
    depth: u32,
) -> impl Strategy<Value = Value> {
    arb_scalar(words).prop_recursive(depth, 96, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Arr),
            prop::collection::vec((prop::sample::select(keys), inner), 0..6)
                .prop_map(|kv| obj(kv.into_iter().map(|(k, v)| (k.to_string(), v)))),
        ]
    })
}

/// One mutation: which node (modulo the node count), what to do, and a payload.
pub type Op = (u32, u8, u32);

pub fn arb_ops(max: usize) -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec((any::<u32>(), any::<u8>(), any::<u32>()), 1..max)
}

fn count_nodes(v: &Value) -> usize {
    1 + match v {
        Value::Arr(a) => a.iter().map(count_nodes).sum(),
        Value::Obj(m) => m.0.iter().map(|(_, x)| count_nodes(x)).sum(),
        _ => 0,
    }
}

fn nth_mut<'a>(v: &'a mut Value, n: &mut usize) -> Option<&'a mut Value> {
    if *n == 0 {
        return Some(v);
    }
    *n -= 1;
    match v {
        Value::Arr(a) => a.iter_mut().find_map(|x| nth_mut(x, n)),
        Value::Obj(m) => m.0.iter_mut().find_map(|(_, x)| nth_mut(x, n)),
        _ => None,
    }
}

/// The replacement values a mutation may put in place of a node.
fn replacement(p: u32, words: &[&str]) -> Value {
    match p % 8 {
        0 => Value::Null,
        1 => Value::Bool(p & 8 != 0),
        2 | 3 => Value::Num(NUMBERS[(p as usize / 8) % NUMBERS.len()]),
        4 | 5 => Value::Str(HOSTILE[(p as usize / 8) % HOSTILE.len()].into()),
        6 => Value::Str(
            words
                .get((p as usize / 8) % words.len().max(1))
                .copied()
                .unwrap_or("x")
                .into(),
        ),
        _ => Value::Arr(vec![]),
    }
}

/// Applies `ops` to `v` in place: replace a node, delete or rename a key, add a
/// hostile key, duplicate or drop a list item, wrap a node, swap in a big string.
/// `words` supplies plausible keys and strings (so mutants stay near-valid).
pub fn mutate(v: &mut Value, ops: &[Op], words: &[&str]) {
    for &(sel, op, p) in ops {
        let n = count_nodes(v);
        let mut idx = sel as usize % n;
        let Some(node) = nth_mut(v, &mut idx) else {
            continue;
        };
        let word = |i: u32| -> String {
            words
                .get(i as usize % words.len().max(1))
                .copied()
                .unwrap_or("x")
                .to_string()
        };
        match (op % 10, &mut *node) {
            (0 | 1, _) => *node = replacement(p, words),
            (2, Value::Obj(m)) if !m.is_empty() => {
                let i = p as usize % m.len();
                m.0.remove(i);
            }
            // Objects keep unique keys, as every parser that feeds cuekit produces
            // (JSON.parse, serde_json, core::json): a rename onto an existing key is skipped.
            (3, Value::Obj(m)) if !m.is_empty() => {
                let i = p as usize % m.len();
                let w = word(p / 7);
                if m.get(&w).is_none() {
                    if let Some(entry) = m.0.get_mut(i) {
                        entry.0 = w;
                    }
                }
            }
            (4, Value::Obj(m)) => {
                let key = ["__proto__", "constructor", "prototype"][p as usize % 3];
                m.insert(key, obj([("polluted", Value::Bool(true))]));
            }
            (5, Value::Obj(m)) => m.insert(word(p), replacement(p / 3, words)),
            (6, Value::Arr(a)) if !a.is_empty() => {
                let i = p as usize % a.len();
                if p & 1 == 0 {
                    let dup = a[i].clone();
                    a.insert(i, dup);
                } else {
                    a.remove(i);
                }
            }
            (7, _) => {
                let inner = std::mem::replace(node, Value::Null);
                *node = if p & 1 == 0 {
                    Value::Arr(vec![inner])
                } else {
                    obj([(word(p / 2), inner)])
                };
            }
            (8, Value::Str(s)) => {
                // A long or hostile string in place of a plausible one.
                *s = match p % 3 {
                    0 => "x".repeat(1 + p as usize % 20_000),
                    1 => format!("{s}{}", HOSTILE[(p as usize / 3) % HOSTILE.len()]),
                    _ => s.chars().rev().collect(),
                };
            }
            (9, Value::Num(x)) => *x = NUMBERS[p as usize % NUMBERS.len()],
            _ => *node = Value::Str(word(p)),
        }
    }
}

/// Text-level damage: truncate, flip a byte, insert or delete a run. May produce
/// invalid UTF-8, which is replaced lossily (the SDK only ever sees JS strings).
pub fn mutate_text(text: &str, ops: &[Op]) -> String {
    let mut b = text.as_bytes().to_vec();
    for &(sel, op, p) in ops {
        let at = if b.is_empty() {
            0
        } else {
            sel as usize % (b.len() + 1)
        };
        match op % 5 {
            0 => b.truncate(at),
            1 if at < b.len() => b[at] ^= 1 << (p % 8),
            2 => {
                let ins = [
                    "\"", "{", "}", "[", "]", ",", ":", "\\", "\\u", "NaN", "-", "1e999", "null",
                ][p as usize % 13];
                b.splice(at..at, ins.bytes());
            }
            3 => {
                let end = (at + 1 + p as usize % 16).min(b.len());
                b.drain(at.min(end)..end);
            }
            _ => {
                let i = p as usize % b.len().max(1);
                if i < b.len() && at < b.len() {
                    b.swap(i, at);
                }
            }
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

/// Every object key in `v`, at any depth.
pub fn keys_of(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Obj(m) => {
            for (k, x) in m.iter() {
                out.push(k.to_string());
                keys_of(x, out);
            }
        }
        Value::Arr(a) => a.iter().for_each(|x| keys_of(x, out)),
        _ => {}
    }
}

/// An empty map, for contexts.
pub fn empty() -> Map {
    Map::new()
}

/// The runner every target uses. `npm test` is deterministic: a fixed seed (so CI never
/// turns red on a new random input; `CUEKIT_FUZZ_SEED=<n>` picks another). For an
/// exploratory run, `CUEKIT_FUZZ_SEED=random` draws a fresh seed, as plain proptest does.
pub fn runner(config: proptest::test_runner::Config) -> proptest::test_runner::TestRunner {
    use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};
    let seed = std::env::var("CUEKIT_FUZZ_SEED").unwrap_or_default();
    if seed == "random" {
        return TestRunner::new(config);
    }
    let n: u64 = seed.parse().unwrap_or(0x00c0_ffee);
    let mut bytes = [0u8; 32];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = (n.rotate_left((i as u32 % 8) * 8) & 0xff) as u8 ^ i as u8;
    }
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}
