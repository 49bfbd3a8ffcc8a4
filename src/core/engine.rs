//! The engine: a pure state machine from signals (with the time passed in) to decisions.
//!
//! `handle(signal, now)` processes one signal, `tick(now)` processes deadlines, and
//! `next_deadline()` says when the caller must call `tick` again. The same config, state
//! and inputs always give the same decisions.

use std::borrow::Cow;

use super::caps::{Kind, Ledger, Suppressed};
use super::condition::{AttrPath, Attributes, Root};
use super::config::{events, Config, EventId, Matcher, Role, Rule, Trigger, ANY};
use super::merge::Merged;
use super::state::{Partial, Pending, Progress, Session, State, Visitor};
use super::value::{obj, Map, Value};

/// Bounds that keep memory flat whatever the event stream.
pub const MAX_PARTIALS: usize = 16;
pub const MAX_PENDING: usize = 16;
pub const MAX_GROUPS: usize = 32;
/// Captured properties larger than this are reduced to their short scalar fields.
pub const MAX_PROPS_BYTES: usize = 4096;
/// Pattern progress kept in the record at most, in all rules (`save_json`).
pub const MAX_PROGRESS_BYTES: usize = 16 * 1024;
/// Gaps between activity longer than this count as idle, not as active time.
pub const ACTIVE_GAP_MS: u64 = 30_000;

/// What the browser layer (or a test) feeds the engine.
#[derive(Clone, Debug, PartialEq)]
pub enum Signal {
    /// A page view (initial load or SPA navigation). `page` holds url, path, query, …
    PageView {
        page: Value,
    },
    /// A named event: built-in (click, exit_intent, …) or from `track()`.
    /// `targets` are the ids of watched selectors the event's element matched.
    Event {
        name: String,
        props: Value,
        targets: Vec<u16>,
    },
    /// Pointer, key, scroll or touch activity: resets idle.
    Activity,
    /// The maximum scroll depth of this page, in percent (coalesced by the caller).
    Scroll {
        depth: f64,
    },
    /// The tab became hidden / visible.
    Hidden,
    Visible,
    /// Host attributes from `identify()`, merged into the visitor's attributes.
    Identify(Map),
}

/// A rule that fired: the caps layer decides whether it is shown.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub rule: usize,
    pub rule_id: String,
    pub priority: i32,
    pub at: u64,
    /// The event that completed the trigger (`None` when a deadline fired it).
    pub event: Option<String>,
    /// Properties of the event(s) behind the trigger (for messages and webhooks).
    pub props: Value,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
enum Outcome {
    #[default]
    Never,
    Fired(u64),
    Blocked(u64),
}

#[derive(Clone, Debug, Default)]
struct Status {
    last: Outcome,
    fired: u32,
    blocked: u32,
    shown: u32,
    suppressed: Option<Suppressed>,
}

pub struct Engine {
    cfg: Config,
    state: State,
    progress: Vec<Option<Progress>>,
    status: Vec<Status>,
    page: Value,
    page_start: u64,
    max_scroll: f64,
    scroll_seen: Vec<u8>,
    hidden_since: Option<u64>,
    /// Last activity, shifted forward by hidden time so hidden time is not idle time.
    idle_base: u64,
    dirty: bool,
    /// Only activity bookkeeping changed: worth saving now and then, not on every event.
    lazy_dirty: bool,
    deadline: Option<u64>,
    names: Vec<String>,
    /// Local time minus UTC, in ms (for sessions that end at local midnight).
    utc_offset_ms: i64,
    /// The displayed prompt currently on screen (one at a time).
    showing: Option<usize>,
    /// Conversions attributed since the last `take_conversions`.
    conversions: Vec<Decision>,
    /// Current segment memberships (rule-based first, then the centroid segment).
    segments: Vec<String>,
    segments_changed: bool,
    /// First exposures since the last `take_exposures`: (rule, variant, held out).
    exposures: Vec<(usize, usize, bool)>,
    /// QA overrides: rule id → variant id.
    forced: Vec<(String, String)>,
    /// A show that a count cap counts is not saved yet (other tabs must see it at once).
    counted_show: bool,
    notices: Vec<Notice>,
    noticed: u8,
}

/// Something the host should hear about (once): data cuekit did not keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// `identify()` attributes past `MAX_ATTRS_BYTES`.
    AttrsTooLarge,
}

impl Notice {
    pub fn message(self) -> &'static str {
        match self {
            Notice::AttrsTooLarge => {
                "identify(): the attributes are kept up to about 16 KB in all; attributes past that limit were not kept"
            }
        }
    }
}

/// The context a condition sees.
struct Ctx<'a> {
    event: &'a str,
    props: &'a Value,
    page: &'a Value,
    state: &'a State,
    now: u64,
    page_start: u64,
    max_scroll: f64,
    idle_base: u64,
    hidden: bool,
    segments: &'a [String],
}

fn n(x: f64) -> Option<Cow<'static, Value>> {
    Some(Cow::Owned(Value::Num(x)))
}

impl Attributes for Ctx<'_> {
    fn lookup(&self, p: &AttrPath) -> Option<Cow<'_, Value>> {
        let (root, rest) = p.segs.split_first()?;
        let st = self.state;
        let now = self.now;
        match p.root {
            Root::Event if rest.is_empty() => Some(Cow::Owned(Value::Str(self.event.into()))),
            Root::Segment if rest.is_empty() => Some(Cow::Owned(
                self.segments
                    .first()
                    .cloned()
                    .map(Value::Str)
                    .unwrap_or_default(),
            )),
            Root::Segments if rest.is_empty() => Some(Cow::Owned(Value::Arr(
                self.segments.iter().cloned().map(Value::Str).collect(),
            ))),
            Root::Props => self.props.get_path(rest).map(Cow::Borrowed),
            Root::Page => self.page.get_path(rest).map(Cow::Borrowed),
            Root::Visitor => match rest.first().map(String::as_str)? {
                "id" => Some(Cow::Owned(Value::Str(st.visitor.id.clone()))),
                "new" => Some(Cow::Owned(Value::Bool(st.visitor.visits <= 1))),
                "returning" => Some(Cow::Owned(Value::Bool(st.visitor.visits > 1))),
                "visits" => n(st.visitor.visits as f64),
                "firstSeen" => n(st.visitor.first_seen as f64),
                "daysSinceLastVisit" if st.visitor.prev_visit > 0 => {
                    n(now.saturating_sub(st.visitor.prev_visit) as f64 / 86_400_000.0)
                }
                _ => None,
            },
            Root::Session => match rest.first().map(String::as_str)? {
                "duration" => n(now.saturating_sub(st.session.start) as f64),
                "pageViews" => n(st.session.page_views as f64),
                "activeTime" => n(st.session.active_ms as f64),
                "events" => n(st.session.events as f64),
                _ => None,
            },
            Root::Behavior => match rest.first().map(String::as_str)? {
                "scrollDepth" => n(self.max_scroll),
                "dwell" => n(now.saturating_sub(self.page_start) as f64),
                "idle" => n(if self.hidden {
                    0.0
                } else {
                    now.saturating_sub(self.idle_base) as f64
                }),
                "hidden" => Some(Cow::Owned(Value::Bool(self.hidden))),
                _ => None,
            },
            // Anything else reads the host's attributes from `identify()`.
            _ => {
                let first = st.attrs.get(root)?;
                first.get_path(rest).map(Cow::Borrowed)
            }
        }
    }
}

