//! The JSON config language: validated field by field (every problem reported with its
//! path) and compiled once into rules indexed by the events that can wake them.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// FNV-1a: event names are short and come from the config, so a keyed hash buys nothing
/// here and costs a lookup on every event.
#[derive(Default)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// Event name → id.
pub type NameMap = HashMap<String, EventId, BuildHasherDefault<Fnv>>;

use super::condition::{AttrPath, Condition, ConditionError};
use super::reader::{
    did_you_mean, err, index, is_forbidden_key, join, whole_number, ConfigError, Errors, Obj,
};
use super::regex::RegexFactory;
use super::value::{Map, Value};

/// Built-in signal names the browser layer (or the engine itself) emits.
pub mod events {
    pub const PAGE_VIEW: &str = "page_view";
    pub const CLICK: &str = "click";
    pub const SCROLL_DEPTH: &str = "scroll_depth";
    pub const TAB_HIDDEN: &str = "tab_hidden";
    pub const TAB_VISIBLE: &str = "tab_visible";
    pub const EXIT_INTENT: &str = "exit_intent";
    pub const RAGE_CLICK: &str = "rage_click";
    pub const HOVER_START: &str = "hover_start";
    pub const HOVER_END: &str = "hover_end";
    pub const ELEMENT_VISIBLE: &str = "element_visible";
    pub const ELEMENT_HIDDEN: &str = "element_hidden";
    pub const FORM_START: &str = "form_start";
    pub const FORM_SUBMIT: &str = "form_submit";
    pub const FORM_ABANDON: &str = "form_abandon";
    pub const IDENTIFY: &str = "identify";
}

/// Lifecycle events delivered to handlers, webhooks and the dataLayer.
pub const LIFECYCLE: &[&str] = &["show", "click", "dismiss", "snooze", "optout", "convert"];

/// Interned event name. `ANY` matches every event.
pub type EventId = u16;
pub const ANY: EventId = u16::MAX;

/// Largest accepted `atLeast` / sequence length: windows keep at most this many stamps.
pub const MAX_COUNT: u32 = 100;
pub const MAX_STEPS: usize = 16;

/// Matches one event: its name, optionally the element it happened on (a selector the
/// browser layer watches), and a condition over the event's context.
pub struct Matcher {
    pub event: EventId,
    pub selector: Option<u16>,
    pub cond: Condition,
}

pub enum Trigger {
    /// Fires on each matching event.
    Event(Matcher),
    /// The steps in order, all within `within` of the first; `same` properties equal.
    Sequence {
        steps: Vec<Matcher>,
        within: u64,
        same: Vec<AttrPath>,
    },
    /// `after` happened and none of `absent` followed within `within`: fires at the deadline.
    Absence {
        after: Matcher,
        absent: Vec<Matcher>,
        within: u64,
        same: Vec<AttrPath>,
        /// Also require no visitor activity for `within` (the wait restarts on activity).
        inactive: bool,
    },
    /// `at_least` matching events within a sliding `within`, optionally per group.
    Count {
        matcher: Matcher,
        at_least: u32,
        within: u64,
        group_by: Option<AttrPath>,
    },
    /// No visitor activity for `after` (hidden time does not count).
    Idle { after: u64 },
}

pub struct Rule {
    pub caps: super::caps::RuleCaps,
    /// The action shows something on screen (modal, banner, toast, slide-in, inline).
    pub displays: bool,
    /// The compiled action: message, host action, webhook.
    pub spec: super::action::Action,
    /// A conversion event and its attribution window after a show.
    pub conversion: Option<(Matcher, u64)>,
    /// An A/B test of the rule's action, with an optional holdout.
    pub experiment: Option<super::experiment::RuleExperiment>,
    /// The share of visitors (0–1) for whom the rule is on: a feature flag.
    pub rollout: f64,
    pub id: String,
    pub enabled: bool,
    pub priority: i32,
    pub trigger: Trigger,
    pub cond: Condition,
    pub action: Value,
    /// Changes when the trigger changes, so stale persisted progress is dropped.
    pub fingerprint: String,
}

/// Where a rule listens: which rule, and which of its matchers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Role {
    Trigger,
    /// The rule's conversion event.
    Convert,
    Step(u8),
    After,
    Absent(u8),
}

#[derive(Clone, Copy, Debug)]
pub struct Hook {
    pub rule: u32,
    pub role: Role,
}

