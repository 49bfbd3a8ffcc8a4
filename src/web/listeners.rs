//! DOM activity → engine signals. One job: read the event and build a Signal; nothing
//! here decides.
//! Every listener, frame and observer is an RAII handle held by `Listeners`; dropping it
//! leaves the page as it was. Raw handlers do no layout reads: scroll depth is read once
//! per animation frame.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, Event, IntersectionObserver, MouseEvent, MutationObserver};

use crate::core::config::Watch;
use crate::core::engine::Signal;
use crate::core::gesture::{ExitIntent, RageClicks};
use crate::core::value::{Map, Value};

use super::dom::{Frame, HistoryHook, Inputs, InputsJs, Listener, Observer};
use super::env::now;
use super::runtime::{self, Runtime};

/// At most one `Activity` signal per this interval from continuous input; the exact time
/// of the last input is read before anything is decided (see `Runtime::catch_up_activity`).
const ACTIVITY_THROTTLE_MS: u64 = 1000;
/// Elements observed for visibility, at most.
const MAX_OBSERVED: usize = 500;
/// Text captured from a clicked element, at most (characters).
const MAX_TEXT: usize = 80;

struct Seen {
    el: Element,
    /// (selector id, currently visible) for each visible-watched selector it matches.
    sel: Vec<(u16, bool)>,
}

/// Mutable bookkeeping the handlers share.
struct Shared {
    rt: Weak<RefCell<Runtime>>,
    watch: Watch,
    /// `watch.selectors` as a JS array, for the per-event matching done in JS.
    sels: js_sys::Array,
    /// `watch.hover` as a JS array.
    hover_ids: js_sys::Array,
    rage: RageClicks,
    exit: ExitIntent,
    hovered: Vec<u16>,
    seen: Vec<Seen>,
    visible_count: Vec<(u16, u32)>,
    forms: Vec<(Element, bool)>,
    href: String,
}

type S = Rc<RefCell<Shared>>;

/// Everything cuekit attached to the page.
pub struct Listeners {
    _listeners: Vec<Listener>,
    _inputs: Option<Inputs>,
    _io: Option<Rc<Observer<IntersectionObserver>>>,
    _mo: Option<Observer<MutationObserver>>,
    _rescan: Option<Rc<Frame>>,
    _history: Option<HistoryHook>,
}

fn send(s: &S, signal: Signal) {
    let rt = s.borrow().rt.upgrade();
    if let Some(rt) = rt {
        runtime::dispatch(&rt, signal);
    }
}

fn event(name: &str, props: Map, targets: Vec<u16>) -> Signal {
    Signal::Event {
        name: name.into(),
        props: Value::Obj(props),
        targets,
    }
}

