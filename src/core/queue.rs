//! The webhook delivery queue: bounded, persisted, with exponential backoff.
//!
//! Pure: time comes in as an argument and nothing here touches the browser. The web
//! layer (`web::webhook`) asks `due(now)` what to send, reports each answer with
//! `result(id, outcome, now)`, arms one timer for `next_wakeup()`, stores `to_value()`
//! and, on page hide, hands `beacon_batch(limit)` to one last `keepalive` fetch each.
//!
//! Delivery is at least once: a request whose answer is lost (the page closed while it
//! was in flight) is sent again on the next page load. Payloads carry a `messageId` for
//! receivers to deduplicate.
//!
//! A payload is retried until it is delivered, refused (a 4xx other than 408/429),
//! pushed out by newer ones when the queue is full, or `MAX_AGE_MS` old: an endpoint
//! that is down for an hour gets it when it is back (on this page, or on the visitor's
//! next page within the day). A URL whose payloads have failed gets one request at a
//! time, paced by a backoff over all its failures (at most one per `MAX_BACKOFF_MS` once
//! at the cap), not one per payload; the payload tried least goes next, so one that
//! keeps failing does not hold up the others.
//!
//! Every payload that leaves undelivered says why: `take_lost()` hands the web layer one
//! `Lost` per payload (too large, evicted, refused, redirected, expired, a refused URL),
//! whose `message()` names the limit, for a console warning.
//!
//! Every handed-out `id` names one delivery attempt of one item. An item sent again
//! after its attempt was given up on (the answer never came) gets a fresh id, so a late
//! answer to the old attempt is ignored instead of being applied to the new one.

use super::url::check_webhook;
use super::value::{obj, Value};

/// Most items kept.
pub const MAX_ITEMS: usize = 50;
/// Most bytes kept (URLs plus bodies, UTF-8).
pub const MAX_BYTES: usize = 200 * 1024;
/// First retry delay; it doubles with every failed attempt…
pub const BASE_BACKOFF_MS: u64 = 1_000;
/// …up to this.
pub const MAX_BACKOFF_MS: u64 = 5 * 60 * 1_000;
/// A server's `Retry-After` is honoured up to this.
pub const MAX_RETRY_AFTER_MS: u64 = 60 * 60 * 1_000;
/// Requests in flight at once.
pub const MAX_IN_FLIGHT: usize = 4;
/// An attempt with no answer after this long is treated as a network error.
pub const IN_FLIGHT_TIMEOUT_MS: u64 = 2 * 60 * 1_000;
/// Largest body `navigator.sendBeacon` (and a `keepalive` fetch) accepts.
pub const BEACON_LIMIT: usize = 64 * 1024;
/// Items older than this are dropped undelivered (a visitor back after a week does not
/// replay last week's events).
pub const MAX_AGE_MS: u64 = 24 * 60 * 60 * 1_000;

/// Version of the persisted form.
const VERSION: f64 = 1.0;
/// Latest plausible timestamp (year 2200); anything beyond is corrupt.
const MAX_TIME: f64 = 7_258_118_400_000.0;

/// What became of one delivery attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Delivered (2xx).
    Ok,
    /// Try again later (408, 429, 5xx, network error), after at least `retry_after_ms`
    /// when the server said so.
    Retry { retry_after_ms: Option<u64> },
    /// Not delivered and not retried (refused, redirected): drop it.
    Drop(Lost),
}

/// Why a payload left the queue undelivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lost {
    /// Larger than the whole queue may hold (`MAX_BYTES`): never queued.
    TooLarge { bytes: usize },
    /// Pushed out by newer payloads when the queue was full (`MAX_ITEMS` / `MAX_BYTES`).
    Evicted,
    /// The receiver refused it with this status (any but 2xx, 408, 429, 5xx).
    Refused { status: u16 },
    /// The receiver answered with a redirect: not followed (its target is not checked
    /// against the webhook URL rules), not retried.
    Redirected,
    /// Undelivered for `MAX_AGE_MS`.
    Expired,
    /// Its URL breaks the webhook URL rules (`check_webhook`), e.g. a tampered stored
    /// queue.
    BadUrl,
}

impl Lost {
    /// How many kinds there are.
    pub const KINDS: usize = 6;

    /// A number per kind, below `Lost::KINDS` (the web layer warns once per kind and page).
    pub fn kind(&self) -> usize {
        match self {
            Lost::TooLarge { .. } => 0,
            Lost::Evicted => 1,
            Lost::Refused { .. } => 2,
            Lost::Redirected => 3,
            Lost::Expired => 4,
            Lost::BadUrl => 5,
        }
    }

    /// The warning for the console: what happened and the limit involved (the figures
    /// are `MAX_BYTES`, `MAX_ITEMS` and `MAX_AGE_MS`; a test keeps them in step).
    pub fn message(&self) -> String {
        let why = match self {
            Lost::TooLarge { bytes } => {
                return format!("webhook payload dropped: too large ({bytes} bytes; the queue holds 200 KB = 204800 bytes)")
            }
            Lost::Refused { status } => {
                return format!("webhook payload dropped: HTTP {status} (only 408, 429 and 5xx are retried)")
            }
            Lost::Evicted => "queue full (50 payloads or 200 KB; endpoint down?), the oldest went",
            Lost::Redirected => "the answer was a redirect, not followed (its target may break the webhook URL rules)",
            Lost::Expired => "undelivered for 24 hours",
            Lost::BadUrl => "its URL breaks the webhook URL rules (https:, or http: to localhost)",
        };
        format!("webhook payload dropped: {why}")
    }
}

/// Classifies an HTTP status: 2xx → `Ok`; 408, 429, 5xx (and 0, an opaque failure) →
/// `Retry` with the server's `Retry-After`; any other status → `Drop`.
pub fn classify(status: u16, retry_after_ms: Option<u64>) -> Outcome {
    match status {
        200..=299 => Outcome::Ok,
        0 | 408 | 429 | 500..=599 => Outcome::Retry { retry_after_ms },
        _ => Outcome::Drop(Lost::Refused { status }),
    }
}

/// The outcome of a request that got no response at all (offline, DNS, CORS refused,
/// aborted).
pub fn network_error() -> Outcome {
    Outcome::Retry {
        retry_after_ms: None,
    }
}