/// What the browser layer must watch for this config.
#[derive(Default, Debug, Clone, PartialEq)]
pub struct Watch {
    /// CSS selectors referred to by `selector`, `hover` and `visible` (index = selector id).
    pub selectors: Vec<String>,
    /// Selectors whose element visibility is observed, with the visible ratio required.
    pub visible: Vec<(u16, f64)>,
    /// Selectors whose hover start/end is reported.
    pub hover: Vec<u16>,
    /// Scroll-depth thresholds (percent) that emit `scroll_depth` events.
    pub scroll: Vec<u8>,
    /// Rage click: this many clicks within `rage_within` ms inside `rage_radius` px.
    pub rage_clicks: u32,
    pub rage_within: u64,
    pub rage_radius: f64,
    /// Exit intent is ignored for this long after the page starts.
    pub exit_delay: u64,
    /// Whether single-page-app navigation counts as page views.
    pub spa: bool,
}

impl Watch {
    fn with_defaults() -> Watch {
        Watch {
            rage_clicks: 3,
            rage_within: 1_000,
            rage_radius: 30.0,
            exit_delay: 3_000,
            spa: true,
            ..Watch::default()
        }
    }
}

pub struct Config {
    pub rules: Vec<Rule>,
    pub caps: super::caps::GlobalCaps,
    pub session_timeout: u64,
    /// A session also ends at local midnight.
    pub session_midnight: bool,
    /// The prefix of cuekit's `localStorage` keys (`storageKey`, default `cuekit`).
    pub storage_key: String,
    /// Nothing is stored or sent until the host grants consent.
    pub require_consent: bool,
    /// Before consent, run on memory only (true) or not at all (false).
    pub run_before_consent: bool,
    /// Treat Global Privacy Control (`navigator.globalPrivacyControl`) as consent refused.
    pub honor_gpc: bool,
    /// A webhook for every rule's lifecycle events, and which events it receives.
    pub webhook: Option<(super::action::Webhook, Vec<String>)>,
    /// Push lifecycle events to `window.dataLayer` (Google Tag Manager).
    pub data_layer: bool,
    /// Rule-based segments: a name and a condition over the context.
    pub segments: Vec<(String, Condition)>,
    /// Centroid segments (K-means centroids computed offline).
    pub centroids: Option<super::segment::CentroidModel>,
    pub watch: Watch,
    /// `track()` calls allowed: (per second, burst); `None` when `rateLimit: false`.
    pub rate_limit: Option<(f64, f64)>,
    pub(crate) event_ids: NameMap,
    /// Hooks per event id.
    pub(crate) index: Vec<Vec<Hook>>,
    /// Hooks on every event (`"event": "*"`).
    pub(crate) any: Vec<Hook>,
    /// Rules with a time-based part (absence, idle).
    pub(crate) timed: Vec<u32>,
}

impl Config {
    pub fn event_id(&self, name: &str) -> Option<EventId> {
        self.event_ids.get(name).copied()
    }
    pub fn rule_index(&self, id: &str) -> Option<usize> {
        self.rules.iter().position(|r| r.id == id)
    }
    /// Hooks for an event, in rule order, including wildcard hooks.
    pub fn hooks(&self, id: Option<EventId>) -> impl Iterator<Item = &Hook> {
        let specific: &[Hook] = id
            .and_then(|i| self.index.get(i as usize))
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        specific.iter().chain(self.any.iter())
    }
}

const DEFAULT_SCROLL: [u8; 4] = [25, 50, 75, 90];

/// Validates and compiles a config. On failure, returns every problem found.
/// `track()` calls per second and burst when the config says nothing (`rateLimit`).
pub const DEFAULT_RATE_LIMIT: (f64, f64) = (50.0, 200.0);

pub fn compile(v: &Value, regex: &dyn RegexFactory) -> Result<Config, Vec<ConfigError>> {
    compile_with(v, regex, &|_| true)
}

