//! The SDK instance in the browser: owns the engine, the store, the one deadline timer
//! and the host's handlers. Signals go in through `dispatch`; decisions pass the caps
//! (after re-reading what other tabs stored) and go out to the handlers. No `RefCell`
//! borrow is ever held while host code runs (host code may call back into us).

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gloo_timers::callback::Timeout;
use js_sys::Function;
use wasm_bindgen::JsValue;

use crate::core::caps::Suppressed;
use crate::core::engine::{Decision, Engine, Signal};
use crate::core::value::{obj, Value};

use super::convert::to_js;
use super::storage::Store;

pub type Shared = Rc<RefCell<Runtime>>;

/// Longest single wait handed to `setTimeout` (browsers overflow past 2^31-1 ms).
const MAX_TIMER_MS: u64 = 0x7fff_ffff;
/// Progress-only changes (pattern windows, page views, activity) are saved at most
/// this often, and always on `pagehide`.
const LAZY_SAVE_MS: u64 = 2_000;

pub struct Runtime {
    pub engine: Engine,
    pub store: Store,
    last_save: u64,
    lazy_pending: bool,
    handlers: Vec<(String, Function)>,
    timer: Option<Timeout>,
    armed_for: Option<u64>,
    pub destroyed: bool,
    /// Consent is required and not given, and the config says not to run before it.
    pub paused: bool,
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

/// One handler call to make once no borrow is held.
pub struct Emit {
    handler: Function,
    payload: JsValue,
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
            paused: false,
            warned: false,
        }))
    }

    pub fn on(&mut self, event: &str, handler: Function) {
        if self.handlers.len() < 256 {
            self.handlers.push((event.into(), handler));
        }
    }

    pub fn off(&mut self, event: &str, handler: &Function) {
        self.handlers
            .retain(|(e, h)| !(e == event && JsValue::from(h) == JsValue::from(handler)));
    }

    pub fn listens(&self, event: &str) -> bool {
        self.handlers.iter().any(|(e, _)| e == event)
    }

    /// Queues `payload` for every handler of `event`.
    pub fn emit(&self, event: &str, payload: &Value, out: &mut Vec<Emit>) {
        let mut js: Option<JsValue> = None;
        for (e, handler) in &self.handlers {
            if e == event {
                let p = js.get_or_insert_with(|| to_js(payload)).clone();
                out.push(Emit {
                    handler: handler.clone(),
                    payload: p,
                });
            }
        }
    }

    /// Folds in what other tabs stored since we last read or wrote.
    pub fn sync(&mut self, now: u64) -> bool {
        match self.store.peek(now) {
            Some(other) => self.engine.merge_state(&other),
            None => false,
        }
    }

    /// Saves the state when it changed: at once for shows, choices, consent, visits and
    /// attributes; progress at most every 2 s, or when `force`d (page hide). Reads and merges what another tab wrote first, so nothing of theirs is lost.
    pub fn persist(&mut self, force: bool) {
        if self.destroyed {
            return;
        }
        let t = now();
        let urgent = self.engine.take_dirty();
        self.lazy_pending |= self.engine.take_lazy_dirty();
        let lazy_due =
            self.lazy_pending && (force || t.saturating_sub(self.last_save) >= LAZY_SAVE_MS);
        if (urgent || lazy_due) && self.store.writable() {
            self.sync(t);
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

    fn decision_value(&self, d: &Decision, result: &Result<(), Suppressed>, now: u64) -> Value {
        let rule = self.engine.rules().get(d.rule);
        let action = rule.map(|r| r.action.clone()).unwrap_or_default();
        let mut parts = vec![
            ("rule", Value::Str(d.rule_id.clone())),
            ("priority", Value::Num(d.priority as f64)),
            ("at", Value::Num(d.at as f64)),
            ("event", d.event.clone().map(Value::Str).unwrap_or_default()),
            ("shown", Value::Bool(result.is_ok())),
            ("action", action),
            ("context", self.engine.context(d, now)),
        ];
        if let Err(s) = result {
            parts.push((
                "suppressed",
                obj([
                    ("cap", Value::Str(s.cap.clone())),
                    ("reason", Value::Str(s.reason.clone())),
                    (
                        "until",
                        s.until.map(|u| Value::Num(u as f64)).unwrap_or_default(),
                    ),
                ]),
            ));
        }
        obj(parts)
    }

    /// Passes each decision through the caps and queues the lifecycle events.
    fn process(&mut self, decisions: Vec<Decision>, now: u64, out: &mut Vec<Emit>) {
        if decisions.is_empty() {
            return;
        }
        // Another tab may have shown, dismissed or opted out a moment ago.
        self.sync(now);
        for d in decisions {
            let result = self.engine.admit(&d, now);
            let second = if result.is_ok() { "show" } else { "suppress" };
            // The context is built only when someone listens.
            if self.listens("decision") || self.listens(second) {
                let payload = self.decision_value(&d, &result, now);
                self.emit("decision", &payload, out);
                self.emit(second, &payload, out);
            }
        }
    }
}

/// Feeds one signal to the engine, re-arms the timer, then calls the host's handlers.
pub fn dispatch(shared: &Shared, signal: Signal) {
    let mut emits = Vec::new();
    {
        let Ok(mut rt) = shared.try_borrow_mut() else {
            // Re-entered from host code while we were busy: drop rather than panic.
            return;
        };
        if rt.destroyed || rt.paused {
            return;
        }
        let t = now();
        let decisions = rt.engine.handle(signal, t);
        rt.process(decisions, t, &mut emits);
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
        if rt.destroyed || rt.paused {
            return;
        }
        let t = now();
        rt.armed_for = None;
        let decisions = rt.engine.tick(t);
        rt.process(decisions, t, &mut emits);
        arm(&mut rt, shared);
        rt.persist(false);
    }
    call(shared, emits);
}

/// Runs `f` on the runtime (not while destroyed), re-arms the timer, saves, and then
/// calls the handlers `f` queued.
pub fn with<R>(
    shared: &Shared,
    f: impl FnOnce(&mut Runtime, u64, &mut Vec<Emit>) -> R,
) -> Option<R> {
    let mut emits = Vec::new();
    let r = {
        let Ok(mut rt) = shared.try_borrow_mut() else {
            return None;
        };
        if rt.destroyed {
            return None;
        }
        let t = now();
        let r = f(&mut rt, t, &mut emits);
        arm(&mut rt, shared);
        rt.persist(false);
        r
    };
    call(shared, emits);
    Some(r)
}

/// Keeps exactly one timer armed for the engine's next deadline. A timer armed for an
/// earlier moment is kept when the deadline moves later (activity postponing idle): it
/// wakes, finds nothing due, and re-arms — far cheaper than re-arming on every event.
fn arm(rt: &mut Runtime, shared: &Shared) {
    let next = if rt.paused {
        None
    } else {
        rt.engine.next_deadline()
    };
    let keep = match (next, rt.armed_for) {
        (Some(n), Some(a)) => rt.timer.is_some() && a <= n,
        (None, _) => rt.timer.is_none(),
        (Some(_), None) => false,
    };
    if keep {
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
