//! cuekit: a client-side behavioural-trigger SDK.
//!
//! `core` is pure Rust (no browser crates) and is tested natively; `web` is the thin
//! browser boundary, compiled only for wasm32. This file holds the wasm-bindgen API and
//! nothing else.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable,
        clippy::todo
    )
)]
pub mod core;
#[cfg(target_arch = "wasm32")]
pub mod web;

/// Talc instead of the standard library's dlmalloc: smaller and faster for the many
/// small, short-lived allocations of an event (property names, values, decisions).
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[cfg(target_arch = "wasm32")]
pub mod api {
    use std::cell::RefCell;
    use std::rc::Rc;

    use wasm_bindgen::prelude::*;

    use crate::core::caps::{Kind, ALL};
    use crate::core::config::{compile_with, Config};
    use crate::core::engine::{Engine, Signal};
    use crate::core::reader::ConfigError;
    use crate::core::regex::LinearRegex;
    use crate::core::value::{obj, Value};
    use crate::web::convert::{from_js, from_js_data, to_js};
    use crate::web::dom::Listener;
    use crate::web::env::{now, random_id, warn};
    use crate::web::listeners::{valid_selector, Listeners};
    use crate::web::page;
    use crate::web::render::Renderer;
    use crate::web::runtime::{self, Runtime, Shared};
    use crate::web::storage::Store;
    use crate::web::webhook::Webhooks;
    use wasm_bindgen::JsCast;

    fn errors_value(errors: &[ConfigError]) -> Value {
        Value::Arr(
            errors
                .iter()
                .map(|e| {
                    obj([
                        ("path", Value::Str(e.path.clone())),
                        ("message", Value::Str(e.message.clone())),
                    ])
                })
                .collect(),
        )
    }

    fn error_text(errors: &[ConfigError]) -> String {
        let mut s = String::from("cuekit: invalid config:");
        for e in errors {
            s.push_str("\n  ");
            // A problem with the whole config (not an object, not JSON) has no path.
            if !e.path.is_empty() {
                s.push_str(&e.path);
                s.push_str(": ");
            }
            s.push_str(&e.message);
        }
        s
    }

    /// Checks a config without starting anything: `[]` when valid, else every problem as
    /// `{path, message}`.
    #[wasm_bindgen]
    pub fn validate(config: JsValue) -> JsValue {
        let errors = match compile_checked(&config) {
            Ok(_) => Vec::new(),
            Err(errs) => errs,
        };
        to_js(&errors_value(&errors))
    }

    /// Analyses per-variant totals `[{exposures, clicks, conversions, dismissals}, …]`
    /// (control first): rates with Wilson 95 % intervals, lift and a two-proportion
    /// z-test against the control, chi-square tests across variants, and `tooSmall` when
    /// the sample cannot support a conclusion. Throws on malformed counts.
    #[wasm_bindgen]
    pub fn analyze(counts: JsValue) -> Result<JsValue, JsError> {
        let v = from_js(&counts).map_err(|e| JsError::new(&e))?;
        let counts = crate::core::stats::counts_from_value(&v).ok_or_else(|| {
            JsError::new("analyze(counts): expected a list of {exposures, clicks, conversions, dismissals} with whole numbers")
        })?;
        Ok(to_js(&crate::core::stats::analyze(&counts).to_value()))
    }

    /// A running cuekit instance.
    #[wasm_bindgen]
    pub struct Cuekit {
        rt: Shared,
        listeners: RefCell<Option<Listeners>>,
        storage_listener: RefCell<Option<Listener>>,
        gpc: bool,
        /// `track()` calls beyond the config's `rateLimit` are dropped (warned once).
        rate: RefCell<Option<crate::core::rate::RateLimit>>,
        rate_warned: std::cell::Cell<bool>,
    }

    /// Validates and compiles `config`: every problem, including selectors the browser
    /// cannot parse.
    fn compile_checked(config: &JsValue) -> Result<Config, Vec<ConfigError>> {
        compile_value(&read_config(config)?)
    }

