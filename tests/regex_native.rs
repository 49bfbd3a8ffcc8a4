//! The linear-time regex engine: JavaScript's answers on a table of patterns, the same
//! answers as `regex-lite` on random patterns of the dialects' common part, the patterns
//! that backtracking engines take seconds on answered at once, and the refusals.
#![cfg(not(target_arch = "wasm32"))]

use cuekit::core::regex::{
    text_limit, work, LinearRegex, RegexFactory, MAX_INSTS, MAX_TEXT, MAX_WORK,
};
use proptest::prelude::*;
use std::time::{Duration, Instant};

fn m(p: &str, t: &str) -> bool {
    LinearRegex
        .compile(p)
        .unwrap_or_else(|e| panic!("{p:?}: {e}"))
        .is_match(t)
}

/// (pattern, text, what JavaScript's `new RegExp(pattern).test(text)` answers).
const JS: &[(&str, &str, bool)] = &[
    ("abc", "xabcx", true),
    ("^abc$", "abc", true),
    ("^abc$", "abc\n", false),
    ("a.c", "a\rc", false),
    ("a.c", "a\nc", false),
    ("a.c", "a\u{2028}c", false),
    ("a.c", "abc", true),
    ("^\\d+$", "0123", true),
    ("^\\d+$", "٣", false),
    ("^\\w+$", "é", false),
    ("^\\s$", "\u{a0}", true),
    ("^\\s$", "\u{feff}", true),
    ("^\\S$", "\u{3000}", false),
    ("\\bfoo\\b", "a foo b", true),
    ("\\bfoo\\b", "afoo", false),
    ("\\Bfoo", "afoo", true),
    ("^[^a-c]+$", "xyz", true),
    ("^[^a-c]+$", "xbz", false),
    ("^[a\\-z]+$", "a-z", true),
    ("^[a-]+$", "a-", true),
    ("^[\\d.]+$", "1.2", true),
    ("^[\\w-]+$", "a-b_c", true),
    ("^[\\b]$", "\u{8}", true),
    ("^a{2}$", "aa", true),
    ("^a{2}$", "aaa", false),
    ("^a{2,}$", "aaaa", true),
    ("^a{2,3}$", "aaaa", false),
    ("^a{,3}$", "a{,3}", true),
    ("^a{x}$", "a{x}", true),
    ("^{$", "{", true),
    ("^}$", "}", true),
    ("^]$", "]", true),
    ("^(?:ab)+$", "abab", true),
    ("^(?<y>\\d{4})-\\d\\d$", "2024-12", true),
    ("^(a|)+$", "aaa", true),
    ("^()*$", "", true),
    ("^(a*)*$", "aaaa", true),
    ("^a*?b$", "aab", true),
    ("^a+?$", "aaa", true),
    ("^a??b$", "b", true),
    ("^a{1,2}?$", "aa", true),
    ("\\x41", "A", true),
    ("\\x4", "x4", true),
    ("\\u0041", "A", true),
    (
        "\\u{41}",
        "uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu",
        true,
    ),
    ("^\\cJ$", "\n", true),
    ("^\\c$", "\\c", true),
    ("^\\0$", "\0", true),
    ("^\\/\\.\\a$", "/.a", true),
    ("^\\t\\n\\r\\v\\f$", "\t\n\r\u{b}\u{c}", true),
    ("(Mobile|Tablet)", "iPad Tablet", true),
    ("-12-25$", "2024-12-25", true),
    ("^$", "", true),
    ("", "anything", true),
    ("a|b|c", "xxc", true),
    ("^(a|ab)(c|bcd)(d*)$", "abcd", true),
    ("x*", "", true),
    ("(?i)^MOBILE$", "mobile", true),
    ("(?i)^[a-c]+$", "ABC", true),
    ("(?i)^[A-C]+$", "abc", true),
    ("(?i)^é$", "É", true),
    ("(?i)^\\w$", "K", true),
];

