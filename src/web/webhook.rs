//! Webhook delivery: the pure `core::queue::Queue` driven by one RAII timer, `fetch`
//! and, on page hide, `navigator.sendBeacon`.
//!
//! - `send` only queues (and persists) the payload and arms a 0 ms timer: `fetch` is
//!   called later from the timer, never inside the caller's borrow of the runtime
//!   (a page may have wrapped `fetch` with code that calls back into cuekit).
//! - Requests: `POST`, `Content-Type: application/json`, `credentials: "omit"`,
//!   `mode: "cors"`, `keepalive: true` while the page's 64 KB keepalive quota allows,
//!   and a 30 s `AbortSignal.timeout` where the browser has it. At most
//!   `queue::MAX_IN_FLIGHT` at once. Receivers must answer the CORS preflight and
//!   expose `Retry-After` (`Access-Control-Expose-Headers: Retry-After`) to have it
//!   honoured.
//! - The queue lives in `localStorage` under `{prefix}:webhooks` (written only when it
//!   changed; removed when empty), so a reload sends what was pending. A storage failure
//!   switches to memory for the rest of the page.
//! - Without consent nothing is queued, stored or sent; withdrawing it drops the queue
//!   and its stored copy.
//! - Everything here is infallible for the caller: a missing or throwing `fetch`,
//!   `sendBeacon` or `localStorage` is a failed attempt or a memory-only queue, never
//!   an exception in the page.
//! - Dropping `Webhooks` cancels the timer; answers to requests still in flight find
//!   only a dead `Weak` and do nothing.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gloo_timers::callback::Timeout;
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use super::runtime::{now, warn};
use crate::core::json;
use crate::core::queue::{self, classify, network_error, parse_retry_after, Outcome, Queue};
use crate::core::url::check_webhook;
use crate::core::value::Value;

/// The keepalive quota browsers share between `keepalive` fetches and beacons.
const KEEPALIVE_QUOTA: usize = queue::BEACON_LIMIT;
/// A request with no answer after this long is aborted (a network error: retried).
const REQUEST_TIMEOUT_MS: f64 = 30_000.0;
/// Longest single timer wait (the queue never needs more; `setTimeout` overflows past
/// 2^31-1 ms).
const MAX_WAIT_MS: u64 = queue::MAX_RETRY_AFTER_MS;

/// The webhook sender of one cuekit instance.
pub struct Webhooks {
    inner: Rc<RefCell<Inner>>,
}

struct Inner {
    queue: Queue,
    key: String,
    storage: Option<web_sys::Storage>,
    storage_failed: bool,
    /// The text last read or written, so an unchanged queue is never written again.
    last: String,
    allowed: bool,
    stopped: bool,
    timer: Option<Timeout>,
    armed_for: Option<u64>,
    /// Body bytes of our keepalive requests in flight.
    keepalive_bytes: usize,
    warned_full: bool,
}

impl Webhooks {
    /// A sender persisting under `{prefix}:webhooks`. `allowed` is the consent state:
    /// when false nothing is read, stored or sent until `set_allowed(true)`.
    pub fn new(prefix: &str, allowed: bool) -> Webhooks {
        // `window.localStorage` itself can throw (SecurityError): probe once.
        let storage = web_sys::window().and_then(|w| w.local_storage().ok().flatten());
        let mut inner = Inner {
            queue: Queue::new(),
            key: format!("{prefix}:webhooks"),
            storage,
            storage_failed: false,
            last: String::new(),
            allowed,
            stopped: false,
            timer: None,
            armed_for: None,
            keepalive_bytes: 0,
            warned_full: false,
        };
        if allowed {
            inner.load(now());
        }
        let w = Webhooks {
            inner: Rc::new(RefCell::new(inner)),
        };
        arm(&w.inner);
        w
    }

