//! The message renderer in headless Chromium: roles and text inside the open shadow
//! root, text-not-HTML, the modal's focus handling, countdowns, auto-hide, buttons,
//! theme, inline targets and a clean `Drop`.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use cuekit::core::action::{Do, Format, Message};
use cuekit::web::render::{Renderer, UiOutcome};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{Document, Element, HtmlElement, KeyboardEvent, KeyboardEventInit, ShadowRoot};

wasm_bindgen_test_configure!(run_in_browser);

type Seen = Rc<RefCell<Vec<(String, UiOutcome)>>>;

fn doc() -> Document {
    web_sys::window().unwrap().document().unwrap()
}

fn now() -> u64 {
    js_sys::Date::now() as u64
}

async fn sleep(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    JsFuture::from(p).await.unwrap();
}

fn message(format: Format) -> Message {
    Message {
        format,
        title: Some("Need a hand?".into()),
        body: Some("We are here to help.".into()),
        image: None,
        list: Vec::new(),
        countdown: None,
        buttons: Vec::new(),
        position: String::new(),
        target: None,
        theme: Vec::new(),
        auto_hide: 0,
    }
}

fn link() -> Do {
    let t = cuekit::core::template::compile("/p", "href", &mut Vec::new());
    Do::Link(t.expect("a link template"))
}

fn button(label: &str) -> (String, Do, Option<String>, bool) {
    (label.into(), Do::Host("openChat".into()), None, false)
}

/// A renderer that records outcomes (and touches nothing else).
fn recorder() -> (Renderer, Seen) {
    let seen: Seen = Rc::new(RefCell::new(Vec::new()));
    let s2 = seen.clone();
    let r = Renderer::new(Rc::new(move |rule: &str, o| {
        s2.borrow_mut().push((rule.to_string(), o))
    }));
    (r, seen)
}

/// The integrator's shape: the renderer inside a `RefCell`, and the callback hides the
/// message synchronously through it.
fn reentrant() -> (Rc<RefCell<Renderer>>, Seen) {
    let seen: Seen = Rc::new(RefCell::new(Vec::new()));
    let slot: Rc<RefCell<std::rc::Weak<RefCell<Renderer>>>> =
        Rc::new(RefCell::new(std::rc::Weak::new()));
    let (s2, slot2) = (seen.clone(), slot.clone());
    let r = Rc::new(RefCell::new(Renderer::new(Rc::new(
        move |rule: &str, o| {
            s2.borrow_mut().push((rule.to_string(), o));
            let r = slot2.borrow().upgrade();
            if let Some(r) = r {
                r.borrow_mut().hide(rule);
            }
        },
    ))));
    *slot.borrow_mut() = Rc::downgrade(&r);
    (r, seen)
}

fn roots() -> u32 {
    doc()
        .query_selector_all("[data-cuekit-root]")
        .unwrap()
        .length()
}

fn shadow() -> ShadowRoot {
    doc()
        .query_selector("[data-cuekit-root]")
        .unwrap()
        .expect("host element")
        .shadow_root()
        .expect("an open shadow root")
}

fn find(sr: &ShadowRoot, sel: &str) -> Option<Element> {
    sr.query_selector(sel).unwrap()
}

fn count(sr: &ShadowRoot, sel: &str) -> u32 {
    sr.query_selector_all(sel).unwrap().length()
}

fn text(e: &Element) -> String {
    e.text_content().unwrap_or_default()
}

fn html(e: Element) -> HtmlElement {
    e.dyn_into().unwrap()
}

fn add(tag: &str, id: &str) -> HtmlElement {
    let d = doc();
    let e = d.create_element(tag).unwrap();
    e.set_id(id);
    d.body().unwrap().append_child(&e).unwrap();
    html(e)
}

fn key(target: &Element, key: &str, shift: bool) -> bool {
    let init = KeyboardEventInit::new();
    init.set_key(key);
    init.set_shift_key(shift);
    init.set_bubbles(true);
    init.set_cancelable(true);
    init.set_composed(true);
    let e = KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    target.dispatch_event(&e).unwrap()
}

fn shadow_active(sr: &ShadowRoot) -> Option<Element> {
    sr.active_element()
}

#[wasm_bindgen_test]
fn nothing_is_created_before_the_first_show() {
    let (r, _) = recorder();
    assert_eq!(roots(), 0);
    assert!(r.showing().is_empty());
    drop(r);
    assert_eq!(roots(), 0);
}