fn key_of(paths: &[AttrPath], ctx: &Ctx) -> Value {
    match paths {
        [] => Value::Null,
        [one] => ctx.lookup(one).map(Cow::into_owned).unwrap_or_default(),
        many => Value::Arr(
            many.iter()
                .map(|p| ctx.lookup(p).map(Cow::into_owned).unwrap_or_default())
                .collect(),
        ),
    }
}

/// Keeps captured properties small: oversized values keep only short scalar fields.
fn bounded(props: &Value) -> Value {
    if props.approx_size() <= MAX_PROPS_BYTES {
        return props.clone();
    }
    let mut out = Map::new();
    if let Value::Obj(m) = props {
        for (k, v) in m.iter().take(32) {
            match v {
                Value::Str(s) if s.len() <= 256 => out.insert(k, v.clone()),
                Value::Num(_) | Value::Bool(_) => out.insert(k, v.clone()),
                _ => {}
            }
        }
    }
    Value::Obj(out)
}

fn matches(m: &Matcher, eid: Option<EventId>, targets: &[u16], ctx: &Ctx) -> bool {
    (m.event == ANY || Some(m.event) == eid)
        && m.selector.is_none_or(|s| targets.contains(&s))
        && m.cond.eval(ctx)
}

impl Engine {
    /// Builds an engine over a compiled config and the stored state (`State::default()`
    /// for a first visit). `visitor_id` is used only when the state has none.
    pub fn new(cfg: Config, mut state: State, visitor_id: &str, now: u64) -> Engine {
        let mut dirty = false;
        if state.visitor.id.is_empty() {
            state.visitor = Visitor {
                id: visitor_id.into(),
                first_seen: now,
                visits: 0,
                prev_visit: 0,
            };
            state.session = Session::default();
            dirty = true;
        }
        let mut progress: Vec<Option<Progress>> = Vec::with_capacity(cfg.rules.len());
        for rule in &cfg.rules {
            let stored = state
                .patterns
                .iter()
                .position(|(id, fp, _)| *id == rule.id && *fp == rule.fingerprint)
                .map(|i| state.patterns.swap_remove(i).2);
            let fresh = match (&rule.trigger, stored) {
                (Trigger::Sequence { .. }, Some(p @ Progress::Sequence(_)))
                | (Trigger::Absence { .. }, Some(p @ Progress::Absence(_)))
                | (Trigger::Count { .. }, Some(p @ Progress::Count(_)))
                | (Trigger::Idle { .. }, Some(p @ Progress::Idle(_))) => Some(p),
                (Trigger::Event(_), _) => None,
                (Trigger::Sequence { .. }, _) => Some(Progress::Sequence(Vec::new())),
                (Trigger::Absence { .. }, _) => Some(Progress::Absence(Vec::new())),
                (Trigger::Count { .. }, _) => Some(Progress::Count(Vec::new())),
                (Trigger::Idle { .. }, _) => Some(Progress::Idle(0)),
            };
            progress.push(fresh);
        }
        state.patterns.clear();
        let mut names = vec![String::new(); cfg.event_ids.len()];
        for (name, id) in &cfg.event_ids {
            if let Some(slot) = names.get_mut(*id as usize) {
                slot.clone_from(name);
            }
        }
        let status = vec![Status::default(); cfg.rules.len()];
        let idle_base = state.session.last_activity.max(state.session.start);
        let mut e = Engine {
            cfg,
            state,
            progress,
            status,
            page: Value::Obj(Map::new()),
            page_start: now,
            max_scroll: 0.0,
            scroll_seen: Vec::new(),
            hidden_since: None,
            idle_base,
            dirty,
            lazy_dirty: false,
            deadline: None,
            names,
            utc_offset_ms: 0,
            showing: None,
            conversions: Vec::new(),
            segments: Vec::new(),
            segments_changed: false,
            exposures: Vec::new(),
            forced: Vec::new(),
            counted_show: false,
            notices: Vec::new(),
            noticed: 0,
        };
        e.touch_session(now, true);
        e.recompute_deadline();
        e
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    pub fn rules(&self) -> &[Rule] {
        &self.cfg.rules
    }

    /// The state to persist (visitor, session, pattern progress, attributes).
    pub fn export_state(&self) -> State {
        let mut st = self.state.clone();
        for (rule, p) in self.cfg.rules.iter().zip(&self.progress) {
            if let Some(p) = p {
                st.patterns
                    .push((rule.id.clone(), rule.fingerprint.clone(), p.clone()));
            }
        }
        st
    }

    /// The stored record as JSON text, written straight from the live state (what
    /// `export_state().to_value()` reads as, without copying the state first).
    pub fn state_json(&self) -> String {
        let live = self
            .cfg
            .rules
            .iter()
            .zip(&self.progress)
            .filter_map(|(r, p)| Some((r.id.as_str(), r.fingerprint.as_str(), p.as_ref()?)));
        self.state.json_with(live)
    }

    /// The record to save: `state_json` after the pattern progress is brought within
    /// `MAX_PROGRESS_BYTES` (the oldest waits go first), so that the record is bounded
    /// and what is saved is exactly what this tab goes on with.
    pub fn save_json(&mut self) -> String {
        super::state::trim_progress(&mut self.progress, MAX_PROGRESS_BYTES);
        self.state_json()
    }

    /// `state_json` as a value.
    pub fn state_value(&self) -> Value {
        super::state::record_value(&self.state_json())
    }

    /// The deepest scroll reached on this page, in percent.
    pub fn max_scroll(&self) -> f64 {
        self.max_scroll
    }

    pub fn visitor(&self) -> &Visitor {
        &self.state.visitor
    }

    pub fn session(&self) -> &Session {
        &self.state.session
    }

    /// True once since the last call when the persisted state changed in a way that
    /// must be saved now (a show, the visitor's choices, consent, a new visit, attributes).
    pub fn take_dirty(&mut self) -> bool {
        if self.dirty {
            self.lazy_dirty = false;
            self.counted_show = false;
        }
        core::mem::take(&mut self.dirty)
    }

    /// A show that a count cap (the rule's, its group's or the global one) counts is not
    /// saved yet: it must reach storage before another tab decides.
    pub fn owes_counted_show(&self) -> bool {
        self.counted_show
    }

    /// Whether something must be saved now (see `take_dirty`) or soon (`take_lazy_dirty`),
    /// without clearing either.
    pub fn owes_save(&self) -> (bool, bool) {
        (self.dirty, self.lazy_dirty)
    }

    /// True once since the last save when only progress changed (pattern windows, page
    /// views, activity): saved every few seconds and when the page goes away.
    pub fn take_lazy_dirty(&mut self) -> bool {
        core::mem::take(&mut self.lazy_dirty)
    }

    /// When `tick` must next be called, if ever.
    pub fn next_deadline(&self) -> Option<u64> {
        self.deadline
    }

    /// Sets the local time zone (local minus UTC, in minutes), for sessions that end at
    /// local midnight.
    pub fn set_utc_offset_minutes(&mut self, minutes: i32) {
        self.utc_offset_ms = i64::from(minutes.clamp(-24 * 60, 24 * 60)) * 60_000;
    }

    fn local_day(&self, t: u64) -> i64 {
        (t as i64)
            .saturating_add(self.utc_offset_ms)
            .div_euclid(86_400_000)
    }

    /// Starts a new visit when the session timed out (or a local midnight passed, when
    /// configured); counts activity time.
    fn touch_session(&mut self, now: u64, active: bool) {
        let timeout = self.cfg.session_timeout;
        let new_day = self.cfg.session_midnight
            && self.state.session.start != 0
            && self.local_day(self.state.session.last_activity) != self.local_day(now);
        let s = &mut self.state.session;
        let expired = s.start == 0 || new_day || now.saturating_sub(s.last_activity) > timeout;
        if expired {
            let prev = if s.start == 0 { 0 } else { s.last_activity };
            let v = &mut self.state.visitor;
            if prev > 0 {
                v.prev_visit = prev;
            }
            v.visits = v.visits.saturating_add(1);
            *s = Session {
                start: now,
                last_activity: now,
                page_views: 0,
                active_ms: 0,
                events: 0,
            };
            self.idle_base = now;
            self.dirty = true;
        } else if active {
            let gap = now.saturating_sub(s.last_activity);
            if self.hidden_since.is_none() && gap <= ACTIVE_GAP_MS {
                s.active_ms = s.active_ms.saturating_add(gap);
            }
            if gap > 0 {
                self.lazy_dirty = true;
            }
            s.last_activity = s.last_activity.max(now);
        }
        if active {
            self.idle_base = self.idle_base.max(now);
        }
    }

    /// Visitor activity that happened at `at` and was not reported then (the browser layer
    /// reports input at most once a second and reads the exact time of the last input
    /// before anything is decided). Moves the idle clock and the session like `Activity`,
    /// without deciding anything; older news than what is known changes nothing.
    pub fn note_activity(&mut self, at: u64) {
        if at > self.state.session.last_activity && self.hidden_since.is_none() {
            self.touch_session(at, true);
        }
    }

    /// Whether an event of this name can matter to a rule (a trigger, pattern, goal or
    /// `"*"` names it). Its properties are read only then: the others still count as
    /// session events and activity.
    pub fn uses_event(&self, name: &str) -> bool {
        self.cfg.event_id(name).is_some() || !self.cfg.any.is_empty()
    }

    /// Processes one signal at `now` and returns the rules that fired, highest priority first.
    pub fn handle(&mut self, signal: Signal, now: u64) -> Vec<Decision> {
        // Deadlines that passed before this signal are settled first, in time order.
        let mut out = self.tick(now);
        match signal {
            Signal::PageView { page } => {
                self.touch_session(now, true);
                self.state.session.page_views = self.state.session.page_views.saturating_add(1);
                self.lazy_dirty = true;
                self.page = page;
                self.page_start = now;
                self.max_scroll = 0.0;
                self.scroll_seen.clear();
                let props = self.page.clone();
                self.dispatch(events::PAGE_VIEW, &props, &[], now, &mut out);
            }
            Signal::Event {
                name,
                props,
                targets,
            } => {
                self.touch_session(now, true);
                self.state.session.events = self.state.session.events.saturating_add(1);
                self.dispatch(&name, &props, &targets, now, &mut out);
            }
            Signal::Activity => self.touch_session(now, true),
            Signal::Scroll { depth } => {
                self.touch_session(now, true);
                let depth = if depth.is_finite() {
                    depth.clamp(0.0, 100.0)
                } else {
                    0.0
                };
                if depth > self.max_scroll {
                    self.max_scroll = depth;
                    let crossed: Vec<u8> = self
                        .cfg
                        .watch
                        .scroll
                        .iter()
                        .copied()
                        .filter(|t| f64::from(*t) <= depth && !self.scroll_seen.contains(t))
                        .collect();
                    for t in crossed {
                        self.scroll_seen.push(t);
                        let props = obj([("depth", Value::Num(f64::from(t)))]);
                        self.dispatch(events::SCROLL_DEPTH, &props, &[], now, &mut out);
                    }
                }
            }
            Signal::Hidden => {
                if self.hidden_since.is_none() {
                    self.hidden_since = Some(now);
                    self.dispatch(
                        events::TAB_HIDDEN,
                        &Value::Obj(Map::new()),
                        &[],
                        now,
                        &mut out,
                    );
                }
            }
            Signal::Visible => {
                if let Some(since) = self.hidden_since.take() {
                    let away = now.saturating_sub(since);
                    // Hidden time is not idle time.
                    self.idle_base = self.idle_base.saturating_add(away).min(now);
                    self.touch_session(now, true);
                    let props = obj([("away", Value::Num(away as f64))]);
                    self.dispatch(events::TAB_VISIBLE, &props, &[], now, &mut out);
                }
            }
            Signal::Identify(attrs) => {
                self.identify(attrs);
                let props = Value::Obj(Map::new());
                self.dispatch(events::IDENTIFY, &props, &[], now, &mut out);
            }
        }
        self.recompute_deadline();
        sort(&mut out);
        out
    }

    /// Merges host attributes, within `MAX_ATTRS_BYTES` in all: an attribute that would
    /// take the attributes past it is not kept (a notice says so, once).
    fn identify(&mut self, attrs: Map) {
        use super::state::MAX_ATTRS_BYTES;
        let mut size = Value::approx_map_size(&self.state.attrs);
        for (k, v) in attrs.0 {
            if super::reader::is_forbidden_key(&k) || self.state.attrs.get(&k) == Some(&v) {
                continue;
            }
            let old = self
                .state
                .attrs
                .get(&k)
                .map_or(0, |o| k.len() + o.approx_size());
            let new = size - old + k.len() + v.approx_size();
            if new > MAX_ATTRS_BYTES {
                self.notice(Notice::AttrsTooLarge);
                continue;
            }
            size = new;
            self.state.attrs.insert(k, v);
            self.dirty = true;
        }
    }

    /// Records a notice for the host (each kind once per engine).
    fn notice(&mut self, n: Notice) {
        let bit = 1u8 << (n as u8);
        if self.noticed & bit == 0 {
            self.noticed |= bit;
            self.notices.push(n);
        }
    }

    /// Notices since the last call, for the host's console.
    pub fn take_notices(&mut self) -> Vec<Notice> {
        core::mem::take(&mut self.notices)
    }

    fn dispatch(
        &mut self,
        name: &str,
        props: &Value,
        targets: &[u16],
        now: u64,
        out: &mut Vec<Decision>,
    ) {
        self.refresh_segments(now);
        let eid = self.cfg.event_id(name);
        if eid.is_none() && self.cfg.any.is_empty() {
            return;
        }
        let Engine {
            cfg,
            state,
            progress,
            status,
            page,
            page_start,
            max_scroll,
            hidden_since,
            idle_base,
            lazy_dirty,
            dirty,
            conversions,
            segments,
            ..
        } = self;
        let ctx = Ctx {
            event: name,
            props,
            page,
            state,
            now,
            page_start: *page_start,
            max_scroll: *max_scroll,
            idle_base: *idle_base,
            hidden: hidden_since.is_some(),
            segments,
        };
        let mut done: Vec<u32> = Vec::new();
        let cfg: &Config = cfg;
        for hook in cfg.hooks(eid).copied() {
            let r = hook.rule as usize;
            if hook.role == Role::Convert {
                if let Some(rule) = cfg.rules.get(r) {
                    attribute(rule, r, name, props, eid, targets, &ctx, conversions, dirty);
                }
                continue;
            }
            let (Some(rule), Some(prog)) = (cfg.rules.get(r), progress.get_mut(r)) else {
                continue;
            };
            match &rule.trigger {
                Trigger::Event(m) => {
                    if matches(m, eid, targets, &ctx) {
                        fire(rule, r, Some(name), Cow::Borrowed(props), &ctx, status, out);
                    }
                }
                Trigger::Count {
                    matcher,
                    at_least,
                    within,
                    group_by,
                } => {
                    if !matches(matcher, eid, targets, &ctx) {
                        continue;
                    }
                    let Some(Progress::Count(groups)) = prog else {
                        continue;
                    };
                    let key = group_by
                        .as_ref()
                        .map(|g| key_of(core::slice::from_ref(g), &ctx))
                        .unwrap_or_default();
                    let start = now.saturating_sub(*within);
                    for (_, ts) in groups.iter_mut() {
                        ts.retain(|t| *t > start);
                    }
                    groups.retain(|(_, ts)| !ts.is_empty());
                    let gi = match groups.iter().position(|(k, _)| *k == key) {
                        Some(i) => i,
                        None => {
                            if groups.len() >= MAX_GROUPS {
                                // Evict the group touched longest ago.
                                if let Some(old) = (0..groups.len()).min_by_key(|i| {
                                    groups.get(*i).and_then(|g| g.1.last()).copied()
                                }) {
                                    groups.remove(old);
                                }
                            }
                            groups.push((key, Vec::new()));
                            groups.len() - 1
                        }
                    };
                    *lazy_dirty = true;
                    let Some((_, ts)) = groups.get_mut(gi) else {
                        continue;
                    };
                    ts.push(now);
                    let cap = *at_least as usize;
                    if ts.len() > cap {
                        ts.drain(..ts.len() - cap);
                    }
                    if ts.len() >= cap {
                        ts.clear();
                        fire(rule, r, Some(name), Cow::Borrowed(props), &ctx, status, out);
                    }
                }
                Trigger::Sequence {
                    steps,
                    within,
                    same,
                } => {
                    if done.contains(&hook.rule) {
                        continue;
                    }
                    done.push(hook.rule);
                    let Some(Progress::Sequence(partials)) = prog else {
                        continue;
                    };
                    let hit: Vec<bool> = steps
                        .iter()
                        .map(|m| matches(m, eid, targets, &ctx))
                        .collect();
                    let key = key_of(same, &ctx);
                    partials.retain(|p| now.saturating_sub(p.start) <= *within);
                    let mut completed: Option<Value> = None;
                    for p in partials.iter_mut() {
                        if hit.get(p.next as usize).copied().unwrap_or(false) && p.key == key {
                            p.next += 1;
                            merge(&mut p.props, props);
                            *lazy_dirty = true;
                            if p.next as usize >= steps.len() && completed.is_none() {
                                completed = Some(core::mem::take(&mut p.props));
                            }
                        }
                    }
                    partials.retain(|p| (p.next as usize) < steps.len());
                    if hit.first().copied().unwrap_or(false) {
                        if partials.len() >= MAX_PARTIALS {
                            partials.remove(0);
                        }
                        partials.push(Partial {
                            next: 1,
                            start: now,
                            key,
                            props: bounded(props),
                        });
                        *lazy_dirty = true;
                    }
                    if let Some(p) = completed {
                        // A completed sequence restarts: earlier partials are spent.
                        partials.clear();
                        fire(rule, r, Some(name), Cow::Owned(p), &ctx, status, out);
                    }
                }
                Trigger::Absence {
                    after,
                    absent,
                    within,
                    same,
                    ..
                } => {
                    if done.contains(&hook.rule) {
                        continue;
                    }
                    done.push(hook.rule);
                    let Some(Progress::Absence(pending)) = prog else {
                        continue;
                    };
                    let key = key_of(same, &ctx);
                    if absent.iter().any(|m| matches(m, eid, targets, &ctx)) {
                        let before = pending.len();
                        pending.retain(|p| p.key != key);
                        *lazy_dirty |= pending.len() != before;
                    }
                    if matches(after, eid, targets, &ctx) {
                        pending.retain(|p| p.key != key);
                        if pending.len() >= MAX_PENDING {
                            pending.remove(0);
                        }
                        pending.push(Pending {
                            deadline: now.saturating_add(*within),
                            key,
                            props: bounded(props),
                            session: ctx.state.session.start,
                        });
                        *lazy_dirty = true;
                    }
                }
                Trigger::Idle { .. } => {}
            }
        }
    }

    /// Processes every deadline at or before `now`.
    pub fn tick(&mut self, now: u64) -> Vec<Decision> {
        let mut out = Vec::new();
        if self.deadline.is_none_or(|d| d > now) {
            return out;
        }
        let Engine {
            cfg,
            state,
            progress,
            status,
            page,
            page_start,
            max_scroll,
            hidden_since,
            idle_base,
            lazy_dirty,
            segments,
            ..
        } = self;
        let empty = Value::Obj(Map::new());
        for &r in &cfg.timed {
            let r = r as usize;
            let (Some(rule), Some(prog)) = (cfg.rules.get(r), progress.get_mut(r)) else {
                continue;
            };
            match (&rule.trigger, prog) {
                (
                    Trigger::Absence {
                        inactive, within, ..
                    },
                    Some(Progress::Absence(pending)),
                ) => {
                    let mut due: Vec<Pending> = Vec::new();
                    let quiet_until = if *inactive {
                        state.session.last_activity.saturating_add(*within)
                    } else {
                        0
                    };
                    pending.retain(|p| {
                        if p.deadline.max(quiet_until) <= now {
                            due.push(p.clone());
                            false
                        } else {
                            true
                        }
                    });
                    if due.is_empty() {
                        continue;
                    }
                    *lazy_dirty = true;
                    crate::core::sort::sort_by_key(&mut due, |p| p.deadline);
                    for p in due {
                        // A wait from an earlier visit is stale: drop it.
                        if p.session != state.session.start {
                            continue;
                        }
                        let ctx = Ctx {
                            event: "",
                            props: &p.props,
                            page,
                            state,
                            now: p.deadline.max(quiet_until),
                            page_start: *page_start,
                            max_scroll: *max_scroll,
                            idle_base: *idle_base,
                            hidden: hidden_since.is_some(),
                            segments,
                        };
                        let at = p.deadline.max(quiet_until);
                        let before = out.len();
                        fire(
                            rule,
                            r,
                            None,
                            Cow::Borrowed(&p.props),
                            &ctx,
                            status,
                            &mut out,
                        );
                        if let Some(d) = out.get_mut(before) {
                            d.at = at;
                        }
                    }
                }
                (Trigger::Idle { after }, Some(Progress::Idle(fired_for))) => {
                    if hidden_since.is_some() || *fired_for == *idle_base {
                        continue;
                    }
                    let at = idle_base.saturating_add(*after);
                    if at > now {
                        continue;
                    }
                    *fired_for = *idle_base;
                    *lazy_dirty = true;
                    let ctx = Ctx {
                        event: "",
                        props: &empty,
                        page,
                        state,
                        now,
                        page_start: *page_start,
                        max_scroll: *max_scroll,
                        idle_base: *idle_base,
                        hidden: false,
                        segments,
                    };
                    let before = out.len();
                    fire(rule, r, None, Cow::Borrowed(&empty), &ctx, status, &mut out);
                    if let Some(d) = out.get_mut(before) {
                        d.at = at;
                    }
                }
                _ => {}
            }
        }
        self.recompute_deadline();
        crate::core::sort::sort_by_key(&mut out, |d| d.at);
        out
    }

    fn recompute_deadline(&mut self) {
        self.deadline = self
            .cfg
            .timed
            .iter()
            .filter_map(|r| self.rule_deadline(*r as usize))
            .min();
    }

    /// `{"visitor": {…}, "session": {…}}` as JSON text: the visitor and this visit as
    /// conditions and messages see them (`visitor.*`, `session.*`; `ck.visitor()`).
    pub fn visitor_json(&self, now: u64) -> String {
        let mut out = String::from("{");
        self.write_visitor_session(now, &mut out);
        out.push('}');
        out
    }

    /// `"visitor":{…},"session":{…}`, for `visitor_json` and `context_json`.
    fn write_visitor_session(&self, now: u64, out: &mut String) {
        let num = |out: &mut String, n: f64| super::json::write(&Value::Num(n), out);
        let v = &self.state.visitor;
        out.push_str("\"visitor\":{\"id\":");
        super::json::write_str(&v.id, out);
        out.push_str(if v.visits <= 1 {
            ",\"new\":true,\"returning\":false"
        } else {
            ",\"new\":false,\"returning\":true"
        });
        out.push_str(",\"visits\":");
        num(out, v.visits as f64);
        out.push_str(",\"firstSeen\":");
        num(out, v.first_seen as f64);
        if v.prev_visit > 0 {
            out.push_str(",\"daysSinceLastVisit\":");
            num(out, now.saturating_sub(v.prev_visit) as f64 / 86_400_000.0);
        }
        let s = &self.state.session;
        out.push_str("},\"session\":{\"start\":");
        num(out, s.start as f64);
        out.push_str(",\"duration\":");
        num(out, now.saturating_sub(s.start) as f64);
        out.push_str(",\"pageViews\":");
        num(out, s.page_views as f64);
        out.push_str(",\"activeTime\":");
        num(out, s.active_ms as f64);
        out.push_str(",\"events\":");
        num(out, s.events as f64);
        out.push('}');
    }

    /// The full context for a decision, as a value for messages, webhooks and `explain`:
    /// `context_json` read back (one definition of the context; the text is what
    /// `decision` handlers get, and it is built far more often).
    pub fn context(&self, d: &Decision, now: u64) -> Value {
        super::json::parse_to_depth(&self.context_json(d, now), super::json::MAX_DEPTH + 1)
            .unwrap_or_default()
    }

    /// A decision's context as JSON text: the host's attributes, then `event`,
    /// `segment`, `segments`, `variant` and `experiment` (in an experiment), `props`,
    /// `page`, `visitor`, `session` and `behavior`. Written straight from the state, with
    /// no tree built and dropped, since every decision a handler hears carries it. An
    /// attribute named like one of these keys appears twice: read as JSON (here and by
    /// `JSON.parse`), the later value wins in the earlier place.
    pub fn context_json(&self, d: &Decision, now: u64) -> String {
        use super::json::{write, write_str};
        let st = &self.state;
        let num = |out: &mut String, n: f64| write(&Value::Num(n), out);
        let mut out = String::with_capacity(512);
        out.push('{');
        for (k, v) in st.attrs.iter() {
            write_str(k, &mut out);
            out.push(':');
            write(v, &mut out);
            out.push(',');
        }
        out.push_str("\"event\":");
        match &d.event {
            Some(e) => write_str(e, &mut out),
            None => out.push_str("null"),
        }
        out.push_str(",\"segment\":");
        match self.segments.first() {
            Some(s) => write_str(s, &mut out),
            None => out.push_str("null"),
        }
        out.push_str(",\"segments\":[");
        for (i, s) in self.segments.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_str(s, &mut out);
        }
        out.push(']');
        if let Some(x) = self
            .cfg
            .rules
            .get(d.rule)
            .and_then(|r| r.experiment.as_ref())
        {
            if let Some(v) = self.assigned_variant(d.rule) {
                out.push_str(",\"variant\":");
                write_str(v, &mut out);
            }
            out.push_str(",\"experiment\":");
            write_str(&x.split.key, &mut out);
        }
        out.push_str(",\"props\":");
        write(&d.props, &mut out);
        out.push_str(",\"page\":");
        write(&self.page, &mut out);
        out.push(',');
        self.write_visitor_session(now, &mut out);
        out.push_str(",\"behavior\":{\"scrollDepth\":");
        num(&mut out, self.max_scroll);
        out.push_str(",\"dwell\":");
        num(&mut out, now.saturating_sub(self.page_start) as f64);
        out.push_str(",\"idle\":");
        num(&mut out, now.saturating_sub(self.idle_base) as f64);
        out.push_str(if self.hidden_since.is_some() {
            ",\"hidden\":true}}"
        } else {
            ",\"hidden\":false}}"
        });
        out
    }

