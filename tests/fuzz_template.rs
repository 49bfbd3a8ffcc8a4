//! Fuzz target `template` (proptest, native): templates from the seed corpus
//! (`tests/fuzz-corpus/template/`, the messages of every fixture and e2e config plus
//! hostile ones), mutated, × contexts full of hostile values (markup, `</script>`, `{{`,
//! bidi and zero-width characters, control characters, strings up to 1 MB).
//!
//! The renderer's contract (`src/core/template.rs`): output is **plain text segments**
//! that the browser inserts with text nodes — there is no markup to escape, so `<` is
//! deliberately kept as the inert character it is. What the fuzzer asserts instead:
//! compiling never panics and reports one error with its path; rendering never panics;
//! the output has only `Segment::Text`, is at most `MAX_RENDER_CHARS` characters (each
//! value at most `MAX_VALUE_CHARS`), has no control characters but `\n`/`\t` and no
//! bidi override/isolate characters that the template itself did not contain; a value
//! is never read as template syntax; and a whole message (`action::render`, every
//! format) keeps those bounds in every field, with links and image sources that pass
//! `check_link`.
#![cfg(not(target_arch = "wasm32"))]

mod fuzz_support;

use cuekit::core::action;
use cuekit::core::json;
use cuekit::core::reader::Errors;
use cuekit::core::template::{compile, MissingPolicy, Segment, MAX_RENDER_CHARS, MAX_VALUE_CHARS};
use cuekit::core::url::{check_link, render_url};
use cuekit::core::value::{obj, Value};
use fuzz_support::{corpus, Execs, HOSTILE};
use proptest::prelude::*;
use proptest::test_runner::Config as RunConfig;

/// Pieces a template mutation inserts.
const PIECES: &[&str] = &[
    "{{",
    "}}",
    "{{#",
    "{{/",
    "{{^",
    "{{.}}",
    "|",
    ".",
    " ",
    "props.name",
    "cart.items",
    "l",
    "v",
    "h",
    "{{v}}",
    "{{h}}",
    "{{#l}}",
    "{{/l}}",
    "{{props.name|there}}",
    "\\{{",
    "{{{",
    "}}}",
    "<b>",
    "</script>",
    "\u{202E}",
    "\u{200B}",
    "é",
    "😀",
    "{{l.0.name}}",
    "{{time}}",
];

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Mutates template text: insert a piece, delete a run, truncate, duplicate.
fn mutate_template(src: &str, ops: &[(u32, u8, u32)]) -> String {
    let mut chars: Vec<char> = src.chars().collect();
    for &(sel, op, p) in ops {
        let at = sel as usize % (chars.len() + 1);
        match op % 4 {
            0 | 1 => {
                let piece = PIECES[p as usize % PIECES.len()];
                for (k, c) in piece.chars().enumerate() {
                    chars.insert(at + k, c);
                }
            }
            2 => {
                let end = (at + 1 + p as usize % 8).min(chars.len());
                chars.drain(at.min(end)..end);
            }
            _ => {
                let end = (at + p as usize % 24).min(chars.len());
                let dup: Vec<char> = chars[at.min(end)..end].to_vec();
                chars.splice(at..at, dup);
            }
        }
    }
    chars.into_iter().collect()
}

/// A hostile string value: from the list, combined, or long (up to 1 MB).
fn arb_hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(HOSTILE).prop_map(String::from),
        3 => prop::collection::vec(prop::sample::select(HOSTILE), 1..6).prop_map(|v| v.concat()),
        2 => any::<String>(),
        1 => (0usize..4).prop_map(|k| match k {
            0 => "<".repeat(1 << 20),
            1 => "\u{202E}".repeat(600),
            2 => "{{v}}".repeat(5_000),
            _ => "ü".repeat(250_000),
        }),
    ]
}

