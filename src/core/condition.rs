//! MongoDB-style targeting conditions with GrowthBook's semantics (`evalCondition` in
//! GrowthBook's sdk-js), compiled once: paths are pre-split, regexes pre-compiled,
//! version operands pre-padded, saved groups resolved. Evaluation allocates only in rare
//! cases (an array or a number compared as text).
//!
//! A condition that fails to compile reports every problem with its path and then
//! evaluates to `false` (fail closed), as GrowthBook does for an invalid regex or an
//! unknown operator.
//!
//! Case-insensitive regexes (`$regexi`) are requested from the [`RegexFactory`] with a
//! leading `(?i)`, which [`super::regex::LinearRegex`] reads as JavaScript's `i` flag.

use super::reader::{did_you_mean, index, is_forbidden_key, join};
use super::regex::{Literal, Matcher, RegexFactory};
use super::value::{num_to_string, Map, Value};
use core::cmp::Ordering;
use core::fmt;
use std::borrow::Cow;

/// A dotted attribute path, pre-split at compile time (`"page.path"` → `["page", "path"]`),
/// with its first segment classified once (`root`): the engine's context dispatches on it
/// for every condition it evaluates, instead of comparing strings.
#[derive(Clone, Debug, PartialEq)]
pub struct AttrPath {
    pub raw: String,
    pub segs: Vec<String>,
    pub root: Root,
}

/// What the first segment of a path names in cuekit's decision context. `Attr` is any
/// other name: a host attribute from `identify()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Root {
    Event,
    Segment,
    Segments,
    Props,
    Page,
    Visitor,
    Session,
    Behavior,
    Attr,
}

impl AttrPath {
    pub fn new(raw: &str) -> Self {
        let segs: Vec<String> = raw.split('.').map(String::from).collect();
        let root = match segs.first().map(String::as_str) {
            Some("event") => Root::Event,
            Some("segment") => Root::Segment,
            Some("segments") => Root::Segments,
            Some("props") => Root::Props,
            Some("page") => Root::Page,
            Some("visitor") => Root::Visitor,
            Some("session") => Root::Session,
            Some("behavior") => Root::Behavior,
            _ => Root::Attr,
        };
        AttrPath {
            raw: raw.into(),
            segs,
            root,
        }
    }
}

/// Where conditions read their facts from. A missing fact behaves like `null`, as in
/// GrowthBook.
pub trait Attributes {
    fn lookup(&self, path: &AttrPath) -> Option<Cow<'_, Value>>;
}

impl Attributes for Value {
    fn lookup(&self, path: &AttrPath) -> Option<Cow<'_, Value>> {
        lookup_in(self, &path.segs)
    }
}

impl Attributes for Map {
    fn lookup(&self, path: &AttrPath) -> Option<Cow<'_, Value>> {
        let (first, rest) = path.segs.split_first()?;
        lookup_in(self.get(first)?, rest)
    }
}

/// Walks `segs` through objects and arrays the way JavaScript's `key in obj` does:
/// canonical numeric segments index arrays and `length` gives an array's length.
pub fn lookup_in<'a, S: AsRef<str>>(mut cur: &'a Value, segs: &[S]) -> Option<Cow<'a, Value>> {
    let mut it = segs.iter();
    while let Some(seg) = it.next() {
        let seg = seg.as_ref();
        cur = match cur {
            Value::Obj(m) => m.get(seg)?,
            Value::Arr(a) if seg == "length" => {
                let len = Value::Num(a.len() as f64);
                return it.next().is_none().then_some(Cow::Owned(len));
            }
            Value::Arr(a) => {
                let canonical = !seg.is_empty()
                    && seg.bytes().all(|b| b.is_ascii_digit())
                    && (seg == "0" || !seg.starts_with('0'));
                if !canonical {
                    return None;
                }
                a.get(seg.parse::<usize>().ok()?)?
            }
            _ => return None,
        };
    }
    Some(Cow::Borrowed(cur))
}

/// One problem found while compiling a condition.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionError {
    pub path: String,
    pub message: String,
}

impl fmt::Display for ConditionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// A compiled condition.
pub struct Condition {
    root: Node,
    valid: bool,
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition")
            .field("valid", &self.valid)
            .field("paths", &self.paths())
            .finish()
    }
}

