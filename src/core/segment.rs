//! Centroid (K-means) segments: a visitor belongs to the segment whose centroid is
//! nearest to their scaled feature vector. (Rule-based segments are named conditions and
//! live with the engine.)
//!
//! Config shape (the field names follow what scikit-learn's `StandardScaler`,
//! `MinMaxScaler` and `KMeans` export, so a trained model can be pasted in):
//!
//! ```json
//! {
//!   "features": ["visits", "cartValue"],
//!   "scaling": {"type": "zscore", "mean": [3, 40], "std": [1.5, 20]},
//!   "centroids": [
//!     {"name": "browser", "center": [-0.5, -0.8]},
//!     {"name": "buyer", "center": [1.2, 1.4]}
//!   ],
//!   "maxDistance": 3
//! }
//! ```
//!
//! `scaling` is optional (features are used raw) or `{"type": "minmax", "min": [...],
//! "max": [...]}`. Centroids are in the scaled space. `maxDistance` (optional) leaves
//! visitors farther than that from every centroid unassigned.

use super::reader::{did_you_mean, err, index, Errors, Obj};
use super::value::{num_to_string, Value};

/// How raw features are scaled before measuring distances; one pair per feature.
#[derive(Clone, Debug, PartialEq)]
pub enum Scaling {
    None,
    /// `(x - mean) / std`, pairs of `(mean, std)`.
    ZScore(Vec<(f64, f64)>),
    /// `(x - min) / (max - min)`, pairs of `(min, max)`.
    MinMax(Vec<(f64, f64)>),
}

