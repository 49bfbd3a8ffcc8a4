//! Config validation: every problem reported at once, with its path and a plain reason.
#![cfg(not(target_arch = "wasm32"))]

use cuekit::core::config::compile;
use cuekit::core::regex::LinearRegex;
use cuekit::core::value::Value;

fn errors(json: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(json).expect("test JSON");
    match compile(&v, &LinearRegex) {
        Ok(_) => Vec::new(),
        Err(e) => e.iter().map(|e| e.to_string()).collect(),
    }
}

fn has(errs: &[String], needle: &str) -> bool {
    errs.iter().any(|e| e.contains(needle))
}

#[test]
fn a_valid_config_compiles() {
    let errs = errors(
        r#"{"rules":[{"id":"a","trigger":{"after":"product_view","absent":"add_to_cart","within":"60s","same":"id"},
             "if":{"page.path":{"$regex":"^/product/"}},"action":{"type":"modal","title":"Need help with {{props.name}}?"}}]}"#,
    );
    assert!(errs.is_empty(), "{errs:?}");
}

#[test]
fn every_problem_is_listed_with_its_path() {
    let errs = errors(
        r#"{"rules":[
            {"id":"ok","trigger":"click"},
            {"id":"two","trigger":{"idle":"-5s"}},
            {"id":"bad id!","trigger":{"count":"product_view","atLeast":2.5,"within":"10m"}},
            {"id":"four","priorty":3,"trigger":{"event":"x","where":{"a":{"$regex":"("}}}},
            {"id":"five","trigger":{"sequence":["a"],"within":"1m"},"if":{"x":{"$foo":1}}},
            {"trigger":{"dwell":"30s"}},
            {"id":"ok","trigger":{"scroll":140}}
        ],"extra":true}"#,
    );
    let expect = [
        "rules[1].trigger.idle: expected a duration that is not negative",
        "rules[2].id: expected 1–64 letters",
        "rules[2].trigger.atLeast: expected a whole number",
        "rules[3].priorty: unknown field (did you mean \"priority\"?)",
        "rules[3].trigger.where.a.$regex: ",
        "rules[4].trigger.sequence: expected at least two steps",
        "rules[4].if.x.$foo: ",
        "rules[5].id: required",
        "rules[6].trigger.scroll: expected a whole number from 1 to 100",
        "rules[6].id: duplicate rule id \"ok\"",
        "extra: unknown field",
    ];
    for e in expect {
        assert!(has(&errs, e), "missing error {e:?} in {errs:#?}");
    }
    assert_eq!(errs.len(), expect.len(), "{errs:#?}");
}

#[test]
fn trigger_kinds_are_exclusive_and_suggested() {
    let errs = errors(
        r#"{"rules":[{"id":"a","trigger":{"idle":"1m","dwell":"1m"}},{"id":"b","trigger":{"idel":"1m"}}]}"#,
    );
    assert!(
        has(&errs, "rules[0].trigger: expected exactly one trigger kind"),
        "{errs:?}"
    );
    assert!(
        has(
            &errs,
            "rules[1].trigger.idel: unknown trigger field (did you mean \"idle\"?)"
        ),
        "{errs:?}"
    );
}

#[test]
fn prototype_keys_are_rejected() {
    let errs = errors(
        r#"{"rules":[{"id":"a","trigger":"click","action":{"__proto__":{"x":1},"body":{"constructor":1}}}]}"#,
    );
    assert!(
        has(&errs, "rules[0].action.__proto__: this key is not allowed"),
        "{errs:?}"
    );
    assert!(
        has(
            &errs,
            "rules[0].action.body.constructor: this key is not allowed"
        ),
        "{errs:?}"
    );
}

