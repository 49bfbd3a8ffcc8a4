//! The persisted, versioned state: visitor, session and pattern progress. It converts to
//! and from a `Value` part by part, so garbage in one part resets only that part.

use super::value::{obj, Map, Value};

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
}

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

fn num(n: u64) -> Value {
    Value::Num(n as f64)
}

impl State {
    pub fn to_value(&self) -> Value {
        self.to_value_with(core::iter::empty())
    }

    /// As `to_value`, with `more` pattern progress (rule id, fingerprint, progress) after
    /// the state's own: the engine's live progress, stored without copying the state.
    pub fn to_value_with<'a>(
        &'a self,
        more: impl Iterator<Item = (&'a str, &'a str, &'a Progress)>,
    ) -> Value {
        let v = &self.visitor;
        let s = &self.session;
        let patterns: Vec<Value> = self
            .patterns
            .iter()
            .map(|(id, fp, p)| (id.as_str(), fp.as_str(), p))
            .chain(more)
            .map(|(id, fp, p)| {
                let (kind, data) = match p {
                    Progress::Sequence(list) => (
                        "seq",
                        Value::Arr(
                            list.iter()
                                .map(|x| {
                                    obj([
                                        ("n", num(x.next as u64)),
                                        ("t", num(x.start)),
                                        ("k", x.key.clone()),
                                        ("p", x.props.clone()),
                                    ])
                                })
                                .collect(),
                        ),
                    ),
                    Progress::Absence(list) => (
                        "abs",
                        Value::Arr(
                            list.iter()
                                .map(|x| {
                                    obj([
                                        ("d", num(x.deadline)),
                                        ("k", x.key.clone()),
                                        ("p", x.props.clone()),
                                        ("s", num(x.session)),
                                    ])
                                })
                                .collect(),
                        ),
                    ),
                    Progress::Count(groups) => (
                        "cnt",
                        Value::Arr(
                            groups
                                .iter()
                                .map(|(k, ts)| {
                                    obj([
                                        ("k", k.clone()),
                                        ("t", Value::Arr(ts.iter().map(|t| num(*t)).collect())),
                                    ])
                                })
                                .collect(),
                        ),
                    ),
                    Progress::Idle(t) => ("idle", num(*t)),
                };
                obj([
                    ("r", Value::Str(id.into())),
                    ("f", Value::Str(fp.into())),
                    (kind, data),
                ])
            })
            .collect();
        obj([
            ("v", Value::Num(STATE_VERSION)),
            (
                "visitor",
                obj([
                    ("id", Value::Str(v.id.clone())),
                    ("first", num(v.first_seen)),
                    ("visits", num(v.visits as u64)),
                    ("prev", num(v.prev_visit)),
                ]),
            ),
            (
                "session",
                obj([
                    ("start", num(s.start)),
                    ("last", num(s.last_activity)),
                    ("pv", num(s.page_views as u64)),
                    ("active", num(s.active_ms)),
                    ("ev", num(s.events as u64)),
                ]),
            ),
            ("patterns", Value::Arr(patterns)),
            ("attrs", Value::Obj(self.attrs.clone())),
            ("ledger", self.ledger.to_value()),
            ("consent", Value::Bool(self.consent)),
            (
                "exp",
                Value::Arr(
                    self.exposures
                        .iter()
                        .map(|(k, v, h, t)| {
                            Value::Arr(vec![
                                Value::Str(k.clone()),
                                Value::Str(v.clone()),
                                Value::Bool(*h),
                                Value::Num(*t as f64),
                            ])
                        })
                        .collect(),
                ),
            ),
        ])
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
        if let Some(vis) = root.get("visitor").and_then(Value::as_object) {
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
        if newer {
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
            for e in list.iter().take(64) {
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
        }
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
