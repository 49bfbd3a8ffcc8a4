//! The persisted state as a promise: whatever the engine can reach is written and read
//! back equal (one set of limits for the writer and the reader); the record is bounded
//! whatever the visitor and the host do; tabs merging each other's records converge, keep
//! every choice, and obey the latest consent decision and erasure.
#![cfg(not(target_arch = "wasm32"))]

use cuekit::core::caps::Kind;
use cuekit::core::config::compile;
use cuekit::core::engine::{Engine, Signal};
use cuekit::core::regex::LinearRegex;
use cuekit::core::state::{State, DATA_DEPTH};
use cuekit::core::value::{obj, Map, Value};
use proptest::prelude::*;

const T0: u64 = 1_800_000_000_000;

fn engine_with(config: &str, state: State, id: &str, now: u64) -> Engine {
    let cfg: Value = serde_json::from_str(config).unwrap();
    Engine::new(compile(&cfg, &LinearRegex).unwrap(), state, id, now)
}

const RULES: &str = r#"{"caps":{"oneAtATime":false},"rules":[
  {"id":"seq","trigger":{"sequence":["a","b","c"],"within":"10m","same":"k"}},
  {"id":"abs","trigger":{"after":"a","absent":"b","within":"5m","same":"k"}},
  {"id":"cnt","trigger":{"count":"a","atLeast":50,"within":"1h","groupBy":"k"}},
  {"id":"idle","trigger":{"idle":"30s"}},
  {"id":"x","trigger":"go-x"},
  {"id":"y","trigger":"go-y"}
]}"#;

fn engine(state: State, id: &str, now: u64) -> Engine {
    engine_with(RULES, state, id, now)
}

/// A value nested `depth` levels (objects and arrays alternating), with a leaf.
fn nested(depth: usize, leaf: Value) -> Value {
    let mut v = leaf;
    for i in 0..depth {
        v = if i % 2 == 0 {
            obj([("d", v)])
        } else {
            Value::Arr(vec![v])
        };
    }
    v
}

fn arb_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<f64>()
            .prop_filter("finite", |n| n.is_finite())
            .prop_map(Value::Num),
        "\\PC{0,12}".prop_map(Value::Str),
        Just(Value::Str("\u{2028}\"\\\n\u{0}".into())),
    ]
}

fn arb_props() -> impl Strategy<Value = Value> {
    (0usize..(DATA_DEPTH - 1), arb_leaf(), 0u32..6).prop_map(|(depth, leaf, k)| {
        obj([
            ("k", Value::Num(f64::from(k))),
            ("deep", nested(depth, leaf)),
        ])
    })
}

#[derive(Clone, Debug)]
enum Step {
    Signal(Signal),
    Choice(&'static str, Kind),
    Show(&'static str),
}

fn arb_step() -> impl Strategy<Value = (u64, Step)> {
    let ev = (
        prop::sample::select(vec!["a", "b", "c", "go-x", "go-y"]),
        arb_props(),
    )
        .prop_map(|(n, props)| {
            Step::Signal(Signal::Event {
                name: n.into(),
                props,
                targets: vec![],
            })
        });
    let identify = (
        prop::sample::select(vec!["plan", "cart", "deep"]),
        arb_props(),
    )
        .prop_map(|(k, v)| {
            let mut m = Map::new();
            m.insert(k, v);
            Step::Signal(Signal::Identify(m))
        });
    let rule = prop::sample::select(vec!["x", "y", "seq", "*"]);
    let kind = prop::sample::select(vec![
        Kind::Dismiss,
        Kind::Click,
        Kind::Convert,
        Kind::Snooze(3_600_000),
        Kind::OptOut,
        Kind::OptIn,
    ]);
    let step = prop_oneof![
        6 => ev,
        2 => identify,
        2 => (rule, kind).prop_map(|(r, k)| Step::Choice(r, k)),
        1 => prop::sample::select(vec!["x", "y"]).prop_map(Step::Show),
        1 => Just(Step::Signal(Signal::Activity)),
        1 => Just(Step::Signal(Signal::PageView { page: obj([("path", Value::Str("/p".into()))]) })),
    ];
    (0u64..200_000, step)
}

fn apply(e: &mut Engine, step: &Step, now: u64) {
    match step {
        Step::Signal(s) => {
            for d in e.handle(s.clone(), now) {
                let _ = e.admit(&d, now);
            }
        }
        Step::Choice(r, k) => {
            e.record(r, *k, now);
        }
        Step::Show(r) => {
            for d in e.handle(
                Signal::Event {
                    name: format!("go-{r}"),
                    props: Value::Obj(Map::new()),
                    targets: vec![],
                },
                now,
            ) {
                let _ = e.admit(&d, now);
            }
        }
    }
    for d in e.tick(now) {
        let _ = e.admit(&d, now);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 120, ..ProptestConfig::default() })]