    fn event_name(&self, id: EventId) -> &str {
        if id == ANY {
            return "*";
        }
        self.names
            .get(id as usize)
            .map(String::as_str)
            .unwrap_or("?")
    }

    fn describe_matcher(&self, m: &Matcher) -> String {
        let mut s = String::from(self.event_name(m.event));
        if let Some(sel) = m
            .selector
            .and_then(|i| self.cfg.watch.selectors.get(i as usize))
        {
            s.push_str(" on ");
            s.push_str(sel);
        }
        if !m.cond.paths().is_empty() {
            s.push_str(" (filtered)");
        }
        s
    }

    /// The condition context outside any event (explain, segments).
    fn ctx_at<'a>(&'a self, props: &'a Value, now: u64, segments: &'a [String]) -> Ctx<'a> {
        Ctx {
            event: "",
            props,
            page: &self.page,
            state: &self.state,
            now,
            page_start: self.page_start,
            max_scroll: self.max_scroll,
            idle_base: self.idle_base,
            hidden: self.hidden_since.is_some(),
            segments,
        }
    }

    /// Re-evaluates segment membership over the current metrics.
    fn refresh_segments(&mut self, now: u64) {
        if self.cfg.segments.is_empty() && self.cfg.centroids.is_none() {
            return;
        }
        let empty = Value::Obj(Map::new());
        let ctx = self.ctx_at(&empty, now, &[]);
        let mut now_in: Vec<String> = self
            .cfg
            .segments
            .iter()
            .filter(|(_, c)| c.eval(&ctx))
            .map(|(n, _)| n.clone())
            .collect();
        if let Some(model) = &self.cfg.centroids {
            let feature = |name: &str| -> Option<f64> {
                let path = AttrPath::new(name);
                match ctx.lookup(&path)?.as_ref() {
                    Value::Num(x) => Some(*x),
                    Value::Bool(b) => Some(f64::from(u8::from(*b))),
                    _ => None,
                }
            };
            if let Some(name) = model.assign(&feature) {
                if !now_in.iter().any(|x| x == name) {
                    now_in.push(name.to_string());
                }
            }
        }
        if now_in != self.segments {
            self.segments = now_in;
            self.segments_changed = true;
        }
    }

    /// The visitor's segments now.
    pub fn segments(&self) -> &[String] {
        &self.segments
    }

    /// True once after segment membership changed.
    pub fn take_segments_changed(&mut self) -> bool {
        core::mem::take(&mut self.segments_changed)
    }

    /// A QA override: show `variant` of `rule`'s experiment (from `?cuekit_force=rule:variant`).
    pub fn force_variant(&mut self, rule: &str, variant: &str) {
        self.forced.retain(|(r, _)| r != rule);
        self.forced.push((rule.into(), variant.into()));
    }

    /// The visitor's assignment in a rule's experiment, if the rule has one.
    pub fn assignment(&self, rule: usize) -> Option<super::experiment::Assignment> {
        let r = self.cfg.rules.get(rule)?;
        let x = r.experiment.as_ref()?;
        let forced = self
            .forced
            .iter()
            .find(|(id, _)| *id == r.id)
            .and_then(|(_, v)| x.variants.iter().position(|n| n == v))
            .or(x.force);
        Some(x.split.assign(&self.state.visitor.id, forced))
    }

    /// The action to use for a decision: the variant's override, else the rule's.
    pub fn action_for(
        &self,
        rule: usize,
        variant: Option<usize>,
    ) -> Option<&super::action::Action> {
        let r = self.cfg.rules.get(rule)?;
        let overridden = variant.and_then(|v| r.experiment.as_ref()?.actions.get(v)?.as_ref());
        Some(overridden.unwrap_or(&r.spec))
    }

    /// The id of the variant this visitor is assigned in a rule's experiment.
    pub fn assigned_variant(&self, rule: usize) -> Option<&str> {
        let v = self.assignment(rule)?.variant?;
        self.variant_id(rule, v)
    }

    /// The variant id of a rule's experiment.
    pub fn variant_id(&self, rule: usize, variant: usize) -> Option<&str> {
        self.cfg
            .rules
            .get(rule)?
            .experiment
            .as_ref()?
            .variants
            .get(variant)
            .map(String::as_str)
    }

    fn expose(&mut self, rule: usize, variant: usize, held_out: bool, now: u64) {
        let Some(r) = self.cfg.rules.get(rule) else {
            return;
        };
        let Some(x) = r.experiment.as_ref() else {
            return;
        };
        let key = &x.split.key;
        if self.state.exposures.iter().any(|(k, ..)| k == key) {
            return;
        }
        let vid = x.variants.get(variant).cloned().unwrap_or_default();
        self.state.exposures.push((key.clone(), vid, held_out, now));
        if self.state.exposures.len() > super::state::MAX_EXPOSURES {
            self.state.exposures.remove(0);
        }
        self.exposures.push((rule, variant, held_out));
        self.dirty = true;
    }

    /// First exposures since the last call: (rule, variant, held out).
    pub fn take_exposures(&mut self) -> Vec<(usize, usize, bool)> {
        core::mem::take(&mut self.exposures)
    }

    /// Per experiment: this visitor's variant, whether exposed or held out, and the
    /// outcomes recorded for the rule (for dashboards; `analyze()` works on totals).
    pub fn stats(&self) -> Value {
        let mut out = Vec::new();
        for (i, r) in self.cfg.rules.iter().enumerate() {
            let Some(x) = r.experiment.as_ref() else {
                continue;
            };
            let a = self.assignment(i);
            let exposure = self
                .state
                .exposures
                .iter()
                .find(|(k, ..)| *k == x.split.key);
            let count = |kind: Kind| {
                self.state
                    .ledger
                    .entries()
                    .iter()
                    .filter(|e| e.rule == r.id && e.kind.same_class(kind))
                    .count() as f64
            };
            out.push(obj([
                ("experiment", Value::Str(x.split.key.clone())),
                ("rule", Value::Str(r.id.clone())),
                (
                    "variant",
                    a.and_then(|a| a.variant)
                        .and_then(|v| x.variants.get(v).cloned())
                        .map(Value::Str)
                        .unwrap_or_default(),
                ),
                ("holdout", Value::Bool(a.is_some_and(|a| a.in_holdout))),
                ("exposed", Value::Bool(exposure.is_some())),
                ("shows", Value::Num(count(Kind::Show))),
                ("clicks", Value::Num(count(Kind::Click))),
                ("dismissals", Value::Num(count(Kind::Dismiss))),
                ("conversions", Value::Num(count(Kind::Convert))),
            ]));
        }
        Value::Arr(out)
    }

    /// The caps layer: may this decision be shown now? On success the show is recorded
    /// (and, for displayed prompts, the prompt is on screen until `closed`); on failure
    /// the reason is kept for `explain`.
    pub fn admit(&mut self, d: &Decision, now: u64) -> Result<(), Suppressed> {
        self.admit_shown(d, now, || Ok(()))
    }

    /// `admit`, where the show happens only if `show` (called once the caps and the
    /// experiment let the decision through) puts it in front of the visitor, e.g. the
    /// message is in the page. When it cannot (the render failed, or a modal must wait),
    /// nothing is counted (no ledger entry, no exposure, nothing on screen) and the
    /// decision is suppressed with the reason `show` gives.
    pub fn admit_shown(
        &mut self,
        d: &Decision,
        now: u64,
        show: impl FnOnce() -> Result<(), Suppressed>,
    ) -> Result<(), Suppressed> {
        self.state.ledger.clamp_future(now);
        let Some(rule) = self.cfg.rules.get(d.rule) else {
            return Err(Suppressed {
                cap: "unknown".into(),
                reason: "unknown rule".into(),
                until: None,
            });
        };
        let rolled_out =
            super::experiment::in_rollout(&rule.id, &self.state.visitor.id, rule.rollout);
        let result = if !rolled_out {
            Err(Suppressed {
                cap: "rollout".into(),
                reason: "the rule is rolled out to part of the visitors, not this one".into(),
                until: None,
            })
        } else if rule.displays && self.hidden_since.is_some() {
            Err(Suppressed {
                cap: "hidden".into(),
                reason: "the tab is hidden: only a visible tab shows prompts".into(),
                until: None,
            })
        } else if let (true, true, Some(other)) =
            (rule.displays, self.cfg.caps.one_at_a_time, self.showing)
        {
            let name = self.cfg.rules.get(other).map_or("", |r| r.id.as_str());
            Err(Suppressed {
                cap: "oneAtATime".into(),
                reason: format!("another prompt (\"{name}\") is on screen"),
                until: None,
            })
        } else {
            let group = rule.caps.group.as_deref();
            let in_group: Vec<&str> = match group {
                Some(g) => self
                    .cfg
                    .rules
                    .iter()
                    .filter(|r| r.caps.group.as_deref() == Some(g))
                    .map(|r| r.id.as_str())
                    .collect(),
                None => Vec::new(),
            };
            let outside_global: Vec<&str> = self
                .cfg
                .rules
                .iter()
                .filter(|r| !r.caps.global)
                .map(|r| r.id.as_str())
                .collect();
            super::caps::admit(
                &self.cfg.caps,
                &rule.caps,
                &self.state.ledger,
                &rule.id,
                &in_group,
                &outside_global,
                self.state.session.start,
                now,
            )
        };
        let displays = rule.displays;
        let id = rule.id.clone();
        // Experiments decide after the caps: a held-out visitor "would have been shown".
        let assignment = self.assignment(d.rule);
        let result = match (result, assignment) {
            (Ok(()), Some(a)) if a.in_holdout => {
                let v = a.variant.unwrap_or(0);
                self.expose(d.rule, v, true, now);
                let name = self.variant_id(d.rule, v).unwrap_or("").to_string();
                Err(Suppressed {
                    cap: "holdout".into(),
                    reason: format!("held out of the experiment (would have shown \"{name}\")"),
                    until: None,
                })
            }
            (Ok(()), a) => match show() {
                Err(s) => Err(s),
                Ok(()) => {
                    if let Some(a) = a {
                        if let Some(v) = a.variant {
                            self.expose(d.rule, v, false, now);
                        }
                    }
                    Ok(())
                }
            },
            (other, _) => other,
        };
        let counted = result.is_ok() && self.counts_toward_a_cap(d.rule);
        let status = self.status.get_mut(d.rule);
        match &result {
            Ok(()) => {
                self.state.ledger.record(&id, Kind::Show, now);
                self.counted_show |= counted;
                if displays {
                    self.showing = Some(d.rule);
                }
                self.dirty = true;
                if let Some(st) = status {
                    st.shown = st.shown.saturating_add(1);
                    st.suppressed = None;
                }
            }
            Err(s) => {
                if let Some(st) = status {
                    st.suppressed = Some(s.clone());
                }
            }
        }
        result
    }

    /// Whether some count cap counts the shows of `rule`.
    fn counts_toward_a_cap(&self, rule: usize) -> bool {
        let Some(r) = self.cfg.rules.get(rule) else {
            return false;
        };
        let caps = &self.cfg.caps;
        !r.caps.limits.is_empty()
            || (r.caps.global && !caps.limits.is_empty())
            || r.caps.group.as_ref().is_some_and(|g| {
                caps.groups
                    .iter()
                    .any(|(name, l)| name == g && !l.is_empty())
            })
    }

    /// Records what the visitor did with a rule's prompt (or, with rule `*`, a choice
    /// for every rule): dismiss, click, convert, snooze, opt out, opt in. Unknown rule
    /// ids are ignored (returns false).
    pub fn record(&mut self, rule_id: &str, kind: Kind, now: u64) -> bool {
        let r = self.cfg.rule_index(rule_id);
        if r.is_none() && rule_id != super::caps::ALL {
            return false;
        }
        if matches!(kind, Kind::Dismiss | Kind::Snooze(_) | Kind::OptOut)
            && (r.is_some() && self.showing == r || rule_id == super::caps::ALL)
        {
            self.showing = None;
        }
        self.state.ledger.record(rule_id, kind, now);
        self.dirty = true;
        true
    }

    /// The prompt left the screen without an outcome (e.g. a countdown ran out).
    pub fn closed(&mut self, rule_id: &str) {
        if self.showing.is_some() && self.showing == self.cfg.rule_index(rule_id) {
            self.showing = None;
        }
    }

    pub fn showing(&self) -> Option<&str> {
        self.showing
            .and_then(|r| self.cfg.rules.get(r))
            .map(|r| r.id.as_str())
    }

    pub fn ledger(&self) -> &Ledger {
        &self.state.ledger
    }

    /// Conversions attributed by the last signals; the caller records them
    /// (`record(rule, Kind::Convert)`) and tells handlers and webhooks.
    pub fn take_conversions(&mut self) -> Vec<Decision> {
        let out = core::mem::take(&mut self.conversions);
        for d in &out {
            self.state.ledger.record(&d.rule_id, Kind::Convert, d.at);
        }
        out
    }

    /// Folds in another tab's stored state (see `merge`): choices by union, the latest
    /// consent decision and erasure win, visit counts by maximum, pattern windows by
    /// union. When this tab holds a fact the record lacks, the state is marked for an
    /// urgent save (`write_back`), so the merged state reaches storage.
    pub fn merge_state(&mut self, other: &State, fresh_id: &str, now: u64) -> Merged {
        let ours_erased = self.state.erased;
        let m = super::merge::merge_facts(&mut self.state, other, fresh_id, now);
        if m.erased {
            // What this tab was waiting for predates the erasure.
            self.clear_progress();
            self.showing = None;
        }
        let s = &mut self.state.session;
        if other.session.start == s.start && other.session.last_activity > s.last_activity {
            s.last_activity = other.session.last_activity;
            self.idle_base = self.idle_base.max(s.last_activity);
        }
        let mut changed = m.changed;
        // Progress from before our own erasure is not taken in.
        if other.erased >= ours_erased {
            for (id, fp, theirs) in &other.patterns {
                let Some(r) = self
                    .cfg
                    .rules
                    .iter()
                    .position(|x| x.id == *id && x.fingerprint == *fp)
                else {
                    continue;
                };
                let Some(Some(ours)) = self.progress.get_mut(r) else {
                    continue;
                };
                changed |= super::merge::merge_progress(ours, theirs);
            }
        }
        if changed {
            self.recompute_deadline();
        }
        if m.write_back {
            self.dirty = true;
        }
        Merged { changed, ..m }
    }

    fn clear_progress(&mut self) {
        for p in self.progress.iter_mut().flatten() {
            *p = match p {
                Progress::Sequence(_) => Progress::Sequence(Vec::new()),
                Progress::Absence(_) => Progress::Absence(Vec::new()),
                Progress::Count(_) => Progress::Count(Vec::new()),
                Progress::Idle(_) => Progress::Idle(0),
            };
        }
    }

    /// Erases everything known about the visitor (a fresh visitor id is used). The
    /// erasure is a fact of its own (`State::erased`): no other tab brings back what it
    /// held from before. The consent decision stays as it was.
    pub fn forget(&mut self, new_id: &str, now: u64) {
        let (consent, consent_at) = (self.state.consent, self.state.consent_at);
        self.state = State::default();
        self.state.erased = now.max(1);
        self.state.consent = consent;
        self.state.consent_at = consent_at;
        self.state.visitor = Visitor {
            id: new_id.into(),
            first_seen: now,
            visits: 0,
            prev_visit: 0,
        };
        self.clear_progress();
        self.showing = None;
        self.touch_session(now, true);
        self.dirty = true;
        self.recompute_deadline();
    }

    pub fn consent_granted(&self) -> bool {
        self.state.consent
    }

    /// Consent was withdrawn (a decision, not merely not given yet).
    pub fn consent_withdrawn(&self) -> bool {
        !self.state.consent && self.state.consent_at > 0
    }

    /// The host's consent decision, timed so that the latest wins across tabs.
    /// Withdrawing it also erases the visitor's data (`forget`, with `new_id`).
    pub fn set_consent(&mut self, granted: bool, new_id: &str, now: u64) {
        if self.state.consent_at > 0 && self.state.consent == granted {
            return; // the same decision again
        }
        let at = now.max(1).max(self.state.consent_at);
        if !granted {
            self.forget(new_id, at);
        }
        self.state.consent = granted;
        self.state.consent_at = at;
        self.dirty = true;
    }

    /// The record to store once consent is withdrawn (the withdrawal alone).
    pub fn withdrawal_json(&self) -> String {
        self.state.withdrawal_json()
    }

    /// The record without progress and attributes (see `State::essentials_json`).
    pub fn essentials_json(&self) -> String {
        self.state.essentials_json()
    }

    /// Why a rule did or did not fire, and what it is waiting for.
    pub fn explain(&self, rule_id: &str, now: u64) -> Option<Value> {
        let r = self.cfg.rule_index(rule_id)?;
        let rule = self.cfg.rules.get(r)?;
        let status = self.status.get(r).cloned().unwrap_or_default();
        let dur = |ms: u64| super::value::num_to_string(ms as f64 / 1000.0) + "s";
        let trigger = match &rule.trigger {
            Trigger::Event(m) => format!("on {}", self.describe_matcher(m)),
            Trigger::Sequence { steps, within, .. } => {
                let parts: Vec<String> = steps.iter().map(|m| self.describe_matcher(m)).collect();
                format!(
                    "sequence {} within {}",
                    super::find::join(&parts, " → "),
                    dur(*within)
                )
            }
            Trigger::Absence {
                after,
                absent,
                within,
                ..
            } => {
                let parts: Vec<String> = absent.iter().map(|m| self.describe_matcher(m)).collect();
                format!(
                    "after {}, none of [{}] within {}",
                    self.describe_matcher(after),
                    super::find::join(&parts, ", "),
                    dur(*within)
                )
            }
            Trigger::Count {
                matcher,
                at_least,
                within,
                group_by,
            } => format!(
                "{} × {} within {}{}",
                at_least,
                self.describe_matcher(matcher),
                dur(*within),
                group_by
                    .as_ref()
                    .map(|g| format!(" per {}", g.raw))
                    .unwrap_or_default()
            ),
            Trigger::Idle { after } => format!("idle for {}", dur(*after)),
        };
        let progress = match self.progress.get(r).and_then(Option::as_ref) {
            None => Value::Null,
            Some(Progress::Count(groups)) => Value::Arr(
                groups
                    .iter()
                    .map(|(k, ts)| {
                        obj([("group", k.clone()), ("count", Value::Num(ts.len() as f64))])
                    })
                    .collect(),
            ),
            Some(Progress::Sequence(ps)) => Value::Arr(
                ps.iter()
                    .map(|p| {
                        obj([
                            ("nextStep", Value::Num(p.next as f64)),
                            ("started", Value::Num(p.start as f64)),
                        ])
                    })
                    .collect(),
            ),
            Some(Progress::Absence(ps)) => Value::Arr(
                ps.iter()
                    .map(|p| {
                        obj([
                            ("deadline", Value::Num(p.deadline as f64)),
                            ("key", p.key.clone()),
                        ])
                    })
                    .collect(),
            ),
            Some(Progress::Idle(f)) => obj([
                ("idleSince", Value::Num(self.idle_base as f64)),
                ("firedFor", Value::Num(*f as f64)),
            ]),
        };
        let empty = Value::Obj(Map::new());
        let ctx = self.ctx_at(&empty, now, &self.segments);
        let failure = rule.cond.explain_failure(&ctx);
        let (last, at) = match status.last {
            Outcome::Never => ("never triggered", Value::Null),
            Outcome::Fired(t) => ("fired", Value::Num(t as f64)),
            Outcome::Blocked(t) => (
                "triggered, but the condition did not hold",
                Value::Num(t as f64),
            ),
        };
        let mut summary = String::from(if !rule.enabled { "disabled" } else { last });
        if let Some(f) = &failure {
            summary.push_str("; condition now fails: ");
            summary.push_str(f);
        }
        Some(obj([
            ("rule", Value::Str(rule.id.clone())),
            ("enabled", Value::Bool(rule.enabled)),
            ("priority", Value::Num(rule.priority as f64)),
            ("trigger", Value::Str(trigger)),
            ("last", Value::Str(last.into())),
            ("lastAt", at),
            ("fired", Value::Num(status.fired as f64)),
            ("blocked", Value::Num(status.blocked as f64)),
            ("conditionHoldsNow", Value::Bool(failure.is_none())),
            (
                "conditionFailure",
                failure.map(Value::Str).unwrap_or_default(),
            ),
            ("progress", progress),
            (
                "nextDeadline",
                self.rule_deadline(r)
                    .map(|d| Value::Num(d as f64))
                    .unwrap_or_default(),
            ),
            ("shown", Value::Num(status.shown as f64)),
            (
                "suppressed",
                status
                    .suppressed
                    .as_ref()
                    .map(|x| {
                        obj([
                            ("cap", Value::Str(x.cap.clone())),
                            ("reason", Value::Str(x.reason.clone())),
                            (
                                "until",
                                x.until.map(|u| Value::Num(u as f64)).unwrap_or_default(),
                            ),
                        ])
                    })
                    .unwrap_or_default(),
            ),
            (
                "optedOut",
                Value::Bool(self.state.ledger.opted_out(&rule.id)),
            ),
            (
                "snoozedUntil",
                self.state
                    .ledger
                    .snoozed_until(&rule.id, now)
                    .map(|u| Value::Num(u as f64))
                    .unwrap_or_default(),
            ),
            ("summary", Value::Str(summary)),
        ]))
    }

    /// When a timed rule next needs the clock: its earliest wait, or the idle deadline.
    fn rule_deadline(&self, r: usize) -> Option<u64> {
        match (
            self.cfg.rules.get(r).map(|x| &x.trigger),
            self.progress.get(r),
        ) {
            (
                Some(Trigger::Absence {
                    inactive, within, ..
                }),
                Some(Some(Progress::Absence(p))),
            ) => {
                let quiet = if *inactive {
                    self.state.session.last_activity.saturating_add(*within)
                } else {
                    0
                };
                p.iter().map(|x| x.deadline.max(quiet)).min()
            }
            (Some(Trigger::Idle { after }), Some(Some(Progress::Idle(f))))
                if *f != self.idle_base && self.hidden_since.is_none() =>
            {
                Some(self.idle_base.saturating_add(*after))
            }
            _ => None,
        }
    }
}