/// `evalCondition`: an object of paths and `$and`/`$or`/`$nor`/`$not`.
enum Node {
    All(Vec<Node>),
    /// `$or`; empty passes.
    Any(Vec<Node>),
    /// `$not` and `$nor`, with the reason given when the inner part matched.
    Not(Box<Node>, &'static str),
    /// The source operand is kept for `explain_failure`.
    Field(AttrPath, Value, Test),
    Fail,
}

/// `evalConditionValue`: a literal or an object of operators.
enum Test {
    /// `String(value) === s`; `num` is `s` when it is how a number prints; `ci` compares
    /// lower-cased (`s` is stored lower-cased).
    Text {
        s: String,
        num: Option<f64>,
        ci: bool,
    },
    /// `Number(value) === n`.
    Num(f64),
    /// `value !== null && !!value === b`.
    Bool(bool),
    Null,
    /// `JSON.stringify` equality (ordered deep equality).
    Json(Value),
    Ops(Vec<Op>),
}

enum Op {
    /// `===`, or `!==` when the flag is set.
    Eq(Value, bool),
    /// JavaScript relational comparison; the mask holds the accepted orderings.
    Cmp(u8, Option<String>, f64),
    Exists(bool),
    In {
        list: Vec<Value>,
        ci: bool,
        neg: bool,
    },
    All(Vec<Test>),
    ElemTest(Box<Test>),
    ElemCond(Box<Node>),
    Size(Box<Test>),
    Not(Box<Test>),
    Regex(Box<dyn Matcher>),
    Type(&'static str),
    /// Padded version string comparison.
    Version(u8, String),
    Fail,
}

const LT: u8 = 1;
const EQ: u8 = 2;
const GT: u8 = 4;

/// Value-level operators, most common first (the order breaks did-you-mean ties).
#[rustfmt::skip]
const OPERATORS: [&str; 27] = [
    "$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists", "$regex", "$not",
    "$all", "$elemMatch", "$size", "$type", "$ini", "$nini", "$alli", "$regexi", "$veq", "$vne",
    "$vgt", "$vgte", "$vlt", "$vlte", "$inGroup", "$notInGroup",
];
const TYPES: [&str; 6] = ["string", "number", "boolean", "object", "array", "null"];
const MAX_DEPTH: u32 = 48;

static NULL: Value = Value::Null;

impl Condition {
    /// Compiles `cond`, pushing every problem (prefixed with `path`) to `errors`. A
    /// condition with any problem always evaluates to `false`.
    pub fn compile(
        cond: &Value,
        path: &str,
        saved_groups: Option<&Map>,
        regex: &dyn RegexFactory,
        errors: &mut Vec<ConditionError>,
    ) -> Condition {
        let before = errors.len();
        let mut c = Compiler {
            groups: saved_groups,
            regex,
            errors,
            depth: 0,
        };
        let root = c.node(cond, path);
        let valid = c.errors.len() == before;
        Condition { root, valid }
    }

    /// The empty condition: always passes.
    pub fn always_true() -> Condition {
        Condition {
            root: Node::All(Vec::new()),
            valid: true,
        }
    }

    /// False when compiling reported errors (the condition then never passes).
    pub fn is_valid(&self) -> bool {
        self.valid
    }

    pub fn eval(&self, attrs: &dyn Attributes) -> bool {
        self.valid && self.root.eval(attrs)
    }

    /// Why `eval` is false, naming the first failing leaf; `None` when it passes.
    pub fn explain_failure(&self, attrs: &dyn Attributes) -> Option<String> {
        if !self.valid {
            return Some("the condition is invalid (see the config errors)".into());
        }
        self.root.explain(attrs)
    }

    /// Every attribute path the condition reads (paths inside `$elemMatch` conditions are
    /// relative to array items and not listed).
    pub fn paths(&self) -> Vec<&AttrPath> {
        let mut out = Vec::new();
        self.root.paths(&mut out);
        out
    }
}

impl Node {
    fn eval(&self, a: &dyn Attributes) -> bool {
        match self {
            Node::All(v) => v.iter().all(|n| n.eval(a)),
            Node::Any(v) => v.is_empty() || v.iter().any(|n| n.eval(a)),
            Node::Not(n, _) => !n.eval(a),
            Node::Field(p, _, t) => t.eval(a.lookup(p).as_deref().unwrap_or(&NULL)),
            Node::Fail => false,
        }
    }