/// [`compile`], with a check of CSS selectors (the browser's parser, where there is one):
/// a selector it refuses is an error at each path that uses it, listed with every other
/// problem.
pub fn compile_with(
    v: &Value,
    regex: &dyn RegexFactory,
    valid_selector: &dyn Fn(&str) -> bool,
) -> Result<Config, Vec<ConfigError>> {
    let mut errors = Errors::new();
    let mut b = Builder {
        regex,
        valid_selector,
        groups: Vec::new(),
        saved_groups: None,
        event_ids: NameMap::default(),
        selectors: Vec::new(),
        watch: Watch::with_defaults(),
    };
    let mut rules = Vec::new();
    let mut session_timeout = 30 * 60_000;
    let mut session_midnight = false;
    let mut storage_key = String::from("cuekit");
    let mut global = super::caps::GlobalCaps::default();
    let mut require_consent = false;
    let mut run_before_consent = true;
    let mut honor_gpc = false;
    let mut webhook = None;
    let mut data_layer = false;
    let mut segments = Vec::new();
    let mut centroids = None;
    let mut rate_limit = Some(DEFAULT_RATE_LIMIT);
    if let Some(mut top) = Obj::new(v, "", &mut errors) {
        if let Some(ver) = top.get("version") {
            if ver != &Value::Num(1.0) {
                err(
                    &mut errors,
                    "version",
                    "unsupported config version (expected 1)",
                );
            }
        }
        if let Some(sg) = top.get("savedGroups") {
            match sg {
                Value::Obj(m) => b.saved_groups = Some(m),
                _ => err(
                    &mut errors,
                    "savedGroups",
                    "expected an object of group name → list of ids",
                ),
            }
        }
        if let Some(s) = top.get("session") {
            if let Some(mut so) = Obj::new(s, "session", &mut errors) {
                if let Some(t) = so.duration("timeout", &mut errors) {
                    if t < 60_000 {
                        err(&mut errors, "session.timeout", "expected at least 1m");
                    } else {
                        session_timeout = t;
                    }
                }
                session_midnight = so.boolean("endAtMidnight", &mut errors).unwrap_or(false);
                so.finish(&mut errors);
            }
        }
        if let Some(sk) = top.string("storageKey", &mut errors) {
            if sk.is_empty() || sk.len() > 64 {
                err(&mut errors, "storageKey", "expected 1–64 characters");
            } else {
                storage_key = sk.to_string();
            }
        }
        if let Some(sig) = top.get("signals") {
            b.signals(sig, &mut errors);
        }
        global = super::caps::global_caps(top.get("caps"), &mut errors);
        require_consent = top.boolean("requireConsent", &mut errors).unwrap_or(false);
        let bp = top.at("beforeConsent");
        match top.string("beforeConsent", &mut errors) {
            None | Some("memory") => {}
            Some("off") => run_before_consent = false,
            Some(_) => err(&mut errors, &bp, "expected \"memory\" or \"off\""),
        }
        honor_gpc = top.boolean("honorGPC", &mut errors).unwrap_or(false);
        match top.get("rateLimit") {
            None => {}
            Some(Value::Bool(false)) => rate_limit = None,
            Some(rv) => {
                if let Some(mut ro) = Obj::new(rv, "rateLimit", &mut errors) {
                    let per = ro
                        .number("perSecond", 1.0, 100_000.0, &mut errors)
                        .unwrap_or(DEFAULT_RATE_LIMIT.0);
                    let burst = ro
                        .number("burst", 1.0, 1_000_000.0, &mut errors)
                        .unwrap_or(DEFAULT_RATE_LIMIT.1);
                    ro.finish(&mut errors);
                    rate_limit = Some((per, burst));
                }
            }
        }
        data_layer = top.boolean("dataLayer", &mut errors).unwrap_or(false);
        match top.get("segments") {
            None => {}
            Some(Value::Arr(list)) => {
                for (i, sv) in list.iter().enumerate() {
                    let sp = index("segments", i);
                    let Some(mut so) = Obj::new(sv, &sp, &mut errors) else {
                        continue;
                    };
                    let name = so.string("name", &mut errors).map(String::from);
                    let ip = so.at("if");
                    let cond = match so.get("if") {
                        Some(c) => b.condition(c, &ip, &mut errors),
                        None => {
                            err(&mut errors, &ip, "required: the condition for membership");
                            Condition::always_true()
                        }
                    };
                    so.finish(&mut errors);
                    match name {
                        Some(n) if !n.is_empty() => segments.push((n, cond)),
                        _ => err(
                            &mut errors,
                            &join(&sp, "name"),
                            "required: the segment's name",
                        ),
                    }
                }
            }
            Some(_) => err(&mut errors, "segments", "expected a list of {name, if}"),
        }
        if let Some(c) = top.get("centroids") {
            centroids = super::segment::compile_centroids(c, "centroids", &mut errors);
        }
        if let Some(w) = top.get("webhook") {
            let mut events: Vec<String> = LIFECYCLE.iter().map(|s| s.to_string()).collect();
            if let Value::Obj(m) = w {
                if let Some(ev) = m.get("events") {
                    events.clear();
                    match ev {
                        Value::Arr(list) => {
                            for (i, e) in list.iter().enumerate() {
                                match e.as_str() {
                                    Some(s) if LIFECYCLE.contains(&s) => events.push(s.into()),
                                    _ => err(
                                        &mut errors,
                                        &index("webhook.events", i),
                                        format!(
                                            "expected one of: {}",
                                            super::find::join(LIFECYCLE, ", ")
                                        ),
                                    ),
                                }
                            }
                        }
                        _ => err(
                            &mut errors,
                            "webhook.events",
                            "expected a list of lifecycle events",
                        ),
                    }
                }
            }
            let stripped = match w {
                Value::Obj(m) => {
                    let mut m = m.clone();
                    m.remove("events");
                    Value::Obj(m)
                }
                other => other.clone(),
            };
            webhook =
                super::action::webhook(&stripped, "webhook", &mut errors).map(|w| (w, events));
        }
        match top.get("rules") {
            None => err(&mut errors, "rules", "required: a list of rules"),
            Some(Value::Arr(list)) => {
                let mut seen: Vec<&str> = Vec::new();
                for (i, rv) in list.iter().enumerate() {
                    let path = index("rules", i);
                    if let Some(id) = rv.get("id").and_then(Value::as_str) {
                        if seen.contains(&id) {
                            err(
                                &mut errors,
                                &join(&path, "id"),
                                format!("duplicate rule id \"{id}\""),
                            );
                        }
                        seen.push(id);
                    }
                    if let Some(rule) = b.rule(rv, &path, &mut errors) {
                        rules.push(rule);
                    }
                }
            }
            Some(other) => err(
                &mut errors,
                "rules",
                format!("expected a list of rules, got {}", other.type_name()),
            ),
        }
        top.finish(&mut errors);
    }
    // Every rule's group, also of the rules that failed, at the rule's own path.
    super::caps::check_groups(&global, &b.groups, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut watch = b.watch;
    watch.selectors = b.selectors;
    for t in DEFAULT_SCROLL {
        if !watch.scroll.contains(&t) {
            watch.scroll.push(t);
        }
    }
    crate::core::sort::sort(&mut watch.scroll);
    let mut cfg = Config {
        rules,
        caps: global,
        session_timeout,
        session_midnight,
        storage_key,
        require_consent,
        run_before_consent,
        honor_gpc,
        webhook,
        data_layer,
        segments,
        centroids,
        watch,
        rate_limit,
        event_ids: b.event_ids,
        index: Vec::new(),
        any: Vec::new(),
        timed: Vec::new(),
    };
    build_index(&mut cfg);
    Ok(cfg)
}

fn build_index(cfg: &mut Config) {
    cfg.index = vec![Vec::new(); cfg.event_ids.len()];
    let add = |cfg_index: &mut Vec<Vec<Hook>>, any: &mut Vec<Hook>, m: &Matcher, hook: Hook| {
        if m.event == ANY {
            any.push(hook);
        } else if let Some(list) = cfg_index.get_mut(m.event as usize) {
            list.push(hook);
        }
    };
    for (ri, rule) in cfg.rules.iter().enumerate() {
        if !rule.enabled {
            continue;
        }
        let r = ri as u32;
        if let Some((m, _)) = &rule.conversion {
            add(
                &mut cfg.index,
                &mut cfg.any,
                m,
                Hook {
                    rule: r,
                    role: Role::Convert,
                },
            );
        }
        match &rule.trigger {
            Trigger::Event(m) => add(
                &mut cfg.index,
                &mut cfg.any,
                m,
                Hook {
                    rule: r,
                    role: Role::Trigger,
                },
            ),
            Trigger::Count { matcher, .. } => add(
                &mut cfg.index,
                &mut cfg.any,
                matcher,
                Hook {
                    rule: r,
                    role: Role::Trigger,
                },
            ),
            Trigger::Sequence { steps, .. } => {
                for (si, m) in steps.iter().enumerate() {
                    add(
                        &mut cfg.index,
                        &mut cfg.any,
                        m,
                        Hook {
                            rule: r,
                            role: Role::Step(si as u8),
                        },
                    );
                }
            }
            Trigger::Absence { after, absent, .. } => {
                // Cancels are hooked first so an event that both cancels and re-arms
                // (a new page view for `dwell`) ends the old wait before starting a new one.
                for (ai, m) in absent.iter().enumerate() {
                    add(
                        &mut cfg.index,
                        &mut cfg.any,
                        m,
                        Hook {
                            rule: r,
                            role: Role::Absent(ai as u8),
                        },
                    );
                }
                add(
                    &mut cfg.index,
                    &mut cfg.any,
                    after,
                    Hook {
                        rule: r,
                        role: Role::After,
                    },
                );
                cfg.timed.push(r);
            }
            Trigger::Idle { .. } => cfg.timed.push(r),
        }
    }
}

struct Builder<'a> {
    regex: &'a dyn RegexFactory,
    valid_selector: &'a dyn Fn(&str) -> bool,
    /// Each rule's `caps.group`, with its path.
    groups: Vec<(String, String)>,
    saved_groups: Option<&'a Map>,
    event_ids: NameMap,
    selectors: Vec<String>,
    watch: Watch,
}

