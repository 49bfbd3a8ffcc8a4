//! RAII handles for the DOM resources cuekit holds: event listeners, animation frames,
//! timers, the input clock and the history hook. Dropping a handle removes what it added,
//! so dropping the SDK instance leaves the page as it was. Nothing here is ever
//! `forget`-ed. Also the small inline JS snippets these handles and the decision
//! payload (`ck_decision`, `ck_lazy`) are built from.

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{AddEventListenerOptions, Event, EventTarget};

/// An empty options or init dictionary for a browser API (listener options, observer and
/// shadow-root inits, a `fetch` init) with no prototype: members a polluted
/// `Object.prototype` carries (`once`, `signal`, `rootMargin`, `method`, …) cannot reach
/// the API.
pub fn dict<T: JsCast>() -> T {
    let null = JsValue::NULL;
    js_sys::Object::<JsValue>::create(null.unchecked_ref()).unchecked_into()
}

/// An event listener that removes itself on drop.
#[must_use = "the listener is removed when dropped"]
pub struct Listener {
    target: EventTarget,
    kind: &'static str,
    capture: bool,
    cb: Closure<dyn FnMut(Event)>,
}

impl Listener {
    /// Adds a passive listener (`capture` for document-level interception).
    pub fn new(
        target: &EventTarget,
        kind: &'static str,
        capture: bool,
        f: impl FnMut(Event) + 'static,
    ) -> Option<Listener> {
        let cb = Closure::<dyn FnMut(Event)>::new(f);
        let opts: AddEventListenerOptions = dict();
        opts.set_capture(capture);
        opts.set_passive(true);
        target
            .add_event_listener_with_callback_and_add_event_listener_options(
                kind,
                cb.as_ref().unchecked_ref(),
                &opts,
            )
            .ok()?;
        Some(Listener {
            target: target.clone(),
            kind,
            capture,
            cb,
        })
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.target.remove_event_listener_with_callback_and_bool(
            self.kind,
            self.cb.as_ref().unchecked_ref(),
            self.capture,
        );
    }
}

#[wasm_bindgen]
extern "C" {
    // `catch`: a page may wrap these (and a wrapper may throw); see `host`.
    #[wasm_bindgen(catch, js_name = requestAnimationFrame)]
    fn request_animation_frame(cb: &js_sys::Function) -> Result<f64, JsValue>;
    #[wasm_bindgen(catch, js_name = cancelAnimationFrame)]
    fn cancel_animation_frame(id: f64) -> Result<(), JsValue>;
}

/// Coalesces work to one animation frame: `schedule` requests a frame unless one is
/// already pending; the frame runs the callback once. Dropping cancels a pending frame.
pub struct Frame {
    pending: Rc<Cell<Option<f64>>>,
    cb: Closure<dyn FnMut()>,
}

impl Frame {
    pub fn new(mut f: impl FnMut() + 'static) -> Frame {
        let pending: Rc<Cell<Option<f64>>> = Rc::new(Cell::new(None));
        let p2 = pending.clone();
        let cb = Closure::<dyn FnMut()>::new(move || {
            p2.set(None);
            f();
        });
        Frame { pending, cb }
    }

    pub fn schedule(&self) {
        if self.pending.get().is_none() {
            if let Ok(id) = request_animation_frame(self.cb.as_ref().unchecked_ref()) {
                self.pending.set(Some(id));
            }
        }
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        if let Some(id) = self.pending.take() {
            let _ = cancel_animation_frame(id);
        }
    }
}

