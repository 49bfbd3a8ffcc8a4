//! Fuzz target `config` (proptest, native): arbitrary JSON-ish values, mutated valid
//! configs from `tests/fuzz-corpus/config/` and damaged config text never make
//! `json::parse` or `config::compile` panic; every error names a path that leads into
//! the config; `__proto__`/`constructor`/`prototype` keys never compile; memory used by
//! a compile stays proportional to the input; a config that compiles also runs (engine,
//! decisions, message rendering) without panicking.
//!
//! `CUEKIT_FUZZ_CASES` sets the number of generated cases per test; the executions are
//! reported on stderr as `cuekit-fuzz: target=config …`.
#![cfg(not(target_arch = "wasm32"))]

mod fuzz_support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use cuekit::core::action;
use cuekit::core::config::{compile, Config};
use cuekit::core::engine::{Engine, Signal};
use cuekit::core::json;
use cuekit::core::regex::LinearRegex;
use cuekit::core::state::State;
use cuekit::core::value::{obj, Value};
use fuzz_support::{arb_ops, arb_value, corpus, mutate, mutate_text, Execs};
use proptest::prelude::*;
use proptest::test_runner::Config as RunConfig;

// ---- a per-thread allocation meter (tests run on several threads) ----

struct Meter;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn bump(add: usize, sub: usize) {
    let _ = LIVE.try_with(|l| {
        let v = l.get().saturating_add(add).saturating_sub(sub);
        l.set(v);
        let _ = PEAK.try_with(|p| p.set(p.get().max(v)));
    });
}

unsafe impl GlobalAlloc for Meter {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump(layout.size(), 0);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        bump(0, layout.size());
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        bump(new, layout.size());
        System.realloc(ptr, layout, new)
    }
}

#[global_allocator]
static METER: Meter = Meter;

/// Peak bytes allocated (above the level at entry) while `f` runs on this thread.
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let out = f();
    let peak = PEAK.with(Cell::get).saturating_sub(base);
    (out, peak)
}

// ---- vocabulary ----

const KEYS: &[&str] = &[
    "rules",
    "id",
    "trigger",
    "if",
    "action",
    "event",
    "where",
    "selector",
    "after",
    "absent",
    "within",
    "same",
    "count",
    "atLeast",
    "groupBy",
    "idle",
    "dwell",
    "without",
    "hover",
    "for",
    "visible",
    "ratio",
    "scroll",
    "away",
    "sequence",
    "priority",
    "enabled",
    "inactive",
    "caps",
    "perSession",
    "perDay",
    "perWeek",
    "perVisitor",
    "minInterval",
    "dismissCooldown",
    "group",
    "groups",
    "global",
    "oneAtATime",
    "type",
    "title",
    "body",
    "buttons",
    "label",
    "do",
    "href",
    "image",
    "src",
    "alt",
    "list",
    "items",
    "item",
    "max",
    "countdown",
    "text",
    "ended",
    "position",
    "target",
    "theme",
    "missing",
    "autoHide",
    "webhook",
    "url",
    "fields",
    "events",
    "keepQuery",
    "experiment",
    "variants",
    "weight",
    "holdout",
    "key",
    "coverage",
    "namespace",
    "force",
    "rollout",
    "conversion",
    "segments",
    "name",
    "centroids",
    "features",
    "scaling",
    "session",
    "timeout",
    "endAtMidnight",
    "signals",
    "rageClick",
    "exitIntent",
    "spa",
    "storageKey",
    "requireConsent",
    "beforeConsent",
    "honorGPC",
    "dataLayer",
    "version",
    "savedGroups",
    "host",
    "$gt",
    "$regex",
    "$in",
    "$and",
    "$or",
    "$not",
    "$elemMatch",
    "$size",
    "$inGroup",
    "page.path",
    "props.x",
    "__proto__",
    "constructor",
    "zzz",
];

const WORDS: &[&str] = &[
    "30s",
    "-1m",
    "1h30m",
    "500",
    "999d",
    "x",
    "click",
    "page_view",
    "*",
    "^/product/",
    "(",
    "#cta",
    "",
    "10m",
    "modal",
    "banner",
    "toast",
    "slidein",
    "inline",
    "host",
    "webhook",
    "none",
    "link",
    "dismiss",
    "snooze",
    "optout",
    "close",
    "https://example.com/{{props.sku}}",
    "javascript:alert(1)",
    "{{props.name|there}}",
    "{{#l}}{{.}}{{/l}}",
    "top",
    "memory",
    "off",
    "a",
    "b",
    "rule-1",
    "zscore",
];