#[wasm_bindgen(inline_js = "
const INTERACTIVE = 'a,button,[role=button],input,select,label,summary,[data-cuekit-event]';
// Where a click or hover starts: the innermost element, then the host of each open shadow
// root on the composed path (`closest` from those covers every element the event passed).
// When the target has no open shadow root (the usual page) that is the target alone,
// found without building the composed path.
function starts(ev) {
  const t = ev.target;
  if (t instanceof Element && !t.shadowRoot) return [t];
  const out = [];
  const path = typeof ev.composedPath === 'function' ? ev.composedPath() : [];
  for (let i = 0; i < path.length; i++) {
    const n = path[i];
    if (n instanceof Element && (out.length === 0 || n.shadowRoot)) out.push(n);
  }
  if (out.length === 0 && t instanceof Element) out.push(t);
  return out;
}
// The watched selectors as one list, made once per array: one `closest` tells whether
// any of them can match (most clicks match none); null when the list does not parse.
const unions = new WeakMap();
function union(sels) {
  let u = unions.get(sels);
  if (u === undefined) {
    u = sels.length ? sels.join(',') : null;
    try { if (u !== null) document.createElement('div').matches(u); } catch (e) { u = null; }
    unions.set(sels, u);
  }
  return u;
}
function nearest(from, sel) {
  for (let j = 0; j < from.length; j++) {
    const hit = from[j].closest(sel);
    if (hit) return hit;
  }
  return null;
}
function matching(from, sels, only) {
  const out = [];
  if (!sels.length || !from.length) return out;
  const u = only ? null : union(sels);
  if (u !== null && nearest(from, u) === null) return out;
  for (let i = 0; i < sels.length; i++) {
    if (only && !only.includes(i)) continue;
    let hit = null;
    try { hit = nearest(from, sels[i]); } catch (e) {}
    if (hit) out.push(i);
  }
  return out;
}
export function ck_match(ev, sels, only) {
  try { return Uint16Array.from(matching(starts(ev), sels, only)); } catch (e) { return new Uint16Array(0); }
}
export function ck_click(ev, sels) {
  try {
    const from = starts(ev);
    const out = { m: matching(from, sels, null), x: +ev.clientX || 0, y: +ev.clientY || 0 };
    const el = from[0];
    let t = null;
    if (el) {
      out.tag = String(el.tagName).toLowerCase();
      if (typeof el.id === 'string' && el.id) out.id = el.id;
      t = el.closest(INTERACTIVE);
      if (t) {
        const text = t.textContent;
        if (text && text.length <= 2000) out.text = text;
        const href = t.getAttribute('href');
        if (href !== null) out.href = href.slice(0, 1000);
      }
    }
    // The nearest tagged element: INTERACTIVE includes the tag, so with one start (no
    // shadow root on the way) it is the interactive element found above or one of its
    // ancestors, and there is none when nothing interactive was found: one walk, not two.
    let e;
    if (from.length !== 1) e = nearest(from, '[data-cuekit-event]');
    else if (!t) e = null;
    else if (t.hasAttribute('data-cuekit-event')) e = t;
    else e = t.parentElement ? t.parentElement.closest('[data-cuekit-event]') : null;
    if (e) {
      out.ev = e.getAttribute('data-cuekit-event');
      const at = [];
      const names = e.getAttributeNames();
      for (let i = 0; i < names.length && i < 64; i++) {
        const n = names[i];
        if (n.startsWith('data-cuekit-') && n !== 'data-cuekit-event') at.push([n.slice(12), String(e.getAttribute(n)).slice(0, 1000)]);
      }
      out.at = at;
    }
    return JSON.stringify(out);
  } catch (e) {
    return '{}';
  }
}
")]
extern "C" {
    /// Ids of the watched selectors (restricted to `only`) matching an element on the
    /// event's composed path, with `closest` semantics through open shadow roots. One
    /// call per event: the walk happens in JS, next to the DOM.
    fn ck_match(ev: &Event, sels: &js_sys::Array, only: &JsValue) -> js_sys::Uint16Array;
    /// Everything a click tells cuekit, as one JSON string: matched selector ids (`m`),
    /// the innermost element's tag and id, the clicked interactive element's text and
    /// href, and a `data-cuekit-event` tag with its `data-cuekit-*` attributes.
    fn ck_click(ev: &Event, sels: &js_sys::Array) -> String;
}

/// The watched selectors as one JS array, built once (no string copies per event).
fn js_selectors(selectors: &[String]) -> js_sys::Array {
    selectors.iter().map(|s| JsValue::from_str(s)).collect()
}

/// The ids as a JS array, built once (the `only` argument of `ck_match`).
fn js_ids(ids: &[u16]) -> js_sys::Array {
    ids.iter().map(|&i| JsValue::from(i)).collect()
}

/// Ids of the watched selectors (restricted to `only` when given) that a single element
/// matches with `closest` semantics (forms: rare events, done element by element).
fn matched(el: &Element, selectors: &[String]) -> Vec<u16> {
    let mut out = Vec::new();
    for (i, sel) in selectors.iter().enumerate() {
        if el.closest(sel).ok().flatten().is_some() {
            out.push(i as u16);
        }
    }
    out
}

/// A click as read by `ck_click`: (matched ids, element props, tag event, x, y).
type Click = (Vec<u16>, Map, Option<(String, Map)>, f64, f64);