#[wasm_bindgen(inline_js = "
export function ck_decision(rule, priority, at, event, shown, action, variant, message, suppressed, context) {
  let a = null;
  try { a = JSON.parse(action); } catch (e) {}
  // The context is parsed from its JSON text when a handler first reads it (most read
  // only rule and variant), once for all decisions of the event (they share the holder).
  // It stays an ordinary enumerable property to spreads, JSON and clones, and becomes a
  // plain writable one when assigned. An accessor in the literal, not defineProperty:
  // no descriptor object (nothing inherited can count) and the object keeps a fast shape.
  const d = {
    rule, priority, at, event: event ?? null, shown, action: a, variant: variant ?? null, message,
    get context() {
      if (context.v === undefined) {
        try { context.v = JSON.parse(context.t); } catch (e) { context.v = null; }
      }
      return context.v;
    },
    set context(v) { Object.defineProperty(d, 'context', { __proto__: null, value: v, writable: true, enumerable: true, configurable: true }); },
  };
  if (suppressed !== undefined) d.suppressed = suppressed;
  return d;
}
export function ck_lazy(t) {
  return { t, v: undefined };
}
export function ck_inputs(win, throttle, onActivity, onDepth) {
  const doc = win.document;
  const READ_MS = 100;
  const st = { y: NaN, at: 0, last: -Infinity, max: 0, pending: 0, timer: 0, read: -Infinity, total: 0, view: 0, measured: -Infinity };
  const opts = Object.assign(Object.create(null), { capture: true, passive: true });
  const act = () => {
    const t = performance.now();
    st.at = Date.now();
    if (t - st.last >= throttle) { st.last = t; st.max = +onActivity() || 0; }
  };
  const move = (e) => { st.y = e.clientY; act(); };
  const frame = () => {
    st.pending = 0;
    const root = doc.documentElement;
    if (!root) return;
    const t = performance.now();
    st.read = t;
    if (t - st.measured >= 500) { st.total = root.scrollHeight; st.view = win.innerHeight; st.measured = t; }
    const d = st.total <= st.view + 1 ? 100 : Math.min(100, Math.max(0, (win.scrollY + st.view) / st.total * 100));
    if (d >= st.max + 1 || (d > st.max && d >= 100)) { st.last = t; st.at = Date.now(); st.max = +onDepth(d) || 0; } else act();
  };
  // Reading the position can force a layout: at most one read per READ_MS, always in an
  // animation frame, and a trailing read so the position where scrolling stopped counts.
  const request = () => { st.timer = 0; st.pending = requestAnimationFrame(frame); };
  const scroll = () => {
    if (st.pending || st.timer) return;
    const wait = st.read + READ_MS - performance.now();
    if (wait > 0) st.timer = setTimeout(request, wait); else request();
  };
  const kinds = ['pointerdown', 'keydown', 'touchstart', 'wheel'];
  for (const k of kinds) doc.addEventListener(k, act, opts);
  doc.addEventListener('pointermove', move, opts);
  win.addEventListener('scroll', scroll, opts);
  return {
    y: () => st.y,
    at: () => st.at,
    remove() {
      for (const k of kinds) doc.removeEventListener(k, act, opts);
      doc.removeEventListener('pointermove', move, opts);
      win.removeEventListener('scroll', scroll, opts);
      if (st.pending) cancelAnimationFrame(st.pending);
      if (st.timer) clearTimeout(st.timer);
      st.pending = 0;
      st.timer = 0;
    },
  };
}
export function ck_later(cb) {
  let t = 0;
  const run = () => { t = 0; cb(); };
  // A page's setTimeout/clearTimeout wrapper that throws costs this run, nothing more.
  return {
    schedule(ms) { if (!t) try { t = setTimeout(run, ms); } catch (e) {} },
    cancel() { try { if (t) clearTimeout(t); } catch (e) {} t = 0; },
    again(ms) { this.cancel(); this.schedule(ms); },
  };
}
export function ck_hook_history(history, notify) {
  const state = { on: true };
  const wrap = (name) => {
    const orig = history[name];
    if (typeof orig !== 'function') return null;
    const ours = function () {
      const r = orig.apply(this, arguments);
      if (state.on) { try { notify(); } catch (e) {} }
      return r;
    };
    history[name] = ours;
    return { name, orig, ours };
  };
  const hooks = [wrap('pushState'), wrap('replaceState')].filter(Boolean);
  return function restore() {
    state.on = false;
    for (const h of hooks) {
      // Restore only if nobody wrapped on top of us; otherwise stay as a pass-through.
      if (history[h.name] === h.ours) history[h.name] = h.orig;
    }
  };
}
")]
extern "C" {
    /// A decision as handlers see it, built in JS from its parts: `rule` and `action` (a
    /// JSON text, parsed afresh for each payload) are JS strings kept per rule, `context`
    /// (a `ck_lazy` holder, parsed when first read) is shared by the decisions of one event (see `Runtime::decision_js`). `suppressed`
    /// is left out when undefined.
    #[allow(clippy::too_many_arguments)]
    pub fn ck_decision(
        rule: &JsValue,
        priority: f64,
        at: f64,
        event: Option<&str>,
        shown: bool,
        action: &JsValue,
        variant: Option<&str>,
        message: &JsValue,
        suppressed: &JsValue,
        context: &JsValue,
    ) -> JsValue;
    /// A holder of context JSON text for `ck_decision`, parsed on first read.
    pub fn ck_lazy(text: &str) -> JsValue;
    fn ck_hook_history(history: &JsValue, notify: &js_sys::Function) -> js_sys::Function;
    fn ck_inputs(
        win: &web_sys::Window,
        throttle_ms: f64,
        on_activity: &js_sys::Function,
        on_depth: &js_sys::Function,
    ) -> InputsJs;
    #[derive(Clone)]
    pub type InputsJs;
    #[wasm_bindgen(method)]
    fn y(this: &InputsJs) -> f64;
    #[wasm_bindgen(method)]
    fn at(this: &InputsJs) -> f64;
    #[wasm_bindgen(method)]
    fn remove(this: &InputsJs);
    fn ck_later(cb: &js_sys::Function) -> LaterJs;
    type LaterJs;
    #[wasm_bindgen(method)]
    fn schedule(this: &LaterJs, ms: f64);
    #[wasm_bindgen(method)]
    fn cancel(this: &LaterJs);
    #[wasm_bindgen(method)]
    fn again(this: &LaterJs, ms: f64);
}

