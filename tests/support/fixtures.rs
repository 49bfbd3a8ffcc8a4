//! Replays a language-neutral scenario fixture (tests/fixtures/scenarios/*.json):
//! a config, a timed stream of signals, and the decisions expected. Used natively and,
//! compiled to wasm, in headless Chromium.
//!
//! Fixture shape:
//! ```json
//! { "name": "...", "config": {...}, "start": 1700000000000, "until": 120000,
//!   "steps": [ {"at": 0, "pageView": {"path": "/product/mug"}},
//!              {"at": 500, "track": "add_to_cart", "props": {...}, "on": ["#cta"]},
//!              {"at": 900, "activity": true}, {"at": 1000, "scroll": 80},
//!              {"at": 2000, "hidden": true}, {"at": 9000, "visible": true},
//!              {"at": 9500, "identify": {"plan": "pro"}}, {"at": 10000, "reload": true} ],
//!   "expect": [ {"at": 60500, "rule": "help", "props": {"name": "Mug"}} ] }
//! ```
//! `at` is milliseconds after `start`. Deadlines are processed exactly when due, as the
//! browser's one armed timer would. `reload` persists the state and builds a new engine
//! from it, as a page load does. `expect` lists every decision, in order; `props` in an
//! expectation must be a subset of the decision's properties.

use cuekit::core::config::compile;
use cuekit::core::engine::{Decision, Engine, Signal};
use cuekit::core::regex::RegexFactory;
use cuekit::core::state::State;
use cuekit::core::value::{Map, Value};

#[allow(dead_code)] // each test binary reads different fields
pub struct Outcome {
    pub name: String,
    pub decisions: Vec<(u64, Decision)>,
    pub problems: Vec<String>,
}

fn num(v: Option<&Value>) -> u64 {
    v.and_then(Value::as_f64).unwrap_or(0.0) as u64
}

fn subset(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Obj(e), Value::Obj(a)) => e
            .iter()
            .all(|(k, v)| a.get(k).is_some_and(|av| subset(v, av))),
        _ => expected == actual,
    }
}

fn run_until(engine: &mut Engine, t: u64, out: &mut Vec<(u64, Decision)>) {
    while let Some(d) = engine.next_deadline() {
        if d > t {
            break;
        }
        for dec in engine.tick(d) {
            out.push((d, dec));
        }
    }
}

pub fn replay(fixture: &Value, regex: &dyn RegexFactory) -> Outcome {
    let name = fixture
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_string();
    let mut problems = Vec::new();
    let config = fixture.get("config").cloned().unwrap_or_default();
    let start = num(fixture.get("start")).max(1);
    let visitor = fixture
        .get("visitorId")
        .and_then(Value::as_str)
        .unwrap_or("visitor-1");
    let build = |state: State, now: u64| -> Result<Engine, String> {
        match compile(&config, regex) {
            Ok(cfg) => Ok(Engine::new(cfg, state, visitor, now)),
            Err(errs) => Err(errs
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; ")),
        }
    };
    let mut engine = match build(State::default(), start) {
        Ok(e) => e,
        Err(e) => {
            problems.push(format!("config rejected: {e}"));
            return Outcome {
                name,
                decisions: Vec::new(),
                problems,
            };
        }
    };
    let mut decisions: Vec<(u64, Decision)> = Vec::new();
    let steps = fixture
        .get("steps")
        .and_then(Value::as_array)
        .unwrap_or(&[]);
    for step in steps {
        let now = start + num(step.get("at"));
        run_until(&mut engine, now, &mut decisions);
        let signal = if let Some(page) = step.get("pageView") {
            Some(Signal::PageView { page: page.clone() })
        } else if let Some(Value::Str(ev)) = step.get("track") {
            let selectors = &engine.config().watch.selectors;
            let targets: Vec<u16> = step
                .get("on")
                .and_then(Value::as_array)
                .unwrap_or(&[])
                .iter()
                .filter_map(|s| {
                    let s = s.as_str()?;
                    let found = selectors.iter().position(|x| x == s);
                    if found.is_none() {
                        problems.push(format!("selector {s} is not watched by the config"));
                    }
                    found.map(|i| i as u16)
                })
                .collect();
            Some(Signal::Event {
                name: ev.clone(),
                props: step.get("props").cloned().unwrap_or(Value::Obj(Map::new())),
                targets,
            })
        } else if step.get("activity").is_some() {
            Some(Signal::Activity)
        } else if let Some(d) = step.get("scroll").and_then(Value::as_f64) {
            Some(Signal::Scroll { depth: d })
        } else if step.get("hidden").is_some() {
            Some(Signal::Hidden)
        } else if step.get("visible").is_some() {
            Some(Signal::Visible)
        } else if let Some(Value::Obj(m)) = step.get("identify") {
            Some(Signal::Identify(m.clone()))
        } else if step.get("reload").is_some() {
            let saved = engine.export_state().to_value();
            let (state, repaired) = State::from_value(&saved, now);
            if repaired {
                problems.push("persisted state did not round-trip".into());
            }
            match build(state, now) {
                Ok(e) => engine = e,
                Err(e) => problems.push(e),
            }
            None
        } else {
            problems.push(format!("unknown step {step:?}"));
            None
        };
        if let Some(sig) = signal {
            for d in engine.handle(sig, now) {
                decisions.push((now, d));
            }
        }
    }
    let until = start + num(fixture.get("until"));
    run_until(&mut engine, until, &mut decisions);

    let expected = fixture
        .get("expect")
        .and_then(Value::as_array)
        .unwrap_or(&[]);
    if expected.len() != decisions.len() {
        problems.push(format!(
            "expected {} decisions, got {}: {:?}",
            expected.len(),
            decisions.len(),
            decisions
                .iter()
                .map(|(t, d)| (t - start, d.rule_id.clone()))
                .collect::<Vec<_>>()
        ));
    }
    for (i, (exp, (_, got))) in expected.iter().zip(&decisions).enumerate() {
        let want_rule = exp.get("rule").and_then(Value::as_str).unwrap_or("");
        if got.rule_id != want_rule {
            problems.push(format!(
                "decision {i}: expected rule {want_rule}, got {}",
                got.rule_id
            ));
        }
        if let Some(at) = exp.get("at") {
            let want = start + num(Some(at));
            if got.at != want {
                problems.push(format!(
                    "decision {i} ({want_rule}): expected at +{}ms, got +{}ms",
                    want - start,
                    got.at.saturating_sub(start)
                ));
            }
        }
        if let Some(p) = exp.get("props") {
            if !subset(p, &got.props) {
                problems.push(format!(
                    "decision {i} ({want_rule}): props {:?} not within {:?}",
                    p, got.props
                ));
            }
        }
    }
    Outcome {
        name,
        decisions,
        problems,
    }
}