const TRIGGER_KINDS: &[&str] = &[
    "event", "sequence", "after", "count", "idle", "dwell", "hover", "visible", "scroll", "away",
];

impl<'a> Builder<'a> {
    fn intern(&mut self, name: &str) -> EventId {
        if name == "*" {
            return ANY;
        }
        if let Some(id) = self.event_ids.get(name) {
            return *id;
        }
        let id = self.event_ids.len().min(ANY as usize - 1) as EventId;
        self.event_ids.insert(name.into(), id);
        id
    }

    fn selector(&mut self, css: &str, path: &str, errors: &mut Errors) -> Option<u16> {
        let css = css.trim();
        if css.is_empty() {
            err(errors, path, "expected a CSS selector, got an empty string");
            return None;
        }
        if css.len() > 500 {
            err(errors, path, "selector is longer than 500 characters");
            return None;
        }
        if let Some(i) = self.selectors.iter().position(|s| s == css) {
            return Some(i as u16);
        }
        if self.selectors.len() >= 256 {
            err(errors, path, "too many distinct selectors (at most 256)");
            return None;
        }
        if !(self.valid_selector)(css) {
            err(errors, path, format!("not a valid CSS selector: {css}"));
            return None;
        }
        self.selectors.push(css.into());
        Some((self.selectors.len() - 1) as u16)
    }

