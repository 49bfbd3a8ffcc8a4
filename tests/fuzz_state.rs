//! Fuzz target `state` (proptest, native): stored records from the seed corpus
//! (`tests/fuzz-corpus/state/`: valid records, `"undefined"`, `-1`, `NaN`, `1e308`,
//! wrong types, tampered and newer-version records), truncated, bit-flipped and
//! structurally mutated, read back with `json::parse` + `State::from_value` (what the
//! browser's storage layer does). Never a panic; every number is clamped (no timestamp
//! after "now", except absence deadlines bounded by a year; snoozes bounded); a repaired
//! state reads back unchanged; the visitor's choices (dismissals, snoozes, opt-outs,
//! opt-ins, consent) in the parts that are still valid survive any damage elsewhere;
//! clock jumps backwards and forwards never make a snooze negative or permanent.
#![cfg(not(target_arch = "wasm32"))]

mod fuzz_support;

use cuekit::core::caps::{Entry, Kind, Ledger, FUTURE_TOLERANCE_MS, MAX_ENTRIES, MAX_SNOOZE_MS};
use cuekit::core::config::compile;
use cuekit::core::engine::{Engine, Signal};
use cuekit::core::json;
use cuekit::core::regex::LinearRegex;
use cuekit::core::state::{Progress, State};
use cuekit::core::value::{obj, Value};
use fuzz_support::{arb_ops, corpus, mutate, mutate_text, Execs};
use proptest::prelude::*;
use proptest::test_runner::Config as RunConfig;

/// "Now" for the seeds (they were written around this time).
const NOW: u64 = 1_800_000_000_000;
const YEAR: u64 = 400 * 86_400_000;
/// The latest clock reading fuzzed: the year 2199 (later timestamps read as corrupt).
const LATEST: u64 = 7_226_582_400_000;

const WORDS: &[&str] = &[
    "v", "visitor", "id", "first", "visits", "prev", "session", "start", "last", "pv", "active",
    "ev", "patterns", "r", "f", "seq", "abs", "cnt", "idle", "n", "t", "k", "p", "d", "s", "attrs",
    "ledger", "consent", "exp", "show", "dismiss", "snooze", "optout", "optin", "offer", "*",
];

fn is_forbidden(k: &str) -> bool {
    matches!(k, "__proto__" | "constructor" | "prototype")
}

/// Every bound a read state must respect at `now`.
fn invariants(st: &State, now: u64) -> Result<(), TestCaseError> {
    let v = &st.visitor;
    prop_assert!(v.first_seen <= now && v.prev_visit <= now, "{:?}", v);
    prop_assert!(v.id.len() <= 64);
    let s = &st.session;
    prop_assert!(
        s.start <= s.last_activity && s.last_activity <= now,
        "{:?}",
        s
    );
    prop_assert!(s.active_ms <= s.last_activity - s.start, "{:?}", s);
    for (_, _, p) in &st.patterns {
        match p {
            Progress::Sequence(x) => prop_assert!(x.iter().all(|q| q.start <= now)),
            Progress::Absence(x) => prop_assert!(x
                .iter()
                .all(|q| q.deadline <= now + YEAR && q.session <= now)),
            Progress::Count(g) => {
                prop_assert!(g.iter().all(|(_, ts)| ts.iter().all(|t| *t <= now)))
            }
            Progress::Idle(t) => prop_assert!(*t <= now),
        }
    }
    let entries = st.ledger.entries();
    prop_assert!(entries.len() <= MAX_ENTRIES);
    for e in entries {
        prop_assert!(
            e.at <= now + FUTURE_TOLERANCE_MS,
            "entry from the future: {:?}",
            e
        );
        prop_assert!(!e.rule.is_empty() && e.rule.len() <= 64);
        if let Some(until) = st.ledger.snoozed_until(&e.rule, now) {
            // Never negative (already over) and never permanent.
            prop_assert!(
                until > now && until <= now + MAX_SNOOZE_MS,
                "snooze until {}",
                until
            );
        }
    }
    prop_assert!(st.exposures.len() <= 64 && st.exposures.iter().all(|e| e.3 <= now));
    // Prototype keys are stripped at every depth (as `identify()` does).
    let mut keys = Vec::new();
    fuzz_support::keys_of(&Value::Obj(st.attrs.clone()), &mut keys);
    prop_assert!(
        !keys.iter().any(|k| is_forbidden(k)),
        "a prototype key in attrs"
    );
    Ok(())
}

