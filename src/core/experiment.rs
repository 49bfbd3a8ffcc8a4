//! Deterministic experiment assignment, compatible with GrowthBook's hashing.
//!
//! The low-level functions (`hash`, `get_equal_weights`, `get_bucket_ranges`,
//! `choose_variation`, `in_namespace`) reproduce GrowthBook sdk-js exactly and are checked
//! against its language-neutral vectors. `Experiment::assign` builds on them.
//!
//! # Reproducing an assignment in a warehouse
//!
//! `fnv(s)` is 32-bit FNV-1a over the UTF-16 code units of `s` (offset basis `0x811c9dc5`,
//! prime `0x01000193`, arithmetic modulo 2^32); for ASCII ids that is the same as over bytes.
//! With `S` the experiment's seed (its key when no seed is set) and `id` the visitor id:
//!
//! - bucket, hash version 2 (the default): `fnv(decimal(fnv(S + id))) % 10000 / 10000`,
//!   where `decimal` writes the unsigned 32-bit number in base 10 without leading zeros;
//! - bucket, hash version 1: `fnv(id + S) % 1000 / 1000`;
//! - namespace `(ns, start, end)`: in when `start <= fnv(id + "__" + ns) % 1000 / 1000 < end`;
//! - variant: the first `i` with `start_i <= bucket < end_i`, where, with the weights
//!   `w` and coverage `c`, `start_i = w_0 + … + w_(i-1)` and `end_i = start_i + c * w_i`;
//! - holdout: `fnv(decimal(fnv("__holdout:" + S + id))) % 10000 / 10000 < holdout`, that is
//!   the version-2 hash with seed `"__holdout:" + S`, whatever the experiment's hash version.
//!   Only visitors who got a variant (and were not forced) can be in the holdout.

/// FNV-1a 32-bit offset basis and prime.
const FNV_OFFSET: u32 = 0x811c_9dc5;
const FNV_PRIME: u32 = 0x0100_0193;

fn fnv_step(h: u32, unit: u16) -> u32 {
    (h ^ u32::from(unit)).wrapping_mul(FNV_PRIME)
}

/// FNV-1a over the UTF-16 code units of the concatenation of `parts` (as JavaScript's
/// `charCodeAt` sees the string), without building the concatenation.
fn fnv(parts: &[&str]) -> u32 {
    parts
        .iter()
        .flat_map(|p| p.encode_utf16())
        .fold(FNV_OFFSET, fnv_step)
}

/// FNV-1a over the decimal digits of `n` (JavaScript's `n + ""`).
fn fnv_decimal(n: u32) -> u32 {
    let mut div = 1u32;
    while n / div >= 10 {
        div *= 10;
    }
    let mut h = FNV_OFFSET;
    loop {
        h = fnv_step(h, u16::from(b'0') + (n / div % 10) as u16);
        if div == 1 {
            return h;
        }
        div /= 10;
    }
}

/// The bucketing hash versions GrowthBook defines.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HashVersion {
    /// The original hash: `fnv(value + seed) % 1000 / 1000`. Biased across experiments
    /// that share ids; kept for compatibility.
    V1,
    /// The unbiased hash: `fnv(decimal(fnv(seed + value))) % 10000 / 10000`.
    #[default]
    V2,
}

impl HashVersion {
    /// `1` or `2`; `None` for any other number.
    pub fn from_number(version: u32) -> Option<HashVersion> {
        match version {
            1 => Some(HashVersion::V1),
            2 => Some(HashVersion::V2),
            _ => None,
        }
    }
}

/// A number in `[0, 1)` from `seed` and `value`.
pub fn hash_with(seed: &str, value: &str, version: HashVersion) -> f64 {
    match version {
        HashVersion::V1 => f64::from(fnv(&[value, seed]) % 1000) / 1000.0,
        HashVersion::V2 => f64::from(fnv_decimal(fnv(&[seed, value])) % 10_000) / 10_000.0,
    }
}

/// GrowthBook's `hash(seed, value, version)`: `None` for a version other than 1 or 2.
pub fn hash(seed: &str, value: &str, version: u32) -> Option<f64> {
    HashVersion::from_number(version).map(|v| hash_with(seed, value, v))
}

/// `n` equal weights summing to 1 (empty for 0).
pub fn get_equal_weights(n: usize) -> Vec<f64> {
    vec![1.0 / n as f64; n]
}

