//! Replays GrowthBook's language-neutral `evalCondition` vectors against
//! `cuekit::core::condition`. Shared by the native and the browser test (it depends only
//! on `cuekit::core`, so it compiles for both).
#![allow(dead_code)]

use cuekit::core::condition::Condition;
use cuekit::core::regex::RegexFactory;
use cuekit::core::value::Value;

/// What one replay found.
pub struct Report {
    pub total: usize,
    pub passed: usize,
    /// Vectors whose condition did not compile (they must expect `false`).
    pub compile_failed: usize,
    pub failures: Vec<String>,
}

/// Replays every `[name, condition, attributes, expected, savedGroups?]` case of the
/// `evalCondition` section of the parsed fixture file.
pub fn replay(cases: &Value, regex: &dyn RegexFactory) -> Report {
    let mut r = Report {
        total: 0,
        passed: 0,
        compile_failed: 0,
        failures: Vec::new(),
    };
    let list = cases
        .get("evalCondition")
        .and_then(Value::as_array)
        .unwrap_or(&[]);
    for (i, case) in list.iter().enumerate() {
        r.total += 1;
        let name = case.get("0").and_then(Value::as_str).unwrap_or("?");
        let (Some(cond), Some(attrs), Some(expected)) = (
            case.get("1"),
            case.get("2"),
            case.get("3").and_then(Value::as_bool),
        ) else {
            r.failures.push(format!("#{i} {name}: malformed case"));
            continue;
        };
        let groups = case.get("4").and_then(Value::as_object);
        let mut errors = Vec::new();
        let c = Condition::compile(cond, "if", groups, regex, &mut errors);
        if !errors.is_empty() {
            r.compile_failed += 1;
            if expected {
                r.failures.push(format!(
                    "#{i} {name}: expected true but compile failed: {errors:?}"
                ));
                continue;
            }
        }
        let got = c.eval(attrs);
        let why = c.explain_failure(attrs);
        if got != expected {
            r.failures.push(format!(
                "#{i} {name}: expected {expected}, got {got} ({why:?})"
            ));
        } else if got == why.is_some() {
            r.failures.push(format!(
                "#{i} {name}: explain_failure {why:?} disagrees with eval {got}"
            ));
        } else {
            r.passed += 1;
        }
    }
    r
}

/// `(passed, failures described)`.
pub fn replay_eval_condition(cases: &Value, regex: &dyn RegexFactory) -> (usize, Vec<String>) {
    let r = replay(cases, regex);
    (r.passed, r.failures)
}