/// Reads like the browser does and checks the invariants; then what the SDK would
/// write back (the engine's state after start-up) reads back unchanged, with nothing
/// left to repair. Returns the state as read.
fn read(text: &str, now: u64) -> Result<State, TestCaseError> {
    let v = json::parse(text).unwrap_or(Value::Null);
    let (st, _) = State::from_value(&v, now);
    invariants(&st, now)?;
    let written = engine(st.clone(), now).export_state();
    invariants(&written, now)?;
    let again = json::to_json(&written.to_value());
    let (back, repaired) = State::from_value(&json::parse(&again).unwrap_or(Value::Null), now);
    prop_assert!(
        !repaired,
        "what the SDK writes after a repair needs repair again: {}",
        again
    );
    prop_assert_eq!(&back, &written);
    Ok(st)
}

fn engine(st: State, now: u64) -> Engine {
    let cfg = json::parse(
        r#"{"rules":[
          {"id":"seq","trigger":{"sequence":["a","b"],"within":"10m"}},
          {"id":"abs","trigger":{"after":"a","absent":"b","within":"1m"}},
          {"id":"cnt","trigger":{"count":"a","atLeast":3,"within":"1h","groupBy":"k"}},
          {"id":"idle","trigger":{"idle":"30s"}},
          {"id":"offer","trigger":"a","caps":{"dismissCooldown":["1d","7d"]}}]}"#,
    )
    .unwrap();
    Engine::new(compile(&cfg, &LinearRegex).unwrap(), st, "v-1", now)
}

fn engine_runs(st: State, now: u64) {
    let mut e = engine(st, now);
    for (i, name) in ["a", "b", "a", "a"].iter().enumerate() {
        let t = now + i as u64 * 20_000;
        for d in e.handle(
            Signal::Event {
                name: (*name).into(),
                props: obj([("k", Value::Num(1.0))]),
                targets: vec![],
            },
            t,
        ) {
            let _ = e.admit(&d, t);
        }
        let _ = e.tick(t + 90_000);
    }
    let _ = json::to_json(&e.export_state().to_value());
}

#[test]
fn fuzz_state_corpus_then_damage() {
    let execs = Execs::new("state");
    let seeds = corpus("state");
    for (name, text) in &seeds {
        execs.hit();
        let st = read(text, NOW).unwrap_or_else(|e| panic!("seed {name}: {e}"));
        engine_runs(st, NOW);
    }
    let parsed: Vec<Value> = seeds
        .iter()
        .filter_map(|(_, t)| json::parse(t).ok())
        .filter(|v| matches!(v, Value::Obj(_)))
        .collect();
    let n = fuzz_support::cases(1500);
    let mut runner = fuzz_support::runner(RunConfig {
        cases: n,
        failure_persistence: None,
        ..RunConfig::default()
    });
    let strategy = (
        0..seeds.len(),
        0..parsed.len(),
        arb_ops(4),
        any::<bool>(),
        prop_oneof![Just(0i64), -10_000_000_000_000i64..10_000_000_000_000],
    );
    runner
        .run(&strategy, |(i, j, ops, textual, jump)| {
            execs.hit();
            let text = if textual {
                mutate_text(&seeds[i].1, &ops)
            } else {
                let mut v = parsed[j].clone();
                mutate(&mut v, &ops, WORDS);
                json::to_json(&v)
            };
            let now = (NOW as i64 + jump).clamp(0, LATEST as i64) as u64;
            let st = read(&text, now)?;
            if !st.ledger.is_empty() || !st.visitor.id.is_empty() {
                execs.accept();
            }
            engine_runs(st, now);
            Ok(())
        })
        .unwrap();
    execs.report("corpus_then_damage", seeds.len(), n);
}