    /// Queues `payload` (as JSON) for `url` and schedules delivery. Ignored without
    /// consent, after `shutdown`, or for a URL `check_webhook` refuses.
    pub fn send(&self, url: &str, payload: &Value) {
        if check_webhook(url).is_err() {
            return;
        }
        {
            let Ok(mut i) = self.inner.try_borrow_mut() else {
                return;
            };
            if !i.allowed || i.stopped {
                return;
            }
            let before = i.queue.dropped();
            let queued = i
                .queue
                .enqueue(url.into(), json::to_json(payload), now())
                .is_some();
            if (!queued || i.queue.dropped() > before) && !i.warned_full {
                i.warned_full = true;
                warn("webhook queue full (endpoint down?): dropping the oldest payloads");
            }
            i.save();
        }
        arm(&self.inner);
    }

    /// For `pagehide`: hands the waiting payloads to `navigator.sendBeacon` (as
    /// `text/plain;charset=UTF-8`, which needs no CORS preflight), within the keepalive
    /// quota our own requests in flight leave. What the browser accepts leaves the
    /// queue; what it refuses stays for the next page.
    pub fn flush_beacon(&self) {
        let items = {
            let Ok(mut i) = self.inner.try_borrow_mut() else {
                return;
            };
            if !i.allowed || i.stopped {
                return;
            }
            let budget = KEEPALIVE_QUOTA.saturating_sub(i.keepalive_bytes);
            i.queue.beacon_batch(budget)
        };
        if items.is_empty() {
            return;
        }
        let mut refused = Vec::new();
        for item in items {
            // Once the browser refuses one (quota), keep the rest for the next page.
            if refused.is_empty() && beacon(&item.url, &item.body) {
                continue;
            }
            refused.push(item);
        }
        if let Ok(mut i) = self.inner.try_borrow_mut() {
            i.queue.restore(refused);
            i.save();
        }
        arm(&self.inner);
    }

    /// The consent state. `false` drops the queue and its stored copy and sends nothing
    /// more (answers to requests already on the wire are ignored); `true` picks up a
    /// stored queue and resumes.
    pub fn set_allowed(&self, allowed: bool) {
        {
            let Ok(mut i) = self.inner.try_borrow_mut() else {
                return;
            };
            let was = core::mem::replace(&mut i.allowed, allowed);
            if allowed {
                if !was {
                    i.load(now());
                }
            } else {
                i.queue.clear();
                i.timer = None;
                i.armed_for = None;
                if let Some(st) = &i.storage {
                    let _ = st.remove_item(&i.key);
                }
                i.last.clear();
            }
        }
        arm(&self.inner);
    }

    /// Erasure (`forget()`, consent withdrawn, another tab's erasure): the queued
    /// payloads and their stored copy go, so none is sent under the old visitor id.
    pub fn erase(&self) {
        if let Ok(mut i) = self.inner.try_borrow_mut() {
            i.queue.clear();
            i.timer = None;
            i.armed_for = None;
            if let Some(st) = &i.storage {
                let _ = st.remove_item(&i.key);
            }
            i.last.clear();
        }
    }

    /// `destroy()`: cancels the timer and sends nothing more; the queue stays stored for
    /// the next page.
    pub fn shutdown(&self) {
        if let Ok(mut i) = self.inner.try_borrow_mut() {
            i.save();
            i.stopped = true;
            i.timer = None;
            i.armed_for = None;
        }
    }

    /// Payloads waiting or in flight.
    pub fn pending(&self) -> usize {
        self.inner.try_borrow().map(|i| i.queue.len()).unwrap_or(0)
    }

    /// Payloads dropped undelivered on this page (queue full, refused, a day old).
    pub fn dropped(&self) -> u64 {
        self.inner
            .try_borrow()
            .map(|i| i.queue.dropped())
            .unwrap_or(0)
    }

    /// Payloads delivered on this page.
    pub fn delivered(&self) -> u64 {
        self.inner
            .try_borrow()
            .map(|i| i.queue.delivered())
            .unwrap_or(0)
    }
}