    /// The host's config object as a `Value` (one JSON round trip).
    fn read_config(config: &JsValue) -> Result<Value, Vec<ConfigError>> {
        from_js(config).map_err(|e| {
            vec![ConfigError {
                path: String::new(),
                message: e,
            }]
        })
    }

    fn compile_value(v: &Value) -> Result<Config, Vec<ConfigError>> {
        compile_with(v, &LinearRegex, &valid_selector)
    }

    /// Validates and compiles `config`, restores the visitor's state, attaches the
    /// listeners and records the page view. Throws (an `Error` listing every problem by
    /// path) only for a bad config.
    #[wasm_bindgen]
    pub fn create(config: JsValue) -> Result<Cuekit, JsError> {
        create_with(config, JsValue::UNDEFINED)
    }

    /// As `create`, with options: `{actions: {name(payload) {…}}}` (host actions called
    /// by rules and buttons).
    #[wasm_bindgen(js_name = createWith)]
    pub fn create_with(config: JsValue, options: JsValue) -> Result<Cuekit, JsError> {
        Ok(parse_config(config)?.compile()?.start(options))
    }

    /// `createWith` comes in three calls, so that the host's page can run in between
    /// (`init()` does this): read the config (`parseConfig`), validate and compile it
    /// (`Parsed.compile`), start (`Prepared.start`).
    #[wasm_bindgen]
    pub struct Parsed {
        v: Value,
    }

    /// A config validated and compiled, not started yet.
    #[wasm_bindgen]
    pub struct Prepared {
        cfg: Config,
    }

    /// Reads the host's config object. Throws when JSON cannot represent it.
    #[wasm_bindgen(js_name = parseConfig)]
    pub fn parse_config(config: JsValue) -> Result<Parsed, JsError> {
        read_config(&config)
            .map(|v| Parsed { v })
            .map_err(|errs| JsError::new(&error_text(&errs)))
    }

    /// `parseConfig` for a config already made JSON text (by `init()`, while the module
    /// was still loading).
    #[wasm_bindgen(js_name = parseConfigText)]
    pub fn parse_config_text(text: &str) -> Result<Parsed, JsError> {
        crate::web::convert::from_json(text)
            .map(|v| Parsed { v })
            .map_err(|message| {
                JsError::new(&error_text(&[ConfigError {
                    path: String::new(),
                    message,
                }]))
            })
    }

    #[wasm_bindgen]
    impl Parsed {
        /// Validates and compiles the config. Throws (an `Error` listing every problem by
        /// path) for a bad config; consumes the parsed config.
        pub fn compile(self) -> Result<Prepared, JsError> {
            let cfg = compile_value(&self.v).map_err(|errs| JsError::new(&error_text(&errs)))?;
            Ok(Prepared { cfg })
        }
    }

