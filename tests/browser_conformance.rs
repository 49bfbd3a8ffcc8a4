//! GrowthBook `evalCondition` vectors replayed in a real browser: the fixture goes through
//! `JSON.parse` and `convert::from_js` (the path configs take) and regexes through the
//! core's linear-time engine, whose answers are checked against the page's own `RegExp`.
#![cfg(target_arch = "wasm32")]

#[path = "support/conformance.rs"]
mod conformance;

use cuekit::core::condition::Condition;
use cuekit::core::regex::{LinearRegex, RegexFactory};
use cuekit::core::value::Value;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn cases() -> Value {
    let js = js_sys::JSON::parse(include_str!("fixtures/growthbook-cases.json"))
        .expect("fixture parses");
    cuekit::web::convert::from_js(&js).expect("fixture converts")
}

#[wasm_bindgen_test]
fn eval_condition_vectors_pass_in_the_browser() {
    let r = conformance::replay(&cases(), &LinearRegex);
    console_log!(
        "evalCondition (browser): {}/{} passed, {} failed to compile (expected false)",
        r.passed,
        r.total,
        r.compile_failed
    );
    assert_eq!(r.total, 248);
    assert!(r.failures.is_empty(), "{:#?}", r.failures);
    let (passed, failures) = conformance::replay_eval_condition(&cases(), &LinearRegex);
    assert_eq!((passed, failures.len()), (248, 0));
}

#[wasm_bindgen_test]
fn regex_reports_syntax_errors_and_honours_case_flag() {
    let err = LinearRegex.compile("/???***[)").err().unwrap_or_default();
    assert!(err.contains("invalid regular expression"), "{err}");
    let m = LinearRegex.compile("(?i)^MOBILE").expect("compiles");
    assert!(m.is_match("mobile safari"));
    let mut errors = Vec::new();
    let c = Condition::compile(&Value::from("x"), "if", None, &LinearRegex, &mut errors);
    assert!(!c.eval(&Value::Null) && errors.len() == 1);
}

/// Patterns in the dialects' common part: the engine answers as the page's `RegExp` does
/// (the dialect differences are listed in README's condition section).
#[wasm_bindgen_test]
fn regex_answers_as_the_browsers_regexp() {
    let patterns = [
        "^/product/",
        "(Mobile|Tablet)",
        "-12-25$",
        "^\\d{3}-\\d{4}$",
        "\\bsale\\b",
        "^[^@\\s]+@[^@\\s]+$",
        "^(\\w+\\s?)*$",
        "a.c",
        "^[a\\-z]+$",
        "x{2,3}",
        "a{,2}",
        "^{}$",
        "[\\s\\S]",
        "(?:ab|cd)+e",
        "^(?<y>\\d{4})$",
        "\\x41\\u0042",
        "\\cJ",
        "[\\b]",
        "\\/\\.",
        "a*?b",
        "[^a-c]",
        "\\B",
        "^\\s+$",
        "\\W",
        "(a|)+$",
        "(.*a){3}",
        "^$",
        "",
        "]",
        "}",
    ];
    let texts = [
        "",
        "/product/3",
        "iPad Tablet",
        "2024-12-25",
        "555-1234",
        "big sale today",
        "a@b.c",
        "ab cd ",
        "a\nc",
        "a\rc",
        "abc",
        "a-z",
        "xxx",
        "a{,2}",
        "{}",
        "ababe",
        "2024",
        "AB",
        "\n",
        "\u{8}",
        "/.",
        "aab",
        "\u{a0}\u{3000}",
        "é",
        "aaaa",
        "Ünïcödé",
        "]",
        "}",
    ];
    for p in patterns {
        let js = js_sys::RegExp::new(p, "");
        let ours = LinearRegex.compile(p).expect(p);
        for t in texts {
            assert_eq!(ours.is_match(t), js.test(t), "/{p}/.test({t:?})");
        }
        let ci = js_sys::RegExp::new(p, "i");
        let ours_ci = LinearRegex.compile(&format!("(?i){p}")).expect(p);
        for t in texts {
            assert_eq!(ours_ci.is_match(t), ci.test(t), "/{p}/i.test({t:?})");
        }
    }
}
