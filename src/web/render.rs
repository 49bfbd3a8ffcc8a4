//! Renders messages (modal, banner, toast, slide-in, inline) into an open shadow root.
//!
//! Text only: every string from the core goes in through `textContent`, links through
//! `setAttribute("href")` (the core has already checked and percent-encoded them).
//! Styles come from one constructable stylesheet adopted by each shadow root, so pages
//! with a strict CSP (`style-src 'self'`) work and neither side's CSS leaks; the only
//! inline styles are the theme's `--ck-*` custom properties set through the CSSOM.
//!
//! Ownership: every element, listener and timer belongs to a `Shown` record (or to the
//! renderer itself) and goes away when it is dropped. No `RefCell` borrow of the shared
//! state is held while the DOM is touched or the outcome callback runs, so the callback
//! may call straight back into `Renderer::hide`.
//!
//! Host code: every DOM accessor a page can patch that web-sys binds without `catch` is
//! reached through `host` (a throw there is a miss, never an exception through our
//! frames): a render that meets one fails as a whole (`show` says so and nothing is
//! counted), a hide still takes the message off the page.

use std::cell::{Cell, OnceCell, RefCell};
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    AddEventListenerOptions, CssStyleSheet, Document, Element, Event, EventTarget, HtmlElement,
    ShadowRoot, ShadowRootInit, ShadowRootMode,
};

use super::dom::Listener;
use super::host;
use crate::core::action::{clock, Do, Format, Message};

/// What the visitor (or time) did with a message on screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UiOutcome {
    /// The button at this index of `Message::buttons` was clicked (links navigate too).
    Button(usize),
    /// The close button or Esc (modal). The message is already hidden.
    Dismiss,
    /// The countdown reached zero and the message has no "ended" text. Already hidden.
    Expired,
    /// `auto_hide` elapsed. Already hidden.
    AutoHide,
    /// The screen is free again for a modal that had to wait (`must_wait`): the visitor
    /// left the field they were typing in. Reported with an empty rule id.
    Free,
}

/// Called with the rule id and the outcome, after the renderer released its own state:
/// it may call `Renderer::hide` (or `show`) synchronously.
pub type OnOutcome = Rc<dyn Fn(&str, UiOutcome)>;

/// Longest delay handed to `setTimeout` (browsers overflow past 2^31-1 ms).
const MAX_DELAY_MS: u64 = 0x7fff_ffff;