/// The `[start, end)` bucket range of each of `n` variants.
///
/// As GrowthBook: `coverage` is clamped to `[0, 1]`; weights of the wrong length or not
/// summing to 1 (±0.01) fall back to equal weights. In addition, a NaN coverage counts as 0
/// and weights that are negative or not finite fall back to equal weights.
pub fn get_bucket_ranges(n: usize, coverage: f64, weights: Option<&[f64]>) -> Vec<(f64, f64)> {
    let coverage = if coverage.is_nan() {
        0.0
    } else {
        coverage.clamp(0.0, 1.0)
    };
    let valid = |w: &&[f64]| {
        w.len() == n
            && w.iter().all(|x| x.is_finite() && *x >= 0.0)
            && (0.99..=1.01).contains(&w.iter().sum::<f64>())
    };
    let equal;
    let weights = match weights.filter(valid) {
        Some(w) => w,
        None => {
            equal = get_equal_weights(n);
            &equal
        }
    };
    let mut cumulative = 0.0;
    weights
        .iter()
        .map(|w| {
            let start = cumulative;
            cumulative += w;
            (start, start + coverage * w)
        })
        .collect()
}

/// The index of the first range with `start <= n < end`, or -1.
pub fn choose_variation(n: f64, ranges: &[(f64, f64)]) -> i32 {
    ranges
        .iter()
        .position(|&(start, end)| n >= start && n < end)
        .and_then(|i| i32::try_from(i).ok())
        .unwrap_or(-1)
}

/// Whether `user_id` falls in `[start, end)` of namespace `id`, so experiments sharing a
/// namespace with disjoint ranges never share a visitor.
pub fn in_namespace(user_id: &str, namespace: (&str, f64, f64)) -> bool {
    let (id, start, end) = namespace;
    let n = f64::from(fnv(&[user_id, "__", id]) % 1000) / 1000.0;
    n >= start && n < end
}

/// A slice `[start, end)` of a namespace.
#[derive(Clone, Debug, PartialEq)]
pub struct Namespace {
    pub id: String,
    pub start: f64,
    pub end: f64,
}

/// One experiment: how its visitors are split.
#[derive(Clone, Debug, PartialEq)]
pub struct Experiment {
    pub key: String,
    /// One weight per variant, summing to 1; variant 0 is the control. Fewer than two
    /// variants puts nobody in the experiment.
    pub weights: Vec<f64>,
    /// The share of visitors included, 0 to 1.
    pub coverage: f64,
    pub hash_version: HashVersion,
    /// The hashing seed; the key when `None` or empty.
    pub seed: Option<String>,
    pub namespace: Option<Namespace>,
    /// The share, 0 to 1, of included visitors who get a variant but are shown nothing:
    /// the holdout control group.
    pub holdout: f64,
}

/// The outcome of assigning one visitor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Assignment {
    /// The decided variant; `None` when the visitor is not in the experiment.
    pub variant: Option<usize>,
    /// Decided but not shown: the engine must show this visitor nothing.
    pub in_holdout: bool,
    /// The visitor's bucket hash in `[0, 1)`.
    pub bucket: f64,
    /// The variant came from an override, not from hashing (exclude from analysis).
    pub forced: bool,
}

impl Assignment {
    /// The variant to show: `None` when not in the experiment or in the holdout.
    pub fn shown(&self) -> Option<usize> {
        if self.in_holdout {
            None
        } else {
            self.variant
        }
    }
}

impl Experiment {
    /// `variants` equally weighted variants, full coverage, hash version 2, no namespace,
    /// no holdout.
    pub fn new(key: impl Into<String>, variants: usize) -> Experiment {
        Experiment {
            key: key.into(),
            weights: get_equal_weights(variants),
            coverage: 1.0,
            hash_version: HashVersion::V2,
            seed: None,
            namespace: None,
            holdout: 0.0,
        }
    }

    /// The seed actually hashed: `seed`, or the key when it is unset or empty.
    pub fn effective_seed(&self) -> &str {
        match self.seed.as_deref() {
            Some(s) if !s.is_empty() => s,
            _ => &self.key,
        }
    }

    pub fn ranges(&self) -> Vec<(f64, f64)> {
        get_bucket_ranges(self.weights.len(), self.coverage, Some(&self.weights))
    }

    /// The visitor's holdout hash in `[0, 1)` (see the module documentation).
    pub fn holdout_bucket(&self, visitor_id: &str) -> f64 {
        let seed = self.effective_seed();
        f64::from(fnv_decimal(fnv(&["__holdout:", seed, visitor_id])) % 10_000) / 10_000.0
    }