#[test]
fn answers_as_javascript_does() {
    for &(p, t, want) in JS {
        assert_eq!(m(p, t), want, "/{p}/.test({t:?})");
    }
}

/// A loose wall-time bound (unoptimized builds on a shared machine): backtracking on these
/// texts would take years, not seconds. The 50 ms budget is measured on the release wasm
/// in Chromium (`tests/e2e/redos.test.mjs`); here the work is counted exactly.
const LOOSE: Duration = Duration::from_secs(5);

/// `p` on near-misses of its longest accepted text (`text_limit`) and just past it: the
/// work counted stays within 3 × instructions × (characters + 1) and within 3 ×
/// (`MAX_WORK` + instructions); the slowest wall time is returned.
fn timed(p: &str, unit: &str, last: &str) -> Duration {
    let re = LinearRegex.compile(p).unwrap();
    let limit = text_limit(p).unwrap();
    let mut worst = Duration::ZERO;
    for len in [limit, limit + 1, MAX_TEXT * 2] {
        let mut t = unit.repeat((len - last.len()) / unit.len());
        t.push_str(last);
        let (insts, steps) = work(p, &t).unwrap();
        let chars = t.chars().count();
        assert!(
            steps <= 3 * insts * (chars + 1),
            "{p} on {len}: {steps} steps"
        );
        assert!(
            steps <= 3 * (MAX_WORK + insts),
            "{p} on {len}: {steps} steps"
        );
        if t.len() > limit {
            assert_eq!(steps, 0, "{p}: past the limit nothing runs");
        }
        let t0 = Instant::now();
        let _ = re.is_match(&t);
        worst = worst.max(t0.elapsed());
    }
    worst
}

/// The patterns of issue 20 and the usual catastrophic ones, on near-misses: each within
/// budget (natively; `tests/e2e/redos.test.mjs` measures the wasm in Chromium).
#[test]
fn no_pattern_backtracks() {
    let email = "^([a-zA-Z0-9_\\.\\-])+\\@(([a-zA-Z0-9\\-])+\\.)+([a-zA-Z0-9]{2,4})+$";
    let cases = [
        ("^(\\w+\\s?)*$", "a", "!"),
        (email, "a.", "@a"),
        (email, "a-", "@a.b.c.d!"),
        ("(a+)+$", "a", "!"),
        ("(a|aa)+$", "a", "!"),
        ("(a|a)*$", "a", "!"),
        ("(\\w|\\d)+x", "a", "!"),
        ("(.*a){12}", "a", "b"),
        ("^(.*a){12}$", "a", "!"),
        ("(\\w*)*\\w*\\w*!x", "a", "!"),
        (LARGEST, "a", "!"),
    ];
    for (p, unit, last) in cases {
        let took = timed(p, unit, last);
        assert!(took < LOOSE, "{p}: {took:?}");
    }
    assert!(m("^(\\w+\\s?)*$", &"ab ".repeat(100)));
    assert!(!m("^(\\w+\\s?)*$", "aaaa!"));
    assert!(m("(.*a){12}", &"a".repeat(12)));
    assert!(!m("(.*a){12}", &"a".repeat(11)));
    assert!(m(email, "someone@shop.example.com"));
}

/// A program of 999 instructions (4 per repetition, the two '!' and the final match), every
/// one of them live at every position of a text of a's: the most work a match can take.
/// `tests/e2e/redos.test.mjs` uses this pattern and its limit.
const LARGEST: &str = "(?:\\b.*){249}!!";

