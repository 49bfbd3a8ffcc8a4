//! The wasm-bindgen API in headless Chromium: init with a config, track, decisions
//! delivered to handlers, explain, config errors, destroy.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use cuekit::api::{create, validate};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn json(s: &str) -> JsValue {
    js_sys::JSON::parse(s).expect("test JSON")
}

fn get(v: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(v, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn clear_storage() {
    if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = s.clear();
    }
}

type Seen = Rc<RefCell<Vec<JsValue>>>;

/// Collects the payloads a handler receives.
fn recorder() -> (Seen, Closure<dyn FnMut(JsValue)>) {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let s2 = seen.clone();
    let cb = Closure::wrap(
        Box::new(move |v: JsValue| s2.borrow_mut().push(v)) as Box<dyn FnMut(JsValue)>
    );
    (seen, cb)
}

#[wasm_bindgen_test]
fn track_fires_a_decision_with_context() {
    clear_storage();
    let ck = create(json(
        r#"{"rules":[{"id":"upsell","trigger":{"event":"add_to_cart","where":{"props.price":{"$gte":20}}},
            "action":{"type":"toast","body":"Pairs well with {{props.name}}"}}]}"#,
    ))
    .expect("valid config");
    let (seen, cb) = recorder();
    ck.on(
        "decision",
        cb.as_ref().unchecked_ref::<js_sys::Function>().clone(),
    );
    ck.track(
        JsValue::from_str("add_to_cart"),
        json(r#"{"name":"Sticker","price":3}"#),
    );
    assert_eq!(seen.borrow().len(), 0, "price filter must hold");
    ck.track(
        JsValue::from_str("add_to_cart"),
        json(r#"{"name":"Blue Mug","price":24}"#),
    );
    let got = seen.borrow();
    assert_eq!(got.len(), 1);
    let d = &got[0];
    assert_eq!(get(d, "rule").as_string().as_deref(), Some("upsell"));
    let ctx = get(d, "context");
    assert_eq!(
        get(&get(&ctx, "props"), "name").as_string().as_deref(),
        Some("Blue Mug")
    );
    // The page view recorded at init is in the context.
    assert!(get(&get(&ctx, "page"), "path").as_string().is_some());
    assert_eq!(
        get(&get(d, "action"), "type").as_string().as_deref(),
        Some("toast")
    );
    ck.destroy();
}

#[wasm_bindgen_test]
fn bad_config_lists_every_problem_by_path() {
    let cfg = json(
        r#"{"rules":[{"id":"a","trigger":{"idle":"-5s"}},{"id":"b","trigger":"x","caps":{"perSession":1.5}}]}"#,
    );
    let err = match create(cfg.clone()) {
        Ok(_) => panic!("a bad config must be rejected"),
        Err(e) => JsValue::from(e),
    };
    let msg = get(&err, "message").as_string().unwrap_or_default();
    assert!(
        msg.contains("rules[0].trigger.idle: expected a duration that is not negative"),
        "{msg}"
    );
    assert!(
        msg.contains("rules[1].caps.perSession: expected a whole number"),
        "{msg}"
    );
    let list = js_sys::Array::from(&validate(cfg));
    assert_eq!(list.length(), 2);
    assert_eq!(
        get(&list.get(0), "path").as_string().as_deref(),
        Some("rules[0].trigger.idle")
    );
    assert_eq!(
        js_sys::Array::from(&validate(json(r#"{"rules":[]}"#))).length(),
        0
    );
}

/// Issue 20: a selector the browser cannot parse is listed with every other problem (not
/// only when nothing else is wrong), and an error after a rule that failed names that
/// rule's own index.
#[wasm_bindgen_test]
fn every_problem_is_listed_every_time_at_its_own_path() {
    let cfg = json(
        r##"{"rules":[
            {"id":"a","trigger":{"idle":"-5s"}},
            {"id":"b","trigger":{"event":"click","selector":"a[[["}},
            {"id":"c","trigger":"click","priorty":1},
            {"id":"d","trigger":{"hover":"#ok >>> x","for":"2s"},"caps":{"group":"nope"}},
            {"id":"e","trigger":{"event":"click","selector":"a[[["}}
        ]}"##,
    );
    let list = js_sys::Array::from(&validate(cfg.clone()));
    let mut paths: Vec<String> = list
        .iter()
        .filter_map(|e| get(&e, "path").as_string())
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "rules[0].trigger.idle",
            "rules[1].trigger.selector",
            "rules[2].priorty",
            "rules[3].caps.group",
            "rules[3].trigger.hover",
            "rules[4].trigger.selector",
        ],
        "{paths:?}"
    );
    let msg = match create(cfg) {
        Ok(_) => panic!("a bad config must be rejected"),
        Err(e) => get(&JsValue::from(e), "message")
            .as_string()
            .unwrap_or_default(),
    };
    assert!(
        msg.contains("rules[1].trigger.selector: not a valid CSS selector: a[[["),
        "{msg}"
    );
    assert!(
        msg.contains("rules[3].caps.group: unknown group \"nope\""),
        "{msg}"
    );
}