// ---- choices survive damage elsewhere ----

fn arb_entry() -> impl Strategy<Value = (String, Kind, u64)> {
    let kind = prop_oneof![
        Just(Kind::Show),
        Just(Kind::Click),
        Just(Kind::Dismiss),
        Just(Kind::Convert),
        (1u64..30 * 86_400_000).prop_map(Kind::Snooze),
        Just(Kind::OptOut),
        Just(Kind::OptIn),
    ];
    (
        prop::sample::select(vec!["offer", "help", "promo", "*"]).prop_map(String::from),
        kind,
        NOW - 20 * 86_400_000..NOW,
    )
}

/// What the visitor chose, per rule, as the caps layer sees it at `now`.
fn choices(l: &Ledger, now: u64) -> Vec<(String, bool, Option<u64>, usize)> {
    ["offer", "help", "promo", "*", "other"]
        .iter()
        .map(|r| {
            let dismissals = l
                .entries()
                .iter()
                .filter(|e| e.rule == *r && e.kind == Kind::Dismiss)
                .count();
            (
                r.to_string(),
                l.opted_out(r),
                l.snoozed_until(r, now),
                dismissals,
            )
        })
        .collect()
}

/// Garbage a tampered or truncated ledger entry may hold.
const BAD_ENTRIES: &[&str] = &[
    "null",
    "\"undefined\"",
    "-1",
    "1e308",
    "[]",
    "[1]",
    "[-1,\"offer\",\"optout\"]",
    "[1e400,\"offer\",\"optout\"]",
    "[\"NaN\",\"offer\",\"optout\"]",
    "[1,\"\",\"optout\"]",
    "[1,\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\",\"optout\"]",
    "[1,\"offer\",\"optoutt\"]",
    "[1,\"offer\",\"snooze\",-5]",
    "{\"0\":1}",
];

#[test]
fn fuzz_state_choices_in_valid_parts_survive() {
    let execs = Execs::new("state");
    let seeds = corpus("state");
    let base = json::parse(
        &seeds
            .iter()
            .find(|(n, _)| n == "valid.json")
            .expect("valid.json")
            .1,
    )
    .unwrap();
    let n = fuzz_support::cases(800);
    let mut runner = fuzz_support::runner(RunConfig {
        cases: n,
        failure_persistence: None,
        ..RunConfig::default()
    });
    let strategy = (
        prop::collection::vec(arb_entry(), 0..40),
        any::<bool>(),
        arb_ops(5),
        any::<prop::sample::Index>(),
        0..BAD_ENTRIES.len(),
    );
    runner
        .run(&strategy, |(entries, consent, ops, which, bad)| {
            execs.hit();
            let mut ledger = Ledger::default();
            for (r, k, t) in &entries {
                ledger.record(r, *k, *t);
            }
            let mut record = base.clone();
            if let Value::Obj(m) = &mut record {
                m.insert("ledger", ledger.to_value());
                m.insert("consent", Value::Bool(consent));
            }
            let (orig, _) = State::from_value(&record, NOW);
            prop_assert_eq!(
                &orig.ledger,
                &ledger,
                "a valid ledger reads back as written"
            );
            let want = choices(&orig.ledger, NOW);

            // 1. Damage anywhere but the ledger, consent and version: choices unchanged.
            let mut damaged = record.clone();
            if let Value::Obj(m) = &mut damaged {
                let keep: Vec<(String, Value)> = ["v", "ledger", "consent"]
                    .iter()
                    .filter_map(|k| m.remove(k).map(|x| (k.to_string(), x)))
                    .collect();
                let mut rest = Value::Obj(m.clone());
                mutate(&mut rest, &ops, WORDS);
                let mut out = match rest {
                    Value::Obj(r) => r,
                    other => {
                        let mut r = cuekit::core::value::Map::new();
                        r.insert("visitor", other);
                        r
                    }
                };
                for (k, x) in keep {
                    out.insert(k, x);
                }
                *m = out;
            }
            let text = json::to_json(&damaged);
            let st = read(&text, NOW)?;
            prop_assert_eq!(
                choices(&st.ledger, NOW),
                want.clone(),
                "choices lost by damage elsewhere"
            );
            prop_assert_eq!(st.consent, consent, "consent lost by damage elsewhere");

            // 2. One ledger entry replaced by garbage: only that entry is lost.
            if !ledger.entries().is_empty() {
                let i = which.index(ledger.entries().len());
                let dropped: Entry = ledger.entries()[i].clone();
                let mut list = match ledger.to_value() {
                    Value::Arr(a) => a,
                    _ => unreachable!(),
                };
                list[i] = json::parse(BAD_ENTRIES[bad]).unwrap_or(Value::Null);
                let mut rec = record.clone();
                if let Value::Obj(m) = &mut rec {
                    m.insert("ledger", Value::Arr(list));
                }
                let st = read(&json::to_json(&rec), NOW)?;
                prop_assert_eq!(st.ledger.entries().len(), ledger.entries().len() - 1);
                let got = choices(&st.ledger, NOW);
                for (w, g) in want.iter().zip(&got) {
                    if w.0 != dropped.rule {
                        prop_assert_eq!(w, g, "a choice of another rule was lost");
                    } else {
                        let d = usize::from(dropped.kind == Kind::Dismiss);
                        prop_assert_eq!(w.3 - d, g.3, "dismissals of {}", w.0);
                    }
                }
                prop_assert_eq!(st.consent, consent);
            }
            execs.accept();
            Ok(())
        })
        .unwrap();
    execs.report("choices_survive", 1, n);
}