fn arb_context() -> impl Strategy<Value = Value> {
    (
        arb_hostile(),
        arb_hostile(),
        prop::collection::vec(arb_hostile(), 0..30),
        0usize..3,
    )
        .prop_map(|(v, name, list, shape)| {
            let items: Vec<Value> = list
                .into_iter()
                .map(|s| obj([("name", Value::Str(s.clone())), ("qty", Value::Str(s))]))
                .collect();
            let l = match shape {
                0 => Value::Arr(items.clone()),
                1 => Value::Arr(vec![Value::Arr(items.clone()); 3]),
                _ => Value::Str(v.clone()),
            };
            obj([
                ("v", Value::Str(v.clone())),
                ("h", Value::Str(name.clone())),
                ("secret", Value::Str("LEAK".into())),
                ("l", l),
                (
                    "props",
                    obj([("name", Value::Str(name)), ("sku", Value::Str(v))]),
                ),
                ("cart", obj([("items", Value::Arr(items))])),
            ])
        })
}

/// The renderer's contract for one rendered text. `src` is the template source.
fn check_text(s: &str, src: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        s.chars().count() <= MAX_RENDER_CHARS,
        "{} chars",
        s.chars().count()
    );
    prop_assert!(
        !s.chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t' && !src.contains(c)),
        "a control character came through a value"
    );
    prop_assert!(
        !s.chars().any(|c| is_bidi_control(c) && !src.contains(c)),
        "a bidi override came through a value"
    );
    if !src.contains("secret") {
        prop_assert!(!s.contains("LEAK"), "a value was read as template syntax");
    }
    Ok(())
}

fn check_template(src: &str, ctx: &Value) -> Result<bool, TestCaseError> {
    let mut errors = Errors::new();
    let Some(t) = compile(src, "rules[0].action.body", &mut errors) else {
        prop_assert_eq!(errors.len(), 1);
        prop_assert_eq!(&errors[0].path, "rules[0].action.body");
        prop_assert!(!errors[0].message.is_empty());
        return Ok(false);
    };
    prop_assert!(errors.is_empty());
    for policy in [MissingPolicy::Default, MissingPolicy::Skip] {
        if let Some(out) = t.render(ctx, policy) {
            prop_assert!(out.segments.len() <= 1);
            for seg in &out.segments {
                let Segment::Text(s) = seg;
                check_text(s, src)?;
            }
        }
    }
    if let Some(url) = render_url(&t, ctx) {
        prop_assert!(check_link(&url).is_ok());
        prop_assert!(url.chars().count() <= MAX_RENDER_CHARS);
    }
    Ok(true)
}

#[test]
fn fuzz_template_corpus_then_mutations() {
    let execs = Execs::new("template");
    let seeds: Vec<(String, String)> = corpus("template")
        .into_iter()
        .filter(|(n, _)| n.ends_with(".txt"))
        .collect();
    let values = json::parse(
        &corpus("template")
            .into_iter()
            .find(|(n, _)| n == "values.json")
            .map(|(_, t)| t)
            .unwrap_or_default(),
    )
    .expect("values.json");
    let values: Vec<String> = values
        .as_array()
        .unwrap_or_default()
        .iter()
        .filter_map(|v| v.as_str().map(String::from))
        .collect();
    // 1. Every seed template against every seed value.
    for (name, src) in &seeds {
        for v in &values {
            execs.hit();
            let ctx = obj([
                ("v", Value::Str(v.clone())),
                ("props", obj([("name", Value::Str(v.clone()))])),
                ("secret", Value::Str("LEAK".into())),
            ]);
            check_template(src, &ctx).unwrap_or_else(|e| panic!("seed {name} × {v:?}: {e}"));
        }
    }
    // 2. Mutated seeds × generated hostile contexts.
    let n = fuzz_support::cases(1000);
    let mut runner = fuzz_support::runner(RunConfig {
        cases: n,
        failure_persistence: None,
        ..RunConfig::default()
    });
    runner
        .run(
            &(0..seeds.len(), fuzz_support::arb_ops(4), arb_context()),
            |(i, ops, ctx)| {
                execs.hit();
                let src = mutate_template(&seeds[i].1, &ops);
                if check_template(&src, &ctx)? {
                    execs.accept();
                }
                Ok(())
            },
        )
        .unwrap();
    execs.report("corpus_then_mutations", seeds.len() * values.len(), n);
}

