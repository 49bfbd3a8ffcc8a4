//! RAII handles for the DOM resources cuekit holds: event listeners, animation frames,
//! observers and the history hook. Dropping a handle removes what it added, so dropping
//! the SDK instance leaves the page as it was. Nothing here is ever `forget`-ed.

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{AddEventListenerOptions, Event, EventTarget};

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
        let opts = AddEventListenerOptions::new();
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
    #[wasm_bindgen(js_name = requestAnimationFrame)]
    fn request_animation_frame(cb: &js_sys::Function) -> f64;
    #[wasm_bindgen(js_name = cancelAnimationFrame)]
    fn cancel_animation_frame(id: f64);
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
            let id = request_animation_frame(self.cb.as_ref().unchecked_ref());
            self.pending.set(Some(id));
        }
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        if let Some(id) = self.pending.take() {
            cancel_animation_frame(id);
        }
    }
}

#[wasm_bindgen(inline_js = "
export function ck_frame_listener(target, type, onFrame) {
  let pending = 0;
  const frame = () => { pending = 0; onFrame(); };
  const handler = () => { if (!pending) pending = requestAnimationFrame(frame); };
  const opts = { capture: true, passive: true };
  target.addEventListener(type, handler, opts);
  return function remove() {
    target.removeEventListener(type, handler, opts);
    if (pending) cancelAnimationFrame(pending);
    pending = 0;
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
    fn ck_hook_history(history: &JsValue, notify: &js_sys::Function) -> js_sys::Function;
    fn ck_frame_listener(
        target: &EventTarget,
        kind: &str,
        on_frame: &js_sys::Function,
    ) -> js_sys::Function;
}

/// A passive listener whose events are coalesced to one animation frame in JS: a burst of
/// events (scrolling at 120 Hz) costs no wasm call at all; the callback runs once per
/// frame that had events. Dropping it removes the listener and cancels a pending frame.
#[must_use = "the listener is removed when dropped"]
pub struct FrameListener {
    remove: js_sys::Function,
    _cb: Closure<dyn FnMut()>,
}

impl FrameListener {
    pub fn new(target: &EventTarget, kind: &str, f: impl FnMut() + 'static) -> FrameListener {
        let cb = Closure::<dyn FnMut()>::new(f);
        let remove = ck_frame_listener(target, kind, cb.as_ref().unchecked_ref());
        FrameListener { remove, _cb: cb }
    }
}

impl Drop for FrameListener {
    fn drop(&mut self) {
        let _ = self.remove.call0(&JsValue::UNDEFINED);
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
