//! The SDK instance in the browser: owns the engine, the store, the one deadline timer
//! and the host's handlers. Signals go in through `dispatch`; decisions pass the caps
//! (after re-reading what other tabs stored) and go out to the handlers. No `RefCell`
//! borrow is held while host handlers run. Host code can still run inside our own work
//! (a page's `focusin` listener fires while a modal takes focus, a patched DOM method):
//! a call into cuekit made then is queued and applied right after the call under way
//! (`enter`), never dropped.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use js_sys::Function;
use wasm_bindgen::JsValue;

use crate::core::action::{render, webhook_payload, Message, Webhook};
use crate::core::caps::Suppressed;
use crate::core::engine::{Decision, Engine, Signal};
use crate::core::value::{obj, Value};
use wasm_bindgen::JsCast;

use super::convert::to_js;
use super::env::{now, warn};
use super::reentry::{Answer, Ran};
use super::render::{Renderer, UiOutcome};
use super::storage::Store;
use super::webhook::Webhooks;
use crate::core::action::Do;
use crate::core::caps::Kind;

pub type Shared = Rc<RefCell<Runtime>>;

/// The context last converted for handlers, by the event and properties it was for.
type CtxCache = Option<(Option<String>, Value, JsValue)>;

/// Longest single wait handed to `setTimeout` (browsers overflow past 2^31-1 ms).
const MAX_TIMER_MS: u64 = 0x7fff_ffff;
/// Progress-only changes (pattern windows, page views, activity) are saved at most
/// this often, and always when the page is hidden or goes away.
const LAZY_SAVE_MS: u64 = 5_000;
/// After an input, a save is written in the next task, unless two such saves were written
/// in the last `BURST_SAVE_MS`: then it waits until the older of them is that old (a burst
/// of shows shares one write).
const BURST_SAVE_MS: u64 = 1_000;

pub struct Runtime {
    pub engine: Engine,
    pub store: Store,
    pub renderer: Renderer,
    pub webhooks: Webhooks,
    /// The host's actions object from `init(config, {actions})`.
    pub actions: JsValue,
    last_save: u64,
    /// When the saver (the write after an input) wrote the last two times, older first.
    last_burst: [u64; 2],
    lazy_pending: bool,
    handlers: Vec<(String, Function)>,
    timer: Option<super::dom::Later>,
    armed_for: Option<u64>,
    pub destroyed: bool,
    /// Consent is required and not given, and the config says not to run before it.
    pub paused: bool,
    /// The config requires consent (or Global Privacy Control is honoured and on).
    pub require: bool,
    /// Before consent, run in memory (`beforeConsent: "memory"`).
    pub run_before: bool,
    warned: bool,
    /// `retry_deferred` is deciding again (a repeated render failure is not told again).
    retrying: bool,
    /// Decisions held back because another prompt was on screen (`oneAtATime`), because
    /// their modal must wait (the visitor is typing, another modal is open: `waiting`),
    /// or because their message could not be put on the page (no `<body>` yet, inline
    /// target missing, the page's DOM threw: `render`); nothing of them was counted. They
    /// are decided again when the screen is free, at the next signal, tick or API call
    /// (until `DEFER_MS` after they fired; one held back again is not told again).
    deferred: Vec<Decision>,
    /// Reads the time of the visitor's last input (kept in JS by the listeners).
    pub last_input: Option<super::dom::InputsJs>,
    /// The save that follows an input, in a task of its own (see `save_soon`).
    saver: Option<super::dom::Later>,
    /// Per rule: its id and its action (JSON text) as JS strings (see `rule_js`).
    rule_js: Vec<Option<(JsValue, JsValue)>>,
}

/// Decisions waiting for the screen, at most; the oldest goes first.
const MAX_DEFERRED: usize = 4;
/// A decision waits for the screen this long at most (then it is dropped).
const DEFER_MS: u64 = 10 * 60_000;

/// One handler call to make once no borrow is held.
pub struct Emit {
    handler: Function,
    payload: JsValue,
}

