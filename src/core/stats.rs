//! Per-variant metrics and significance tests for experiments, with no dependencies.
//!
//! For each variant: click-through rate (clicks / exposures), conversion rate
//! (conversions / exposures) and dismissal rate (dismissals / exposures), each with a
//! Wilson 95% interval; against the control (variant 0): absolute and relative lift and a
//! pooled two-proportion z-test; across all variants: a chi-square test of independence.
//!
//! The special functions are computed from the regularized upper incomplete gamma
//! function `Q(a, x)` (series below `a + 1`, Lentz continued fraction above), accurate to
//! about 1e-14: `erfc(x) = Q(1/2, x²)` and the chi-square survival function is
//! `Q(df/2, x/2)`.

/// `Φ⁻¹(0.975)`: the z of a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// What was counted for one variant. Counts above `exposures` are capped at it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub exposures: u64,
    pub clicks: u64,
    pub conversions: u64,
    pub dismissals: u64,
}

/// A proportion with its Wilson 95% interval. With no trials: 0 in `[0, 1]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    pub successes: u64,
    pub trials: u64,
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

/// A variant's rate against the control's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lift {
    /// `rate - control rate`.
    pub absolute: f64,
    /// `(rate - control rate) / control rate`; `None` when the control rate is 0.
    pub relative: Option<f64>,
    /// The pooled two-proportion z statistic (0 when every trial or none succeeded).
    pub z: f64,
    /// Its two-sided p-value.
    pub p_value: f64,
}

/// One metric of one variant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Metric {
    pub rate: Rate,
    /// `None` for the control, and when this variant or the control has no exposures.
    pub vs_control: Option<Lift>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VariantStats {
    pub exposures: u64,
    pub ctr: Metric,
    pub conversion: Metric,
    pub dismissal: Metric,
}

/// A chi-square test of independence over a variants × (success, failure) table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChiSquare {
    pub statistic: f64,
    /// Degrees of freedom: the number of variants with exposures, minus 1.
    pub df: u32,
    pub p_value: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Analysis {
    pub variants: Vec<VariantStats>,
    /// Across all variants with exposures; `None` with fewer than two such variants.
    pub ctr: Option<ChiSquare>,
    pub conversion: Option<ChiSquare>,
    pub dismissal: Option<ChiSquare>,
    /// The tests are unreliable: fewer than two variants, a variant with fewer than 30
    /// exposures, or, for clicks or conversions, a variant whose expected successes or
    /// failures under the pooled rate are fewer than 5. (Dismissals are not considered.)
    pub too_small: bool,
}

/// Analyses `variants`; index 0 is the control.
pub fn analyze(variants: &[Counts]) -> Analysis {
    let ctr: Vec<(u64, u64)> = variants.iter().map(|c| (c.clicks, c.exposures)).collect();
    let conv: Vec<(u64, u64)> = variants
        .iter()
        .map(|c| (c.conversions, c.exposures))
        .collect();
    let dis: Vec<(u64, u64)> = variants
        .iter()
        .map(|c| (c.dismissals, c.exposures))
        .collect();
    let metric = |rows: &[(u64, u64)], i: usize| -> Metric {
        let (s, n) = rows.get(i).copied().unwrap_or_default();
        let control = rows.first().copied().filter(|_| i > 0);
        Metric {
            rate: rate(s, n),
            vs_control: control.and_then(|(s0, n0)| lift(s0, n0, s, n)),
        }
    };
    let stats = variants
        .iter()
        .enumerate()
        .map(|(i, c)| VariantStats {
            exposures: c.exposures,
            ctr: metric(&ctr, i),
            conversion: metric(&conv, i),
            dismissal: metric(&dis, i),
        })
        .collect();
    let too_small = variants.len() < 2
        || variants.iter().any(|c| c.exposures < 30)
        || sparse(&ctr)
        || sparse(&conv);
    Analysis {
        variants: stats,
        ctr: chi_square_independence(&ctr),
        conversion: chi_square_independence(&conv),
        dismissal: chi_square_independence(&dis),
        too_small,
    }
}