    /// Assigns `visitor_id`. `force_variant` (a preview or QA override) wins over hashing,
    /// coverage and namespace when it names an existing variant, and is never held out; an
    /// out-of-range override is ignored. An empty id is never in the experiment.
    pub fn assign(&self, visitor_id: &str, force_variant: Option<usize>) -> Assignment {
        let n = self.weights.len();
        let bucket = hash_with(self.effective_seed(), visitor_id, self.hash_version);
        let mut out = Assignment {
            variant: None,
            in_holdout: false,
            bucket,
            forced: false,
        };
        if n < 2 {
            return out;
        }
        if let Some(v) = force_variant.filter(|v| *v < n) {
            out.variant = Some(v);
            out.forced = true;
            return out;
        }
        if visitor_id.is_empty() {
            return out;
        }
        if let Some(ns) = &self.namespace {
            if !in_namespace(visitor_id, (&ns.id, ns.start, ns.end)) {
                return out;
            }
        }
        out.variant = self
            .ranges()
            .iter()
            .position(|&(start, end)| bucket >= start && bucket < end);
        out.in_holdout = out.variant.is_some()
            && self.holdout > 0.0
            && self.holdout_bucket(visitor_id) < self.holdout;
        out
    }
}

// ---- rule experiments: config and assignment ----

use super::reader::{err, index, ConfigError, Obj};
use super::value::Value;

/// A rule's experiment: the split, the variants' ids, and each variant's action override
/// (index-aligned; `None` keeps the rule's own action).
#[derive(Clone, Debug, PartialEq)]
pub struct RuleExperiment {
    pub split: Experiment,
    pub variants: Vec<String>,
    pub actions: Vec<Option<super::action::Action>>,
    /// A QA override from the config (`force`), by variant index.
    pub force: Option<usize>,
}

/// Reads a rule's `experiment`. `rule_id` is the default key.
pub fn compile_rule_experiment(
    v: &Value,
    path: &str,
    rule_id: &str,
    errors: &mut Vec<ConfigError>,
) -> Option<RuleExperiment> {
    let mut o = Obj::new(v, path, errors)?;
    let key = o.string("key", errors).unwrap_or(rule_id).to_string();
    let vp = o.at("variants");
    let mut variants = Vec::new();
    let mut weights = Vec::new();
    let mut actions = Vec::new();
    match o.get("variants") {
        Some(Value::Arr(list)) if list.len() >= 2 && list.len() <= 20 => {
            for (i, item) in list.iter().enumerate() {
                let ip = index(&vp, i);
                let Some(mut io) = Obj::new(item, &ip, errors) else {
                    continue;
                };
                match io.string("id", errors) {
                    Some(id) if !id.is_empty() && id.len() <= 64 => {
                        if variants.iter().any(|x: &String| x == id) {
                            err(
                                errors,
                                &io.at("id"),
                                format!("duplicate variant id \"{id}\""),
                            );
                        }
                        variants.push(id.to_string());
                    }
                    _ => {
                        err(
                            errors,
                            &io.at("id"),
                            "required: a variant id of 1–64 characters",
                        );
                        variants.push(String::new());
                    }
                }
                weights.push(io.number("weight", 0.0, 1.0, errors).unwrap_or(f64::NAN));
                let ap = io.at("action");
                actions.push(
                    io.get("action")
                        .map(|a| super::action::compile(Some(a), &ap, errors)),
                );
                io.finish(errors);
            }
        }
        Some(_) => err(
            errors,
            &vp,
            "expected a list of 2–20 variants ({id, weight?, action?})",
        ),
        None => err(
            errors,
            &vp,
            "required: the variants; the first is the control",
        ),
    }
    // Weights: all given and summing to 1, or none (equal split).
    let given = weights.iter().filter(|w| !w.is_nan()).count();
    let weights = if given == 0 {
        get_equal_weights(variants.len())
    } else {
        let sum: f64 = weights.iter().filter(|w| !w.is_nan()).sum();
        if given != weights.len() || (sum - 1.0).abs() > 0.001 {
            err(errors, &vp, "weights must be given for every variant and sum to 1 (or be left out for an equal split)");
        }
        weights
            .iter()
            .map(|w| if w.is_nan() { 0.0 } else { *w })
            .collect()
    };
    let coverage = o.number("coverage", 0.0, 1.0, errors).unwrap_or(1.0);
    let holdout = o.number("holdout", 0.0, 0.99, errors).unwrap_or(0.0);
    let hash_version = match o.whole("hashVersion", 1.0, 2.0, errors) {
        Some(1.0) => HashVersion::V1,
        _ => HashVersion::V2,
    };
    let seed = o.string("seed", errors).map(String::from);
    let np = o.at("namespace");
    let namespace = match o.get("namespace") {
        None => None,
        Some(Value::Arr(ns)) => match (
            ns.first().and_then(Value::as_str),
            ns.get(1).and_then(Value::as_f64),
            ns.get(2).and_then(Value::as_f64),
        ) {
            (Some(id), Some(start), Some(end))
                if ns.len() == 3 && (0.0..=1.0).contains(&start) && start <= end && end <= 1.0 =>
            {
                Some(Namespace {
                    id: id.into(),
                    start,
                    end,
                })
            }
            _ => {
                err(
                    errors,
                    &np,
                    "expected [namespace id, start, end] with 0 ≤ start ≤ end ≤ 1",
                );
                None
            }
        },
        Some(_) => {
            err(errors, &np, "expected [namespace id, start, end]");
            None
        }
    };
    let fp = o.at("force");
    let force = match o.string("force", errors) {
        None => None,
        Some(f) => match variants.iter().position(|v| v == f) {
            Some(i) => Some(i),
            None => {
                err(errors, &fp, format!("unknown variant \"{f}\""));
                None
            }
        },
    };
    o.finish(errors);
    Some(RuleExperiment {
        split: Experiment {
            key,
            weights,
            coverage,
            hash_version,
            seed,
            namespace,
            holdout,
        },
        variants,
        actions,
        force,
    })
}