    fn signals(&mut self, v: &Value, errors: &mut Errors) {
        let Some(mut o) = Obj::new(v, "signals", errors) else {
            return;
        };
        if let Some(rv) = o.get("rageClick") {
            if let Some(mut r) = Obj::new(rv, "signals.rageClick", errors) {
                if let Some(n) = r.whole("clicks", 2.0, 20.0, errors) {
                    self.watch.rage_clicks = n as u32;
                }
                if let Some(t) = r.duration("within", errors) {
                    if t == 0 {
                        err(
                            errors,
                            "signals.rageClick.within",
                            "expected a duration greater than zero",
                        );
                    }
                    self.watch.rage_within = t.max(1);
                }
                if let Some(px) = r.number("radius", 1.0, 1000.0, errors) {
                    self.watch.rage_radius = px;
                }
                r.finish(errors);
            }
        }
        if let Some(ev) = o.get("exitIntent") {
            if let Some(mut e) = Obj::new(ev, "signals.exitIntent", errors) {
                if let Some(t) = e.duration("delay", errors) {
                    self.watch.exit_delay = t;
                }
                e.finish(errors);
            }
        }
        if let Some(spa) = o.boolean("spa", errors) {
            self.watch.spa = spa;
        }
        o.finish(errors);
    }

    fn condition(&mut self, v: &Value, path: &str, errors: &mut Errors) -> Condition {
        let mut cerrs: Vec<ConditionError> = Vec::new();
        let c = Condition::compile(v, path, self.saved_groups, self.regex, &mut cerrs);
        for e in cerrs {
            errors.push(ConfigError {
                path: e.path,
                message: e.message,
            });
        }
        c
    }

    fn rule(&mut self, v: &Value, path: &str, errors: &mut Errors) -> Option<Rule> {
        let mut o = Obj::new(v, path, errors)?;
        let id = match o.string("id", errors) {
            Some(id) if valid_id(id) => Some(id.to_string()),
            Some(_) => {
                err(
                    errors,
                    &o.at("id"),
                    "expected 1–64 letters, digits, '_', '-', '.' or ':'",
                );
                None
            }
            None => {
                if !o.has("id") {
                    err(errors, &o.at("id"), "required: a unique rule id");
                }
                None
            }
        };
        let _ = o.string("description", errors);
        let enabled = o.boolean("enabled", errors).unwrap_or(true);
        let priority = o
            .whole("priority", -1_000_000.0, 1_000_000.0, errors)
            .unwrap_or(0.0) as i32;
        let trigger_path = o.at("trigger");
        let trigger = match o.get("trigger") {
            Some(t) => self.trigger(t, &trigger_path, errors),
            None => {
                err(errors, &trigger_path, "required: what wakes this rule");
                None
            }
        };
        let if_path = o.at("if");
        let cond = match o.get("if") {
            Some(c) => self.condition(c, &if_path, errors),
            None => Condition::always_true(),
        };
        let ap = o.at("action");
        let action = match o.get("action") {
            Some(a @ Value::Obj(_)) => {
                check_keys(a, &ap, errors);
                a.clone()
            }
            _ => Value::Null,
        };
        let spec = super::action::compile(o.get("action"), &ap, errors);
        let cp = o.at("conversion");
        let conversion = o.get("conversion").and_then(|c| {
            let mut co = Obj::new(c, &cp, errors)?;
            let ep = co.at("event");
            let event = co.get("event").and_then(|e| self.matcher(e, &ep, errors));
            if !co.has("event") {
                err(
                    errors,
                    &ep,
                    "required: the event that counts as a conversion",
                );
            }
            let within = co.duration("within", errors).unwrap_or(7 * 86_400_000);
            co.finish(errors);
            Some((event?, within))
        });
        let fingerprint = o.map.get("trigger").map(fingerprint).unwrap_or_default();
        let caps_path = o.at("caps");
        let caps = super::caps::rule_caps(o.get("caps"), &caps_path, errors);
        if let Some(g) = &caps.group {
            self.groups.push((join(&caps_path, "group"), g.clone()));
        }
        let ep = o.at("experiment");
        let id_for_key = o.map.get("id").and_then(Value::as_str).unwrap_or("");
        let experiment = o
            .get("experiment")
            .and_then(|e| super::experiment::compile_rule_experiment(e, &ep, id_for_key, errors));
        let rollout = o.number("rollout", 0.0, 1.0, errors).unwrap_or(1.0);
        let displays = spec.display.is_some()
            || experiment
                .as_ref()
                .is_some_and(|x| x.actions.iter().flatten().any(|a| a.display.is_some()));
        o.finish(errors);
        Some(Rule {
            caps,
            displays,
            spec,
            conversion,
            experiment,
            rollout,
            id: id?,
            enabled,
            priority,
            trigger: trigger?,
            cond,
            action,
            fingerprint,
        })
    }

