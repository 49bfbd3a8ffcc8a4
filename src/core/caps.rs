//! Fatigue control: frequency caps, cooldowns, snooze, opt-out and quiet mode, decided
//! over an append-only ledger of what happened (shows, dismissals, conversions, the
//! visitor's choices). The ledger is a set: two tabs merge by union, so no dismiss,
//! snooze or opt-out is ever lost, and merging is commutative and idempotent.

use super::reader::{err, index, Errors, Obj};
use super::value::{num_to_string, Value};

/// What happened to a rule (or, with rule `*`, to every rule).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Show,
    Click,
    Dismiss,
    Convert,
    /// Snoozed for this many ms from the entry's time.
    Snooze(u64),
    OptOut,
    OptIn,
}

impl Kind {
    fn code(self) -> (&'static str, u64) {
        match self {
            Kind::Show => ("show", 0),
            Kind::Click => ("click", 0),
            Kind::Dismiss => ("dismiss", 0),
            Kind::Convert => ("convert", 0),
            Kind::Snooze(d) => ("snooze", d),
            Kind::OptOut => ("optout", 0),
            Kind::OptIn => ("optin", 0),
        }
    }
    fn from_code(s: &str, d: u64) -> Option<Kind> {
        Some(match s {
            "show" => Kind::Show,
            "click" => Kind::Click,
            "dismiss" => Kind::Dismiss,
            "convert" => Kind::Convert,
            "snooze" => Kind::Snooze(d),
            "optout" => Kind::OptOut,
            "optin" => Kind::OptIn,
            _ => return None,
        })
    }
    /// Same kind of entry (snoozes of any length count as one kind).
    pub fn same_class(self, other: Kind) -> bool {
        self.class() == other.class()
            && (self.class() != CHOICE
                || core::mem::discriminant(&self) == core::mem::discriminant(&other))
    }

    /// Entries are pruned per (rule, class): choices share one class so the latest
    /// opt-in/opt-out/snooze always survives.
    fn class(self) -> u8 {
        match self {
            Kind::Show => 0,
            Kind::Click => 1,
            Kind::Dismiss => 2,
            Kind::Convert => 3,
            Kind::Snooze(_) | Kind::OptOut | Kind::OptIn => CHOICE,
        }
    }
}

/// The class of the visitor's choices (snooze, opt-out, opt-in): the latest one counts.
const CHOICE: u8 = 4;

/// When a choice made at `at` is recorded: after the rule's latest choice when that one
/// is not older (made in the same millisecond, or stamped a few milliseconds ahead by
/// this rule), so the later call wins (`optIn(r); optOut(r)` leaves `r` opted out). A
/// latest choice further ahead than `FUTURE_TOLERANCE_MS` is a clock jump: the time stays.
fn choice_time(entries: &[Entry], rule: &str, at: u64) -> u64 {
    let latest = entries
        .iter()
        .filter(|e| e.rule == rule && e.kind.class() == CHOICE)
        .map(|e| e.at)
        .max();
    match latest {
        Some(l) if l >= at && l - at < FUTURE_TOLERANCE_MS => l.saturating_add(1),
        _ => at,
    }
}

/// The rule id that stands for "every rule" (quiet mode).
pub const ALL: &str = "*";
/// Entries kept per (rule, class), newest first (so counting caps go up to 16).
pub const KEEP_PER_CLASS: usize = 16;
/// Entries kept in all, besides each rule's latest choice (which is never dropped).
pub const MAX_ENTRIES: usize = 200;
/// Entries read from a stored ledger at most (the newest; ours never holds more than
/// `MAX_ENTRIES` plus one choice per rule).
pub const MAX_READ: usize = 10_000;
/// How far ahead of the clock an entry may be before it counts as a clock jump.
pub const FUTURE_TOLERANCE_MS: u64 = 60_000;
/// Longest snooze honoured.
pub const MAX_SNOOZE_MS: u64 = 400 * 86_400_000;

const DAY: u64 = 86_400_000;
const WEEK: u64 = 7 * DAY;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    pub at: u64,
    pub rule: String,
    pub kind: Kind,
}

/// The visitor's history of prompts and choices, kept sorted and pruned.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ledger {
    entries: Vec<Entry>,
}

impl Ledger {
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn record(&mut self, rule: &str, kind: Kind, at: u64) {
        let kind = match kind {
            Kind::Snooze(d) => Kind::Snooze(d.min(MAX_SNOOZE_MS)),
            k => k,
        };
        // Entries form a set: a second identical event in the same millisecond is
        // recorded a millisecond later, so it still counts.
        let at = if kind.class() == CHOICE {
            choice_time(&self.entries, rule, at)
        } else {
            at
        };
        let mut entry = Entry {
            at,
            rule: rule.into(),
            kind,
        };
        // The ledger is sorted without duplicates: inserting in place and pruning is
        // `normalize()` of the union, without re-sorting.
        let pos = loop {
            match self.entries.binary_search(&entry) {
                Err(pos) => break pos,
                Ok(_) if entry.at == u64::MAX => return,
                Ok(_) => entry.at += 1,
            }
        };
        self.entries.insert(pos, entry);
        self.prune();
    }