    fn explain(&self, a: &dyn Attributes) -> Option<String> {
        match self {
            Node::All(v) => v.iter().find_map(|n| n.explain(a)),
            Node::Any(v) => {
                if self.eval(a) {
                    return None;
                }
                let first = v.first().and_then(|n| n.explain(a)).unwrap_or_default();
                Some(format!("no $or branch matched; first: {first}"))
            }
            Node::Not(n, why) => n.eval(a).then(|| String::from(*why)),
            Node::Field(p, src, t) => {
                let found = a.lookup(p);
                let v = found.as_deref();
                if t.eval(v.unwrap_or(&NULL)) {
                    return None;
                }
                let mut op = None;
                let mut operand = src;
                if let (Test::Ops(ops), Value::Obj(m)) = (t, src) {
                    let v = v.unwrap_or(&NULL);
                    if let Some((_, (k, x))) = ops.iter().zip(m.iter()).find(|(o, _)| !o.eval(v)) {
                        op = Some(k);
                        operand = x;
                    }
                }
                let mut out = format!("{}: ", p.raw);
                match v {
                    None => out.push_str("missing, expected "),
                    Some(v) => {
                        out.push_str(&short_json(v));
                        out.push_str(if op.is_some() {
                            " does not match "
                        } else {
                            " does not equal "
                        });
                    }
                }
                if let Some(op) = op {
                    out.push_str(op);
                    out.push(' ');
                }
                out.push_str(&short_json(operand));
                Some(out)
            }
            Node::Fail => Some("invalid condition".into()),
        }
    }

    fn paths<'a>(&'a self, out: &mut Vec<&'a AttrPath>) {
        match self {
            Node::All(v) | Node::Any(v) => v.iter().for_each(|n| n.paths(out)),
            Node::Not(n, _) => n.paths(out),
            Node::Field(p, ..) => {
                if !out.iter().any(|q| q.raw == p.raw) {
                    out.push(p);
                }
            }
            Node::Fail => {}
        }
    }
}

impl Test {
    fn eval(&self, v: &Value) -> bool {
        match self {
            Test::Text { s, num, ci } => match v {
                _ if *ci => lower_eq(&js_text(v), s),
                Value::Str(x) => x == s,
                Value::Num(n) => num.is_some_and(|m| *n == m),
                _ => js_text(v) == s.as_str(),
            },
            Test::Num(n) => to_number(v) == *n,
            Test::Bool(b) => !v.is_null() && v.truthy() == *b,
            Test::Null => v.is_null(),
            Test::Json(c) => v == c,
            Test::Ops(ops) => ops.iter().all(|o| o.eval(v)),
        }
    }
}

impl Op {
    fn eval(&self, v: &Value) -> bool {
        match self {
            Op::Eq(e, neg) => strict_eq(v, e) != *neg,
            Op::Cmp(mask, es, en) => {
                let ord = match (v, es) {
                    (Value::Str(a), Some(b)) => Some(utf16_cmp(a, b)),
                    (Value::Arr(_) | Value::Obj(_), Some(b)) => Some(utf16_cmp(&v.to_text(), b)),
                    _ => to_number(v).partial_cmp(en),
                };
                hit(*mask, ord)
            }
            Op::Exists(b) => v.is_null() != *b,
            Op::In { list, ci, neg } => {
                let has = |x: &Value| {
                    list.iter().any(|e| match (x, e) {
                        (Value::Str(a), Value::Str(b)) if *ci => lower_eq(a, b),
                        _ => strict_eq(x, e) || both_nan(x, e),
                    })
                };
                let found = match v {
                    Value::Arr(a) => a.iter().any(has),
                    _ => has(v),
                };
                found != *neg
            }
            Op::All(tests) => match v {
                Value::Arr(a) => tests.iter().all(|t| a.iter().any(|x| t.eval(x))),
                _ => false,
            },
            Op::ElemTest(t) => match v {
                Value::Arr(a) => a.iter().any(|x| x.truthy() && t.eval(x)),
                _ => false,
            },
            Op::ElemCond(n) => match v {
                Value::Arr(a) => a.iter().any(|x| x.truthy() && n.eval(x)),
                _ => false,
            },
            Op::Size(t) => match v {
                Value::Arr(a) => t.eval(&Value::Num(a.len() as f64)),
                _ => false,
            },
            Op::Not(t) => !t.eval(v),
            Op::Regex(m) => m.is_match(&js_text(v)),
            Op::Type(t) => v.type_name() == *t,
            Op::Version(mask, e) => {
                let t = version_text(v);
                hit(*mask, Some(version_chars(&t).cmp(e.chars())))
            }
            Op::Fail => false,
        }
    }
}

struct Compiler<'a> {
    groups: Option<&'a Map>,
    regex: &'a dyn RegexFactory,
    errors: &'a mut Vec<ConditionError>,
    depth: u32,
}