impl Runtime {
    pub fn new(
        engine: Engine,
        store: Store,
        renderer: Renderer,
        webhooks: Webhooks,
        actions: JsValue,
    ) -> Shared {
        Rc::new(RefCell::new(Runtime {
            engine,
            store,
            renderer,
            webhooks,
            actions,
            last_save: 0,
            last_burst: [0; 2],
            lazy_pending: false,
            deferred: Vec::new(),
            handlers: Vec::new(),
            timer: None,
            armed_for: None,
            destroyed: false,
            paused: false,
            require: false,
            run_before: true,
            warned: false,
            retrying: false,
            last_input: None,
            saver: None,
            rule_js: Vec::new(),
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
        if self.listens(event) {
            self.emit_js(&[event], &to_js(payload), out);
        }
    }

    /// Queues one JS payload for the handlers of each of `events`, in that order.
    fn emit_js(&self, events: &[&str], payload: &JsValue, out: &mut Vec<Emit>) {
        for event in events {
            for (e, handler) in &self.handlers {
                if e == event {
                    out.push(Emit {
                        handler: handler.clone(),
                        payload: payload.clone(),
                    });
                }
            }
        }
    }

    /// Folds in what other tabs stored since we last read or wrote.
    pub fn sync(&mut self, now: u64) -> bool {
        match self.store.peek(now) {
            Some(other) => self.merge_stored(&other, now),
            None => false,
        }
    }

    /// Folds in a record another tab stored (`Engine::merge_state`), and applies what
    /// the merge decided beyond the state: a newer erasure drops the queued webhooks, a
    /// newer consent decision switches storage, webhooks and the pause as `consent()`
    /// does. A merged state holding a fact the record lacks is saved by the next persist.
    pub fn merge_stored(&mut self, other: &crate::core::state::State, now: u64) -> bool {
        let m = self
            .engine
            .merge_state(other, &super::env::random_id(), now);
        if m.erased {
            self.webhooks.erase();
        }
        if let Some(granted) = m.consent {
            self.apply_consent(granted);
        }
        m.changed
    }

    /// Storage, webhooks and the pause follow the consent decision.
    pub fn apply_consent(&mut self, granted: bool) {
        self.webhooks.set_allowed(granted);
        self.store.set_allowed(granted);
        if granted {
            self.paused = false;
        } else {
            self.webhooks.erase();
            self.paused = self.require && !self.run_before;
        }
    }

    /// Tells the engine about input it was not told of yet (activity is reported at most
    /// once a second), so that idle and session time are exact when anything is decided.
    fn catch_up_activity(&mut self) {
        if let Some(at) = self
            .last_input
            .as_ref()
            .and_then(super::dom::Inputs::last_input)
        {
            self.engine.note_activity(at);
        }
    }

    /// Saves the state when it changed: what the engine marks urgent (shows, choices,
    /// consent, visits, attributes) now, progress at most every 5 s or when `force`d (page
    /// hide, destroy). Reads and merges what another tab wrote first, so nothing of theirs
    /// is lost. After an input this runs in a task of its own (`save_soon`).
    pub fn persist(&mut self, force: bool) -> bool {
        if self.destroyed {
            return false;
        }
        let t = now();
        let urgent = self.engine.take_dirty();
        self.lazy_pending |= self.engine.take_lazy_dirty();
        let lazy_due =
            self.lazy_pending && (force || t.saturating_sub(self.last_save) >= LAZY_SAVE_MS);
        if !(urgent || lazy_due) {
            return false;
        }
        // What another tab wrote first: nothing of theirs is lost, and a newer consent
        // decision or erasure of theirs applies before we write.
        self.sync(t);
        if self.store.writable() {
            let full = self.engine.save_json();
            let engine = &self.engine;
            self.store.save(full, || engine.essentials_json());
        } else if self.engine.consent_withdrawn() {
            // Without consent, the withdrawal is the one record written.
            self.store.save_withdrawal(self.engine.withdrawal_json());
        } else {
            return false;
        }
        self.last_save = t;
        self.lazy_pending = false;
        true
    }

    /// Drops the timer, handlers and rendered messages; the instance ignores everything
    /// afterwards.
    pub fn shutdown(&mut self) {
        self.destroyed = true;
        self.timer = None;
        self.saver = None;
        self.armed_for = None;
        self.handlers.clear();
        // Pending webhooks stay stored for the next page; the retry timer stops.
        self.webhooks.shutdown();
        // Dropping the renderer removes every message and its host element.
        self.renderer = Renderer::new(Rc::new(|_: &str, _: UiOutcome| {}));
    }

    /// What the visitor (or the host on their behalf) did with a rule's prompt: recorded
    /// in the ledger, told to handlers/webhooks/dataLayer, and the message leaves the
    /// screen. `rule` may be `*` for snooze/opt-out/opt-in of everything.
    pub fn visitor_outcome(
        &mut self,
        rule: &str,
        kind: Kind,
        now: u64,
        out: &mut Vec<Emit>,
    ) -> bool {
        if !self.engine.record(rule, kind, now) {
            return false;
        }
        let event = match kind {
            Kind::Click => "click",
            Kind::Dismiss => "dismiss",
            Kind::Convert => "convert",
            Kind::Snooze(_) => "snooze",
            Kind::OptOut => "optout",
            Kind::OptIn => "optin",
            Kind::Show => "show",
        };
        let props = match kind {
            Kind::Snooze(d) => obj([("until", Value::Num(now.saturating_add(d) as f64))]),
            _ => Value::Obj(Default::default()),
        };
        match self.engine.config().rule_index(rule) {
            Some(r) => self.lifecycle(event, r, &props, now, out),
            None => {
                let payload = obj([
                    ("rule", Value::Str(rule.into())),
                    ("at", Value::Num(now as f64)),
                    ("props", props),
                ]);
                self.emit(event, &payload, out);
            }
        }
        if !matches!(kind, Kind::Click | Kind::Convert | Kind::OptIn) {
            if rule == crate::core::caps::ALL {
                for r in self.renderer.showing() {
                    self.renderer.hide(&r);
                    self.engine.closed(&r);
                }
            } else {
                self.renderer.hide(rule);
            }
        }
        true
    }

    /// A message's button, close button, Esc, countdown end or auto-hide.
    fn ui_outcome(&mut self, rule: &str, o: UiOutcome, now: u64, out: &mut Vec<Emit>) {
        let Some(r) = self.engine.config().rule_index(rule) else {
            return;
        };
        let button = match o {
            UiOutcome::Button(i) => self
                .engine
                .rules()
                .get(r)
                .and_then(|x| x.spec.display.as_ref())
                .and_then(|d| d.buttons.get(i))
                .map(|b| b.action.clone()),
            _ => None,
        };
        match (o, button) {
            (UiOutcome::Dismiss, _) | (_, Some(Do::Dismiss)) => {
                self.visitor_outcome(rule, Kind::Dismiss, now, out);
            }
            (_, Some(Do::Snooze(d))) => {
                self.visitor_outcome(rule, Kind::Snooze(d), now, out);
            }
            (_, Some(Do::OptOut)) => {
                self.visitor_outcome(rule, Kind::OptOut, now, out);
            }
            (_, Some(Do::Link(_))) => {
                self.visitor_outcome(rule, Kind::Click, now, out);
                self.renderer.hide(rule);
                self.engine.closed(rule);
            }
            (_, Some(Do::Host(name))) => {
                self.visitor_outcome(rule, Kind::Click, now, out);
                let d = Decision {
                    rule: r,
                    rule_id: rule.into(),
                    priority: 0,
                    at: now,
                    event: None,
                    props: Value::Obj(Default::default()),
                };
                let ctx = self.engine.context(&d, now);
                self.call_host(&name, rule, &ctx, out);
                self.renderer.hide(rule);
                self.engine.closed(rule);
            }
            _ => {
                self.renderer.hide(rule);
                self.engine.closed(rule);
            }
        }
    }

    /// A decision as the handlers see it. `context` is converted once per event and
    /// shared by the decisions it fires (`cache`); `message` is the text
    /// as rendered (templates filled in, the variant's content for experiments). The
    /// rule's id and action cross into JS once per rule (`rule_js`).
    fn decision_js(
        &mut self,
        d: &Decision,
        result: &Result<(), Suppressed>,
        message: Option<&Message>,
        now: u64,
        cache: &mut CtxCache,
    ) -> JsValue {
        // A rule in an experiment has its own context (its variant); the others share the
        // context of their event, which nothing changes while decisions are processed.
        let shared = self
            .engine
            .rules()
            .get(d.rule)
            .is_some_and(|r| r.experiment.is_none());
        let (ctx_js, variant) = match cache {
            Some((event, props, js)) if shared && *event == d.event && *props == d.props => {
                (js.clone(), None)
            }
            _ => {
                // The experiment's variant id (an attribute that happens to be called
                // `variant` is the context's business, not the decision's).
                let variant = self.engine.assigned_variant(d.rule).map(str::to_string);
                let js = super::dom::ck_lazy(&self.engine.context_json(d, now));
                if shared {
                    *cache = Some((d.event.clone(), d.props.clone(), js.clone()));
                }
                (js, variant)
            }
        };
        let suppressed = match result {
            Ok(()) => JsValue::UNDEFINED,
            Err(s) => to_js(&obj([
                ("cap", Value::Str(s.cap.clone())),
                ("reason", Value::Str(s.reason.clone())),
                (
                    "until",
                    s.until.map(|u| Value::Num(u as f64)).unwrap_or_default(),
                ),
            ])),
        };
        let message = message
            .map(|m| to_js(&message_value(m)))
            .unwrap_or(JsValue::NULL);
        let (rule, action) = self.rule_js(d.rule);
        super::dom::ck_decision(
            &rule,
            d.priority as f64,
            d.at as f64,
            d.event.as_deref(),
            result.is_ok(),
            &action,
            variant.as_deref(),
            &message,
            &suppressed,
            &ctx_js,
        )
    }

    /// A rule's id and its action as JSON text, as JS strings made on first use.
    fn rule_js(&mut self, rule: usize) -> (JsValue, JsValue) {
        if self.rule_js.len() <= rule {
            self.rule_js.resize(rule + 1, None);
        }
        if let Some(Some(pair)) = self.rule_js.get(rule) {
            return pair.clone();
        }
        let r = self.engine.rules().get(rule);
        let pair = (
            JsValue::from_str(r.map(|r| r.id.as_str()).unwrap_or("")),
            JsValue::from_str(&crate::core::json::to_json(
                &r.map(|r| r.action.clone()).unwrap_or_default(),
            )),
        );
        if let Some(slot) = self.rule_js.get_mut(rule) {
            *slot = Some(pair.clone());
        }
        pair
    }

    /// Passes each decision through the caps, acts on the admitted ones (message, host
    /// action, webhook) and queues the lifecycle events.
    fn process(&mut self, decisions: Vec<Decision>, now: u64, out: &mut Vec<Emit>) {
        let conversions = self.engine.take_conversions();
        for c in &conversions {
            self.lifecycle("convert", c.rule, &c.props, now, out);
        }
        if decisions.is_empty() {
            return;
        }
        // Another tab may have shown, dismissed or opted out a moment ago.
        self.sync(now);
        let mut ctx_cache: CtxCache = None;
        for d in decisions {
            // The variant decides the action (experiments); then a message whose data is
            // missing (and says "skip") is not shown at all.
            let variant = self.engine.assignment(d.rule).and_then(|a| a.shown());
            let message = match self
                .engine
                .action_for(d.rule, variant)
                .and_then(|a| a.display.as_ref())
            {
                Some(display) => match render(display, &self.engine.context(&d, now), now) {
                    Some(m) => Some(m),
                    None => {
                        let result = Err(Suppressed {
                            cap: "missingData".into(),
                            reason: "the message cannot be built: data it needs is missing (and it says \"skip\"), or a link or image URL is not allowed".into(),
                            until: None,
                        });
                        let events = ["decision", "suppress"];
                        if events.iter().any(|e| self.listens(e)) {
                            let payload = self.decision_js(&d, &result, None, now, &mut ctx_cache);
                            self.emit_js(&events, &payload, out);
                        }
                        continue;
                    }
                },
                None => None,
            };
            // Counted only once the message is on the page (a render can fail: no
            // <body> yet, an inline target missing, the page's DOM refusing).
            // A modal that must wait (the visitor is typing, another modal is open) is
            // not shown yet: nothing is counted, and it is decided again later.
            let renderer = &mut self.renderer;
            let result = self.engine.admit_shown(&d, now, || match message.as_ref() {
                None => Ok(()),
                Some(m) if renderer.must_wait(m) => Err(Suppressed {
                    cap: "waiting".into(),
                    reason: "a modal waits while the visitor types in a field or another modal is open; decided again when the screen is free".into(),
                    until: None,
                }),
                Some(m) if renderer.show(&d.rule_id, m) => Ok(()),
                Some(_) => Err(Suppressed {
                    cap: "render".into(),
                    reason: "the message could not be put on the page (no <body>, or the page refused it); not counted".into(),
                    until: None,
                }),
            });
            let failed = matches!(&result, Err(s) if s.cap == "render");
            if failed {
                // What this rule showed before is gone too (`show` replaces it).
                self.engine.closed(&d.rule_id);
            }
            if matches!(&result, Err(s) if matches!(s.cap.as_str(), "render" | "waiting" | "oneAtATime"))
            {
                self.defer(&d);
            }
            if result.is_ok() {
                self.act(&d, variant, now, out);
            }
            for (rule, v, held_out) in self.engine.take_exposures() {
                let rule_id = self
                    .engine
                    .rules()
                    .get(rule)
                    .map(|r| r.id.clone())
                    .unwrap_or_default();
                let variant_id = self.engine.variant_id(rule, v).unwrap_or("").to_string();
                let key = self
                    .engine
                    .rules()
                    .get(rule)
                    .and_then(|r| r.experiment.as_ref())
                    .map(|x| x.split.key.clone())
                    .unwrap_or_default();
                let payload = obj([
                    ("rule", Value::Str(rule_id)),
                    ("experiment", Value::Str(key)),
                    ("variant", Value::Str(variant_id)),
                    ("holdout", Value::Bool(held_out)),
                    ("at", Value::Num(now as f64)),
                ]);
                self.emit("exposure", &payload, out);
            }
            let second = if result.is_ok() { "show" } else { "suppress" };
            // The context is built only when someone listens.
            // A decision decided again and held back again (the render still fails, the
            // visitor still types, the screen is still taken) was announced already.
            let told = self.retrying
                && matches!(&result, Err(s) if matches!(s.cap.as_str(), "render" | "waiting" | "oneAtATime"));
            if !told && (self.listens("decision") || self.listens(second)) {
                let payload = self.decision_js(&d, &result, message.as_ref(), now, &mut ctx_cache);
                self.emit_js(&["decision", second], &payload, out);
            }
        }
    }

    /// Holds a decision that lost only to the prompt on screen (one per rule; bounded).
    fn defer(&mut self, d: &Decision) {
        self.deferred.retain(|x| x.rule != d.rule);
        if self.deferred.len() >= MAX_DEFERRED {
            self.deferred.remove(0);
        }
        self.deferred.push(d.clone());
    }

    /// When the screen is free, the held decisions are decided again (highest
    /// priority first): the caps are checked anew, and the first that passes shows; the
    /// others wait again. Those that fired more than `DEFER_MS` ago are dropped.
    pub fn retry_deferred(&mut self, now: u64, out: &mut Vec<Emit>) {
        let screen_taken =
            self.engine.config().caps.one_at_a_time && self.engine.showing().is_some();
        if self.deferred.is_empty() || screen_taken || self.destroyed {
            return;
        }
        let mut held = core::mem::take(&mut self.deferred);
        held.retain(|d| now.saturating_sub(d.at) < DEFER_MS);
        crate::core::engine::sort(&mut held);
        self.retrying = true;
        self.process(held, now, out);
        self.retrying = false;
    }

    /// A shown rule's side effects: its host action, its webhook, the global webhook
    /// and the dataLayer.
    fn act(&mut self, d: &Decision, variant: Option<usize>, now: u64, out: &mut Vec<Emit>) {
        let Some(action) = self.engine.action_for(d.rule, variant) else {
            return;
        };
        let host = action.host.clone();
        let hook = action.webhook.clone();
        if host.is_some() || hook.is_some() {
            let ctx = self.engine.context(d, now);
            if let Some(name) = host {
                self.call_host(&name, &d.rule_id, &ctx, out);
            }
            if let Some(w) = hook {
                let payload = self.payload(&w, "show", &d.rule_id, &ctx, now);
                self.webhooks.send(&w.url, &payload);
            }
        }
        self.broadcast("show", &d.rule_id, d, now, out);
    }

    /// Queues a call of the host action `name` with `{rule, context}`.
    pub fn call_host(&self, name: &str, rule: &str, ctx: &Value, out: &mut Vec<Emit>) {
        let f = js_sys::Reflect::get(&self.actions, &JsValue::from_str(name))
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok());
        match f {
            Some(handler) => out.push(Emit {
                handler,
                payload: to_js(&obj([
                    ("rule", Value::Str(rule.into())),
                    ("context", ctx.clone()),
                ])),
            }),
            None => warn(&format!(
                "host action \"{name}\" is not registered (init options.actions)"
            )),
        }
    }

    fn payload(&self, w: &Webhook, event: &str, rule: &str, ctx: &Value, now: u64) -> Value {
        let id = super::env::random_id();
        let variant = ctx.get("variant").and_then(Value::as_str);
        webhook_payload(w, event, rule, variant, ctx, &id, &iso(now))
    }

    /// The global webhook and the dataLayer for a lifecycle event.
    fn broadcast(&mut self, event: &str, rule: &str, d: &Decision, now: u64, out: &mut Vec<Emit>) {
        let global = self.engine.config().webhook.clone();
        if let Some((w, events)) = global {
            if events.iter().any(|e| e == event) {
                let ctx = self.engine.context(d, now);
                let payload = self.payload(&w, event, rule, &ctx, now);
                self.webhooks.send(&w.url, &payload);
            }
        }
        if self.engine.config().data_layer {
            data_layer_push(event, rule);
        }
        let _ = out;
    }

    /// A lifecycle event for a rule after a show (click, dismiss, snooze, optout,
    /// convert): handlers, the global webhook, the dataLayer; a rule's own webhook also
    /// hears its conversions.
    pub fn lifecycle(
        &mut self,
        event: &str,
        rule: usize,
        props: &Value,
        now: u64,
        out: &mut Vec<Emit>,
    ) {
        let Some(r) = self.engine.rules().get(rule) else {
            return;
        };
        let d = Decision {
            rule,
            rule_id: r.id.clone(),
            priority: r.priority,
            at: now,
            event: Some(event.into()),
            props: props.clone(),
        };
        if event == "convert" {
            let variant = self.engine.assignment(rule).and_then(|a| a.shown());
            let hook = self
                .engine
                .action_for(rule, variant)
                .and_then(|a| a.webhook.clone());
            if let Some(w) = hook {
                let ctx = self.engine.context(&d, now);
                let payload = self.payload(&w, event, &d.rule_id, &ctx, now);
                self.webhooks.send(&w.url, &payload);
            }
        }
        let mut parts = vec![
            ("rule", Value::Str(d.rule_id.clone())),
            ("at", Value::Num(now as f64)),
            ("props", props.clone()),
        ];
        if let Some(x) = r.experiment.as_ref() {
            parts.push(("experiment", Value::Str(x.split.key.clone())));
            let variant = self
                .engine
                .assigned_variant(rule)
                .map(|s| Value::Str(s.into()))
                .unwrap_or_default();
            parts.push(("variant", variant));
        }
        self.emit(event, &obj(parts), out);
        let id = d.rule_id.clone();
        self.broadcast(event, &id, &d, now, out);
    }
}

/// `2026-11-29T05:00:00.000Z` for a time in ms.
fn iso(ms: u64) -> String {
    js_sys::Date::new(&JsValue::from_f64(ms as f64))
        .to_iso_string()
        .as_string()
        .unwrap_or_default()
}

/// `window.dataLayer.push({event: "cuekit_show", cuekit: {rule}})`, creating the array if
/// the page has none. A page's own `push` wrapper (GTM) is honoured.
fn data_layer_push(event: &str, rule: &str) {
    let Some(win) = web_sys::window() else { return };
    let key = JsValue::from_str("dataLayer");
    let mut layer = js_sys::Reflect::get(&win, &key).unwrap_or(JsValue::UNDEFINED);
    if layer.is_undefined() || layer.is_null() {
        layer = js_sys::Array::new().into();
        let _ = js_sys::Reflect::set(&win, &key, &layer);
    }
    let payload = to_js(&obj([
        ("event", Value::Str(format!("cuekit_{event}"))),
        (
            "cuekit",
            obj([
                ("rule", Value::Str(rule.into())),
                ("event", Value::Str(event.into())),
            ]),
        ),
    ]));
    let push = js_sys::Reflect::get(&layer, &JsValue::from_str("push"))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok());
    if let Some(push) = push {
        let _ = push.call1(&layer, &payload);
    }
}

/// Feeds one signal to the engine, re-arms the timer, then calls the host's handlers.
pub fn dispatch(shared: &Shared, signal: Signal) {
    dispatch_all(shared, signal, Vec::new());
}

/// Feeds the signals of one input (a click: `click`, then its `data-cuekit-event` and a
/// rage click) to the engine in order, then re-arms the timer, schedules the save and
/// calls the host's handlers once for all of them.
pub fn dispatch_all(shared: &Shared, first: Signal, more: Vec<Signal>) {
    // Re-entered from host code while we are busy: queued (see `reentry`).
    super::reentry::enter(shared, move |s: &Shared| run_signals(s, first, more));
}

fn run_signals(shared: &Shared, first: Signal, more: Vec<Signal>) {
    let mut emits = Vec::new();
    {
        let Ok(mut rt) = shared.try_borrow_mut() else {
            return;
        };
        if rt.destroyed || rt.paused {
            return;
        }
        let t = now();
        rt.catch_up_activity();
        for signal in core::iter::once(first).chain(more) {
            let decisions = rt.engine.handle(signal, t);
            rt.process(decisions, t, &mut emits);
        }
        if rt.engine.take_segments_changed() {
            let list = Value::Arr(
                rt.engine
                    .segments()
                    .iter()
                    .cloned()
                    .map(Value::Str)
                    .collect(),
            );
            rt.emit("segment", &obj([("segments", list)]), &mut emits);
        }
        rt.retry_deferred(t, &mut emits);
        arm(&mut rt, shared, t);
        save_soon(&mut rt, shared, t);
        for n in rt.engine.take_notices() {
            warn(n.message());
        }
    }
    call(shared, emits);
}

/// Processes due deadlines (the timer's callback, and on wake-up).
pub fn tick(shared: &Shared) {
    super::reentry::enter(shared, run_tick);
}

fn run_tick(shared: &Shared) {
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
        rt.catch_up_activity();
        let decisions = rt.engine.tick(t);
        rt.process(decisions, t, &mut emits);
        rt.retry_deferred(t, &mut emits);
        arm(&mut rt, shared, t);
        save_soon(&mut rt, shared, t);
    }
    call(shared, emits);
}