fn read_click(ev: &Event, sels: &js_sys::Array) -> Click {
    let info = crate::core::json::parse(&ck_click(ev, sels)).unwrap_or(Value::Null);
    let coord = |k: &str| {
        info.get(k)
            .and_then(Value::as_f64)
            .filter(|n| n.is_finite())
            .unwrap_or(0.0)
    };
    let (x, y) = (coord("x"), coord("y"));
    let targets: Vec<u16> = info
        .get("m")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_f64)
                .filter(|n| *n >= 0.0 && *n < f64::from(u16::MAX))
                .map(|n| n as u16)
                .collect()
        })
        .unwrap_or_default();
    let text = |k: &str| info.get(k).and_then(Value::as_str);
    let mut props = Map::new();
    if let Some(tag) = text("tag") {
        props.insert("tag", Value::Str(tag.to_string()));
    }
    if let Some(id) = text("id") {
        props.insert("id", Value::Str(id.to_string()));
    }
    // Text only from the interactive element clicked (never a whole container's text).
    if let Some(t) = text("text") {
        let t: String = crate::core::find::join(&t.split_whitespace().collect::<Vec<_>>(), " ");
        let t: String = t.chars().take(MAX_TEXT).collect();
        if !t.is_empty() {
            props.insert("text", Value::Str(t));
        }
    }
    if let Some(href) = text("href") {
        props.insert("href", Value::Str(href.chars().take(500).collect()));
    }
    let tag = text("ev").and_then(|name| {
        let attrs = info.get("at").and_then(Value::as_array).unwrap_or(&[]);
        tagged(name, attrs)
    });
    (targets, props, tag, x, y)
}

/// `data-cuekit-event="add_to_cart" data-cuekit-sku="mug-1" data-cuekit-price="24"` →
/// `("add_to_cart", {sku: "mug-1", price: 24})`. Numeric values become numbers;
/// `data-cuekit-product-id` becomes `productId`. `attrs` are `[name after the prefix, value]`.
fn tagged(name: &str, attrs: &[Value]) -> Option<(String, Map)> {
    if name.is_empty() || name.len() > 100 {
        return None;
    }
    let mut props = Map::new();
    for pair in attrs.iter().take(64) {
        let (Some(rest), Some(raw)) = (
            pair.as_array()
                .and_then(|p| p.first())
                .and_then(Value::as_str),
            pair.as_array()
                .and_then(|p| p.get(1))
                .and_then(Value::as_str),
        ) else {
            continue;
        };
        let mut key = String::new();
        let mut upper = false;
        for c in rest.chars() {
            if c == '-' {
                upper = true;
            } else if upper {
                key.push(c.to_ascii_uppercase());
                upper = false;
            } else {
                key.push(c);
            }
        }
        if key.is_empty() || crate::core::reader::is_forbidden_key(&key) {
            continue;
        }
        let v = match crate::core::num::parse(raw.trim()) {
            Some(n) if n.is_finite() => Value::Num(n),
            _ => Value::Str(raw.chars().take(500).collect()),
        };
        props.insert(key, v);
    }
    Some((name.to_string(), props))
}

/// Continuous input (already throttled in JS).
fn activity(s: &S) {
    send(s, Signal::Activity);
}

fn on_click(s: &S, ev: Event) {
    // ck_click is plain JS (no way back into cuekit), so the borrow spans the call.
    let (targets, mut props, tag, x, y) = read_click(&ev, &s.borrow().sels);
    let t = now();
    let rage = s.borrow_mut().rage.click(t, x, y);
    props.insert("x", Value::Num(x));
    props.insert("y", Value::Num(y));
    // One pass through the runtime for everything the click means: `click`, then its
    // `data-cuekit-event` and a rage click.
    let mut more = Vec::new();
    if let Some((name, p)) = tag {
        more.push(event(&name, p, targets.clone()));
    }
    let click = match rage {
        Some(n) => {
            let mut rage_props = props.clone();
            rage_props.insert("clicks", Value::Num(f64::from(n)));
            more.push(event("rage_click", rage_props, targets.clone()));
            event("click", props, targets)
        }
        None => event("click", props, targets),
    };
    let rt = s.borrow().rt.upgrade();
    if let Some(rt) = rt {
        runtime::dispatch_all(&rt, click, more);
    }
}

