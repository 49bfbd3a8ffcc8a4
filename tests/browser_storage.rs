//! Persisted state in headless Chromium: real localStorage, storage that throws,
//! corrupted records, reloads, two instances sharing one record (two tabs), consent, GPC.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use cuekit::api::{create, Cuekit};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

type Seen = Rc<RefCell<Vec<JsValue>>>;

fn json(s: &str) -> JsValue {
    js_sys::JSON::parse(s).expect("test JSON")
}

fn get(v: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(v, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn js(code: &str) -> JsValue {
    js_sys::Function::new_no_args(code)
        .call0(&JsValue::UNDEFINED)
        .expect("test JS")
}

fn storage() -> web_sys::Storage {
    web_sys::window()
        .expect("window")
        .local_storage()
        .expect("ls")
        .expect("ls")
}

fn stored() -> Option<String> {
    storage().get_item("cuekit:state").ok().flatten()
}

/// Counts shown and suppressed decisions.
struct Watch {
    shown: Seen,
    suppressed: Seen,
    _a: Closure<dyn FnMut(JsValue)>,
    _b: Closure<dyn FnMut(JsValue)>,
}

fn watch(ck: &Cuekit) -> Watch {
    let shown: Seen = Rc::default();
    let suppressed: Seen = Rc::default();
    let (s1, s2) = (shown.clone(), suppressed.clone());
    let a = Closure::wrap(
        Box::new(move |v: JsValue| s1.borrow_mut().push(v)) as Box<dyn FnMut(JsValue)>
    );
    let b = Closure::wrap(
        Box::new(move |v: JsValue| s2.borrow_mut().push(v)) as Box<dyn FnMut(JsValue)>
    );
    ck.on(
        "show",
        a.as_ref().unchecked_ref::<js_sys::Function>().clone(),
    );
    ck.on(
        "suppress",
        b.as_ref().unchecked_ref::<js_sys::Function>().clone(),
    );
    Watch {
        shown,
        suppressed,
        _a: a,
        _b: b,
    }
}

fn go(ck: &Cuekit, name: &str) {
    ck.track(JsValue::from_str(name), JsValue::UNDEFINED);
}

const CAPPED: &str = r#"{"caps":{"perSession":2},"rules":[
    {"id":"a","trigger":"go-a"},{"id":"b","trigger":"go-b"},{"id":"c","trigger":"go-c"},
    {"id":"d","trigger":"go-d","caps":{"dismissCooldown":["0s","24h"]}}]}"#;