/// The system clock jumps (changed by hand, a VM restored, a wrong NTP answer): a
/// snooze recorded for `d` never lasts longer than `d` from the moment the page reads
/// it, never "negative", and expires once real time passes it.
#[test]
fn fuzz_state_clock_jumps_never_make_a_snooze_negative_or_permanent() {
    let execs = Execs::new("state");
    let n = fuzz_support::cases(3000);
    let mut runner = fuzz_support::runner(RunConfig {
        cases: n,
        failure_persistence: None,
        ..RunConfig::default()
    });
    let strategy = (
        1u64..30 * 86_400_000,
        prop_oneof![
            -3_000_000_000_000i64..3_000_000_000_000,
            -86_400_000i64..86_400_000,
            Just(i64::MIN / 4),
            Just(i64::MAX / 4),
        ],
        prop_oneof![Just(0u64), 1u64..40 * 86_400_000],
    );
    runner
        .run(&strategy, |(d, jump, later)| {
            execs.hit();
            // Snoozed at NOW for d; the page next runs at NOW + jump (clamped to ≥ 0).
            let mut l = Ledger::default();
            l.record("offer", Kind::Snooze(d), NOW);
            l.record("help", Kind::OptOut, NOW);
            let record = obj([("v", Value::Num(1.0)), ("ledger", l.to_value())]);
            let text = json::to_json(&record);
            // (Clocks past the year 2200 are out of scope: such timestamps read as corrupt.)
            let now = (NOW as i128 + jump as i128).clamp(0, LATEST as i128) as u64;
            let st = read(&text, now)?;
            let until = st.ledger.snoozed_until("offer", now);
            if let Some(u) = until {
                prop_assert!(u > now, "negative snooze");
                prop_assert!(
                    u <= now + d,
                    "the snooze grew: until {} now {} d {}",
                    u,
                    now,
                    d
                );
            }
            if now >= NOW && now < NOW + d {
                prop_assert_eq!(until, Some(NOW + d), "a snooze in force is kept");
            }
            if now >= NOW + d {
                prop_assert_eq!(until, None, "an elapsed snooze is over");
            }
            // Real time then passes: the snooze is over at most `d` after the read.
            let t2 = now.saturating_add(later);
            if later >= d {
                prop_assert_eq!(
                    st.ledger.snoozed_until("offer", t2),
                    None,
                    "permanent snooze"
                );
            }
            prop_assert!(
                st.ledger.opted_out("help"),
                "an opt-out is kept whatever the clock says"
            );
            execs.accept();
            Ok(())
        })
        .unwrap();
    execs.report("clock_jumps", 0, n);
}