impl Inner {
    /// Adds the stored queue, if any.
    fn load(&mut self, now: u64) {
        let Some(st) = &self.storage else {
            return;
        };
        let Some(text) = st.get_item(&self.key).ok().flatten() else {
            return;
        };
        let v = json::parse(&text).unwrap_or(Value::Null);
        self.queue.load(&v, now);
        self.last = text;
    }

    /// Writes the queue if it changed (removes the record when empty). A failure
    /// removes the stale copy (it would be sent again) and keeps the queue in memory.
    fn save(&mut self) {
        if !self.allowed || self.storage_failed {
            return;
        }
        let Some(st) = &self.storage else {
            return;
        };
        let text = if self.queue.is_empty() {
            String::new()
        } else {
            json::to_json(&self.queue.to_value())
        };
        if text == self.last {
            return;
        }
        let written = if text.is_empty() {
            st.remove_item(&self.key)
        } else {
            st.set_item(&self.key, &text)
        };
        if written.is_err() {
            let _ = st.remove_item(&self.key);
            self.storage_failed = true;
            warn("localStorage write failed; keeping the webhook queue in memory for this page");
            return;
        }
        self.last = text;
    }
}

/// Keeps one timer armed for the queue's next wake-up. A timer armed for an earlier
/// moment is kept: it wakes, finds nothing due and re-arms.
fn arm(rc: &Rc<RefCell<Inner>>) {
    let Ok(mut i) = rc.try_borrow_mut() else {
        return;
    };
    let next = if i.allowed && !i.stopped {
        i.queue.next_wakeup()
    } else {
        None
    };
    let Some(next) = next else {
        i.timer = None;
        i.armed_for = None;
        return;
    };
    if i.timer.is_some() && i.armed_for.is_some_and(|a| a <= next) {
        return;
    }
    let t = now();
    let wait = next.saturating_sub(t).min(MAX_WAIT_MS);
    i.armed_for = Some(t.saturating_add(wait));
    let weak = Rc::downgrade(rc);
    i.timer = Some(Timeout::new(
        u32::try_from(wait).unwrap_or(u32::MAX),
        move || {
            if let Some(rc) = weak.upgrade() {
                pump(&rc);
            }
        },
    ));
}

/// The timer fired: start the due requests (no borrow held while calling `fetch`), then
/// re-arm.
fn pump(rc: &Rc<RefCell<Inner>>) {
    let batch = {
        let Ok(mut i) = rc.try_borrow_mut() else {
            return;
        };
        i.timer = None;
        i.armed_for = None;
        if !i.allowed || i.stopped {
            return;
        }
        let due = i.queue.due(now());
        let mut batch = Vec::with_capacity(due.len());
        for (id, url, body) in due {
            let len = body.len();
            let keepalive = i.keepalive_bytes.saturating_add(len) <= KEEPALIVE_QUOTA;
            let ka_bytes = if keepalive { len } else { 0 };
            i.keepalive_bytes = i.keepalive_bytes.saturating_add(ka_bytes);
            batch.push((id, url, body, ka_bytes));
        }
        if !batch.is_empty() {
            // Attempt counts are stored before the requests start: a page that dies
            // while sending leaves them marked as tried (retried, and probing first, on
            // the next page).
            i.save();
        }
        batch
    };
    let weak = Rc::downgrade(rc);
    for (id, url, body, ka_bytes) in batch {
        match request(&url, &body, ka_bytes > 0) {
            Some(promise) => {
                let weak = weak.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let outcome = match wasm_bindgen_futures::JsFuture::from(promise).await {
                        Ok(resp) => response_outcome(&resp),
                        Err(_) => network_error(),
                    };
                    finish(&weak, id, outcome, ka_bytes);
                });
            }
            None => finish(&weak, id, network_error(), ka_bytes),
        }
    }
    arm(rc);
}

