//! A small dynamic value (the JSON data model) used for configs, conditions, event
//! properties and context; objects keep their insertion order. In the browser, values
//! cross the wasm boundary as JSON text read and written by `core::json` (no serde code
//! runs there); the serde implementations below serve the native tests (`serde_json`).

use core::fmt;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// An ordered map of string keys to values. Small objects dominate, so a vector with
/// linear lookup beats a tree or a hash map in both speed and code size.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Map(pub Vec<(String, Value)>);

impl Map {
    pub fn new() -> Self {
        Map(Vec::new())
    }
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.0.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }
    /// Inserts or replaces `key`.
    pub fn insert(&mut self, key: impl Into<String>, value: Value) {
        let key = key.into();
        match self.get_mut(&key) {
            Some(slot) => *slot = value,
            None => self.0.push((key, value)),
        }
    }
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let pos = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(pos).1)
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }
}

/// The JSON data model.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Value>),
    Obj(Map),
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Num(n) => Some(*n),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Arr(a) => Some(a),
            _ => None,
        }
    }
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Obj(m) => Some(m),
            _ => None,
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
    /// Object member lookup; `None` for non-objects.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Obj(m) => m.get(key),
            Value::Arr(a) => key.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        }
    }
    /// Walks a pre-split dotted path (`["page", "path"]`).
    pub fn get_path<S: AsRef<str>>(&self, segs: &[S]) -> Option<&Value> {
        let mut cur = self;
        for s in segs {
            cur = cur.get(s.as_ref())?;
        }
        Some(cur)
    }
    /// The JSON type name, as JavaScript's `typeof` would report it (arrays as "array").
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Num(_) => "number",
            Value::Str(_) => "string",
            Value::Arr(_) => "array",
            Value::Obj(_) => "object",
        }
    }
    /// JavaScript truthiness.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Num(n) => *n != 0.0 && !n.is_nan(),
            Value::Str(s) => !s.is_empty(),
            Value::Arr(_) | Value::Obj(_) => true,
        }
    }
    /// Text form used by templates and string comparisons (numbers without a trailing `.0`).
    pub fn to_text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(b) => if *b { "true" } else { "false" }.into(),
            Value::Num(n) => num_to_string(*n),
            Value::Str(s) => s.clone(),
            Value::Arr(a) => {
                let parts: Vec<String> = a.iter().map(Value::to_text).collect();
                super::find::join(&parts, ",")
            }
            Value::Obj(_) => "[object Object]".into(),
        }
    }
    /// Removes `__proto__`, `constructor` and `prototype` keys at every depth.
    pub fn strip_forbidden_keys(&mut self) {
        match self {
            Value::Obj(m) => {
                m.0.retain(|(k, _)| {
                    !matches!(k.as_str(), "__proto__" | "constructor" | "prototype")
                });
                for (_, v) in m.0.iter_mut() {
                    v.strip_forbidden_keys();
                }
            }
            Value::Arr(a) => a.iter_mut().for_each(Value::strip_forbidden_keys),
            _ => {}
        }
    }
    /// Rough heap footprint in bytes, for bounding stored data.
    /// `approx_size` of an object with these entries.
    pub fn approx_map_size(m: &Map) -> usize {
        8 + m
            .0
            .iter()
            .map(|(k, v)| k.len() + v.approx_size())
            .sum::<usize>()
    }

    pub fn approx_size(&self) -> usize {
        match self {
            Value::Null | Value::Bool(_) | Value::Num(_) => 8,
            Value::Str(s) => 8 + s.len(),
            Value::Arr(a) => 8 + a.iter().map(Value::approx_size).sum::<usize>(),
            Value::Obj(m) => {
                8 + m
                    .0
                    .iter()
                    .map(|(k, v)| k.len() + v.approx_size())
                    .sum::<usize>()
            }
        }
    }
}

/// Formats a number the way JavaScript's `String(n)` does (see [`super::num::format`]:
/// shortest round-tripping digits, no `core::fmt` float code).
pub fn num_to_string(n: f64) -> String {
    super::num::format(n)
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.into())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}
impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Num(n)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<Map> for Value {
    fn from(m: Map) -> Self {
        Value::Obj(m)
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Num(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Num(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Num(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.into()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Deserialize::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Arr(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            // Later duplicates win, as in JSON.parse.
            out.insert(k, v);
        }
        Ok(Value::Obj(out))
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Num(n) => s.serialize_f64(*n),
            Value::Str(v) => s.serialize_str(v),
            Value::Arr(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for v in a {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            Value::Obj(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m.iter() {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

/// Builds an object value from pairs: `obj([("a", 1.0.into())])`.
pub fn obj<K: Into<String>, I: IntoIterator<Item = (K, Value)>>(pairs: I) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert(k, v);
    }
    Value::Obj(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_format_like_javascript() {
        assert_eq!(num_to_string(3.0), "3");
        assert_eq!(num_to_string(-42.0), "-42");
        assert_eq!(num_to_string(0.5), "0.5");
        assert_eq!(num_to_string(f64::NAN), "NaN");
    }

    #[test]
    fn paths_walk_objects_and_arrays() {
        let v: Value = serde_json::from_str(r#"{"a":{"b":[10,{"c":"x"}]}}"#).unwrap();
        assert_eq!(
            v.get_path(&["a", "b", "1", "c"]),
            Some(&Value::Str("x".into()))
        );
        assert_eq!(v.get_path(&["a", "b", "0"]), Some(&Value::Num(10.0)));
        assert_eq!(v.get_path(&["a", "zz"]), None);
    }

    #[test]
    fn round_trips_through_serde_json() {
        let src = r#"{"z":1,"a":[true,null,"s",1.5]}"#;
        let v: Value = serde_json::from_str(src).unwrap();
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"z":1.0,"a":[true,null,"s",1.5]}"#
        );
    }
}
