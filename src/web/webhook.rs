//! Webhook delivery: the pure `core::queue::Queue` driven by one RAII timer and `fetch`
//! (on page hide too: a `keepalive` fetch, never `navigator.sendBeacon`, which always
//! sends the site's cookies).
//!
//! - `send` only queues (and persists) the payload and arms a 0 ms timer: `fetch` is
//!   called later from the timer, never inside the caller's borrow of the runtime
//!   (a page may have wrapped `fetch` with code that calls back into cuekit).
//! - Requests: `POST`, `Content-Type: application/json`, `credentials: "omit"` (no
//!   cookies, no HTTP auth), `mode: "cors"`, `redirect: "manual"`, `referrerPolicy:
//!   "strict-origin"`, `keepalive: true` while the page's 64 KB keepalive quota allows,
//!   and a 30 s `AbortSignal.timeout` where the browser has it. At most
//!   `queue::MAX_IN_FLIGHT` at once. Receivers must answer the CORS preflight and
//!   expose `Retry-After` (`Access-Control-Expose-Headers: Retry-After`) to have it
//!   honoured.
//! - The request is built from a null-prototype init and a null-prototype headers
//!   record with every field set: nothing on `Object.prototype` (`Symbol.iterator`,
//!   `headers`, `body`, `credentials`, …) and no patched `Headers` changes what is sent.
//!   (A page that replaces `window.fetch` itself is trusted: cuekit calls it.)
//! - Redirects are not followed: the answer to a 3xx is a dropped payload (not retried)
//!   with a warning, as its target would escape `check_webhook`.
//! - Every payload dropped undelivered gets a console warning naming the reason and its
//!   limit (once per reason and page): `queue::Lost::message`.
//! - `erase()` (`forget()`, an erasure in another tab) and withdrawn consent drop the
//!   queue and its stored copy; answers to requests still on the wire are ignored.
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

use super::env::{now, warn};
use crate::core::json;
use crate::core::queue::{self, classify, network_error, parse_retry_after, Lost, Outcome, Queue};
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
    /// Erasures so far: a page-hide request started before one never brings its
    /// payload back.
    erasures: u64,
    /// The `queue::Lost` kinds already warned about on this page.
    warned: [bool; Lost::KINDS],
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
            warned: [false; Lost::KINDS],
            erasures: 0,
        };
        if allowed {
            inner.load(now());
            inner.warn_lost();
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
        {
            let Ok(mut i) = self.inner.try_borrow_mut() else {
                return;
            };
            if !i.allowed || i.stopped {
                return;
            }
            if check_webhook(url).is_err() {
                i.warn_once(Lost::BadUrl);
                return;
            }
            i.queue.enqueue(url.into(), json::to_json(payload), now());
            i.warn_lost();
            i.save();
        }
        arm(&self.inner);
    }

    /// For `pagehide`: hands the waiting payloads to one `keepalive` fetch each (as
    /// `text/plain;charset=UTF-8`, which needs no CORS preflight; no cookies, redirects
    /// not followed), within the keepalive quota our own requests in flight leave. What
    /// `fetch` takes leaves the queue (items that had failed before stay as well, see
    /// `Queue::beacon_batch`); if the page lives to see a failure, it comes back. What
    /// cannot be started stays for the next page.
    pub fn flush_beacon(&self) {
        let (items, erasures) = {
            let Ok(mut i) = self.inner.try_borrow_mut() else {
                return;
            };
            if !i.allowed || i.stopped {
                return;
            }
            let budget = KEEPALIVE_QUOTA.saturating_sub(i.keepalive_bytes);
            (i.queue.beacon_batch(budget), i.erasures)
        };
        if items.is_empty() {
            return;
        }
        let mut refused = Vec::new();
        let weak = Rc::downgrade(&self.inner);
        for item in items {
            // Once one cannot be started, keep the rest for the next page.
            let started = if refused.is_empty() {
                request(&item.url, &item.body, Kind::PageHide)
            } else {
                None
            };
            let Some(promise) = started else {
                refused.push(item);
                continue;
            };
            let len = item.body.len();
            if let Ok(mut i) = self.inner.try_borrow_mut() {
                i.keepalive_bytes = i.keepalive_bytes.saturating_add(len);
            }
            settle(&weak, promise, Sent::PageHide(item, erasures), len);
        }
        if let Ok(mut i) = self.inner.try_borrow_mut() {
            i.queue.restore(refused);
            i.save();
        }
        arm(&self.inner);
    }

    /// Erasure (`forget()`, or another tab's erasure merged in): drops every queued
    /// payload and the stored copy, and cancels the timer. Answers to requests already on
    /// the wire are ignored; payloads sent from now on are queued as usual.
    pub fn erase(&mut self) {
        if let Ok(mut i) = self.inner.try_borrow_mut() {
            i.drop_queue();
        }
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
                i.drop_queue();
            }
        }
        arm(&self.inner);
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
    /// Drops the queue and its stored copy and cancels the timer.
    fn drop_queue(&mut self) {
        self.erasures = self.erasures.wrapping_add(1);
        self.queue.clear();
        self.timer = None;
        self.armed_for = None;
        if let Some(st) = &self.storage {
            let _ = st.remove_item(&self.key);
        }
        self.last.clear();
    }

    /// Warns about the payloads the queue dropped since the last call (once per reason
    /// and page).
    fn warn_lost(&mut self) {
        for why in self.queue.take_lost() {
            self.warn_once(why);
        }
    }

    fn warn_once(&mut self, why: Lost) {
        if let Some(w) = self.warned.get_mut(why.kind()) {
            if !*w {
                *w = true;
                warn(&why.message());
            }
        }
    }

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
        match request(
            &url,
            &body,
            Kind::Normal {
                keepalive: ka_bytes > 0,
            },
        ) {
            Some(promise) => settle(&weak, promise, Sent::Attempt(id), ka_bytes),
            None => finish(&weak, Sent::Attempt(id), network_error(), ka_bytes),
        }
    }
    arm(rc);
}