fn on_hover(s: &S, ev: Event, leaving_document: bool) {
    let now_hovered = if leaving_document {
        Vec::new()
    } else {
        let sh = s.borrow();
        ck_match(&ev, &sh.sels, &sh.hover_ids).to_vec()
    };
    let (started, ended) = {
        let mut sh = s.borrow_mut();
        let started: Vec<u16> = now_hovered
            .iter()
            .copied()
            .filter(|i| !sh.hovered.contains(i))
            .collect();
        let ended: Vec<u16> = sh
            .hovered
            .iter()
            .copied()
            .filter(|i| !now_hovered.contains(i))
            .collect();
        sh.hovered = now_hovered;
        (started, ended)
    };
    for id in ended {
        send(s, event("hover_end", Map::new(), vec![id]));
    }
    for id in started {
        send(s, event("hover_start", Map::new(), vec![id]));
    }
}

fn on_exit(s: &S, pointer: &InputsJs, ev: Event) {
    let Some(m) = ev.dyn_ref::<MouseEvent>() else {
        return;
    };
    if let Some(y) = Inputs::last_y(pointer) {
        s.borrow_mut().exit.pointer_move(y);
    }
    let to_outside = m.related_target().is_none();
    let from_select = ev
        .target()
        .and_then(|t| t.dyn_into::<Element>().ok())
        .is_some_and(|el| el.closest("select,option").ok().flatten().is_some());
    let fire =
        s.borrow_mut()
            .exit
            .pointer_out(now(), f64::from(m.client_y()), to_outside, from_select);
    if fire {
        send(s, event("exit_intent", Map::new(), Vec::new()));
    }
}

fn form_of(ev: &Event) -> Option<Element> {
    ev.target()?
        .dyn_into::<Element>()
        .ok()?
        .closest("form")
        .ok()?
}

fn form_props(form: &Element) -> Map {
    let mut m = Map::new();
    let id = form.id();
    let name = form.get_attribute("name").unwrap_or_default();
    m.insert("formId", Value::Str(if id.is_empty() { name } else { id }));
    m
}

fn on_form_input(s: &S, ev: Event) {
    let Some(form) = form_of(&ev) else { return };
    let fresh = {
        let mut sh = s.borrow_mut();
        if sh.forms.iter().any(|(f, _)| f == &form) || sh.forms.len() >= 32 {
            false
        } else {
            sh.forms.push((form.clone(), false));
            true
        }
    };
    if fresh {
        let targets = {
            let sh = s.borrow();
            matched(&form, &sh.watch.selectors)
        };
        send(s, event("form_start", form_props(&form), targets));
    }
}

fn on_submit(s: &S, ev: Event) {
    let Some(form) = ev.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
        return;
    };
    {
        let mut sh = s.borrow_mut();
        match sh.forms.iter_mut().find(|(f, _)| f == &form) {
            Some(slot) => slot.1 = true,
            None => sh.forms.push((form.clone(), true)),
        }
    }
    let targets = {
        let sh = s.borrow();
        matched(&form, &sh.watch.selectors)
    };
    send(s, event("form_submit", form_props(&form), targets));
}

/// Started and not submitted forms are abandoned when the page goes away.
fn abandon_forms(s: &S) {
    let forms: Vec<Element> = {
        let mut sh = s.borrow_mut();
        let open = sh
            .forms
            .iter()
            .filter(|(_, done)| !done)
            .map(|(f, _)| f.clone())
            .collect();
        sh.forms.clear();
        open
    };
    for form in forms {
        let targets = {
            let sh = s.borrow();
            matched(&form, &sh.watch.selectors)
        };
        send(s, event("form_abandon", form_props(&form), targets));
    }
}