impl Compiler<'_> {
    fn err(&mut self, path: &str, message: String) {
        self.errors.push(ConditionError {
            path: path.into(),
            message,
        });
    }

    fn deeper(&mut self, path: &str) -> bool {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.err(path, "the condition is nested too deeply".into());
            return false;
        }
        true
    }

    /// `evalCondition`: keys are `$and`/`$or`/`$nor`/`$not` or attribute paths (any other
    /// key, even one starting with `$`, is a path, as in GrowthBook).
    fn node(&mut self, v: &Value, path: &str) -> Node {
        let Some(m) = v.as_object() else {
            self.err(path, "a condition must be an object".into());
            return Node::Fail;
        };
        if !self.deeper(path) {
            self.depth -= 1;
            return Node::Fail;
        }
        let mut all: Vec<Node> = m
            .iter()
            .map(|(k, x)| {
                let p = join(path, k);
                match k {
                    "$and" => Node::All(self.list(x, &p, k)),
                    "$or" => Node::Any(self.list(x, &p, k)),
                    "$nor" => Node::Not(
                        Box::new(Node::Any(self.list(x, &p, k))),
                        "$nor: a branch matched",
                    ),
                    "$not" => Node::Not(
                        Box::new(self.node(x, &p)),
                        "$not: the negated condition matched",
                    ),
                    _ => {
                        if let Some(bad) = k.split('.').find(|s| is_forbidden_key(s)) {
                            self.err(&p, format!("\"{bad}\" is not allowed in a path"));
                        }
                        Node::Field(AttrPath::new(k), x.clone(), self.test(x, &p, false))
                    }
                }
            })
            .collect();
        self.depth -= 1;
        if all.len() == 1 {
            all.pop().unwrap_or(Node::Fail)
        } else {
            Node::All(all)
        }
    }

    fn list(&mut self, v: &Value, path: &str, op: &str) -> Vec<Node> {
        match v {
            Value::Arr(items) => items
                .iter()
                .enumerate()
                .map(|(i, c)| self.node(c, &index(path, i)))
                .collect(),
            _ => {
                self.err(path, format!("{op} needs an array of conditions"));
                vec![Node::Fail]
            }
        }
    }

    /// `evalConditionValue`: a literal, or an object whose keys all start with `$`.
    fn test(&mut self, v: &Value, path: &str, ci: bool) -> Test {
        match v {
            Value::Str(s) => Test::Text {
                s: if ci { lower(s) } else { s.clone() },
                num: Some(str_to_number(s)).filter(|n| num_to_string(*n) == *s),
                ci,
            },
            Value::Num(n) => Test::Num(*n),
            Value::Bool(b) => Test::Bool(*b),
            Value::Null => Test::Null,
            Value::Obj(m) if !m.is_empty() && m.keys().all(|k| k.starts_with('$')) => {
                if !self.deeper(path) {
                    self.depth -= 1;
                    return Test::Ops(vec![Op::Fail]);
                }
                let ops = m
                    .iter()
                    .map(|(k, x)| self.op(k, x, &join(path, k)))
                    .collect();
                self.depth -= 1;
                Test::Ops(ops)
            }
            _ => {
                self.check_keys(v, path);
                Test::Json(v.clone())
            }
        }
    }

    fn check_keys(&mut self, v: &Value, path: &str) {
        match v {
            Value::Obj(m) => m.iter().for_each(|(k, x)| {
                let p = join(path, k);
                if is_forbidden_key(k) {
                    self.err(&p, format!("\"{k}\" is not allowed"));
                }
                self.check_keys(x, &p);
            }),
            Value::Arr(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, x)| self.check_keys(x, &index(path, i))),
            _ => {}
        }
    }

    fn op(&mut self, k: &str, x: &Value, path: &str) -> Op {
        let bad = |c: &mut Self, what: &str| {
            c.err(path, format!("{k} needs {what}"));
            Op::Fail
        };
        match k {
            "$eq" | "$ne" => Op::Eq(x.clone(), k == "$ne"),
            "$lt" | "$lte" | "$gt" | "$gte" => {
                let mask = match k {
                    "$lt" => LT,
                    "$lte" => LT | EQ,
                    "$gt" => GT,
                    _ => GT | EQ,
                };
                let s = matches!(x, Value::Str(_) | Value::Arr(_) | Value::Obj(_))
                    .then(|| js_text(x).into_owned());
                Op::Cmp(mask, s, to_number(x))
            }
            "$exists" => match x {
                Value::Bool(b) => Op::Exists(*b),
                Value::Num(_) => Op::Exists(x.truthy()),
                _ => bad(self, "true or false"),
            },
            "$in" | "$nin" | "$ini" | "$nini" => match x {
                Value::Arr(a) => {
                    let ci = k.ends_with('i');
                    let list = a
                        .iter()
                        .map(|e| match e {
                            Value::Str(s) if ci => Value::Str(lower(s)),
                            _ => e.clone(),
                        })
                        .collect();
                    Op::In {
                        list,
                        ci,
                        neg: k.starts_with("$n"),
                    }
                }
                _ => bad(self, "an array"),
            },
            "$inGroup" | "$notInGroup" => match x {
                Value::Str(id) => {
                    let list = self
                        .groups
                        .and_then(|g| g.get(id))
                        .and_then(Value::as_array);
                    Op::In {
                        list: list.map(<[Value]>::to_vec).unwrap_or_default(),
                        ci: false,
                        neg: k == "$notInGroup",
                    }
                }
                _ => bad(self, "a saved group id (a string)"),
            },
            "$all" | "$alli" => match x {
                Value::Arr(a) => {
                    let ci = k == "$alli";
                    let tests = a
                        .iter()
                        .enumerate()
                        .map(|(i, e)| self.test(e, &index(path, i), ci))
                        .collect();
                    Op::All(tests)
                }
                _ => bad(self, "an array"),
            },
            "$elemMatch" => match x {
                Value::Obj(m) if !m.is_empty() && m.keys().all(|k| k.starts_with('$')) => {
                    Op::ElemTest(Box::new(self.test(x, path, false)))
                }
                Value::Obj(_) => Op::ElemCond(Box::new(self.node(x, path))),
                _ => bad(self, "a condition (an object)"),
            },
            "$size" => match x {
                Value::Num(_) | Value::Obj(_) => Op::Size(Box::new(self.test(x, path, false))),
                _ => bad(self, "a number or a condition"),
            },
            "$not" => Op::Not(Box::new(self.test(x, path, false))),
            "$regex" | "$regexi" => match x {
                Value::Str(s) => {
                    // Plain text (the usual "contains"): string search, no regex engine.
                    if let Some(l) = Literal::parse(s).filter(|_| k == "$regex") {
                        return Op::Regex(Box::new(l));
                    }
                    let pattern = if k == "$regexi" {
                        Cow::Owned(format!("(?i){s}"))
                    } else {
                        Cow::Borrowed(s.as_str())
                    };
                    match self.regex.compile(&pattern) {
                        Ok(m) => Op::Regex(m),
                        Err(e) => {
                            self.err(path, e);
                            Op::Fail
                        }
                    }
                }
                _ => bad(self, "a regular expression (a string)"),
            },
            "$type" => match TYPES.iter().find(|t| x.as_str() == Some(**t)) {
                Some(t) => Op::Type(t),
                None => bad(
                    self,
                    "one of \"string\", \"number\", \"boolean\", \"object\", \"array\", \"null\"",
                ),
            },
            "$veq" | "$vne" | "$vgt" | "$vgte" | "$vlt" | "$vlte" => match x {
                Value::Str(_) | Value::Num(_) => {
                    let mask = match k {
                        "$veq" => EQ,
                        "$vne" => LT | GT,
                        "$vgt" => GT,
                        "$vgte" => GT | EQ,
                        "$vlt" => LT,
                        _ => LT | EQ,
                    };
                    Op::Version(mask, version_chars(&version_text(x)).collect())
                }
                _ => bad(self, "a version string"),
            },
            "$and" | "$or" | "$nor" => {
                self.err(
                    path,
                    format!(
                        "{k} is only allowed at the top of a condition, next to attribute paths"
                    ),
                );
                Op::Fail
            }
            _ => {
                let msg = match did_you_mean(k, &OPERATORS) {
                    Some(o) => format!("unknown operator \"{k}\" (did you mean \"{o}\"?)"),
                    None => format!("unknown operator \"{k}\""),
                };
                self.err(path, msg);
                Op::Fail
            }
        }
    }
}