const CSS: &str = r#"
:host{all:initial!important;display:contents!important}
:host([data-cuekit-inline]){display:block!important}
.ck-layer{all:initial;box-sizing:border-box;position:fixed;z-index:var(--ck-z,2147483000);display:block;
font-family:var(--ck-font,system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif,"Apple Color Emoji","Segoe UI Emoji");
font-size:16px;line-height:1.5;color:var(--ck-text,#1b1f29);text-align:start;-webkit-font-smoothing:antialiased;-webkit-text-size-adjust:100%}
.ck-layer *,.ck-layer *::before,.ck-layer *::after{box-sizing:border-box}
.ck-modal{z-index:calc(var(--ck-z,2147483000) + 1);inset:0;display:flex;align-items:center;justify-content:center;padding:16px;background:var(--ck-backdrop,rgba(16,20,32,.55));animation:ck-fade .18s ease-out}
.ck-banner{left:0;right:0}
.ck-banner.ck-top{top:0}.ck-banner.ck-bottom{bottom:0}
.ck-toast,.ck-slidein{width:calc(100vw - 32px);max-width:24rem}
.ck-toast.ck-top,.ck-slidein.ck-top{top:16px}
.ck-toast.ck-bottom,.ck-slidein.ck-bottom{bottom:16px}
.ck-left{left:16px}.ck-right{right:16px}.ck-center{left:0;right:0;margin:0 auto}
.ck-inline{position:relative;z-index:auto;margin:16px 0}
.ck-msg{position:relative;display:block;margin:0;background:var(--ck-bg,#fff);color:inherit;border-radius:var(--ck-radius,12px);
box-shadow:var(--ck-shadow,0 12px 32px rgba(16,20,32,.18),0 2px 6px rgba(16,20,32,.08));padding:20px;padding-inline-end:52px;
animation:ck-in .22s cubic-bezier(.2,.8,.2,1)}
.ck-msg:focus{outline:none}
.ck-msg:focus-visible{outline:3px solid var(--ck-accent,#2f5bea);outline-offset:2px}
.ck-modal .ck-msg{width:100%;max-width:32rem;max-height:calc(100vh - 32px);overflow:auto;padding:28px;padding-inline-end:56px}
.ck-banner .ck-msg{border-radius:0;display:flex;flex-wrap:wrap;align-items:center;gap:8px 24px;padding:14px 20px;padding-inline-end:56px}
.ck-banner .ck-actions{margin:0}
.ck-inline .ck-msg{box-shadow:none;border:1px solid var(--ck-border,#dde1e8);animation:none}
.ck-slidein .ck-msg{animation-name:ck-slide}
.ck-title{display:block;margin:0 0 4px;font-size:18px;line-height:1.35;font-weight:650;letter-spacing:-.01em;color:var(--ck-title,inherit)}
.ck-modal .ck-title{font-size:21px;margin-bottom:8px}
.ck-body{display:block;margin:0;color:var(--ck-muted,#454c5a)}
.ck-img{display:block;max-width:100%;height:auto;margin:0 0 14px;border-radius:calc(var(--ck-radius,12px) - 4px)}
.ck-list{margin:10px 0 0;padding:0;padding-inline-start:20px;color:var(--ck-muted,#454c5a)}
.ck-list li{margin:2px 0}
.ck-countdown{display:block;margin:10px 0 0;font-weight:650;font-variant-numeric:tabular-nums;color:var(--ck-accent,#2f5bea)}
.ck-actions{display:flex;flex-wrap:wrap;gap:8px;margin:18px 0 0}
.ck-btn{appearance:none;display:inline-flex;align-items:center;justify-content:center;min-height:40px;margin:0;padding:8px 16px;
border:1px solid var(--ck-border,#d3d8e0);border-radius:calc(var(--ck-radius,12px) - 4px);background:var(--ck-bg,#fff);color:var(--ck-text,#1b1f29);
font:inherit;font-size:15px;font-weight:600;line-height:1.2;text-decoration:none;cursor:pointer;transition:background-color .15s,border-color .15s,filter .15s}
.ck-btn:hover{background:var(--ck-hover,#f2f4f8)}
.ck-primary{background:var(--ck-accent,#2f5bea);border-color:var(--ck-accent,#2f5bea);color:var(--ck-on-accent,#fff)}
.ck-primary:hover{background:var(--ck-accent,#2f5bea);filter:brightness(1.1)}
.ck-btn:focus-visible,.ck-close:focus-visible{outline:3px solid var(--ck-accent,#2f5bea);outline-offset:2px}
.ck-close{appearance:none;position:absolute;top:10px;inset-inline-end:10px;display:flex;align-items:center;justify-content:center;width:32px;height:32px;
margin:0;padding:0;border:0;border-radius:50%;background:transparent;color:var(--ck-muted,#454c5a);font:inherit;font-size:22px;line-height:1;cursor:pointer}
.ck-close:hover{background:var(--ck-hover,#f2f4f8);color:var(--ck-text,#1b1f29)}
.ck-banner .ck-close{top:50%;margin-top:-16px}
@keyframes ck-in{from{opacity:0;transform:translateY(8px) scale(.98)}to{opacity:1;transform:none}}
@keyframes ck-slide{from{opacity:0;transform:translateX(32px)}to{opacity:1;transform:none}}
@keyframes ck-fade{from{opacity:0}to{opacity:1}}
@media (max-width:479.98px){
.ck-layer.ck-toast,.ck-layer.ck-slidein{top:auto;bottom:0;left:0;right:0;width:auto;max-width:none;margin:0}
.ck-toast .ck-msg,.ck-slidein .ck-msg{border-radius:var(--ck-radius,12px) var(--ck-radius,12px) 0 0}
.ck-modal{padding:12px}
.ck-modal .ck-msg{padding:22px;padding-inline-end:52px}
.ck-actions{flex-direction:column;align-items:stretch}
}
@media (prefers-reduced-motion:reduce){.ck-layer,.ck-msg{animation:none!important}.ck-btn{transition:none}}
"#;

/// A `setTimeout` that its callback can re-arm (by returning the next delay); cleared
/// on drop. Never re-arms once dropped, so JS never calls a freed closure.
struct Timer {
    id: Rc<Cell<Option<i32>>>,
    alive: Rc<Cell<bool>>,
    _cb: Closure<dyn FnMut()>,
}

fn delay_ms(ms: u64) -> i32 {
    i32::try_from(ms.min(MAX_DELAY_MS)).unwrap_or(i32::MAX)
}

impl Timer {
    fn new(delay: u64, mut f: impl FnMut() -> Option<u64> + 'static) -> Option<Timer> {
        let window = web_sys::window()?;
        let id: Rc<Cell<Option<i32>>> = Rc::new(Cell::new(None));
        let alive = Rc::new(Cell::new(true));
        let me: Rc<OnceCell<js_sys::Function>> = Rc::new(OnceCell::new());
        let (id2, alive2, me2, w2) = (id.clone(), alive.clone(), me.clone(), window.clone());
        let cb = Closure::<dyn FnMut()>::new(move || {
            id2.set(None);
            if !alive2.get() {
                return;
            }
            let next = f();
            // `f` may have dropped this timer (hiding its message): then stop here.
            if let (true, Some(d), Some(func)) = (alive2.get(), next, me2.get()) {
                let r = w2.set_timeout_with_callback_and_timeout_and_arguments_0(func, delay_ms(d));
                id2.set(r.ok());
            }
        });
        let func: js_sys::Function = cb.as_ref().unchecked_ref::<js_sys::Function>().clone();
        let first = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(&func, delay_ms(delay))
            .ok()?;
        id.set(Some(first));
        let _ = me.set(func);
        Some(Timer { id, alive, _cb: cb })
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        self.alive.set(false);
        if let Some(id) = self.id.take() {
            host::clear_timeout(id);
        }
    }
}

/// An active (non-passive) event listener, for keys we may `preventDefault`; removed on
/// drop. (`dom::Listener` is always passive.)
struct KeyHook {
    target: EventTarget,
    capture: bool,
    cb: Closure<dyn FnMut(Event)>,
}

impl KeyHook {
    fn new(target: &EventTarget, f: impl FnMut(Event) + 'static) -> Option<KeyHook> {
        let cb = Closure::<dyn FnMut(Event)>::new(f);
        let opts: AddEventListenerOptions = super::dom::dict();
        opts.set_capture(true);
        opts.set_passive(false);
        target
            .add_event_listener_with_callback_and_add_event_listener_options(
                "keydown",
                cb.as_ref().unchecked_ref(),
                &opts,
            )
            .ok()?;
        Some(KeyHook {
            target: target.clone(),
            capture: true,
            cb,
        })
    }
}

impl Drop for KeyHook {
    fn drop(&mut self) {
        let _ = self.target.remove_event_listener_with_callback_and_bool(
            "keydown",
            self.cb.as_ref().unchecked_ref(),
            self.capture,
        );
    }
}

/// The page-level host element with its open shadow root; removed on drop.
struct Root {
    host: Element,
    shadow: ShadowRoot,
}

impl Drop for Root {
    fn drop(&mut self) {
        host::remove(&self.host);
    }
}

/// One message on screen and everything it owns.
struct Shown {
    rule: String,
    serial: u64,
    modal: bool,
    /// The outermost element of the message (for a modal, its backdrop).
    layer: Element,
    /// The shadow root the layer lives in.
    shadow: ShadowRoot,
    /// Inline messages: their own host element inside the page's target.
    inline_host: Option<Element>,
    /// Modals: where focus was before, to return it on hide.
    previous: Option<HtmlElement>,
    listeners: Vec<Listener>,
    keys: Option<KeyHook>,
    timers: Vec<Timer>,
}

impl Drop for Shown {
    fn drop(&mut self) {
        self.timers.clear();
        self.keys = None;
        self.listeners.clear();
        // Return focus only if it is still ours (inside this message) or nowhere.
        let restore = self.modal && {
            let inside =
                host::shadow_active(&self.shadow).is_some_and(|a| host::contains(&self.layer, &a));
            inside || deep_active().is_none()
        };
        host::remove(&self.layer);
        if let Some(h) = &self.inline_host {
            host::remove(h);
        }
        if restore {
            if let Some(p) = self.previous.take().filter(|p| host::is_connected(p)) {
                let _ = p.focus();
            }
        }
    }
}

struct Inner {
    on: OnOutcome,
    sheet: Option<CssStyleSheet>,
    root: Option<Root>,
    shown: Vec<Shown>,
    /// `focusout` on the document while a modal waits for the visitor to leave a field.
    wait_listener: Option<Listener>,
    /// A zero-delay re-check, once focus has settled, that the screen is free.
    pump: Option<Timer>,
    serial: u64,
}

impl Inner {
    fn take_shown(&mut self, rule: &str) -> Option<Shown> {
        let i = self.shown.iter().position(|s| s.rule == rule)?;
        Some(self.shown.remove(i))
    }
    fn modal_on_screen(&self) -> bool {
        self.shown.iter().any(|s| s.modal)
    }
}

type Shared = Rc<RefCell<Inner>>;

/// Renders messages and reports what the visitor does with them. Dropping it removes
/// every element, listener and timer it added and returns focus where it was.
pub struct Renderer {
    inner: Shared,
}

impl Renderer {
    /// Creates nothing in the DOM until the first `show`.
    pub fn new(on: OnOutcome) -> Renderer {
        Renderer {
            inner: Rc::new(RefCell::new(Inner {
                on,
                sheet: None,
                root: None,
                shown: Vec::new(),
                wait_listener: None,
                pump: None,
                serial: 0,
            })),
        }
    }

    /// Whether `msg` must wait: a modal while the visitor is typing in a field (it never
    /// steals their focus) or while another modal is open. The caller holds the decision
    /// back (nothing counted) and decides again later; once the visitor leaves the field
    /// the renderer reports `UiOutcome::Free` (a closing modal is an outcome already).
    pub fn must_wait(&mut self, msg: &Message) -> bool {
        if msg.format != Format::Modal {
            return false;
        }
        let busy = self
            .inner
            .try_borrow()
            .map(|i| i.modal_on_screen())
            .unwrap_or(true);
        if busy {
            return true;
        }
        if typing() {
            watch_focus(&self.inner);
            return true;
        }
        false
    }

    /// Shows `msg` for `rule` now (replacing what that rule already shows). `false` when
    /// it cannot be rendered (inline target missing, no document or `<body>`, no
    /// constructable stylesheets, the page's DOM threw): the caller counts nothing. Ask
    /// `must_wait` first.
    pub fn show(&mut self, rule: &str, msg: &Message) -> bool {
        self.hide(rule);
        present(&self.inner, rule, msg)
    }

    /// Removes the rule's message without reporting an outcome; a modal returns focus to
    /// where it was.
    pub fn hide(&mut self, rule: &str) {
        let shown = match self.inner.try_borrow_mut() {
            Ok(mut i) => i.take_shown(rule),
            Err(_) => return,
        };
        // Removes its elements, listeners and timers, and returns focus (modal).
        drop(shown);
    }

    /// Rule ids on screen.
    pub fn showing(&self) -> Vec<String> {
        match self.inner.try_borrow() {
            Ok(i) => i.shown.iter().map(|s| s.rule.clone()).collect(),
            Err(_) => Vec::new(),
        }
    }
}

impl Drop for Renderer {
    fn drop(&mut self) {
        let (shown, listener, pump, root) = match self.inner.try_borrow_mut() {
            Ok(mut i) => (
                std::mem::take(&mut i.shown),
                i.wait_listener.take(),
                i.pump.take(),
                i.root.take(),
            ),
            Err(_) => return,
        };
        drop(pump);
        drop(listener);
        // Newest first, so nested focus returns step by step to the page.
        for s in shown.into_iter().rev() {
            drop(s);
        }
        drop(root);
    }
}

fn document() -> Option<Document> {
    web_sys::window()?.document()
}

/// The focused element, looking inside open shadow roots; `None` for nothing or `<body>`.
fn deep_active() -> Option<Element> {
    let doc = document()?;
    let mut el = host::active(&doc)?;
    for _ in 0..32 {
        match host::shadow_root(&el).and_then(|s| host::shadow_active(&s)) {
            Some(inner) => el = inner,
            None => break,
        }
    }
    let body = host::body(&doc).map(Element::from);
    if Some(&el) == body.as_ref() || Some(&el) == host::document_element(&doc).as_ref() {
        None
    } else {
        Some(el)
    }
}

/// Is the visitor typing in a field (input, textarea, select, contenteditable)?
fn typing() -> bool {
    let Some(el) = deep_active() else {
        return false;
    };
    match host::tag_name(&el).to_ascii_lowercase().as_str() {
        "textarea" | "select" => true,
        "input" => {
            let kind = host::attribute(&el, "type")
                .unwrap_or_default()
                .to_ascii_lowercase();
            !matches!(
                kind.as_str(),
                "button" | "submit" | "reset" | "image" | "hidden"
            )
        }
        _ => el.dyn_ref::<HtmlElement>().is_some_and(host::editable),
    }
}

fn sheet(inner: &Shared) -> Option<CssStyleSheet> {
    if let Some(s) = inner.try_borrow().ok()?.sheet.clone() {
        return Some(s);
    }
    let s = CssStyleSheet::new().ok()?;
    s.replace_sync(CSS).ok()?;
    inner.try_borrow_mut().ok()?.sheet = Some(s.clone());
    Some(s)
}

fn open_shadow(el: &Element, sheet: &CssStyleSheet) -> Option<ShadowRoot> {
    let init: ShadowRootInit = super::dom::dict();
    init.set_mode(ShadowRootMode::Open);
    let shadow = el.attach_shadow(&init).ok()?;
    host::adopt(&shadow, &js_sys::Array::of1(sheet)).then_some(shadow)
}

/// The page-level shadow root, created on first use and re-attached if the page
/// replaced `<body>` (SPA frameworks do).
fn root(inner: &Shared, doc: &Document) -> Option<ShadowRoot> {
    let body = host::body(doc)?;
    let existing = inner
        .try_borrow()
        .ok()?
        .root
        .as_ref()
        .map(|r| (r.host.clone(), r.shadow.clone()));
    if let Some((el, shadow)) = existing {
        if !host::is_connected(&el) {
            body.append_child(&el).ok()?;
        }
        return Some(shadow);
    }
    let sheet = sheet(inner)?;
    let el = doc.create_element("div").ok()?;
    el.set_attribute("data-cuekit-root", "").ok()?;
    let shadow = open_shadow(&el, &sheet)?;
    body.append_child(&el).ok()?;
    let root = Root {
        host: el,
        shadow: shadow.clone(),
    };
    match inner.try_borrow_mut() {
        Ok(mut i) => i.root = Some(root),
        Err(_) => return None, // `root` drops here, removing the host.
    }
    Some(shadow)
}

fn element(doc: &Document, tag: &str, class: &str) -> Option<Element> {
    let el = doc.create_element(tag).ok()?;
    if !class.is_empty() {
        el.set_attribute("class", class).ok()?;
    }
    Some(el)
}

fn text_element(doc: &Document, tag: &str, class: &str, text: &str) -> Option<Element> {
    let el = element(doc, tag, class)?;
    host::set_text(&el, text);
    Some(el)
}

fn countdown_text(before: &str, left: u64, after: &str) -> String {
    let mut s = String::with_capacity(before.len() + after.len() + 8);
    s.push_str(before);
    s.push_str(&clock(left));
    s.push_str(after);
    s
}

/// Reports `outcome` for the message `serial` of `rule` (if still on screen), hiding it
/// first when asked. The callback runs with no borrow held and no strong reference
/// kept, so it may hide, show or drop the renderer.
fn finish(weak: &Weak<RefCell<Inner>>, rule: &str, serial: u64, outcome: UiOutcome, hide: bool) {
    let Some(rc) = weak.upgrade() else {
        return;
    };
    let (on, taken) = {
        let Ok(mut i) = rc.try_borrow_mut() else {
            return;
        };
        if !i.shown.iter().any(|s| s.rule == rule && s.serial == serial) {
            return;
        }
        let taken = if hide { i.take_shown(rule) } else { None };
        (i.on.clone(), taken)
    };
    drop(taken);
    drop(rc);
    on(rule, outcome);
}

/// Listens for focus leaving fields while a modal waits.
fn watch_focus(inner: &Shared) {
    let has = inner
        .try_borrow()
        .map(|i| i.wait_listener.is_some())
        .unwrap_or(true);
    if has {
        return;
    }
    let Some(doc) = document() else {
        return;
    };
    let weak = Rc::downgrade(inner);
    let l = Listener::new(&doc, "focusout", true, move |_| {
        if let Some(rc) = weak.upgrade() {
            schedule_pump(&rc);
        }
    });
    if let Ok(mut i) = inner.try_borrow_mut() {
        i.wait_listener = l;
    }
}

/// Re-checks, after the current event (focus has settled by then), whether the visitor
/// is still typing.
fn schedule_pump(inner: &Shared) {
    let pending = inner.try_borrow().map(|i| i.pump.is_some()).unwrap_or(true);
    if pending {
        return;
    }
    let weak = Rc::downgrade(inner);
    let t = Timer::new(0, move || {
        if let Some(rc) = weak.upgrade() {
            pump(&rc);
        }
        None
    });
    let old = match inner.try_borrow_mut() {
        Ok(mut i) => std::mem::replace(&mut i.pump, t),
        Err(_) => None,
    };
    drop(old);
}

fn pump(inner: &Shared) {
    // The running timer is released after this call returns (wasm-bindgen defers it).
    let done = inner.try_borrow_mut().ok().and_then(|mut i| i.pump.take());
    drop(done);
    if typing() {
        return; // still typing: the listener stays
    }
    let (listener, on) = match inner.try_borrow_mut() {
        Ok(mut i) => (i.wait_listener.take(), i.on.clone()),
        Err(_) => return,
    };
    drop(listener);
    // No borrow held: the caller decides the waiting modal again, and may show it.
    on("", UiOutcome::Free);
}

/// Renders now, records the message, then moves focus (modal). No borrow is held while
/// the DOM is touched.
fn present(inner: &Shared, rule: &str, msg: &Message) -> bool {
    match build(inner, rule, msg) {
        Some((shown, focus)) => {
            match inner.try_borrow_mut() {
                Ok(mut i) => i.shown.push(shown),
                Err(_) => return false, // `shown` drops, removing what it added.
            }
            if let Some(f) = focus {
                let _ = f.focus();
            }
            true
        }
        None => false,
    }
}

fn build(inner: &Shared, rule: &str, msg: &Message) -> Option<(Shown, Option<HtmlElement>)> {
    let doc = document()?;
    let serial = {
        let mut i = inner.try_borrow_mut().ok()?;
        i.serial = i.serial.wrapping_add(1);
        i.serial
    };
    let weak = Rc::downgrade(inner);
    let modal = msg.format == Format::Modal;

    // Where it goes: the shared root, or its own host inside the inline target.
    let (shadow, inline) = if msg.format == Format::Inline {
        // A missing or invalid selector: nothing to render into.
        let target = doc.query_selector(msg.target.as_deref()?).ok()??;
        let sheet = sheet(inner)?;
        let host = element(&doc, "div", "")?;
        host.set_attribute("data-cuekit-inline", "").ok()?;
        let shadow = open_shadow(&host, &sheet)?;
        (shadow, Some((target, host)))
    } else {
        (root(inner, &doc)?, None)
    };

    // Layer: positioning, direction and theme.
    let (vertical, horizontal) = placement(msg);
    let mut class = String::from("ck-layer ck-");
    class.push_str(msg.format.name());
    for c in [vertical, horizontal] {
        if !c.is_empty() {
            class.push_str(" ck-");
            class.push_str(c);
        }
    }
    let layer = element(&doc, "div", &class)?;
    layer.set_attribute("data-ck-rule", rule).ok()?;
    if let Some(dir) = host::document_element(&doc)
        .and_then(|e| host::attribute(&e, "dir"))
        .map(|d| d.trim().to_ascii_lowercase())
        .filter(|d| matches!(d.as_str(), "ltr" | "rtl" | "auto"))
    {
        layer.set_attribute("dir", &dir).ok()?;
    }
    if let Some(style) = layer.dyn_ref::<HtmlElement>().and_then(host::style) {
        for (name, value) in &msg.theme {
            if name.starts_with("--") {
                let _ = style.set_property(name, value);
            }
        }
    }

    // The message box and its accessible role.
    let card = element(&doc, "div", "ck-msg")?;
    let mut id = String::from("ck-title-");
    id.push_str(&serial.to_string());
    if modal {
        card.set_attribute("role", "dialog").ok()?;
        card.set_attribute("aria-modal", "true").ok()?;
        card.set_attribute("tabindex", "-1").ok()?;
        match (&msg.title, &msg.body) {
            (Some(_), _) => card.set_attribute("aria-labelledby", &id).ok()?,
            (None, Some(b)) => card.set_attribute("aria-label", b).ok()?,
            (None, None) => card.set_attribute("aria-label", "Message").ok()?,
        }
    } else {
        card.set_attribute("role", "status").ok()?;
        card.set_attribute("aria-live", "polite").ok()?;
    }
    layer.append_child(&card).ok()?;

    let mut listeners = Vec::new();
    let click = |target: &Element, outcome: UiOutcome, hide: bool| {
        let (weak, rule) = (weak.clone(), rule.to_string());
        Listener::new(target, "click", false, move |_| {
            finish(&weak, &rule, serial, outcome, hide)
        })
    };

    // Close first: it sits in the top corner, so reading and tab order match the eye.
    let close = text_element(&doc, "button", "ck-close", "\u{00d7}")?;
    close.set_attribute("type", "button").ok()?;
    close.set_attribute("aria-label", "Close").ok()?;
    listeners.extend(click(&close, UiOutcome::Dismiss, true));
    card.append_child(&close).ok()?;

    let content = element(&doc, "div", "ck-content")?;
    if let Some((src, alt)) = &msg.image {
        let img = element(&doc, "img", "ck-img")?;
        img.set_attribute("src", src).ok()?;
        img.set_attribute("alt", alt).ok()?;
        content.append_child(&img).ok()?;
    }
    if let Some(t) = &msg.title {
        let tag = if modal { "h2" } else { "div" };
        let title = text_element(&doc, tag, "ck-title", t)?;
        title.set_attribute("id", &id).ok()?;
        content.append_child(&title).ok()?;
    }
    if let Some(b) = &msg.body {
        let body = text_element(&doc, "p", "ck-body", b)?;
        content.append_child(&body).ok()?;
    }
    if !msg.list.is_empty() {
        let ul = element(&doc, "ul", "ck-list")?;
        for item in &msg.list {
            let li = text_element(&doc, "li", "", item)?;
            ul.append_child(&li).ok()?;
        }
        content.append_child(&ul).ok()?;
    }
    let mut countdown = None;
    if let Some((ends_at, before, after, ended)) = &msg.countdown {
        // role=timer: not announced every second inside a live region.
        let span = element(&doc, "span", "ck-countdown")?;
        span.set_attribute("role", "timer").ok()?;
        let left = ends_at.saturating_sub(super::env::now());
        match (left, ended) {
            (0, Some(e)) => host::set_text(&span, e),
            _ => host::set_text(&span, &countdown_text(before, left, after)),
        }
        content.append_child(&span).ok()?;
        countdown = Some((
            span,
            *ends_at,
            before.clone(),
            after.clone(),
            ended.clone(),
            left,
        ));
    }
    card.append_child(&content).ok()?;

    let mut first_action = None;
    if !msg.buttons.is_empty() {
        let actions = element(&doc, "div", "ck-actions")?;
        for (i, (label, action, link, primary)) in msg.buttons.iter().enumerate() {
            let class = if *primary {
                "ck-btn ck-primary"
            } else {
                "ck-btn"
            };
            let b = match (action, link) {
                (Do::Link(_), Some(href)) => {
                    let a = text_element(&doc, "a", class, label)?;
                    a.set_attribute("href", href).ok()?;
                    a.set_attribute("rel", "noopener").ok()?;
                    a
                }
                _ => {
                    let b = text_element(&doc, "button", class, label)?;
                    b.set_attribute("type", "button").ok()?;
                    b
                }
            };
            listeners.extend(click(&b, UiOutcome::Button(i), false));
            actions.append_child(&b).ok()?;
            if first_action.is_none() {
                first_action = b.dyn_into::<HtmlElement>().ok();
            }
        }
        card.append_child(&actions).ok()?;
    }

    // Timers: the countdown re-arms itself on each second boundary; auto-hide once.
    let mut timers = Vec::new();
    if let Some((span, ends_at, before, after, ended, left)) = countdown {
        let stop_now = left == 0 && ended.is_some();
        if !stop_now {
            let (weak, rule) = (weak.clone(), rule.to_string());
            let t = Timer::new(next_tick(left), move || {
                let left = ends_at.saturating_sub(super::env::now());
                if left > 0 {
                    host::set_text(&span, &countdown_text(&before, left, &after));
                    return Some(next_tick(left));
                }
                match &ended {
                    Some(e) => host::set_text(&span, e),
                    None => finish(&weak, &rule, serial, UiOutcome::Expired, true),
                }
                None
            });
            timers.extend(t);
        }
    }
    if msg.auto_hide > 0 {
        let (weak, rule) = (weak.clone(), rule.to_string());
        let t = Timer::new(msg.auto_hide, move || {
            finish(&weak, &rule, serial, UiOutcome::AutoHide, true);
            None
        });
        timers.extend(t);
    }

    // Modal: trap Tab, Esc dismisses; remember where focus was.
    let (keys, previous, focus) = if modal {
        let previous = deep_active().and_then(|e| e.dyn_into::<HtmlElement>().ok());
        let (weak, rule, card2, shadow2) =
            (weak.clone(), rule.to_string(), card.clone(), shadow.clone());
        let hook = KeyHook::new(&doc, move |e: Event| {
            // Read through `Reflect` (a patched getter that throws is a miss, not a throw).
            let get = |k: &str| js_sys::Reflect::get(&e, &JsValue::from_str(k)).unwrap_or_default();
            if get("isComposing").is_truthy() {
                return;
            }
            match get("key").as_string().as_deref() {
                Some("Escape" | "Esc") => {
                    host::prevent_default(&e);
                    finish(&weak, &rule, serial, UiOutcome::Dismiss, true);
                }
                Some("Tab") => trap(&e, get("shiftKey").is_truthy(), &card2, &shadow2),
                _ => {}
            }
        });
        let focus = first_action.or_else(|| card.clone().dyn_into::<HtmlElement>().ok());
        (hook, previous, focus)
    } else {
        (None, None, None)
    };

    // Attach last: one insertion, fully formed.
    shadow.append_child(&layer).ok()?;
    let inline_host = match inline {
        Some((target, host)) => {
            target.append_child(&host).ok()?;
            Some(host)
        }
        None => None,
    };

    Some((
        Shown {
            rule: rule.to_string(),
            serial,
            modal,
            layer,
            shadow,
            inline_host,
            previous,
            listeners,
            keys,
            timers,
        },
        focus,
    ))
}

/// Delay to the next whole second of the remaining time (so "00:10" turns into
/// "00:09" on time).
fn next_tick(left: u64) -> u64 {
    match left % 1000 {
        0 if left == 0 => 0,
        0 => 1000,
        r => r,
    }
}

/// (vertical, horizontal) class suffixes for the format and position.
fn placement(msg: &Message) -> (&'static str, &'static str) {
    let p = msg.position.as_str();
    let vertical = if p.starts_with("top") {
        "top"
    } else {
        "bottom"
    };
    match msg.format {
        Format::Banner => (vertical, ""),
        Format::Toast | Format::SlideIn => {
            let horizontal = if p.ends_with("left") {
                "left"
            } else if p.ends_with("right") || p.is_empty() {
                "right"
            } else {
                "center"
            };
            (vertical, horizontal)
        }
        Format::Modal | Format::Inline => ("", ""),
    }
}

/// Keeps Tab and Shift+Tab inside the dialog.
fn trap(e: &Event, back: bool, card: &Element, shadow: &ShadowRoot) {
    let mut items: Vec<HtmlElement> = Vec::new();
    if let Ok(list) = card.query_selector_all("button, a[href]") {
        let len = js_sys::Reflect::get(&list, &JsValue::from_str("length"))
            .ok()
            .and_then(|n| n.as_f64())
            .unwrap_or(0.0)
            .min(64.0) as u32;
        for i in 0..len {
            if let Some(h) = js_sys::Reflect::get_u32(&list, i)
                .ok()
                .and_then(|n| n.dyn_into::<HtmlElement>().ok())
            {
                items.push(h);
            }
        }
    }
    let active = host::shadow_active(shadow);
    let at = |h: Option<&HtmlElement>| match (h, &active) {
        (Some(h), Some(a)) => a == h.as_ref(),
        _ => false,
    };
    let inside = active
        .as_ref()
        .is_some_and(|a| items.iter().any(|h| a == h.as_ref()));
    let go = if back {
        (at(items.first()) || !inside).then(|| items.last())
    } else {
        (at(items.last()) || !inside).then(|| items.first())
    };
    if let Some(target) = go {
        host::prevent_default(e);
        match target {
            Some(t) => {
                let _ = t.focus();
            }
            None => {
                if let Some(c) = card.dyn_ref::<HtmlElement>() {
                    let _ = c.focus();
                }
            }
        }
    }
}
