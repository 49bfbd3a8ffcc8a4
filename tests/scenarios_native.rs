//! Replays every scenario fixture natively (the same files run in headless Chromium
//! through `tests/browser_scenarios.rs`).
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/fixtures.rs"]
mod fixtures;

use cuekit::core::regex::LinearRegex;
use cuekit::core::value::Value;

fn fixture_files() -> Vec<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixture dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_scenario_fixture_replays_natively() {
    let files = fixture_files();
    assert!(files.len() >= 16, "expected a fixture per scenario trigger");
    let mut failures = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read fixture");
        let v: Value = serde_json::from_str(&text).expect("fixture is JSON");
        let out = fixtures::replay(&v, &LinearRegex);
        let expected = v
            .get("expect")
            .and_then(Value::as_array)
            .map_or(0, <[Value]>::len);
        assert!(
            expected > 0,
            "{}: a fixture must expect at least one decision",
            out.name
        );
        for p in out.problems {
            failures.push(format!("{} ({}): {p}", out.name, f.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn browser_replay_lists_every_fixture() {
    // The browser test embeds fixtures with include_str!; keep both lists in step.
    let src = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser_scenarios.rs"),
    )
    .expect("browser test source");
    for f in fixture_files() {
        let name = f
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        assert!(
            src.contains(&name),
            "tests/browser_scenarios.rs does not include {name}"
        );
    }
}
