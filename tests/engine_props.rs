//! Property tests: any event stream leaves the engine's memory bounded and never panics;
//! the engine is deterministic; two tabs' ledgers merge without losing a choice. (Arbitrary
//! configs are fuzzed in `tests/fuzz_config.rs`.)
#![cfg(not(target_arch = "wasm32"))]

use cuekit::core::config::compile;
use cuekit::core::engine::{Engine, Signal, MAX_GROUPS, MAX_PARTIALS, MAX_PENDING};
use cuekit::core::regex::LinearRegex;
use cuekit::core::state::{Progress, State};
use cuekit::core::value::{obj, Map, Value};
use proptest::prelude::*;

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
        compile(&cfg, &LinearRegex).unwrap(),
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
        // What is stored (written without copying the state) is the state's stored form,
        // and it survives a round trip.
        prop_assert_eq!(a.state_value(), st.to_value());
        let (back, repaired) = State::from_value(&a.state_value(), now);
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
        compile(&cfg, &LinearRegex).unwrap(),
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

use cuekit::core::caps::{Kind, Ledger};

fn arb_entry() -> impl Strategy<Value = (String, Kind, u64)> {
    let kind = prop_oneof![
        Just(Kind::Show),
        Just(Kind::Click),
        Just(Kind::Dismiss),
        Just(Kind::Convert),
        (0u64..100_000).prop_map(Kind::Snooze),
        Just(Kind::OptOut),
        Just(Kind::OptIn),
    ];
    (
        prop::sample::select(vec!["a", "b", "c", "*"]).prop_map(String::from),
        kind,
        0u64..1_000_000,
    )
}

fn ledger_of(entries: &[(String, Kind, u64)]) -> Ledger {
    let mut l = Ledger::default();
    for (r, k, t) in entries {
        l.record(r, *k, *t);
    }
    l
}

/// The latest choice per rule, computed directly from the raw entries.
fn latest_choice(entries: &[&(String, Kind, u64)], rule: &str) -> Option<(u64, Kind)> {
    entries
        .iter()
        .filter(|(r, k, _)| r == rule && matches!(k, Kind::OptIn | Kind::OptOut | Kind::Snooze(_)))
        .map(|(_, k, t)| (*t, *k))
        .max()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]
    #[test]
    fn two_tabs_merge_commutatively_and_lose_no_choice(
        a in prop::collection::vec(arb_entry(), 0..80),
        b in prop::collection::vec(arb_entry(), 0..80),
        c in prop::collection::vec(arb_entry(), 0..20),
    ) {
        let (la, lb, lc) = (ledger_of(&a), ledger_of(&b), ledger_of(&c));
        let mut ab = la.clone();
        ab.merge(&lb);
        let mut ba = lb.clone();
        ba.merge(&la);
        prop_assert_eq!(&ab, &ba, "commutative");
        let mut ab_c = ab.clone();
        ab_c.merge(&lc);
        let mut bc = lb.clone();
        bc.merge(&lc);
        let mut a_bc = la.clone();
        a_bc.merge(&bc);
        prop_assert_eq!(&ab_c, &a_bc, "associative");
        let mut again = ab.clone();
        prop_assert!(!again.merge(&la), "idempotent");
        // The choices each tab recorded (as stored: a choice made in the millisecond of
        // the rule's latest one is stamped a millisecond later, so the later call wins).
        let recorded: Vec<(String, Kind, u64)> = la
            .entries()
            .iter()
            .chain(lb.entries())
            .map(|e| (e.rule.clone(), e.kind, e.at))
            .collect();
        let all: Vec<&(String, Kind, u64)> = recorded.iter().collect();
        for rule in ["a", "b", "c", "*"] {
            let want_out = matches!(latest_choice(&all, rule), Some((_, Kind::OptOut)));
            prop_assert_eq!(ab.opted_out(rule), want_out, "opt-out of {} lost or invented", rule);
            // A snooze stamped after "now" counts from now (clock safety).
            let now = 500_000;
            let want_snooze = match latest_choice(&all, rule) {
                Some((t, Kind::Snooze(d))) => (t.min(now) + d > now).then_some(t.min(now) + d),
                _ => None,
            };
            prop_assert_eq!(ab.snoozed_until(rule, now), want_snooze);
        }
        // Choices aside (one per rule, never dropped), MAX_ENTRIES in all.
        let others = ab.entries().iter().filter(|e| !matches!(e.kind, Kind::OptIn | Kind::OptOut | Kind::Snooze(_))).count();
        prop_assert!(others <= cuekit::core::caps::MAX_ENTRIES);
    }
}