    #[wasm_bindgen]
    impl Prepared {
        /// The last step of `createWith`: restores the visitor's state, attaches the
        /// listeners and records the page view. Never throws; consumes the prepared config.
        pub fn start(self, options: JsValue) -> Cuekit {
            let Prepared { cfg } = self;
            let prefix = cfg.storage_key.clone();
            let t = now();
            let gpc = cfg.honor_gpc && global_privacy_control();
            let require = cfg.require_consent || gpc;
            let run_before = cfg.run_before_consent;
            let mut store = Store::open(&prefix);
            let (mut state, repaired) = if gpc {
                // Global Privacy Control: nothing is kept, and what was kept is erased.
                store.clear();
                (Default::default(), false)
            } else {
                store.load(t)
            };
            if repaired {
                warn("stored state was partly unreadable and has been reset");
            }
            if require && !state.consent {
                // Stored without consent (e.g. the config changed): not used, not written.
                // Only the facts stay: a withdrawal and an erasure win over other tabs.
                state = crate::core::state::State {
                    erased: state.erased,
                    consent_at: state.consent_at,
                    ..Default::default()
                };
                store.set_allowed(false);
            }
            let watch = cfg.watch.clone();
            let rate = cfg
                .rate_limit
                .map(|(per, burst)| crate::core::rate::RateLimit::new(per, burst, t));
            let mut engine = Engine::new(cfg, state, &random_id(), t);
            // getTimezoneOffset() is UTC minus local time.
            engine.set_utc_offset_minutes(-(js_sys::Date::new_0().get_timezone_offset() as i32));
            // QA: `?cuekit_force=rule:variant` shows a chosen variant.
            if let Some(Value::Str(f)) = page::parse_query(
                &web_sys::window()
                    .and_then(|w| w.location().search().ok())
                    .unwrap_or_default(),
            )
            .get("cuekit_force")
            {
                for pair in f.split(',') {
                    if let Some((rule, variant)) = pair.split_once(':') {
                        engine.force_variant(rule, variant);
                    }
                }
            }
            let consented = engine.consent_granted();
            let actions = js_sys::Reflect::get(&options, &JsValue::from_str("actions"))
                .ok()
                .filter(|a| a.is_object())
                .unwrap_or_else(|| js_sys::Object::new().into());
            let mut webhooks = Webhooks::new(&prefix, !require || consented);
            if gpc {
                // A queue stored before Global Privacy Control was on goes with the rest.
                webhooks.erase();
            }
            // The renderer reports outcomes through a slot filled once the runtime exists.
            let slot: Rc<RefCell<std::rc::Weak<RefCell<Runtime>>>> =
                Rc::new(RefCell::new(std::rc::Weak::new()));
            let s2 = slot.clone();
            let renderer = Renderer::new(Rc::new(move |rule: &str, o| {
                let rt = s2.try_borrow().ok().and_then(|w| w.upgrade());
                if let Some(rt) = rt {
                    runtime::on_ui(&rt, rule, o);
                }
            }));
            let rt = Runtime::new(engine, store, renderer, webhooks, actions);
            if let Ok(mut s) = slot.try_borrow_mut() {
                *s = Rc::downgrade(&rt);
            }
            if let Ok(mut r) = rt.try_borrow_mut() {
                r.paused = require && !consented && !run_before;
                r.require = require;
                r.run_before = run_before;
            }
            let weak = Rc::downgrade(&rt);
            let listeners = Listeners::attach(&rt, watch, move || {
                if let Some(rt) = weak.upgrade() {
                    if let Ok(mut rt) = rt.try_borrow_mut() {
                        rt.persist(true);
                        rt.webhooks.flush_beacon();
                    }
                }
            });
            // Another tab wrote: merge its ledger and windows (no dismiss or opt-out is lost).
            let weak = Rc::downgrade(&rt);
            let storage_listener = web_sys::window().and_then(|w| {
                Listener::new(w.as_ref(), "storage", false, move |ev: web_sys::Event| {
                    let Some(rt) = weak.upgrade() else { return };
                    let Some(se) = ev.dyn_ref::<web_sys::StorageEvent>() else {
                        return;
                    };
                    let (key, text) = (se.key(), se.new_value());
                    runtime::with(&rt, |rt, now, _| {
                        if let Some(other) = rt.store.incoming(key, text, now) {
                            rt.merge_stored(&other, now);
                        }
                    });
                })
            });
            let ck = Cuekit {
                rt,
                listeners: RefCell::new(Some(listeners)),
                storage_listener: RefCell::new(storage_listener),
                gpc,
                rate: RefCell::new(rate),
                rate_warned: std::cell::Cell::new(false),
            };
            // `options.on = {show: fn, decision: [fn, fn]}`: handlers in place before the
            // start-up page view, so they hear decisions made during `init` too.
            if let Some(on) = js_sys::Reflect::get(&options, &JsValue::from_str("on"))
                .ok()
                .filter(|o| o.is_object())
            {
                if let Ok(mut rt) = ck.rt.try_borrow_mut() {
                    for key in js_sys::Object::keys(on.unchecked_ref::<js_sys::Object>()).iter() {
                        let (Some(name), Ok(v)) =
                            (key.as_string(), js_sys::Reflect::get(&on, &key))
                        else {
                            continue;
                        };
                        let list: Vec<JsValue> = if js_sys::Array::is_array(&v) {
                            js_sys::Array::from(&v).iter().collect()
                        } else {
                            vec![v]
                        };
                        for f in list {
                            if let Ok(f) = f.dyn_into::<js_sys::Function>() {
                                rt.on(&name, f);
                            }
                        }
                    }
                }
            }
            runtime::dispatch(
                &ck.rt,
                Signal::PageView {
                    page: page::current(),
                },
            );
            ck
        }
    }

