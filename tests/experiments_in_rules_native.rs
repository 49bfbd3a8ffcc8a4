//! Experiments, rollouts and segments wired into rules: sticky variants, holdout
//! exposures without a show, variant actions, rollouts as feature flags, segments in
//! conditions (rule-based and K-means centroids).
#![cfg(not(target_arch = "wasm32"))]

use cuekit::core::config::compile;
use cuekit::core::engine::{Engine, Signal};
use cuekit::core::regex::LinearRegex;
use cuekit::core::state::State;
use cuekit::core::value::{Map, Value};

fn engine(cfg: &str, visitor: &str) -> Engine {
    let v: Value = serde_json::from_str(cfg).expect("config JSON");
    let c = match compile(&v, &LinearRegex) {
        Ok(c) => c,
        Err(e) => panic!("{e:?}"),
    };
    Engine::new(c, State::default(), visitor, 1_000_000)
}

fn go(e: &mut Engine, name: &str, now: u64) -> Vec<(String, Result<(), String>)> {
    let ds = e.handle(
        Signal::Event {
            name: name.into(),
            props: Value::Obj(Map::new()),
            targets: vec![],
        },
        now,
    );
    ds.iter()
        .map(|d| (d.rule_id.clone(), e.admit(d, now).map_err(|s| s.cap)))
        .collect()
}

const AB: &str = r#"{"rules":[{"id":"cart","trigger":"abandon","experiment":{
    "key":"cart-copy","holdout":0.2,
    "variants":[{"id":"reminder","weight":0.34,"action":{"type":"toast","body":"You left something"}},
                {"id":"discount","weight":0.33,"action":{"type":"toast","body":"10% off: CART10"}},
                {"id":"cross-sell","weight":0.33,"action":{"type":"toast","body":"Pairs well with…"}}]}}]}"#;

#[test]
fn variants_are_sticky_split_by_weight_and_the_holdout_sees_nothing() {
    let mut counts = [0u32; 3];
    let mut held = 0u32;
    for i in 0..2_000 {
        let id = format!("visitor-{i}");
        let mut e = engine(AB, &id);
        let a = e.assignment(0).expect("has an experiment");
        let v = a.variant.expect("full coverage");
        // Sticky: a new engine (a reload) assigns the same.
        assert_eq!(
            engine(AB, &id)
                .assignment(0)
                .map(|x| (x.variant, x.in_holdout)),
            Some((a.variant, a.in_holdout))
        );
        let out = go(&mut e, "abandon", 2_000_000);
        let exposures = e.take_exposures();
        assert_eq!(
            exposures.len(),
            1,
            "exposure recorded once, at the decision"
        );
        if a.in_holdout {
            held += 1;
            assert_eq!(out, vec![("cart".to_string(), Err("holdout".to_string()))]);
            assert!(exposures[0].2, "a held-out exposure is marked as such");
            assert!(
                e.ledger().entries().is_empty(),
                "no show recorded for the holdout"
            );
        } else {
            counts[v] += 1;
            assert_eq!(out, vec![("cart".to_string(), Ok(()))]);
            let body = e
                .action_for(0, Some(v))
                .and_then(|x| x.display.as_ref())
                .and_then(|d| d.body.as_ref())
                .and_then(|t| {
                    t.render(&Value::Null, cuekit::core::template::MissingPolicy::Default)
                })
                .map(|r| r.to_plain_string());
            let want = ["You left something", "10% off: CART10", "Pairs well with…"][v];
            assert_eq!(body.as_deref(), Some(want), "the variant's own action");
        }
        // A second decision does not expose again.
        let _ = go(&mut e, "abandon", 3_000_000);
        assert!(e.take_exposures().is_empty());
    }
    let shown = (2_000 - held) as f64;
    assert!(
        (held as f64 / 2_000.0 - 0.2).abs() < 0.03,
        "holdout share {held}/2000"
    );
    for (i, w) in [0.34, 0.33, 0.33].iter().enumerate() {
        let share = counts[i] as f64 / shown;
        assert!(
            (share - w).abs() < 0.04,
            "variant {i}: {share:.3} vs {w} (±0.04 over ~1,600 visitors)"
        );
    }
}

