//! Property tests: any config either compiles or is rejected with errors (never a panic);
//! any event stream leaves the engine's memory bounded and never panics; the engine is
//! deterministic.
#![cfg(not(target_arch = "wasm32"))]

use cuekit::core::config::compile;
use cuekit::core::engine::{Engine, Signal, MAX_GROUPS, MAX_PARTIALS, MAX_PENDING};
use cuekit::core::regex::NativeRegex;
use cuekit::core::state::{Progress, State};
use cuekit::core::value::{obj, Map, Value};
use proptest::prelude::*;

fn arb_scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        prop_oneof![
            Just(-1.0),
            Just(0.0),
            Just(2.5),
            Just(1e308),
            Just(f64::NAN),
            Just(30.0)
        ]
        .prop_map(Value::Num),
        prop_oneof![
            Just("30s"),
            Just("-1m"),
            Just("x"),
            Just("click"),
            Just("page_view"),
            Just("*"),
            Just("^/product/"),
            Just("("),
            Just("#cta"),
            Just(""),
            Just("10m"),
            Just("__proto__")
        ]
        .prop_map(|s| Value::Str(s.into())),
    ]
}

const KEYS: &[&str] = &[
    "rules",
    "id",
    "trigger",
    "if",
    "action",
    "event",
    "where",
    "selector",
    "after",
    "absent",
    "within",
    "same",
    "count",
    "atLeast",
    "groupBy",
    "idle",
    "dwell",
    "without",
    "hover",
    "for",
    "visible",
    "ratio",
    "scroll",
    "away",
    "sequence",
    "priority",
    "enabled",
    "inactive",
    "$gt",
    "$regex",
    "$in",
    "$and",
    "$not",
    "page.path",
    "props.x",
    "session",
    "timeout",
    "zzz",
];

fn arb_value() -> impl Strategy<Value = Value> {
    arb_scalar().prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Arr),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6)
                .prop_map(|kv| obj(kv.into_iter().map(|(k, v)| (k.to_string(), v)))),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]
    #[test]
    fn any_config_compiles_or_reports_errors(v in arb_value()) {
        match compile(&v, &NativeRegex) {
            Ok(_) => {}
            Err(errs) => prop_assert!(!errs.is_empty() && errs.iter().all(|e| !e.message.is_empty())),
        }
        let wrapped = obj([("rules", Value::Arr(vec![v]))]);
        let _ = compile(&wrapped, &NativeRegex);
    }
}

fn engine() -> Engine {
    let cfg: Value = serde_json::from_str(
        r#"{"rules":[
          {"id":"seq","trigger":{"sequence":["a","b","c"],"within":"10m","same":"k"}},
          {"id":"abs","trigger":{"after":"a","absent":"b","within":"5m","same":"k"}},
          {"id":"cnt","trigger":{"count":"a","atLeast":50,"within":"1h","groupBy":"k"}},
          {"id":"idle","trigger":{"idle":"30s"}},
          {"id":"dwell","trigger":{"dwell":"20s","without":"b"}},
          {"id":"ev","trigger":{"event":"*","where":{"props.k":{"$gt":5}}}}
        ]}"#,
    )
    .unwrap();
    Engine::new(
        compile(&cfg, &NativeRegex).unwrap(),
        State::default(),
        "v",
        1_000_000,
    )
}