    /// Global Privacy Control on, or Do Not Track set.
    fn global_privacy_control() -> bool {
        let Some(nav) = web_sys::window().map(|w| w.navigator()) else {
            return false;
        };
        let get = |k: &str| {
            js_sys::Reflect::get(&nav, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED)
        };
        get("globalPrivacyControl").as_bool() == Some(true)
            || get("doNotTrack").as_string().as_deref() == Some("1")
    }

    fn rule_arg(rule: &JsValue) -> String {
        rule.as_string().unwrap_or_else(|| ALL.to_string())
    }

    #[wasm_bindgen]
    impl Cuekit {
        /// Records a visitor outcome for a rule, tells handlers/webhooks and takes the
        /// message off the screen. Made from host code that runs inside cuekit's own work
        /// (a `focusin` listener while a modal takes focus), it is applied right after
        /// that work and returns `true` (accepted; an unknown rule id is warned about when
        /// it is applied).
        fn outcome(&self, rule: &str, kind: Kind) -> bool {
            let rule = rule.to_string();
            runtime::with(&self.rt, move |rt, now, out| {
                let ok = rt.visitor_outcome(&rule, kind, now, out);
                if !ok {
                    warn("unknown rule id; ignored");
                }
                ok
            })
            .or(true)
        }

        /// The visitor dismissed a rule's prompt (feeds dismiss cooldowns).
        pub fn dismiss(&self, rule: &str) -> bool {
            self.outcome(rule, Kind::Dismiss)
        }

        /// The visitor clicked a rule's call to action.
        pub fn click(&self, rule: &str) -> bool {
            self.outcome(rule, Kind::Click)
        }

        /// A conversion attributed to a rule (feeds conversion cooldowns).
        pub fn convert(&self, rule: &str) -> bool {
            self.outcome(rule, Kind::Convert)
        }

        /// "Remind me later": the rule (or, without a rule, every rule) stays quiet for
        /// `duration` ("1h", "1d", or ms).
        pub fn snooze(&self, rule: JsValue, duration: JsValue) -> bool {
            let ms = from_js(&duration)
                .ok()
                .and_then(|v| crate::core::reader::parse_duration(&v).ok());
            match ms {
                Some(ms) => self.outcome(&rule_arg(&rule), Kind::Snooze(ms)),
                None => {
                    warn("snooze(rule, duration): expected a duration such as \"1d\"; ignored");
                    false
                }
            }
        }

        /// "Don't show this again" for one rule, or quiet mode for every rule.
        #[wasm_bindgen(js_name = optOut)]
        pub fn opt_out(&self, rule: JsValue) -> bool {
            self.outcome(&rule_arg(&rule), Kind::OptOut)
        }

        /// Reverses an opt-out or snooze (for one rule, or quiet mode).
        #[wasm_bindgen(js_name = optIn)]
        pub fn opt_in(&self, rule: JsValue) -> bool {
            self.outcome(&rule_arg(&rule), Kind::OptIn)
        }

