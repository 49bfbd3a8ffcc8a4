//! Fuzz target `condition` (proptest, native): arbitrary and mutated conditions (seeds in
//! `tests/fuzz-corpus/condition/`, including GrowthBook vectors) × arbitrary contexts.
//! Compiling, evaluating and explaining never panic; a condition with any error fails
//! closed (false for every context, never "show to everyone"); a fact that is missing
//! never satisfies a positive operator; `$not`/`$nor` negate exactly; evaluation is
//! deterministic and agrees with `explain_failure`; absurd nesting is refused, not a
//! stack overflow.
#![cfg(not(target_arch = "wasm32"))]

mod fuzz_support;

use cuekit::core::condition::{Condition, ConditionError};
use cuekit::core::json;
use cuekit::core::regex::LinearRegex;
use cuekit::core::value::{obj, Map, Value};
use fuzz_support::{arb_ops, arb_value, corpus, mutate, Execs};
use proptest::prelude::*;
use proptest::test_runner::Config as RunConfig;

const OPS: &[&str] = &[
    "$eq",
    "$ne",
    "$gt",
    "$gte",
    "$lt",
    "$lte",
    "$in",
    "$nin",
    "$all",
    "$elemMatch",
    "$size",
    "$exists",
    "$type",
    "$regex",
    "$regexi",
    "$not",
    "$and",
    "$or",
    "$nor",
    "$veq",
    "$vne",
    "$vgt",
    "$vgte",
    "$vlt",
    "$vlte",
    "$inGroup",
    "$notInGroup",
    "$bogus",
];

const KEYS: &[&str] = &[
    "$eq",
    "$ne",
    "$gt",
    "$gte",
    "$lt",
    "$lte",
    "$in",
    "$nin",
    "$all",
    "$elemMatch",
    "$size",
    "$exists",
    "$type",
    "$regex",
    "$not",
    "$and",
    "$or",
    "$nor",
    "$veq",
    "$vgt",
    "$inGroup",
    "$notInGroup",
    "a",
    "b",
    "a.b",
    "a.0",
    "a.length",
    "props.x",
    "page.path",
    "__proto__",
    "constructor",
    "x",
    "",
];

const WORDS: &[&str] = &[
    "a",
    "b",
    "x",
    "g",
    "1.2.3",
    "1.2.3-beta",
    "v2",
    "^a",
    "(",
    "a+$",
    "(a+)+$",
    "string",
    "number",
    "boolean",
    "array",
    "object",
    "null",
    "undefined",
    "/product/mug",
    "US",
    "FR",
];

/// Context keys (no operators: contexts are data).
const CTX_KEYS: &[&str] = &[
    "a",
    "b",
    "x",
    "0",
    "1",
    "length",
    "props",
    "page",
    "path",
    "__proto__",
    "tags",
    "",
];

fn groups() -> Map {
    let mut m = Map::new();
    m.insert(
        "g",
        Value::Arr(vec![Value::Str("a".into()), Value::Num(1.0)]),
    );
    m
}

fn build(cond: &Value) -> (Condition, Vec<ConditionError>) {
    let mut errors = Vec::new();
    let g = groups();
    let c = Condition::compile(cond, "if", Some(&g), &LinearRegex, &mut errors);
    (c, errors)
}

/// The properties of one condition over some contexts.
fn check(cond: &Value, contexts: &[Value]) -> Result<bool, TestCaseError> {
    let (c, errors) = build(cond);
    prop_assert_eq!(c.is_valid(), errors.is_empty());
    for e in &errors {
        prop_assert!(e.path.starts_with("if") && !e.message.is_empty(), "{:?}", e);
    }
    let _ = c.paths();
    for ctx in contexts {
        let r = c.eval(ctx);
        prop_assert_eq!(r, c.eval(ctx), "deterministic");
        let why = c.explain_failure(ctx);
        prop_assert_eq!(
            r,
            why.is_none(),
            "eval and explain_failure disagree: {:?}",
            why
        );
        if !c.is_valid() {
            prop_assert!(!r, "an invalid condition passed (must fail closed)");
        }
    }
    if c.is_valid() {
        for wrap in [
            obj([("$not", cond.clone())]),
            obj([("$nor", Value::Arr(vec![cond.clone()]))]),
        ] {
            let (n, errs) = build(&wrap);
            if !errs.is_empty() {
                // Only nesting depth may make the wrapper invalid.
                prop_assert!(
                    errs.iter().all(|e| e.message.contains("deep")),
                    "{:?}",
                    errs
                );
                continue;
            }
            for ctx in contexts {
                prop_assert_eq!(n.eval(ctx), !c.eval(ctx), "negation of {:?}", cond);
            }
        }
    }
    Ok(c.is_valid())
}