    /// Timestamps ahead of `now` (the clock was changed back) are moved to `now`, once,
    /// so a snooze or cooldown measured from them can never become permanent.
    /// Entries less than `FUTURE_TOLERANCE_MS` ahead are left alone: two events in one
    /// millisecond are stored a millisecond apart, and tabs share one clock. Clamped
    /// entries are re-recorded, so two of them never collapse into one.
    pub fn clamp_future(&mut self, now: u64) {
        let limit = now.saturating_add(FUTURE_TOLERANCE_MS);
        if !self.entries.iter().any(|e| e.at > limit) {
            return;
        }
        let (future, kept): (Vec<Entry>, Vec<Entry>) =
            self.entries.drain(..).partition(|e| e.at > limit);
        self.entries = kept;
        for e in future {
            self.record(&e.rule, e.kind, now);
        }
    }

    /// Union with another tab's ledger. Returns whether anything was added.
    pub fn merge(&mut self, other: &Ledger) -> bool {
        let before = self.entries.clone();
        self.entries.extend(other.entries.iter().cloned());
        self.normalize();
        self.entries != before
    }

    /// Sorted, de-duplicated, pruned: a deterministic function of the set of entries.
    fn normalize(&mut self) {
        crate::core::sort::sort(&mut self.entries);
        self.entries.dedup();
        self.prune();
    }

    /// Compaction of a sorted ledger. Only each rule's latest choice matters, so one is
    /// kept per rule, and it is never dropped; of the other entries the newest
    /// `KEEP_PER_CLASS` per (rule, kind) are kept, `MAX_ENTRIES` in all, the oldest shows
    /// and clicks going first, then the oldest dismissals and conversions. Each step keeps
    /// "the newest n" of a set, so pruning a union gives the same ledger whatever was
    /// pruned before: merging tabs is commutative, associative and idempotent.
    fn prune(&mut self) {
        let mut keep = vec![false; self.entries.len()];
        let mut counts: Vec<(&str, u8, usize)> = Vec::new();
        let (mut shows, mut others) = (0usize, 0usize);
        for (i, e) in self.entries.iter().enumerate().rev() {
            let c = e.kind.class();
            let n = match counts.iter_mut().find(|(r, k, _)| *r == e.rule && *k == c) {
                Some(slot) => {
                    slot.2 += 1;
                    slot.2
                }
                None => {
                    counts.push((&e.rule, c, 1));
                    1
                }
            };
            let limit = if c == CHOICE { 1 } else { KEEP_PER_CLASS };
            if n <= limit {
                if let Some(k) = keep.get_mut(i) {
                    *k = true;
                }
                match c {
                    CHOICE => {}
                    0 | 1 => shows += 1,
                    _ => others += 1,
                }
            }
        }
        // Over MAX_ENTRIES (choices aside): drop the oldest shows and clicks, then the
        // oldest dismissals and conversions.
        let mut cut_shows = (shows + others).saturating_sub(MAX_ENTRIES).min(shows);
        let mut cut_others = others.saturating_sub(MAX_ENTRIES);
        for (k, e) in keep.iter_mut().zip(&self.entries) {
            if !*k {
                continue;
            }
            match e.kind.class() {
                CHOICE => {}
                0 | 1 if cut_shows > 0 => {
                    cut_shows -= 1;
                    *k = false;
                }
                2 | 3 if cut_others > 0 => {
                    cut_others -= 1;
                    *k = false;
                }
                _ => {}
            }
        }
        let mut it = keep.into_iter();
        self.entries.retain(|_| it.next().unwrap_or(false));
    }

    /// Drops every entry older than `t` (an erasure at `t`: what came before is gone).
    pub fn erase_before(&mut self, t: u64) {
        self.entries.retain(|e| e.at >= t);
    }