    /// Any state the engine reaches is written and read back equal, and a tab started
    /// from the record decides as the writer would.
    #[test]
    fn any_reachable_state_is_written_and_read_back_equal(steps in prop::collection::vec(arb_step(), 1..120)) {
        let mut e = engine(State::default(), "visitor-1", T0);
        let mut now = T0;
        for (gap, step) in &steps {
            now += gap;
            apply(&mut e, step, now);
            if gap % 7 == 0 {
                let text = e.save_json();
                let read = State::read(&text, now);
                prop_assert!(!read.repaired, "the record needed repair: {}", text);
                prop_assert_eq!(&read.state, &e.export_state());
            }
        }
        let text = e.save_json();
        let read = State::read(&text, now);
        prop_assert!(!read.repaired);
        prop_assert_eq!(&read.state, &e.export_state());
        // Written again from what was read: the same text.
        prop_assert_eq!(read.state.json_with(core::iter::empty()), text);
    }

    /// Two tabs each making choices, merging each other's records in any order: both end
    /// with every choice, and once each has merged the other's latest record, no write is
    /// asked for (no ping-pong between tabs).
    #[test]
    fn two_tabs_merging_converge_and_lose_no_choice(
        a_steps in prop::collection::vec(arb_step(), 1..40),
        b_steps in prop::collection::vec(arb_step(), 1..40),
    ) {
        let mut a = engine(State::default(), "visitor-a", T0);
        let shared = State::read(&a.save_json(), T0).state;
        let mut b = engine(shared, "visitor-b", T0);
        let mut now = T0;
        for (gap, step) in &a_steps { now += gap % 1000; apply(&mut a, step, now); }
        for (gap, step) in &b_steps { now += gap % 1000; apply(&mut b, step, now); }
        // B wrote last; A reads it, merges, and writes back if it holds more.
        let rb = State::read(&b.save_json(), now).state;
        let ma = a.merge_state(&rb, "fresh", now);
        let ra = State::read(&a.save_json(), now).state;
        let mb = b.merge_state(&ra, "fresh", now);
        // Every entry of both tabs' ledgers that compaction keeps is in both.
        prop_assert_eq!(a.ledger(), b.ledger());
        for r in ["x", "y", "seq", "*"] {
            prop_assert_eq!(a.ledger().opted_out(r), b.ledger().opted_out(r));
        }
        // A wrote its merge back only if B's record lacked something.
        prop_assert_eq!(ma.write_back, a.ledger() != &rb.ledger || rb.visitor.id != a.visitor().id);
        // Settled: merging the other's record again asks for nothing.
        let ra2 = State::read(&a.save_json(), now).state;
        let rb2 = State::read(&b.save_json(), now).state;
        prop_assert!(!a.merge_state(&rb2, "fresh", now).write_back);
        prop_assert!(!b.merge_state(&ra2, "fresh", now).write_back);
        let _ = mb;
    }
}

#[test]
fn data_as_deep_as_accepted_is_read_back_and_deeper_is_refused_when_read() {
    let limit = DATA_DEPTH;
    // What `identify()` and `track()` accept: the host's object, DATA_DEPTH levels.
    let ok = cuekit::core::json::to_json(&obj([("deep", nested(limit - 1, Value::Num(1.0)))]));
    assert!(cuekit::core::json::parse_data(&ok).is_ok());
    let too_deep = cuekit::core::json::to_json(&obj([("deep", nested(limit, Value::Num(1.0)))]));
    assert!(cuekit::core::json::parse_data(&too_deep).is_err());
    let Ok(Value::Obj(attrs)) = cuekit::core::json::parse_data(&ok) else {
        panic!("accepted")
    };
    let Value::Obj(props) = cuekit::core::json::parse_data(&ok).unwrap() else {
        unreachable!()
    };
    let mut e = engine(State::default(), "visitor-1", T0);
    e.handle(Signal::Identify(attrs.clone()), T0);
    e.handle(
        Signal::Event {
            name: "a".into(),
            props: Value::Obj(props),
            targets: vec![],
        },
        T0 + 1,
    );
    e.record("x", Kind::OptOut, T0 + 2);
    let text = e.save_json();
    let read = State::read(&text, T0 + 3);
    assert!(!read.repaired);
    assert_eq!(read.state.visitor.id, "visitor-1");
    assert!(read.state.ledger.opted_out("x"));
    assert_eq!(read.state, e.export_state());
}

