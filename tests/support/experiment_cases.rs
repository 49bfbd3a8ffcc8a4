//! Replays GrowthBook's hashing and bucketing vectors (`hash`, `getBucketRange`,
//! `chooseVariation`, `inNamespace`, `getEqualWeights`) against
//! `cuekit::core::experiment`, and the scipy-generated statistics fixture
//! (tests/fixtures/stats/cases.json) against `cuekit::core::stats`. Shared by the native
//! and the browser test: it depends only on `cuekit::core`.
#![allow(dead_code)]

use cuekit::core::experiment::{
    choose_variation, get_bucket_ranges, get_equal_weights, hash, in_namespace, Experiment,
};
use cuekit::core::stats::{analyze, ChiSquare, Counts, Metric};
use cuekit::core::value::Value;

/// Floats in the GrowthBook vectors are rounded to at most 8 decimals (1/3 is
/// 0.33333333); every other expectation there is exact. This is stricter than the 1e-3
/// the vector file allows.
pub const GB_TOLERANCE: f64 = 1e-6;

/// What one replay found, per section.
#[derive(Default)]
pub struct Report {
    /// `(section, cases replayed, cases passed)`.
    pub sections: Vec<(String, usize, usize)>,
    pub failures: Vec<String>,
}

impl Report {
    pub fn total(&self) -> usize {
        self.sections.iter().map(|s| s.1).sum()
    }
    pub fn passed(&self) -> usize {
        self.sections.iter().map(|s| s.2).sum()
    }
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self
            .sections
            .iter()
            .map(|(s, t, p)| format!("{s} {p}/{t}"))
            .collect();
        parts.join(", ")
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= GB_TOLERANCE
}

fn num(v: Option<&Value>) -> Option<f64> {
    v.and_then(Value::as_f64)
}

fn ranges(v: Option<&Value>) -> Option<Vec<(f64, f64)>> {
    v?.as_array()?
        .iter()
        .map(|r| Some((num(r.get("0"))?, num(r.get("1"))?)))
        .collect()
}

fn numbers(v: Option<&Value>) -> Option<Vec<f64>> {
    v?.as_array()?.iter().map(Value::as_f64).collect()
}

/// Checks one case: `Ok(true)` passed, `Ok(false)` failed, `Err` malformed.
fn check(section: &str, case: &Value) -> Result<(bool, String), String> {
    let bad = || String::from("malformed case");
    let g = |i: &str| case.get(i);
    Ok(match section {
        "hash" => {
            let seed = g("0").and_then(Value::as_str).ok_or_else(bad)?;
            let value = g("1").and_then(Value::as_str).ok_or_else(bad)?;
            let version = num(g("2")).ok_or_else(bad)?;
            let want = num(g("3"));
            let got = hash(seed, value, version as u32);
            let ok = match (got, want) {
                (Some(a), Some(b)) => close(a, b),
                (None, None) => g("3").is_some_and(Value::is_null),
                _ => false,
            };
            (
                ok,
                format!("hash({seed:?}, {value:?}, {version}) = {got:?}, want {want:?}"),
            )
        }
        "getBucketRange" => {
            let args = g("1").ok_or_else(bad)?;
            let n = num(args.get("0")).ok_or_else(bad)?;
            let coverage = num(args.get("1")).ok_or_else(bad)?;
            let weights = numbers(args.get("2"));
            let want = ranges(g("2")).ok_or_else(bad)?;
            let got = get_bucket_ranges(n.max(0.0) as usize, coverage, weights.as_deref());
            let ok = got.len() == want.len()
                && got
                    .iter()
                    .zip(&want)
                    .all(|(a, b)| close(a.0, b.0) && close(a.1, b.1));
            (ok, format!("got {got:?}, want {want:?}"))
        }
        "chooseVariation" => {
            let n = num(g("1")).ok_or_else(bad)?;
            let r = ranges(g("2")).ok_or_else(bad)?;
            let want = num(g("3")).ok_or_else(bad)?;
            let got = choose_variation(n, &r);
            (f64::from(got) == want, format!("got {got}, want {want}"))
        }
        "inNamespace" => {
            let id = g("1").and_then(Value::as_str).ok_or_else(bad)?;
            let ns = g("2").ok_or_else(bad)?;
            let name = ns.get("0").and_then(Value::as_str).ok_or_else(bad)?;
            let start = num(ns.get("1")).ok_or_else(bad)?;
            let end = num(ns.get("2")).ok_or_else(bad)?;
            let want = g("3").and_then(Value::as_bool).ok_or_else(bad)?;
            let got = in_namespace(id, (name, start, end));
            (got == want, format!("got {got}, want {want}"))
        }
        "getEqualWeights" => {
            // GrowthBook takes any number and returns [] for n <= 0; ours takes a usize.
            let n = num(g("0")).ok_or_else(bad)?;
            let want = numbers(g("1")).ok_or_else(bad)?;
            let got = get_equal_weights(n.max(0.0) as usize);
            let ok = got.len() == want.len() && got.iter().zip(&want).all(|(a, b)| close(*a, *b));
            (ok, format!("n={n}: got {got:?}, want {want:?}"))
        }
        _ => return Err(String::from("unknown section")),
    })
}

pub const GB_SECTIONS: [&str; 5] = [
    "hash",
    "getBucketRange",
    "chooseVariation",
    "inNamespace",
    "getEqualWeights",
];