    fn matcher(&mut self, v: &Value, path: &str, errors: &mut Errors) -> Option<Matcher> {
        // Shorthand: a bare string is an event name.
        if let Value::Str(name) = v {
            return self.event_name(name, path, errors).map(|event| Matcher {
                event,
                selector: None,
                cond: Condition::always_true(),
            });
        }
        let mut o = Obj::new(v, path, errors)?;
        let ep = o.at("event");
        let event = match o.string("event", errors) {
            Some(name) => self.event_name(name, &ep, errors),
            None => {
                if !o.has("event") {
                    err(errors, &ep, "required: the event name to match (or \"*\")");
                }
                None
            }
        };
        let sp = o.at("selector");
        let selector = match o.string("selector", errors) {
            Some(css) => self.selector(css, &sp, errors).map(Some),
            None => Some(None),
        };
        let wp = o.at("where");
        let cond = match o.get("where") {
            Some(c) => self.condition(c, &wp, errors),
            None => Condition::always_true(),
        };
        o.finish(errors);
        Some(Matcher {
            event: event?,
            selector: selector?,
            cond,
        })
    }

    fn event_name(&mut self, name: &str, path: &str, errors: &mut Errors) -> Option<EventId> {
        if name.is_empty() || name.len() > 100 {
            err(errors, path, "expected an event name of 1–100 characters");
            return None;
        }
        Some(self.intern(name))
    }

    fn matchers(&mut self, v: &Value, path: &str, errors: &mut Errors) -> Vec<Matcher> {
        match v {
            Value::Arr(list) => {
                if list.is_empty() {
                    err(errors, path, "expected at least one event");
                }
                if list.len() > MAX_STEPS {
                    err(errors, path, "expected at most 16 events");
                }
                list.iter()
                    .take(MAX_STEPS)
                    .enumerate()
                    .filter_map(|(i, m)| self.matcher(m, &index(path, i), errors))
                    .collect()
            }
            single => self.matcher(single, path, errors).into_iter().collect(),
        }
    }

    fn same(&mut self, o: &mut Obj, errors: &mut Errors) -> Vec<AttrPath> {
        let path = o.at("same");
        match o.get("same") {
            None => Vec::new(),
            Some(Value::Str(s)) => vec![prop_path(s)],
            Some(Value::Arr(list)) => list
                .iter()
                .enumerate()
                .filter_map(|(i, v)| match v {
                    Value::Str(s) if !s.is_empty() => Some(prop_path(s)),
                    _ => {
                        err(errors, &index(&path, i), "expected a property name");
                        None
                    }
                })
                .collect(),
            Some(_) => {
                err(errors, &path, "expected a property name or a list of them");
                Vec::new()
            }
        }
    }

    fn required_duration(
        &mut self,
        o: &mut Obj,
        key: &'static str,
        errors: &mut Errors,
    ) -> Option<u64> {
        if !o.has(key) {
            err(
                errors,
                &o.at(key),
                "required: a duration such as \"30s\" or \"10m\"",
            );
            let _ = o.get(key);
            return None;
        }
        let d = o.duration(key, errors)?;
        if d == 0 {
            err(errors, &o.at(key), "expected a duration greater than zero");
            return None;
        }
        Some(d)
    }