#[wasm_bindgen_test]
fn invalid_regex_is_a_config_error() {
    let list = js_sys::Array::from(&validate(json(
        r#"{"rules":[{"id":"a","trigger":"x","if":{"page.path":{"$regex":"(unclosed"}}}]}"#,
    )));
    assert_eq!(list.length(), 1);
    assert_eq!(
        get(&list.get(0), "path").as_string().as_deref(),
        Some("rules[0].if.page.path.$regex")
    );
}

#[wasm_bindgen_test]
fn explain_says_why_a_rule_did_not_fire() {
    clear_storage();
    let ck = create(json(
        r#"{"rules":[{"id":"vip","trigger":"click","if":{"plan":"pro"}}]}"#,
    ))
    .expect("valid");
    ck.track(JsValue::from_str("click"), JsValue::UNDEFINED);
    let ex = ck.explain("vip");
    assert_eq!(
        get(&ex, "last").as_string().as_deref(),
        Some("triggered, but the condition did not hold")
    );
    assert_eq!(get(&ex, "conditionHoldsNow").as_bool(), Some(false));
    assert!(get(&ex, "conditionFailure")
        .as_string()
        .unwrap_or_default()
        .contains("plan"));
    ck.identify(json(r#"{"plan":"pro"}"#));
    assert_eq!(
        get(&ck.explain("vip"), "conditionHoldsNow").as_bool(),
        Some(true)
    );
    assert!(ck.explain("nope").is_null());
    ck.destroy();
}

#[wasm_bindgen_test]
fn a_throwing_handler_does_not_stop_the_others() {
    clear_storage();
    let ck = create(json(r#"{"rules":[{"id":"a","trigger":"go"}]}"#)).expect("valid");
    let thrower = js_sys::Function::new_no_args("throw new Error('host bug')");
    ck.on("decision", thrower);
    let (seen, cb) = recorder();
    ck.on(
        "decision",
        cb.as_ref().unchecked_ref::<js_sys::Function>().clone(),
    );
    ck.track(JsValue::from_str("go"), JsValue::UNDEFINED);
    ck.track(JsValue::from_str("go"), JsValue::UNDEFINED);
    assert_eq!(seen.borrow().len(), 2);
    ck.destroy();
}

#[wasm_bindgen_test]
fn after_destroy_events_change_nothing() {
    clear_storage();
    let ck = create(json(
        r#"{"rules":[{"id":"a","trigger":"go"},{"id":"w","trigger":{"idle":"1h"}}]}"#,
    ))
    .expect("valid");
    assert!(!ck.next_deadline().is_null(), "idle arms the timer");
    let (seen, cb) = recorder();
    ck.on(
        "decision",
        cb.as_ref().unchecked_ref::<js_sys::Function>().clone(),
    );
    ck.destroy();
    ck.track(JsValue::from_str("go"), JsValue::UNDEFINED);
    assert_eq!(seen.borrow().len(), 0);
}

#[wasm_bindgen_test]
fn bad_track_input_is_ignored_not_thrown() {
    clear_storage();
    let ck = create(json(r#"{"rules":[{"id":"a","trigger":"go"}]}"#)).expect("valid");
    let (seen, cb) = recorder();
    ck.on(
        "decision",
        cb.as_ref().unchecked_ref::<js_sys::Function>().clone(),
    );
    ck.track(JsValue::from_f64(42.0), JsValue::UNDEFINED);
    ck.track(JsValue::from_str("go"), JsValue::from_str("not an object"));
    ck.track(
        JsValue::from_str("go"),
        js_sys::Function::new_no_args("return 1").into(),
    );
    assert_eq!(seen.borrow().len(), 0);
    ck.track(
        JsValue::from_str("go"),
        json(r#"{"__proto__":{"polluted":true}}"#),
    );
    assert_eq!(seen.borrow().len(), 1);
    assert!(get(&js_sys::Object::new(), "polluted").is_undefined());
    ck.destroy();
}

/// Events no rule names are not read, but they still count: `session.events` sees them.
#[wasm_bindgen_test]
fn events_no_rule_names_still_count_as_session_events() {
    clear_storage();
    let ck = create(json(
        r#"{"rules":[{"id":"third","trigger":{"event":"checkout"},"if":{"session.events":{"$gte":3}}}]}"#,
    ))
    .expect("valid");
    let (seen, cb) = recorder();
    ck.on(
        "decision",
        cb.as_ref().unchecked_ref::<js_sys::Function>().clone(),
    );
    ck.track_text("checkout".into(), "{}");
    assert_eq!(seen.borrow().len(), 0, "one event so far");
    ck.track_text("noise".into(), r#"{"a":1,"b":[2,3]}"#);
    ck.track_text("checkout".into(), "{}");
    assert_eq!(
        seen.borrow().len(),
        1,
        "the unnamed event counted: three events"
    );
    ck.destroy();
}

/// `trackText`, the JS wrapper's path (the props already stringified): the same
/// decisions as `track`, and text that is not a JSON object is ignored, not thrown.
#[wasm_bindgen_test]
fn track_text_decides_as_track_does_and_ignores_text_that_is_not_an_object() {
    clear_storage();
    let ck = create(json(
        r#"{"rules":[{"id":"big","trigger":{"event":"buy","where":{"props.price":{"$gte":20},
            "props.url":{"$regex":"shop\\.example/"}}}}]}"#,
    ))
    .expect("valid");
    let (seen, cb) = recorder();
    ck.on(
        "decision",
        cb.as_ref().unchecked_ref::<js_sys::Function>().clone(),
    );
    for bad in [
        "",
        "{",
        "[1]",
        "\"x\"",
        "5",
        r#"{"price":30,"url":"https://shop.example/"}x"#,
    ] {
        ck.track_text("buy".into(), bad);
    }
    ck.track_text("buy".into(), r#"{"price":3,"url":"https://shop.example/"}"#);
    ck.track_text(
        "buy".into(),
        r#"{"price":30,"url":"https://other.example/"}"#,
    );
    assert_eq!(
        seen.borrow().len(),
        0,
        "bad text and failing conditions fire nothing"
    );
    ck.track_text(
        "buy".into(),
        r#"{"price":30,"url":"https://shop.example/p","__proto__":{"polluted":true}}"#,
    );
    ck.track_text("buy".into(), "null");
    let got = seen.borrow();
    assert_eq!(
        got.len(),
        1,
        "null props are an empty object: the price test fails"
    );
    let props = get(&get(&got[0], "context"), "props");
    assert_eq!(get(&props, "price").as_f64(), Some(30.0));
    assert!(get(&js_sys::Object::new(), "polluted").is_undefined());
    assert!(
        !js_sys::Object::keys(props.unchecked_ref::<js_sys::Object>())
            .includes(&JsValue::from_str("__proto__"), 0)
    );
    drop(got);
    ck.destroy();
}

#[wasm_bindgen_test]
fn state_persists_across_instances() {
    clear_storage();
    let cfg = r#"{"rules":[{"id":"cat","trigger":{"count":"view","atLeast":3,"within":"10m"}}]}"#;
    let a = create(json(cfg)).expect("valid");
    a.track(JsValue::from_str("view"), JsValue::UNDEFINED);
    a.track(JsValue::from_str("view"), JsValue::UNDEFINED);
    a.destroy();
    let b = create(json(cfg)).expect("valid");
    let (seen, cb) = recorder();
    b.on(
        "decision",
        cb.as_ref().unchecked_ref::<js_sys::Function>().clone(),
    );
    b.track(JsValue::from_str("view"), JsValue::UNDEFINED);
    assert_eq!(
        seen.borrow().len(),
        1,
        "the window spans the two page loads"
    );
    let visits = get(&get(&b.visitor(), "visitor"), "visits").as_f64();
    assert_eq!(visits, Some(1.0));
    b.destroy();
}

/// One event firing three rules: each payload names its own rule and action; the two
/// outside the experiment carry the event's context without a variant, the one in it
/// carries its variant; a second event's payloads carry that event's properties.
#[wasm_bindgen_test]
fn decisions_fired_by_one_event_each_carry_their_own_rule_and_context() {
    clear_storage();
    let ck = create(json(
        r#"{"rules":[
            {"id":"plain-1","trigger":"go","action":{"type":"none"}},
            {"id":"ab","trigger":"go","experiment":{"key":"copy","variants":[
                {"id":"a","action":{"type":"none"}},{"id":"b","action":{"type":"none"}}]}},
            {"id":"plain-2","trigger":"go","action":{"type":"host","host":"openChat"}}]}"#,
    ))
    .expect("valid config");
    let (seen, cb) = recorder();
    ck.on(
        "decision",
        cb.as_ref().unchecked_ref::<js_sys::Function>().clone(),
    );
    ck.track(JsValue::from_str("go"), json(r#"{"n":1}"#));
    ck.track(JsValue::from_str("go"), json(r#"{"n":2}"#));
    let got = seen.borrow();
    assert_eq!(got.len(), 6, "three rules, two events");
    for (i, d) in got.iter().enumerate() {
        let rule = get(d, "rule").as_string().unwrap_or_default();
        let ctx = get(d, "context");
        let n = get(&get(&ctx, "props"), "n").as_f64();
        assert_eq!(
            n,
            Some(if i < 3 { 1.0 } else { 2.0 }),
            "{rule}: its event's props"
        );
        let variant = get(d, "variant").as_string();
        let ctx_variant = get(&ctx, "variant").as_string();
        if rule == "ab" {
            assert!(matches!(variant.as_deref(), Some("a" | "b")), "{variant:?}");
            assert_eq!(ctx_variant, variant, "the variant is in its context too");
        } else {
            assert!(rule.starts_with("plain-"), "{rule}");
            assert_eq!(variant, None, "{rule}: no variant");
            assert_eq!(ctx_variant, None, "{rule}: no variant in its context");
        }
        let action = get(&get(d, "action"), "type").as_string();
        // The rule's action as configured: the experiment's is in its variants.
        let want = match rule.as_str() {
            "plain-2" => Some("host"),
            "ab" => None,
            _ => Some("none"),
        };
        assert_eq!(action.as_deref(), want, "{rule}: its own action");
    }
    // Each payload is the handler's own: changing one changes no other.
    let plain: Vec<&JsValue> = got
        .iter()
        .filter(|d| get(d, "rule").as_string().as_deref() == Some("plain-1"))
        .collect();
    assert_eq!(plain.len(), 2);
    let _ = js_sys::Reflect::set(
        &get(plain[0], "action"),
        &JsValue::from_str("type"),
        &JsValue::from_str("changed"),
    );
    assert_eq!(
        get(&get(plain[1], "action"), "type").as_string().as_deref(),
        Some("none")
    );
    drop(got);
    ck.destroy();
}

/// The context is read from its JSON text when a handler first touches it: a payload
/// still behaves as a plain object (keys, spread, JSON, structured clone, assignment), and
/// the decisions of one event share one context object.
#[wasm_bindgen_test]
fn a_payloads_context_behaves_as_a_plain_property() {
    clear_storage();
    let ck = create(json(
        r#"{"rules":[{"id":"one","trigger":"go"},{"id":"two","trigger":"go"}]}"#,
    ))
    .expect("valid config");
    let (seen, cb) = recorder();
    ck.on(
        "decision",
        cb.as_ref().unchecked_ref::<js_sys::Function>().clone(),
    );
    ck.track(JsValue::from_str("go"), json(r#"{"sku":"mug-1"}"#));
    let got = seen.borrow();
    assert_eq!(got.len(), 2);
    let check = js_sys::Function::new_with_args(
        "a, b",
        "const keys = Object.keys(a).includes('context');
         const spread = { ...a }.context.props.sku;
         const json = JSON.parse(JSON.stringify(a)).context.props.sku;
         const clone = structuredClone(a).context.props.sku;
         const shared = a.context === b.context;
         b.context = 5;
         return [keys, spread, json, clone, shared, b.context, a.context.props.sku].join(' ');",
    );
    let out = check
        .call2(&JsValue::NULL, &got[0], &got[1])
        .expect("no exception");
    assert_eq!(
        out.as_string().as_deref(),
        Some("true mug-1 mug-1 mug-1 true 5 mug-1")
    );
    drop(got);
    ck.destroy();
}

#[wasm_bindgen_test]
fn the_same_visitor_keeps_their_variant_across_reloads() {
    clear_storage();
    let cfg = r#"{"rules":[{"id":"cart","trigger":"go","experiment":{"key":"copy","variants":[
        {"id":"a","action":{"type":"none"}},{"id":"b","action":{"type":"none"}},{"id":"c","action":{"type":"none"}}]}}]}"#;
    let first = create(json(cfg)).expect("valid");
    let (seen, cb) = recorder();
    first.on(
        "exposure",
        cb.as_ref().unchecked_ref::<js_sys::Function>().clone(),
    );
    first.track(JsValue::from_str("go"), JsValue::UNDEFINED);
    first.track(JsValue::from_str("go"), JsValue::UNDEFINED);
    assert_eq!(
        seen.borrow().len(),
        1,
        "one exposure per visitor per experiment"
    );
    let variant = get(&seen.borrow()[0], "variant")
        .as_string()
        .expect("variant");
    first.destroy();
    for _ in 0..3 {
        let again = create(json(cfg)).expect("valid");
        let stats = js_sys::Array::from(&again.stats());
        assert_eq!(
            get(&stats.get(0), "variant").as_string(),
            Some(variant.clone())
        );
        assert_eq!(get(&stats.get(0), "exposed").as_bool(), Some(true));
        again.destroy();
    }
}

#[wasm_bindgen_test]
fn analyze_reports_lift_and_significance() {
    let out = cuekit::api::analyze(json(
        r#"[{"exposures":1000,"clicks":100,"conversions":20},{"exposures":1000,"clicks":150,"conversions":30}]"#,
    ))
    .expect("valid counts");
    let v1 = js_sys::Array::from(&get(&out, "variants")).get(1);
    let lift = get(&get(&v1, "ctr"), "vsControl");
    assert!((get(&lift, "absolute").as_f64().unwrap_or(0.0) - 0.05).abs() < 1e-9);
    let p = get(&lift, "pValue").as_f64().unwrap_or(1.0);
    assert!(p < 0.001, "p = {p}");
    assert_eq!(get(&out, "tooSmall").as_bool(), Some(false));
    assert!(cuekit::api::analyze(json(r#"[{"exposures":-1}]"#)).is_err());
}

#[wasm_bindgen_test]
fn handlers_given_at_create_hear_the_start_up_decision_with_the_rendered_message() {
    use cuekit::api::create_with;
    clear_storage();
    let (seen, cb) = recorder();
    let on = js_sys::Object::new();
    js_sys::Reflect::set(&on, &JsValue::from_str("show"), cb.as_ref()).expect("set");
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &JsValue::from_str("on"), &on).expect("set");
    // The rule fires on the page view cuekit records while it starts.
    let ck = create_with(
        json(
            r#"{"rules":[{"id":"hello","trigger":"page_view",
                "action":{"type":"toast","title":"Hi {{visitor.visits}}","body":"Welcome","buttons":[{"label":"OK","do":"close"}]}}]}"#,
        ),
        options.into(),
    )
    .expect("valid config");
    let shows = seen.borrow().clone();
    assert_eq!(
        shows.len(),
        1,
        "the start-up decision reaches a handler given at create"
    );
    let message = get(&shows[0], "message");
    assert_eq!(get(&message, "title").as_string().as_deref(), Some("Hi 1"));
    assert_eq!(
        get(&message, "format").as_string().as_deref(),
        Some("toast")
    );
    let labels = js_sys::Array::from(&get(&message, "buttons"));
    assert_eq!(labels.get(0).as_string().as_deref(), Some("OK"));
    // visitor() uses the documented names.
    let v = ck.visitor();
    assert_eq!(get(&get(&v, "session"), "pageViews").as_f64(), Some(1.0));
    assert_eq!(get(&get(&v, "visitor"), "new").as_bool(), Some(true));
    ck.destroy();
}

#[wasm_bindgen_test]
fn a_prompt_held_back_by_the_one_on_screen_shows_when_that_one_closes() {
    clear_storage();
    let ck = create(json(
        r#"{"rules":[
            {"id":"a","trigger":"go-a","action":{"type":"toast","title":"A"}},
            {"id":"b","trigger":"go-b","action":{"type":"toast","title":"B"}}]}"#,
    ))
    .expect("valid config");
    let (shows, cb) = recorder();
    ck.on(
        "show",
        cb.as_ref().unchecked_ref::<js_sys::Function>().clone(),
    );
    let (suppressed, cb2) = recorder();
    ck.on(
        "suppress",
        cb2.as_ref().unchecked_ref::<js_sys::Function>().clone(),
    );
    ck.track(JsValue::from_str("go-a"), JsValue::UNDEFINED);
    ck.track(JsValue::from_str("go-b"), JsValue::UNDEFINED);
    let rule = |v: &JsValue| get(v, "rule").as_string().unwrap_or_default();
    assert_eq!(shows.borrow().iter().map(rule).collect::<Vec<_>>(), ["a"]);
    let held = suppressed.borrow().clone();
    assert_eq!(held.len(), 1);
    assert_eq!(
        get(&get(&held[0], "suppressed"), "cap")
            .as_string()
            .as_deref(),
        Some("oneAtATime")
    );
    // The visitor closes A: B, held back, shows now (its caps checked again).
    ck.dismiss("a");
    assert_eq!(
        shows.borrow().iter().map(rule).collect::<Vec<_>>(),
        ["a", "b"]
    );
    ck.dismiss("b");
    assert_eq!(shows.borrow().len(), 2, "shown once, not again");
    ck.destroy();
}
