//! The GrowthBook hashing and bucketing vectors, the visitor split and the statistics
//! fixture replayed in a real browser: the fixtures go through `JSON.parse` and
//! `convert::from_js` (the path configs take), the code runs as wasm32.
#![cfg(target_arch = "wasm32")]

#[path = "support/experiment_cases.rs"]
mod experiment_cases;

use cuekit::core::value::Value;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn parse(text: &str) -> Value {
    let js = js_sys::JSON::parse(text).expect("fixture parses");
    cuekit::web::convert::from_js(&js).expect("fixture converts")
}

#[wasm_bindgen_test]
fn growthbook_experiment_vectors_pass_in_the_browser() {
    let r =
        experiment_cases::replay_growthbook(&parse(include_str!("fixtures/growthbook-cases.json")));
    console_log!("growthbook experiment vectors (browser): {}", r.summary());
    let sizes: Vec<usize> = r.sections.iter().map(|s| s.1).collect();
    assert_eq!(sizes, [15, 13, 13, 16, 6]);
    assert!(r.failures.is_empty(), "{:#?}", r.failures);
    assert_eq!(r.passed(), 63);
}

/// Same split as natively, ±2 percentage points; wasm must assign identically.
#[wasm_bindgen_test]
fn ten_thousand_visitors_split_by_weight_in_the_browser() {
    let weights = [0.5, 0.25, 0.25];
    let (counts, outside) = experiment_cases::split(&weights, 10_000);
    console_log!("split (browser): {:?}", counts);
    assert_eq!(outside, 0);
    for (c, w) in counts.iter().zip(weights) {
        assert!((*c as f64 / 10_000.0 - w).abs() <= 0.02, "{counts:?}");
    }
}

#[wasm_bindgen_test]
fn stats_match_scipy_fixture_in_the_browser() {
    let r = experiment_cases::replay_stats(&parse(include_str!("fixtures/stats/cases.json")));
    console_log!("stats fixture (browser): {}", r.summary());
    assert_eq!(r.total(), 11);
    assert!(r.failures.is_empty(), "{:#?}", r.failures);
}