fn arb_signal() -> impl Strategy<Value = (u64, Signal)> {
    let ev = (prop::sample::select(vec!["a", "b", "c", "d"]), 0u32..200).prop_map(|(n, k)| {
        Signal::Event {
            name: n.into(),
            props: obj([("k", Value::Num(k as f64))]),
            targets: vec![],
        }
    });
    let sig = prop_oneof![
        6 => ev,
        1 => Just(Signal::Activity),
        1 => (0.0f64..120.0).prop_map(|d| Signal::Scroll { depth: d }),
        1 => Just(Signal::Hidden),
        1 => Just(Signal::Visible),
        1 => Just(Signal::PageView { page: obj([("path", Value::Str("/x".into()))]) }),
        1 => Just(Signal::Identify(Map::new())),
    ];
    (0u64..120_000, sig)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]
    #[test]
    fn memory_stays_bounded_and_replay_is_deterministic(stream in prop::collection::vec(arb_signal(), 1..600)) {
        let mut a = engine();
        let mut b = engine();
        let mut now = 1_000_000u64;
        for (gap, sig) in &stream {
            now += gap;
            let da = a.handle(sig.clone(), now);
            let db = b.handle(sig.clone(), now);
            prop_assert_eq!(da, db);
            prop_assert_eq!(a.tick(now), b.tick(now));
            // After a tick nothing due is left waiting.
            if let Some(d) = a.next_deadline() { prop_assert!(d > now, "deadline {} left behind at {}", d, now); }
        }
        let st = a.export_state();
        for (_, _, p) in &st.patterns {
            match p {
                Progress::Sequence(x) => prop_assert!(x.len() <= MAX_PARTIALS),
                Progress::Absence(x) => prop_assert!(x.len() <= MAX_PENDING),
                Progress::Count(g) => {
                    prop_assert!(g.len() <= MAX_GROUPS);
                    prop_assert!(g.iter().all(|(_, ts)| ts.len() <= 50));
                }
                Progress::Idle(_) => {}
            }
        }
        // The state survives a round trip through its stored form.
        let (back, repaired) = State::from_value(&st.to_value(), now);
        prop_assert!(!repaired);
        prop_assert_eq!(back, st);
    }
}

#[test]
fn deadlines_fire_exactly_when_due() {
    let mut e = engine();
    let t0 = 2_000_000;
    e.handle(
        Signal::Event {
            name: "a".into(),
            props: obj([("k", Value::Num(1.0))]),
            targets: vec![],
        },
        t0,
    );
    let due = t0 + 5 * 60_000;
    assert!(e.next_deadline().is_some_and(|d| d <= due));
    // One millisecond early: the absence has not fired.
    let early = e.tick(due - 1);
    assert!(early.iter().all(|d| d.rule_id != "abs"));
    let on_time = e.tick(due);
    assert_eq!(on_time.iter().filter(|d| d.rule_id == "abs").count(), 1);
    // Idle fired once for this period of inactivity and is not re-armed until activity.
    assert!(e.tick(due + 3_600_000).iter().all(|d| d.rule_id != "idle"));
}

fn session_engine(extra: &str, now: u64) -> Engine {
    let cfg: Value = serde_json::from_str(&format!(
        r#"{{"session":{{{extra}}},"rules":[{{"id":"a","trigger":"x"}}]}}"#
    ))
    .unwrap();
    Engine::new(
        compile(&cfg, &NativeRegex).unwrap(),
        State::default(),
        "v",
        now,
    )
}

fn ev(e: &mut Engine, now: u64) {
    e.handle(
        Signal::Event {
            name: "x".into(),
            props: Value::Null,
            targets: vec![],
        },
        now,
    );
}

#[test]
fn a_session_ends_after_the_configured_inactivity() {
    let t0 = 1_700_000_000_000;
    let mut e = session_engine(r#""timeout":"10m""#, t0);
    assert_eq!(e.visitor().visits, 1);
    ev(&mut e, t0 + 9 * 60_000);
    ev(&mut e, t0 + 18 * 60_000);
    assert_eq!(e.visitor().visits, 1, "never 10 minutes without activity");
    ev(&mut e, t0 + 28 * 60_000 + 1);
    assert_eq!(
        e.visitor().visits,
        2,
        "10 minutes and 1 ms of silence start a new visit"
    );
    assert_eq!(e.session().start, t0 + 28 * 60_000 + 1);
    assert_eq!(e.visitor().prev_visit, t0 + 18 * 60_000);
}

#[test]
fn a_session_can_end_at_local_midnight() {
    // 23:50 UTC+2 local time is 21:50 UTC.
    let day = 86_400_000u64;
    let base = 19_700 * day; // a UTC midnight
    let t0 = base + 21 * 3_600_000 + 50 * 60_000;
    let mut e = session_engine(r#""endAtMidnight":true"#, t0);
    e.set_utc_offset_minutes(120);
    ev(&mut e, t0 + 5 * 60_000);
    assert_eq!(e.visitor().visits, 1, "23:55 local: same day");
    ev(&mut e, t0 + 15 * 60_000);
    assert_eq!(
        e.visitor().visits,
        2,
        "00:05 local: a new day, a new session"
    );
    let mut plain = session_engine(r#""endAtMidnight":false"#, t0);
    plain.set_utc_offset_minutes(120);
    ev(&mut plain, t0 + 5 * 60_000);
    ev(&mut plain, t0 + 15 * 60_000);
    assert_eq!(plain.visitor().visits, 1);
}
