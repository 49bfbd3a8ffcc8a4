//! Path-tracking readers over a `Value`, used to validate the config: every problem is
//! collected with its path (`rules[2].trigger.within: …`) instead of stopping at the first.

use super::value::{Map, Value};

/// One config problem: where, and what is wrong, in plain language.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigError {
    pub path: String,
    pub message: String,
}

impl core::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

pub type Errors = Vec<ConfigError>;

pub fn err(errors: &mut Errors, path: &str, message: impl Into<String>) {
    errors.push(ConfigError {
        path: path.into(),
        message: message.into(),
    });
}

pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.into()
    } else {
        let mut s = String::with_capacity(path.len() + key.len() + 1);
        s.push_str(path);
        s.push('.');
        s.push_str(key);
        s
    }
}

pub fn index(path: &str, i: usize) -> String {
    let mut s = String::from(path);
    s.push('[');
    s.push_str(&super::value::num_to_string(i as f64));
    s.push(']');
    s
}

/// Edit distance counting a swap of two neighbours as one edit (optimal string
/// alignment), for "did you mean" hints.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    let get = |d: &[usize], i: usize, j: usize| d.get(i * w + j).copied().unwrap_or(usize::MAX / 2);
    for i in 0..=a.len() {
        for j in 0..=b.len() {
            let v = if i == 0 || j == 0 {
                i + j
            } else {
                let (ca, cb) = (a.get(i - 1), b.get(j - 1));
                let cost = usize::from(ca != cb);
                let mut v = (get(&d, i - 1, j) + 1)
                    .min(get(&d, i, j - 1) + 1)
                    .min(get(&d, i - 1, j - 1) + cost);
                if i > 1 && j > 1 && ca == b.get(j - 2) && a.get(i - 2) == cb {
                    v = v.min(get(&d, i - 2, j - 2) + 1);
                }
                v
            };
            if let Some(slot) = d.get_mut(i * w + j) {
                *slot = v;
            }
        }
    }
    get(&d, a.len(), b.len())
}

/// The closest candidate within a small edit distance (case-insensitive).
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lw = word.to_ascii_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for &c in candidates {
        let d = edit_distance(&lw, &c.to_ascii_lowercase());
        let limit = (c.len() / 3).clamp(1, 3);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Keys that must never appear in a config object (prototype pollution).
pub fn is_forbidden_key(key: &str) -> bool {
    matches!(key, "__proto__" | "constructor" | "prototype")
}

/// Reads the fields of one config object, remembering which keys were used so
/// `finish` can report unknown ones.
pub struct Obj<'a> {
    pub map: &'a Map,
    pub path: String,
    used: Vec<&'static str>,
}

