//! A show is counted only once the visitor got it (`Engine::admit_shown`): a render that
//! fails records nothing (no ledger entry, no exposure, caps untouched) and `explain`
//! says why (issue 20, item 13; the browser side is tests/e2e/host-dom.test.mjs).
#![cfg(not(target_arch = "wasm32"))]

use cuekit::core::caps::{Kind, Suppressed};
use cuekit::core::config::compile;
use cuekit::core::engine::{Decision, Engine, Signal};
use cuekit::core::regex::LinearRegex;
use cuekit::core::state::State;
use cuekit::core::value::{Map, Value};

const CFG: &str = r#"{"rules":[
  {"id":"modal","trigger":"go","caps":{"perSession":1},"action":{"type":"modal","body":"Hi"}},
  {"id":"exp","trigger":"go-exp","caps":{"perSession":1},"experiment":{"key":"k","variants":[
    {"id":"a","action":{"type":"toast","body":"a"}},{"id":"b","action":{"type":"toast","body":"b"}}]}}]}"#;

fn engine() -> Engine {
    let v: Value = serde_json::from_str(CFG).expect("config JSON");
    let c = match compile(&v, &LinearRegex) {
        Ok(c) => c,
        Err(e) => panic!("{e:?}"),
    };
    Engine::new(c, State::default(), "visitor-1", 1_000_000)
}

fn fire(e: &mut Engine, name: &str, now: u64) -> Decision {
    let ds = e.handle(
        Signal::Event {
            name: name.into(),
            props: Value::Obj(Map::new()),
            targets: vec![],
        },
        now,
    );
    ds.into_iter().next().expect("the rule fires")
}

fn shows(e: &Engine, rule: &str) -> usize {
    e.ledger()
        .entries()
        .iter()
        .filter(|x| x.rule == rule && x.kind == Kind::Show)
        .count()
}

/// What the browser layer says when the message could not be put on the page.
fn failed_render() -> Result<(), Suppressed> {
    Err(Suppressed {
        cap: "render".into(),
        reason: "the render failed".into(),
        until: None,
    })
}

#[test]
fn a_failed_render_counts_nothing_and_the_next_eligible_show_happens() {
    let mut e = engine();
    let t = 1_000_000;
    let d = fire(&mut e, "go", t);
    let r = e.admit_shown(&d, t, failed_render);
    assert_eq!(r.map_err(|s| s.cap), Err("render".to_string()));
    assert_eq!(shows(&e, "modal"), 0);
    assert_eq!(e.showing(), None, "nothing is on screen");
    let why = e.explain("modal", t).expect("known rule");
    assert_eq!(why.get("shown"), Some(&Value::Num(0.0)));
    assert_eq!(
        why.get("suppressed").and_then(|s| s.get("cap")),
        Some(&Value::Str("render".into()))
    );
    // perSession 1 was not used up: the next render that works shows.
    let d = fire(&mut e, "go", t + 1_000);
    assert!(e.admit_shown(&d, t + 1_000, || Ok(())).is_ok());
    assert_eq!(shows(&e, "modal"), 1);
    let d = fire(&mut e, "go", t + 2_000);
    assert!(e.admit(&d, t + 2_000).is_err(), "and now the cap holds");
}

#[test]
fn a_failed_render_exposes_no_variant() {
    let mut e = engine();
    let t = 1_000_000;
    let d = fire(&mut e, "go-exp", t);
    assert!(e.admit_shown(&d, t, failed_render).is_err());
    assert!(e.take_exposures().is_empty(), "no exposure without a show");
    let d = fire(&mut e, "go-exp", t + 1_000);
    assert!(e.admit_shown(&d, t + 1_000, || Ok(())).is_ok());
    assert_eq!(e.take_exposures().len(), 1);
}