#[wasm_bindgen_test]
fn each_format_renders_with_its_role_and_text_in_an_open_shadow_root() {
    let (mut r, _) = recorder();
    for (rule, f) in [
        ("b", Format::Banner),
        ("t", Format::Toast),
        ("s", Format::SlideIn),
    ] {
        assert!(r.show(rule, &message(f)));
        let sr = shadow();
        let layer = find(&sr, &format!("[data-ck-rule={rule}]")).expect("layer");
        let status = layer
            .query_selector("[role=status]")
            .unwrap()
            .expect("role=status");
        assert_eq!(status.get_attribute("aria-live").as_deref(), Some("polite"));
        assert!(text(&status).contains("Need a hand?"));
        assert!(text(&status).contains("We are here to help."));
        let close = status.query_selector("button[aria-label=Close]").unwrap();
        assert_eq!(
            close.unwrap().get_attribute("type").as_deref(),
            Some("button")
        );
    }
    assert_eq!(roots(), 1, "one host for every message");
    assert!(r.show("m", &message(Format::Modal)));
    let sr = shadow();
    let dialog = find(&sr, "[role=dialog]").expect("dialog");
    assert_eq!(dialog.get_attribute("aria-modal").as_deref(), Some("true"));
    let label = dialog.get_attribute("aria-labelledby").expect("labelled");
    let title = find(&sr, &format!("#{label}")).expect("title element");
    assert_eq!(text(&title), "Need a hand?");
    // Styles: adopted, never a <style> element or a style attribute.
    assert!(shadow().adopted_style_sheets().length() >= 1);
    assert_eq!(count(&sr, "style"), 0);
    assert_eq!(count(&sr, "[style]"), 0);
    let mut on: Vec<String> = r.showing();
    on.sort();
    assert_eq!(on, ["b", "m", "s", "t"]);
    r.hide("m");
    // Without a title, the body names the dialog.
    let mut m = message(Format::Modal);
    m.title = None;
    assert!(r.show("m2", &m));
    let dialog = find(&shadow(), "[role=dialog]").unwrap();
    assert_eq!(
        dialog.get_attribute("aria-label").as_deref(),
        Some("We are here to help.")
    );
    drop(r);
    assert_eq!(roots(), 0);
}

#[wasm_bindgen_test]
fn values_are_text_never_html() {
    let (mut r, _) = recorder();
    let evil = "<img src=x onerror=alert(1)>";
    let mut m = message(Format::Modal);
    m.title = Some(evil.into());
    m.body = Some("<b>bold</b>".into());
    m.list = vec!["<script>alert(1)</script>".into()];
    m.buttons = vec![button("<i>x</i>")];
    assert!(r.show("x", &m));
    let sr = shadow();
    assert_eq!(count(&sr, "img, b, i, script"), 0);
    let dialog = find(&sr, "[role=dialog]").unwrap();
    let title = find(&sr, ".ck-title").unwrap();
    assert_eq!(text(&title), evil);
    assert!(text(&dialog).contains("<b>bold</b>"));
    assert!(text(&dialog).contains("<script>alert(1)</script>"));
    assert!(text(&dialog).contains("<i>x</i>"));
}

#[wasm_bindgen_test]
fn images_lists_and_links() {
    let (mut r, _) = recorder();
    let mut m = message(Format::Toast);
    m.image = Some(("/img/a%20b.png".into(), "A blue mug".into()));
    m.list = vec!["Mug × 2".into(), "Lamp × 1".into()];
    m.buttons = vec![
        ("See it".into(), link(), Some("/p?q=a%20b".into()), true),
        button("Later"),
    ];
    assert!(r.show("i", &m));
    let sr = shadow();
    let img = find(&sr, "img").unwrap();
    assert_eq!(img.get_attribute("src").as_deref(), Some("/img/a%20b.png"));
    assert_eq!(img.get_attribute("alt").as_deref(), Some("A blue mug"));
    let items = sr.query_selector_all("ul li").unwrap();
    assert_eq!(items.length(), 2);
    assert_eq!(
        items.get(1).unwrap().text_content().as_deref(),
        Some("Lamp × 1")
    );
    let a = find(&sr, "a.ck-btn").unwrap();
    assert_eq!(a.get_attribute("href").as_deref(), Some("/p?q=a%20b"));
    assert_eq!(a.get_attribute("rel").as_deref(), Some("noopener"));
    assert!(a.class_name().contains("ck-primary"));
    let b = find(&sr, "button.ck-btn").unwrap();
    assert_eq!(b.get_attribute("type").as_deref(), Some("button"));
    assert!(!b.class_name().contains("ck-primary"));
}

