//! Replays the scenario fixtures in headless Chromium through the wasm build, with the
//! browser's own RegExp and the JSON boundary conversion, exactly as the package runs.
#![cfg(target_arch = "wasm32")]

#[path = "support/fixtures.rs"]
mod fixtures;

use cuekit::core::regex::LinearRegex;
use cuekit::core::value::Value;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const FIXTURES: &[(&str, &str)] = &[
    (
        "s01_hesitation.json",
        include_str!("fixtures/scenarios/s01_hesitation.json"),
    ),
    (
        "s02_view_no_add.json",
        include_str!("fixtures/scenarios/s02_view_no_add.json"),
    ),
    (
        "s03_new_visitor_idle.json",
        include_str!("fixtures/scenarios/s03_new_visitor_idle.json"),
    ),
    (
        "s04_returning_cart.json",
        include_str!("fixtures/scenarios/s04_returning_cart.json"),
    ),
    (
        "s05_idle_15m_webhook.json",
        include_str!("fixtures/scenarios/s05_idle_15m_webhook.json"),
    ),
    (
        "s06_category_views.json",
        include_str!("fixtures/scenarios/s06_category_views.json"),
    ),
    (
        "s07_add_to_cart_upsell.json",
        include_str!("fixtures/scenarios/s07_add_to_cart_upsell.json"),
    ),
    (
        "s08_cart_abandon.json",
        include_str!("fixtures/scenarios/s08_cart_abandon.json"),
    ),
    (
        "s09_hover_dwell.json",
        include_str!("fixtures/scenarios/s09_hover_dwell.json"),
    ),
    (
        "s10_reviews_visible.json",
        include_str!("fixtures/scenarios/s10_reviews_visible.json"),
    ),
    (
        "s11_scroll_depth.json",
        include_str!("fixtures/scenarios/s11_scroll_depth.json"),
    ),
    (
        "s12_exit_intent.json",
        include_str!("fixtures/scenarios/s12_exit_intent.json"),
    ),
    (
        "s13_segments.json",
        include_str!("fixtures/scenarios/s13_segments.json"),
    ),
    (
        "s17_rage_click.json",
        include_str!("fixtures/scenarios/s17_rage_click.json"),
    ),
    (
        "s18_welcome_back.json",
        include_str!("fixtures/scenarios/s18_welcome_back.json"),
    ),
    (
        "s19_spa_navigation.json",
        include_str!("fixtures/scenarios/s19_spa_navigation.json"),
    ),
];

fn parse(text: &str) -> Value {
    let js = js_sys::JSON::parse(text).expect("fixture is JSON");
    cuekit::web::convert::from_js(&js).expect("fixture converts")
}

#[wasm_bindgen_test]
fn every_scenario_fixture_replays_in_the_browser() {
    let mut failures = Vec::new();
    for (file, text) in FIXTURES {
        let out = fixtures::replay(&parse(text), &LinearRegex);
        assert!(!out.decisions.is_empty(), "{file}: no decisions at all");
        for p in out.problems {
            failures.push(format!("{file}: {p}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