        /// The prompt of `rule` left the screen without an outcome.
        pub fn closed(&self, rule: &str) {
            let rule = rule.to_string();
            runtime::with(&self.rt, move |rt, _, _| rt.engine.closed(&rule));
        }

        /// Per experiment: this visitor's variant, exposure and outcomes.
        pub fn stats(&self) -> JsValue {
            match self.rt.try_borrow() {
                Ok(rt) => to_js(&rt.engine.stats()),
                Err(_) => JsValue::NULL,
            }
        }

        /// The visitor's segments now (rule-based first, then the centroid segment).
        pub fn segments(&self) -> JsValue {
            match self.rt.try_borrow() {
                Ok(rt) => to_js(&Value::Arr(
                    rt.engine
                        .segments()
                        .iter()
                        .cloned()
                        .map(Value::Str)
                        .collect(),
                )),
                Err(_) => JsValue::NULL,
            }
        }

        /// Everything cuekit keeps about the visitor (for a data-access request): the
        /// visitor, session, pattern progress, host attributes and the ledger of shows and
        /// choices, as stored.
        pub fn export(&self) -> JsValue {
            match self.rt.try_borrow() {
                Ok(rt) => js_sys::JSON::parse(&rt.engine.state_json()).unwrap_or(JsValue::NULL),
                Err(_) => JsValue::NULL,
            }
        }

        /// Erases everything stored about the visitor and starts afresh (queued webhook
        /// payloads too).
        pub fn forget(&self) {
            runtime::with(&self.rt, |rt, now, _| {
                rt.store.clear();
                rt.webhooks.erase();
                rt.engine.forget(&random_id(), now);
            });
        }

        /// The host's consent decision. `true`: storage is used from now on. `false`:
        /// stored state is erased and nothing more is stored. Ignored (true) under Global
        /// Privacy Control when `honorGPC` is set.
        pub fn consent(&self, granted: bool) {
            if granted && self.gpc {
                warn("consent(true) ignored: Global Privacy Control is on and honorGPC is set");
                return;
            }
            runtime::with(&self.rt, move |rt, now, _| {
                // Withdrawal erases; the record left in storage is the withdrawal alone
                // (written by the save that follows), which every other tab obeys.
                rt.engine.set_consent(granted, &random_id(), now);
                rt.apply_consent(granted);
            });
        }

        /// Where the state lives: `"storage"` or `"memory"`.
        pub fn storage(&self) -> String {
            match self.rt.try_borrow() {
                Ok(rt) if !rt.store.memory_only() => "storage".into(),
                _ => "memory".into(),
            }
        }

        /// Records a host event: `track('add_to_cart', {sku: 'mug-1'})`. Never throws.
        pub fn track(&self, name: JsValue, props: JsValue) {
            let Some(name) = name.as_string() else {
                warn("track(name, props): name must be a string; ignored");
                return;
            };
            if !self.rate_allows() {
                return;
            }
            self.track_value(name, from_js_data(&props));
        }

        /// `track` with the properties already as JSON text (`JSON.stringify` run by the
        /// JS wrapper): the common call crosses the boundary as two strings and nothing
        /// else. Never throws.
        #[wasm_bindgen(js_name = trackText)]
        pub fn track_text(&self, name: String, props: &str) {
            if !self.rate_allows() {
                return;
            }
            // An event no rule names (analytics the host also sends here) is counted, but
            // its properties are not read: nothing would look at them. The wrapper's
            // `JSON.stringify` of an object always starts with `{`.
            let used = self
                .rt
                .try_borrow()
                .map_or(true, |rt| rt.engine.uses_event(&name));
            let props = if !used && props.starts_with('{') {
                Ok(Value::Obj(Default::default()))
            } else {
                crate::web::convert::from_json_data(props)
            };
            self.track_value(name, props);
        }