#[wasm_bindgen_test]
fn the_modal_traps_focus_and_esc_dismisses_and_returns_focus() {
    let opener = add("button", "ck-opener");
    opener.set_text_content(Some("open"));
    opener.focus().unwrap();
    let (r, seen) = reentrant();
    let mut m = message(Format::Modal);
    m.buttons = vec![
        button("Chat"),
        ("Shop".into(), link(), Some("#ck-nowhere".into()), false),
    ];
    assert!(r.borrow_mut().show("m", &m));
    let sr = shadow();
    let first = find(&sr, ".ck-actions button").unwrap();
    assert_eq!(shadow_active(&sr).as_ref(), Some(&first), "focus moved in");
    let items = sr
        .query_selector_all("[role=dialog] button, [role=dialog] a[href]")
        .unwrap();
    let head: Element = items.get(0).unwrap().dyn_into().unwrap();
    let tail: Element = items.get(items.length() - 1).unwrap().dyn_into().unwrap();
    html(tail.clone()).focus().unwrap();
    assert!(!key(&tail, "Tab", false), "Tab on the last is taken over");
    assert_eq!(
        shadow_active(&sr).as_ref(),
        Some(&head),
        "wraps to the first"
    );
    assert!(!key(&head, "Tab", true));
    assert_eq!(
        shadow_active(&sr).as_ref(),
        Some(&tail),
        "Shift+Tab wraps back"
    );
    // Focus that escaped is pulled back in.
    opener.focus().unwrap();
    key(&opener, "Tab", false);
    assert_eq!(shadow_active(&sr).as_ref(), Some(&head));
    // Esc: Dismiss, gone, focus back on the opener.
    key(&head, "Escape", false);
    assert_eq!(*seen.borrow(), vec![("m".to_string(), UiOutcome::Dismiss)]);
    assert_eq!(count(&sr, "[role=dialog]"), 0);
    assert!(r.borrow().showing().is_empty());
    assert_eq!(doc().active_element().as_ref(), Some(opener.as_ref()));
    drop(r);
    opener.remove();
}

#[wasm_bindgen_test]
fn hide_returns_focus_and_non_modals_never_take_it() {
    let opener = add("button", "ck-opener2");
    opener.focus().unwrap();
    let (mut r, _) = recorder();
    let mut t = message(Format::Toast);
    t.buttons = vec![button("OK")];
    assert!(r.show("t", &t));
    assert_eq!(doc().active_element().as_ref(), Some(opener.as_ref()));
    let mut m = message(Format::Modal);
    m.buttons = vec![];
    assert!(r.show("m", &m));
    let sr = shadow();
    let dialog = find(&sr, "[role=dialog]").unwrap();
    assert_eq!(
        shadow_active(&sr).as_ref(),
        Some(&dialog),
        "no buttons: the dialog itself"
    );
    assert_eq!(dialog.get_attribute("tabindex").as_deref(), Some("-1"));
    r.hide("m");
    assert_eq!(doc().active_element().as_ref(), Some(opener.as_ref()));
    drop(r);
    opener.remove();
}

#[wasm_bindgen_test]
async fn a_modal_waits_while_the_visitor_types() {
    let input = add("input", "ck-field");
    input.focus().unwrap();
    let (mut r, seen) = recorder();
    let mut m = message(Format::Modal);
    m.buttons = vec![button("Chat")];
    // The modal must wait: the caller holds the decision back (nothing is rendered, the
    // visitor keeps their focus) and decides again when told the screen is free.
    assert!(r.must_wait(&m), "a modal waits while the visitor types");
    assert!(!r.must_wait(&message(Format::Toast)), "a toast does not");
    assert!(r.showing().is_empty());
    assert_eq!(doc().active_element().as_ref(), Some(input.as_ref()));
    sleep(50).await;
    assert!(seen.borrow().is_empty(), "nothing reported while typing");
    input.blur().unwrap();
    sleep(50).await;
    assert_eq!(
        *seen.borrow(),
        vec![(String::new(), UiOutcome::Free)],
        "the screen is free once the field lost focus"
    );
    assert!(!r.must_wait(&m));
    assert!(r.show("m", &m));
    let sr = shadow();
    assert_eq!(count(&sr, "[role=dialog]"), 1);
    assert_eq!(
        shadow_active(&sr).as_ref(),
        find(&sr, ".ck-actions button").as_ref()
    );
    drop(r);
    input.remove();
}