/// Runs `f` on the runtime (not while destroyed), re-arms the timer, saves, and then
/// calls the handlers `f` queued. Queued when the runtime is busy (see `reentry`).
pub fn with<R: Answer>(
    shared: &Shared,
    f: impl FnOnce(&mut Runtime, u64, &mut Vec<Emit>) -> R + 'static,
) -> Ran {
    with_dyn(shared, Box::new(move |rt, t, out| f(rt, t, out).answer()))
}

type WithFn = Box<dyn FnOnce(&mut Runtime, u64, &mut Vec<Emit>) -> bool>;

fn with_dyn(shared: &Shared, f: WithFn) -> Ran {
    let result = Rc::new(std::cell::Cell::new(None));
    let r2 = result.clone();
    let now = super::reentry::enter(shared, move |s: &Shared| r2.set(run_with(s, f)));
    match (now, result.get()) {
        (false, _) => Ran::Queued,
        (true, Some(r)) => Ran::Now(r),
        (true, None) => Ran::Gone,
    }
}

/// Changes the runtime without deciding anything (handlers, shutdown): now, or right
/// after the call under way.
pub fn apply(shared: &Shared, f: impl FnOnce(&mut Runtime) + 'static) {
    apply_dyn(shared, Box::new(f));
}

fn apply_dyn(shared: &Shared, f: Box<dyn FnOnce(&mut Runtime)>) {
    super::reentry::enter(shared, move |s: &Shared| {
        if let Ok(mut rt) = s.try_borrow_mut() {
            f(&mut rt);
        }
    });
}