fn seeds() -> Vec<(String, String)> {
    corpus("config")
}

/// Where an error path leads in `v`: the part of `path` that could not be followed.
fn unresolved<'a>(v: &Value, path: &'a str) -> &'a str {
    let mut cur = v;
    let mut rest = path;
    loop {
        if rest.is_empty() {
            return rest;
        }
        if let Value::Arr(a) = cur {
            let Some(r) = rest.strip_prefix('[') else {
                return rest;
            };
            let Some(end) = r.find(']') else { return rest };
            match r[..end].parse::<usize>().ok().and_then(|i| a.get(i)) {
                Some(x) => {
                    cur = x;
                    rest = &r[end + 1..];
                    continue;
                }
                None => return rest,
            }
        }
        let body = rest.strip_prefix('.').unwrap_or(rest);
        let Value::Obj(m) = cur else { return rest };
        // The longest key that fits (keys may contain dots: condition paths).
        let hit = m
            .iter()
            .filter(|(k, _)| {
                body.starts_with(*k)
                    && matches!(body.as_bytes().get(k.len()), None | Some(b'.') | Some(b'['))
            })
            .max_by_key(|(k, _)| k.len());
        match hit {
            Some((k, x)) => {
                cur = x;
                rest = &body[k.len()..];
            }
            None => return rest,
        }
    }
}

/// Runs a compiled config briefly: signals, deadlines, caps and message rendering.
fn exercise(cfg: Config) {
    let mut e = Engine::new(cfg, State::default(), "fuzz-visitor", 1_800_000_000_000);
    let mut now = 1_800_000_000_000u64;
    let page = obj([
        ("path", Value::Str("/product/mug".into())),
        (
            "url",
            Value::Str("https://shop.example/product/mug?x=1".into()),
        ),
    ]);
    let mut signals = vec![Signal::PageView { page }];
    for name in [
        "x",
        "click",
        "a",
        "b",
        "add_to_cart",
        "product_view",
        "page_view",
    ] {
        signals.push(Signal::Event {
            name: name.into(),
            props: obj([
                ("x", Value::Num(3.0)),
                ("sku", Value::Str("<img src=x onerror=alert(1)>".into())),
                ("name", Value::Str("{{secret}}".into())),
            ]),
            targets: vec![0, 1, 2],
        });
    }
    signals.extend([
        Signal::Scroll { depth: 80.0 },
        Signal::Hidden,
        Signal::Visible,
        Signal::Activity,
    ]);
    for s in signals {
        now += 1_500;
        let mut ds = e.handle(s, now);
        now += 3_600_000;
        ds.extend(e.tick(now));
        for d in ds {
            if e.admit(&d, now).is_ok() {
                let ctx = e.context(&d, now);
                if let Some(Some(display)) = e.action_for(d.rule, None).map(|a| a.display.as_ref())
                {
                    let _ = action::render(display, &ctx, now);
                }
            }
        }
    }
    let _ = e.explain("rule-1", now);
    let _ = json::to_json(&e.export_state().to_value());
}

/// The properties every compile must have. Returns whether it compiled.
fn check(v: &Value) -> Result<bool, TestCaseError> {
    let size = v.approx_size();
    let (res, peak) = peak_during(|| compile(v, &LinearRegex));
    // Compiled rules, interned names and error lists: linear in the input, with a
    // constant for the defaults (generous: a debug build and Vec doubling).
    prop_assert!(
        peak <= 256 * size + (1 << 20),
        "compile used {peak} bytes for an input of ~{size} bytes"
    );
    match res {
        Ok(cfg) => {
            let mut keys = Vec::new();
            fuzz_support::keys_of(v, &mut keys);
            prop_assert!(
                !keys
                    .iter()
                    .any(|k| matches!(k.as_str(), "__proto__" | "constructor" | "prototype")),
                "a config with a prototype key compiled"
            );
            exercise(cfg);
            Ok(true)
        }
        Err(errs) => {
            prop_assert!(!errs.is_empty(), "rejected without an error");
            for e in &errs {
                prop_assert!(!e.message.is_empty(), "an error without a message: {:?}", e);
                if matches!(v, Value::Obj(_)) {
                    // (An empty key's path is the empty string: the one ambiguous case.)
                    prop_assert!(
                        !e.path.is_empty() || v.get("").is_some(),
                        "an error without a path: {}",
                        e.message
                    );
                    let rest = unresolved(v, &e.path);
                    prop_assert!(
                        !rest.contains('['),
                        "the path {:?} does not lead into the config (stuck at {:?}): {}",
                        e.path,
                        rest,
                        e.message
                    );
                }
            }
            Ok(false)
        }
    }
}

