//! The SDK instance in the browser: owns the engine, the one deadline timer and the host's
//! handlers. Signals go in through `dispatch`; decisions go out to the handlers. No
//! `RefCell` borrow is ever held while host code runs (host code may call back into us).

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gloo_timers::callback::Timeout;
use js_sys::Function;
use wasm_bindgen::JsValue;

use crate::core::engine::{Decision, Engine, Signal};
use crate::core::value::{obj, Value};

use super::convert::to_js;
use super::storage::Store;

pub type Shared = Rc<RefCell<Runtime>>;

/// Longest single wait handed to `setTimeout` (browsers overflow past 2^31-1 ms).
const MAX_TIMER_MS: u64 = 0x7fff_ffff;
/// Activity-only changes are saved at most this often (and on `pagehide`).
const LAZY_SAVE_MS: u64 = 15_000;

pub struct Runtime {
    pub engine: Engine,
    store: Store,
    last_save: u64,
    lazy_pending: bool,
    handlers: Vec<(String, Function)>,
    timer: Option<Timeout>,
    armed_for: Option<u64>,
    pub destroyed: bool,
    warned: bool,
}

pub fn now() -> u64 {
    let t = js_sys::Date::now();
    if t.is_finite() && t > 0.0 {
        t as u64
    } else {
        0
    }
}

pub fn warn(msg: &str) {
    web_sys::console::warn_1(&JsValue::from_str(&format!("[cuekit] {msg}")));
}

impl Runtime {
    pub fn new(engine: Engine, store: Store) -> Shared {
        Rc::new(RefCell::new(Runtime {
            engine,
            store,
            last_save: 0,
            lazy_pending: false,
            handlers: Vec::new(),
            timer: None,
            armed_for: None,
            destroyed: false,
            warned: false,
        }))
    }

    pub fn on(&mut self, event: &str, handler: Function) {
        self.handlers.push((event.into(), handler));
    }

    pub fn off(&mut self, event: &str, handler: &Function) {
        self.handlers
            .retain(|(e, h)| !(e == event && JsValue::from(h) == JsValue::from(handler)));
    }

    /// Saves the state when it changed: at once for pattern progress, visits and
    /// attributes; activity bookkeeping at most every 15 s, or when `force`d (page hide).
    pub fn persist(&mut self, force: bool) {
        if self.destroyed {
            return;
        }
        let t = now();
        let urgent = self.engine.take_dirty();
        self.lazy_pending |= self.engine.take_lazy_dirty();
        let lazy_due =
            self.lazy_pending && (force || t.saturating_sub(self.last_save) >= LAZY_SAVE_MS);
        if urgent || lazy_due {
            let state = self.engine.export_state();
            self.store.save(&state);
            self.last_save = t;
            self.lazy_pending = false;
        }
    }

    /// Drops the timer and handlers; the instance ignores everything afterwards.
    pub fn shutdown(&mut self) {
        self.destroyed = true;
        self.timer = None;
        self.armed_for = None;
        self.handlers.clear();
    }
}

/// One handler call to make once no borrow is held.
struct Emit {
    handler: Function,
    payload: JsValue,
}

fn collect(rt: &Runtime, decisions: &[Decision], now: u64, out: &mut Vec<Emit>) {
    if decisions.is_empty() {
        return;
    }
    for d in decisions {
        let payload = decision_value(rt, d, now);
        let js = to_js(&payload);
        for (event, handler) in &rt.handlers {
            if event == "decision" {
                out.push(Emit {
                    handler: handler.clone(),
                    payload: js.clone(),
                });
            }
        }
    }
}

fn decision_value(rt: &Runtime, d: &Decision, now: u64) -> Value {
    let action = rt
        .engine
        .rules()
        .get(d.rule)
        .map(|r| r.action.clone())
        .unwrap_or_default();
    obj([
        ("rule", Value::Str(d.rule_id.clone())),
        ("priority", Value::Num(d.priority as f64)),
        ("at", Value::Num(d.at as f64)),
        ("event", d.event.clone().map(Value::Str).unwrap_or_default()),
        ("action", action),
        ("context", rt.engine.context(d, now)),
    ])
}

/// Feeds one signal to the engine, re-arms the timer, then calls the host's handlers.
pub fn dispatch(shared: &Shared, signal: Signal) {
    let mut emits = Vec::new();
    {
        let Ok(mut rt) = shared.try_borrow_mut() else {
            // Re-entered from host code while we were busy: drop rather than panic.
            return;
        };
        if rt.destroyed {
            return;
        }
        let t = now();
        let decisions = rt.engine.handle(signal, t);
        collect(&rt, &decisions, t, &mut emits);
        arm(&mut rt, shared);
        rt.persist(false);
    }
    call(shared, emits);
}

/// Processes due deadlines (the timer's callback, and on wake-up).
pub fn tick(shared: &Shared) {
    let mut emits = Vec::new();
    {
        let Ok(mut rt) = shared.try_borrow_mut() else {
            return;
        };
        if rt.destroyed {
            return;
        }
        let t = now();
        rt.armed_for = None;
        let decisions = rt.engine.tick(t);
        collect(&rt, &decisions, t, &mut emits);
        arm(&mut rt, shared);
        rt.persist(false);
    }
    call(shared, emits);
}

/// Keeps exactly one timer armed for the engine's next deadline.
fn arm(rt: &mut Runtime, shared: &Shared) {
    let next = rt.engine.next_deadline();
    if next == rt.armed_for && (next.is_none() || rt.timer.is_some()) {
        return;
    }
    rt.timer = None;
    rt.armed_for = next;
    let Some(deadline) = next else {
        return;
    };
    let wait = deadline.saturating_sub(now()).min(MAX_TIMER_MS) as u32;
    let weak: Weak<RefCell<Runtime>> = Rc::downgrade(shared);
    rt.timer = Some(Timeout::new(wait, move || {
        if let Some(shared) = weak.upgrade() {
            tick(&shared);
        }
    }));
}

fn call(shared: &Shared, emits: Vec<Emit>) {
    for e in emits {
        if let Err(err) = e.handler.call1(&JsValue::UNDEFINED, &e.payload) {
            let first = shared
                .try_borrow_mut()
                .map(|mut rt| !core::mem::replace(&mut rt.warned, true))
                .unwrap_or(false);
            if first {
                web_sys::console::warn_2(
                    &JsValue::from_str("[cuekit] a host handler threw (logged once):"),
                    &err,
                );
            }
        }
    }
}