/// Every value is cut at `MAX_VALUE_CHARS`, however hostile, and shows verbatim
/// otherwise (minus control and bidi characters): inert text.
#[test]
fn fuzz_template_values_are_inert_and_capped() {
    let execs = Execs::new("template");
    let mut errors = Errors::new();
    let t = compile("[{{v}}]", "t", &mut errors).expect("compiles");
    let n = fuzz_support::cases(700);
    let mut runner = fuzz_support::runner(RunConfig {
        cases: n,
        failure_persistence: None,
        ..RunConfig::default()
    });
    runner
        .run(&arb_hostile(), |v| {
            execs.hit();
            let ctx = obj([("v", Value::Str(v.clone()))]);
            let Some(out) = t.render(&ctx, MissingPolicy::Default) else {
                return Err(TestCaseError::fail("Default never refuses"));
            };
            let s = out.to_plain_string();
            let inner = &s[1..s.len() - 1];
            prop_assert!(inner.chars().count() <= MAX_VALUE_CHARS);
            let clean: String = v
                .chars()
                .filter(|c| !is_bidi_control(*c) && (!c.is_control() || *c == '\n' || *c == '\t'))
                .collect();
            if clean.chars().count() <= MAX_VALUE_CHARS {
                prop_assert_eq!(inner, clean.as_str(), "the value shows verbatim");
            } else {
                prop_assert!(inner.ends_with('…'));
                let kept = inner.trim_end_matches('…');
                prop_assert!(
                    clean.starts_with(kept),
                    "a cut value is a prefix of the value"
                );
            }
            execs.accept();
            Ok(())
        })
        .unwrap();
    execs.report("values_inert_and_capped", 0, n);
}

const FORMATS: &[&str] = &["modal", "banner", "toast", "slidein", "inline"];

/// Whole messages: every field of every format stays within the caps and links stay safe.
#[test]
fn fuzz_template_messages_of_every_format() {
    let execs = Execs::new("template");
    let seeds: Vec<String> = corpus("template")
        .into_iter()
        .filter(|(n, _)| n.ends_with(".txt"))
        .map(|(_, t)| t)
        .collect();
    let n = fuzz_support::cases(500);
    let mut runner = fuzz_support::runner(RunConfig {
        cases: n,
        failure_persistence: None,
        ..RunConfig::default()
    });
    let strategy = (
        prop::sample::select(FORMATS),
        prop::collection::vec(0..seeds.len(), 6),
        fuzz_support::arb_ops(3),
        arb_context(),
        any::<bool>(),
    );
    runner
        .run(&strategy, |(format, picks, ops, ctx, skip)| {
            execs.hit();
            let pick = |k: usize| {
                let src = &seeds[picks[k]];
                Value::Str(if k == 0 {
                    mutate_template(src, &ops)
                } else {
                    src.clone()
                })
            };
            let spec = obj([
                ("type", Value::Str(format.into())),
                ("title", pick(0)),
                ("body", pick(1)),
                (
                    "image",
                    obj([
                        ("src", Value::Str("/img/{{props.sku}}.png".into())),
                        ("alt", pick(2)),
                    ]),
                ),
                (
                    "list",
                    obj([
                        ("items", Value::Str("cart.items".into())),
                        ("item", pick(3)),
                        ("max", Value::Num(5.0)),
                    ]),
                ),
                (
                    "countdown",
                    obj([
                        ("for", Value::Str("10m".into())),
                        ("text", Value::Str(COUNTDOWN.into())),
                        ("ended", pick(4)),
                    ]),
                ),
                (
                    "buttons",
                    Value::Arr(vec![
                        obj([
                            ("label", pick(5)),
                            ("do", Value::Str("link".into())),
                            (
                                "href",
                                Value::Str("/p/{{props.sku}}?n={{props.name}}".into()),
                            ),
                        ]),
                        obj([
                            ("label", Value::Str("{{props.name|Later}}".into())),
                            ("do", Value::Str("snooze".into())),
                            ("for", Value::Str("1d".into())),
                        ]),
                    ]),
                ),
                ("target", Value::Str("#slot".into())),
                (
                    "missing",
                    Value::Str(if skip { "skip" } else { "default" }.into()),
                ),
            ]);
            let mut errors = Errors::new();
            let a = action::compile(Some(&spec), "rules[0].action", &mut errors);
            if !errors.is_empty() {
                prop_assert!(
                    errors
                        .iter()
                        .all(|e| e.path.starts_with("rules[0].action.")),
                    "{:?}",
                    errors
                );
                return Ok(());
            }
            let Some(display) = a.display else {
                return Err(TestCaseError::fail("a message format without a display"));
            };
            let Some(m) = action::render(&display, &ctx, 1_800_000_000_000) else {
                // Refused: missing data under `missing: skip`, or a link/image URL that
                // cannot be built safely (a value over the cap would cut the URL).
                let url_fails = [
                    "/p/{{props.sku}}?n={{props.name}}",
                    "/img/{{props.sku}}.png",
                ]
                .iter()
                .any(|src| {
                    let mut e = Errors::new();
                    cuekit::core::url::compile_link(src, "t", &mut e)
                        .is_some_and(|t| render_url(&t, &ctx).is_none())
                });
                prop_assert!(skip || url_fails, "a message was refused without a reason");
                return Ok(());
            };
            execs.accept();
            let mut texts: Vec<&str> = Vec::new();
            texts.extend(m.title.as_deref());
            texts.extend(m.body.as_deref());
            texts.extend(m.list.iter().map(String::as_str));
            if let Some((src, alt)) = &m.image {
                prop_assert!(check_link(src).is_ok(), "image src {:?}", src);
                texts.push(alt);
            }
            if let Some((_, before, after, ended)) = &m.countdown {
                // The time sits exactly where the template's {{time}} is, whatever the
                // values hold (a value with the internal marker U+E000 cannot move it).
                let expect = countdown_text(&ctx, '\u{2400}');
                if !expect.contains('\u{2026}') {
                    prop_assert_eq!(format!("{before}\u{2400}{after}"), expect);
                }
                texts.push(before);
                texts.push(after);
                texts.extend(ended.as_deref());
            }
            for (label, _, link, _) in &m.buttons {
                texts.push(label);
                if let Some(url) = link {
                    prop_assert!(check_link(url).is_ok(), "button link {:?}", url);
                }
            }
            for t in texts {
                check_text(t, &spec_sources(&spec))?;
            }
            Ok(())
        })
        .unwrap();
    execs.report("messages", 0, n);
}