impl Scaling {
    /// Scales feature `i`'s value.
    pub fn apply(&self, i: usize, x: f64) -> f64 {
        match self {
            Scaling::None => x,
            Scaling::ZScore(p) => p.get(i).map_or(x, |(mean, std)| (x - mean) / std),
            Scaling::MinMax(p) => p.get(i).map_or(x, |(min, max)| (x - min) / (max - min)),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct CentroidModel {
    pub features: Vec<String>,
    pub scaling: Scaling,
    /// `(segment name, center)`, each center with one coordinate per feature.
    pub centroids: Vec<(String, Vec<f64>)>,
    pub max_distance: Option<f64>,
}

impl CentroidModel {
    /// The scaled feature vector; `None` when a feature is missing or not finite.
    pub fn point(&self, features: &dyn Fn(&str) -> Option<f64>) -> Option<Vec<f64>> {
        self.features
            .iter()
            .enumerate()
            .map(|(i, name)| {
                features(name)
                    .filter(|x| x.is_finite())
                    .map(|x| self.scaling.apply(i, x))
            })
            .collect()
    }

    /// The index of the nearest centroid and its Euclidean distance, whatever
    /// `max_distance` says (the first centroid wins a tie). `None` when a feature is
    /// missing or there are no centroids.
    pub fn nearest(&self, features: &dyn Fn(&str) -> Option<f64>) -> Option<(usize, f64)> {
        let point = self.point(features)?;
        let mut best: Option<(usize, f64)> = None;
        for (i, (_, center)) in self.centroids.iter().enumerate() {
            let d2: f64 = center
                .iter()
                .zip(&point)
                .map(|(c, x)| (c - x) * (c - x))
                .sum();
            if best.is_none_or(|(_, b)| d2 < b) {
                best = Some((i, d2));
            }
        }
        best.map(|(i, d2)| (i, d2.sqrt()))
    }

    /// The nearest segment's name; `None` when a feature is missing or the nearest
    /// centroid is farther than `max_distance`.
    pub fn assign(&self, features: &dyn Fn(&str) -> Option<f64>) -> Option<&str> {
        let (i, d) = self.nearest(features)?;
        if self.max_distance.is_some_and(|m| d > m) {
            return None;
        }
        self.centroids.get(i).map(|(name, _)| name.as_str())
    }
}

/// Reads an array of finite numbers, checking its length against `dim` when known.
fn numbers(v: &Value, path: &str, dim: Option<usize>, errors: &mut Errors) -> Option<Vec<f64>> {
    let Some(items) = v.as_array() else {
        err(
            errors,
            path,
            format!("expected an array of numbers, got {}", v.type_name()),
        );
        return None;
    };
    let start = errors.len();
    if let Some(d) = dim.filter(|d| *d != items.len()) {
        err(
            errors,
            path,
            format!(
                "expected {} numbers (one per feature), got {}",
                num_to_string(d as f64),
                num_to_string(items.len() as f64)
            ),
        );
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::Num(n) if n.is_finite() => out.push(*n),
            _ => err(errors, &index(path, i), "expected a finite number"),
        }
    }
    (errors.len() == start).then_some(out)
}

fn features(v: &Value, path: &str, errors: &mut Errors) -> Option<Vec<String>> {
    let Some(items) = v.as_array() else {
        err(
            errors,
            path,
            format!("expected an array of feature names, got {}", v.type_name()),
        );
        return None;
    };
    if items.is_empty() {
        err(errors, path, "expected at least one feature");
        return None;
    }
    let start = errors.len();
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = index(path, i);
        match item.as_str() {
            Some("") => err(errors, &at, "expected a non-empty feature name"),
            Some(s) if out.iter().any(|f| f == s) => {
                err(errors, &at, format!("duplicate feature \"{s}\""));
            }
            Some(s) => out.push(s.into()),
            None => err(
                errors,
                &at,
                format!("expected a string, got {}", item.type_name()),
            ),
        }
    }
    (errors.len() == start).then_some(out)
}

fn required_numbers(
    o: &mut Obj,
    key: &'static str,
    dim: Option<usize>,
    errors: &mut Errors,
) -> Option<Vec<f64>> {
    match o.get(key) {
        Some(v) => numbers(v, &o.at(key), dim, errors),
        None => {
            err(errors, &o.at(key), "required");
            None
        }
    }
}

fn scaling(v: &Value, path: &str, dim: Option<usize>, errors: &mut Errors) -> Option<Scaling> {
    let mut o = Obj::new(v, path, errors)?;
    let start = errors.len();
    let kind = o.string("type", errors);
    let (lo_key, hi_key) = match kind {
        Some("zscore") => ("mean", "std"),
        Some("minmax") => ("min", "max"),
        Some(other) => {
            let msg = match did_you_mean(other, &["zscore", "minmax"]) {
                Some(hint) => format!("unknown scaling \"{other}\" (did you mean \"{hint}\"?)"),
                None => format!("unknown scaling \"{other}\"; expected \"zscore\" or \"minmax\""),
            };
            err(errors, &o.at("type"), msg);
            return None;
        }
        None => {
            if !o.has("type") {
                err(errors, &o.at("type"), "required: \"zscore\" or \"minmax\"");
            }
            return None;
        }
    };
    let lo = required_numbers(&mut o, lo_key, dim, errors);
    let hi = required_numbers(&mut o, hi_key, dim, errors);
    if let (Some(lo), Some(hi)) = (&lo, &hi) {
        for (i, (l, h)) in lo.iter().zip(hi).enumerate() {
            let at = index(&o.at(hi_key), i);
            if lo_key == "mean" && *h <= 0.0 {
                err(errors, &at, "expected a standard deviation greater than 0");
            } else if lo_key == "min" && h <= l {
                err(
                    errors,
                    &at,
                    format!(
                        "expected a maximum greater than the minimum ({})",
                        num_to_string(*l)
                    ),
                );
            }
        }
    }
    o.finish(errors);
    if errors.len() > start {
        return None;
    }
    let pairs = lo?.into_iter().zip(hi?).collect();
    Some(if lo_key == "mean" {
        Scaling::ZScore(pairs)
    } else {
        Scaling::MinMax(pairs)
    })
}

fn centroids(
    v: &Value,
    path: &str,
    dim: Option<usize>,
    errors: &mut Errors,
) -> Option<Vec<(String, Vec<f64>)>> {
    let Some(items) = v.as_array() else {
        err(
            errors,
            path,
            format!("expected an array of centroids, got {}", v.type_name()),
        );
        return None;
    };
    if items.is_empty() {
        err(errors, path, "expected at least one centroid");
        return None;
    }
    let start = errors.len();
    let mut out: Vec<(String, Vec<f64>)> = Vec::with_capacity(items.len());
    let mut names: Vec<&str> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = index(path, i);
        let Some(mut o) = Obj::new(item, &at, errors) else {
            continue;
        };
        let name = o.string("name", errors);
        match name {
            Some("") => err(errors, &o.at("name"), "expected a non-empty segment name"),
            Some(n) => match names.iter().position(|m| *m == n) {
                Some(j) => err(
                    errors,
                    &o.at("name"),
                    format!("duplicate segment name \"{n}\" (also {})", index(path, j)),
                ),
                None => names.push(n),
            },
            None if !o.has("name") => err(errors, &o.at("name"), "required"),
            None => {}
        }
        let center = required_numbers(&mut o, "center", dim, errors);
        o.finish(errors);
        if let (Some(n), Some(c)) = (name, center) {
            out.push((n.into(), c));
        }
    }
    (errors.len() == start).then_some(out)
}