fn location_href() -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default()
}

/// A navigation happened: a page view if the URL changed.
fn navigated(s: &S) {
    let href = location_href();
    let changed = {
        let mut sh = s.borrow_mut();
        if sh.href == href || !sh.watch.spa {
            false
        } else {
            sh.href = href;
            sh.exit.restart(now());
            sh.hovered.clear();
            true
        }
    };
    if changed {
        abandon_forms(s);
        send(
            s,
            Signal::PageView {
                page: super::page::current(),
            },
        );
    }
}

/// Visibility bookkeeping for one IntersectionObserver entry.
fn on_intersections(s: &S, entries: js_sys::Array) {
    let mut out: Vec<(&'static str, u16)> = Vec::new();
    {
        let mut sh = s.borrow_mut();
        let sh = &mut *sh;
        for i in 0..entries.length() {
            let Ok(entry) = entries
                .get(i)
                .dyn_into::<web_sys::IntersectionObserverEntry>()
            else {
                continue;
            };
            let el = entry.target();
            let ratio = entry.intersection_ratio();
            let intersecting = entry.is_intersecting();
            let Some(seen) = sh.seen.iter_mut().find(|x| x.el == el) else {
                continue;
            };
            for (id, vis) in seen.sel.iter_mut() {
                let need = sh
                    .watch
                    .visible
                    .iter()
                    .find(|(s, _)| s == id)
                    .map_or(0.0, |(_, r)| *r);
                let now_vis = intersecting && ratio + 1e-6 >= need;
                if now_vis == *vis {
                    continue;
                }
                *vis = now_vis;
                let Some(count) = sh.visible_count.iter_mut().find(|(s, _)| s == id) else {
                    continue;
                };
                if now_vis {
                    count.1 += 1;
                    if count.1 == 1 {
                        out.push(("element_visible", *id));
                    }
                } else {
                    count.1 = count.1.saturating_sub(1);
                    if count.1 == 0 {
                        out.push(("element_hidden", *id));
                    }
                }
            }
        }
    }
    for (name, id) in out {
        send(s, event(name, Map::new(), vec![id]));
    }
}

/// Finds elements for the visible-watched selectors (new ones added by an SPA) and
/// forgets elements that left the document.
fn rescan(s: &S, io: &IntersectionObserver) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let mut out: Vec<(&'static str, u16)> = Vec::new();
    {
        let mut sh = s.borrow_mut();
        let sh = &mut *sh;
        // Departed elements.
        let mut kept = Vec::with_capacity(sh.seen.len());
        for seen in sh.seen.drain(..) {
            if seen.el.is_connected() {
                kept.push(seen);
                continue;
            }
            io.unobserve(&seen.el);
            for (id, vis) in seen.sel {
                if vis {
                    if let Some(c) = sh.visible_count.iter_mut().find(|(s, _)| *s == id) {
                        c.1 = c.1.saturating_sub(1);
                        if c.1 == 0 {
                            out.push(("element_hidden", id));
                        }
                    }
                }
            }
        }
        sh.seen = kept;
        // New elements.
        for (id, _) in sh.watch.visible.clone() {
            let Some(sel) = sh.watch.selectors.get(id as usize) else {
                continue;
            };
            let Ok(list) = doc.query_selector_all(sel) else {
                continue;
            };
            for i in 0..list.length() {
                let Some(el) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) else {
                    continue;
                };
                match sh.seen.iter_mut().find(|x| x.el == el) {
                    Some(seen) => {
                        if !seen.sel.iter().any(|(s, _)| *s == id) {
                            seen.sel.push((id, false));
                        }
                    }
                    None => {
                        if sh.seen.len() >= MAX_OBSERVED {
                            continue;
                        }
                        io.observe(&el);
                        sh.seen.push(Seen {
                            el,
                            sel: vec![(id, false)],
                        });
                    }
                }
            }
        }
    }
    for (name, id) in out {
        send(s, event(name, Map::new(), vec![id]));
    }
}