const COUNTDOWN: &str = "Ends in {{time}} for {{props.name}}";

/// The countdown text rendered with `time` set to `mark`.
fn countdown_text(ctx: &Value, mark: char) -> String {
    let mut errors = Errors::new();
    let t = compile(COUNTDOWN, "t", &mut errors).expect("compiles");
    let mut scope = ctx.clone();
    if let Value::Obj(m) = &mut scope {
        m.insert("time", Value::Str(mark.to_string()));
    }
    t.render(&scope, MissingPolicy::Default)
        .map(|r| r.to_plain_string())
        .unwrap_or_default()
}

/// Found by this fuzzer: a value holding the countdown's internal marker (U+E000, a
/// private-use character icon fonts use) moved the time to the value's position.
#[test]
fn a_value_holding_the_time_marker_does_not_move_the_countdown() {
    let mut errors = Errors::new();
    let spec = obj([
        ("type", Value::Str("toast".into())),
        ("body", Value::Str("Hurry".into())),
        (
            "countdown",
            obj([
                ("for", Value::Str("10m".into())),
                (
                    "text",
                    Value::Str("{{props.name}} ends in {{time}}!".into()),
                ),
            ]),
        ),
    ]);
    let a = action::compile(Some(&spec), "a", &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    let ctx = obj([("props", obj([("name", Value::Str("a\u{E000}b".into()))]))]);
    let m = action::render(&a.display.expect("display"), &ctx, 0).expect("renders");
    let (_, before, after, _) = m.countdown.expect("countdown");
    assert_eq!(before, "a\u{E000}b ends in ");
    assert_eq!(after, "!");
}

/// All template sources of an action spec, concatenated (for "came from the template").
fn spec_sources(v: &Value) -> String {
    match v {
        Value::Str(s) => s.clone(),
        Value::Arr(a) => a.iter().map(spec_sources).collect(),
        Value::Obj(m) => m.iter().map(|(_, x)| spec_sources(x)).collect(),
        _ => String::new(),
    }
}