#[wasm_bindgen_test]
async fn a_second_modal_waits_for_the_first() {
    let (mut r, _) = recorder();
    assert!(!r.must_wait(&message(Format::Modal)));
    assert!(r.show("a", &message(Format::Modal)));
    assert!(
        r.must_wait(&message(Format::Modal)),
        "another modal is open"
    );
    let sr = shadow();
    assert_eq!(count(&sr, "[role=dialog]"), 1);
    assert_eq!(r.showing(), ["a"]);
    r.hide("a");
    assert!(!r.must_wait(&message(Format::Modal)), "free once it closed");
    assert!(r.show("b", &message(Format::Modal)));
    assert_eq!(count(&sr, "[role=dialog]"), 1);
    assert!(find(&sr, "[data-ck-rule=b] [role=dialog]").is_some());
    assert_eq!(r.showing(), ["b"]);
}

#[wasm_bindgen_test]
async fn countdowns_tick_and_expire() {
    let (mut r, seen) = recorder();
    let mut m = message(Format::Toast);
    m.countdown = Some((now() + 2_000, "Ends in ".into(), "!".into(), None));
    assert!(r.show("c", &m));
    let sr = shadow();
    let timer = find(&sr, "[role=timer]").unwrap();
    assert_eq!(text(&timer), "Ends in 00:02!");
    sleep(1_200).await;
    assert_eq!(text(&timer), "Ends in 00:01!");
    assert!(seen.borrow().is_empty());
    sleep(1_100).await;
    assert_eq!(*seen.borrow(), vec![("c".to_string(), UiOutcome::Expired)]);
    assert_eq!(count(&sr, "[data-ck-rule=c]"), 0, "hidden at zero");
    assert!(r.showing().is_empty());

    // With "ended" text, the message stays and says so.
    let mut m = message(Format::Banner);
    m.countdown = Some((
        now() + 1_000,
        "Only ".into(),
        " left".into(),
        Some("Offer over".into()),
    ));
    assert!(r.show("e", &m));
    sleep(1_300).await;
    let timer = find(&sr, "[data-ck-rule=e] [role=timer]").unwrap();
    assert_eq!(text(&timer), "Offer over");
    assert_eq!(seen.borrow().len(), 1);
    assert_eq!(r.showing(), ["e"]);
}

#[wasm_bindgen_test]
async fn auto_hide_reports_and_hides() {
    let (mut r, seen) = recorder();
    let mut m = message(Format::Toast);
    m.auto_hide = 300;
    assert!(r.show("a", &m));
    sleep(100).await;
    assert_eq!(r.showing(), ["a"]);
    sleep(400).await;
    assert_eq!(*seen.borrow(), vec![("a".to_string(), UiOutcome::AutoHide)]);
    assert!(r.showing().is_empty());
    assert_eq!(count(&shadow(), ".ck-layer"), 0);
}

#[wasm_bindgen_test]
fn buttons_report_their_index_even_when_the_callback_hides() {
    let (r, seen) = reentrant();
    let mut m = message(Format::SlideIn);
    m.buttons = vec![
        button("Chat"),
        button("Later"),
        ("Docs".into(), Do::Dismiss, None, true),
    ];
    assert!(r.borrow_mut().show("b", &m));
    let sr = shadow();
    let items = sr.query_selector_all(".ck-actions button").unwrap();
    assert_eq!(items.length(), 3);
    let second: HtmlElement = items.get(1).unwrap().dyn_into().unwrap();
    second.click();
    assert_eq!(
        *seen.borrow(),
        vec![("b".to_string(), UiOutcome::Button(1))]
    );
    assert_eq!(
        count(&sr, ".ck-layer"),
        0,
        "hidden from inside its own click"
    );
    // A click on a stale element reports nothing.
    second.click();
    assert_eq!(seen.borrow().len(), 1);

    // The close button reports Dismiss.
    assert!(r.borrow_mut().show("b", &m));
    html(find(&sr, "button[aria-label=Close]").unwrap()).click();
    assert_eq!(
        seen.borrow().last(),
        Some(&("b".to_string(), UiOutcome::Dismiss))
    );
    assert!(r.borrow().showing().is_empty());
}

