//! Property tests for templates and links: any source compiles or is rejected with one
//! error (never a panic); any context renders without panic and within the length cap;
//! values are never re-read as template syntax; rendered URLs are encoded and allowed.
#![cfg(not(target_arch = "wasm32"))]

use cuekit::core::reader::Errors;
use cuekit::core::template::{compile, MissingPolicy, MAX_RENDER_CHARS, MAX_VALUE_CHARS};
use cuekit::core::url::{check_link, compile_link, encode_component, render_url};
use cuekit::core::value::{obj, Value};
use proptest::prelude::*;

const PIECES: &[&str] = &[
    "{{",
    "}}",
    "{",
    "}",
    "{{{",
    "\\{{",
    "{{#a}}",
    "{{/a}}",
    "{{^a}}",
    "{{#b}}",
    "{{/b}}",
    "{{.}}",
    "{{a}}",
    "{{b.c}}",
    "{{a|d}}",
    "{{ x | y }}",
    "|",
    ".",
    "#",
    "^",
    "/",
    "a",
    "b",
    "c",
    " ",
    "\n",
    "é",
    "<img src=x onerror=alert(1)>",
    "{{#l}}",
    "{{/l}}",
    "{{0}}",
    "{{l.0}}",
    "{{&x}}",
    "{{a..b}}",
    "{{}}",
    "\u{202E}",
    "\u{200B}",
    "😀",
];

fn arb_source() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(prop::sample::select(PIECES), 0..40).prop_map(|v| v.concat()),
        any::<String>(),
        "[{}#^/|. a-c\\\\]{0,60}",
    ]
}

const KEYS: &[&str] = &["a", "b", "c", "d", "l", "x", "0", "name", "secret"];

fn arb_string() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(prop::sample::select(PIECES), 0..8).prop_map(|v| v.concat()),
        any::<String>(),
        (0usize..3000).prop_map(|n| "ü".repeat(n)),
    ]
}

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        prop_oneof![
            Just(0.0),
            Just(-1.5),
            Just(3.0),
            Just(1e21),
            Just(f64::NAN),
            Just(f64::INFINITY)
        ]
        .prop_map(Value::Num),
        arb_string().prop_map(Value::Str),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Arr),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6)
                .prop_map(|kv| obj(kv.into_iter().map(|(k, v)| (k.to_string(), v)))),
        ]
    })
}

const TEMPLATES: &[&str] = &[
    "Hi {{name|there}}!",
    "{{a}} {{b.c}} {{l.0}} {{.}}",
    "{{#l}}[{{.}}|{{a}}|{{#l}}{{.}}{{/l}}]{{/l}}{{^l}}none{{/l}}",
    "{{#a}}{{#b}}{{#c}}{{d}}{{x}}{{/c}}{{/b}}{{/a}}",
    "{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{.}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}",
    "{{x}}{{x}}{{x}}{{x}}{{x}}{{x}}{{x}}{{x}}{{x}}{{x}}{{x}}{{x}}",
];