/// A callback run in a task of its own after the current one (`setTimeout`), once however
/// many times it is asked for before it runs (the first request sets the delay); one
/// closure for its whole life, so asking costs one call. Dropping it cancels a pending run.
pub struct Later {
    js: LaterJs,
    _cb: Closure<dyn FnMut()>,
}

impl Later {
    pub fn new(f: impl FnMut() + 'static) -> Later {
        let cb = Closure::<dyn FnMut()>::new(f);
        let js = ck_later(cb.as_ref().unchecked_ref());
        Later { js, _cb: cb }
    }

    /// Runs the callback in `ms` (0: the next task), unless a run is already pending.
    pub fn schedule(&self, ms: u32) {
        self.js.schedule(f64::from(ms));
    }

    /// Runs the callback in `ms`, replacing a pending run.
    pub fn reschedule(&self, ms: u32) {
        self.js.again(f64::from(ms));
    }

    /// Drops a pending run.
    pub fn cancel(&self) {
        self.js.cancel();
    }
}

impl Drop for Later {
    fn drop(&mut self) {
        self.js.cancel();
    }
}

/// The page's continuous input, watched in JS so that the common case costs no wasm
/// call:
/// - pointer, key, touch and wheel activity reach `on_activity` at most once per
///   `throttle_ms`; the time of the last input is kept for `last_input`;
/// - scrolling is coalesced to one animation frame at most every 100 ms (reading the
///   position can force a layout; a trailing frame reads where scrolling stopped). The
///   frame reads the depth (page and viewport heights at most every 500 ms) and calls
///   `on_depth(percent)` only for a new maximum at least one point deeper (or the
///   bottom), else counts as activity;
/// - both callbacks return the deepest scroll the engine knows for this page, so a new
///   page (maximum back to 0) is picked up within one throttle interval;
/// - the pointer's last `clientY` is kept for exit intent.
///
/// Dropping it removes every listener and cancels a pending frame or timer.
#[must_use = "the listeners are removed when dropped"]
pub struct Inputs {
    js: InputsJs,
    _activity: Closure<dyn FnMut() -> f64>,
    _depth: Closure<dyn FnMut(f64) -> f64>,
}