#[test]
fn wrong_types_name_the_type_found() {
    let errs = errors(r#"{"rules":{"id":"a"}}"#);
    assert_eq!(
        errs,
        vec!["rules: expected a list of rules, got object".to_string()]
    );
    let errs = errors(r#"[1,2]"#);
    assert_eq!(errs, vec![": expected an object, got array".to_string()]);
    let errs =
        errors(r#"{"rules":[{"id":"a","trigger":{"after":"x","absent":[],"within":"zz"}}]}"#);
    assert!(
        has(
            &errs,
            "rules[0].trigger.absent: expected at least one event"
        ),
        "{errs:?}"
    );
    assert!(
        has(&errs, "rules[0].trigger.within: expected a duration"),
        "{errs:?}"
    );
}

#[test]
fn missing_rules_is_an_error() {
    assert_eq!(
        errors("{}"),
        vec!["rules: required: a list of rules".to_string()]
    );
}

/// Rules with exactly one known problem each, and where it is reported, for rule `i`.
/// `None`: a valid rule (shifts the indexes of the rules after it).
const ONE_PROBLEM: &[(&str, Option<&str>)] = &[
    (r#"{"id":"r{i}","trigger":"click"}"#, None),
    (
        r#"{"id":"r{i}","trigger":"click","caps":{"group":"g"}}"#,
        None,
    ),
    (
        r#"{"id":"r{i}","trigger":{"idle":"-5s"}}"#,
        Some("trigger.idle"),
    ),
    (
        r#"{"id":"r{i}","trigger":"click","priorty":1}"#,
        Some("priorty"),
    ),
    (
        r#"{"id":"r{i}","trigger":"click","caps":{"group":"nope"}}"#,
        Some("caps.group"),
    ),
    (
        r#"{"id":"r{i}","trigger":"click","if":{"x":{"$regex":"("}}}"#,
        Some("if.x.$regex"),
    ),
    (
        r#"{"id":"r{i}","trigger":"click","if":{"x":{"$regex":"(a)\\1"}}}"#,
        Some("if.x.$regex"),
    ),
    (r#"{"id":"r{i}"}"#, Some("trigger")),
    (
        r#"{"id":"r{i}","trigger":"click","caps":{"dismissCooldown":"-1s"}}"#,
        Some("caps.dismissCooldown"),
    ),
    (
        r#"{"id":"r{i}","trigger":{"after":"a","absent":"b","within":"1m","same":[1]}}"#,
        Some("trigger.same[0]"),
    ),
    (
        r#"{"id":"r{i}","trigger":{"idle":"-5s"},"caps":{"group":"g"}}"#,
        Some("trigger.idle"),
    ),
];

/// The paths of the errors of a config made of `kinds` (indexes into `ONE_PROBLEM`), and
/// the paths expected.
fn paths_of(kinds: &[usize]) -> (Vec<String>, Vec<String>) {
    let rules: Vec<String> = kinds
        .iter()
        .enumerate()
        .map(|(i, &k)| ONE_PROBLEM[k].0.replace("{i}", &i.to_string()))
        .collect();
    let json = format!(
        r#"{{"caps":{{"groups":{{"g":{{"perDay":1}}}}}},"rules":[{}]}}"#,
        rules.join(",")
    );
    let v: Value = serde_json::from_str(&json).expect("test JSON");
    let mut got: Vec<String> = match compile(&v, &LinearRegex) {
        Ok(_) => Vec::new(),
        Err(e) => e.into_iter().map(|e| e.path).collect(),
    };
    let mut want: Vec<String> = kinds
        .iter()
        .enumerate()
        .filter_map(|(i, &k)| ONE_PROBLEM[k].1.map(|p| format!("rules[{i}].{p}")))
        .collect();
    got.sort();
    want.sort();
    (got, want)
}

/// Issue 20: `[bad idle, unknown field, unknown group]` reports the group at the rule's own
/// place in the config, not at its place among the rules that compiled.
#[test]
fn an_error_after_a_failed_rule_names_the_rules_own_index() {
    let (got, want) = paths_of(&[2, 3, 4]);
    assert_eq!(got, want);
    assert!(got.contains(&"rules[2].caps.group".to_string()), "{got:?}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
    /// Every problem, every time, at its own path: for N rules with one known problem
    /// each (or none), the error list has exactly those paths.
    #[test]
    fn each_rule_problem_is_reported_at_its_place(
        kinds in proptest::collection::vec(0..ONE_PROBLEM.len(), 1..12)
    ) {
        let (got, want) = paths_of(&kinds);
        proptest::prop_assert_eq!(got, want);
    }
}

#[test]
fn the_storage_key_is_part_of_the_compiled_config() {
    let cfg = |json: &str| compile(&serde_json::from_str::<Value>(json).unwrap(), &LinearRegex);
    assert_eq!(cfg(r#"{"rules":[]}"#).unwrap().storage_key, "cuekit");
    assert_eq!(
        cfg(r#"{"storageKey":"shop-a","rules":[]}"#)
            .unwrap()
            .storage_key,
        "shop-a"
    );
    assert!(cfg(r#"{"storageKey":"","rules":[]}"#).is_err());
}