/// Whether the browser parses `css` as a selector (true where there is no document to ask).
pub fn valid_selector(css: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_none_or(|doc| doc.query_selector(css).is_ok())
}

impl Listeners {
    /// Attaches everything the config needs. `flush` persists state (on `pagehide`).
    pub fn attach(
        rt: &Rc<RefCell<Runtime>>,
        watch: Watch,
        flush: impl Fn() + 'static,
    ) -> Listeners {
        let t = now();
        let exit_delay = watch.exit_delay;
        let rage = RageClicks::new(watch.rage_clicks, watch.rage_within, watch.rage_radius);
        let s: S = Rc::new(RefCell::new(Shared {
            rt: Rc::downgrade(rt),
            sels: js_selectors(&watch.selectors),
            hover_ids: js_ids(&watch.hover),
            watch,
            rage,
            exit: ExitIntent::new(t, exit_delay),
            hovered: Vec::new(),
            seen: Vec::new(),
            visible_count: Vec::new(),
            forms: Vec::new(),
            href: location_href(),
        }));
        let mut ls = Vec::new();
        let mut out = Listeners {
            _listeners: Vec::new(),
            _inputs: None,
            _io: None,
            _mo: None,
            _rescan: None,
            _history: None,
        };
        let Some(win) = web_sys::window() else {
            return out;
        };
        let Some(doc) = win.document() else {
            return out;
        };
        let w: &web_sys::EventTarget = win.as_ref();
        let d: &web_sys::EventTarget = doc.as_ref();
        let mut add =
            |target: &web_sys::EventTarget, kind: &'static str, f: Box<dyn FnMut(Event)>| {
                if let Some(l) = Listener::new(target, kind, true, f) {
                    ls.push(l);
                }
            };

        // Clicks, declarative tags and rage clicks.
        let s1 = s.clone();
        add(d, "click", Box::new(move |ev| on_click(&s1, ev)));

        // Activity (idle detection) and scroll depth, watched in JS (see `Inputs`): the
        // engine hears activity at most every ACTIVITY_THROTTLE_MS and scrolling only at a
        // new maximum depth.
        let known_max = |s: &S| {
            s.borrow()
                .rt
                .upgrade()
                .and_then(|rt| rt.try_borrow().ok().map(|r| r.engine.max_scroll()))
                .unwrap_or(0.0)
        };
        let (s1, s2) = (s.clone(), s.clone());
        let inputs = Inputs::new(
            &win,
            ACTIVITY_THROTTLE_MS,
            move || {
                activity(&s1);
                known_max(&s1)
            },
            move |depth| {
                if depth > known_max(&s2) {
                    send(&s2, Signal::Scroll { depth });
                } else {
                    activity(&s2);
                }
                known_max(&s2)
            },
        );
        let pointer = inputs.js().clone();
        if let Ok(mut r) = rt.try_borrow_mut() {
            r.last_input = Some(pointer.clone());
        }
        out._inputs = Some(inputs);

        // Visibility: hidden / visible (with the away time computed by the engine).
        let s1 = s.clone();
        add(
            d,
            "visibilitychange",
            Box::new(move |_| {
                let hidden = web_sys::window()
                    .and_then(|w| w.document())
                    .is_some_and(|d| d.hidden());
                send(
                    &s1,
                    if hidden {
                        Signal::Hidden
                    } else {
                        Signal::Visible
                    },
                );
                // A hidden page may never run again (mobile browsers discard it without
                // `pagehide`): write what is pending.
                let rt = s1.borrow().rt.upgrade();
                if let (true, Some(rt)) = (hidden, rt) {
                    if let Ok(mut rt) = rt.try_borrow_mut() {
                        rt.persist(true);
                    }
                }
            }),
        );

        // Exit intent.
        let s1 = s.clone();
        add(
            d,
            "mouseout",
            Box::new(move |ev| on_exit(&s1, &pointer, ev)),
        );