    fn of<'a>(&'a self, rule: &'a str, kind: Kind) -> impl Iterator<Item = &'a Entry> + 'a {
        self.entries
            .iter()
            .filter(move |e| e.kind.class() == kind.class() && e.rule == rule)
    }

    fn last(&self, rule: &str, kind: Kind) -> Option<u64> {
        self.of(rule, kind).map(|e| e.at).max()
    }

    /// The latest choice (opt-out, opt-in, snooze) for a rule.
    fn choice<'a>(&'a self, rule: &'a str) -> Option<&'a Entry> {
        self.of(rule, Kind::OptIn).max_by_key(|e| (e.at, e.kind))
    }

    /// The latest choices for every rule (`*`) and for `rule`, in one pass over the
    /// ledger (`choice` of each: the last of the entries with the greatest key).
    fn choices<'a>(&'a self, rule: &str) -> (Option<&'a Entry>, Option<&'a Entry>) {
        let (mut all, mut own): (Option<&Entry>, Option<&Entry>) = (None, None);
        for e in &self.entries {
            if e.kind.class() != CHOICE {
                continue;
            }
            let slot = if e.rule == ALL {
                &mut all
            } else if e.rule == rule {
                &mut own
            } else {
                continue;
            };
            if slot.is_none_or(|b| (e.at, e.kind) >= (b.at, b.kind)) {
                *slot = Some(e);
            }
        }
        if rule == ALL {
            own = all;
        }
        (all, own)
    }

    /// Opted out of `rule` (or of everything, for `*`), and not opted in since.
    pub fn opted_out(&self, rule: &str) -> bool {
        is_opt_out(self.choice(rule))
    }

    /// Snoozed until, if a snooze is the latest choice and has not expired.
    pub fn snoozed_until(&self, rule: &str, now: u64) -> Option<u64> {
        snooze_end(self.choice(rule), now)
    }

    /// The stored form as a value (`write_json`, read back: one definition).
    pub fn to_value(&self) -> Value {
        let mut text = String::new();
        self.write_json(&mut text);
        super::json::parse(&text).unwrap_or_default()
    }

    /// The stored form as JSON text: a compact list of `[time, rule, kind]` (plus the
    /// snooze length).
    pub fn write_json(&self, out: &mut String) {
        out.push('[');
        for (i, e) in self.entries.iter().enumerate() {
            let (k, d) = e.kind.code();
            out.push_str(if i > 0 { ",[" } else { "[" });
            super::json::write(&Value::Num(e.at as f64), out);
            out.push(',');
            super::json::write_str(&e.rule, out);
            out.push(',');
            super::json::write_str(k, out);
            if d > 0 {
                out.push(',');
                super::json::write(&Value::Num(d as f64), out);
            }
            out.push(']');
        }
        out.push(']');
    }

    /// Reads a stored ledger; bad entries are dropped one by one, timestamps from the
    /// future are clamped to `now`. Returns whether anything had to be dropped.
    pub fn from_value(v: &Value, now: u64) -> (Ledger, bool) {
        let mut l = Ledger::default();
        let mut repaired = false;
        let Some(list) = v.as_array() else {
            return (l, !v.is_null());
        };
        // The newest entries are last: a list too long to read loses its oldest.
        let skip = list.len().saturating_sub(MAX_READ);
        for e in list.iter().skip(skip) {
            let at = e.get("0").and_then(Value::as_f64);
            let rule = e.get("1").and_then(Value::as_str);
            let kind = e.get("2").and_then(Value::as_str);
            let d = e.get("3").and_then(Value::as_f64).unwrap_or(0.0);
            match (at, rule, kind) {
                (Some(at), Some(rule), Some(kind))
                    if at.is_finite()
                        && at >= 0.0
                        && d.is_finite()
                        && d >= 0.0
                        && !rule.is_empty()
                        && rule.len() <= 64 =>
                {
                    match Kind::from_code(kind, d.min(MAX_SNOOZE_MS as f64) as u64) {
                        Some(k) => l.entries.push(Entry {
                            at: at as u64,
                            rule: rule.into(),
                            kind: k,
                        }),
                        None => repaired = true,
                    }
                }
                _ => repaired = true,
            }
        }
        l.normalize();
        l.clamp_future(now);
        (l, repaired)
    }
}

fn is_opt_out(choice: Option<&Entry>) -> bool {
    matches!(
        choice,
        Some(Entry {
            kind: Kind::OptOut,
            ..
        })
    )
}

/// When a snooze that is the latest choice ends, if it has not yet.
fn snooze_end(choice: Option<&Entry>, now: u64) -> Option<u64> {
    match choice {
        Some(Entry {
            kind: Kind::Snooze(d),
            at,
            ..
        }) => {
            // A timestamp from the future (clock changed) counts from now, so a
            // snooze can never become permanent.
            let until = (*at).min(now).saturating_add(*d);
            (until > now).then_some(until)
        }
        _ => None,
    }
}

/// Counting limits, shared by rules, groups and the global caps.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Limits {
    pub per_session: Option<u32>,
    pub per_day: Option<u32>,
    pub per_week: Option<u32>,
    pub per_visitor: Option<u32>,
    pub min_interval: Option<u64>,
}