impl Inputs {
    pub fn new(
        win: &web_sys::Window,
        throttle_ms: u64,
        activity: impl FnMut() -> f64 + 'static,
        depth: impl FnMut(f64) -> f64 + 'static,
    ) -> Inputs {
        let a = Closure::<dyn FnMut() -> f64>::new(activity);
        let d = Closure::<dyn FnMut(f64) -> f64>::new(depth);
        let js = ck_inputs(
            win,
            throttle_ms as f64,
            a.as_ref().unchecked_ref(),
            d.as_ref().unchecked_ref(),
        );
        Inputs {
            js,
            _activity: a,
            _depth: d,
        }
    }

    /// A handle for `last_y` and `last_input` that does not keep the listeners alive.
    pub fn js(&self) -> &InputsJs {
        &self.js
    }

    /// When the visitor last touched, typed, scrolled or moved the pointer (ms since the
    /// epoch), if ever.
    pub fn last_input(js: &InputsJs) -> Option<u64> {
        let t = js.at();
        (t.is_finite() && t > 0.0).then_some(t as u64)
    }

    /// The pointer's last `clientY`, if it moved over the page.
    pub fn last_y(js: &InputsJs) -> Option<f64> {
        Some(js.y()).filter(|y| y.is_finite())
    }
}

impl Drop for Inputs {
    fn drop(&mut self) {
        self.js.remove();
    }
}

/// Wraps `history.pushState` / `replaceState` (keeping any wrapper the host installed
/// working) to learn about SPA navigation where the Navigation API is missing. Drop
/// restores the originals, or — when the host wrapped on top — turns ours into a
/// pass-through that never calls back into a freed closure.
pub struct HistoryHook {
    restore: js_sys::Function,
    _notify: Closure<dyn FnMut()>,
}

impl HistoryHook {
    pub fn new(f: impl FnMut() + 'static) -> Option<HistoryHook> {
        let history = web_sys::window()?.history().ok()?;
        let notify = Closure::<dyn FnMut()>::new(f);
        let restore = ck_hook_history(&history, notify.as_ref().unchecked_ref());
        Some(HistoryHook {
            restore,
            _notify: notify,
        })
    }
}

impl Drop for HistoryHook {
    fn drop(&mut self) {
        let _ = self.restore.call0(&JsValue::UNDEFINED);
    }
}

/// An IntersectionObserver or MutationObserver with its callback; disconnects on drop.
pub struct Observer<O: Disconnect> {
    pub observer: O,
    _cb: Closure<dyn FnMut(js_sys::Array, JsValue)>,
}

pub trait Disconnect {
    fn disconnect(&self);
}

impl Disconnect for web_sys::IntersectionObserver {
    fn disconnect(&self) {
        web_sys::IntersectionObserver::disconnect(self);
    }
}

impl Disconnect for web_sys::MutationObserver {
    fn disconnect(&self) {
        web_sys::MutationObserver::disconnect(self);
    }
}

impl<O: Disconnect> Observer<O> {
    pub fn new(
        f: impl FnMut(js_sys::Array, JsValue) + 'static,
        make: impl FnOnce(&js_sys::Function) -> Option<O>,
    ) -> Option<Observer<O>> {
        let cb = Closure::<dyn FnMut(js_sys::Array, JsValue)>::new(f);
        let observer = make(cb.as_ref().unchecked_ref())?;
        Some(Observer { observer, _cb: cb })
    }
}

impl<O: Disconnect> Drop for Observer<O> {
    fn drop(&mut self) {
        self.observer.disconnect();
    }
}
