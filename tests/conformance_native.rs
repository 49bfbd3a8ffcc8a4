//! GrowthBook conformance vectors and property tests for conditions, run natively.
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/conformance.rs"]
mod conformance;

use cuekit::core::condition::Condition;
use cuekit::core::regex::LinearRegex;
use cuekit::core::value::{Map, Value};
use proptest::prelude::*;

fn cases() -> Value {
    serde_json::from_str(include_str!("fixtures/growthbook-cases.json")).expect("fixture parses")
}

#[test]
fn eval_condition_vectors_all_pass() {
    let cases = cases();
    let r = conformance::replay(&cases, &LinearRegex);
    println!(
        "evalCondition: {}/{} passed, {} failed to compile (expected false)",
        r.passed, r.total, r.compile_failed
    );
    assert_eq!(r.total, 248);
    assert!(r.failures.is_empty(), "{:#?}", r.failures);
    let (passed, failures) = conformance::replay_eval_condition(&cases, &LinearRegex);
    assert_eq!((passed, failures.len()), (248, 0));
}

#[rustfmt::skip]
const KEYS: &[&str] = &[
    "$eq", "$ne", "$lt", "$lte", "$gt", "$gte", "$in", "$nin", "$ini", "$nini", "$all", "$alli",
    "$elemMatch", "$size", "$exists", "$type", "$regex", "$regexi", "$not", "$and", "$or", "$nor",
    "$veq", "$vne", "$vgt", "$vgte", "$vlt", "$vlte", "$inGroup", "$notInGroup", "$foo", "$", "",
    "a", "a.b", "b.0", "tags.length", "0", "__proto__", "constructor", "é.ü",
];
#[rustfmt::skip]
const STRINGS: &[&str] = &[
    "", "a", "A", "1.2.3", "v1.0.0-rc.1+b", "1-2-3", "10", " 0x1f ", "null", "(", "^a.*", "[",
    "string", "array", "null", "g", "Infinity", "-", "..", "~", "ß", "\u{10000}",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        prop_oneof![
            any::<f64>(),
            Just(0.0),
            Just(-0.0),
            Just(f64::NAN),
            (-5i32..20).prop_map(f64::from)
        ]
        .prop_map(Value::Num),
        prop::sample::select(STRINGS).prop_map(Value::from),
        ".{0,6}".prop_map(Value::Str),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 48, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Arr),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..4).prop_map(|kv| {
                let mut m = Map::new();
                for (k, v) in kv {
                    m.insert(k, v);
                }
                Value::Obj(m)
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn compile_eval_and_explain_never_panic(cond in value(), attrs in value(), groups in value()) {
        let mut errors = Vec::new();
        let c = Condition::compile(&cond, "if", groups.as_object(), &LinearRegex, &mut errors);
        prop_assert_eq!(c.is_valid(), errors.is_empty());
        let passed = c.eval(&attrs);
        let why = c.explain_failure(&attrs);
        prop_assert_eq!(passed, why.is_none(), "explain {:?}", why);
        let _ = c.paths();
        let _ = format!("{c:?}");
    }
}