#[test]
fn force_and_rollout() {
    let forced = AB.replace(
        r#""key":"cart-copy","#,
        r#""key":"cart-copy","force":"discount","#,
    );
    for i in 0..50 {
        let e = engine(&forced, &format!("v{i}"));
        let a = e.assignment(0).expect("experiment");
        assert_eq!((a.variant, a.in_holdout, a.forced), (Some(1), false, true));
    }
    let cfg = r#"{"rules":[{"id":"beta","trigger":"go","rollout":0.25}]}"#;
    let on = (0..2_000)
        .filter(|i| {
            go(&mut engine(cfg, &format!("v{i}")), "go", 2_000_000)[0]
                .1
                .is_ok()
        })
        .count();
    assert!(
        (on as f64 / 2_000.0 - 0.25).abs() < 0.03,
        "rolled out to {on}/2000"
    );
    let off = r#"{"rules":[{"id":"beta","trigger":"go","rollout":0}]}"#;
    assert_eq!(
        go(&mut engine(off, "v1"), "go", 2_000_000)[0].1,
        Err("rollout".to_string())
    );
}

#[test]
fn segments_are_usable_in_conditions_and_change_as_metrics_change() {
    let cfg = r#"{
      "segments":[{"name":"high_engagement","if":{"session.pageViews":{"$gte":3},"session.duration":{"$gt":600000}}}],
      "centroids":{"features":["session.pageViews","behavior.scrollDepth"],
                   "centroids":[{"name":"browser","center":[1,10]},{"name":"reader","center":[1,90]}]},
      "rules":[{"id":"vip","trigger":"page_view","if":{"segment":"high_engagement"}},
               {"id":"readers","trigger":"ping","if":{"segments":"reader"}}]}"#;
    let mut e = engine(cfg, "v");
    let pv = |e: &mut Engine, now| {
        e.handle(
            Signal::PageView {
                page: Value::Obj(Map::new()),
            },
            now,
        )
    };
    assert!(pv(&mut e, 1_000_000).is_empty());
    assert_eq!(e.segments(), ["browser"]);
    e.handle(Signal::Scroll { depth: 95.0 }, 1_001_000);
    let ds = e.handle(
        Signal::Event {
            name: "ping".into(),
            props: Value::Obj(Map::new()),
            targets: vec![],
        },
        1_002_000,
    );
    assert_eq!(e.segments(), ["reader"]);
    assert_eq!(
        ds.iter().map(|d| d.rule_id.as_str()).collect::<Vec<_>>(),
        ["readers"]
    );
    assert!(pv(&mut e, 1_100_000).is_empty());
    let ds = pv(&mut e, 1_700_000);
    assert_eq!(
        e.segments().first().map(String::as_str),
        Some("high_engagement")
    );
    assert_eq!(
        ds.iter().map(|d| d.rule_id.as_str()).collect::<Vec<_>>(),
        ["vip"]
    );
    assert!(e.take_segments_changed());
}

#[test]
fn experiment_config_errors_have_paths() {
    let bad = r#"{"rules":[{"id":"x","trigger":"t","experiment":{"variants":[{"id":"a","weight":0.9},{"id":"a","weight":0.3}],"holdout":2,"force":"zz"}}]}"#;
    let v: Value = serde_json::from_str(bad).unwrap();
    let errs: Vec<String> = compile(&v, &LinearRegex)
        .err()
        .unwrap_or_default()
        .iter()
        .map(|e| e.to_string())
        .collect();
    for want in [
        "rules[0].experiment.variants[1].id: duplicate variant id \"a\"",
        "rules[0].experiment.variants: weights must be given for every variant and sum to 1",
        "rules[0].experiment.holdout: expected a number from 0 to 0.99",
        "rules[0].experiment.force: unknown variant \"zz\"",
    ] {
        assert!(
            errs.iter().any(|e| e.starts_with(want)),
            "missing {want:?} in {errs:#?}"
        );
    }
}