#[wasm_bindgen_test]
fn choices_survive_a_reload() {
    storage().clear().expect("clear");
    let a = create(json(CAPPED)).expect("valid");
    assert!(a.snooze(JsValue::from_str("a"), JsValue::from_str("1h")));
    assert!(a.opt_out(JsValue::from_str("b")));
    a.destroy();
    let text = stored().expect("written");
    assert!(text.contains("snooze") && text.contains("optout"), "{text}");
    let b = create(json(CAPPED)).expect("valid");
    let w = watch(&b);
    go(&b, "go-a");
    go(&b, "go-b");
    assert_eq!(w.shown.borrow().len(), 0);
    let reasons: Vec<String> = w
        .suppressed
        .borrow()
        .iter()
        .map(|d| {
            get(&get(d, "suppressed"), "cap")
                .as_string()
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(reasons, vec!["snooze", "optout"]);
    // The visitor's data can be exported, then erased.
    let exported = js_sys::JSON::stringify(&b.export())
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default();
    assert!(
        exported.contains("\"optout\"") && exported.contains("\"visitor\""),
        "{exported}"
    );
    assert!(b.opt_in(JsValue::from_str("b")));
    go(&b, "go-b");
    assert_eq!(w.shown.borrow().len(), 1, "opt-in reverses the opt-out");
    b.destroy();
}

/// A task boundary: what a real tab does between two inputs.
async fn next_task() {
    after(0).await;
}

/// Resolves in a task of its own after `ms`.
async fn after(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        let _ = web_sys::window()
            .expect("window")
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(p).await;
}

#[wasm_bindgen_test]
async fn a_show_is_saved_in_the_next_task_and_a_choice_at_once() {
    storage().clear().expect("clear");
    let ck = create(json(
        r#"{"rules":[{"id":"a","trigger":"go-a"},{"id":"b","trigger":"go-b"},{"id":"d","trigger":"go-d"}]}"#,
    ))
    .expect("valid");
    let w = watch(&ck);
    next_task().await;
    let shows = || stored().unwrap_or_default().matches("\"show\"").count();
    go(&ck, "go-a");
    go(&ck, "go-b");
    assert_eq!(w.shown.borrow().len(), 2);
    assert_eq!(shows(), 0, "the input's own task does not write");
    next_task().await;
    assert_eq!(shows(), 2, "one write, right after, for both shows");
    ck.dismiss("a");
    assert!(
        stored().unwrap_or_default().contains("\"dismiss\""),
        "a choice is written at once"
    );
    go(&ck, "go-d");
    assert_eq!(w.shown.borrow().len(), 3);
    ck.destroy();
    assert_eq!(shows(), 3, "destroy() writes what was pending");
}

#[wasm_bindgen_test]
async fn shows_in_a_burst_share_a_write_and_destroy_writes_the_rest() {
    storage().clear().expect("clear");
    let ck = create(json(
        r#"{"rules":[{"id":"a","trigger":"go-a"},{"id":"b","trigger":"go-b"},{"id":"c","trigger":"go-c"},{"id":"d","trigger":"go-d"},{"id":"e","trigger":"go-e"}]}"#,
    ))
    .expect("valid");
    let w = watch(&ck);
    // A second after start-up: no write after an input in the last second.
    after(1100).await;
    let shows = || stored().unwrap_or_default().matches("\"show\"").count();
    go(&ck, "go-a");
    next_task().await;
    assert_eq!(
        shows(),
        1,
        "a show after a quiet second: written in the next task"
    );
    go(&ck, "go-b");
    next_task().await;
    assert_eq!(shows(), 2, "a second one too");
    go(&ck, "go-c");
    next_task().await;
    go(&ck, "go-d");
    next_task().await;
    assert_eq!(w.shown.borrow().len(), 4);
    assert_eq!(
        shows(),
        2,
        "a third within the second waits for the burst's write"
    );
    after(1100).await;
    assert_eq!(
        shows(),
        4,
        "one write for both, a second after the burst began"
    );
    go(&ck, "go-e");
    ck.destroy();
    assert_eq!(shows(), 5, "destroy() writes a show still waiting");
}

/// Progress (a count window) waits for its 5 s pace, unless the page is hidden: a hidden
/// page may be discarded without `pagehide`, so what is pending is written at once.
#[wasm_bindgen_test]
async fn progress_is_written_when_the_page_is_hidden() {
    storage().clear().expect("clear");
    let ck = create(json(
        r#"{"rules":[{"id":"fan","trigger":{"count":"product_view","atLeast":5,"within":"10m"}}]}"#,
    ))
    .expect("valid");
    next_task().await;
    ck.track(JsValue::from_str("product_view"), JsValue::UNDEFINED);
    next_task().await;
    // The rule's count window, empty until the view is written.
    let has_progress = || {
        let text = stored().unwrap_or_default();
        text.contains("\"cnt\":") && !text.contains("\"cnt\":[]")
    };
    assert!(!has_progress(), "progress waits for its pace");
    let run = |code: &str| {
        let _ = js_sys::Function::new_no_args(code).call0(&JsValue::NULL);
    };
    run(
        "Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});
        document.dispatchEvent(new Event('visibilitychange'));",
    );
    let written = has_progress();
    run(
        "Object.defineProperty(document, 'hidden', {configurable: true, get: () => false});
        document.dispatchEvent(new Event('visibilitychange'));
        delete document.hidden;",
    );
    assert!(written, "hiding the page writes pending progress at once");
    ck.destroy();
}

#[wasm_bindgen_test]
async fn global_cap_and_dismissals_hold_across_two_instances_sharing_storage() {
    storage().clear().expect("clear");
    let tab1 = create(json(CAPPED)).expect("valid");
    let tab2 = create(json(CAPPED)).expect("valid");
    let (w1, w2) = (watch(&tab1), watch(&tab2));
    // Each tab acts in a task of its own, as two real tabs do.
    go(&tab1, "go-a");
    next_task().await;
    go(&tab2, "go-b");
    next_task().await;
    go(&tab1, "go-c");
    assert_eq!(
        w1.shown.borrow().len() + w2.shown.borrow().len(),
        2,
        "two per session across tabs"
    );
    let cap = get(&get(&w1.suppressed.borrow()[0], "suppressed"), "reason")
        .as_string()
        .unwrap_or_default();
    assert_eq!(
        cap,
        "capped by global perSession (2/2) until the session ends"
    );
    // A dismissal in one tab is honoured by the other (re-read before a show).
    tab2.dismiss("d");
    tab2.dismiss("d");
    go(&tab1, "go-d");
    let last = w1.suppressed.borrow().last().cloned().expect("suppressed");
    assert_eq!(
        get(&get(&last, "suppressed"), "cap").as_string().as_deref(),
        Some("dismissCooldown")
    );
    tab1.destroy();
    tab2.destroy();
    let text = stored().expect("written");
    assert_eq!(
        text.matches("\"dismiss\"").count(),
        2,
        "both dismissals kept: {text}"
    );
}

#[wasm_bindgen_test]
fn storage_that_throws_falls_back_to_memory() {
    storage().clear().expect("clear");
    js("window.__ck = {get: Storage.prototype.getItem, set: Storage.prototype.setItem};
        Storage.prototype.getItem = function () { throw new DOMException('blocked', 'SecurityError'); };
        Storage.prototype.setItem = function () { throw new DOMException('full', 'QuotaExceededError'); };");
    let ck = create(json(CAPPED)).expect("storage errors never reach the host");
    let w = watch(&ck);
    go(&ck, "go-a");
    ck.dismiss("a");
    go(&ck, "go-b");
    assert_eq!(
        w.shown.borrow().len(),
        2,
        "everything still works in memory"
    );
    assert_eq!(ck.storage(), "memory");
    js("Storage.prototype.getItem = window.__ck.get; Storage.prototype.setItem = window.__ck.set;");
    ck.destroy();
    assert!(stored().is_none());
}

#[wasm_bindgen_test]
fn quota_errors_after_start_switch_to_memory_once() {
    storage().clear().expect("clear");
    let ck = create(json(CAPPED)).expect("valid");
    assert_eq!(ck.storage(), "storage");
    js("window.__ckset = Storage.prototype.setItem; window.__ckcalls = 0;
        Storage.prototype.setItem = function () { window.__ckcalls++; throw new DOMException('full', 'QuotaExceededError'); };");
    ck.dismiss("a");
    ck.dismiss("b");
    ck.dismiss("c");
    assert_eq!(ck.storage(), "memory");
    let calls = js("return window.__ckcalls").as_f64();
    js("Storage.prototype.setItem = window.__ckset;");
    // The full record, then (it did not fit) the essentials: both fail, and no more.
    assert_eq!(calls, Some(2.0), "no retry loop");
    ck.destroy();
}

#[wasm_bindgen_test]
fn corrupted_records_reset_only_the_broken_part() {
    for garbage in [
        "undefined",
        "{bad json",
        "null",
        "[1,2]",
        r#"{"v":99}"#,
        "\"\\u0000\"",
    ] {
        storage().clear().expect("clear");
        storage().set_item("cuekit:state", garbage).expect("set");
        let ck = create(json(CAPPED)).expect("garbage never breaks start-up");
        let w = watch(&ck);
        go(&ck, "go-a");
        assert_eq!(w.shown.borrow().len(), 1, "{garbage}");
        ck.destroy();
    }
    // A good opt-out next to a tampered session and a bad ledger entry survives.
    storage().clear().expect("clear");
    storage()
        .set_item(
            "cuekit:state",
            r#"{"v":1,"visitor":{"id":"abc","first":1,"visits":-1,"prev":0},"session":"x",
                "ledger":[[1,"a","optout"],["bad"],[1e308,"b","show"]],"patterns":"nope"}"#,
        )
        .expect("set");
    let ck = create(json(CAPPED)).expect("valid");
    let w = watch(&ck);
    go(&ck, "go-a");
    assert_eq!(w.suppressed.borrow().len(), 1, "the valid opt-out was kept");
    ck.destroy();
}

#[wasm_bindgen_test]
fn nothing_is_stored_before_consent_and_withdrawal_erases() {
    storage().clear().expect("clear");
    let cfg = r#"{"requireConsent":true,"rules":[{"id":"a","trigger":"go-a"}]}"#;
    let ck = create(json(cfg)).expect("valid");
    let w = watch(&ck);
    go(&ck, "go-a");
    ck.dismiss("a");
    assert_eq!(w.shown.borrow().len(), 1, "runs in memory before consent");
    assert!(stored().is_none(), "nothing written before consent");
    ck.consent(true);
    assert!(stored().is_some_and(|t| t.contains("\"consent\":true")));
    ck.consent(false);
    // Withdrawal erases: what stays is the withdrawal alone (no visitor, no data).
    let withdrawal = |t: &String| t.contains("\"consent\":false") && !t.contains("visitor");
    assert!(
        stored().is_some_and(|t| withdrawal(&t)),
        "withdrawal erases"
    );
    ck.dismiss("a");
    assert!(
        stored().is_some_and(|t| withdrawal(&t)),
        "and nothing is written after"
    );
    ck.destroy();
    // "off": nothing runs at all before consent.
    let off = create(json(
        r#"{"requireConsent":true,"beforeConsent":"off","rules":[{"id":"a","trigger":"go-a"}]}"#,
    ))
    .expect("valid");
    let w = watch(&off);
    go(&off, "go-a");
    assert_eq!(w.shown.borrow().len(), 0);
    off.consent(true);
    go(&off, "go-a");
    assert_eq!(w.shown.borrow().len(), 1);
    off.destroy();
    storage().clear().expect("clear");
}

#[wasm_bindgen_test]
fn global_privacy_control_is_honoured_when_configured() {
    storage().clear().expect("clear");
    js("Object.defineProperty(navigator, 'globalPrivacyControl', {configurable: true, get: () => true});");
    let ck = create(json(
        r#"{"honorGPC":true,"rules":[{"id":"a","trigger":"go-a"}]}"#,
    ))
    .expect("valid");
    ck.consent(true);
    ck.dismiss("a");
    assert!(
        stored().is_none(),
        "GPC: nothing stored even after consent(true)"
    );
    ck.destroy();
    let plain = create(json(r#"{"rules":[{"id":"a","trigger":"go-a"}]}"#)).expect("valid");
    plain.dismiss("a");
    assert!(stored().is_some(), "without honorGPC storage is used");
    plain.destroy();
    js("delete navigator.globalPrivacyControl;");
    // Do Not Track counts too.
    storage().clear().expect("clear");
    js("Object.defineProperty(navigator, 'doNotTrack', {configurable: true, get: () => '1'});");
    let dnt = create(json(
        r#"{"honorGPC":true,"rules":[{"id":"a","trigger":"go-a"}]}"#,
    ))
    .expect("valid");
    dnt.dismiss("a");
    assert!(stored().is_none(), "DNT: nothing stored");
    dnt.destroy();
    js("delete navigator.doNotTrack;");
    storage().clear().expect("clear");
}