/// Replays the five experiment sections of the parsed growthbook-cases.json.
pub fn replay_growthbook(cases: &Value) -> Report {
    let mut r = Report::default();
    for section in GB_SECTIONS {
        let list = cases.get(section).and_then(Value::as_array).unwrap_or(&[]);
        let mut passed = 0;
        for (i, case) in list.iter().enumerate() {
            let name = case.get("0").map(Value::to_text).unwrap_or_default();
            match check(section, case) {
                Ok((true, _)) => passed += 1,
                Ok((false, why)) => r.failures.push(format!("{section} #{i} {name}: {why}")),
                Err(e) => r.failures.push(format!("{section} #{i} {name}: {e}")),
            }
        }
        r.sections.push((section.into(), list.len(), passed));
    }
    r
}

/// How many of `visitors` ids `visitor-0`… land in each variant of an experiment with
/// `weights`, and how many land in none.
pub fn split(weights: &[f64], visitors: usize) -> (Vec<usize>, usize) {
    let mut e = Experiment::new("split-test", weights.len());
    e.weights = weights.to_vec();
    let mut counts = vec![0; weights.len()];
    let mut outside = 0;
    for i in 0..visitors {
        match e.assign(&format!("visitor-{i}"), None).variant {
            Some(v) => {
                if let Some(c) = counts.get_mut(v) {
                    *c += 1;
                }
            }
            None => outside += 1,
        }
    }
    (counts, outside)
}

/// Stats expectations are met within 1e-6 relative, plus 1e-15 absolute (for values
/// that are 0 up to rounding).
pub const STATS_TOLERANCE: f64 = 1e-6;

fn near(got: f64, want: Option<&Value>) -> bool {
    want.and_then(Value::as_f64)
        .is_some_and(|w| (got - w).abs() <= STATS_TOLERANCE * w.abs() + 1e-15)
}

fn check_metric(m: &Metric, want: Option<&Value>, at: &str, failures: &mut Vec<String>) {
    let Some(w) = want else {
        failures.push(format!("{at}: missing expectation"));
        return;
    };
    let mut fail = |what: &str, got: String| failures.push(format!("{at}.{what}: got {got}"));
    for (key, got) in [
        ("rate", m.rate.value),
        ("low", m.rate.low),
        ("high", m.rate.high),
    ] {
        if !near(got, w.get(key)) {
            fail(key, format!("{got}, want {:?}", w.get(key)));
        }
    }
    match (m.vs_control, w.get("vsControl")) {
        (None, Some(Value::Null)) => {}
        (Some(l), Some(v @ Value::Obj(_))) => {
            for (key, got) in [("absolute", l.absolute), ("z", l.z), ("p", l.p_value)] {
                if !near(got, v.get(key)) {
                    fail(key, format!("{got}, want {:?}", v.get(key)));
                }
            }
            let rel_ok = match (l.relative, v.get("relative")) {
                (None, Some(Value::Null)) => true,
                (Some(r), want) => near(r, want),
                _ => false,
            };
            if !rel_ok {
                fail(
                    "relative",
                    format!("{:?}, want {:?}", l.relative, v.get("relative")),
                );
            }
        }
        (got, want) => fail("vsControl", format!("{got:?}, want {want:?}")),
    }
}

fn check_chi(c: Option<ChiSquare>, want: Option<&Value>, at: &str, failures: &mut Vec<String>) {
    let ok = match (c, want) {
        (None, Some(Value::Null)) => true,
        (Some(c), Some(w @ Value::Obj(_))) => {
            near(c.statistic, w.get("statistic"))
                && near(f64::from(c.df), w.get("df"))
                && near(c.p_value, w.get("p"))
        }
        _ => false,
    };
    if !ok {
        failures.push(format!("{at}: got {c:?}, want {want:?}"));
    }
}

/// Replays every case of the parsed tests/fixtures/stats/cases.json.
pub fn replay_stats(fixture: &Value) -> Report {
    let mut r = Report::default();
    let list = fixture
        .get("cases")
        .and_then(Value::as_array)
        .unwrap_or(&[]);
    let mut passed = 0;
    for case in list {
        let name = case.get("name").and_then(Value::as_str).unwrap_or("?");
        let before = r.failures.len();
        let counts: Option<Vec<Counts>> = case
            .get("counts")
            .and_then(Value::as_array)
            .unwrap_or(&[])
            .iter()
            .map(|c| {
                let n = |i: &str| num(c.get(i)).map(|x| x as u64);
                Some(Counts {
                    exposures: n("0")?,
                    clicks: n("1")?,
                    conversions: n("2")?,
                    dismissals: n("3")?,
                })
            })
            .collect();
        let Some(counts) = counts else {
            r.failures.push(format!("{name}: malformed counts"));
            continue;
        };
        let a = analyze(&counts);
        let want_variants = case
            .get("variants")
            .and_then(Value::as_array)
            .unwrap_or(&[]);
        if a.variants.len() != want_variants.len() {
            r.failures.push(format!("{name}: variant count"));
        }
        for (i, (v, w)) in a.variants.iter().zip(want_variants).enumerate() {
            for (key, m) in [
                ("ctr", &v.ctr),
                ("conversion", &v.conversion),
                ("dismissal", &v.dismissal),
            ] {
                check_metric(
                    m,
                    w.get(key),
                    &format!("{name} [{i}].{key}"),
                    &mut r.failures,
                );
            }
        }
        for (key, c) in [
            ("ctr", a.ctr),
            ("conversion", a.conversion),
            ("dismissal", a.dismissal),
        ] {
            check_chi(
                c,
                case.get(key),
                &format!("{name} chi-square {key}"),
                &mut r.failures,
            );
        }
        let want_small = case.get("tooSmall").and_then(Value::as_bool);
        if want_small != Some(a.too_small) {
            r.failures.push(format!(
                "{name}: too_small {}, want {want_small:?}",
                a.too_small
            ));
        }
        if r.failures.len() == before {
            passed += 1;
        }
    }
    r.sections.push(("stats".into(), list.len(), passed));
    r
}