/// Whether some row expects fewer than 5 successes or failures under the pooled rate.
fn sparse(rows: &[(u64, u64)]) -> bool {
    let (s, n) = totals(rows);
    if n == 0 {
        return true;
    }
    let p = s as f64 / n as f64;
    rows.iter().any(|&(_, ni)| {
        let e = ni as f64 * p;
        e < 5.0 || ni as f64 - e < 5.0
    })
}

/// Total successes (capped per row at its trials) and trials.
fn totals(rows: &[(u64, u64)]) -> (u64, u64) {
    rows.iter().fold((0u64, 0u64), |(s, n), &(si, ni)| {
        (s.saturating_add(si.min(ni)), n.saturating_add(ni))
    })
}

/// `successes / trials` with its Wilson 95% interval.
pub fn rate(successes: u64, trials: u64) -> Rate {
    let s = successes.min(trials);
    let (low, high) = wilson(s, trials, Z95);
    Rate {
        successes: s,
        trials,
        value: if trials == 0 {
            0.0
        } else {
            s as f64 / trials as f64
        },
        low,
        high,
    }
}

/// The Wilson score interval for `successes` of `trials` at `z` (no continuity
/// correction); `(0, 1)` with no trials.
pub fn wilson(successes: u64, trials: u64, z: f64) -> (f64, f64) {
    if trials == 0 {
        return (0.0, 1.0);
    }
    let n = trials as f64;
    let p = successes.min(trials) as f64 / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denom;
    let half = z / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((center - half).max(0.0), (center + half).min(1.0))
}

/// The pooled two-proportion z-test of `(s1, n1)` against the control `(s0, n0)`;
/// `None` when either has no trials.
pub fn lift(s0: u64, n0: u64, s1: u64, n1: u64) -> Option<Lift> {
    if n0 == 0 || n1 == 0 {
        return None;
    }
    let (s0, s1) = (s0.min(n0), s1.min(n1));
    let (f0, f1) = (n0 as f64, n1 as f64);
    let (p0, p1) = (s0 as f64 / f0, s1 as f64 / f1);
    let pooled = (s0 as f64 + s1 as f64) / (f0 + f1);
    let se = (pooled * (1.0 - pooled) * (1.0 / f0 + 1.0 / f1)).sqrt();
    let z = if se > 0.0 { (p1 - p0) / se } else { 0.0 };
    Some(Lift {
        absolute: p1 - p0,
        relative: (p0 > 0.0).then(|| (p1 - p0) / p0),
        z,
        p_value: two_sided_p(z),
    })
}

/// `P(|Z| >= |z|)` for a standard normal `Z`.
pub fn two_sided_p(z: f64) -> f64 {
    erfc(z.abs() / core::f64::consts::SQRT_2).min(1.0)
}

/// Pearson's chi-square test of independence over rows of `(successes, trials)`. Rows
/// without trials are left out; `None` when fewer than two remain. When no trial or every
/// trial succeeded the statistic is 0 and the p-value 1.
pub fn chi_square_independence(rows: &[(u64, u64)]) -> Option<ChiSquare> {
    let used = rows.iter().filter(|(_, n)| *n > 0).count();
    if used < 2 {
        return None;
    }
    let df = u32::try_from(used - 1).unwrap_or(u32::MAX);
    let (s, n) = totals(rows);
    let (s, n) = (s as f64, n as f64);
    let f = n - s;
    if s == 0.0 || f == 0.0 {
        return Some(ChiSquare {
            statistic: 0.0,
            df,
            p_value: 1.0,
        });
    }
    let statistic: f64 = rows
        .iter()
        .filter(|(_, ni)| *ni > 0)
        .map(|&(si, ni)| {
            let (si, ni) = (si.min(ni) as f64, ni as f64);
            let (es, ef) = (ni * s / n, ni * f / n);
            (si - es).powi(2) / es + ((ni - si) - ef).powi(2) / ef
        })
        .sum();
    Some(ChiSquare {
        statistic,
        df,
        p_value: chi_square_sf(statistic, f64::from(df)),
    })
}

