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

#[cfg(target_arch = "wasm32")]
pub mod api {
    use std::cell::RefCell;
    use std::rc::Rc;

    use wasm_bindgen::prelude::*;

    use crate::core::config::{compile, Config};
    use crate::core::engine::{Engine, Signal};
    use crate::core::reader::ConfigError;
    use crate::core::value::{obj, Value};
    use crate::web::convert::{from_js, from_js_data, to_js};
    use crate::web::listeners::{check_selectors, Listeners};
    use crate::web::regex::JsRegex;
    use crate::web::runtime::{self, Runtime, Shared};
    use crate::web::storage::{random_id, Store};
    use crate::web::{page, runtime::now};

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
            s.push_str(&e.path);
            s.push_str(": ");
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

    /// A running cuekit instance.
    #[wasm_bindgen]
    pub struct Cuekit {
        rt: Shared,
        listeners: RefCell<Option<Listeners>>,
    }

    /// Validates and compiles `config`: every problem, including selectors the browser
    /// cannot parse.
    fn compile_checked(config: &JsValue) -> Result<(Value, Config), Vec<ConfigError>> {
        let v = from_js(config).map_err(|e| {
            vec![ConfigError {
                path: String::new(),
                message: e,
            }]
        })?;
        let cfg = compile(&v, &JsRegex)?;
        let errors = check_selectors(&cfg.watch);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok((v, cfg))
    }

    /// Validates and compiles `config`, restores the visitor's state, attaches the
    /// listeners and records the page view. Throws (an `Error` listing every problem by
    /// path) only for a bad config.
    #[wasm_bindgen]
    pub fn create(config: JsValue) -> Result<Cuekit, JsError> {
        let (v, cfg) = compile_checked(&config).map_err(|errs| JsError::new(&error_text(&errs)))?;
        let prefix = v
            .get("storageKey")
            .and_then(Value::as_str)
            .unwrap_or("cuekit")
            .to_string();
        let t = now();
        let mut store = Store::open(&prefix);
        let (state, repaired) = store.load(t);
        if repaired {
            runtime::warn("stored state was partly unreadable and has been reset");
        }
        let watch = cfg.watch.clone();
        let engine = Engine::new(cfg, state, &random_id(), t);
        let rt = Runtime::new(engine, store);
        let weak = Rc::downgrade(&rt);
        let listeners = Listeners::attach(&rt, watch, move || {
            if let Some(rt) = weak.upgrade() {
                if let Ok(mut rt) = rt.try_borrow_mut() {
                    rt.persist(true);
                }
            }
        });
        let ck = Cuekit {
            rt,
            listeners: RefCell::new(Some(listeners)),
        };
        runtime::dispatch(
            &ck.rt,
            Signal::PageView {
                page: page::current(),
            },
        );
        Ok(ck)
    }

    #[wasm_bindgen]
    impl Cuekit {
        fn persist(&self) {
            if let Ok(mut rt) = self.rt.try_borrow_mut() {
                rt.persist(false);
            }
        }

        /// Records a host event: `track('add_to_cart', {sku: 'mug-1'})`. Never throws.
        pub fn track(&self, name: JsValue, props: JsValue) {
            let Some(name) = name.as_string() else {
                runtime::warn("track(name, props): name must be a string; ignored");
                return;
            };
            let props = match from_js_data(&props) {
                Ok(Value::Null) => Value::Obj(Default::default()),
                Ok(v @ Value::Obj(_)) => v,
                Ok(_) | Err(_) => {
                    runtime::warn("track(name, props): props must be a plain object; ignored");
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
            self.persist();
        }

        /// Merges host attributes (plan, cart, logged-in…) usable in conditions. Never throws.
        pub fn identify(&self, attrs: JsValue) {
            match from_js_data(&attrs) {
                Ok(Value::Obj(m)) => runtime::dispatch(&self.rt, Signal::Identify(m)),
                _ => runtime::warn("identify(attributes): expected a plain object; ignored"),
            }
            self.persist();
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
            self.persist();
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

        /// Subscribes to lifecycle events (`decision`).
        pub fn on(&self, event: &str, handler: js_sys::Function) {
            if let Ok(mut rt) = self.rt.try_borrow_mut() {
                rt.on(event, handler);
            }
        }

        pub fn off(&self, event: &str, handler: js_sys::Function) {
            if let Ok(mut rt) = self.rt.try_borrow_mut() {
                rt.off(event, &handler);
            }
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
            let st = rt.engine.export_state();
            let v = st.to_value();
            to_js(&obj([
                ("visitor", v.get("visitor").cloned().unwrap_or_default()),
                ("session", v.get("session").cloned().unwrap_or_default()),
            ]))
        }

        /// Removes every listener, observer, timer and handler; saves the state first.
        pub fn destroy(&self) {
            if let Ok(mut l) = self.listeners.try_borrow_mut() {
                l.take();
            }
            if let Ok(mut rt) = self.rt.try_borrow_mut() {
                rt.persist(true);
                rt.shutdown();
            }
        }
    }
}