        fn track_value(&self, name: String, props: Result<Value, String>) {
            let props = match props {
                Ok(Value::Null) => Value::Obj(Default::default()),
                Ok(v @ Value::Obj(_)) => v,
                Ok(_) => {
                    warn("track(name, props): props must be a plain object; ignored");
                    return;
                }
                Err(e) => {
                    warn(&format!(
                        "track(name, props): props not read ({e}); ignored"
                    ));
                    return;
                }
            };
            runtime::dispatch(
                &self.rt,
                Signal::Event {
                    name,
                    props,
                    targets: Vec::new(),
                },
            );
        }

        /// The config's `rateLimit` on `track()`: false drops the call (warning once).
        fn rate_allows(&self) -> bool {
            let allowed = match self.rate.try_borrow_mut() {
                Ok(mut r) => r.as_mut().is_none_or(|r| r.allow(now())),
                Err(_) => false,
            };
            if !allowed && !self.rate_warned.replace(true) {
                warn(
                    "track() is called faster than the config's rateLimit; extra calls are dropped",
                );
            }
            allowed
        }

        /// Merges host attributes (plan, cart, logged-in…) usable in conditions. Never throws.
        pub fn identify(&self, attrs: JsValue) {
            match from_js_data(&attrs) {
                Ok(Value::Obj(m)) => runtime::dispatch(&self.rt, Signal::Identify(m)),
                Err(e) => warn(&format!(
                    "identify(attributes): attributes not read ({e}); ignored"
                )),
                Ok(_) => warn("identify(attributes): expected a plain object; ignored"),
            }
        }

        /// Records a page view (SPA navigation), reading the current location.
        #[wasm_bindgen(js_name = pageView)]
        pub fn page_view(&self) {
            runtime::dispatch(
                &self.rt,
                Signal::PageView {
                    page: page::current(),
                },
            );
        }

        /// Why a rule did or did not fire; `null` for an unknown rule id.
        pub fn explain(&self, rule_id: &str) -> JsValue {
            let Ok(rt) = self.rt.try_borrow() else {
                return JsValue::NULL;
            };
            match rt.engine.explain(rule_id, now()) {
                Some(v) => to_js(&v),
                None => JsValue::NULL,
            }
        }

        /// Subscribes to lifecycle events (`decision`). From inside cuekit's own work (a
        /// host listener during a render), it takes effect right after that work.
        pub fn on(&self, event: &str, handler: js_sys::Function) {
            let event = event.to_string();
            runtime::apply(&self.rt, move |rt| rt.on(&event, handler));
        }

        pub fn off(&self, event: &str, handler: js_sys::Function) {
            let event = event.to_string();
            runtime::apply(&self.rt, move |rt| rt.off(&event, &handler));
        }

        /// The engine's deadline, for diagnostics (`null` when nothing is waiting).
        #[wasm_bindgen(js_name = nextDeadline)]
        pub fn next_deadline(&self) -> JsValue {
            self.rt
                .try_borrow()
                .ok()
                .and_then(|rt| rt.engine.next_deadline())
                .map(|d| JsValue::from_f64(d as f64))
                .unwrap_or(JsValue::NULL)
        }

        /// The visitor and session as the engine sees them.
        pub fn visitor(&self) -> JsValue {
            let Ok(rt) = self.rt.try_borrow() else {
                return JsValue::NULL;
            };
            js_sys::JSON::parse(&rt.engine.visitor_json(now())).unwrap_or(JsValue::NULL)
        }

        /// Removes every listener, observer, timer and handler; saves the state first.
        /// From inside cuekit's own work (a host listener during a render), the page's
        /// listeners go at once and the rest right after that work.
        pub fn destroy(&self) {
            if let Ok(mut l) = self.listeners.try_borrow_mut() {
                l.take();
            }
            if let Ok(mut l) = self.storage_listener.try_borrow_mut() {
                l.take();
            }
            runtime::apply(&self.rt, |rt| {
                rt.persist(true);
                rt.shutdown();
            });
        }
    }
}