impl<'a> Obj<'a> {
    /// `None` (with an error) when `v` is not an object.
    pub fn new(v: &'a Value, path: &str, errors: &mut Errors) -> Option<Obj<'a>> {
        match v {
            Value::Obj(map) => Some(Obj {
                map,
                path: path.into(),
                used: Vec::new(),
            }),
            other => {
                err(
                    errors,
                    path,
                    format!("expected an object, got {}", other.type_name()),
                );
                None
            }
        }
    }

    pub fn at(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// Marks `key` as known and returns its value if present.
    pub fn get(&mut self, key: &'static str) -> Option<&'a Value> {
        self.used.push(key);
        match self.map.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    pub fn has(&self, key: &str) -> bool {
        self.map.get(key).is_some_and(|v| !v.is_null())
    }

    // The leaf readers build a value's path only when reporting a problem with it.
    pub fn string(&mut self, key: &'static str, errors: &mut Errors) -> Option<&'a str> {
        match self.get(key)? {
            Value::Str(s) => Some(s),
            other => {
                err(
                    errors,
                    &self.at(key),
                    format!("expected a string, got {}", other.type_name()),
                );
                None
            }
        }
    }

    pub fn boolean(&mut self, key: &'static str, errors: &mut Errors) -> Option<bool> {
        match self.get(key)? {
            Value::Bool(b) => Some(*b),
            other => {
                err(
                    errors,
                    &self.at(key),
                    format!("expected true or false, got {}", other.type_name()),
                );
                None
            }
        }
    }

    /// A whole number in `[min, max]`.
    pub fn whole(
        &mut self,
        key: &'static str,
        min: f64,
        max: f64,
        errors: &mut Errors,
    ) -> Option<f64> {
        match self.get(key)? {
            Value::Num(n) if n.fract() == 0.0 && *n >= min && *n <= max => Some(*n),
            v => whole_number(v, &self.at(key), min, max, errors),
        }
    }

    pub fn number(
        &mut self,
        key: &'static str,
        min: f64,
        max: f64,
        errors: &mut Errors,
    ) -> Option<f64> {
        match self.get(key)? {
            Value::Num(n) if n.is_finite() && *n >= min && *n <= max => Some(*n),
            Value::Num(_) => {
                err(
                    errors,
                    &self.at(key),
                    format!(
                        "expected a number from {} to {}",
                        super::value::num_to_string(min),
                        super::value::num_to_string(max)
                    ),
                );
                None
            }
            other => {
                err(
                    errors,
                    &self.at(key),
                    format!("expected a number, got {}", other.type_name()),
                );
                None
            }
        }
    }

    pub fn duration(&mut self, key: &'static str, errors: &mut Errors) -> Option<u64> {
        let v = self.get(key)?;
        match parse_duration(v) {
            Ok(ms) => Some(ms),
            Err(m) => {
                err(errors, &self.at(key), m);
                None
            }
        }
    }

    /// Reports keys that were never asked for, with a "did you mean" hint.
    pub fn finish(self, errors: &mut Errors) {
        for key in self.map.keys() {
            if self.used.contains(&key) {
                continue;
            }
            let path = join(&self.path, key);
            if is_forbidden_key(key) {
                err(errors, &path, "this key is not allowed");
                continue;
            }
            match did_you_mean(key, &self.used) {
                Some(s) => err(
                    errors,
                    &path,
                    format!("unknown field (did you mean \"{s}\"?)"),
                ),
                None => err(
                    errors,
                    &path,
                    format!(
                        "unknown field; expected one of: {}",
                        super::find::join(&self.used, ", ")
                    ),
                ),
            }
        }
    }
}

pub fn whole_number(v: &Value, path: &str, min: f64, max: f64, errors: &mut Errors) -> Option<f64> {
    match v {
        Value::Num(n) if n.fract() == 0.0 && *n >= min && *n <= max => Some(*n),
        Value::Num(n) if n.fract() == 0.0 => {
            err(
                errors,
                path,
                format!(
                    "expected a whole number from {} to {}",
                    super::value::num_to_string(min),
                    super::value::num_to_string(max)
                ),
            );
            None
        }
        _ => {
            err(errors, path, "expected a whole number");
            None
        }
    }
}

/// The longest duration accepted: 400 days.
pub const MAX_DURATION_MS: u64 = 400 * 86_400_000;

/// Parses `"500ms"`, `"30s"`, `"10m"`, `"24h"`, `"7d"`, `"1h30m"`, or a number of
/// milliseconds. Negative, fractional milliseconds, empty and over-long durations are errors.
pub fn parse_duration(v: &Value) -> Result<u64, String> {
    let bad = || {
        String::from("expected a duration such as \"30s\", \"10m\", \"24h\", \"7d\" or a number of milliseconds")
    };
    let ms = match v {
        Value::Num(n) => {
            if !n.is_finite() || *n < 0.0 {
                return Err("expected a duration that is not negative".into());
            }
            n.round()
        }
        Value::Str(s) => {
            let s = s.trim();
            if s.starts_with('-') {
                return Err("expected a duration that is not negative".into());
            }
            if s.is_empty() {
                return Err(bad());
            }
            let mut rest = s;
            let mut total = 0.0f64;
            while !rest.is_empty() {
                let num_len = rest
                    .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                    .unwrap_or(rest.len());
                let (num, tail) = rest.split_at_checked(num_len).ok_or_else(bad)?;
                let num = super::num::parse(num).ok_or_else(bad)?;
                let unit_len = tail
                    .find(|c: char| !c.is_ascii_alphabetic())
                    .unwrap_or(tail.len());
                let (unit, tail) = tail.split_at_checked(unit_len).ok_or_else(bad)?;
                let unit = match unit {
                    "ms" => 1.0,
                    "s" | "sec" => 1_000.0,
                    "m" | "min" => 60_000.0,
                    "h" => 3_600_000.0,
                    "d" => 86_400_000.0,
                    "w" => 604_800_000.0,
                    _ => return Err(bad()),
                };
                total += num * unit;
                rest = tail.trim_start();
            }
            total.round()
        }
        _ => return Err(bad()),
    };
    if ms > MAX_DURATION_MS as f64 {
        return Err("duration is longer than the maximum of 400 days".into());
    }
    Ok(ms as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration(&"30s".into()), Ok(30_000));
        assert_eq!(parse_duration(&"10m".into()), Ok(600_000));
        assert_eq!(parse_duration(&"24h".into()), Ok(86_400_000));
        assert_eq!(parse_duration(&"7d".into()), Ok(604_800_000));
        assert_eq!(parse_duration(&"1h30m".into()), Ok(5_400_000));
        assert_eq!(parse_duration(&"250ms".into()), Ok(250));
        assert_eq!(parse_duration(&"1.5s".into()), Ok(1_500));
        assert_eq!(parse_duration(&Value::Num(1234.0)), Ok(1234));
        assert!(parse_duration(&"-5s".into()).is_err());
        assert!(parse_duration(&Value::Num(-1.0)).is_err());
        assert!(parse_duration(&"10 parsecs".into()).is_err());
        assert!(parse_duration(&"".into()).is_err());
        assert!(parse_duration(&"s".into()).is_err());
        assert!(parse_duration(&"9999d".into()).is_err());
        assert!(parse_duration(&Value::Bool(true)).is_err());
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            did_you_mean("priorty", &["id", "priority", "trigger"]),
            Some("priority")
        );
        assert_eq!(
            did_you_mean("Trigger", &["id", "priority", "trigger"]),
            Some("trigger")
        );
        assert_eq!(did_you_mean("zzzzzz", &["id", "priority"]), None);
        assert_eq!(did_you_mean("idel", &["idle", "dwell"]), Some("idle"));
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