/// An answer came back (or the request failed): record it, persist, re-arm. Does
/// nothing once the `Webhooks` is gone.
fn finish(weak: &Weak<RefCell<Inner>>, id: u64, outcome: Outcome, ka_bytes: usize) {
    let Some(rc) = weak.upgrade() else {
        return;
    };
    {
        let Ok(mut i) = rc.try_borrow_mut() else {
            return;
        };
        i.keepalive_bytes = i.keepalive_bytes.saturating_sub(ka_bytes);
        i.queue.result(id, outcome, now());
        i.save();
    }
    arm(&rc);
}

/// Starts `fetch(url, {...})` through a looked-up `window.fetch`, so a missing or
/// throwing (wrapped) `fetch` is a failed attempt instead of an exception.
fn request(url: &str, body: &str, keepalive: bool) -> Option<Promise> {
    let win = web_sys::window()?;
    let fetch = Reflect::get(&win, &JsValue::from_str("fetch"))
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    // A null-prototype init: a polluted `Object.prototype` (`method`, `mode`, `integrity`,
    // `cache`, `window`, …) cannot reach the request.
    let init: web_sys::RequestInit = super::dom::dict();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(body));
    let headers = js_sys::Object::new();
    Reflect::set(
        &headers,
        &JsValue::from_str("Content-Type"),
        &JsValue::from_str("application/json"),
    )
    .ok()?;
    init.set_headers(&headers);
    // `keepalive` is not in web-sys' RequestInit.
    Reflect::set(
        &init,
        &JsValue::from_str("keepalive"),
        &JsValue::from_bool(keepalive),
    )
    .ok()?;
    init.set_credentials(web_sys::RequestCredentials::Omit);
    init.set_mode(web_sys::RequestMode::Cors);
    if let Some(signal) = timeout_signal() {
        let _ = Reflect::set(&init, &JsValue::from_str("signal"), &signal);
    }
    let ret = fetch.call2(&win, &JsValue::from_str(url), &init).ok()?;
    Some(Promise::resolve(&ret))
}

/// `AbortSignal.timeout(30 s)` where the browser has it.
fn timeout_signal() -> Option<JsValue> {
    let global = js_sys::global();
    let ctor = Reflect::get(&global, &JsValue::from_str("AbortSignal")).ok()?;
    let f = Reflect::get(&ctor, &JsValue::from_str("timeout"))
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    f.call1(&ctor, &JsValue::from_f64(REQUEST_TIMEOUT_MS)).ok()
}

/// Classifies a `Response` by its status and `Retry-After` header (read leniently: a
/// page's fetch wrapper may return something Response-like).
fn response_outcome(resp: &JsValue) -> Outcome {
    let status = Reflect::get(resp, &JsValue::from_str("status"))
        .ok()
        .and_then(|s| s.as_f64())
        .filter(|s| s.is_finite() && *s >= 0.0 && *s < 1000.0)
        .map(|s| s as u16)
        .unwrap_or(0);
    classify(status, retry_after(resp))
}

fn retry_after(resp: &JsValue) -> Option<u64> {
    let headers = Reflect::get(resp, &JsValue::from_str("headers")).ok()?;
    let get = Reflect::get(&headers, &JsValue::from_str("get"))
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    let value = get
        .call1(&headers, &JsValue::from_str("Retry-After"))
        .ok()?
        .as_string()?;
    parse_retry_after(&value, now())
}

/// `navigator.sendBeacon(url, body)`: a string body goes out as
/// `text/plain;charset=UTF-8` (a CORS-safelisted type; JSON would need a preflight that
/// beacons cannot make). `false` when the browser refused it or there is no beacon.
fn beacon(url: &str, body: &str) -> bool {
    let Some(nav) = web_sys::window().map(|w| w.navigator()) else {
        return false;
    };
    let Some(f) = Reflect::get(&nav, &JsValue::from_str("sendBeacon"))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
    else {
        return false;
    };
    f.call2(&nav, &JsValue::from_str(url), &JsValue::from_str(body))
        .ok()
        .and_then(|r| r.as_bool())
        .unwrap_or(false)
}