fn run_with(shared: &Shared, f: WithFn) -> Option<bool> {
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
        rt.retry_deferred(t, &mut emits);
        arm(&mut rt, shared, t);
        rt.persist(false);
        r
    };
    call(shared, emits);
    Some(r)
}

/// The renderer's outcome callback: runs after the renderer released its own state.
pub fn on_ui(shared: &Shared, rule: &str, o: UiOutcome) {
    let rule = rule.to_string();
    with(shared, move |rt, now, out| {
        rt.ui_outcome(&rule, o, now, out)
    });
}

/// Saving after an input or a deadline: what must be saved now (a show: frequency caps
/// count it, in this tab and others) is written in a task of its own right after this
/// one, so the handler of a click or a `track()` call does not pay for `localStorage`,
/// and several shows in one task share one write. In a burst (two such writes in the
/// last `BURST_SAVE_MS`) the next write waits until the older is `BURST_SAVE_MS` old, so
/// many shows a second cost about two writes a second. Progress keeps its 5 s pace. The
/// visitor's choices and consent (API calls and message buttons, through `with`) are
/// written at once, and page hide and `destroy()` write whatever is pending.
fn save_soon(rt: &mut Runtime, shared: &Shared, t: u64) {
    // A show that a cap counts is written at once: another tab deciding a moment later
    // must count it (a cap is overshot only by tabs showing within the time storage
    // takes to reach the other tabs, a few ms).
    if rt.engine.owes_counted_show() {
        if rt.persist(false) {
            rt.last_burst = [rt.last_burst[1], t];
        }
        return;
    }
    let (urgent, lazy) = rt.engine.owes_save();
    if !(urgent || lazy || rt.lazy_pending) || !rt.store.writable() {
        return;
    }
    let lazy_due = (lazy || rt.lazy_pending) && t.saturating_sub(rt.last_save) >= LAZY_SAVE_MS;
    if !(urgent || lazy_due) {
        return;
    }
    let since = t.saturating_sub(rt.last_burst[0]);
    let wait = BURST_SAVE_MS.saturating_sub(since) as u32;
    let saver = rt.saver.get_or_insert_with(|| {
        let weak: Weak<RefCell<Runtime>> = Rc::downgrade(shared);
        super::dom::Later::new(move || {
            if let Some(shared) = weak.upgrade() {
                if let Ok(mut rt) = shared.try_borrow_mut() {
                    if rt.persist(false) {
                        rt.last_burst = [rt.last_burst[1], now()];
                    }
                }
            }
        })
    });
    saver.schedule(wait);
}