/// A request on the wire.
enum Sent {
    /// A delivery attempt handed out by `Queue::due`.
    Attempt(u64),
    /// A page-hide request for an item from `Queue::beacon_batch`, started when
    /// `Inner::erasures` was this.
    PageHide(queue::Item, u64),
}

/// Waits for `promise`, then `finish`es.
fn settle(weak: &Weak<RefCell<Inner>>, promise: Promise, sent: Sent, ka_bytes: usize) {
    let weak = weak.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let outcome = match wasm_bindgen_futures::JsFuture::from(promise).await {
            Ok(resp) => response_outcome(&resp),
            Err(_) => network_error(),
        };
        finish(&weak, sent, outcome, ka_bytes);
    });
}

/// An answer came back (or the request failed): record it, persist, re-arm. Does
/// nothing once the `Webhooks` is gone.
fn finish(weak: &Weak<RefCell<Inner>>, sent: Sent, outcome: Outcome, ka_bytes: usize) {
    let Some(rc) = weak.upgrade() else {
        return;
    };
    {
        let Ok(mut i) = rc.try_borrow_mut() else {
            return;
        };
        i.keepalive_bytes = i.keepalive_bytes.saturating_sub(ka_bytes);
        match sent {
            Sent::Attempt(id) => i.queue.result(id, outcome, now()),
            Sent::PageHide(item, erasures) if erasures == i.erasures => {
                i.queue.beacon_result(item, outcome, now());
            }
            Sent::PageHide(..) => {}
        }
        i.warn_lost();
        i.save();
    }
    arm(&rc);
}

/// Which request to build.
#[derive(Clone, Copy)]
enum Kind {
    /// From the timer: JSON (preflighted), `keepalive` while the quota allows.
    Normal { keepalive: bool },
    /// The page is going away: `keepalive`, as `text/plain;charset=UTF-8` (no preflight,
    /// which a page being unloaded may not live to make).
    PageHide,
}

/// Starts `fetch(url, {...})` through a looked-up `window.fetch`, so a missing or
/// throwing (wrapped) `fetch` is a failed attempt instead of an exception.
fn request(url: &str, body: &str, kind: Kind) -> Option<Promise> {
    let win = web_sys::window()?;
    let fetch = Reflect::get(&win, &JsValue::from_str("fetch"))
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    let (content_type, keepalive) = match kind {
        Kind::Normal { keepalive } => ("application/json", keepalive),
        Kind::PageHide => ("text/plain;charset=UTF-8", true),
    };
    // Null-prototype objects with every field set: a polluted `Object.prototype`
    // (`Symbol.iterator` would turn the headers record into a sequence; `method`,
    // `credentials`, `redirect`, `integrity`, `window`, …) cannot reach the request, and
    // no `Headers` constructor (which a page may replace) is involved.
    let headers: js_sys::Object = super::dom::dict();
    let init: js_sys::Object = super::dom::dict();
    let fields = [
        ("Content-Type", &headers, JsValue::from_str(content_type)),
        ("method", &init, JsValue::from_str("POST")),
        ("headers", &init, headers.clone().into()),
        ("body", &init, JsValue::from_str(body)),
        ("credentials", &init, JsValue::from_str("omit")),
        ("mode", &init, JsValue::from_str("cors")),
        ("redirect", &init, JsValue::from_str("manual")),
        ("referrerPolicy", &init, JsValue::from_str("strict-origin")),
        ("keepalive", &init, JsValue::from_bool(keepalive)),
        ("signal", &init, timeout_signal().unwrap_or(JsValue::NULL)),
    ];
    for (key, target, value) in fields {
        if !Reflect::set(target, &JsValue::from_str(key), &value).ok()? {
            return None;
        }
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
    // `redirect: "manual"`: a 3xx comes back as an opaque redirect (status 0).
    let kind = Reflect::get(resp, &JsValue::from_str("type")).ok();
    if kind.and_then(|k| k.as_string()).as_deref() == Some("opaqueredirect") {
        return Outcome::Drop(Lost::Redirected);
    }
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
