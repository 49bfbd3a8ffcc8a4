//! Merging what another tab stored into this tab's state. The visitor's choices,
//! consent and erasure are facts: the merge keeps every choice (the ledger is a set), the
//! latest consent decision, and the latest erasure, which wins over whatever any tab still
//! holds from before it. A merged state that holds a fact the stored record lacks must be
//! written back (`Merged::write_back`): otherwise a choice made in one tab at the moment
//! another tab wrote would live only in memory, and be gone on reload.
//!
//! Merging is convergent: merging a record that already holds all of ours asks for no
//! write, so two tabs never write back and forth.

use super::engine::{MAX_GROUPS, MAX_PARTIALS, MAX_PENDING};
use super::state::{Progress, State, Visitor, MAX_EXPOSURES};

/// What a merge changed, and what the caller must do about it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Merged {
    /// Anything in this tab's state changed.
    pub changed: bool,
    /// This tab holds a fact the stored record lacks: write the merged state back.
    pub write_back: bool,
    /// Another tab's erasure was newer: this tab's data from before it is gone (the
    /// caller drops what it keeps outside the state too, such as queued webhooks).
    pub erased: bool,
    /// Another tab's later consent decision was taken over: the new decision.
    pub consent: Option<bool>,
}

/// Folds `theirs` (a record another tab stored) into `ours`. `fresh_id` is the visitor
/// id to use when an erasure leaves no visitor (a withdrawal record holds none).
pub fn merge_facts(ours: &mut State, theirs: &State, fresh_id: &str, now: u64) -> Merged {
    let mut m = Merged::default();
    // Erasure: the latest wins; everything from before it goes, on either side.
    if theirs.erased > ours.erased {
        ours.erased = theirs.erased;
        ours.attrs = theirs.attrs.clone();
        ours.visitor = if theirs.visitor.id.is_empty() {
            Visitor {
                id: fresh_id.into(),
                first_seen: now,
                visits: 1,
                prev_visit: 0,
            }
        } else {
            theirs.visitor.clone()
        };
        ours.ledger.erase_before(theirs.erased);
        ours.exposures.retain(|e| e.3 >= theirs.erased);
        m.erased = true;
        m.changed = true;
    } else if ours.erased > theirs.erased {
        m.write_back = true;
    }
    // Consent: the latest decision wins. (Records from before decisions were timed say
    // only "granted": that still grants.)
    let untimed = theirs.consent_at == 0 && ours.consent_at == 0;
    if theirs.consent_at > ours.consent_at || (untimed && theirs.consent && !ours.consent) {
        if ours.consent != theirs.consent {
            m.consent = Some(theirs.consent);
            m.changed = true;
        }
        ours.consent = theirs.consent;
        ours.consent_at = theirs.consent_at;
    } else if ours.consent_at > theirs.consent_at || (untimed && ours.consent && !theirs.consent) {
        m.write_back = true;
    }
    // The visitor: one id per browser. With the same id, the longest history; with two
    // (two first visits at once, or an erasure each side saw), the earlier wins, so
    // every tab settles on the same one.
    if ours.erased == theirs.erased && !theirs.visitor.id.is_empty() {
        let (v, t) = (&mut ours.visitor, &theirs.visitor);
        if v.id == t.id {
            if t.visits > v.visits {
                v.visits = t.visits;
                m.changed = true;
            }
            if t.first_seen > 0 && t.first_seen < v.first_seen {
                v.first_seen = t.first_seen;
                m.changed = true;
            }
            m.write_back |= v.visits > t.visits;
        } else if (t.first_seen, &t.id) < (v.first_seen, &v.id) {
            *v = t.clone();
            m.changed = true;
        } else {
            m.write_back = true;
        }
    }
    // The ledger: a union, less what an erasure removed.
    let their_ledger = {
        let mut l = theirs.ledger.clone();
        l.erase_before(ours.erased);
        l
    };
    m.changed |= ours.ledger.merge(&their_ledger);
    m.write_back |= ours.ledger != theirs.ledger;
    // Exposures: once per experiment, the first kept.
    for e in theirs.exposures.iter().filter(|e| e.3 >= ours.erased) {
        if !ours.exposures.iter().any(|x| x.0 == e.0) && ours.exposures.len() < MAX_EXPOSURES {
            ours.exposures.push(e.clone());
            m.changed = true;
        }
    }
    m.write_back |= ours
        .exposures
        .iter()
        .any(|e| !theirs.exposures.iter().any(|x| x.0 == e.0));
    m
}

/// Union of two tabs' progress for one rule, bounded as usual.
pub fn merge_progress(ours: &mut Progress, theirs: &Progress) -> bool {
    match (ours, theirs) {
        (Progress::Count(a), Progress::Count(b)) => {
            let mut changed = false;
            for (key, ts) in b {
                if let Some((_, mine)) = a.iter_mut().find(|(k, _)| k == key) {
                    for t in ts {
                        if !mine.contains(t) {
                            mine.push(*t);
                            changed = true;
                        }
                    }
                    crate::core::sort::sort(mine);
                } else if a.len() < MAX_GROUPS {
                    a.push((key.clone(), ts.clone()));
                    changed = true;
                }
            }
            changed
        }
        (Progress::Absence(a), Progress::Absence(b)) => {
            let mut changed = false;
            for p in b {
                if a.len() < MAX_PENDING && !a.iter().any(|x| x.key == p.key) {
                    a.push(p.clone());
                    changed = true;
                }
            }
            changed
        }
        (Progress::Sequence(a), Progress::Sequence(b)) => {
            let mut changed = false;
            for p in b {
                if a.len() < MAX_PARTIALS && !a.contains(p) {
                    a.push(p.clone());
                    changed = true;
                }
            }
            changed
        }
        (Progress::Idle(a), Progress::Idle(b)) => {
            let m = (*a).max(*b);
            let changed = m != *a;
            *a = m;
            changed
        }
        _ => false,
    }
}
