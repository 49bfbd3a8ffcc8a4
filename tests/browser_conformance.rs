//! GrowthBook `evalCondition` vectors replayed in a real browser: the fixture goes through
//! `JSON.parse` and `convert::from_js` (the path configs take) and regexes through the
//! page's `RegExp`.
#![cfg(target_arch = "wasm32")]

#[path = "support/conformance.rs"]
mod conformance;

use cuekit::core::condition::Condition;
use cuekit::core::regex::RegexFactory;
use cuekit::core::value::Value;
use cuekit::web::regex::JsRegex;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn cases() -> Value {
    let js = js_sys::JSON::parse(include_str!("fixtures/growthbook-cases.json"))
        .expect("fixture parses");
    cuekit::web::convert::from_js(&js).expect("fixture converts")
}

#[wasm_bindgen_test]
fn eval_condition_vectors_pass_in_the_browser() {
    let r = conformance::replay(&cases(), &JsRegex);
    console_log!(
        "evalCondition (browser): {}/{} passed, {} failed to compile (expected false)",
        r.passed,
        r.total,
        r.compile_failed
    );
    assert_eq!(r.total, 248);
    assert!(r.failures.is_empty(), "{:#?}", r.failures);
    let (passed, failures) = conformance::replay_eval_condition(&cases(), &JsRegex);
    assert_eq!((passed, failures.len()), (248, 0));
}

#[wasm_bindgen_test]
fn js_regex_reports_syntax_errors_and_honours_case_flag() {
    let err = JsRegex.compile("/???***[)").err().unwrap_or_default();
    assert!(err.contains("Invalid regular expression"), "{err}");
    let m = JsRegex.compile("(?i)^MOBILE").expect("compiles");
    assert!(m.is_match("mobile safari"));
    let mut errors = Vec::new();
    let c = Condition::compile(&Value::from("x"), "if", None, &JsRegex, &mut errors);
    assert!(!c.eval(&Value::Null) && errors.len() == 1);
}
