//! The `fetch` / `sendBeacon` recorders and helpers shared by the webhook browser tests.

use cuekit::core::value::{obj, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

pub const URL: &str = "http://localhost:9/hook";

/// Installs the recorders. `script` is a JS array of answers, used in order (then 200):
/// `{status, headers}`, `{reject: true}` (network error), `{throwSync: true}` (a fetch
/// wrapper that throws), `{hang: true}` (answered 200 by `__hooks.release()`, a network
/// error by `__hooks.release(true)`),
/// `{redirect: true}` (what `redirect: "manual"` gives for a 3xx).
pub fn install(script: &str) {
    js(&format!(
        r#"
        if (!window.__orig) {{
            window.__orig = {{ fetch: window.fetch, beacon: navigator.sendBeacon,
                               setItem: Storage.prototype.setItem }};
        }}
        Storage.prototype.setItem = window.__orig.setItem;
        const h = {{ calls: [], beacons: [], script: {script}, waiting: [] }};
        h.release = (fail) => {{ const w = h.waiting; h.waiting = []; w.forEach((r) => r(fail)); }};
        window.__hooks = h;
        window.fetch = function (url, init) {{
            init = init || {{}};
            h.calls.push({{
                url: String(url), method: init.method, body: init.body,
                contentType: init.headers && init.headers['Content-Type'],
                keepalive: init.keepalive, credentials: init.credentials, mode: init.mode,
                redirect: init.redirect, referrerPolicy: init.referrerPolicy,
                nullProto: Object.getPrototypeOf(init) === null
                    && Object.getPrototypeOf(init.headers) === null,
                signal: !!init.signal, t: performance.now(),
            }});
            const next = h.script.length ? h.script.shift() : {{ status: 200 }};
            if (next.throwSync) throw new Error('fetch wrapper threw');
            if (next.reject) return Promise.reject(new TypeError('Failed to fetch'));
            if (next.redirect) return Promise.resolve({{ type: 'opaqueredirect', status: 0, headers: new Headers() }});
            if (next.hang) {{
                return new Promise((resolve, reject) => h.waiting.push((fail) => fail
                    ? reject(new TypeError('Failed to fetch'))
                    : resolve(new Response(null, {{ status: 200 }}))));
            }}
            return Promise.resolve(new Response(null, {{ status: next.status, headers: next.headers || {{}} }}));
        }};
        navigator.sendBeacon = function (url, data) {{
            h.beacons.push({{ url: String(url), data: typeof data === 'string' ? data : String(data) }});
            return true;
        }};
        "#
    ));
}

pub fn js(code: &str) -> JsValue {
    js_sys::Function::new_no_args(code)
        .call0(&JsValue::UNDEFINED)
        .expect("test JS")
}

pub fn calls() -> u32 {
    js("return window.__hooks.calls.length").as_f64().unwrap() as u32
}

pub fn call(i: u32, field: &str) -> JsValue {
    js(&format!("return window.__hooks.calls[{i}].{field}"))
}

pub fn beacons() -> u32 {
    js("return window.__hooks.beacons.length").as_f64().unwrap() as u32
}

pub fn stored(prefix: &str) -> Option<String> {
    web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .get_item(&format!("{prefix}:webhooks"))
        .unwrap()
}

pub fn clear_storage(prefix: &str) {
    let _ = web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .remove_item(&format!("{prefix}:webhooks"));
}

pub async fn sleep(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    JsFuture::from(p).await.unwrap();
}

pub fn payload(sku: &str) -> Value {
    obj([
        ("type", Value::Str("track".into())),
        ("event", Value::Str("cuekit show".into())),
        (
            "properties",
            obj([
                ("rule", Value::Str("cart".into())),
                ("props.sku", Value::Str(sku.into())),
                ("qty", Value::Num(2.0)),
            ]),
        ),
    ])
}

pub fn payload_json(sku: &str) -> String {
    format!(
        r#"{{"type":"track","event":"cuekit show","properties":{{"rule":"cart","props.sku":"{sku}","qty":2}}}}"#
    )
}

pub fn fresh(prefix: &str, script: &str) {
    clear_storage(prefix);
    install(script);
}
