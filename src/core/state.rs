//! The persisted, versioned state: visitor, session and pattern progress. It is written as
//! JSON text straight from the state, and read back from a `Value` part by part, so garbage
//! in one part resets only that part.

use super::value::{Map, Value};

pub const STATE_VERSION: f64 = 1.0;

/// Latest plausible timestamp: year 2200. Anything beyond is treated as corrupt.
const MAX_TIME: f64 = 7_258_118_400_000.0;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Visitor {
    pub id: String,
    pub first_seen: u64,
    /// Number of sessions (visits), including the current one.
    pub visits: u32,
    /// Last activity of the previous visit (0 when none).
    pub prev_visit: u64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Session {
    pub start: u64,
    pub last_activity: u64,
    pub page_views: u32,
    /// Time with the tab visible and the visitor not idle, in ms.
    pub active_ms: u64,
    pub events: u32,
}

/// Progress of one rule's pattern, persisted so windows span page loads.
#[derive(Clone, Debug, PartialEq)]
pub enum Progress {
    /// Partial sequences: next step index, start time, the `same` key, captured props.
    Sequence(Vec<Partial>),
    /// Waiting absences: deadline, the `same` key, captured props.
    Absence(Vec<Pending>),
    /// Per group (key), the timestamps inside the window (oldest first).
    Count(Vec<(Value, Vec<u64>)>),
    /// The activity time the idle rule last fired for.
    Idle(u64),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Partial {
    pub next: u32,
    pub start: u64,
    pub key: Value,
    pub props: Value,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    pub deadline: u64,
    pub key: Value,
    pub props: Value,
    /// The session start the wait belongs to: a new visit drops stale waits.
    pub session: u64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct State {
    pub visitor: Visitor,
    pub session: Session,
    /// Rule id → (trigger fingerprint, progress).
    pub patterns: Vec<(String, String, Progress)>,
    /// Host attributes from `identify()`.
    pub attrs: Map,
    /// Shows, dismissals, conversions and the visitor's choices.
    pub ledger: super::caps::Ledger,
    /// The visitor granted consent (only ever stored once granted).
    pub consent: bool,
    /// Experiment exposures, once per experiment: (key, variant id, held out, time).
    pub exposures: Vec<(String, String, bool, u64)>,
    /// When the visitor's data was last erased (`forget()`, consent withdrawn); 0: never.
    /// A fact that wins over every tab that still holds older data (see `merge`).
    pub erased: u64,
    /// When consent was last granted or withdrawn; 0: never decided. The latest decision
    /// wins across tabs.
    pub consent_at: u64,
}

/// A stored record, read.
pub struct Stored {
    pub state: State,
    /// Some part did not parse and was reset.
    pub repaired: bool,
    /// Written by a newer cuekit (to be read, never overwritten).
    pub newer: bool,
}

/// How deep host data (attributes, event properties) may nest: what `identify()` and
/// `track()` accept, and so what the record must read back.
pub const DATA_DEPTH: usize = super::json::MAX_DEPTH;
/// How deep the record nests host data below its top (`patterns[i].seq[j].p`).
pub const RECORD_NESTING: usize = 8;
/// The host attributes kept, as JSON, at most (`identify()` beyond it is refused).
pub const MAX_ATTRS_BYTES: usize = 16 * 1024;
/// Experiment exposures kept at most (the oldest go first).
pub const MAX_EXPOSURES: usize = 64;

fn time(v: Option<&Value>, now: u64) -> Option<u64> {
    match v? {
        Value::Num(n) if n.is_finite() && *n >= 0.0 && *n <= MAX_TIME => {
            // Timestamps from the future (clock changed) are clamped to now.
            Some((*n as u64).min(now))
        }
        _ => None,
    }
}

fn count(v: Option<&Value>) -> Option<u32> {
    match v? {
        Value::Num(n) if n.is_finite() && *n >= 0.0 => Some(n.min(u32::MAX as f64) as u32),
        _ => None,
    }
}

/// A record cuekit wrote, read back as a value (host data inside it is nested a few levels
/// below the top, so it is read a few levels deeper than host input: one set of limits
/// for the writer and the reader).
pub fn record_value(text: &str) -> Value {
    super::json::parse_to_depth(text, DATA_DEPTH + RECORD_NESTING).unwrap_or_default()
}

impl State {
    /// The stored record, as a value (`json_with`, read back: one definition).
    pub fn to_value(&self) -> Value {
        record_value(&self.json_with(core::iter::empty()))
    }

    /// The stored record as JSON text, with `more` pattern progress (rule id, fingerprint,
    /// progress) after the state's own: the engine's live progress, stored without copying
    /// the state. Written straight from the state: saving builds no tree of values.
    pub fn json_with<'a>(
        &'a self,
        more: impl Iterator<Item = (&'a str, &'a str, &'a Progress)>,
    ) -> String {
        self.write(more, true)
    }

    /// The record without what can be rebuilt or re-sent (pattern progress, host
    /// attributes): the visitor, the ledger of choices, consent and erasure. Written when
    /// the full record does not fit in storage, so the visitor's choices always do.
    pub fn essentials_json(&self) -> String {
        self.write(core::iter::empty(), false)
    }

    /// What a tab stores once consent is withdrawn: the withdrawal alone (no identifier,
    /// no data), so that no other tab can bring back what it erased.
    pub fn withdrawal_json(&self) -> String {
        let mut o = String::from("{\"v\":");
        super::json::write(&Value::Num(STATE_VERSION), &mut o);
        o.push_str(",\"consent\":false");
        write_facts(self, &mut o);
        o.push('}');
        o
    }

    fn write<'a>(
        &'a self,
        more: impl Iterator<Item = (&'a str, &'a str, &'a Progress)>,
        bulk: bool,
    ) -> String {
        use super::json::{write, write_str};
        let num = |out: &mut String, n: u64| write(&Value::Num(n as f64), out);
        let v = &self.visitor;
        let s = &self.session;
        let mut out = String::with_capacity(1024);
        let o = &mut out;
        o.push_str("{\"v\":");
        write(&Value::Num(STATE_VERSION), o);
        // A wait's grouping key and the properties it keeps: `,"k":…,"p":…`.
        let key_props = |o: &mut String, key: &Value, props: &Value| {
            o.push_str(",\"k\":");
            write(key, o);
            o.push_str(",\"p\":");
            write(props, o);
        };
        o.push_str(",\"visitor\":{\"id\":");
        write_str(&v.id, o);
        o.push_str(",\"first\":");
        num(o, v.first_seen);
        o.push_str(",\"visits\":");
        num(o, u64::from(v.visits));
        o.push_str(",\"prev\":");
        num(o, v.prev_visit);
        o.push_str("},\"session\":{\"start\":");
        num(o, s.start);
        o.push_str(",\"last\":");
        num(o, s.last_activity);
        o.push_str(",\"pv\":");
        num(o, u64::from(s.page_views));
        o.push_str(",\"active\":");
        num(o, s.active_ms);
        o.push_str(",\"ev\":");
        num(o, u64::from(s.events));
        o.push_str("},\"patterns\":[");
        let own = self
            .patterns
            .iter()
            .map(|(id, fp, p)| (id.as_str(), fp.as_str(), p));
        for (i, (id, fp, p)) in own.chain(more).filter(|_| bulk).enumerate() {
            if i > 0 {
                o.push(',');
            }
            o.push_str("{\"r\":");
            write_str(id, o);
            o.push_str(",\"f\":");
            write_str(fp, o);
            match p {
                Progress::Sequence(list) => {
                    o.push_str(",\"seq\":[");
                    for (j, x) in list.iter().enumerate() {
                        o.push_str(if j > 0 { ",{\"n\":" } else { "{\"n\":" });
                        num(o, u64::from(x.next));
                        o.push_str(",\"t\":");
                        num(o, x.start);
                        key_props(o, &x.key, &x.props);
                        o.push('}');
                    }
                    o.push(']');
                }
                Progress::Absence(list) => {
                    o.push_str(",\"abs\":[");
                    for (j, x) in list.iter().enumerate() {
                        o.push_str(if j > 0 { ",{\"d\":" } else { "{\"d\":" });
                        num(o, x.deadline);
                        key_props(o, &x.key, &x.props);
                        o.push_str(",\"s\":");
                        num(o, x.session);
                        o.push('}');
                    }
                    o.push(']');
                }
                Progress::Count(groups) => {
                    o.push_str(",\"cnt\":[");
                    for (j, (k, ts)) in groups.iter().enumerate() {
                        o.push_str(if j > 0 { ",{\"k\":" } else { "{\"k\":" });
                        write(k, o);
                        o.push_str(",\"t\":[");
                        for (n, t) in ts.iter().enumerate() {
                            if n > 0 {
                                o.push(',');
                            }
                            num(o, *t);
                        }
                        o.push_str("]}");
                    }
                    o.push(']');
                }
                Progress::Idle(t) => {
                    o.push_str(",\"idle\":");
                    num(o, *t);
                }
            }
            o.push('}');
        }
        o.push_str("],\"attrs\":");
        if bulk {
            super::json::write_map(&self.attrs, o);
        } else {
            o.push_str("{}");
        }
        o.push_str(",\"ledger\":");
        self.ledger.write_json(o);
        o.push_str(if self.consent {
            ",\"consent\":true,\"exp\":["
        } else {
            ",\"consent\":false,\"exp\":["
        });
        for (i, (k, variant, held, t)) in self.exposures.iter().enumerate() {
            o.push_str(if i > 0 { ",[" } else { "[" });
            write_str(k, o);
            o.push(',');
            write_str(variant, o);
            o.push_str(if *held { ",true," } else { ",false," });
            num(o, *t);
            o.push(']');
        }
        o.push(']');
        write_facts(self, o);
        o.push('}');
        out
    }

    /// Reads a stored record's text: the one way stored text becomes a state, read to
    /// the depth the writer may write (`DATA_DEPTH` + `RECORD_NESTING`).
    pub fn read(text: &str, now: u64) -> Stored {
        let Ok(v) = super::json::parse_to_depth(text, DATA_DEPTH + RECORD_NESTING) else {
            return Stored {
                state: State::default(),
                repaired: true,
                newer: false,
            };
        };
        let (state, repaired) = State::from_value(&v, now);
        Stored {
            state,
            repaired,
            newer: State::stored_version(&v).is_some_and(|n| n > STATE_VERSION),
        }
    }

    /// The schema version of a stored record, when it has one.
    pub fn stored_version(v: &Value) -> Option<f64> {
        v.get("v").and_then(Value::as_f64)
    }

    /// Reads a stored state. Each part that does not parse is reset on its own; the
    /// returned flag says whether anything had to be repaired.
    pub fn from_value(v: &Value, now: u64) -> (State, bool) {
        let mut st = State::default();
        let mut repaired = false;
        let Some(root) = v.as_object() else {
            return (st, !v.is_null());
        };
        // A newer schema (written by a newer cuekit, then rolled back): its visitor,
        // choices, attributes and consent are read where they still parse, so a rollback
        // never forgets an opt-out; pattern progress and the session are not. The caller
        // keeps such a record read-only (`stored_version`). Anything else: start afresh.
        let newer = match root.get("v") {
            Some(Value::Num(n)) if *n == STATE_VERSION => false,
            Some(Value::Num(n)) if n.is_finite() && *n > STATE_VERSION => true,
            _ => return (st, true),
        };
        st.erased = time(root.get("erased"), now).unwrap_or(0);
        st.consent_at = time(root.get("consentAt"), now).unwrap_or(0);
        // A withdrawal (consent withdrawn: nothing else stored) is a whole record.
        let withdrawal = st.erased > 0 && root.get("visitor").is_none();
        if withdrawal {
        } else if let Some(vis) = root.get("visitor").and_then(Value::as_object) {
            let id = vis.get("id").and_then(Value::as_str).unwrap_or("");
            let valid_id = !id.is_empty()
                && id.len() <= 64
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            match (
                valid_id,
                time(vis.get("first"), now),
                count(vis.get("visits")),
                time(vis.get("prev"), now),
            ) {
                (true, Some(first), Some(visits), Some(prev)) => {
                    st.visitor = Visitor {
                        id: id.into(),
                        first_seen: first,
                        visits,
                        prev_visit: prev,
                    }
                }
                _ => repaired = true,
            }
        } else {
            repaired = true;
        }
        if newer || withdrawal {
        } else if let Some(ses) = root.get("session").and_then(Value::as_object) {
            match (
                time(ses.get("start"), now),
                time(ses.get("last"), now),
                count(ses.get("pv")),
                time(ses.get("active"), u64::MAX),
                count(ses.get("ev")),
            ) {
                (Some(start), Some(last), Some(pv), Some(active), Some(ev)) if last >= start => {
                    st.session = Session {
                        start,
                        last_activity: last,
                        page_views: pv,
                        active_ms: active.min(last - start),
                        events: ev,
                    }
                }
                _ => repaired = true,
            }
        } else {
            repaired = true;
        }
        if let Some(list) = root
            .get("patterns")
            .and_then(Value::as_array)
            .filter(|_| !newer)
        {
            for p in list {
                match parse_progress(p, now) {
                    Some(x) => st.patterns.push(x),
                    None => repaired = true,
                }
            }
        }
        if let Some(attrs @ Value::Obj(_)) = root.get("attrs") {
            // Prototype keys go at every depth, as they do for `identify()`.
            let mut clean = attrs.clone();
            clean.strip_forbidden_keys();
            if let Value::Obj(m) = clean {
                st.attrs = m;
            }
        }
        if let Some(l) = root.get("ledger") {
            let (ledger, bad) = super::caps::Ledger::from_value(l, now);
            st.ledger = ledger;
            repaired |= bad;
        }
        st.consent = root.get("consent") == Some(&Value::Bool(true));
        if let Some(list) = root.get("exp").and_then(Value::as_array) {
            for e in list.iter().take(MAX_EXPOSURES) {
                match (
                    e.get("0").and_then(Value::as_str),
                    e.get("1").and_then(Value::as_str),
                    e.get("2").and_then(Value::as_bool),
                    time(e.get("3"), now),
                ) {
                    (Some(k), Some(v), Some(h), Some(t)) if k.len() <= 64 && v.len() <= 64 => {
                        st.exposures.push((k.into(), v.into(), h, t))
                    }
                    _ => repaired = true,
                }
            }
        }
        (st, repaired)
    }
}

/// `,"erased":t,"consentAt":t`, each only when set (a record without them is what
/// earlier releases wrote, and read).
fn write_facts(st: &State, o: &mut String) {
    for (key, t) in [
        (",\"erased\":", st.erased),
        (",\"consentAt\":", st.consent_at),
    ] {
        if t > 0 {
            o.push_str(key);
            super::json::write(&Value::Num(t as f64), o);
        }
    }
}

/// The approximate stored size of one rule's progress.
fn progress_size(p: &Progress) -> usize {
    let wait = |key: &Value, props: &Value| 32 + key.approx_size() + props.approx_size();
    match p {
        Progress::Sequence(l) => l.iter().map(|x| wait(&x.key, &x.props)).sum(),
        Progress::Absence(l) => l.iter().map(|x| wait(&x.key, &x.props)).sum(),
        Progress::Count(g) => g
            .iter()
            .map(|(k, t)| 16 + k.approx_size() + 14 * t.len())
            .sum(),
        Progress::Idle(_) => 16,
    }
}

/// Drops the oldest wait of the largest rule's progress until all of it fits in `budget`.
pub fn trim_progress(progress: &mut [Option<Progress>], budget: usize) {
    let mut sizes: Vec<usize> = progress
        .iter()
        .map(|p| p.as_ref().map_or(0, progress_size))
        .collect();
    let mut total: usize = sizes.iter().sum();
    while total > budget {
        let Some((i, _)) = sizes.iter().enumerate().max_by_key(|(_, s)| **s) else {
            return;
        };
        let Some(Some(p)) = progress.get_mut(i) else {
            return;
        };
        let dropped = match p {
            Progress::Sequence(l) => remove_min_by_key(l, |x| x.start),
            Progress::Absence(l) => remove_min_by_key(l, |x| x.deadline),
            Progress::Count(g) => remove_min_by_key(g, |(_, t)| t.last().copied().unwrap_or(0)),
            Progress::Idle(_) => false,
        };
        if !dropped {
            return;
        }
        let now = progress_size(p);
        if let Some(s) = sizes.get_mut(i) {
            total = total - *s + now;
            *s = now;
        }
    }
}

/// Removes the element with the smallest key; false when empty.
fn remove_min_by_key<T>(v: &mut Vec<T>, key: impl Fn(&T) -> u64) -> bool {
    match v
        .iter()
        .enumerate()
        .min_by_key(|(_, x)| key(x))
        .map(|(i, _)| i)
    {
        Some(i) => {
            v.remove(i);
            true
        }
        None => false,
    }
}

fn parse_progress(p: &Value, now: u64) -> Option<(String, String, Progress)> {
    let m = p.as_object()?;
    let id = m.get("r")?.as_str()?.to_string();
    let fp = m.get("f")?.as_str()?.to_string();
    let progress = if let Some(list) = m.get("seq") {
        let mut out = Vec::new();
        for x in list.as_array()? {
            out.push(Partial {
                next: count(x.get("n"))?,
                start: time(x.get("t"), now)?,
                key: x.get("k").cloned().unwrap_or_default(),
                props: x.get("p").cloned().unwrap_or_default(),
            });
        }
        Progress::Sequence(out)
    } else if let Some(list) = m.get("abs") {
        let mut out = Vec::new();
        for x in list.as_array()? {
            // Deadlines are legitimately in the future: bound them by a year, not by now.
            out.push(Pending {
                deadline: time(x.get("d"), now.saturating_add(400 * 86_400_000))?,
                key: x.get("k").cloned().unwrap_or_default(),
                props: x.get("p").cloned().unwrap_or_default(),
                session: time(x.get("s"), now)?,
            });
        }
        Progress::Absence(out)
    } else if let Some(list) = m.get("cnt") {
        let mut out = Vec::new();
        for g in list.as_array()? {
            let mut ts = Vec::new();
            for t in g.get("t")?.as_array()? {
                ts.push(time(Some(t), now)?);
            }
            out.push((g.get("k").cloned().unwrap_or_default(), ts));
        }
        Progress::Count(out)
    } else if let Some(t) = m.get("idle") {
        Progress::Idle(time(Some(t), now)?)
    } else {
        return None;
    };
    Some((id, fp, progress))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::value::obj;

    fn sample() -> State {
        State {
            visitor: Visitor {
                id: "abc-123".into(),
                first_seen: 1_000,
                visits: 3,
                prev_visit: 500,
            },
            session: Session {
                start: 2_000,
                last_activity: 5_000,
                page_views: 4,
                active_ms: 2_500,
                events: 9,
            },
            patterns: vec![
                (
                    "a".into(),
                    "f1".into(),
                    Progress::Count(vec![(Value::Str("shoes".into()), vec![3_000, 4_000])]),
                ),
                (
                    "b".into(),
                    "f2".into(),
                    Progress::Absence(vec![Pending {
                        deadline: 90_000,
                        key: Value::Null,
                        props: obj([("name", Value::Str("Mug".into()))]),
                        session: 2_000,
                    }]),
                ),
                ("c".into(), "f3".into(), Progress::Idle(4_000)),
            ],
            attrs: Map::new(),
            ledger: Default::default(),
            consent: false,
            exposures: Vec::new(),
            erased: 0,
            consent_at: 0,
        }
    }

    fn full() -> State {
        let mut s = sample();
        s.patterns.push((
            "d".into(),
            "f4".into(),
            Progress::Sequence(vec![Partial {
                next: 2,
                start: 3_500,
                key: Value::Str("sku-1".into()),
                props: obj([
                    ("sku", Value::Str("sku-1".into())),
                    ("price", Value::Num(24.5)),
                ]),
            }]),
        ));
        s.attrs.insert("plan", Value::Str("pro \"gold\"\n".into()));
        s.attrs.insert("cart", obj([("items", Value::Num(2.0))]));
        s.ledger.record("a", crate::core::caps::Kind::Show, 4_100);
        s.ledger
            .record("a", crate::core::caps::Kind::Snooze(60_000), 4_200);
        s.ledger.record("*", crate::core::caps::Kind::OptOut, 4_300);
        s.consent = true;
        s.exposures.push(("exp-1".into(), "b".into(), false, 4_000));
        s.exposures
            .push(("exp-2".into(), "control".into(), true, 4_050));
        s
    }

    /// The stored record's text, key by key: written straight from the state, it must stay
    /// what earlier releases wrote and read (a rollback reads it), and read back the same.
    #[test]
    fn the_record_is_written_in_the_stored_format() {
        let s = full();
        let text = s.json_with(core::iter::empty());
        assert_eq!(
            text,
            r#"{"v":1,"visitor":{"id":"abc-123","first":1000,"visits":3,"prev":500},"session":{"start":2000,"last":5000,"pv":4,"active":2500,"ev":9},"patterns":[{"r":"a","f":"f1","cnt":[{"k":"shoes","t":[3000,4000]}]},{"r":"b","f":"f2","abs":[{"d":90000,"k":null,"p":{"name":"Mug"},"s":2000}]},{"r":"c","f":"f3","idle":4000},{"r":"d","f":"f4","seq":[{"n":2,"t":3500,"k":"sku-1","p":{"sku":"sku-1","price":24.5}}]}],"attrs":{"plan":"pro \"gold\"\n","cart":{"items":2}},"ledger":[[4100,"a","show"],[4200,"a","snooze",60000],[4300,"*","optout"]],"consent":true,"exp":[["exp-1","b",false,4000],["exp-2","control",true,4050]]}"#
        );
        let (back, repaired) = State::from_value(&record_value(&text), 10_000);
        assert!(!repaired);
        assert_eq!(back, s);
        // Live progress goes after the state's own patterns.
        let live = Progress::Idle(7);
        let with = s.json_with(core::iter::once(("e", "f5", &live)));
        assert!(with.contains(r#"{"r":"d","f":"f4","seq":"#));
        assert!(with.contains(r#"{"r":"e","f":"f5","idle":7}],"attrs""#));
    }

    #[test]
    fn round_trips() {
        let s = sample();
        let (back, repaired) = State::from_value(&s.to_value(), 10_000);
        assert!(!repaired);
        assert_eq!(back, s);
    }

    #[test]
    fn garbage_resets_only_the_broken_part() {
        let mut v = sample().to_value();
        if let Value::Obj(m) = &mut v {
            m.insert("session", Value::Str("undefined".into()));
        }
        let (back, repaired) = State::from_value(&v, 10_000);
        assert!(repaired);
        assert_eq!(back.session, Session::default());
        assert_eq!(back.visitor, sample().visitor);
        assert_eq!(back.patterns.len(), 3);
    }

    #[test]
    fn future_and_absurd_numbers_are_clamped_or_rejected() {
        let mut v = sample().to_value();
        if let Value::Obj(m) = &mut v {
            if let Some(Value::Obj(vis)) = m.get_mut("visitor") {
                vis.insert("first", Value::Num(9_000_000.0));
            }
            if let Some(Value::Obj(ses)) = m.get_mut("session") {
                ses.insert("pv", Value::Num(f64::NAN));
            }
        }
        let (back, repaired) = State::from_value(&v, 10_000);
        assert!(repaired);
        assert_eq!(
            back.visitor.first_seen, 10_000,
            "future timestamp clamped to now"
        );
        assert_eq!(back.session, Session::default());
    }

    #[test]
    fn a_newer_version_keeps_the_visitor_and_choices_but_not_progress() {
        let mut original = sample();
        original
            .ledger
            .record("promo", crate::core::caps::Kind::OptOut, 4_000);
        original.consent = true;
        let mut v = original.to_value();
        if let Value::Obj(m) = &mut v {
            m.insert("v", Value::Num(2.0));
        }
        let (back, _) = State::from_value(&v, 10_000);
        assert_eq!(back.visitor, original.visitor);
        assert_eq!(back.ledger, original.ledger);
        assert!(back.ledger.opted_out("promo"));
        assert_eq!(back.consent, original.consent);
        assert!(back.patterns.is_empty());
        assert_eq!(back.session, Session::default());
        assert_eq!(State::stored_version(&v), Some(2.0));
    }

    #[test]
    fn an_unknown_version_starts_afresh() {
        for bad in [Value::Num(0.5), Value::Str("1".into()), Value::Null] {
            let mut v = sample().to_value();
            if let Value::Obj(m) = &mut v {
                m.insert("v", bad);
            }
            let (back, repaired) = State::from_value(&v, 10_000);
            assert!(repaired);
            assert_eq!(back, State::default());
        }
    }
}