fn hit(mask: u8, ord: Option<Ordering>) -> bool {
    ord.is_some_and(|o| mask & (1 << (o as i8 + 1)) != 0)
}

/// JavaScript `===` on JSON values (objects and arrays are never identical).
fn strict_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Num(x), Value::Num(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => x == y,
        _ => false,
    }
}

/// `Array.prototype.includes` also finds NaN.
fn both_nan(a: &Value, b: &Value) -> bool {
    matches!((a, b), (Value::Num(x), Value::Num(y)) if x.is_nan() && y.is_nan())
}

/// JavaScript string comparison (by UTF-16 code units).
fn utf16_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

fn lower(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

/// `a.toLowerCase() === b` where `b` is already lower-cased.
fn lower_eq(a: &str, b: &str) -> bool {
    a.chars().flat_map(char::to_lowercase).eq(b.chars())
}

/// JavaScript `String(v)`.
fn js_text(v: &Value) -> Cow<'_, str> {
    match v {
        Value::Str(s) => Cow::Borrowed(s),
        Value::Null => Cow::Borrowed("null"),
        Value::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        _ => Cow::Owned(v.to_text()),
    }
}

/// JavaScript `Number(v)`.
fn to_number(v: &Value) -> f64 {
    match v {
        Value::Null => 0.0,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Num(n) => *n,
        Value::Str(s) => str_to_number(s),
        _ => str_to_number(&v.to_text()),
    }
}

