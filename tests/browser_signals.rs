//! Every browser signal through the real listeners in headless Chromium: real DOM events
//! are dispatched, and the decisions the engine makes are asserted.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use cuekit::api::{create, Cuekit};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

type Seen = Rc<RefCell<Vec<JsValue>>>;

struct Harness {
    ck: Cuekit,
    seen: Seen,
    _cb: Closure<dyn FnMut(JsValue)>,
}

impl Harness {
    fn new(config: &str) -> Harness {
        reset_page();
        let ck = create(json(config)).expect("valid config");
        let seen: Seen = Rc::new(RefCell::new(Vec::new()));
        let s2 = seen.clone();
        let cb = Closure::wrap(
            Box::new(move |v: JsValue| s2.borrow_mut().push(v)) as Box<dyn FnMut(JsValue)>
        );
        ck.on(
            "decision",
            cb.as_ref().unchecked_ref::<js_sys::Function>().clone(),
        );
        Harness { ck, seen, _cb: cb }
    }
    fn rules(&self) -> Vec<String> {
        self.seen
            .borrow()
            .iter()
            .map(|d| get(d, "rule").as_string().unwrap_or_default())
            .collect()
    }
    fn props(&self, i: usize) -> JsValue {
        get(&get(&self.seen.borrow()[i], "context"), "props")
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.ck.destroy();
    }
}

fn json(s: &str) -> JsValue {
    js_sys::JSON::parse(s).expect("test JSON")
}

fn get(v: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(v, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn window() -> web_sys::Window {
    web_sys::window().expect("window")
}

fn document() -> web_sys::Document {
    window().document().expect("document")
}

fn reset_page() {
    if let Some(s) = window().local_storage().ok().flatten() {
        let _ = s.clear();
    }
    markup("");
    window().scroll_to_with_x_and_y(0.0, 0.0);
}

/// Builds test markup in a container of its own (the runner's output lives in the body).
/// Tests only: the SDK itself never writes HTML.
fn markup(html: &str) {
    let doc = document();
    let root = match doc.get_element_by_id("ck-test") {
        Some(r) => r,
        None => {
            let r = doc.create_element("div").expect("div");
            r.set_id("ck-test");
            let body = doc.body().expect("body");
            let _ = body.insert_before(&r, body.first_child().as_ref());
            r
        }
    };
    root.set_inner_html(html);
}

fn el(sel: &str) -> web_sys::Element {
    document()
        .query_selector(sel)
        .expect("selector")
        .expect("element exists")
}

fn js(code: &str) -> JsValue {
    js_sys::Function::new_no_args(code)
        .call0(&JsValue::UNDEFINED)
        .expect("test JS")
}

async fn sleep(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = JsFuture::from(p).await;
}

async fn frame() {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().request_animation_frame(&resolve);
    });
    let _ = JsFuture::from(p).await;
    sleep(0).await;
}

fn mouse(kind: &str, target: &web_sys::EventTarget, x: i32, y: i32, related_null: bool) {
    let init = web_sys::MouseEventInit::new();
    init.set_bubbles(true);
    init.set_composed(true);
    init.set_client_x(x);
    init.set_client_y(y);
    if !related_null {
        init.set_related_target(Some(document().body().expect("body").as_ref()));
    }
    let ev = web_sys::MouseEvent::new_with_mouse_event_init_dict(kind, &init).expect("event");
    target.dispatch_event(&ev).expect("dispatch");
}

fn click(target: &web_sys::Element) {
    mouse("click", target, 10, 10, false);
}