/// Compiles a centroid model, reporting every problem under `path`.
pub fn compile_centroids(v: &Value, path: &str, errors: &mut Errors) -> Option<CentroidModel> {
    let start = errors.len();
    let mut o = Obj::new(v, path, errors)?;
    let feats = match o.get("features") {
        Some(f) => features(f, &o.at("features"), errors),
        None => {
            err(errors, &o.at("features"), "required");
            None
        }
    };
    let dim = feats.as_ref().map(Vec::len);
    let scale = match o.get("scaling") {
        Some(s) => scaling(s, &o.at("scaling"), dim, errors),
        None => Some(Scaling::None),
    };
    let cents = match o.get("centroids") {
        Some(c) => centroids(c, &o.at("centroids"), dim, errors),
        None => {
            err(errors, &o.at("centroids"), "required");
            None
        }
    };
    let max_distance = match o.get("maxDistance") {
        Some(Value::Num(d)) if d.is_finite() && *d >= 0.0 => Some(*d),
        Some(_) => {
            err(
                errors,
                &o.at("maxDistance"),
                "expected a number that is not negative",
            );
            None
        }
        None => None,
    };
    o.finish(errors);
    if errors.len() > start {
        return None;
    }
    Some(CentroidModel {
        features: feats?,
        scaling: scale?,
        centroids: cents?,
        max_distance,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Value {
        serde_json::from_str(s).unwrap()
    }

    fn compile(s: &str) -> (Option<CentroidModel>, Vec<String>) {
        let mut errors = Vec::new();
        let m = compile_centroids(&parse(s), "segments.kmeans", &mut errors);
        (m, errors.iter().map(ToString::to_string).collect())
    }

    fn lookup<'a>(pairs: &'a [(&'a str, f64)]) -> impl Fn(&str) -> Option<f64> + 'a {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| *v)
    }

    #[test]
    fn nearest_centroid_on_a_unit_square() {
        // Raw features; centroids at (0,0), (10,0), (0,10). The point (6,1) is
        // sqrt(37) ≈ 6.08 from a, sqrt(17) ≈ 4.12 from b and sqrt(117) from c.
        let (m, errs) = compile(
            r#"{"features": ["x", "y"], "centroids": [
                {"name": "a", "center": [0, 0]},
                {"name": "b", "center": [10, 0]},
                {"name": "c", "center": [0, 10]}]}"#,
        );
        assert!(errs.is_empty(), "{errs:?}");
        let m = m.unwrap();
        assert_eq!(m.assign(&lookup(&[("x", 6.0), ("y", 1.0)])), Some("b"));
        assert_eq!(m.assign(&lookup(&[("x", 1.0), ("y", 6.0)])), Some("c"));
        assert_eq!(m.assign(&lookup(&[("x", 1.0), ("y", 1.0)])), Some("a"));
        let (i, d) = m.nearest(&lookup(&[("x", 6.0), ("y", 1.0)])).unwrap();
        assert_eq!(i, 1);
        assert!((d - 17f64.sqrt()).abs() < 1e-12);
        // Tie at (5,0) between a and b: the first listed wins.
        assert_eq!(m.assign(&lookup(&[("x", 5.0), ("y", 0.0)])), Some("a"));
        // Missing or non-finite feature: unassigned.
        assert_eq!(m.assign(&lookup(&[("x", 6.0)])), None);
        assert_eq!(m.assign(&lookup(&[("x", 6.0), ("y", f64::NAN)])), None);
    }

    #[test]
    fn zscore_scaling_and_max_distance() {
        // visits: mean 3, std 2; spend: mean 50, std 25. (7, 100) scales to (2, 2):
        // distance to (2, 2) is 0; (3, 50) scales to (0, 0), distance 2 to "low" at (0, 2).
        let (m, errs) = compile(
            r#"{"features": ["visits", "spend"],
                "scaling": {"type": "zscore", "mean": [3, 50], "std": [2, 25]},
                "centroids": [{"name": "high", "center": [2, 2]},
                              {"name": "low", "center": [0, 2]}],
                "maxDistance": 2}"#,
        );
        assert!(errs.is_empty(), "{errs:?}");
        let m = m.unwrap();
        assert_eq!(m.max_distance, Some(2.0));
        assert_eq!(
            m.assign(&lookup(&[("visits", 7.0), ("spend", 100.0)])),
            Some("high")
        );
        // Exactly at the maximum distance: still assigned.
        assert_eq!(
            m.assign(&lookup(&[("visits", 3.0), ("spend", 50.0)])),
            Some("low")
        );
        // (3, 25) scales to (0, -1): distance 3 from "low", beyond 2.
        let far = lookup(&[("visits", 3.0), ("spend", 25.0)]);
        assert_eq!(m.assign(&far), None);
        assert_eq!(m.nearest(&far).map(|(i, _)| i), Some(1));
    }

    #[test]
    fn minmax_scaling() {
        // age 20..60 and pages 0..10 map to 0..1; (40, 9) scales to (0.5, 0.9).
        let (m, errs) = compile(
            r#"{"features": ["age", "pages"],
                "scaling": {"type": "minmax", "min": [20, 0], "max": [60, 10]},
                "centroids": [{"name": "skimmer", "center": [0.5, 0.1]},
                              {"name": "reader", "center": [0.5, 0.8]}]}"#,
        );
        assert!(errs.is_empty(), "{errs:?}");
        let m = m.unwrap();
        let p = m.point(&lookup(&[("age", 40.0), ("pages", 9.0)])).unwrap();
        assert!((p[0] - 0.5).abs() < 1e-12 && (p[1] - 0.9).abs() < 1e-12);
        assert_eq!(
            m.assign(&lookup(&[("age", 40.0), ("pages", 9.0)])),
            Some("reader")
        );
        assert_eq!(
            m.assign(&lookup(&[("age", 30.0), ("pages", 2.0)])),
            Some("skimmer")
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let (m, errs) = compile(
            r#"{"features": ["x", "x", 3],
                "scaling": {"type": "zscore", "mean": [0, 0], "std": [1, 0], "extra": 1},
                "centroids": [{"name": "a", "center": [0, "1"]},
                              {"name": "a", "center": [1, 2, 3]},
                              {"center": [1, 2]},
                              {"name": "b", "centre": [1, 2]}],
                "maxDistance": -1,
                "maxDistanse": 2}"#,
        );
        assert!(m.is_none());
        let want = [
            "segments.kmeans.features[1]: duplicate feature \"x\"",
            "segments.kmeans.features[2]: expected a string, got number",
            "segments.kmeans.scaling.std[1]: expected a standard deviation greater than 0",
            "segments.kmeans.scaling.extra: unknown field; expected one of: type, mean, std",
            "segments.kmeans.centroids[0].center[1]: expected a finite number",
            "segments.kmeans.centroids[1].name: duplicate segment name \"a\" (also segments.kmeans.centroids[0])",
            "segments.kmeans.centroids[2].name: required",
            "segments.kmeans.centroids[3].center: required",
            "segments.kmeans.centroids[3].centre: unknown field (did you mean \"center\"?)",
            "segments.kmeans.maxDistance: expected a number that is not negative",
            "segments.kmeans.maxDistanse: unknown field (did you mean \"maxDistance\"?)",
        ];
        assert_eq!(errs, want);
    }

    #[test]
    fn dimensions_must_match_the_features() {
        let (m, errs) = compile(
            r#"{"features": ["x", "y"],
                "scaling": {"type": "minmax", "min": [0], "max": [1, 1]},
                "centroids": [{"name": "a", "center": [0, 0, 0]}]}"#,
        );
        assert!(m.is_none());
        assert_eq!(
            errs,
            [
                "segments.kmeans.scaling.min: expected 2 numbers (one per feature), got 1",
                "segments.kmeans.centroids[0].center: expected 2 numbers (one per feature), got 3",
            ]
        );
    }

    #[test]
    fn structural_errors() {
        let (m, errs) = compile(r#"{"features": [], "centroids": []}"#);
        assert!(m.is_none());
        assert_eq!(
            errs,
            [
                "segments.kmeans.features: expected at least one feature",
                "segments.kmeans.centroids: expected at least one centroid",
            ]
        );
        let (_, errs) = compile(r#"{"scaling": {"type": "zcore"}}"#);
        assert_eq!(
            errs,
            [
                "segments.kmeans.features: required",
                "segments.kmeans.scaling.type: unknown scaling \"zcore\" (did you mean \"zscore\"?)",
                "segments.kmeans.centroids: required",
            ]
        );
        let (_, errs) = compile(
            r#"{"features": ["x"], "scaling": {"type": "pca"},
                "centroids": [{"name": "a", "center": [0]}]}"#,
        );
        assert_eq!(
            errs,
            ["segments.kmeans.scaling.type: unknown scaling \"pca\"; expected \"zscore\" or \"minmax\""]
        );
        let (_, errs) = compile(r#"[1]"#);
        assert_eq!(errs, ["segments.kmeans: expected an object, got array"]);
        let (_, errs) = compile(
            r#"{"features": ["x"], "scaling": {"type": "minmax", "min": [5], "max": [5]},
                "centroids": [{"name": "a", "center": [0]}]}"#,
        );
        assert_eq!(
            errs,
            ["segments.kmeans.scaling.max[0]: expected a maximum greater than the minimum (5)"]
        );
    }
}