fn fire(
    rule: &Rule,
    r: usize,
    event: Option<&str>,
    // Borrowed while the conditions run; copied only for a decision.
    props: Cow<'_, Value>,
    ctx: &Ctx,
    status: &mut [Status],
    out: &mut Vec<Decision>,
) {
    let ok = {
        let c = Ctx {
            props: &props,
            ..*ctx
        };
        rule.cond.eval(&c)
    };
    let Some(st) = status.get_mut(r) else {
        return;
    };
    if ok {
        st.last = Outcome::Fired(ctx.now);
        st.fired = st.fired.saturating_add(1);
        out.push(Decision {
            rule: r,
            rule_id: rule.id.clone(),
            priority: rule.priority,
            at: ctx.now,
            event: event.map(String::from),
            props: props.into_owned(),
        });
    } else {
        st.last = Outcome::Blocked(ctx.now);
        st.blocked = st.blocked.saturating_add(1);
    }
}

fn merge(into: &mut Value, from: &Value) {
    if let (Value::Obj(a), Value::Obj(b)) = (&mut *into, from) {
        for (k, v) in b.iter() {
            a.insert(k, v.clone());
        }
    }
    if into.approx_size() > MAX_PROPS_BYTES {
        *into = bounded(into);
    }
}

/// A conversion event: attributed to the rule when it was shown within the window and
/// has not converted since that show. Recorded once.
#[allow(clippy::too_many_arguments)]
fn attribute(
    rule: &Rule,
    r: usize,
    name: &str,
    props: &Value,
    eid: Option<EventId>,
    targets: &[u16],
    ctx: &Ctx,
    out: &mut Vec<Decision>,
    dirty: &mut bool,
) {
    let Some((m, within)) = &rule.conversion else {
        return;
    };
    if !matches(m, eid, targets, ctx) {
        return;
    }
    let ledger = &ctx.state.ledger;
    let last_show = ledger
        .entries()
        .iter()
        .filter(|e| e.rule == rule.id && e.kind == Kind::Show)
        .map(|e| e.at)
        .max();
    let Some(shown) = last_show else { return };
    if ctx.now.saturating_sub(shown) > *within {
        return;
    }
    let converted_since = ledger
        .entries()
        .iter()
        .any(|e| e.rule == rule.id && e.kind == Kind::Convert && e.at >= shown);
    if converted_since || out.iter().any(|d| d.rule == r) {
        return;
    }
    *dirty = true;
    out.push(Decision {
        rule: r,
        rule_id: rule.id.clone(),
        priority: rule.priority,
        at: ctx.now,
        event: Some(name.into()),
        props: props.clone(),
    });
}

/// Highest priority first. Stable: equal priorities keep their order (time, rule).
pub fn sort(out: &mut Vec<Decision>) {
    crate::core::sort::sort_by_key(out, |d| core::cmp::Reverse(d.priority));
}