impl Limits {
    /// No limit is set (nothing to count).
    pub fn is_empty(&self) -> bool {
        self.per_session.is_none()
            && self.per_day.is_none()
            && self.per_week.is_none()
            && self.per_visitor.is_none()
            && self.min_interval.is_none()
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuleCaps {
    pub limits: Limits,
    /// Cooldown after the nth dismissal (the last value repeats); empty: none.
    pub dismiss_cooldowns: Vec<u64>,
    pub convert_cooldown: Option<u64>,
    pub group: Option<String>,
    /// Whether the global caps apply to this rule.
    pub global: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct GlobalCaps {
    pub limits: Limits,
    pub groups: Vec<(String, Limits)>,
    /// One prompt on screen at a time.
    pub one_at_a_time: bool,
}

/// Why a decision was not shown: which cap, with a plain sentence, and until when
/// (`None`: until the session ends, or until the visitor or host changes their choice).
#[derive(Clone, Debug, PartialEq)]
pub struct Suppressed {
    pub cap: String,
    pub reason: String,
    pub until: Option<u64>,
}

fn suppress(cap: impl Into<String>, reason: String, until: Option<u64>) -> Result<(), Suppressed> {
    Err(Suppressed {
        cap: cap.into(),
        reason,
        until,
    })
}

fn dur(ms: u64) -> String {
    if ms % DAY == 0 {
        num_to_string((ms / DAY) as f64) + "d"
    } else if ms % 3_600_000 == 0 {
        num_to_string((ms / 3_600_000) as f64) + "h"
    } else if ms % 60_000 == 0 {
        num_to_string((ms / 60_000) as f64) + "m"
    } else {
        num_to_string(ms as f64 / 1000.0) + "s"
    }
}

/// Checks counting limits over the shows of `rules` (one rule, a group, or all).
fn check_limits(
    scope: &str,
    limits: &Limits,
    shows: &[u64],
    session_start: u64,
    now: u64,
) -> Result<(), Suppressed> {
    if let Some(gap) = limits.min_interval {
        if let Some(last) = shows.iter().copied().max() {
            let until = last.saturating_add(gap);
            if until > now {
                return suppress(
                    format!("{scope} minInterval"),
                    format!("capped by {scope} minInterval ({}) until {until}", dur(gap)),
                    Some(until),
                );
            }
        }
    }
    let windows: [(&str, Option<u32>, Option<u64>); 4] = [
        ("perSession", limits.per_session, None),
        ("perDay", limits.per_day, Some(DAY)),
        ("perWeek", limits.per_week, Some(WEEK)),
        ("perVisitor", limits.per_visitor, Some(u64::MAX)),
    ];
    for (name, max, window) in windows {
        let Some(max) = max else { continue };
        let since = match window {
            None => session_start,
            Some(w) => now.saturating_sub(w),
        };
        let mut inside: Vec<u64> = shows
            .iter()
            .copied()
            .filter(|t| *t >= since && *t <= now)
            .collect();
        if inside.len() as u32 >= max {
            crate::core::sort::sort(&mut inside);
            // The cap lifts when the oldest counted show leaves the window.
            let until = match window {
                None | Some(u64::MAX) => None,
                Some(w) => inside
                    .len()
                    .checked_sub(max as usize)
                    .and_then(|i| inside.get(i))
                    .map(|t| t.saturating_add(w)),
            };
            let when = match (window, until) {
                (None, _) => " until the session ends".to_string(),
                (_, Some(u)) => format!(" until {u}"),
                _ => String::new(),
            };
            return suppress(
                format!("{scope} {name}"),
                format!("capped by {scope} {name} ({}/{max}){when}", inside.len()),
                until,
            );
        }
    }
    Ok(())
}

/// Decides whether a rule may show now. `rules_in_group` lists the rule ids sharing the
/// rule's group; `outside_global` the ids of rules with `global: false`, whose shows the
/// global caps do not count (every other show does, including a since-removed rule's:
/// the visitor saw it).
#[allow(clippy::too_many_arguments)]
pub fn admit(
    global: &GlobalCaps,
    caps: &RuleCaps,
    ledger: &Ledger,
    rule: &str,
    rules_in_group: &[&str],
    outside_global: &[&str],
    session_start: u64,
    now: u64,
) -> Result<(), Suppressed> {
    let (all, own) = ledger.choices(rule);
    if is_opt_out(all) {
        return suppress(
            "quiet",
            "the visitor chose quiet mode (no prompts)".into(),
            None,
        );
    }
    if let Some(until) = snooze_end(all, now) {
        return suppress(
            "snooze",
            format!("every prompt is snoozed until {until}"),
            Some(until),
        );
    }
    if is_opt_out(own) {
        return suppress(
            "optout",
            "the visitor chose \"don't show this again\"".into(),
            None,
        );
    }
    if let Some(until) = snooze_end(own, now) {
        return suppress(
            "snooze",
            format!("snoozed (\"remind me later\") until {until}"),
            Some(until),
        );
    }
    if !caps.dismiss_cooldowns.is_empty() {
        let dismissals: Vec<u64> = ledger
            .of(rule, Kind::Dismiss)
            .map(|e| e.at.min(now))
            .collect();
        if let Some(last) = dismissals.iter().copied().max() {
            let n = dismissals.len();
            let i = n
                .saturating_sub(1)
                .min(caps.dismiss_cooldowns.len().saturating_sub(1));
            let cool = caps.dismiss_cooldowns.get(i).copied().unwrap_or(0);
            let until = last.saturating_add(cool);
            if until > now {
                return suppress(
                    "dismissCooldown",
                    format!(
                        "dismissed {n}×: cooling down for {} until {until}",
                        dur(cool)
                    ),
                    Some(until),
                );
            }
        }
    }
    if let (Some(cool), Some(last)) = (caps.convert_cooldown, ledger.last(rule, Kind::Convert)) {
        let until = last.min(now).saturating_add(cool);
        if until > now {
            return suppress(
                "convertCooldown",
                format!("converted: cooling down for {} until {until}", dur(cool)),
                Some(until),
            );
        }
    }
    // Limits that set nothing count nothing.
    let shows_where = |keep: &dyn Fn(&str) -> bool| -> Vec<u64> {
        ledger
            .entries
            .iter()
            .filter(|e| e.kind == Kind::Show && keep(&e.rule))
            .map(|e| e.at.min(now))
            .collect()
    };
    let shows_of = |ids: &[&str]| shows_where(&|r| ids.contains(&r));
    if !caps.limits.is_empty() {
        check_limits("rule", &caps.limits, &shows_of(&[rule]), session_start, now)?;
    }
    if let Some(g) = &caps.group {
        if let Some((_, limits)) = global.groups.iter().find(|(name, _)| name == g) {
            if !limits.is_empty() {
                check_limits(
                    &format!("group {g}"),
                    limits,
                    &shows_of(rules_in_group),
                    session_start,
                    now,
                )?;
            }
        }
    }
    if caps.global && !global.limits.is_empty() {
        check_limits(
            "global",
            &global.limits,
            &shows_where(&|r| !outside_global.contains(&r)),
            session_start,
            now,
        )?;
    }
    Ok(())
}

// ---- config ----

fn limits(o: &mut Obj, errors: &mut Errors) -> Limits {
    // Counts are bounded by the shows the ledger keeps per rule.
    let max = KEEP_PER_CLASS as f64;
    let mut whole =
        |key: &'static str, o: &mut Obj| o.whole(key, 0.0, max, errors).map(|n| n as u32);
    let per_session = whole("perSession", o);
    let per_day = whole("perDay", o);
    let per_week = whole("perWeek", o);
    let per_visitor = whole("perVisitor", o);
    Limits {
        per_session,
        per_day,
        per_week,
        per_visitor,
        min_interval: o.duration("minInterval", errors),
    }
}

/// Reads a rule's `caps`.
pub fn rule_caps(v: Option<&Value>, path: &str, errors: &mut Errors) -> RuleCaps {
    let mut caps = RuleCaps {
        global: true,
        ..RuleCaps::default()
    };
    let Some(v) = v else {
        return caps;
    };
    let Some(mut o) = Obj::new(v, path, errors) else {
        return caps;
    };
    caps.limits = limits(&mut o, errors);
    let dp = o.at("dismissCooldown");
    match o.get("dismissCooldown") {
        None => {}
        Some(Value::Arr(list)) => {
            if list.is_empty() || list.len() > 16 {
                err(errors, &dp, "expected 1–16 durations");
            }
            for (i, d) in list.iter().enumerate().take(16) {
                match super::reader::parse_duration(d) {
                    Ok(ms) => caps.dismiss_cooldowns.push(ms),
                    Err(m) => err(errors, &index(&dp, i), m),
                }
            }
        }
        Some(d) => match super::reader::parse_duration(d) {
            Ok(ms) => caps.dismiss_cooldowns.push(ms),
            Err(m) => err(errors, &dp, m),
        },
    }
    caps.convert_cooldown = o.duration("convertCooldown", errors);
    caps.group = o.string("group", errors).map(String::from);
    caps.global = o.boolean("global", errors).unwrap_or(true);
    o.finish(errors);
    caps
}

/// Reads the top-level `caps`.
pub fn global_caps(v: Option<&Value>, errors: &mut Errors) -> GlobalCaps {
    let mut g = GlobalCaps {
        one_at_a_time: true,
        ..GlobalCaps::default()
    };
    let Some(v) = v else {
        return g;
    };
    let Some(mut o) = Obj::new(v, "caps", errors) else {
        return g;
    };
    g.limits = limits(&mut o, errors);
    g.one_at_a_time = o.boolean("oneAtATime", errors).unwrap_or(true);
    if let Some(groups) = o.get("groups") {
        if let Some(go) = Obj::new(groups, "caps.groups", errors) {
            for (name, gv) in go.map.iter() {
                let path = super::reader::join("caps.groups", name);
                if super::reader::is_forbidden_key(name) {
                    err(errors, &path, "this key is not allowed");
                    continue;
                }
                if let Some(mut gobj) = Obj::new(gv, &path, errors) {
                    let l = limits(&mut gobj, errors);
                    gobj.finish(errors);
                    g.groups.push((name.to_string(), l));
                }
            }
        }
    }
    o.finish(errors);
    g
}

/// Checks that every rule's group exists: `groups` holds each rule's group with the path
/// it was read at (the rule's own index in the config, whether or not the rule compiled).
pub fn check_groups(global: &GlobalCaps, groups: &[(String, String)], errors: &mut Errors) {
    for (path, g) in groups {
        if !global.groups.iter().any(|(n, _)| n == g) {
            err(
                errors,
                path,
                format!("unknown group \"{g}\" (define it in caps.groups)"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: u64 = 3_600_000;

    #[test]
    fn recording_one_entry_equals_normalizing_the_union() {
        // A long pseudo-random history over few rules and kinds, so classes overflow
        // KEEP_PER_CLASS and the total overflows MAX_ENTRIES many times.
        let kinds = [
            Kind::Show,
            Kind::Click,
            Kind::Dismiss,
            Kind::Convert,
            Kind::Snooze(1000),
            Kind::OptOut,
            Kind::OptIn,
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |m: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % m
        };
        let mut fast = Ledger::default();
        let mut slow = Ledger::default();
        for step in 0..3_000u64 {
            let rule = format!("r{}", next(24));
            let kind = kinds[next(kinds.len() as u64) as usize];
            let at = step * 10 + next(25);
            fast.record(&rule, kind, at);
            // The reference: the union with the same entry, fully normalized (a choice
            // goes after the rule's latest choice).
            let mut at2 = if kind.class() == CHOICE {
                choice_time(&slow.entries, &rule, at)
            } else {
                at
            };
            while slow
                .entries
                .iter()
                .any(|e| e.at == at2 && e.kind == kind && e.rule == rule)
            {
                at2 += 1;
            }
            slow.entries.push(Entry {
                at: at2,
                rule: rule.clone(),
                kind,
            });
            slow.normalize();
            assert_eq!(fast, slow, "diverged at step {step}");
        }
        // Choices are never cut; shows and clicks make room for them.
        let choices = fast
            .entries
            .iter()
            .filter(|e| !matches!(e.kind, Kind::Show | Kind::Click))
            .count();
        assert!(fast.entries.len() <= MAX_ENTRIES.max(choices));
    }

    fn rc(json: &str) -> RuleCaps {
        let v: Value = serde_json::from_str(json).unwrap();
        let mut e = Vec::new();
        let c = rule_caps(Some(&v), "caps", &mut e);
        assert!(e.is_empty(), "{e:?}");
        c
    }

    fn gc(json: &str) -> GlobalCaps {
        let v: Value = serde_json::from_str(json).unwrap();
        let mut e = Vec::new();
        let c = global_caps(Some(&v), &mut e);
        assert!(e.is_empty(), "{e:?}");
        c
    }

    fn check(
        g: &GlobalCaps,
        c: &RuleCaps,
        l: &Ledger,
        rule: &str,
        start: u64,
        now: u64,
    ) -> Result<(), Suppressed> {
        admit(g, c, l, rule, &[rule], &[], start, now)
    }

    #[test]
    fn global_per_session_allows_exactly_n() {
        let g = gc(r#"{"perSession":2}"#);
        let c = rc("{}");
        let mut l = Ledger::default();
        let start = 1_000;
        assert!(check(&g, &c, &l, "a", start, 2_000).is_ok());
        l.record("a", Kind::Show, 2_000);
        assert!(check(&g, &c, &l, "b", start, 3_000).is_ok());
        l.record("b", Kind::Show, 3_000);
        let s = check(&g, &c, &l, "c", start, 4_000).unwrap_err();
        assert_eq!(
            s.reason,
            "capped by global perSession (2/2) until the session ends"
        );
        assert_eq!(s.until, None);
        // A new session (started after the shows) lifts it.
        assert!(check(&g, &c, &l, "c", 5_000, 6_000).is_ok());
    }

    #[test]
    fn rolling_day_boundary_is_exact() {
        let g = GlobalCaps::default();
        let c = rc(r#"{"perDay":1}"#);
        let mut l = Ledger::default();
        l.record("a", Kind::Show, 10 * H);
        let s = check(&g, &c, &l, "a", 0, 10 * H + DAY - 1).unwrap_err();
        assert_eq!(s.until, Some(10 * H + DAY));
        assert!(check(&g, &c, &l, "a", 0, 10 * H + DAY + 1).is_ok());
    }

    #[test]
    fn dismissed_twice_stays_quiet_for_24h_then_returns() {
        let g = GlobalCaps::default();
        let c = rc(r#"{"dismissCooldown":["0s","24h"]}"#);
        let mut l = Ledger::default();
        l.record("a", Kind::Dismiss, 1_000);
        assert!(
            check(&g, &c, &l, "a", 0, 1_001).is_ok(),
            "first dismissal: no cooldown"
        );
        l.record("a", Kind::Dismiss, 2_000);
        let s = check(&g, &c, &l, "a", 0, 2_000 + DAY - 1).unwrap_err();
        assert_eq!(s.cap, "dismissCooldown");
        assert_eq!(s.until, Some(2_000 + DAY));
        assert!(check(&g, &c, &l, "a", 0, 2_000 + DAY).is_ok());
    }

    #[test]
    fn escalating_backoff() {
        let g = GlobalCaps::default();
        let c = rc(r#"{"dismissCooldown":["1d","7d","30d"]}"#);
        let mut l = Ledger::default();
        let mut t = 0;
        for (n, want) in [(1, DAY), (2, 7 * DAY), (3, 30 * DAY), (4, 30 * DAY)] {
            l.record("a", Kind::Dismiss, t);
            let s = check(&g, &c, &l, "a", 0, t + 1).unwrap_err();
            assert_eq!(s.until, Some(t + want), "after dismissal {n}");
            t += want;
            assert!(check(&g, &c, &l, "a", 0, t).is_ok());
        }
    }

    #[test]
    fn snooze_and_opt_out_are_reversible_and_latest_wins() {
        let g = GlobalCaps::default();
        let c = rc("{}");
        let mut l = Ledger::default();
        l.record("a", Kind::Snooze(H), 0);
        assert_eq!(check(&g, &c, &l, "a", 0, H - 1).unwrap_err().until, Some(H));
        assert!(check(&g, &c, &l, "a", 0, H).is_ok());
        l.record("a", Kind::OptOut, 2 * H);
        assert_eq!(check(&g, &c, &l, "a", 0, 3 * H).unwrap_err().cap, "optout");
        assert!(
            check(&g, &c, &l, "b", 0, 3 * H).is_ok(),
            "other rules unaffected"
        );
        l.record("a", Kind::OptIn, 4 * H);
        assert!(check(&g, &c, &l, "a", 0, 5 * H).is_ok());
        l.record(ALL, Kind::OptOut, 6 * H);
        assert_eq!(check(&g, &c, &l, "b", 0, 7 * H).unwrap_err().cap, "quiet");
    }

    #[test]
    fn a_snooze_from_the_future_is_never_permanent_nor_negative() {
        let mut l = Ledger::default();
        // The clock was a year ahead when the visitor snoozed.
        l.record("a", Kind::Snooze(H), 1_000 + 365 * DAY);
        assert_eq!(l.snoozed_until("a", 1_000), Some(1_000 + H));
        l.clamp_future(1_000);
        assert_eq!(l.snoozed_until("a", 1_000 + H), None);
        let (back, _) = Ledger::from_value(&l.to_value(), 1_000);
        assert_eq!(
            back.entries()[0].at,
            1_000,
            "stored future stamps clamp to now"
        );
        let mut huge = Ledger::default();
        huge.record("a", Kind::Snooze(u64::MAX), 0);
        assert_eq!(huge.snoozed_until("a", 0), Some(MAX_SNOOZE_MS));
    }

    #[test]
    fn two_events_in_one_millisecond_stay_two_in_every_tab() {
        let mut a = Ledger::default();
        a.record("d", Kind::Dismiss, 5_000);
        a.record("d", Kind::Dismiss, 5_000);
        assert_eq!(a.entries().len(), 2);
        // Another tab whose clock reads one millisecond earlier loads and clamps them.
        let (mut b, _) = Ledger::from_value(&a.to_value(), 4_999);
        b.clamp_future(4_999);
        assert_eq!(
            b.entries().len(),
            2,
            "a regression: clamping collapsed them into one"
        );
        // A real clock jump (a day ahead) is clamped without losing either.
        let mut c = Ledger::default();
        c.record("d", Kind::Dismiss, 90_000_000);
        c.record("d", Kind::Dismiss, 90_000_000);
        c.clamp_future(1_000);
        assert_eq!(c.entries().len(), 2);
        assert!(c
            .entries()
            .iter()
            .all(|e| e.at <= 1_000 + FUTURE_TOLERANCE_MS));
    }

    #[test]
    fn the_global_cap_counts_every_show_but_those_of_rules_outside_it() {
        let g = gc(r#"{"perSession":1}"#);
        let c = rc(r#"{}"#);
        let mut l = Ledger::default();
        l.record("quiet-helper", Kind::Show, 10);
        // A rule with `global: false` does not use up the global cap…
        assert!(admit(&g, &c, &l, "b", &["b"], &["quiet-helper"], 0, 1_000).is_ok());
        // …but any other show does, even of a rule no longer in the config.
        l.record("removed-rule", Kind::Show, 20);
        let s = admit(&g, &c, &l, "b", &["b"], &["quiet-helper"], 0, 1_000).unwrap_err();
        assert_eq!(s.cap, "global perSession");
    }

    #[test]
    fn groups_share_a_cap() {
        let g = gc(r#"{"groups":{"promotions":{"perDay":1}}}"#);
        let c = rc(r#"{"group":"promotions"}"#);
        let mut l = Ledger::default();
        l.record("a", Kind::Show, 0);
        let s = admit(&g, &c, &l, "b", &["a", "b"], &[], 0, 1_000).unwrap_err();
        assert_eq!(s.cap, "group promotions perDay");
    }

    #[test]
    fn min_interval_and_convert_cooldown() {
        let g = gc(r#"{"minInterval":"30s"}"#);
        let c = rc(r#"{"convertCooldown":"7d"}"#);
        let mut l = Ledger::default();
        l.record("b", Kind::Show, 0);
        assert_eq!(
            check(&g, &c, &l, "a", 0, 29_999).unwrap_err().until,
            Some(30_000)
        );
        assert!(check(&g, &c, &l, "a", 0, 30_000).is_ok());
        l.record("a", Kind::Convert, 40_000);
        assert_eq!(
            check(&g, &c, &l, "a", 0, 50_000).unwrap_err().cap,
            "convertCooldown"
        );
    }

    #[test]
    fn merge_is_a_union_that_loses_nothing() {
        let mut a = Ledger::default();
        let mut b = Ledger::default();
        a.record("x", Kind::Show, 1);
        a.record("x", Kind::Dismiss, 5);
        b.record("x", Kind::Show, 2);
        b.record("x", Kind::OptOut, 3);
        let mut ab = a.clone();
        assert!(ab.merge(&b));
        let mut ba = b.clone();
        ba.merge(&a);
        assert_eq!(ab, ba);
        assert!(ab.opted_out("x"));
        assert!(!ab.clone().merge(&b), "idempotent");
    }

    #[test]
    fn the_one_pass_choice_lookup_agrees_with_the_latest_choice_of_each_rule() {
        // Choices for a few rules and for every rule (`*`), with ties in time, among
        // shows: the pair from one pass must be the latest choice of `*` and of the rule.
        let kinds = [Kind::Snooze(5000), Kind::OptOut, Kind::OptIn, Kind::Show];
        let rules = ["*", "a", "b", "c"];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |m: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % m
        };
        let mut l = Ledger::default();
        let mut checked = 0;
        for _ in 0..400 {
            let rule = rules[next(4) as usize];
            l.record(rule, kinds[next(4) as usize], 1000 + next(50));
            for r in rules {
                let (all, own) = l.choices(r);
                assert_eq!(all, l.choice(ALL));
                assert_eq!(own, l.choice(r));
                checked += usize::from(own.is_some());
            }
        }
        assert!(checked > 1000, "too few choices exercised: {checked}");
    }

    #[test]
    fn the_later_choice_wins_within_one_millisecond() {
        let mut l = Ledger::default();
        l.record("y", Kind::OptIn, 1000);
        l.record("y", Kind::OptOut, 1000);
        assert!(l.opted_out("y"), "optIn then optOut in one ms: opted out");
        l.record("y", Kind::OptIn, 1000);
        assert!(!l.opted_out("y"), "then optIn: opted in");
        l.record("z", Kind::OptOut, 1000);
        l.record("z", Kind::Snooze(60_000), 1000);
        assert!(!l.opted_out("z"));
        assert!(l.snoozed_until("z", 1000).is_some());
    }

    #[test]
    fn pruning_keeps_the_latest_choice() {
        let mut l = Ledger::default();
        l.record("x", Kind::OptOut, 0);
        for t in 1..200 {
            l.record("x", Kind::Show, t);
        }
        assert!(l.opted_out("x"));
        assert!(l.entries().len() <= KEEP_PER_CLASS + 1);
    }

    #[test]
    fn config_errors_have_paths() {
        let v: Value =
            serde_json::from_str(r#"{"perSession":1.5,"dismissCooldown":["1d","-1d"],"perDya":1}"#)
                .unwrap();
        let mut e = Vec::new();
        rule_caps(Some(&v), "rules[2].caps", &mut e);
        let msgs: Vec<String> = e.iter().map(|x| x.to_string()).collect();
        assert!(
            msgs.contains(&"rules[2].caps.perSession: expected a whole number".to_string()),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m.starts_with("rules[2].caps.dismissCooldown[1]: ")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m
                    .starts_with("rules[2].caps.perDya: unknown field (did you mean \"perDay\"?)")),
            "{msgs:?}"
        );
    }
}