/// JavaScript `Number(string)`: trimmed, empty is 0, decimal, `Infinity`, 0x/0o/0b.
fn str_to_number(s: &str) -> f64 {
    let t = s.trim_matches(|c: char| (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}');
    if t.is_empty() {
        return 0.0;
    }
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    if unsigned == "Infinity" {
        return if t.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    for (prefix, radix) in [
        ("0x", 16),
        ("0X", 16),
        ("0o", 8),
        ("0O", 8),
        ("0b", 2),
        ("0B", 2),
    ] {
        if let Some(digits) = t.strip_prefix(prefix) {
            let n = digits.chars().try_fold(0.0, |acc: f64, c| {
                c.to_digit(radix)
                    .map(|d| acc * f64::from(radix) + f64::from(d))
            });
            return n.filter(|_| !digits.is_empty()).unwrap_or(f64::NAN);
        }
    }
    super::num::parse(t).unwrap_or(f64::NAN)
}

/// The text GrowthBook pads: strings as they are, numbers printed, anything else "0".
fn version_text(v: &Value) -> Cow<'_, str> {
    match v {
        Value::Str(s) if !s.is_empty() => Cow::Borrowed(s),
        Value::Num(n) => Cow::Owned(num_to_string(*n)),
        _ => Cow::Borrowed("0"),
    }
}

/// GrowthBook's `paddedVersionString`, lazily: drop a leading `v` and any `+build`,
/// split on `-` and `.`, add `~` to a plain `x.y.z`, left-pad numeric parts to 5, join
/// with `-`.
fn version_chars(s: &str) -> impl Iterator<Item = char> + '_ {
    let s = s.strip_prefix('v').unwrap_or(s);
    let s = s.split('+').next().unwrap_or(s);
    let tilde = (s.split(['-', '.']).count() == 3).then_some("~");
    s.split(['-', '.'])
        .chain(tilde)
        .enumerate()
        .flat_map(|(i, part)| {
            let numeric = !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
            let pad = if numeric {
                5usize.saturating_sub(part.len())
            } else {
                0
            };
            (i > 0)
                .then_some('-')
                .into_iter()
                .chain(core::iter::repeat_n(' ', pad))
                .chain(part.chars())
        })
}

