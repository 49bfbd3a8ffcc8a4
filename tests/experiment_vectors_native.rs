//! GrowthBook hashing and bucketing vectors, the visitor split, and the scipy-generated
//! statistics fixture, run natively.
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/experiment_cases.rs"]
mod experiment_cases;

use cuekit::core::value::Value;

fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("fixture parses")
}

#[test]
fn growthbook_experiment_vectors_all_pass() {
    let r =
        experiment_cases::replay_growthbook(&parse(include_str!("fixtures/growthbook-cases.json")));
    println!("growthbook experiment vectors: {}", r.summary());
    let sizes: Vec<usize> = r.sections.iter().map(|s| s.1).collect();
    assert_eq!(sizes, [15, 13, 13, 16, 6]);
    assert!(r.failures.is_empty(), "{:#?}", r.failures);
    assert_eq!(r.passed(), 63);
}

/// 10,000 ids over weights [0.5, 0.25, 0.25]: each variant gets its weight within ±2
/// percentage points (the binomial standard deviation is at most 0.5 points here, so
/// this is a 4-sigma band), and nobody is left out at full coverage.
#[test]
fn ten_thousand_visitors_split_by_weight() {
    let weights = [0.5, 0.25, 0.25];
    let (counts, outside) = experiment_cases::split(&weights, 10_000);
    println!("split of 10,000 visitors over {weights:?}: {counts:?}");
    assert_eq!(outside, 0);
    assert_eq!(counts.iter().sum::<usize>(), 10_000);
    for (c, w) in counts.iter().zip(weights) {
        let share = *c as f64 / 10_000.0;
        assert!((share - w).abs() <= 0.02, "{counts:?}");
    }
}

#[test]
fn stats_match_scipy_fixture() {
    let r = experiment_cases::replay_stats(&parse(include_str!("fixtures/stats/cases.json")));
    println!("stats fixture: {}", r.summary());
    assert_eq!(r.total(), 11);
    assert!(r.failures.is_empty(), "{:#?}", r.failures);
}