#[wasm_bindgen_test]
fn a_link_button_navigates_even_when_hidden_by_its_click() {
    let location = web_sys::window().unwrap().location();
    let (r, seen) = reentrant();
    let mut m = message(Format::Toast);
    m.buttons = vec![("Go".into(), link(), Some("#ck-link-test".into()), true)];
    assert!(r.borrow_mut().show("l", &m));
    html(find(&shadow(), "a.ck-btn").unwrap()).click();
    assert_eq!(
        *seen.borrow(),
        vec![("l".to_string(), UiOutcome::Button(0))]
    );
    assert!(r.borrow().showing().is_empty());
    assert_eq!(location.hash().unwrap(), "#ck-link-test");
    let url = format!(
        "{}{}",
        location.pathname().unwrap(),
        location.search().unwrap()
    );
    web_sys::window()
        .unwrap()
        .history()
        .unwrap()
        .replace_state_with_url(&JsValue::NULL, "", Some(&url))
        .unwrap();
}

#[wasm_bindgen_test]
fn theme_properties_and_direction_are_set() {
    let html_el = doc().document_element().unwrap();
    html_el.set_attribute("dir", "rtl").unwrap();
    let (mut r, _) = recorder();
    let mut m = message(Format::Toast);
    m.position = "top-left".into();
    m.theme = vec![
        ("--ck-accent".into(), "#ff0066".into()),
        ("--ck-radius".into(), "4px".into()),
    ];
    assert!(r.show("t", &m));
    html_el.remove_attribute("dir").unwrap();
    let layer = html(find(&shadow(), ".ck-layer").unwrap());
    let style = layer.style();
    assert_eq!(
        style.get_property_value("--ck-accent").unwrap().trim(),
        "#ff0066"
    );
    assert_eq!(
        style.get_property_value("--ck-radius").unwrap().trim(),
        "4px"
    );
    assert_eq!(layer.get_attribute("dir").as_deref(), Some("rtl"));
    assert!(layer.class_name().contains("ck-top") && layer.class_name().contains("ck-left"));
}

#[wasm_bindgen_test]
fn inline_renders_into_its_target_or_not_at_all() {
    let target = add("div", "ck-inline-target");
    let (mut r, _) = recorder();
    let mut m = message(Format::Inline);
    m.target = Some("#ck-inline-target".into());
    assert!(r.show("in", &m));
    let host = target
        .query_selector("[data-cuekit-inline]")
        .unwrap()
        .expect("inline host");
    let sr = host.shadow_root().expect("open shadow root");
    assert!(text(&find(&sr, ".ck-msg").unwrap()).contains("We are here to help."));
    assert!(sr.adopted_style_sheets().length() >= 1);
    assert_eq!(roots(), 0, "inline needs no page-level host");

    m.target = Some("#ck-missing".into());
    assert!(!r.show("gone", &m));
    m.target = Some("[[[not a selector".into());
    assert!(!r.show("bad", &m));
    assert_eq!(r.showing(), ["in"]);

    r.hide("in");
    assert!(target
        .query_selector("[data-cuekit-inline]")
        .unwrap()
        .is_none());
    drop(r);
    target.remove();
}

#[wasm_bindgen_test]
async fn drop_removes_everything_and_reports_nothing_more() {
    let opener = add("button", "ck-opener3");
    opener.focus().unwrap();
    let target = add("div", "ck-inline-target2");
    let (mut r, seen) = recorder();
    let mut t = message(Format::Toast);
    t.countdown = Some((now() + 1_000, String::new(), String::new(), None));
    t.auto_hide = 800;
    assert!(r.show("t", &t));
    let mut m = message(Format::Modal);
    m.auto_hide = 800;
    m.buttons = vec![button("Chat")];
    assert!(r.show("m", &m));
    assert!(r.must_wait(&m), "a second modal waits behind the first");
    let mut i = message(Format::Inline);
    i.target = Some("#ck-inline-target2".into());
    i.countdown = Some((now() + 1_000, String::new(), String::new(), None));
    assert!(r.show("i", &i));
    assert_eq!(roots(), 1);
    assert_ne!(doc().active_element().as_ref(), Some(opener.as_ref()));

    drop(r);
    assert_eq!(roots(), 0);
    assert!(target
        .query_selector("[data-cuekit-inline]")
        .unwrap()
        .is_none());
    assert_eq!(
        doc().active_element().as_ref(),
        Some(opener.as_ref()),
        "focus returned"
    );
    sleep(1_500).await;
    assert!(
        seen.borrow().is_empty(),
        "no timer outlives the renderer: {:?}",
        seen.borrow()
    );
    assert_eq!(roots(), 0);
    opener.remove();
    target.remove();
}