    fn trigger(&mut self, v: &Value, path: &str, errors: &mut Errors) -> Option<Trigger> {
        if let Value::Str(_) = v {
            return self.matcher(v, path, errors).map(Trigger::Event);
        }
        let Value::Obj(map) = v else {
            err(
                errors,
                path,
                format!("expected an object or an event name, got {}", v.type_name()),
            );
            return None;
        };
        let kinds: Vec<&str> = TRIGGER_KINDS
            .iter()
            .copied()
            .filter(|k| map.get(k).is_some())
            .collect();
        let kind = match kinds.as_slice() {
            [k] => *k,
            [] => {
                let hint = map
                    .keys()
                    .find_map(|k| did_you_mean(k, TRIGGER_KINDS).map(|s| (k, s)));
                match hint {
                    Some((k, s)) => err(
                        errors,
                        &join(path, k),
                        format!("unknown trigger field (did you mean \"{s}\"?)"),
                    ),
                    None => err(
                        errors,
                        path,
                        format!(
                            "expected exactly one of: {}",
                            super::find::join(TRIGGER_KINDS, ", ")
                        ),
                    ),
                }
                return None;
            }
            many => {
                err(
                    errors,
                    path,
                    format!(
                        "expected exactly one trigger kind, found {}",
                        super::find::join(many, " and ")
                    ),
                );
                return None;
            }
        };
        let mut o = Obj::new(v, path, errors)?;
        let t = match kind {
            "event" => {
                // The whole object is a matcher.
                let m = self.matcher(v, path, errors);
                return m.map(Trigger::Event);
            }
            "sequence" => {
                let sp = o.at("sequence");
                let steps = o
                    .get("sequence")
                    .map(|s| self.matchers(s, &sp, errors))
                    .unwrap_or_default();
                if steps.len() < 2
                    && o.map
                        .get("sequence")
                        .is_some_and(|s| s.as_array().is_some_and(|a| !a.is_empty()))
                {
                    err(errors, &sp, "expected at least two steps");
                }
                let within = self.required_duration(&mut o, "within", errors);
                let same = self.same(&mut o, errors);
                Some(Trigger::Sequence {
                    steps,
                    within: within?,
                    same,
                })
            }
            "after" => {
                let ap = o.at("after");
                let after = o.get("after").and_then(|a| self.matcher(a, &ap, errors));
                let abp = o.at("absent");
                let absent = match o.get("absent") {
                    Some(a) => self.matchers(a, &abp, errors),
                    None => {
                        err(errors, &abp, "required: the event(s) that must not follow");
                        Vec::new()
                    }
                };
                let within = self.required_duration(&mut o, "within", errors);
                let same = self.same(&mut o, errors);
                let inactive = o.boolean("inactive", errors).unwrap_or(false);
                Some(Trigger::Absence {
                    after: after?,
                    absent,
                    within: within?,
                    same,
                    inactive,
                })
            }
            "count" => {
                let cp = o.at("count");
                let matcher = o.get("count").and_then(|c| self.matcher(c, &cp, errors));
                let alp = o.at("atLeast");
                let at_least = match o.get("atLeast") {
                    Some(n) => whole_number(n, &alp, 1.0, MAX_COUNT as f64, errors),
                    None => {
                        err(errors, &alp, "required: how many events");
                        None
                    }
                };
                let within = self.required_duration(&mut o, "within", errors);
                let group_by = o.string("groupBy", errors).map(prop_path);
                Some(Trigger::Count {
                    matcher: matcher?,
                    at_least: at_least? as u32,
                    within: within?,
                    group_by,
                })
            }
            "idle" => {
                let after = self.required_duration(&mut o, "idle", errors);
                Some(Trigger::Idle { after: after? })
            }
            "dwell" => {
                let within = self.required_duration(&mut o, "dwell", errors);
                let wp = o.at("without");
                let mut absent = match o.get("without") {
                    Some(w) => self.matchers(w, &wp, errors),
                    None => Vec::new(),
                };
                // Leaving the page ends the dwell.
                absent.push(self.plain(events::PAGE_VIEW));
                Some(Trigger::Absence {
                    after: self.plain(events::PAGE_VIEW),
                    absent,
                    within: within?,
                    same: Vec::new(),
                    inactive: false,
                })
            }
            "hover" => {
                let hp = o.at("hover");
                let sel = o
                    .string("hover", errors)
                    .and_then(|css| self.selector(css, &hp, errors));
                let within = self.required_duration(&mut o, "for", errors);
                let wp = o.at("without");
                let mut absent = match o.get("without") {
                    Some(w) => self.matchers(w, &wp, errors),
                    None => Vec::new(),
                };
                let sel = sel?;
                if !self.watch.hover.contains(&sel) {
                    self.watch.hover.push(sel);
                }
                absent.push(self.on_selector(events::HOVER_END, sel));
                absent.push(self.plain(events::PAGE_VIEW));
                Some(Trigger::Absence {
                    after: self.on_selector(events::HOVER_START, sel),
                    absent,
                    within: within?,
                    same: Vec::new(),
                    inactive: false,
                })
            }
            "visible" => {
                let vp = o.at("visible");
                let sel = o
                    .string("visible", errors)
                    .and_then(|css| self.selector(css, &vp, errors));
                let within = o.duration("for", errors).unwrap_or(0).max(1);
                let ratio = o.number("ratio", 0.0, 1.0, errors).unwrap_or(0.5);
                let sel = sel?;
                match self.watch.visible.iter_mut().find(|(s, _)| *s == sel) {
                    Some(slot) => slot.1 = slot.1.max(ratio),
                    None => self.watch.visible.push((sel, ratio)),
                }
                Some(Trigger::Absence {
                    after: self.on_selector(events::ELEMENT_VISIBLE, sel),
                    absent: vec![
                        self.on_selector(events::ELEMENT_HIDDEN, sel),
                        self.plain(events::PAGE_VIEW),
                    ],
                    within,
                    same: Vec::new(),
                    inactive: false,
                })
            }
            "scroll" => {
                let sp = o.at("scroll");
                let pct = o
                    .get("scroll")
                    .and_then(|p| whole_number(p, &sp, 1.0, 100.0, errors));
                let pct = pct? as u8;
                if !self.watch.scroll.contains(&pct) {
                    self.watch.scroll.push(pct);
                }
                let event = self.intern(events::SCROLL_DEPTH);
                let cond = self.condition(
                    &super::value::obj([("props.depth", Value::Num(pct as f64))]),
                    &sp,
                    errors,
                );
                Some(Trigger::Event(Matcher {
                    event,
                    selector: None,
                    cond,
                }))
            }
            "away" => {
                let away = self.required_duration(&mut o, "away", errors);
                let event = self.intern(events::TAB_VISIBLE);
                let cond = self.condition(
                    &super::value::obj([(
                        "props.away",
                        super::value::obj([("$gte", Value::Num(away? as f64))]),
                    )]),
                    path,
                    errors,
                );
                Some(Trigger::Event(Matcher {
                    event,
                    selector: None,
                    cond,
                }))
            }
            _ => None,
        };
        o.finish(errors);
        t
    }