#[test]
fn identify_keeps_at_most_16_kb_of_attributes_and_says_so_once() {
    let mut e = engine(State::default(), "visitor-1", T0);
    let big = Value::Str("z".repeat(500_000));
    for i in 0..12 {
        let mut m = Map::new();
        m.insert(format!("blob{i}"), big.clone());
        e.handle(Signal::Identify(m), T0 + i);
    }
    let mut small = Map::new();
    small.insert("plan", Value::Str("gold".into()));
    e.handle(Signal::Identify(small), T0 + 20);
    let notices = e.take_notices();
    assert_eq!(notices.len(), 1, "one notice: {notices:?}");
    assert!(notices[0].message().contains("16 KB"));
    let st = e.export_state();
    assert_eq!(
        st.attrs.get("plan"),
        Some(&Value::Str("gold".into())),
        "what fits is kept"
    );
    assert!(st.attrs.get("blob0").is_none());
    assert!(e.save_json().len() < 24 * 1024);
    assert!(e.take_notices().is_empty(), "said once");
}

/// The stated bound: a record never exceeds 64 KB plus 110 bytes for each rule the
/// visitor made a choice for (a rule's latest choice is never dropped), whatever the
/// visitor and the host do: longest ids, largest properties, every wait full.
#[test]
fn the_record_stays_within_its_stated_bound_under_the_worst_use() {
    let mut rules = Vec::new();
    let id = |i: usize| format!("{i:0>64}");
    for i in 0..40 {
        rules.push(format!(
            r#"{{"id":"{}","trigger":{{"after":"a","absent":"b","within":"1h","same":"k"}},"experiment":{{"key":"{}","variants":[{{"id":"{}","action":{{"type":"none"}}}},{{"id":"{}","action":{{"type":"none"}}}}]}}}}"#,
            id(i),
            "e".repeat(54) + &format!("{i:0>10}"),
            "v".repeat(64),
            "w".repeat(64)
        ));
    }
    for i in 40..60 {
        rules.push(format!(
            r#"{{"id":"{}","trigger":{{"count":"a","atLeast":100,"within":"1d","groupBy":"k"}}}}"#,
            id(i)
        ));
    }
    let config = format!(
        r#"{{"caps":{{"oneAtATime":false}},"rules":[{}]}}"#,
        rules.join(",")
    );
    let mut e = engine_with(&config, State::default(), "visitor-1", T0);
    let mut now = T0;
    let fat = Value::Str("p".repeat(300));
    for round in 0..120u64 {
        now += 1000;
        let props = obj([
            ("k", Value::Str(format!("{:0>200}", round))),
            ("a", fat.clone()),
            ("b", fat.clone()),
        ]);
        for d in e.handle(
            Signal::Event {
                name: "a".into(),
                props,
                targets: vec![],
            },
            now,
        ) {
            let _ = e.admit(&d, now);
        }
        let mut attrs = Map::new();
        attrs.insert(format!("attr{round}"), fat.clone());
        e.handle(Signal::Identify(attrs), now);
        for i in 0..60 {
            e.record(&id(i), Kind::Dismiss, now);
            e.record(&id(i), Kind::Snooze(400 * 86_400_000), now);
        }
    }
    for d in e.tick(now + 3_600_001) {
        let _ = e.admit(&d, now);
    }
    let text = e.save_json();
    let bound = 64 * 1024 + 60 * 110;
    eprintln!("worst-case record: {} bytes", text.len());
    assert!(
        text.len() <= bound,
        "the record is {} bytes, over its bound of {bound}",
        text.len()
    );
    let read = State::read(&text, now + 3_600_001);
    assert!(!read.repaired);
    for i in 0..60 {
        assert!(read.state.ledger.snoozed_until(&id(i), now).is_some());
    }
}