/// `P(X >= x)` for `X` chi-square distributed with `df` degrees of freedom.
pub fn chi_square_sf(x: f64, df: f64) -> f64 {
    gamma_q(df / 2.0, x / 2.0)
}

/// The standard normal CDF.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / core::f64::consts::SQRT_2)
}

/// The complementary error function, `erfc(x) = Q(1/2, x²)` for `x >= 0`.
pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    let q = gamma_q(0.5, x * x);
    if x >= 0.0 {
        q
    } else {
        2.0 - q
    }
}

const EPS: f64 = 1e-16;
const TINY: f64 = 1e-300;
const MAX_ITER: u32 = 1000;

/// The regularized upper incomplete gamma function `Q(a, x) = Γ(a, x) / Γ(a)`, for
/// `a > 0` and `x >= 0` (NaN otherwise).
pub fn gamma_q(a: f64, x: f64) -> f64 {
    if a.is_nan() || x.is_nan() || a <= 0.0 || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return 1.0;
    }
    if x.is_infinite() {
        return 0.0;
    }
    let front = (-x + a * x.ln() - ln_gamma(a)).exp();
    if x < a + 1.0 {
        // Series for P(a, x); Q = 1 - P.
        let (mut ap, mut del) = (a, 1.0 / a);
        let mut sum = del;
        for _ in 0..MAX_ITER {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if del.abs() < sum.abs() * EPS {
                break;
            }
        }
        (1.0 - sum * front).clamp(0.0, 1.0)
    } else {
        // Continued fraction for Q(a, x), modified Lentz.
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..MAX_ITER {
            let fi = f64::from(i);
            let an = -fi * (fi - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < TINY {
                d = TINY;
            }
            c = b + an / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < EPS {
                break;
            }
        }
        (front * h).clamp(0.0, 1.0)
    }
}

/// Lanczos coefficients (g = 7, n = 9).
const LANCZOS: [f64; 9] = [
    0.999_999_999_999_809_9,
    676.520_368_121_885_1,
    -1_259.139_216_722_402_8,
    771.323_428_777_653_1,
    -176.615_029_162_140_6,
    12.507_343_278_686_905,
    -0.138_571_095_265_720_12,
    9.984_369_578_019_572e-6,
    1.505_632_735_149_311_6e-7,
];