fn parse_seed(text: &str) -> Option<Value> {
    json::parse(text).ok()
}

#[test]
fn fuzz_config_corpus_then_mutations() {
    let execs = Execs::new("config");
    let seeds = seeds();
    let mut valid = 0;
    let mut parsed = Vec::new();
    // 1. Replay every seed as it is.
    for (name, text) in &seeds {
        execs.hit();
        match parse_seed(text) {
            Some(v) => {
                let ok = check(&v).unwrap_or_else(|e| panic!("seed {name}: {e}"));
                if name.starts_with("fixture-") || name.starts_with("e2e-") {
                    assert!(ok, "valid seed {name} must compile");
                    valid += 1;
                } else if name.starts_with("hostile-") {
                    assert!(!ok, "hostile seed {name} must be rejected");
                }
                parsed.push(v);
            }
            None => assert!(name.starts_with("text-"), "seed {name} is not JSON"),
        }
    }
    assert!(valid >= 16, "the valid configs are in the corpus");
    // 2. Structure-aware mutations of the parsed seeds.
    let n = fuzz_support::cases(5000);
    let mut runner = fuzz_support::runner(RunConfig {
        cases: n,
        failure_persistence: None,
        ..RunConfig::default()
    });
    let strategy = (0..parsed.len(), arb_ops(3));
    runner
        .run(&strategy, |(i, ops)| {
            execs.hit();
            let mut v = parsed[i].clone();
            mutate(&mut v, &ops, WORDS);
            if check(&v)? {
                execs.accept();
            }
            // The same mutant one level down, as a lone rule.
            let wrapped = obj([("rules", Value::Arr(vec![v]))]);
            check(&wrapped)?;
            Ok(())
        })
        .unwrap();
    execs.report("corpus_then_mutations", seeds.len(), n);
}

#[test]
fn fuzz_config_text_damage() {
    let execs = Execs::new("config");
    let seeds = seeds();
    let n = fuzz_support::cases(2500) * 4;
    let mut runner = fuzz_support::runner(RunConfig {
        cases: n,
        failure_persistence: None,
        ..RunConfig::default()
    });
    runner
        .run(&(0..seeds.len(), arb_ops(5)), |(i, ops)| {
            execs.hit();
            let text = mutate_text(&seeds[i].1, &ops);
            match json::parse(&text) {
                Ok(v) => {
                    if check(&v)? {
                        execs.accept();
                    }
                }
                Err(e) => prop_assert!(e.starts_with("invalid JSON at byte "), "{}", e),
            }
            Ok(())
        })
        .unwrap();
    // Nesting far beyond the parser's limit is an error, not a stack overflow.
    for deep in ["[".repeat(100_000), "{\"a\":".repeat(100_000)] {
        execs.hit();
        assert!(json::parse(&deep).is_err());
    }
    execs.report("text_damage", seeds.len(), n);
}

#[test]
fn fuzz_config_arbitrary_values() {
    let execs = Execs::new("config");
    let n = fuzz_support::cases(2500);
    let mut runner = fuzz_support::runner(RunConfig {
        cases: n,
        failure_persistence: None,
        ..RunConfig::default()
    });
    runner
        .run(&arb_value(KEYS, WORDS, 6), |v| {
            execs.hit();
            if check(&v)? {
                execs.accept();
            }
            check(&obj([("rules", Value::Arr(vec![v]))]))?;
            Ok(())
        })
        .unwrap();
    execs.report("arbitrary_values", 0, n);
}