/// Printable ASCII with template punctuation, but without the letters of "LEAK".
fn inert_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(
            prop::sample::select(
                &[
                    "{{",
                    "}}",
                    "{{secret}}",
                    "{{#l}}",
                    "{{/l}}",
                    "\\{{",
                    "{{{secret}}}",
                    "|",
                    "x",
                    " "
                ][..]
            ),
            0..10
        )
        .prop_map(|v| v.concat()),
        "[ -~&&[^LEAK]]{0,100}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn any_source_compiles_or_reports_one_error(src in arb_source()) {
        let mut errors = Errors::new();
        match compile(&src, "t", &mut errors) {
            Some(t) => {
                prop_assert!(errors.is_empty());
                prop_assert!(t.paths().iter().all(|p| !p.is_empty()));
                let _ = t.render(&Value::Null, MissingPolicy::Default);
            }
            None => {
                prop_assert_eq!(errors.len(), 1);
                prop_assert!(errors[0].path == "t" && !errors[0].message.is_empty());
            }
        }
        let _ = compile_link(&src, "t", &mut errors);
    }

    #[test]
    fn any_context_renders_within_bounds(ctx in arb_value(), i in 0..TEMPLATES.len()) {
        let mut errors = Errors::new();
        let t = compile(TEMPLATES[i], "t", &mut errors).unwrap();
        for policy in [MissingPolicy::Default, MissingPolicy::Skip] {
            if let Some(out) = t.render(&ctx, policy) {
                let s = out.to_plain_string();
                prop_assert!(s.chars().count() <= MAX_RENDER_CHARS);
                prop_assert!(!s.chars().any(|c| c.is_control() && c != '\n' && c != '\t'));
                if policy == MissingPolicy::Skip {
                    prop_assert!(out.missing.is_empty());
                }
            }
        }
        if let Some(url) = render_url(&t, &ctx) {
            prop_assert!(check_link(&url).is_ok());
        }
    }

    #[test]
    fn arbitrary_sources_render_arbitrary_contexts(src in arb_source(), ctx in arb_value()) {
        let mut errors = Errors::new();
        if let Some(t) = compile(&src, "t", &mut errors) {
            if let Some(out) = t.render(&ctx, MissingPolicy::Default) {
                prop_assert!(out.to_plain_string().chars().count() <= MAX_RENDER_CHARS);
            }
            let _ = render_url(&t, &ctx);
        }
    }

    #[test]
    fn values_are_never_template_syntax(v in inert_text()) {
        let ctx = obj([
            ("v", Value::Str(v.clone())),
            ("secret", Value::Str("LEAK".into())),
            ("l", Value::Arr(vec![Value::Str("LEAK".into())])),
        ]);
        let mut errors = Errors::new();
        let t = compile("[{{v}}]{{#l}}{{/l}}", "t", &mut errors).unwrap();
        let out = t.render(&ctx, MissingPolicy::Skip);
        if v.is_empty() {
            prop_assert!(out.is_none());
        } else {
            let s = out.unwrap().to_plain_string();
            prop_assert_eq!(s, format!("[{v}]"));
        }
    }

    #[test]
    fn long_values_are_cut_not_dropped(n in 0usize..2000) {
        let ctx = obj([("v", Value::Str("a".repeat(n + 1)))]);
        let mut errors = Errors::new();
        let t = compile("{{v}}", "t", &mut errors).unwrap();
        let s = t.render(&ctx, MissingPolicy::Default).unwrap().to_plain_string();
        prop_assert_eq!(s.chars().count(), (n + 1).min(MAX_VALUE_CHARS));
        prop_assert_eq!(s.ends_with('…'), n + 1 > MAX_VALUE_CHARS);
    }

    #[test]
    fn url_values_are_percent_encoded(q in any::<String>()) {
        let mut errors = Errors::new();
        let t = compile_link("/search?q={{q}}#r", "t", &mut errors).unwrap();
        let ctx = obj([("q", Value::Str(q.clone()))]);
        let url = render_url(&t, &ctx);
        if q.is_empty() || q.chars().count() > MAX_VALUE_CHARS {
            prop_assert!(url.is_none());
        } else {
            let url = url.unwrap();
            prop_assert_eq!(&url, &format!("/search?q={}#r", encode_component(&q)));
            let enc = url.strip_prefix("/search?q=").unwrap().strip_suffix("#r").unwrap();
            prop_assert!(enc.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.!~*'()%".contains(&b)));
        }
    }

    #[test]
    fn allowed_links_have_no_script_scheme(s in prop_oneof![
        any::<String>(),
        "[ \\t\\n\\x00\\x01/\\\\]{0,3}[jJ][aA]v[\\t\\n]?ascript:[a-z()]{0,5}",
        "[ \\x01]{0,2}(data|vbscript|file|https?|JAVASCRIPT):[/\\\\]{0,3}[a-z.]{0,8}",
        "[/\\\\?#.a-z:]{0,12}",
    ]) {
        if check_link(&s).is_ok() {
            // An independent model of the browser's view: the effective string after
            // the WHATWG clean-up, lowercased.
            let eff: String = s
                .trim_matches(|c: char| c <= ' ')
                .chars()
                .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
                .collect::<String>()
                .to_ascii_lowercase();
            prop_assert!(!eff.is_empty());
            prop_assert!(!eff.starts_with("//") && !eff.starts_with("\\\\") && !eff.starts_with("/\\") && !eff.starts_with("\\/"));
            let scheme_end = eff.find(':');
            if let Some(end) = scheme_end {
                let head = &eff[..end];
                let looks_like_scheme = head.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                    && head.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
                if looks_like_scheme {
                    prop_assert!(head == "http" || head == "https", "{s:?}");
                }
            }
            prop_assert!(!s.chars().any(char::is_control));
        }
    }
}