    fn plain(&mut self, name: &str) -> Matcher {
        Matcher {
            event: self.intern(name),
            selector: None,
            cond: Condition::always_true(),
        }
    }

    fn on_selector(&mut self, name: &str, sel: u16) -> Matcher {
        Matcher {
            event: self.intern(name),
            selector: Some(sel),
            cond: Condition::always_true(),
        }
    }
}

/// `"productId"` → `props.productId`; a path with a known root is kept as is.
fn prop_path(s: &str) -> AttrPath {
    let full = if s.starts_with("props.") || s.starts_with("page.") {
        s.to_string()
    } else {
        join("props", s)
    };
    AttrPath::new(&full)
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'))
}

/// Rejects prototype-polluting keys anywhere inside opaque data.
fn check_keys(v: &Value, path: &str, errors: &mut Errors) {
    match v {
        Value::Obj(m) => {
            for (k, child) in m.iter() {
                let p = join(path, k);
                if is_forbidden_key(k) {
                    err(errors, &p, "this key is not allowed");
                } else {
                    check_keys(child, &p, errors);
                }
            }
        }
        Value::Arr(a) => {
            for (i, child) in a.iter().enumerate() {
                check_keys(child, &index(path, i), errors);
            }
        }
        _ => {}
    }
}

/// A short stable hash (FNV-1a) of a value's canonical text.
fn fingerprint(v: &Value) -> String {
    let mut h: u32 = 0x811c_9dc5;
    fn feed(h: &mut u32, v: &Value) {
        let mut eat = |bytes: &[u8]| {
            for b in bytes {
                *h ^= u32::from(*b);
                *h = h.wrapping_mul(0x0100_0193);
            }
        };
        match v {
            Value::Null => eat(b"n"),
            Value::Bool(b) => eat(if *b { b"t" } else { b"f" }),
            Value::Num(n) => eat(&n.to_bits().to_le_bytes()),
            Value::Str(s) => {
                eat(b"s");
                eat(s.as_bytes());
            }
            Value::Arr(a) => {
                eat(b"[");
                for x in a {
                    feed(h, x);
                }
            }
            Value::Obj(m) => {
                eat(b"{");
                for (k, x) in m.iter() {
                    feed(h, &Value::Str(k.into()));
                    feed(h, x);
                }
            }
        }
    }
    feed(&mut h, v);
    let mut s = String::with_capacity(8);
    for i in (0..8).rev() {
        let d = (h >> (i * 4)) & 0xf;
        s.push(char::from_digit(d, 16).unwrap_or('0'));
    }
    s
}