#[test]
fn a_ledger_of_a_thousand_entries_keeps_the_latest_choice_of_every_rule_on_read() {
    let mut ledger = Vec::new();
    for i in 0..1000u64 {
        let kind = ["show", "click", "dismiss"][(i % 3) as usize];
        ledger.push(format!(r#"[{},"rule-{}","{kind}"]"#, T0 + i * 10, i % 60));
    }
    ledger.push(format!(r#"[{},"rule-59","optout"]"#, T0 + 20_000));
    let text = format!(
        r#"{{"v":1,"visitor":{{"id":"abc","first":{T0},"visits":2,"prev":0}},"session":{{"start":{T0},"last":{T0},"pv":1,"active":0,"ev":0}},"patterns":[],"attrs":{{}},"ledger":[{}],"consent":false,"exp":[]}}"#,
        ledger.join(",")
    );
    let read = State::read(&text, T0 + 30_000);
    assert!(
        read.state.ledger.opted_out("rule-59"),
        "the newest opt-out was cut"
    );
    assert!(read.state.ledger.entries().len() <= 201);
}

#[test]
fn consent_withdrawn_in_one_tab_wins_over_the_other_now_and_after_reload() {
    let mut a = engine(State::default(), "visitor-1", T0);
    a.set_consent(true, "unused", T0);
    let mut attrs = Map::new();
    attrs.insert("email", Value::Str("ann@example.com".into()));
    a.handle(Signal::Identify(attrs), T0 + 1);
    // B started from A's record.
    let mut b = engine(State::read(&a.save_json(), T0 + 2).state, "unused", T0 + 2);
    assert!(b.consent_granted());
    // A withdraws: the record left is the withdrawal alone.
    a.set_consent(false, "visitor-2", T0 + 10);
    let withdrawal = a.withdrawal_json();
    assert!(!withdrawal.contains("visitor-1") && !withdrawal.contains("ann@"));
    // B merges it: consent goes, the attributes and the old id go.
    let m = b.merge_state(
        &State::read(&withdrawal, T0 + 11).state,
        "visitor-3",
        T0 + 11,
    );
    assert_eq!(m.consent, Some(false));
    assert!(m.erased);
    assert!(!b.consent_granted());
    assert!(!b.state_json().contains("ann@"));
    assert_ne!(b.visitor().id, "visitor-1");
    // B's full record (written before it saw the withdrawal) reaches A: A keeps the
    // withdrawal and asks to write it back.
    let mut b_old = engine(State::default(), "visitor-1", T0);
    b_old.set_consent(true, "unused", T0 + 5);
    let m = a.merge_state(
        &State::read(&b_old.save_json(), T0 + 12).state,
        "x",
        T0 + 12,
    );
    assert!(m.write_back);
    assert!(!a.consent_granted());
    assert_eq!(a.visitor().id, "visitor-2");
    // A later grant is a later decision, and wins.
    b.set_consent(true, "unused", T0 + 20);
    let m = a.merge_state(&State::read(&b.save_json(), T0 + 21).state, "x", T0 + 21);
    assert_eq!(m.consent, Some(true));
}

#[test]
fn an_erasure_in_one_tab_wins_and_keeps_what_came_after_it() {
    let mut a = engine(State::default(), "visitor-1", T0);
    let mut attrs = Map::new();
    attrs.insert("email", Value::Str("bob@example.com".into()));
    a.handle(Signal::Identify(attrs), T0 + 1);
    a.record("y", Kind::OptOut, T0 + 2);
    let mut b = engine(State::read(&a.save_json(), T0 + 3).state, "unused", T0 + 3);
    a.forget("visitor-2", T0 + 10);
    let erased = State::read(&a.save_json(), T0 + 10).state;
    // B made a choice after the erasure, and one before it.
    b.record("x", Kind::Dismiss, T0 + 20);
    let m = b.merge_state(&erased, "unused", T0 + 21);
    assert!(m.erased && m.write_back);
    assert_eq!(b.visitor().id, "visitor-2");
    assert!(
        !b.ledger().opted_out("y"),
        "the erased opt-out stays erased"
    );
    assert!(b
        .ledger()
        .entries()
        .iter()
        .any(|e| e.rule == "x" && e.kind == Kind::Dismiss));
    assert!(!b.state_json().contains("bob@"));
    // A merging B's pre-erasure record keeps its erasure and asks to write it back.
    let mut b_old = engine(State::default(), "visitor-1", T0);
    b_old.record("y", Kind::OptOut, T0 + 2);
    let m = a.merge_state(
        &State::read(&b_old.save_json(), T0 + 22).state,
        "x",
        T0 + 22,
    );
    assert!(m.write_back && !m.erased);
    assert!(!a.ledger().opted_out("y"));
    assert_eq!(a.visitor().id, "visitor-2");
}