#[wasm_bindgen_test]
fn click_on_a_child_of_a_selector_matches_with_closest() {
    let h = Harness::new(
        r##"{"rules":[{"id":"cta","trigger":{"event":"click","selector":"#add-to-cart"}}]}"##,
    );
    markup(r##"<button id="add-to-cart"><span id="label">Add</span></button><p id="other">x</p>"##);
    click(&el("#other"));
    assert!(h.rules().is_empty());
    click(&el("#label"));
    assert_eq!(h.rules(), vec!["cta"]);
    assert_eq!(get(&h.props(0), "text").as_string().as_deref(), Some("Add"));
}

#[wasm_bindgen_test]
fn declarative_tags_turn_clicks_into_named_events() {
    let h = Harness::new(
        r##"{"rules":[{"id":"upsell","trigger":{"event":"add_to_cart","where":{"props.price":{"$gte":20}}}}]}"##,
    );
    markup(
        r##"<button id="cheap" data-cuekit-event="add_to_cart" data-cuekit-price="3">Sticker</button>
           <button data-cuekit-event="add_to_cart" data-cuekit-product-id="mug-1" data-cuekit-price="24"><b id="mug">Mug</b></button>"##,
    );
    click(&el("#cheap"));
    assert!(h.rules().is_empty());
    click(&el("#mug"));
    assert_eq!(h.rules(), vec!["upsell"]);
    assert_eq!(
        get(&h.props(0), "productId").as_string().as_deref(),
        Some("mug-1")
    );
    assert_eq!(get(&h.props(0), "price").as_f64(), Some(24.0));
}

#[wasm_bindgen_test]
fn a_tag_on_an_ancestor_of_the_clicked_control_or_text_names_the_click() {
    let h = Harness::new(
        r##"{"rules":[{"id":"upsell","trigger":{"event":"add_to_cart","where":{"props.price":{"$gte":20}}}}]}"##,
    );
    markup(
        r##"<div data-cuekit-event="add_to_cart" data-cuekit-price="30"><button><i id="icon">+</i></button></div>
           <section data-cuekit-event="add_to_cart" data-cuekit-price="40"><p><span id="deep">x</span></p></section>
           <button id="plain"><i id="plain-icon">-</i></button>"##,
    );
    click(&el("#plain-icon"));
    assert!(h.rules().is_empty(), "no tag above the plain button");
    click(&el("#icon"));
    assert_eq!(h.rules(), vec!["upsell"]);
    assert_eq!(get(&h.props(0), "price").as_f64(), Some(30.0));
    click(&el("#deep"));
    assert_eq!(h.rules(), vec!["upsell", "upsell"]);
    assert_eq!(get(&h.props(1), "price").as_f64(), Some(40.0));
}

#[wasm_bindgen_test]
fn clicks_inside_an_open_shadow_root_match() {
    let h =
        Harness::new(r##"{"rules":[{"id":"sh","trigger":{"event":"click","selector":".buy"}}]}"##);
    markup(r##"<div id="host"></div>"##);
    js("const r = document.getElementById('host').attachShadow({mode:'open'});
        const b = document.createElement('button'); b.className = 'buy';
        const s = document.createElement('span'); s.id = 'inner'; b.appendChild(s); r.appendChild(b);");
    let inner: web_sys::Element =
        js("return document.getElementById('host').shadowRoot.getElementById('inner')")
            .dyn_into()
            .expect("element");
    click(&inner);
    assert_eq!(h.rules(), vec!["sh"]);
}

#[wasm_bindgen_test]
fn rage_clicks_fire_after_fast_clicks_in_one_spot() {
    let h = Harness::new(
        r##"{"signals":{"rageClick":{"clicks":4,"within":"2s","radius":20}},
            "rules":[{"id":"rage","trigger":"rage_click"}]}"##,
    );
    markup(r##"<div id="box">x</div>"##);
    let b = el("#box");
    for _ in 0..3 {
        mouse("click", &b, 100, 100, false);
    }
    assert!(h.rules().is_empty(), "three clicks are not four");
    mouse("click", &b, 105, 102, false);
    assert_eq!(h.rules(), vec!["rage"]);
    assert_eq!(get(&h.props(0), "clicks").as_f64(), Some(4.0));
}

#[wasm_bindgen_test]
async fn scroll_depth_is_read_in_a_frame_at_most_every_100ms_and_fires_at_the_threshold() {
    let h = Harness::new(r##"{"rules":[{"id":"deep","trigger":{"scroll":75}}]}"##);
    markup(r##"<div style="height:5000px">tall</div>"##);
    window().scroll_to_with_x_and_y(0.0, 1000.0);
    frame().await;
    assert!(h.rules().is_empty(), "not yet past 75 %");
    window().scroll_to_with_x_and_y(0.0, 4500.0);
    frame().await;
    assert!(
        h.rules().is_empty(),
        "the position was read less than 100 ms ago: the next read waits"
    );
    sleep(150).await;
    frame().await;
    assert_eq!(h.rules(), vec!["deep"], "the trailing read");
    window().scroll_to_with_x_and_y(0.0, 4000.0);
    sleep(150).await;
    window().scroll_to_with_x_and_y(0.0, 4900.0);
    sleep(150).await;
    assert_eq!(h.rules().len(), 1, "once per page view");
}

#[wasm_bindgen_test]
async fn visibility_reports_the_time_away() {
    let h = Harness::new(r##"{"rules":[{"id":"back","trigger":"tab_visible"}]}"##);
    js(
        "Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});
        document.dispatchEvent(new Event('visibilitychange'));",
    );
    sleep(60).await;
    js(
        "Object.defineProperty(document, 'hidden', {configurable: true, get: () => false});
        document.dispatchEvent(new Event('visibilitychange'));
        delete document.hidden;",
    );
    assert_eq!(h.rules(), vec!["back"]);
    let away = get(&h.props(0), "away").as_f64().unwrap_or(0.0);
    assert!((50.0..5000.0).contains(&away), "away {away} ms");
}

#[wasm_bindgen_test]
async fn idle_fires_from_the_one_armed_timer_and_activity_resets_it() {
    let h = Harness::new(r##"{"rules":[{"id":"idle","trigger":{"idle":"300ms"}}]}"##);
    sleep(150).await;
    mouse("pointerdown", &document().into(), 5, 5, false);
    sleep(200).await;
    assert!(
        h.rules().is_empty(),
        "activity at 150 ms moved the deadline to 450 ms"
    );
    sleep(400).await;
    assert_eq!(h.rules(), vec!["idle"]);
    sleep(400).await;
    assert_eq!(h.rules().len(), 1, "once per period of inactivity");
}

#[wasm_bindgen_test]
async fn input_not_yet_reported_still_postpones_idle() {
    // Continuous input reaches wasm at most once a second; the time of the last input is
    // read before the idle deadline is decided.
    let h = Harness::new(r##"{"rules":[{"id":"idle","trigger":{"idle":"300ms"}}]}"##);
    let doc: web_sys::EventTarget = document().into();
    mouse("pointermove", &doc, 5, 5, false);
    sleep(200).await;
    mouse("pointermove", &doc, 6, 6, false); // within the second: kept in JS only
    sleep(250).await;
    assert!(
        h.rules().is_empty(),
        "450 ms after the first move, but only 250 ms after the last"
    );
    sleep(300).await;
    assert_eq!(h.rules(), vec!["idle"]);
}

#[wasm_bindgen_test]
fn exit_intent_fires_upward_through_the_top_but_not_from_a_select() {
    let h = Harness::new(
        r##"{"signals":{"exitIntent":{"delay":0}},"rules":[{"id":"exit","trigger":"exit_intent"}]}"##,
    );
    markup(r##"<select id="sel"><option>a</option></select><p id="p">x</p>"##);
    let doc: web_sys::EventTarget = document().into();
    mouse("pointermove", &doc, 50, 40, false);
    mouse("mouseout", &el("#sel"), 50, -1, true);
    assert!(h.rules().is_empty(), "a <select> dropdown is not an exit");
    mouse("mouseout", &el("#p"), 50, 200, true);
    assert!(
        h.rules().is_empty(),
        "leaving through the bottom is not an exit"
    );
    mouse("mouseout", &el("#p"), 50, -1, true);
    assert_eq!(h.rules(), vec!["exit"]);
}

#[wasm_bindgen_test]
async fn hover_dwell_without_a_click_on_the_call_to_action() {
    let h = Harness::new(
        r##"{"rules":[{"id":"hesitate","trigger":{"hover":".product-image","for":"150ms",
              "without":{"event":"click","selector":"#cta"}}}]}"##,
    );
    markup(
        r##"<div class="product-image"><img id="img" alt=""></div><button id="cta">Buy</button><p id="away">x</p>"##,
    );
    mouse("pointerover", &el("#img"), 10, 10, false);
    sleep(50).await;
    mouse("pointerover", &el("#away"), 10, 10, false);
    sleep(200).await;
    assert!(h.rules().is_empty(), "left the image before 150 ms");
    mouse("pointerover", &el("#img"), 10, 10, false);
    sleep(50).await;
    click(&el("#cta"));
    sleep(200).await;
    assert!(h.rules().is_empty(), "clicked the call to action");
    mouse("pointerover", &el("#away"), 10, 10, false);
    mouse("pointerover", &el("#img"), 10, 10, false);
    sleep(300).await;
    assert_eq!(h.rules(), vec!["hesitate"]);
}

#[wasm_bindgen_test]
async fn element_visible_for_a_minimum_time_including_elements_added_later() {
    let h = Harness::new(
        r##"{"rules":[{"id":"reviews","trigger":{"visible":"#reviews","for":"100ms","ratio":0.5}}]}"##,
    );
    sleep(100).await;
    assert!(h.rules().is_empty());
    // Added after start-up, as a single-page app would.
    markup(r##"<section id="reviews" style="height:100px">Reviews</section>"##);
    sleep(400).await;
    assert_eq!(h.rules(), vec!["reviews"]);
}

#[wasm_bindgen_test]
async fn element_scrolled_away_before_the_minimum_time_does_not_fire() {
    let h = Harness::new(
        r##"{"rules":[{"id":"reviews","trigger":{"visible":"#late","for":"400ms"}}]}"##,
    );
    markup(
        r##"<div style="height:3000px"></div><section id="late" style="height:50px">R</section><div style="height:3000px"></div>"##,
    );
    sleep(100).await;
    window().scroll_to_with_x_and_y(0.0, 2800.0);
    sleep(150).await;
    window().scroll_to_with_x_and_y(0.0, 0.0);
    sleep(500).await;
    assert!(h.rules().is_empty(), "{:?}", h.rules());
    window().scroll_to_with_x_and_y(0.0, 2800.0);
    sleep(700).await;
    assert_eq!(h.rules(), vec!["reviews"]);
}

#[wasm_bindgen_test]
fn form_start_and_abandon_on_page_hide() {
    let h = Harness::new(
        r##"{"rules":[{"id":"start","trigger":"form_start"},{"id":"abandon","trigger":{"event":"form_abandon","where":{"props.formId":"signup"}}}]}"##,
    );
    markup(r##"<form id="signup"><input id="email"></form>"##);
    let input = el("#email");
    input
        .dispatch_event(
            &web_sys::Event::new_with_event_init_dict("input", &{
                let i = web_sys::EventInit::new();
                i.set_bubbles(true);
                i
            })
            .expect("event"),
        )
        .expect("dispatch");
    assert_eq!(h.rules(), vec!["start"]);
    window()
        .dispatch_event(&web_sys::Event::new("pagehide").expect("event"))
        .expect("dispatch");
    assert_eq!(h.rules(), vec!["start", "abandon"]);
}

#[wasm_bindgen_test]
fn spa_navigation_counts_as_page_views_and_reevaluates_the_url() {
    let original = window().location().href().expect("href");
    let h = Harness::new(
        r##"{"rules":[{"id":"pricing","trigger":"page_view","if":{"page.path":"/spa/pricing"}}]}"##,
    );
    let history = window().history().expect("history");
    history
        .push_state_with_url(&JsValue::NULL, "", Some("/spa/features"))
        .expect("push");
    assert!(h.rules().is_empty());
    history
        .push_state_with_url(&JsValue::NULL, "", Some("/spa/pricing?utm_source=mail"))
        .expect("push");
    assert_eq!(h.rules(), vec!["pricing"]);
    let page = get(&get(&h.seen.borrow()[0], "context"), "page");
    assert_eq!(
        get(&get(&page, "utm"), "source").as_string().as_deref(),
        Some("mail")
    );
    history
        .replace_state_with_url(&JsValue::NULL, "", Some("/spa/pricing?utm_source=mail"))
        .expect("replace");
    assert_eq!(h.rules().len(), 1, "same URL: no new page view");
    drop(h);
    history
        .replace_state_with_url(&JsValue::NULL, "", Some(&original))
        .expect("restore");
}

#[wasm_bindgen_test]
fn history_fallback_keeps_host_wrappers_and_is_undone_by_destroy() {
    let original = window().location().href().expect("href");
    // No Navigation API: cuekit must wrap history itself.
    js("window.__ckNav = Object.getOwnPropertyDescriptor(Window.prototype, 'navigation');
        Object.defineProperty(window, 'navigation', {configurable: true, value: undefined});
        window.__hostCalls = 0;
        const hostOrig = history.pushState;
        window.__hostWrapper = function () { window.__hostCalls++; return hostOrig.apply(this, arguments); };
        history.pushState = window.__hostWrapper;");
    let h = Harness::new(
        r##"{"rules":[{"id":"pv","trigger":"page_view","if":{"page.path":"/spa/a"}}]}"##,
    );
    assert!(
        js("return history.pushState !== window.__hostWrapper")
            .as_bool()
            .unwrap_or(false),
        "cuekit wrapped"
    );
    window()
        .history()
        .expect("history")
        .push_state_with_url(&JsValue::NULL, "", Some("/spa/a"))
        .expect("push");
    assert_eq!(h.rules(), vec!["pv"]);
    assert_eq!(
        js("return window.__hostCalls").as_f64(),
        Some(1.0),
        "the host's wrapper still runs"
    );
    drop(h);
    assert!(
        js("return history.pushState === window.__hostWrapper")
            .as_bool()
            .unwrap_or(false),
        "destroy restored it"
    );
    js("delete window.navigation; history.pushState = Object.getPrototypeOf(history).pushState;");
    window()
        .history()
        .expect("history")
        .replace_state_with_url(&JsValue::NULL, "", Some(&original))
        .expect("restore");
}

#[wasm_bindgen_test]
async fn after_destroy_dom_events_change_nothing() {
    let h = Harness::new(
        r##"{"rules":[{"id":"c","trigger":"click"},{"id":"s","trigger":{"scroll":25}},{"id":"i","trigger":{"idle":"100ms"}}]}"##,
    );
    markup(r##"<div id="x" style="height:5000px">x</div>"##);
    h.ck.destroy();
    click(&el("#x"));
    window().scroll_to_with_x_and_y(0.0, 4000.0);
    frame().await;
    sleep(250).await;
    assert!(h.rules().is_empty(), "{:?}", h.rules());
}

#[wasm_bindgen_test]
fn an_invalid_selector_is_a_config_error_naming_the_rule() {
    let err = match create(json(
        r###"{"rules":[{"id":"a","trigger":"x"},{"id":"b","trigger":{"event":"click","selector":"##nope"}}]}"###,
    )) {
        Ok(_) => panic!("must be rejected"),
        Err(e) => JsValue::from(e),
    };
    let msg = get(&err, "message").as_string().unwrap_or_default();
    assert!(
        msg.contains("rules[1].trigger.selector: not a valid CSS selector: ##nope"),
        "{msg}"
    );
}