fn arb_condition() -> impl Strategy<Value = Value> {
    arb_value(KEYS, WORDS, 5)
}

fn arb_context() -> impl Strategy<Value = Value> {
    arb_value(CTX_KEYS, WORDS, 4)
}

#[test]
fn fuzz_condition_corpus_then_mutations() {
    let execs = Execs::new("condition");
    let seeds = corpus("condition");
    let mut conds = Vec::new();
    for (name, text) in &seeds {
        execs.hit();
        let v = json::parse(text).unwrap_or_else(|e| panic!("seed {name}: {e}"));
        // GrowthBook vectors carry their context; the others run against a few.
        let (cond, ctx) = match (v.get("condition"), v.get("context")) {
            (Some(c), Some(x)) => (c.clone(), x.clone()),
            _ => (v.clone(), obj([("a", Value::Num(1.0))])),
        };
        check(&cond, &[ctx, Value::Null, Value::Obj(Map::new())])
            .unwrap_or_else(|e| panic!("seed {name}: {e}"));
        conds.push(cond);
    }
    let n = fuzz_support::cases(2500);
    let mut runner = fuzz_support::runner(RunConfig {
        cases: n,
        failure_persistence: None,
        ..RunConfig::default()
    });
    let strategy = (
        0..conds.len(),
        arb_ops(4),
        prop::collection::vec(arb_context(), 1..4),
    );
    runner
        .run(&strategy, |(i, ops, contexts)| {
            execs.hit();
            let mut c = conds[i].clone();
            mutate(&mut c, &ops, OPS);
            if check(&c, &contexts)? {
                execs.accept();
            }
            Ok(())
        })
        .unwrap();
    execs.report("corpus_then_mutations", seeds.len(), n);
}

#[test]
fn fuzz_condition_arbitrary_conditions_and_contexts() {
    let execs = Execs::new("condition");
    let n = fuzz_support::cases(1500);
    let mut runner = fuzz_support::runner(RunConfig {
        cases: n,
        failure_persistence: None,
        ..RunConfig::default()
    });
    runner
        .run(
            &(arb_condition(), prop::collection::vec(arb_context(), 1..4)),
            |(c, contexts)| {
                execs.hit();
                if check(&c, &contexts)? {
                    execs.accept();
                }
                Ok(())
            },
        )
        .unwrap();
    execs.report("arbitrary", 0, n);
}