/// Compact JSON for explanations, cut at 60 characters.
fn short_json(v: &Value) -> String {
    let mut out = super::json::to_json(v);
    if let Some((cut, _)) = out.char_indices().nth(60) {
        out.truncate(cut);
        out.push('…');
    }
    out
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::core::regex::LinearRegex;

    fn json(s: &str) -> Value {
        serde_json::from_str(s).unwrap()
    }

    fn compile(cond: &str) -> (Condition, Vec<ConditionError>) {
        let mut errors = Vec::new();
        let c = Condition::compile(&json(cond), "rules[2].if", None, &LinearRegex, &mut errors);
        (c, errors)
    }

    fn messages(errors: &[ConditionError]) -> Vec<String> {
        errors.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn reports_every_error_with_its_path() {
        let (c, errors) = compile(
            r#"{"page.path": {"$foo": 1, "$in": 3},
                "$and": [1, {"x": {"$regex": "("}}],
                "a.__proto__": 1,
                "t": {"$type": "strin", "$exists": "yes", "$size": "3", "$all": {}},
                "g": {"$inGroup": 5, "$vgt": null, "$elemMatch": 1},
                "o": {"$or": [], "$not": {"$regx": "a"}},
                "lit": {"k": {"constructor": 1}}}"#,
        );
        assert!(!c.is_valid());
        assert!(!c.eval(&json("{}")));
        let m = messages(&errors);
        let expect = [
            "rules[2].if.page.path.$foo: unknown operator \"$foo\"",
            "rules[2].if.page.path.$in: $in needs an array",
            "rules[2].if.$and[0]: a condition must be an object",
            "rules[2].if.a.__proto__: \"__proto__\" is not allowed in a path",
            "rules[2].if.t.$type: $type needs one of \"string\", \"number\", \"boolean\", \"object\", \"array\", \"null\"",
            "rules[2].if.t.$exists: $exists needs true or false",
            "rules[2].if.t.$size: $size needs a number or a condition",
            "rules[2].if.t.$all: $all needs an array",
            "rules[2].if.g.$inGroup: $inGroup needs a saved group id (a string)",
            "rules[2].if.g.$vgt: $vgt needs a version string",
            "rules[2].if.g.$elemMatch: $elemMatch needs a condition (an object)",
            "rules[2].if.o.$or: $or is only allowed at the top of a condition, next to attribute paths",
            "rules[2].if.o.$not.$regx: unknown operator \"$regx\" (did you mean \"$regex\"?)",
            "rules[2].if.lit.k.constructor: \"constructor\" is not allowed",
        ];
        for e in expect {
            assert!(m.contains(&e.to_string()), "missing {e:?} in {m:#?}");
        }
        assert!(
            m.iter()
                .any(|e| e.starts_with("rules[2].if.$and[1].x.$regex: ")),
            "{m:#?}"
        );
        assert_eq!(m.len(), expect.len() + 1, "{m:#?}");
    }

    #[test]
    fn did_you_mean_and_clean_compile() {
        let (_, errors) = compile(r#"{"a": {"$gtt": 1, "$elemmatch": {}, "$zzzzzzz": 1}}"#);
        let m = messages(&errors);
        assert_eq!(
            m[0],
            "rules[2].if.a.$gtt: unknown operator \"$gtt\" (did you mean \"$gt\"?)"
        );
        assert_eq!(m[1], "rules[2].if.a.$elemmatch: unknown operator \"$elemmatch\" (did you mean \"$elemMatch\"?)");
        assert_eq!(
            m[2],
            "rules[2].if.a.$zzzzzzz: unknown operator \"$zzzzzzz\""
        );
        let (c, errors) =
            compile(r#"{"a": {"$gt": 1}, "$or": [{"b": 1}, {"c": {"$regex": "^x"}}]}"#);
        assert!(errors.is_empty() && c.is_valid());
        let raw: Vec<&str> = c.paths().iter().map(|p| p.raw.as_str()).collect();
        assert_eq!(raw, ["a", "b", "c"]);
    }

    #[test]
    fn a_failed_condition_fails_closed_even_when_negated() {
        let (c, errors) = compile(r#"{"$not": {"a": {"$regex": "("}}}"#);
        assert_eq!(errors.len(), 1);
        assert!(!c.eval(&json(r#"{"a": "x"}"#)));
        assert!(c.explain_failure(&json("{}")).is_some());
    }

    #[test]
    fn explains_the_first_failing_leaf() {
        let (c, _) =
            compile(r#"{"page.path": {"$regex": "^/product/"}, "cart.items": {"$gt": 0}}"#);
        let a = json(r#"{"page": {"path": "/cart"}}"#);
        assert!(!c.eval(&a));
        assert_eq!(
            c.explain_failure(&a).as_deref(),
            Some(r#"page.path: "/cart" does not match $regex "^/product/""#)
        );
        let a = json(r#"{"page": {"path": "/product/1"}}"#);
        assert_eq!(
            c.explain_failure(&a).as_deref(),
            Some("cart.items: missing, expected $gt 0")
        );
        let a = json(r#"{"page": {"path": "/product/1"}, "cart": {"items": 2}}"#);
        assert!(c.eval(&a) && c.explain_failure(&a).is_none());

        let (c, _) =
            compile(r#"{"$or": [{"country": "US"}, {"tags": ["a"]}], "$nor": [{"x": 1}]}"#);
        assert_eq!(
            c.explain_failure(&json(r#"{"country": "FR"}"#)).as_deref(),
            Some(r#"no $or branch matched; first: country: "FR" does not equal "US""#)
        );
        assert_eq!(
            c.explain_failure(&json(r#"{"country": "US", "x": 1}"#))
                .as_deref(),
            Some("$nor: a branch matched")
        );
        let long = format!(r#"{{"country": "{}"}}"#, "x".repeat(100));
        let why = c.explain_failure(&json(&long)).unwrap();
        assert!(why.contains("xx… does not equal \"US\""), "{why}");
    }

    #[test]
    fn javascript_coercions() {
        let a = json(r#"{"n": "0x10", "e": "", "arr": [5], "s": 12, "v": 3, "t": [1, 2]}"#);
        let ok = |cond: &str| compile(cond).0.eval(&a);
        assert!(ok(r#"{"n": 16}"#));
        assert!(ok(r#"{"e": 0, "missing": 0}"#));
        assert!(ok(r#"{"arr": {"$gt": 4, "$lt": "6"}}"#));
        assert!(ok(r#"{"s": "12", "missing": "null", "t": "1,2"}"#));
        assert!(ok(r#"{"v": {"$veq": "3"}, "s": {"$vgt": "9.0.0"}}"#));
        assert!(ok(r#"{"t.length": 2, "t.1": 2, "t.01": null}"#));
        assert!(ok(r#"{"x": {"$regex": "^nul"}}"#));
        assert!(!ok(r#"{"t": {"$eq": [1, 2]}}"#));
        assert!(ok(r#"{"t": {"$ne": [1, 2]}}"#));
        assert_eq!(str_to_number(" 1e3 "), 1000.0);
        assert!(str_to_number("inf").is_nan() && str_to_number("1_0").is_nan());
        assert_eq!(str_to_number("-Infinity"), f64::NEG_INFINITY);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let mut cond = json(r#"{"a": 1}"#);
        for _ in 0..500 {
            cond = crate::core::value::obj([("$not", cond)]);
        }
        let mut errors = Vec::new();
        let c = Condition::compile(&cond, "", None, &LinearRegex, &mut errors);
        assert!(!c.is_valid() && errors.len() == 1);
    }

    #[test]
    fn always_true_and_value_lookups() {
        assert!(Condition::always_true().eval(&Value::Null));
        let v = json(r#"{"a": [{"b": 1}]}"#);
        assert_eq!(
            v.lookup(&AttrPath::new("a.0.b")).as_deref(),
            Some(&Value::Num(1.0))
        );
        assert_eq!(
            v.lookup(&AttrPath::new("a.length")).as_deref(),
            Some(&Value::Num(1.0))
        );
        assert!(v.lookup(&AttrPath::new("a.+0")).is_none());
        let m = v.as_object().unwrap();
        assert_eq!(
            m.lookup(&AttrPath::new("a.0.b")).as_deref(),
            Some(&Value::Num(1.0))
        );
    }
}