/// Whether a rule with `rollout` (0–1) is on for this visitor: a stable hash of the
/// visitor id seeded with `rollout:<rule id>`.
pub fn in_rollout(rule_id: &str, visitor_id: &str, rollout: f64) -> bool {
    if rollout >= 1.0 {
        return true;
    }
    let mut seed = String::from("rollout:");
    seed.push_str(rule_id);
    hash_with(&seed, visitor_id, HashVersion::V2) < rollout
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_the_reference_values() {
        // FNV-1a 32 reference values.
        assert_eq!(fnv(&[""]), 0x811c_9dc5);
        assert_eq!(fnv(&["a"]), 0xe40c_292c);
        assert_eq!(fnv(&["foobar"]), 0xbf9c_f968);
        assert_eq!(fnv(&["foo", "bar"]), fnv(&["foobar"]));
        assert_eq!(fnv_decimal(0), fnv(&["0"]));
        assert_eq!(fnv_decimal(7), fnv(&["7"]));
        assert_eq!(fnv_decimal(10), fnv(&["10"]));
        assert_eq!(fnv_decimal(u32::MAX), fnv(&["4294967295"]));
        assert_eq!(fnv_decimal(1_000_000_000), fnv(&["1000000000"]));
    }

    #[test]
    fn hashes_utf16_code_units_like_javascript() {
        // "é" is one UTF-16 unit (0xE9); "😀" is two (a surrogate pair).
        let e = fnv_step(FNV_OFFSET, 0xe9);
        assert_eq!(fnv(&["é"]), e);
        let smile = fnv_step(fnv_step(FNV_OFFSET, 0xd83d), 0xde00);
        assert_eq!(fnv(&["😀"]), smile);
    }

    #[test]
    fn hash_versions() {
        assert_eq!(hash("", "a", 1), Some(0.22));
        assert_eq!(hash("seed", "a", 2), Some(0.0505));
        assert_eq!(hash("abc", "def", 99), None);
        assert_eq!(hash("abc", "def", 0), None);
    }

    #[test]
    fn bucket_ranges_fall_back_and_clamp() {
        assert_eq!(
            get_bucket_ranges(2, 0.5, None),
            vec![(0.0, 0.25), (0.5, 0.75)]
        );
        assert_eq!(
            get_bucket_ranges(2, f64::NAN, None),
            vec![(0.0, 0.0), (0.5, 0.5)]
        );
        let eq = vec![(0.0, 0.5), (0.5, 1.0)];
        assert_eq!(get_bucket_ranges(2, 1.0, Some(&[1.5, -0.5])), eq);
        assert_eq!(get_bucket_ranges(2, 1.0, Some(&[f64::NAN, 0.5])), eq);
        assert_eq!(get_bucket_ranges(2, 1.0, Some(&[0.7])), eq);
        assert!(get_bucket_ranges(0, 1.0, None).is_empty());
        assert_eq!(choose_variation(0.3, &[]), -1);
    }

    #[test]
    fn assignment_is_deterministic_and_respects_coverage() {
        let mut e = Experiment::new("exp", 2);
        e.coverage = 0.5;
        let mut included = 0;
        for i in 0..2000 {
            let id = format!("v{i}");
            let a = e.assign(&id, None);
            assert_eq!(a, e.assign(&id, None));
            assert!((0.0..1.0).contains(&a.bucket));
            assert!(!a.in_holdout && !a.forced);
            if let Some(v) = a.variant {
                included += 1;
                // Coverage 0.5 of [0,0.5) and [0.5,1) is [0,0.25) and [0.5,0.75).
                let want = if a.bucket < 0.25 { 0 } else { 1 };
                assert_eq!(v, want, "bucket {}", a.bucket);
            }
        }
        assert!((900..1100).contains(&included), "{included}");
    }

    #[test]
    fn seed_defaults_to_key() {
        let mut e = Experiment::new("k", 2);
        assert_eq!(e.effective_seed(), "k");
        e.seed = Some(String::new());
        assert_eq!(e.effective_seed(), "k");
        e.seed = Some("s".into());
        assert_eq!(e.assign("id", None).bucket, hash("s", "id", 2).unwrap());
        e.hash_version = HashVersion::V1;
        assert_eq!(e.assign("id", None).bucket, hash("s", "id", 1).unwrap());
    }

    #[test]
    fn force_wins_and_is_never_held_out() {
        let mut e = Experiment::new("exp", 3);
        e.coverage = 0.0;
        e.holdout = 1.0;
        let a = e.assign("someone", Some(2));
        assert_eq!((a.variant, a.forced, a.in_holdout), (Some(2), true, false));
        assert_eq!(a.shown(), Some(2));
        // Out of range: ignored, and coverage 0 leaves the visitor out.
        let a = e.assign("someone", Some(3));
        assert_eq!((a.variant, a.forced), (None, false));
        // Forcing also works for an empty id.
        assert_eq!(e.assign("", Some(1)).variant, Some(1));
    }

    #[test]
    fn fewer_than_two_variants_or_empty_id_is_out() {
        let e = Experiment::new("exp", 1);
        assert_eq!(e.assign("x", Some(0)).variant, None);
        let e = Experiment::new("exp", 2);
        assert_eq!(e.assign("", None).variant, None);
    }

    #[test]
    fn namespace_excludes_visitors_outside_the_slice() {
        let mut a = Experiment::new("a", 2);
        let mut b = Experiment::new("b", 2);
        a.namespace = Some(Namespace {
            id: "ns".into(),
            start: 0.0,
            end: 0.5,
        });
        b.namespace = Some(Namespace {
            id: "ns".into(),
            start: 0.5,
            end: 1.0,
        });
        let (mut in_a, mut in_b) = (0, 0);
        for i in 0..1000 {
            let id = format!("visitor-{i}");
            let (x, y) = (a.assign(&id, None), b.assign(&id, None));
            assert!(x.variant.is_none() || y.variant.is_none(), "{id} in both");
            assert_eq!(x.variant.is_some(), in_namespace(&id, ("ns", 0.0, 0.5)));
            in_a += usize::from(x.variant.is_some());
            in_b += usize::from(y.variant.is_some());
        }
        assert_eq!(in_a + in_b, 1000);
    }

    #[test]
    fn holdout_is_a_separate_deterministic_share() {
        let mut e = Experiment::new("promo", 2);
        e.holdout = 0.2;
        let mut held = 0;
        let mut held_by_variant = [0usize; 2];
        for i in 0..5000 {
            let id = format!("visitor-{i}");
            let a = e.assign(&id, None);
            let v = a.variant.unwrap();
            assert_eq!(a.in_holdout, e.holdout_bucket(&id) < 0.2);
            // The holdout hash is the documented version-2 hash with a prefixed seed.
            assert_eq!(
                e.holdout_bucket(&id),
                hash("__holdout:promo", &id, 2).unwrap()
            );
            if a.in_holdout {
                held += 1;
                held_by_variant[v] += 1;
                assert_eq!(a.shown(), None);
            } else {
                assert_eq!(a.shown(), Some(v));
            }
        }
        // 20% ± 2 points, and spread over both variants (independent of the bucket).
        assert!((900..1100).contains(&held), "{held}");
        assert!(
            held_by_variant.iter().all(|&h| h > 400),
            "{held_by_variant:?}"
        );
        // Not in the experiment: never in the holdout.
        e.coverage = 0.0;
        assert!(!e.assign("visitor-1", None).in_holdout);
    }
}