#[test]
fn the_text_limit_keeps_the_work_bounded() {
    assert_eq!(text_limit(LARGEST), Ok(MAX_WORK / 999));
    assert_eq!(MAX_WORK / 999, 524);
    assert_eq!(text_limit("a+"), Ok(MAX_TEXT));
    // The limits tests/e2e/redos.test.mjs runs its patterns at.
    let email = "^([a-zA-Z0-9_\\.\\-])+\\@(([a-zA-Z0-9\\-])+\\.)+([a-zA-Z0-9]{2,4})+$";
    for (p, limit) in [
        ("^(\\w+\\s?)*$", 32768),
        (email, 15420),
        ("(a+)+$", 32768),
        ("(a|aa)+$", 32768),
        ("(.*a){12}", 10699),
        (LARGEST, 524),
    ] {
        assert_eq!(text_limit(p), Ok(limit), "{p}");
    }
    assert!(LinearRegex.compile("(?:\\b.*){250}!!").is_err());
}

#[test]
fn text_over_the_bound_matches_nothing() {
    let limit = text_limit("^a*$").unwrap();
    let t = "a".repeat(limit + 1);
    assert!(!m("a", &t) && !m("^a*$", &t));
    assert!(m("^a*$", &t[..limit]));
}

#[test]
fn refuses_what_cannot_be_linear_or_is_not_a_regex() {
    let refuse = |p: &str, says: &str| {
        let e = LinearRegex.compile(p).err().unwrap_or_default();
        assert!(e.contains(says), "{p:?}: {e:?}");
    };
    refuse("(a)\\1", "backreferences are not supported");
    refuse("(?<n>a)\\k<n>", "backreferences are not supported");
    refuse("a(?=b)", "lookaround is not supported");
    refuse("a(?!b)", "lookaround is not supported");
    refuse("(?<=a)b", "lookaround is not supported");
    refuse("(?<!a)b", "lookaround is not supported");
    refuse("((a{100}){100}){100}", "too large");
    refuse("a{1001}", "more than 1000 times");
    refuse(&"a".repeat(1001), "longer than");
    refuse(&format!("a{{{MAX_INSTS}}}b"), "too large");
    for bad in [
        "(", ")", "[a", "a**", "a{2}{3}", "*a", "+", "?", "^*", "a{3,2}", "[z-a]", "\\", "(?x)",
        "a???", "{2}",
    ] {
        let e = LinearRegex.compile(bad).err().unwrap_or_default();
        assert!(
            e.starts_with("invalid regular expression"),
            "{bad:?}: {e:?}"
        );
    }
}

/// Patterns over a small alphabet built from the constructs both dialects read alike.
fn pattern() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("a".to_string()),
        Just("b".to_string()),
        Just(".".to_string()),
        Just("[ab]".to_string()),
        Just("[^a]".to_string()),
        Just("\\w".to_string()),
        Just("\\b".to_string()),
        Just("^".to_string()),
        Just("$".to_string()),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a}{b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("(?:{a}|{b})")),
            inner.clone().prop_map(|a| format!("(?:{a})*")),
            inner.clone().prop_map(|a| format!("(?:{a})+")),
            inner.clone().prop_map(|a| format!("(?:{a})?")),
            (inner, 0u32..3, 0u32..3).prop_map(|(a, n, k)| format!("(?:{a}){{{n},{}}}", n + k)),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]
    #[test]
    fn answers_as_regex_lite_on_the_common_dialect(p in pattern(), t in "[abc ]{0,12}") {
        let lite = regex_lite::Regex::new(&p).unwrap();
        prop_assert_eq!(m(&p, &t), lite.is_match(&t), "/{}/ on {:?}", p, t);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]
    /// Any pattern text either compiles or is refused with a reason (never a panic), and a
    /// compiled one keeps the work bound on any text.
    #[test]
    fn any_pattern_compiles_or_is_refused_and_stays_in_bound(
        p in r"[ab.*+?|(){}\[\]^$\\,0-9dwsbBkx:<>=!-]{0,24}",
        t in "[ab0-9 _!-]{0,40}",
    ) {
        match LinearRegex.compile(&p) {
            Ok(re) => {
                let _ = re.is_match(&t);
                let (insts, steps) = work(&p, &t).unwrap();
                prop_assert!(steps <= 3 * insts * (t.chars().count() + 1));
            }
            Err(e) => prop_assert!(!e.is_empty()),
        }
    }
}