/// Reads a `Retry-After` header as a delay in ms from `now`: delta-seconds (`"120"`) or
/// an IMF-fixdate (`"Sun, 06 Nov 1994 08:49:37 GMT"`). A date in the past gives 0;
/// anything else is `None`.
pub fn parse_retry_after(value: &str, now: u64) -> Option<u64> {
    let v = value.trim();
    if !v.is_empty() && v.len() <= 20 && v.bytes().all(|b| b.is_ascii_digit()) {
        let secs = v.parse::<u64>().unwrap_or(u64::MAX);
        return Some(secs.saturating_mul(1_000));
    }
    http_date_ms(v).map(|t| t.saturating_sub(now))
}

/// An IMF-fixdate (RFC 9110 §5.6.7) as ms since the epoch.
fn http_date_ms(v: &str) -> Option<u64> {
    let mut parts = v.split_ascii_whitespace();
    let wkday = parts.next()?;
    if !wkday.ends_with(',') {
        return None;
    }
    let day: u64 = number(parts.next()?, 2)?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: u64 = number(parts.next()?, 4)?;
    let mut hms = parts.next()?.split(':');
    let h: u64 = number(hms.next()?, 2)?;
    let m: u64 = number(hms.next()?, 2)?;
    let s: u64 = number(hms.next()?, 2)?;
    if hms.next().is_some() || parts.next()? != "GMT" || parts.next().is_some() {
        return None;
    }
    if !(1..=31).contains(&day) || year < 1970 || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some((((days * 24 + h) * 60 + m) * 60 + s) * 1_000)
}

fn number(s: &str, digits: usize) -> Option<u64> {
    if s.len() != digits || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Days from 1970-01-01 to a date on or after it (Howard Hinnant's algorithm).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe).saturating_sub(719_468)
}

/// The delay before the next attempt after `attempts` failed ones: 1 s, 2 s, 4 s … up to
/// 5 min, or the server's `Retry-After` (up to 1 h) when that is longer.
pub fn backoff(attempts: u32, retry_after_ms: Option<u64>) -> u64 {
    let shift = attempts.saturating_sub(1).min(20);
    let exp = (BASE_BACKOFF_MS << shift).min(MAX_BACKOFF_MS);
    let server = retry_after_ms.unwrap_or(0).min(MAX_RETRY_AFTER_MS);
    exp.max(server)
}

/// One queued payload.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// The current handle (changes when an unanswered attempt is given up on).
    pub id: u64,
    pub url: String,
    pub body: String,
    /// Attempts started so far.
    attempts: u32,
    /// Not before this time.
    next_at: u64,
    created: u64,
    in_flight: bool,
    /// Handed to a beacon on this page while kept (it had failed): not beaconed again.
    beaconed: bool,
}

impl Item {
    fn size(&self) -> usize {
        self.url.len().saturating_add(self.body.len())
    }

    /// Delivery attempts started so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// An attempt to deliver it has failed (it waits for a retry, or a retry is on the
    /// wire).
    fn failed(&self) -> bool {
        self.attempts > 1 || (self.attempts == 1 && !self.in_flight)
    }
}

/// The bounded delivery queue (oldest first).
#[derive(Clone, Debug, Default)]
pub struct Queue {
    items: Vec<Item>,
    bytes: usize,
    next_id: u64,
    /// Attempts handed out and not answered yet: (id, since). Kept across `clear()`:
    /// those requests are still on the wire and count against `MAX_IN_FLIGHT`.
    outstanding: Vec<(u64, u64)>,
    dropped: u64,
    delivered: u64,
    /// Why payloads were dropped since the last `take_lost` (at most `MAX_LOST` kept).
    lost: Vec<Lost>,
}

/// Most `Lost` reasons kept between two `take_lost` calls.
const MAX_LOST: usize = 16;

impl Queue {
    pub fn new() -> Queue {
        Queue::default()
    }

    /// Counts a payload dropped undelivered, and why.
    fn lose(&mut self, why: Lost) {
        self.dropped = self.dropped.saturating_add(1);
        if self.lost.len() < MAX_LOST {
            self.lost.push(why);
        }
    }

    /// Why payloads were dropped since the last call (oldest first; at most 16).
    pub fn take_lost(&mut self) -> Vec<Lost> {
        core::mem::take(&mut self.lost)
    }

    fn fresh_id(&mut self) -> u64 {
        self.next_id = self.next_id.wrapping_add(1);
        self.next_id
    }

    /// Adds a payload, dropping the oldest items when full. `None` (counted as a drop)
    /// when the payload alone is larger than the whole queue may be.
    pub fn enqueue(&mut self, url: String, body: String, now: u64) -> Option<u64> {
        let id = self.fresh_id();
        // A URL that is failing keeps its pace for new payloads too.
        let next_at = self.held_until(&url).max(now);
        let item = Item {
            id,
            url,
            body,
            attempts: 0,
            next_at,
            created: now,
            in_flight: false,
            beaconed: false,
        };
        self.push(item).then_some(id)
    }

    /// Appends an item, evicting the oldest ones to stay within bounds.
    fn push(&mut self, item: Item) -> bool {
        let size = item.size();
        if size > MAX_BYTES {
            self.lose(Lost::TooLarge { bytes: size });
            return false;
        }
        while !self.items.is_empty()
            && (self.items.len() >= MAX_ITEMS || self.bytes.saturating_add(size) > MAX_BYTES)
        {
            let old = self.items.remove(0);
            self.bytes = self.bytes.saturating_sub(old.size());
            self.lose(Lost::Evicted);
        }
        self.bytes = self.bytes.saturating_add(size);
        self.items.push(item);
        true
    }

    fn remove(&mut self, pos: usize) -> Option<Item> {
        if pos >= self.items.len() {
            return None;
        }
        let item = self.items.remove(pos);
        self.bytes = self.bytes.saturating_sub(item.size());
        Some(item)
    }