        // Hover start/end on watched selectors.
        if !s.borrow().watch.hover.is_empty() {
            let s1 = s.clone();
            add(
                d,
                "pointerover",
                Box::new(move |ev| on_hover(&s1, ev, false)),
            );
            let s1 = s.clone();
            add(
                d,
                "pointerout",
                Box::new(move |ev| {
                    let leaving = ev
                        .dyn_ref::<MouseEvent>()
                        .is_some_and(|m| m.related_target().is_none());
                    if leaving {
                        on_hover(&s1, ev, true);
                    }
                }),
            );
        }

        // Forms: start, submit, abandon.
        for kind in ["input", "change"] {
            let s1 = s.clone();
            add(d, kind, Box::new(move |ev| on_form_input(&s1, ev)));
        }
        let s1 = s.clone();
        add(d, "submit", Box::new(move |ev| on_submit(&s1, ev)));

        // Page hide: abandoned forms, then persist.
        let s1 = s.clone();
        add(
            w,
            "pagehide",
            Box::new(move |_| {
                abandon_forms(&s1);
                flush();
            }),
        );

        // SPA navigation: the Navigation API where present, else a history hook; plus
        // popstate/hashchange. Page views are de-duplicated by URL.
        if s.borrow().watch.spa {
            let nav = js_sys::Reflect::get(w, &JsValue::from_str("navigation"))
                .ok()
                .filter(|n| n.is_object())
                .and_then(|n| n.dyn_into::<web_sys::EventTarget>().ok());
            match nav {
                Some(nav) => {
                    let s1 = s.clone();
                    add(
                        &nav,
                        "currententrychange",
                        Box::new(move |_| navigated(&s1)),
                    );
                }
                None => {
                    let s1 = s.clone();
                    out._history = HistoryHook::new(move || navigated(&s1));
                }
            }
            for kind in ["popstate", "hashchange"] {
                let s1 = s.clone();
                add(w, kind, Box::new(move |_| navigated(&s1)));
            }
        }

        // Element visibility: one IntersectionObserver for the watched selectors, and a
        // MutationObserver (coalesced to a frame) to pick up elements added later.
        let visible = s.borrow().watch.visible.clone();
        if !visible.is_empty() {
            {
                let mut sh = s.borrow_mut();
                sh.visible_count = visible.iter().map(|(id, _)| (*id, 0)).collect();
            }
            let thresholds = js_sys::Array::new();
            let mut ratios: Vec<f64> = visible.iter().map(|(_, r)| *r).collect();
            ratios.push(0.0);
            crate::core::sort::sort_by(&mut ratios, |a, b| a.total_cmp(b));
            ratios.dedup();
            for r in ratios {
                thresholds.push(&JsValue::from_f64(r));
            }
            let s1 = s.clone();
            let io = Observer::new(
                move |entries, _| on_intersections(&s1, entries),
                |cb| {
                    let init: web_sys::IntersectionObserverInit = super::dom::dict();
                    init.set_threshold(&thresholds);
                    IntersectionObserver::new_with_options(cb, &init).ok()
                },
            )
            .map(Rc::new);
            if let Some(io) = io {
                rescan(&s, &io.observer);
                let s1 = s.clone();
                let io_weak = Rc::downgrade(&io);
                let frame = Rc::new(Frame::new(move || {
                    if let Some(io) = io_weak.upgrade() {
                        rescan(&s1, &io.observer);
                    }
                }));
                let fw = Rc::downgrade(&frame);
                let mo = Observer::new(
                    move |_, _| {
                        if let Some(f) = fw.upgrade() {
                            f.schedule();
                        }
                    },
                    |cb| {
                        let mo = MutationObserver::new(cb).ok()?;
                        let init: web_sys::MutationObserverInit = super::dom::dict();
                        init.set_child_list(true);
                        init.set_subtree(true);
                        mo.observe_with_options(&doc, &init).ok()?;
                        Some(mo)
                    },
                );
                out._mo = mo;
                out._rescan = Some(frame);
                out._io = Some(io);
            }
        }
        out._listeners = ls;
        out
    }
}