/// `ln Γ(x)` for `x > 0` (Lanczos approximation, about 1e-15 relative).
pub fn ln_gamma(x: f64) -> f64 {
    use core::f64::consts::PI;
    if x < 0.5 {
        // Γ(x) = Γ(x + 1) / x (not the reflection formula: `sin` alone is 3 KB of wasm).
        return if x > 0.0 {
            ln_gamma(x + 1.0) - x.ln()
        } else {
            f64::NAN
        };
    }
    let x = x - 1.0;
    let mut coeffs = LANCZOS.iter();
    let mut sum = coeffs.next().copied().unwrap_or(1.0);
    for (i, c) in coeffs.enumerate() {
        sum += c / (x + i as f64 + 1.0);
    }
    let t = x + 7.5;
    0.5 * (2.0 * PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

// ---- as a value, for the JS API ----

use super::value::{obj, Value};

fn rate_value(r: &Rate) -> Value {
    obj([
        ("successes", Value::Num(r.successes as f64)),
        ("trials", Value::Num(r.trials as f64)),
        ("rate", Value::Num(r.value)),
        ("low", Value::Num(r.low)),
        ("high", Value::Num(r.high)),
    ])
}

fn metric_value(m: &Metric) -> Value {
    let mut v = match rate_value(&m.rate) {
        Value::Obj(o) => o,
        _ => Default::default(),
    };
    if let Some(l) = &m.vs_control {
        v.insert(
            "vsControl",
            obj([
                ("absolute", Value::Num(l.absolute)),
                ("relative", l.relative.map(Value::Num).unwrap_or_default()),
                ("z", Value::Num(l.z)),
                ("pValue", Value::Num(l.p_value)),
            ]),
        );
    }
    Value::Obj(v)
}

fn chi_value(c: &Option<ChiSquare>) -> Value {
    match c {
        None => Value::Null,
        Some(c) => obj([
            ("statistic", Value::Num(c.statistic)),
            ("df", Value::Num(f64::from(c.df))),
            ("pValue", Value::Num(c.p_value)),
        ]),
    }
}

impl Analysis {
    pub fn to_value(&self) -> Value {
        obj([
            (
                "variants",
                Value::Arr(
                    self.variants
                        .iter()
                        .map(|v| {
                            obj([
                                ("exposures", Value::Num(v.exposures as f64)),
                                ("ctr", metric_value(&v.ctr)),
                                ("conversion", metric_value(&v.conversion)),
                                ("dismissal", metric_value(&v.dismissal)),
                            ])
                        })
                        .collect(),
                ),
            ),
            ("ctrTest", chi_value(&self.ctr)),
            ("conversionTest", chi_value(&self.conversion)),
            ("dismissalTest", chi_value(&self.dismissal)),
            ("tooSmall", Value::Bool(self.too_small)),
        ])
    }
}

/// Reads `[{exposures, clicks, conversions, dismissals}, …]` (control first).
pub fn counts_from_value(v: &Value) -> Option<Vec<Counts>> {
    let n = |x: &Value, k: &str| -> Option<u64> {
        match x.get(k) {
            None | Some(Value::Null) => Some(0),
            Some(Value::Num(f)) if f.is_finite() && *f >= 0.0 && f.fract() == 0.0 => {
                Some(*f as u64)
            }
            _ => None,
        }
    };
    v.as_array()?
        .iter()
        .map(|x| {
            Some(Counts {
                exposures: n(x, "exposures")?,
                clicks: n(x, "clicks")?,
                conversions: n(x, "conversions")?,
                dismissals: n(x, "dismissals")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn special_functions_match_tabulated_values() {
        // Abramowitz & Stegun tables / closed forms.
        assert!(close(ln_gamma(1.0), 0.0, 1e-14));
        assert!(close(
            ln_gamma(0.5),
            core::f64::consts::PI.sqrt().ln(),
            1e-14
        ));
        assert!(close(ln_gamma(10.0), 362_880f64.ln(), 1e-12));
        // Below 1/2: Γ(1/4) = 3.625609908221908…
        assert!(close(ln_gamma(0.25), 3.625_609_908_221_908f64.ln(), 1e-13));
        assert!(ln_gamma(0.0).is_nan() && ln_gamma(-1.5).is_nan());
        assert!(close(erfc(0.0), 1.0, 1e-15));
        assert!(close(erfc(1.0), 0.157_299_207_050_285_13, 1e-14));
        assert!(close(erfc(-1.0), 1.842_700_792_949_715, 1e-14));
        assert!(close(erfc(3.0), 2.209_049_699_858_544e-5, 1e-18));
        assert!(close(normal_cdf(1.959_963_984_540_054), 0.975, 1e-14));
        assert!(close(normal_cdf(-1.0), 0.158_655_253_931_457_05, 1e-14));
        // Chi-square critical values: 3.841 (df 1), 5.991 (df 2), 11.070 (df 5) at 5%.
        assert!(close(
            chi_square_sf(3.841_458_820_694_124, 1.0),
            0.05,
            1e-12
        ));
        assert!(close(
            chi_square_sf(5.991_464_547_107_979, 2.0),
            0.05,
            1e-12
        ));
        assert!(close(
            chi_square_sf(11.070_497_693_516_35, 5.0),
            0.05,
            1e-12
        ));
        // Far tail, relative accuracy (scipy: chi2.sf(143.64555172819965, 1)).
        let tail = chi_square_sf(143.645_551_728_199_65, 1.0);
        assert!(close(tail / 4.247_039_089_971_439e-33, 1.0, 1e-9), "{tail}");
        // df 2 is exponential: Q(1, x/2) = exp(-x/2).
        assert!(close(chi_square_sf(40.0, 2.0), (-20.0f64).exp(), 1e-20));
        assert!(close(gamma_q(3.0, 0.0), 1.0, 0.0));
        assert!(gamma_q(0.0, 1.0).is_nan() && gamma_q(1.0, -1.0).is_nan());
        assert!(erfc(f64::NAN).is_nan());
        assert_eq!(gamma_q(2.0, f64::INFINITY), 0.0);
    }

    #[test]
    fn wilson_textbook_example() {
        // 81 of 263: Wilson 95% interval (0.2553, 0.3662) (Newcombe 1998, example).
        let r = rate(81, 263);
        assert!(
            close(r.low, 0.2553, 5e-5) && close(r.high, 0.3662, 5e-5),
            "{r:?}"
        );
        // 0 of 10: low exactly 0, high = z²/(n+z²).
        let r = rate(0, 10);
        assert_eq!(r.low, 0.0);
        assert!(close(r.high, Z95 * Z95 / (10.0 + Z95 * Z95), 1e-12));
        assert_eq!(rate(3, 0), rate(0, 0));
        assert_eq!((rate(0, 0).low, rate(0, 0).high), (0.0, 1.0));
        // Counts above the trials are capped.
        assert_eq!(rate(12, 10).value, 1.0);
    }

    #[test]
    fn z_test_agrees_with_chi_square_for_two_variants() {
        let l = lift(100, 1000, 130, 1000).unwrap();
        let c = chi_square_independence(&[(100, 1000), (130, 1000)]).unwrap();
        assert!(close(l.z * l.z, c.statistic, 1e-9));
        assert!(close(l.p_value, c.p_value, 1e-12));
        assert_eq!(c.df, 1);
        assert!(close(l.absolute, 0.03, 1e-15));
        assert!(close(l.relative.unwrap(), 0.3, 1e-12));
        // Hand check: pooled 0.115, se = sqrt(.115*.885*2/1000) = 0.014267, z = 2.1027.
        assert!(close(l.z, 2.102_7, 1e-4), "{}", l.z);
        assert!(lift(0, 10, 0, 10).is_some_and(|l| l.p_value == 1.0 && l.relative.is_none()));
        assert!(lift(1, 0, 1, 10).is_none());
    }

    #[test]
    fn analysis_shape_and_warnings() {
        let c = |e, k, v| Counts {
            exposures: e,
            clicks: k,
            conversions: v,
            dismissals: 0,
        };
        let a = analyze(&[c(1000, 100, 40), c(1000, 130, 55), c(1000, 90, 38)]);
        assert_eq!(a.variants.len(), 3);
        assert!(!a.too_small);
        assert!(a.variants[0].ctr.vs_control.is_none());
        assert!(a.variants[1].ctr.vs_control.is_some());
        assert_eq!(a.ctr.map(|t| t.df), Some(2));
        // No dismissals at all: chi-square p = 1, and it does not make the analysis small.
        assert_eq!(a.dismissal.map(|t| t.p_value), Some(1.0));
        assert!(analyze(&[c(29, 10, 10), c(1000, 300, 300)]).too_small);
        // Expected conversions under 5 in the small arm.
        assert!(analyze(&[c(40, 20, 1), c(1000, 300, 30)]).too_small);
        assert!(analyze(&[c(1000, 300, 300)]).too_small);
        let empty = analyze(&[]);
        assert!(empty.too_small && empty.ctr.is_none() && empty.variants.is_empty());
        let one_exposed = analyze(&[c(0, 0, 0), c(100, 10, 10)]);
        assert!(one_exposed.ctr.is_none() && one_exposed.variants[1].ctr.vs_control.is_none());
    }
}