/// Keeps exactly one timer armed for the engine's next deadline. A timer armed for an
/// earlier moment is kept when the deadline moves later (activity postponing idle): it
/// wakes, finds nothing due, and re-arms — far cheaper than re-arming on every event.
fn arm(rt: &mut Runtime, shared: &Shared, t: u64) {
    let next = if rt.paused {
        None
    } else {
        rt.engine.next_deadline()
    };
    let keep = match (next, rt.armed_for) {
        (Some(n), Some(a)) => a <= n,
        (None, armed) => armed.is_none(),
        (Some(_), None) => false,
    };
    if keep {
        return;
    }
    rt.armed_for = next;
    let Some(deadline) = next else {
        if let Some(timer) = &rt.timer {
            timer.cancel();
        }
        return;
    };
    let wait = deadline.saturating_sub(t).min(MAX_TIMER_MS) as u32;
    // One timer for the runtime's life (a page's throwing setTimeout costs a wake-up, it
    // does not throw through us: see `dom::Later`).
    let timer = rt.timer.get_or_insert_with(|| {
        let weak: Weak<RefCell<Runtime>> = Rc::downgrade(shared);
        super::dom::Later::new(move || {
            if let Some(shared) = weak.upgrade() {
                tick(&shared);
            }
        })
    });
    timer.reschedule(wait);
}

/// The rendered message as text, for handlers and logs.
fn message_value(m: &Message) -> Value {
    let text = |t: &Option<String>| t.clone().map(Value::Str).unwrap_or_default();
    obj([
        ("format", Value::Str(m.format.name().into())),
        ("title", text(&m.title)),
        ("body", text(&m.body)),
        (
            "list",
            Value::Arr(m.list.iter().cloned().map(Value::Str).collect()),
        ),
        (
            "buttons",
            Value::Arr(
                m.buttons
                    .iter()
                    .map(|(label, ..)| Value::Str(label.clone()))
                    .collect(),
            ),
        ),
    ])
}

fn call(shared: &Shared, emits: Vec<Emit>) {
    for e in emits {
        if let Err(err) = e.handler.call1(&JsValue::UNDEFINED, &e.payload) {
            let first = shared
                .try_borrow_mut()
                .map(|mut rt| !core::mem::replace(&mut rt.warned, true))
                .unwrap_or(false);
            if first {
                super::host::warn(
                    &JsValue::from_str("[cuekit] a host handler threw (logged once):"),
                    &err,
                );
            }
        }
    }
}