    /// Waiting items that may go out when due, as `(id, next_at)`, oldest first. For a
    /// URL with a failed payload: one request at a time, from the payload due first and
    /// then tried least (then the oldest).
    fn sendable(&self) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        for x in self.items.iter().filter(|x| !x.in_flight) {
            let (mut failing, mut busy) = (false, false);
            let mut probe: Option<&Item> = None;
            for y in self.items.iter().filter(|y| y.url == x.url) {
                failing |= y.failed();
                busy |= y.in_flight;
                if !y.in_flight
                    && probe.is_none_or(|p| (y.next_at, y.attempts) < (p.next_at, p.attempts))
                {
                    probe = Some(y);
                }
            }
            if !failing || (!busy && probe.is_some_and(|p| p.id == x.id)) {
                out.push((x.id, x.next_at));
            }
        }
        out
    }

    /// When a URL with a failed payload may be tried again (0 when none failed).
    fn held_until(&self, url: &str) -> u64 {
        self.items
            .iter()
            .filter(|x| x.url == url && x.failed())
            .map(|x| x.next_at)
            .max()
            .unwrap_or(0)
    }

    /// The items to send now: due, not in flight, at most `MAX_IN_FLIGHT` on the wire
    /// in all. They are marked in flight; answer each with `result`.
    pub fn due(&mut self, now: u64) -> Vec<(u64, String, String)> {
        self.expire(now);
        let limit = now.saturating_add(MAX_RETRY_AFTER_MS);
        let mut i = 0;
        while let Some(item) = self.items.get_mut(i) {
            // The clock went back: nothing waits longer than the longest allowed delay.
            if item.next_at > limit {
                item.next_at = now;
            }
            item.created = item.created.min(now);
            if !item.in_flight && now.saturating_sub(item.created) > MAX_AGE_MS {
                self.remove(i);
                self.lose(Lost::Expired);
                continue;
            }
            i += 1;
        }

        let mut out = Vec::new();
        let free = MAX_IN_FLIGHT.saturating_sub(self.outstanding.len());
        let ids: Vec<u64> = self
            .sendable()
            .into_iter()
            .filter(|x| x.1 <= now)
            .take(free)
            .map(|x| x.0)
            .collect();
        for id in ids {
            let Some(item) = self.items.iter_mut().find(|x| x.id == id) else {
                continue;
            };
            item.in_flight = true;
            item.attempts = item.attempts.saturating_add(1);
            item.next_at = now;
            self.outstanding.push((id, now));
            out.push((id, item.url.clone(), item.body.clone()));
        }
        out
    }

    /// Gives up on attempts unanswered for too long: they count as network errors.
    fn expire(&mut self, now: u64) {
        let mut expired = Vec::new();
        self.outstanding.retain_mut(|(id, since)| {
            // A clock that went back restarts the wait rather than stalling it.
            if *since > now {
                *since = now;
            }
            let old = now.saturating_sub(*since) >= IN_FLIGHT_TIMEOUT_MS;
            if old {
                expired.push(*id);
            }
            !old
        });
        for id in expired {
            self.apply(id, network_error(), now);
            // A late answer to the abandoned attempt must not touch the item again.
            if let Some(pos) = self.items.iter().position(|x| x.id == id) {
                let fresh = self.fresh_id();
                if let Some(item) = self.items.get_mut(pos) {
                    item.id = fresh;
                }
            }
        }
    }

    /// The answer to attempt `id`. Unknown or stale ids are ignored.
    pub fn result(&mut self, id: u64, outcome: Outcome, now: u64) {
        let Some(pos) = self.outstanding.iter().position(|(x, _)| *x == id) else {
            return;
        };
        self.outstanding.remove(pos);
        self.apply(id, outcome, now);
    }

    fn apply(&mut self, id: u64, outcome: Outcome, now: u64) {
        let Some(pos) = self.items.iter().position(|x| x.id == id && x.in_flight) else {
            return;
        };
        match outcome {
            Outcome::Ok => {
                if let Some(item) = self.remove(pos) {
                    // The endpoint answers again: what waited behind it goes now.
                    for x in self.items.iter_mut().filter(|x| x.url == item.url) {
                        x.next_at = x.next_at.min(now);
                    }
                }
                self.delivered = self.delivered.saturating_add(1);
            }
            Outcome::Drop(why) => {
                self.remove(pos);
                self.lose(why);
            }
            Outcome::Retry { retry_after_ms } => {
                let Some(item) = self.items.get_mut(pos) else {
                    return;
                };
                item.in_flight = false;
                let url = item.url.clone();
                // The endpoint's pace counts every failure of every payload for it.
                let failures = self
                    .items
                    .iter()
                    .filter(|x| x.url == url)
                    .fold(0u32, |n, x| n.saturating_add(x.attempts));
                let hold = now.saturating_add(backoff(failures, retry_after_ms));
                for x in self
                    .items
                    .iter_mut()
                    .filter(|x| x.url == url && !x.in_flight)
                {
                    x.next_at = x.next_at.max(hold);
                }
            }
        }
    }

    /// When `due` next has something to hand out (or an unanswered attempt to give up
    /// on); `None` when nothing is waiting.
    pub fn next_wakeup(&self) -> Option<u64> {
        let stale = self
            .outstanding
            .iter()
            .map(|(_, since)| since.saturating_add(IN_FLIGHT_TIMEOUT_MS))
            .min();
        let pending = if self.outstanding.len() < MAX_IN_FLIGHT {
            self.sendable().into_iter().map(|x| x.1).min()
        } else {
            None
        };
        match (stale, pending) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// For page hide: returns the waiting items (not those in flight) whose bodies fit
    /// the beacon limit, oldest first, `max_bytes` of bodies in all. Those never tried
    /// leave the queue (items the browser refuses go back with `restore`); those whose
    /// delivery failed before are handed over as copies, once per page, and stay queued
    /// for the next page as well, since a beacon's fate is unknown (receivers
    /// de-duplicate by `messageId`).
    pub fn beacon_batch(&mut self, max_bytes: usize) -> Vec<Item> {
        let mut total = 0usize;
        let mut out = Vec::new();
        let mut i = 0;
        while let Some(item) = self.items.get_mut(i) {
            let len = item.body.len();
            if !item.in_flight
                && !item.beaconed
                && len <= BEACON_LIMIT
                && total.saturating_add(len) <= max_bytes
            {
                total = total.saturating_add(len);
                if item.failed() {
                    item.beaconed = true;
                    out.push(item.clone());
                } else if let Some(item) = self.remove(i) {
                    out.push(item);
                    continue;
                }
            }
            i += 1;
        }
        out
    }

    /// The answer to a page-hide request for `item` (from `beacon_batch`), when the page
    /// lives to see it: delivered or dropped, the item (a copy's original too) is gone;
    /// a failure brings back an item that had left, to be retried after the backoff.
    pub fn beacon_result(&mut self, item: Item, outcome: Outcome, now: u64) {
        let pos = self
            .items
            .iter()
            .position(|x| x.id == item.id && !x.in_flight);
        match outcome {
            Outcome::Ok => {
                if let Some(pos) = pos {
                    self.remove(pos);
                }
                self.delivered = self.delivered.saturating_add(1);
            }
            Outcome::Drop(why) => {
                if let Some(pos) = pos {
                    self.remove(pos);
                }
                self.lose(why);
            }
            Outcome::Retry { retry_after_ms } if pos.is_none() => {
                let mut item = item;
                item.attempts = item.attempts.saturating_add(1);
                item.next_at = now.saturating_add(backoff(item.attempts, retry_after_ms));
                self.restore(vec![item]);
            }
            Outcome::Retry { .. } => {}
        }
    }

    /// Puts back items taken by `beacon_batch` that could not be handed over, ahead of
    /// the rest (they are the oldest). Bounds still hold: the oldest go first.
    pub fn restore(&mut self, items: Vec<Item>) {
        if items.is_empty() {
            return;
        }
        let rest = core::mem::take(&mut self.items);
        self.bytes = 0;
        // Copies of items that never left (failed before: see `beacon_batch`) are skipped.
        let taken: Vec<Item> = items
            .into_iter()
            .filter(|x| !rest.iter().any(|r| r.id == x.id))
            .collect();
        for mut item in taken.into_iter().chain(rest) {
            if self.items.iter().any(|x| x.id == item.id) {
                item.id = self.fresh_id();
            }
            self.push(item);
        }
    }

    /// Drops everything queued (consent withdrawn). Answers to requests still in flight
    /// are ignored when they come.
    pub fn clear(&mut self) {
        self.items.clear();
        self.bytes = 0;
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Bytes held (URLs plus bodies).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Attempts on the wire.
    pub fn in_flight(&self) -> usize {
        self.outstanding.len()
    }

    /// Items dropped undelivered: evicted when full, too large, refused, out of
    /// attempts or too old.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Items delivered.
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// The items, oldest first.
    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// The persisted form: `{"v":1,"items":[{"u","b","a","t","c"}]}`. In-flight items
    /// are stored as waiting, so a reload sends them again.
    pub fn to_value(&self) -> Value {
        let items = self
            .items
            .iter()
            .map(|x| {
                obj([
                    ("u", Value::Str(x.url.clone())),
                    ("b", Value::Str(x.body.clone())),
                    ("a", Value::Num(f64::from(x.attempts))),
                    ("t", Value::Num(x.next_at as f64)),
                    ("c", Value::Num(x.created as f64)),
                ])
            })
            .collect();
        obj([("v", Value::Num(VERSION)), ("items", Value::Arr(items))])
    }

    /// Reads a persisted queue. Garbage gives an empty queue; a bad item is skipped;
    /// future times are clamped; bounds are enforced again.
    pub fn from_value(v: &Value, now: u64) -> Queue {
        let mut q = Queue::new();
        q.load(v, now);
        q
    }

    /// Appends the items of a persisted queue (fresh ids, waiting, bounds enforced).
    pub fn load(&mut self, v: &Value, now: u64) {
        if v.get("v").and_then(Value::as_f64) != Some(VERSION) {
            return;
        }
        let Some(list) = v.get("items").and_then(Value::as_array) else {
            return;
        };
        for x in list.iter().take(MAX_ITEMS.saturating_mul(4)) {
            let (Some(url), Some(body)) = (
                x.get("u").and_then(Value::as_str),
                x.get("b").and_then(Value::as_str),
            ) else {
                continue;
            };
            if check_webhook(url).is_err() {
                self.lose(Lost::BadUrl);
                continue;
            }
            let attempts = match x.get("a").and_then(Value::as_f64) {
                Some(n) if n.is_finite() && n >= 0.0 => n.min(f64::from(u32::MAX)) as u32,
                _ => continue,
            };
            let created = time(x.get("c")).unwrap_or(now).min(now);
            if now.saturating_sub(created) > MAX_AGE_MS {
                self.lose(Lost::Expired);
                continue;
            }
            let next_at = time(x.get("t"))
                .unwrap_or(now)
                .min(now.saturating_add(MAX_RETRY_AFTER_MS));
            let id = self.fresh_id();
            self.push(Item {
                id,
                url: url.into(),
                body: body.into(),
                attempts,
                next_at,
                created,
                in_flight: false,
                beaconed: false,
            });
        }
    }
}

fn time(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Num(n) if n.is_finite() && *n >= 0.0 && *n <= MAX_TIME => Some(*n as u64),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::json;

    const URL: &str = "https://hooks.example/in";
    const T0: u64 = 1_700_000_000_000;

    fn body(n: usize) -> String {
        "x".repeat(n)
    }

    fn retry(ms: Option<u64>) -> Outcome {
        Outcome::Retry { retry_after_ms: ms }
    }

    #[test]
    fn status_classes() {
        assert_eq!(classify(200, None), Outcome::Ok);
        assert_eq!(classify(204, Some(5)), Outcome::Ok);
        assert_eq!(classify(299, None), Outcome::Ok);
        assert_eq!(classify(408, None), retry(None));
        assert_eq!(classify(429, Some(2_000)), retry(Some(2_000)));
        assert_eq!(classify(500, None), retry(None));
        assert_eq!(classify(503, Some(1)), retry(Some(1)));
        assert_eq!(classify(599, None), retry(None));
        assert_eq!(classify(0, None), retry(None));
        for s in [400, 401, 403, 404, 410, 413, 422, 301, 100, 600] {
            assert_eq!(
                classify(s, None),
                Outcome::Drop(Lost::Refused { status: s }),
                "{s}"
            );
        }
        assert_eq!(network_error(), retry(None));
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        assert_eq!(parse_retry_after("2", T0), Some(2_000));
        assert_eq!(parse_retry_after(" 120 ", T0), Some(120_000));
        assert_eq!(parse_retry_after("0", T0), Some(0));
        assert_eq!(
            parse_retry_after("99999999999999999999", T0),
            Some(u64::MAX)
        );
        // 1994-11-06T08:49:37Z = 784111777 s.
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_777_000 - 5_000),
            Some(5_000)
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", T0),
            Some(0),
            "a date in the past means now"
        );
        // 2023-11-14T22:13:20Z = T0.
        assert_eq!(
            parse_retry_after("Tue, 14 Nov 2023 22:13:30 GMT", T0),
            Some(10_000)
        );
        assert_eq!(
            parse_retry_after("Thu, 29 Feb 2024 00:00:00 GMT", 0),
            Some(1_709_164_800_000)
        );
        for bad in [
            "",
            "-1",
            "1.5",
            "soon",
            "Sun 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:49:37 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT extra",
            "Sun, 00 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_retry_after(bad, T0), None, "{bad:?}");
        }
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let secs: Vec<u64> = (1..=10).map(|a| backoff(a, None) / 1_000).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300]);
        assert_eq!(backoff(0, None), 1_000);
        assert_eq!(backoff(u32::MAX, None), MAX_BACKOFF_MS);
        assert_eq!(
            backoff(1, Some(2_000)),
            2_000,
            "Retry-After longer: honoured"
        );
        assert_eq!(
            backoff(4, Some(2_000)),
            8_000,
            "Retry-After shorter: backoff"
        );
        assert_eq!(
            backoff(1, Some(u64::MAX)),
            MAX_RETRY_AFTER_MS,
            "capped at 1 h"
        );
        assert_eq!(backoff(1, Some(0)), 1_000);
    }

    #[test]
    fn a_new_item_is_due_at_once_and_delivered_once() {
        let mut q = Queue::new();
        let id = q.enqueue(URL.into(), "{\"a\":1}".into(), T0).unwrap();
        assert_eq!(q.next_wakeup(), Some(T0));
        let due = q.due(T0);
        assert_eq!(due, vec![(id, URL.to_string(), "{\"a\":1}".to_string())]);
        assert!(q.due(T0).is_empty(), "in flight: not handed out twice");
        assert_eq!(q.in_flight(), 1);
        q.result(id, Outcome::Ok, T0 + 30);
        assert!(q.is_empty());
        assert_eq!(q.bytes(), 0);
        assert_eq!(q.in_flight(), 0);
        assert_eq!(q.delivered(), 1);
        assert_eq!(q.next_wakeup(), None);
        // A repeated answer changes nothing.
        q.result(id, Outcome::Ok, T0 + 40);
        assert_eq!(q.delivered(), 1);
    }

    #[test]
    fn retries_back_off_to_the_cap_and_keep_going_until_a_day_old() {
        let mut q = Queue::new();
        q.enqueue(URL.into(), body(10), T0).unwrap();
        let mut now = T0;
        let mut waits = Vec::new();
        let mut attempts = 0;
        // An endpoint that keeps failing: the payload is retried, never dropped early.
        while now - T0 < MAX_AGE_MS - MAX_BACKOFF_MS {
            let due = q.due(now);
            assert_eq!(due.len(), 1, "attempt {}", attempts + 1);
            attempts += 1;
            assert_eq!(q.items()[0].attempts(), attempts);
            q.result(due[0].0, retry(None), now);
            let next = q.next_wakeup().unwrap();
            // Not due a millisecond early.
            assert!(q.due(next - 1).is_empty());
            waits.push(next - now);
            now = next;
        }
        assert_eq!(
            waits[..10],
            [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000]
        );
        assert!(
            waits[10..].iter().all(|w| *w == MAX_BACKOFF_MS),
            "at most one a 5 min"
        );
        assert_eq!(q.len(), 1, "still queued after {} attempts", attempts);
        assert_eq!(q.dropped(), 0);
        // Back within the day: delivered.
        let mut ok = q.clone();
        let (id, _, _) = ok.due(now).pop().unwrap();
        ok.result(id, Outcome::Ok, now);
        assert_eq!(ok.delivered(), 1);
        // A day after it was queued it is dropped undelivered.
        assert!(q.due(T0 + MAX_AGE_MS + 1).is_empty());
        assert!(q.is_empty());
        assert_eq!(q.dropped(), 1);
        assert_eq!(q.next_wakeup(), None);
    }

    /// Drives `q` for `ms` from `now` against an endpoint answering `answer(body)`;
    /// returns the bodies sent, in order, and the time reached.
    fn drive(
        q: &mut Queue,
        mut now: u64,
        ms: u64,
        answer: impl Fn(&str) -> Outcome,
    ) -> (Vec<String>, u64) {
        let end = now + ms;
        let mut sent = Vec::new();
        loop {
            let due = q.due(now);
            for (id, _, b) in due {
                q.result(id, answer(&b), now);
                sent.push(b);
            }
            match q.next_wakeup() {
                Some(t) if t <= end => now = t.max(now + 1),
                _ => return (sent, end),
            }
        }
    }

    #[test]
    fn a_failing_endpoint_gets_one_request_at_a_time_at_the_backoff_pace() {
        const OTHER: &str = "http://localhost:8080/h";
        let mut q = Queue::new();
        for b in ["a1", "a2", "a3"] {
            q.enqueue(URL.into(), b.into(), T0).unwrap();
        }
        q.enqueue(OTHER.into(), "b1".into(), T0).unwrap();
        // First attempts go out together (four slots); all fail.
        let first: Vec<String> = q.due(T0).into_iter().map(|x| x.2).collect();
        assert_eq!(first, ["a1", "a2", "a3", "b1"]);
        let ids: Vec<u64> = q.items().iter().map(|x| x.id).collect();
        for id in ids {
            q.result(id, retry(None), T0 + 10);
        }
        // A payload queued meanwhile keeps the failing URL's pace.
        q.enqueue(URL.into(), "a4".into(), T0 + 20).unwrap();
        assert!(q.due(T0 + 20).is_empty());
        // 15 minutes down: one request at a time per URL, paced by all its failures.
        let (sent, now) = drive(&mut q, T0 + 20, 15 * 60_000, |_| retry(None));
        let to_a = sent.iter().filter(|b| b.starts_with('a')).count();
        let to_b = sent.iter().filter(|b| b.starts_with('b')).count();
        assert!(
            (6..=10).contains(&to_a),
            "{to_a} requests to the failing URL"
        );
        assert!((8..=12).contains(&to_b), "{to_b} requests to the other");
        // Every payload took its turn as the probe, the new one first (tried least).
        assert_eq!(sent.iter().find(|b| b.starts_with('a')).unwrap(), "a4");
        for b in ["a1", "a2", "a3", "a4"] {
            assert!(sent.iter().any(|x| x == b), "{b} was tried");
        }
        assert_eq!(q.len(), 5, "nothing given up");
        // The endpoint is back: everything drains (one at a time while marked failed).
        let (sent, _) = drive(&mut q, now, MAX_BACKOFF_MS + 60_000, |_| Outcome::Ok);
        assert_eq!(sent.len(), 5);
        assert!(q.is_empty());
        assert_eq!(q.delivered(), 5);
    }

    #[test]
    fn a_payload_that_keeps_failing_does_not_hold_up_the_others() {
        let mut q = Queue::new();
        for b in ["poison", "ok1", "ok2"] {
            q.enqueue(URL.into(), b.into(), T0).unwrap();
        }
        let first = q.due(T0);
        for (id, _, b) in first {
            let answer = if b == "poison" {
                retry(None)
            } else {
                Outcome::Ok
            };
            q.result(id, answer, T0 + 5);
        }
        q.enqueue(URL.into(), "ok3".into(), T0 + 6).unwrap();
        let (sent, _) = drive(&mut q, T0 + 6, 10 * 60_000, |b| {
            if b == "poison" {
                retry(None)
            } else {
                Outcome::Ok
            }
        });
        assert!(sent.iter().any(|b| b == "ok3"), "{sent:?}");
        let left: Vec<&str> = q.items().iter().map(|x| x.body.as_str()).collect();
        assert_eq!(left, ["poison"], "kept, still retried");
        assert_eq!(q.delivered(), 3);
    }

    #[test]
    fn on_page_hide_a_payload_that_failed_is_beaconed_and_also_kept() {
        let mut q = Queue::new();
        let failed = q.enqueue(URL.into(), body(10), T0).unwrap();
        q.due(T0);
        q.result(failed, retry(None), T0);
        q.enqueue("http://localhost:8080/h".into(), body(20), T0 + 1)
            .unwrap();
        let batch = q.beacon_batch(BEACON_LIMIT);
        let lens: Vec<usize> = batch.iter().map(|x| x.body.len()).collect();
        assert_eq!(lens, [10, 20]);
        let left: Vec<usize> = q.items().iter().map(|x| x.body.len()).collect();
        assert_eq!(left, [10], "the failed one stays for the next page");
        assert!(
            q.clone().beacon_batch(BEACON_LIMIT).is_empty(),
            "once per page"
        );
        // The browser refuses both: each is queued once, not twice.
        q.restore(batch);
        let left: Vec<usize> = q.items().iter().map(|x| x.body.len()).collect();
        assert_eq!(left, [20, 10]);
        assert_eq!(q.bytes(), q.items().iter().map(Item::size).sum::<usize>());
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let mut q = Queue::new();
        let id = q.enqueue(URL.into(), body(3), T0).unwrap();
        q.due(T0);
        q.result(id, retry(Some(2_000)), T0 + 100);
        assert_eq!(q.next_wakeup(), Some(T0 + 2_100));
        assert!(q.due(T0 + 2_099).is_empty());
        let (id, _, _) = q.due(T0 + 2_100).pop().unwrap();
        q.result(id, retry(Some(10 * MAX_RETRY_AFTER_MS)), T0 + 3_000);
        assert_eq!(q.next_wakeup(), Some(T0 + 3_000 + MAX_RETRY_AFTER_MS));
    }

    #[test]
    fn a_refusal_drops_the_item() {
        let mut q = Queue::new();
        let id = q.enqueue(URL.into(), body(3), T0).unwrap();
        q.due(T0);
        q.result(id, classify(404, None), T0);
        assert!(q.is_empty());
        assert_eq!(q.dropped(), 1);
    }

    #[test]
    fn at_most_four_in_flight() {
        let mut q = Queue::new();
        let ids: Vec<u64> = (0..6)
            .map(|i| q.enqueue(URL.into(), body(i), T0).unwrap())
            .collect();
        let first = q.due(T0);
        assert_eq!(
            first.iter().map(|x| x.0).collect::<Vec<_>>(),
            ids[..4].to_vec()
        );
        assert_eq!(q.in_flight(), 4);
        assert!(q.due(T0 + 10).is_empty());
        // No busy wake-up while every slot is taken: only the give-up deadline.
        assert_eq!(q.next_wakeup(), Some(T0 + IN_FLIGHT_TIMEOUT_MS));
        q.result(ids[1], Outcome::Ok, T0 + 20);
        assert_eq!(q.next_wakeup(), Some(T0));
        let next = q.due(T0 + 20);
        assert_eq!(next.len(), 1);
        assert_eq!(next[0].0, ids[4]);
    }

    #[test]
    fn unanswered_attempts_are_given_up_and_late_answers_ignored() {
        let mut q = Queue::new();
        let id = q.enqueue(URL.into(), body(3), T0).unwrap();
        q.due(T0);
        assert!(q.due(T0 + IN_FLIGHT_TIMEOUT_MS - 1).is_empty());
        // The attempt expires (network error: 1 s backoff), then goes out again.
        let later = T0 + IN_FLIGHT_TIMEOUT_MS;
        assert!(q.due(later).is_empty());
        assert_eq!(q.in_flight(), 0);
        let again = q.due(later + 1_000);
        assert_eq!(again.len(), 1);
        let new_id = again[0].0;
        assert_ne!(new_id, id);
        // The old attempt's late success does not touch the new attempt.
        q.result(id, Outcome::Ok, later + 1_100);
        assert_eq!(q.len(), 1);
        assert_eq!(q.in_flight(), 1);
        q.result(new_id, Outcome::Ok, later + 1_200);
        assert!(q.is_empty());
        assert_eq!(q.delivered(), 1);
    }

    #[test]
    fn full_by_count_drops_the_oldest() {
        let mut q = Queue::new();
        for i in 0..MAX_ITEMS + 5 {
            q.enqueue(URL.into(), format!("{i}"), T0).unwrap();
        }
        assert_eq!(q.len(), MAX_ITEMS);
        assert_eq!(q.dropped(), 5);
        assert_eq!(q.items()[0].body, "5");
        assert_eq!(q.items()[MAX_ITEMS - 1].body, format!("{}", MAX_ITEMS + 4));
    }

    #[test]
    fn full_by_bytes_drops_the_oldest() {
        let mut q = Queue::new();
        let big = 60 * 1024;
        for _ in 0..4 {
            q.enqueue(URL.into(), body(big), T0).unwrap();
        }
        assert_eq!(q.len(), 3, "four 60 KB bodies exceed 200 KB");
        assert_eq!(q.dropped(), 1);
        assert!(q.bytes() <= MAX_BYTES);
        assert_eq!(q.bytes(), 3 * (big + URL.len()));
        // Larger than the whole queue: refused, counted, nothing else evicted.
        assert_eq!(q.enqueue(URL.into(), body(MAX_BYTES), T0), None);
        assert_eq!(q.len(), 3);
        assert_eq!(q.dropped(), 2);
        // Exactly the limit is fine (and evicts everything else).
        assert!(q
            .enqueue(URL.into(), body(MAX_BYTES - URL.len()), T0)
            .is_some());
        assert_eq!(q.len(), 1);
        assert_eq!(q.bytes(), MAX_BYTES);
    }

    #[test]
    fn eviction_of_an_in_flight_item_keeps_its_slot_until_answered() {
        let mut q = Queue::new();
        let first = q.enqueue(URL.into(), body(1), T0).unwrap();
        q.due(T0);
        for _ in 0..MAX_ITEMS {
            q.enqueue(URL.into(), body(1), T0).unwrap();
        }
        assert!(q.items().iter().all(|x| x.id != first));
        assert_eq!(q.in_flight(), 1);
        assert_eq!(q.due(T0).len(), MAX_IN_FLIGHT - 1);
        q.result(first, Outcome::Ok, T0);
        assert_eq!(q.in_flight(), MAX_IN_FLIGHT - 1);
        assert_eq!(
            q.delivered(),
            0,
            "the evicted item's answer changes nothing"
        );
    }

    #[test]
    fn old_items_expire() {
        let mut q = Queue::new();
        q.enqueue(URL.into(), body(1), T0).unwrap();
        assert_eq!(
            q.due(T0 + MAX_AGE_MS).len(),
            1,
            "a day old exactly: still sent"
        );
        let mut q = Queue::new();
        q.enqueue(URL.into(), body(1), T0).unwrap();
        assert!(q.due(T0 + MAX_AGE_MS + 1).is_empty());
        assert!(q.is_empty());
        assert_eq!(q.dropped(), 1);
    }

    #[test]
    fn a_clock_that_goes_back_does_not_stall_delivery() {
        let mut q = Queue::new();
        let id = q.enqueue(URL.into(), body(1), T0).unwrap();
        q.due(T0);
        q.result(id, retry(None), T0);
        // Clock set back a day: the item waits at most the longest delay, not a day.
        let back = T0 - 24 * 3_600_000;
        let due = q.due(back);
        assert_eq!(due.len(), 1);
        let (id, _, _) = due[0].clone();
        // And an attempt started "in the future" still expires.
        let mut q2 = Queue::new();
        q2.enqueue(URL.into(), body(1), T0).unwrap();
        q2.due(T0);
        assert!(q2.due(back).is_empty());
        assert_eq!(q2.next_wakeup(), Some(back + IN_FLIGHT_TIMEOUT_MS));
        q.result(id, Outcome::Ok, back);
        assert!(q.is_empty());
    }

    #[test]
    fn round_trips_through_json_and_in_flight_becomes_waiting() {
        let mut q = Queue::new();
        let a = q.enqueue(URL.into(), "{\"n\":1}".into(), T0).unwrap();
        q.enqueue("http://localhost:9/h".into(), "{\"n\":2}".into(), T0 + 5)
            .unwrap();
        let due = q.due(T0 + 10);
        assert_eq!(due.len(), 2);
        q.result(a, retry(Some(3_000)), T0 + 20);
        let text = json::to_json(&q.to_value());
        let back = Queue::from_value(&json::parse(&text).unwrap(), T0 + 50);
        assert_eq!(back.len(), 2);
        assert_eq!(back.in_flight(), 0);
        let items = back.items();
        assert_eq!(items[0].body, "{\"n\":1}");
        assert_eq!(items[0].attempts(), 1);
        assert_eq!(items[1].url, "http://localhost:9/h");
        assert_eq!(items[1].attempts(), 1);
        let mut back = back;
        // The in-flight one is due at once; the retrying one after its Retry-After.
        assert_eq!(back.next_wakeup(), Some(T0 + 10));
        let due = back.due(T0 + 50);
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].2, "{\"n\":2}");
        assert_eq!(back.items()[1].attempts(), 2);
        assert_eq!(back.due(T0 + 3_020).len(), 1);
    }

    #[test]
    fn garbage_resets_and_bad_items_are_skipped() {
        for text in [
            "null",
            "1",
            "\"x\"",
            "[]",
            "{}",
            "{\"v\":2,\"items\":[]}",
            "{\"v\":1}",
            "{\"v\":1,\"items\":{}}",
        ] {
            let q = Queue::from_value(&json::parse(text).unwrap(), T0);
            assert!(q.is_empty(), "{text}");
        }
        const FUTURE: u64 = T0 + 10 * 3_600_000;
        let text = format!(
            r#"{{"v":1,"items":[
                {{"u":"{URL}","b":"ok","a":0,"t":{T0},"c":{T0}}},
                {{"u":"javascript:alert(1)","b":"x","a":0,"t":0,"c":0}},
                {{"u":"http://evil.example/","b":"x","a":0,"t":0,"c":0}},
                {{"u":"{URL}","b":5,"a":0,"t":0,"c":0}},
                {{"u":"{URL}","b":"neg","a":-1,"t":0,"c":0}},
                {{"u":"{URL}","b":"spent","a":8,"t":0,"c":{T0}}},
                {{"u":"{URL}","b":"old","a":0,"t":0,"c":1}},
                {{"u":"{URL}","b":"future","a":2,"t":{FUTURE},"c":{FUTURE}}},
                {{"u":"{URL}","b":"absurd","a":2,"t":1e300,"c":1e300}},
                {{"u":"{URL}","b":"nan","a":1,"t":"soon","c":null}},
                7, null, "x"
            ]}}"#
        );
        let q = Queue::from_value(&json::parse(&text).unwrap(), T0);
        let bodies: Vec<&str> = q.items().iter().map(|x| x.body.as_str()).collect();
        // Many attempts are no reason to give up (only age is).
        assert_eq!(bodies, ["ok", "spent", "future", "absurd", "nan"]);
        // Unreadable times mean now; a future time is clamped to the longest allowed wait.
        let at: Vec<u64> = q.items().iter().map(|x| x.next_at).collect();
        assert_eq!(at, [T0, 0, T0 + MAX_RETRY_AFTER_MS, T0, T0]);
        assert_eq!(q.items()[2].created, T0);
        // One request at a time to this (failing) URL: the payload due first.
        let mut q = q;
        let now: Vec<String> = q.due(T0).into_iter().map(|x| x.2).collect();
        assert_eq!(now, ["spent"]);
    }

    #[test]
    fn a_stored_queue_over_the_bounds_is_trimmed() {
        let mut items = Vec::new();
        for i in 0..MAX_ITEMS * 2 {
            items.push(obj([
                ("u", Value::Str(URL.into())),
                ("b", Value::Str(format!("{i}"))),
                ("a", Value::Num(0.0)),
                ("t", Value::Num(T0 as f64)),
                ("c", Value::Num(T0 as f64)),
            ]));
        }
        let v = obj([("v", Value::Num(1.0)), ("items", Value::Arr(items))]);
        let q = Queue::from_value(&v, T0);
        assert_eq!(q.len(), MAX_ITEMS);
        assert_eq!(q.items()[0].body, format!("{MAX_ITEMS}"));
    }

    #[test]
    fn beacon_batch_takes_what_fits_and_leaves_the_rest() {
        let mut q = Queue::new();
        let a = q.enqueue(URL.into(), body(10), T0).unwrap();
        // The first is in flight (its keepalive request carries on): not taken.
        assert_eq!(q.due(T0)[0].0, a);
        q.enqueue(URL.into(), body(BEACON_LIMIT + 1), T0).unwrap();
        q.enqueue(URL.into(), body(30_000), T0).unwrap();
        q.enqueue(URL.into(), body(30_000), T0).unwrap();
        q.enqueue(URL.into(), body(5), T0).unwrap();
        let mut q2 = q.clone();
        let batch = q.beacon_batch(BEACON_LIMIT);
        let lens: Vec<usize> = batch.iter().map(|x| x.body.len()).collect();
        assert_eq!(lens, [30_000, 30_000, 5]);
        let left: Vec<usize> = q.items().iter().map(|x| x.body.len()).collect();
        assert_eq!(left, [10, BEACON_LIMIT + 1], "in flight and too large stay");
        assert_eq!(q.bytes(), 10 + BEACON_LIMIT + 1 + 2 * URL.len());
        // A smaller budget takes less.
        let small = q2.beacon_batch(30_005);
        let lens: Vec<usize> = small.iter().map(|x| x.body.len()).collect();
        assert_eq!(lens, [30_000, 5]);
        // Refused beacons go back, first.
        q2.restore(small);
        let order: Vec<usize> = q2.items().iter().map(|x| x.body.len()).collect();
        assert_eq!(order, [30_000, 5, 10, BEACON_LIMIT + 1, 30_000]);
        assert_eq!(q2.bytes(), q2.items().iter().map(Item::size).sum::<usize>());
        assert!(q2.beacon_batch(0).is_empty());
    }

    #[test]
    fn clear_drops_everything_and_ignores_late_answers() {
        let mut q = Queue::new();
        let a = q.enqueue(URL.into(), body(1), T0).unwrap();
        q.enqueue(URL.into(), body(1), T0).unwrap();
        q.due(T0);
        q.clear();
        assert!(q.is_empty());
        assert_eq!(q.bytes(), 0);
        assert_eq!(q.in_flight(), 2, "still on the wire");
        q.result(a, retry(None), T0);
        assert!(q.is_empty());
        assert_eq!(q.in_flight(), 1);
        let b = q.enqueue(URL.into(), body(1), T0).unwrap();
        assert!(b > a, "ids are never reused");
    }

    #[cfg(not(target_arch = "wasm32"))]
    mod props {
        use super::*;
        use proptest::prelude::*;

        #[derive(Clone, Debug)]
        enum Op {
            Enqueue(usize, usize),
            Due,
            Answer(usize, u16, Option<u64>),
            Advance(u64),
            Back(u64),
            Beacon(usize),
            BeaconRefused(usize),
            Reload,
            Clear,
        }

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                4 => (0usize..3, prop_oneof![0usize..200, 1_000usize..80_000, 200_000usize..210_000])
                    .prop_map(|(u, n)| Op::Enqueue(u, n)),
                3 => Just(Op::Due),
                4 => (any::<usize>(), prop_oneof![Just(200u16), Just(404), Just(429), Just(500), Just(0), 100u16..600], proptest::option::of(0u64..10_000_000))
                    .prop_map(|(i, s, r)| Op::Answer(i, s, r)),
                3 => prop_oneof![0u64..5_000, 0u64..400_000, 0u64..200_000_000].prop_map(Op::Advance),
                1 => (0u64..100_000_000).prop_map(Op::Back),
                1 => (0usize..200_000).prop_map(Op::Beacon),
                1 => (0usize..200_000).prop_map(Op::BeaconRefused),
                1 => Just(Op::Reload),
                1 => Just(Op::Clear),
            ]
        }

        fn check(q: &Queue) {
            assert!(q.len() <= MAX_ITEMS);
            assert!(q.bytes() <= MAX_BYTES);
            assert_eq!(q.bytes(), q.items().iter().map(Item::size).sum::<usize>());
            assert!(q.in_flight() <= MAX_IN_FLIGHT);
            let mut ids: Vec<u64> = q.items().iter().map(|x| x.id).collect();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), q.len(), "ids are unique");
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
            #[test]
            fn bounds_hold_and_nothing_panics(ops in proptest::collection::vec(op(), 1..120)) {
                let urls = [URL, "http://localhost:8080/h", "https://b.example/x?y=1"];
                let mut q = Queue::new();
                let mut now = T0;
                let mut handed: Vec<u64> = Vec::new();
                for op in ops {
                    match op {
                        Op::Enqueue(u, n) => {
                            let url = urls.get(u).copied().unwrap_or(URL);
                            let r = q.enqueue(url.into(), body(n), now);
                            prop_assert_eq!(r.is_some(), n + url.len() <= MAX_BYTES);
                        }
                        Op::Due => {
                            let due = q.due(now);
                            prop_assert!(due.len() <= MAX_IN_FLIGHT);
                            // Right after `due`, the next wake-up is in the future: a
                            // timer armed for it can never spin.
                            if let Some(w) = q.next_wakeup() {
                                prop_assert!(w > now, "wake-up {} not after {}", w, now);
                            }
                            handed.extend(due.iter().map(|x| x.0));
                        }
                        Op::Answer(i, status, ra) => {
                            if !handed.is_empty() {
                                let id = handed.remove(i % handed.len());
                                q.result(id, classify(status, ra), now);
                            }
                        }
                        Op::Advance(ms) => now = now.saturating_add(ms),
                        Op::Back(ms) => now = now.saturating_sub(ms),
                        Op::Beacon(max) => {
                            let b = q.beacon_batch(max);
                            prop_assert!(b.iter().map(|x| x.body.len()).sum::<usize>() <= max);
                            prop_assert!(b.iter().all(|x| x.body.len() <= BEACON_LIMIT));
                        }
                        Op::BeaconRefused(max) => {
                            let b = q.beacon_batch(max);
                            q.restore(b);
                        }
                        Op::Reload => {
                            let text = json::to_json(&q.to_value());
                            let v = json::parse(&text).unwrap();
                            q = Queue::from_value(&v, now);
                            handed.clear();
                            prop_assert_eq!(q.in_flight(), 0);
                        }
                        Op::Clear => q.clear(),
                    }
                    check(&q);
                }
            }

            #[test]
            fn any_stored_value_loads_within_bounds(text in ".{0,400}", now in 0u64..8_000_000_000_000) {
                if let Ok(v) = json::parse(&text) {
                    let q = Queue::from_value(&v, now);
                    check(&q);
                }
            }

            #[test]
            fn retry_after_never_panics(s in ".{0,40}", now in any::<u64>()) {
                let _ = parse_retry_after(&s, now);
            }
        }
    }
}