/// A missing fact behaves exactly like `null` (GrowthBook's semantics: its vector
/// "missing attribute with comparison operators" passes `{$gt: -10, $lt: 10}` on `{}`),
/// and operators that need a value (`$exists: true`, `$in`/`$eq` of non-null values,
/// `$all`, `$elemMatch`, `$size`, `$type: "string"`, `$inGroup`) never pass on one.
#[test]
fn fuzz_condition_missing_facts() {
    let execs = Execs::new("condition");
    let ops = prop::sample::select(
        &[
            "$eq",
            "$ne",
            "$gt",
            "$gte",
            "$lt",
            "$lte",
            "$in",
            "$nin",
            "$regex",
            "$exists",
            "$type",
            "$size",
            "$all",
            "$veq",
            "$vgt",
            "$vlt",
            "$inGroup",
            "$notInGroup",
        ][..],
    );
    let any_test = (ops, fuzz_support::arb_scalar(WORDS)).prop_map(|(op, x)| match (op, x) {
        ("$in" | "$nin" | "$all", x) => obj([(op, Value::Arr(vec![x]))]),
        ("$regex", Value::Str(s)) => obj([(op, Value::Str(s))]),
        ("$regex", _) => obj([(op, Value::Str(".*".into()))]),
        ("$exists", x) => obj([(op, Value::Bool(x.truthy()))]),
        ("$inGroup" | "$notInGroup", _) => obj([(op, Value::Str("g".into()))]),
        (_, x) => obj([(op, x)]),
    });
    let present = prop_oneof![
        Just(obj([("$exists", Value::Bool(true))])),
        Just(obj([("$size", Value::Num(0.0))])),
        Just(obj([("$all", Value::Arr(vec![]))])),
        Just(obj([(
            "$in",
            Value::Arr(vec![Value::Str("a".into()), Value::Num(0.0)])
        )])),
        Just(obj([("$eq", Value::Str("null".into()))])),
        Just(obj([("$eq", Value::Num(0.0))])),
        Just(obj([(
            "$elemMatch",
            obj([("$exists", Value::Bool(false))])
        )])),
        Just(obj([("$inGroup", Value::Str("g".into()))])),
        Just(obj([("$type", Value::Str("string".into()))])),
    ];
    let n = fuzz_support::cases(2500);
    let mut runner = fuzz_support::runner(RunConfig {
        cases: n,
        failure_persistence: None,
        ..RunConfig::default()
    });
    runner
        .run(
            &(
                any_test,
                present,
                prop::sample::select(&["missing", "a.missing", "a.b.c.d"][..]),
                arb_context(),
            ),
            |(test, needs_value, path, ctx)| {
                execs.hit();
                let mut m = match ctx {
                    Value::Obj(m) => m,
                    _ => Map::new(),
                };
                m.remove("missing");
                m.insert("a", obj([("b", Value::Num(1.0))]));
                let missing = Value::Obj(m.clone());
                // The same context with the fact present and null.
                let mut with_null = m;
                match path {
                    "missing" => with_null.insert("missing", Value::Null),
                    "a.missing" => with_null
                        .insert("a", obj([("b", Value::Num(1.0)), ("missing", Value::Null)])),
                    _ => {
                        with_null.insert("a", obj([("b", obj([("c", obj([("d", Value::Null)]))]))]))
                    }
                }
                let with_null = Value::Obj(with_null);
                let (c, errors) = build(&obj([(path, test.clone())]));
                if errors.is_empty() {
                    prop_assert_eq!(
                        c.eval(&missing),
                        c.eval(&with_null),
                        "{:?} on {}",
                        test,
                        path
                    );
                    execs.accept();
                }
                let (c, errors) = build(&obj([(path, needs_value.clone())]));
                prop_assert!(errors.is_empty(), "{:?}", errors);
                prop_assert!(
                    !c.eval(&missing),
                    "{:?} passed over a missing {}",
                    needs_value,
                    path
                );
                Ok(())
            },
        )
        .unwrap();
    execs.report("missing_facts", 0, n);
}

#[test]
fn absurd_nesting_is_refused_not_a_stack_overflow() {
    let execs = Execs::new("condition");
    for op in ["$and", "$or", "$nor", "$not", "$elemMatch"] {
        execs.hit();
        let mut c = obj([("a", Value::Num(1.0))]);
        for _ in 0..200 {
            c = match op {
                "$not" => obj([("$not", c)]),
                "$elemMatch" => obj([("a", obj([("$elemMatch", c)]))]),
                _ => obj([(op, Value::Arr(vec![c]))]),
            };
        }
        let (compiled, errors) = build(&c);
        assert!(
            !errors.is_empty(),
            "{op} × 200 must be refused (JSON input is at most 64 deep anyway)"
        );
        assert!(!compiled.eval(&obj([("a", Value::Num(1.0))])));
        // Values this deep are dropped iteratively enough not to overflow either.
        let mut v = c;
        loop {
            let next = match &mut v {
                Value::Obj(m) => m.0.pop().map(|(_, x)| x),
                Value::Arr(a) => a.pop(),
                _ => None,
            };
            match next {
                Some(x) => v = x,
                None => break,
            }
        }
    }
    execs.report("nesting", 0, 5);
}