#[test]
fn a_busy_visitors_stored_state_stays_under_8_kb() {
    let cfg: Value = serde_json::from_str(
        r#"{"rules":[
          {"id":"upsell","trigger":"add_to_cart"},
          {"id":"category-offer","trigger":{"count":"product_view","atLeast":5,"within":"10m","groupBy":"category"}},
          {"id":"help","trigger":{"after":"product_view","absent":"add_to_cart","within":"60s","same":"sku"}},
          {"id":"idle","trigger":{"idle":"15m"}},
          {"id":"funnel","trigger":{"sequence":["product_view","add_to_cart","checkout"],"within":"30m"}}
        ]}"#,
    )
    .unwrap();
    let mut e = Engine::new(
        compile(&cfg, &LinearRegex).unwrap(),
        State::default(),
        "5f0c6c1e-7c7b-4d7e-9a57-5b1f0d1b2c3d",
        1_000_000,
    );
    let mut now = 1_000_000u64;
    for i in 0..400u32 {
        now += 7_000;
        let props = obj([
            ("sku", Value::Str(format!("sku-{}", i % 40))),
            ("category", Value::Str(format!("category-{}", i % 12))),
            (
                "name",
                Value::Str(format!("A product with a fairly long name {i}")),
            ),
        ]);
        for name in ["product_view", "add_to_cart"] {
            for d in e.handle(
                Signal::Event {
                    name: name.into(),
                    props: props.clone(),
                    targets: vec![],
                },
                now,
            ) {
                let _ = e.admit(&d, now);
            }
        }
        if i % 3 == 0 {
            e.record("upsell", Kind::Dismiss, now);
        }
        if i % 50 == 0 {
            e.record("help", Kind::Snooze(3_600_000), now);
        }
    }
    let text = cuekit::core::json::to_json(&e.export_state().to_value());
    assert!(
        text.len() < 8 * 1024,
        "stored state is {} bytes",
        text.len()
    );
}

/// The browser reports continuous input at most once a second and tells the engine the
/// exact time of the last input (`note_activity`) before anything is decided: idle then
/// fires exactly when it would have with every input reported.
#[test]
fn input_reported_late_fires_idle_at_the_same_moment_as_input_reported_at_once() {
    let t0 = 1_000_000;
    let mut every = engine();
    let mut throttled = engine();
    let mut unaware = engine();
    let mut pushed: Option<u64> = None;
    // A pointer moving every 100 ms for 10.9 s, then nothing.
    for k in 0..=109u64 {
        let t = t0 + k * 100;
        every.handle(Signal::Activity, t);
        if pushed.is_none_or(|p| t - p >= 1_000) {
            pushed = Some(t);
            throttled.handle(Signal::Activity, t);
            unaware.handle(Signal::Activity, t);
        }
    }
    assert_eq!(
        pushed,
        Some(t0 + 10_000),
        "the last report came 0.9 s early"
    );
    let fired = |e: &mut Engine, at: u64, late: bool| {
        if late {
            e.note_activity(t0 + 10_900);
        }
        e.tick(at).iter().any(|d| d.rule_id == "idle")
    };
    // 30 s after the last report, but 29.1 s after the last input.
    let at = t0 + 40_000;
    assert!(!fired(&mut every, at, false));
    assert!(
        !fired(&mut throttled, at, true),
        "the last input is 29.1 s old"
    );
    assert!(
        fired(&mut unaware, at, false),
        "without the catch-up, idle fires 0.9 s early (this is what note_activity fixes)"
    );
    let at = t0 + 40_900;
    assert!(fired(&mut every, at, false));
    assert!(fired(&mut throttled, at, true));
    // Old news changes nothing: idle fired once for this period and does not again.
    throttled.note_activity(t0 + 5_000);
    assert!(!throttled
        .tick(t0 + 80_000)
        .iter()
        .any(|d| d.rule_id == "idle"));
}
