//! Message templates: `{{path}}` placeholders compiled once at config time into a small
//! tree and rendered into **text segments**, never HTML. The browser layer inserts each
//! segment as a text node, so rendered text may legitimately contain `<`, `>`, `&` or
//! `</script>`: they are inert characters, not markup, and are deliberately not escaped.
//!
//! # Syntax (a Mustache-like subset)
//!
//! - `{{props.name}}`: a dotted path looked up in the context value (the decision
//!   context: `props`, `page`, `visitor`, `session`, `segment`, `variant`, host
//!   attributes). Names are letters, digits, `_`, `-` and `$`, separated by dots; a
//!   number selects a list item (`{{cart.items.0.name}}`). Whitespace inside the braces
//!   is ignored. Numbers print as JavaScript prints them (`3`, not `3.0`); lists print
//!   comma-separated; an object counts as missing (never `[object Object]`).
//! - `{{user.name|there}}`: the text after `|` (trimmed) is a literal default, used when
//!   the value is missing, `null` or an empty string. `{{x|}}` makes a value optional.
//! - `{{#cart.items}}{{name}} × {{qty}}{{/cart.items}}`: a section. Over a list it
//!   renders once per item; inside, a path resolves first against the current item, then
//!   outward (by its first name, as in Mustache); `{{.}}` is the item itself. Over a
//!   truthy non-list it renders once with that value in scope; over a falsy, missing or
//!   empty value it renders nothing. Sections nest at most [`MAX_DEPTH`] deep.
//! - `{{^cart.items}}Your cart is empty{{/cart.items}}`: an inverted section, rendered
//!   once exactly when the normal section would render nothing.
//! - `\{{` renders a literal `{{`. Triple braces (`{{{x}}}`) are an error: every value
//!   renders as text anyway.
//!
//! # Values are data, never syntax
//!
//! An inserted value is never parsed as a template (a value `{{x}}` renders as the four
//! characters plus `x`). Control characters other than `\n` and `\t` are removed, and so
//! are the explicit bidirectional embedding, override and isolate characters (U+202A to
//! U+202E, U+2066 to U+2069), so a value cannot reorder the text around it; right-to-left
//! letters, marks and zero-width characters are kept as the inert text they are. Each
//! value is capped at [`MAX_VALUE_CHARS`] characters and a whole rendering at
//! [`MAX_RENDER_CHARS`], cut on a character boundary with `…`.
//!
//! # Missing data
//!
//! A placeholder without a default whose value is missing, `null`, empty or an object is
//! *missing*. With [`MissingPolicy::Default`] it renders as empty text and its path is
//! reported in [`Rendered::missing`]; with [`MissingPolicy::Skip`] the whole rendering is
//! refused (`None`): "do not show at all" rather than "Hi ,". A section over missing data
//! is not missing: that is how a template says "only if".

use std::borrow::Cow;

use super::reader::{err, Errors};
use super::value::Value;

/// The longest template source accepted, in characters.
pub const MAX_SOURCE_CHARS: usize = 10_000;
/// How deep sections may nest.
pub const MAX_DEPTH: usize = 8;
/// The most characters one inserted value contributes (including the `…`).
pub const MAX_VALUE_CHARS: usize = 500;
/// The most characters one rendering produces (including the `…`).
pub const MAX_RENDER_CHARS: usize = 5_000;
/// The most nodes and list items one rendering visits, so nested sections over large
/// lists stay cheap; past it the rendering is cut like an over-long one.
pub const MAX_STEPS: usize = 10_000;

/// What to do with a placeholder whose value is missing and that has no default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MissingPolicy {
    /// Render it as empty text and report it in [`Rendered::missing`].
    #[default]
    Default,
    /// Refuse the whole rendering: the message is not shown.
    Skip,
}

/// One piece of rendered output. Only text today; an enum so richer segments (a live
/// countdown, say) can join without changing callers that match on `Text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// Plain text, to be inserted as a text node (never parsed as HTML).
    Text(String),
}

/// The result of rendering a template.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rendered {
    /// The output, with adjacent text merged; empty when the output is empty.
    pub segments: Vec<Segment>,
    /// Paths of placeholders that were missing and rendered as empty (first use order).
    pub missing: Vec<String>,
}

impl Rendered {
    /// All segments as one string.
    pub fn to_plain_string(&self) -> String {
        let mut s = String::new();
        for seg in &self.segments {
            match seg {
                Segment::Text(t) => s.push_str(t),
            }
        }
        s
    }
}

/// A compiled template. Build one with [`compile`].
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    nodes: Vec<Node>,
    paths: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
enum Node {
    Text(String),
    Var {
        path: Path,
        default: Option<String>,
    },
    Section {
        path: Path,
        inverted: bool,
        body: Vec<Node>,
    },
}

/// A dotted path; no names means `.` (the current item).
#[derive(Clone, Debug, PartialEq)]
struct Path {
    raw: String,
    names: Vec<String>,
}

/// Compiles `src`, or records one error (with the template's config `path` and a
/// 1-based character position) and returns `None`.
pub fn compile(src: &str, path: &str, errors: &mut Errors) -> Option<Template> {
    match parse(src) {
        Ok(t) => Some(t),
        Err(m) => {
            err(errors, path, m);
            None
        }
    }
}

struct Open {
    path: Path,
    inverted: bool,
    at: usize,
    parent: Vec<Node>,
}

fn parse(src: &str) -> Result<Template, String> {
    if src.len() > MAX_SOURCE_CHARS && src.chars().count() > MAX_SOURCE_CHARS {
        return Err(format!(
            "template is longer than {MAX_SOURCE_CHARS} characters"
        ));
    }
    let mut stack: Vec<Open> = Vec::new();
    let mut nodes: Vec<Node> = Vec::new();
    let mut paths: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut pos = 0;
    while let Some(rest) = src.get(pos..) {
        let Some(i) = super::find::find(rest, "{{") else {
            text.push_str(rest);
            break;
        };
        let start = pos + i;
        let before = rest.get(..i).unwrap_or_default();
        if let Some(lit) = before.strip_suffix('\\') {
            text.push_str(lit);
            text.push_str("{{");
            pos = start + 2;
            continue;
        }
        text.push_str(before);
        let at = char_pos(src, start);
        let after = src.get(start + 2..).unwrap_or_default();
        if after.starts_with('{') {
            return Err(format!(
                "\"{{{{{{\" at character {at}: triple braces are not supported; all values render as text"
            ));
        }
        let inner = match super::find::find(after, "}}") {
            Some(j) => after.get(..j).unwrap_or_default(),
            None => return Err(unclosed(at)),
        };
        if super::find::contains(inner, "{{") {
            return Err(unclosed(at));
        }
        pos = start + 2 + inner.len() + 2;
        if !text.is_empty() {
            nodes.push(Node::Text(std::mem::take(&mut text)));
        }
        let inner = inner.trim();
        let (sigil, body) = match inner.chars().next() {
            Some(c @ ('#' | '^' | '/')) => (c, inner.get(1..).unwrap_or_default().trim()),
            _ => (' ', inner),
        };
        match sigil {
            '#' | '^' => {
                if stack.len() >= MAX_DEPTH {
                    return Err(format!(
                        "sections nested more than {MAX_DEPTH} deep at character {at}"
                    ));
                }
                let path = parse_path(body, at)?;
                note(&mut paths, &path);
                stack.push(Open {
                    path,
                    inverted: sigil == '^',
                    at,
                    parent: std::mem::take(&mut nodes),
                });
            }
            '/' => {
                let path = parse_path(body, at)?;
                let Some(open) = stack.pop() else {
                    return Err(format!(
                        "\"{{{{/{}}}}}\" at character {at} closes no open section",
                        shorten(&path.raw)
                    ));
                };
                if open.path.raw != path.raw {
                    return Err(format!(
                        "\"{{{{/{}}}}}\" at character {at} does not close \"{{{{{}{}}}}}\" opened at character {}",
                        shorten(&path.raw),
                        if open.inverted { '^' } else { '#' },
                        shorten(&open.path.raw),
                        open.at
                    ));
                }
                let body = std::mem::replace(&mut nodes, open.parent);
                nodes.push(Node::Section {
                    path: open.path,
                    inverted: open.inverted,
                    body,
                });
            }
            _ => {
                let (p, default) = match body.split_once('|') {
                    Some((p, d)) => (p.trim(), Some(d.trim().to_string())),
                    None => (body, None),
                };
                let path = parse_path(p, at)?;
                note(&mut paths, &path);
                nodes.push(Node::Var { path, default });
            }
        }
    }
    if let Some(open) = stack.pop() {
        return Err(format!(
            "section \"{{{{{}{}}}}}\" opened at character {} is never closed",
            if open.inverted { '^' } else { '#' },
            shorten(&open.path.raw),
            open.at
        ));
    }
    if !text.is_empty() {
        nodes.push(Node::Text(text));
    }
    Ok(Template { nodes, paths })
}

fn unclosed(at: usize) -> String {
    format!("unclosed \"{{{{\" at character {at}")
}

/// 1-based character position of byte offset `byte`.
fn char_pos(src: &str, byte: usize) -> usize {
    src.get(..byte).map_or(0, |s| s.chars().count()) + 1
}

/// At most 40 characters of `s`, for quoting in messages.
fn shorten(s: &str) -> Cow<'_, str> {
    match s.char_indices().nth(40) {
        Some((i, _)) => Cow::Owned(format!("{}…", s.get(..i).unwrap_or_default())),
        None => Cow::Borrowed(s),
    }
}

fn note(paths: &mut Vec<String>, path: &Path) {
    if !path.names.is_empty() && !paths.contains(&path.raw) {
        paths.push(path.raw.clone());
    }
}

fn parse_path(raw: &str, at: usize) -> Result<Path, String> {
    if raw.is_empty() {
        return Err(format!("empty placeholder at character {at}"));
    }
    let mut names = Vec::new();
    if raw != "." {
        for name in raw.split('.') {
            if name.is_empty() {
                return Err(format!(
                    "empty name in path \"{}\" at character {at}",
                    shorten(raw)
                ));
            }
            if let Some(c) = name.chars().find(|c| {
                (c.is_control() || c.is_ascii())
                    && !c.is_ascii_alphanumeric()
                    && !matches!(c, '_' | '-' | '$')
            }) {
                let shown = if c.is_control() {
                    format!("U+{:04X}", u32::from(c))
                } else {
                    c.to_string()
                };
                return Err(format!(
                    "invalid character '{shown}' in path \"{}\" at character {at}; a path is names (letters, digits, _, - and $) separated by dots",
                    shorten(raw)
                ));
            }
            names.push(name.to_string());
        }
    }
    Ok(Path {
        raw: raw.into(),
        names,
    })
}

impl Template {
    /// The paths the template reads, once each in order of first use (sections
    /// included, `.` excluded). Paths inside a section are as written: relative to the
    /// section's item first, then to the outer scopes.
    pub fn paths(&self) -> &[String] {
        &self.paths
    }

    /// Renders against `ctx`. `None` only under [`MissingPolicy::Skip`] when a
    /// placeholder's value is missing.
    pub fn render(&self, ctx: &Value, policy: MissingPolicy) -> Option<Rendered> {
        let mut out = Out::new(policy, None);
        let mut scopes = vec![ctx];
        if !walk(&self.nodes, &mut scopes, &mut out) {
            return None;
        }
        let segments = if out.text.is_empty() {
            Vec::new()
        } else {
            vec![Segment::Text(out.text)]
        };
        Some(Rendered {
            segments,
            missing: out.missing,
        })
    }

    /// Renders for a URL: every substituted value (or default) goes through `encode`,
    /// literal text is kept, a missing value refuses the rendering, and so does output
    /// longer than [`MAX_RENDER_CHARS`] or a value longer than [`MAX_VALUE_CHARS`]
    /// (a cut URL would point somewhere else).
    pub(crate) fn render_encoded(&self, ctx: &Value, encode: fn(&str) -> String) -> Option<String> {
        let mut out = Out::new(MissingPolicy::Skip, Some(encode));
        let mut scopes = vec![ctx];
        if walk(&self.nodes, &mut scopes, &mut out) {
            Some(out.text)
        } else {
            None
        }
    }
}

struct Out {
    text: String,
    chars: usize,
    full: bool,
    steps: usize,
    missing: Vec<String>,
    policy: MissingPolicy,
    encode: Option<fn(&str) -> String>,
}

impl Out {
    fn new(policy: MissingPolicy, encode: Option<fn(&str) -> String>) -> Self {
        Out {
            text: String::new(),
            chars: 0,
            full: false,
            steps: 0,
            missing: Vec::new(),
            policy,
            encode,
        }
    }

    /// Counts one unit of work; false when the budget is spent (the output is then cut,
    /// or for a URL the rendering fails).
    fn step(&mut self) -> bool {
        self.steps += 1;
        if self.steps > MAX_STEPS && !self.full {
            self.cut();
        }
        !self.full
    }

    fn cut(&mut self) {
        if self.chars >= MAX_RENDER_CHARS {
            self.text.pop();
        }
        self.text.push('…');
        self.chars = (self.chars + 1).min(MAX_RENDER_CHARS);
        self.full = true;
    }

    /// Appends `s` (of `count` characters) within the total cap. Returns false when a
    /// URL rendering overflows.
    fn append(&mut self, s: &str, count: usize) -> bool {
        if self.full {
            return self.encode.is_none();
        }
        let room = MAX_RENDER_CHARS - self.chars;
        if count <= room {
            self.text.push_str(s);
            self.chars += count;
            return true;
        }
        if self.encode.is_some() {
            return false;
        }
        self.text.extend(s.chars().take(room.saturating_sub(1)));
        self.chars += room.saturating_sub(1);
        self.cut();
        true
    }

    fn literal(&mut self, s: &str) -> bool {
        self.append(s, s.chars().count())
    }

    fn value(&mut self, s: &str) -> bool {
        if let Some(encode) = self.encode {
            if s.chars().nth(MAX_VALUE_CHARS).is_some() {
                return false;
            }
            let e = encode(s);
            return self.append(&e, e.chars().count());
        }
        let mut kept = String::new();
        let mut n = 0;
        let mut over = false;
        for c in s.chars().filter(|&c| keep(c)) {
            if n == MAX_VALUE_CHARS {
                over = true;
                break;
            }
            kept.push(c);
            n += 1;
        }
        if over {
            kept.pop();
            kept.push('…');
        }
        self.append(&kept, n)
    }
}

/// Whether a character of a value survives into the output.
fn keep(c: char) -> bool {
    if c.is_control() {
        return matches!(c, '\n' | '\t');
    }
    !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Resolves a path against the scopes, innermost first, by its first name.
fn lookup<'v>(scopes: &[&'v Value], path: &Path) -> Option<&'v Value> {
    let Some((first, rest)) = path.names.split_first() else {
        return scopes.last().copied();
    };
    let found = scopes.iter().rev().find_map(|s| s.get(first))?;
    found.get_path(rest)
}

/// The text of a present value; `None` when it is missing, null, empty or an object.
fn text_of(v: Option<&Value>) -> Option<Cow<'_, str>> {
    let t = match v? {
        Value::Null | Value::Obj(_) => return None,
        Value::Str(s) => Cow::Borrowed(s.as_str()),
        other => Cow::Owned(other.to_text()),
    };
    (!t.is_empty()).then_some(t)
}

/// Whether a section over `v` renders its body (and an inverted one does not).
fn section_items(v: Option<&Value>) -> Option<&Value> {
    let v = v?;
    match v {
        Value::Arr(a) if a.is_empty() => None,
        Value::Arr(_) => Some(v),
        _ if v.truthy() => Some(v),
        _ => None,
    }
}

/// Renders `nodes`; false aborts the whole rendering (missing under Skip, URL overflow).
fn walk(nodes: &[Node], scopes: &mut Vec<&Value>, out: &mut Out) -> bool {
    for node in nodes {
        if !out.step() {
            return out.encode.is_none();
        }
        let ok = match node {
            Node::Text(t) => out.literal(t),
            Node::Var { path, default } => match (text_of(lookup(scopes, path)), default) {
                (Some(t), _) => out.value(&t),
                (None, Some(d)) => out.value(d),
                (None, None) => {
                    if out.policy == MissingPolicy::Skip {
                        return false;
                    }
                    if !out.missing.contains(&path.raw) {
                        out.missing.push(path.raw.clone());
                    }
                    true
                }
            },
            Node::Section {
                path,
                inverted,
                body,
            } => match (section_items(lookup(scopes, path)), *inverted) {
                (None, true) => walk(body, scopes, out),
                (Some(Value::Arr(items)), false) => {
                    let mut ok = true;
                    for item in items {
                        if !ok || !out.step() {
                            break;
                        }
                        scopes.push(item);
                        ok = walk(body, scopes, out);
                        scopes.pop();
                    }
                    ok && (out.encode.is_none() || !out.full)
                }
                (Some(v), false) => {
                    scopes.push(v);
                    let ok = walk(body, scopes, out);
                    scopes.pop();
                    ok
                }
                (Some(_), true) | (None, false) => true,
            },
        };
        if !ok {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(json: &str) -> Value {
        serde_json::from_str(json).unwrap()
    }

    fn t(src: &str) -> Template {
        let mut errors = Errors::new();
        let t = compile(src, "t", &mut errors);
        assert!(errors.is_empty(), "{src}: {errors:?}");
        t.unwrap()
    }

    fn r(src: &str, c: &str) -> String {
        t(src)
            .render(&ctx(c), MissingPolicy::Default)
            .unwrap()
            .to_plain_string()
    }

    fn compile_err(src: &str) -> String {
        let mut errors = Errors::new();
        assert!(
            compile(src, "rules[0].action.body", &mut errors).is_none(),
            "{src}"
        );
        assert_eq!(errors.len(), 1);
        errors[0].to_string()
    }

    #[test]
    fn plain_text_and_paths() {
        assert_eq!(r("Hello", "{}"), "Hello");
        assert_eq!(r("", "{}"), "");
        assert_eq!(
            r("Hi {{props.name}}!", r#"{"props":{"name":"Ada"}}"#),
            "Hi Ada!"
        );
        assert_eq!(r("{{ props.name }}", r#"{"props":{"name":"Ada"}}"#), "Ada");
        assert_eq!(r("{{a.0.b}}", r#"{"a":[{"b":"x"}]}"#), "x");
        assert_eq!(
            r("{{$x}}-{{a_b}}-{{c-d}}", r#"{"$x":1,"a_b":2,"c-d":3}"#),
            "1-2-3"
        );
        assert_eq!(r("{{prénom}}", r#"{"prénom":"Zoé"}"#), "Zoé");
    }

    #[test]
    fn numbers_and_scalars_print_like_javascript() {
        let c = r#"{"n":3.0,"f":0.5,"neg":-42,"b":true,"f2":false,"z":0,"l":[1,"a",2.5]}"#;
        assert_eq!(
            r("{{n}} {{f}} {{neg}} {{b}} {{f2}} {{z}} {{l}}", c),
            "3 0.5 -42 true false 0 1,a,2.5"
        );
    }

    #[test]
    fn defaults_apply_to_missing_null_and_empty() {
        let c = r#"{"user":{"name":"","nick":null,"id":0,"o":{}}}"#;
        assert_eq!(r("Hi {{user.name|there}}", c), "Hi there");
        assert_eq!(r("Hi {{user.nick|there}}", c), "Hi there");
        assert_eq!(r("Hi {{user.zzz|there}}", c), "Hi there");
        assert_eq!(r("Hi {{nope.deeper|there}}", c), "Hi there");
        assert_eq!(r("Hi {{ user.name | dear friend }}", c), "Hi dear friend");
        assert_eq!(r("[{{user.zzz|}}]", c), "[]");
        assert_eq!(r("{{user.o|no object}}", c), "no object");
        // 0 and false are values, not missing.
        assert_eq!(r("{{user.id|none}}", c), "0");
        // A default may contain further pipes and text that looks like a path.
        assert_eq!(r("{{x|a|b.c}}", "{}"), "a|b.c");
        let t = t("{{user.name|there}}");
        let out = t.render(&ctx(c), MissingPolicy::Skip).unwrap();
        assert!(out.missing.is_empty());
    }

    #[test]
    fn missing_policy_default_reports_and_skip_refuses() {
        let t = t("Hi {{user.name}}, {{user.name}} {{a}}{{#s}}{{b}}{{/s}}");
        let out = t
            .render(&ctx(r#"{"s":true}"#), MissingPolicy::Default)
            .unwrap();
        assert_eq!(out.to_plain_string(), "Hi ,  ");
        assert_eq!(out.missing, vec!["user.name", "a", "b"]);
        assert_eq!(t.render(&ctx("{}"), MissingPolicy::Skip), None);
        assert_eq!(
            t.render(&ctx(r#"{"user":{"name":""},"a":1}"#), MissingPolicy::Skip),
            None
        );
        let ok = t
            .render(
                &ctx(r#"{"user":{"name":"Ada"},"a":1}"#),
                MissingPolicy::Skip,
            )
            .unwrap();
        assert_eq!(ok.to_plain_string(), "Hi Ada, Ada 1");
        assert!(ok.missing.is_empty());
        // A missing section is a condition, not missing data.
        assert!(t
            .render(
                &ctx(r#"{"user":{"name":"A"},"a":1,"s":false}"#),
                MissingPolicy::Skip
            )
            .is_some());
    }

    #[test]
    fn sections_over_lists() {
        let c = r#"{"cart":{"items":[{"name":"Tea","qty":2},{"name":"Cup","qty":1}]},"cur":"€"}"#;
        assert_eq!(
            r(
                "{{#cart.items}}{{name}} × {{qty}}{{cur}}; {{/cart.items}}",
                c
            ),
            "Tea × 2€; Cup × 1€; "
        );
        assert_eq!(
            r("{{#l}}<{{.}}>{{/l}}", r#"{"l":["a",1,true]}"#),
            "<a><1><true>"
        );
        // Inner names shadow outer ones; a first name found resolves there only.
        assert_eq!(
            r(
                "{{#a}}{{x}}{{b.c|none}}{{/a}}",
                r#"{"x":"outer","b":{"c":"o"},"a":[{"x":"in","b":{}}]}"#
            ),
            "innone"
        );
        // `.` outside a section is the whole context.
        assert_eq!(r("{{.}}", r#""s""#), "s");
    }

    #[test]
    fn nested_sections() {
        let c = r#"{"orders":[{"id":1,"lines":[{"sku":"a"},{"sku":"b"}]},{"id":2,"lines":[]}],"sep":"/"}"#;
        assert_eq!(
            r("{{#orders}}#{{id}}:{{#lines}}{{sku}}{{sep}}{{/lines}}{{^lines}}none{{/lines}} {{/orders}}", c),
            "#1:a/b/ #2:none "
        );
        assert_eq!(
            r(
                "{{#a}}{{#b}}{{#c}}deep{{/c}}{{/b}}{{/a}}",
                r#"{"a":{"b":{"c":1}}}"#
            ),
            "deep"
        );
    }

    #[test]
    fn sections_over_truthy_falsy_and_missing() {
        assert_eq!(
            r("{{#u}}Hi {{name}}{{/u}}", r#"{"u":{"name":"Ada"}}"#),
            "Hi Ada"
        );
        assert_eq!(
            r("{{#vip}}VIP {{.}}{{/vip}}", r#"{"vip":"gold"}"#),
            "VIP gold"
        );
        assert_eq!(r("{{#vip}}VIP{{/vip}}", r#"{"vip":true}"#), "VIP");
        for falsy in [
            r#"{"vip":false}"#,
            r#"{"vip":0}"#,
            r#"{"vip":""}"#,
            r#"{"vip":null}"#,
            r#"{"vip":[]}"#,
            "{}",
        ] {
            assert_eq!(r("{{#vip}}VIP{{/vip}}", falsy), "", "{falsy}");
            assert_eq!(r("{{^vip}}none{{/vip}}", falsy), "none", "{falsy}");
        }
        assert_eq!(r("{{^vip}}none{{/vip}}", r#"{"vip":[0]}"#), "");
        assert_eq!(r("{{^vip}}none{{/vip}}", r#"{"vip":{}}"#), "");
        assert_eq!(
            r(
                "{{^cart.items}}Your cart is empty{{/cart.items}}",
                r#"{"cart":{"items":[]}}"#
            ),
            "Your cart is empty"
        );
    }

    #[test]
    fn escaped_braces() {
        assert_eq!(
            r("\\{{name}} is {{name}}", r#"{"name":"x"}"#),
            "{{name}} is x"
        );
        assert_eq!(r("a\\{{", "{}"), "a{{");
        assert_eq!(r("}} and } stay", "{}"), "}} and } stay");
        assert_eq!(r("{{a}}}", r#"{"a":1}"#), "1}");
        assert_eq!(r("a \\ b", "{}"), "a \\ b");
    }

    #[test]
    fn values_are_inert_text() {
        let c = r#"{"x":"<img src=x onerror=alert(1)>","s":"</script><script>alert(1)</script>",
                   "t":"{{secret}} {{#a}}x{{/a}} \\{{ {{{y}}}","secret":"LEAK"}"#;
        assert_eq!(r("{{x}}", c), "<img src=x onerror=alert(1)>");
        assert_eq!(r("{{s}}", c), "</script><script>alert(1)</script>");
        assert_eq!(r("{{t}}", c), "{{secret}} {{#a}}x{{/a}} \\{{ {{{y}}}");
        // Defaults are literal too.
        assert_eq!(r("{{nope|{secret}}}", c), "{secret}");
    }

    #[test]
    fn control_bidi_and_zero_width_characters() {
        let c = serde_json::json!({
            "ctl": "a\u{0}b\u{1b}[31mc\rd\u{7f}e\u{85}f\nline\ttab",
            "rtl": "\u{202E}gnp.exe\u{202C} \u{2066}x\u{2069}",
            "hebrew": "שלום",
            "zw": "a\u{200B}b\u{200D}c\u{200E}d\u{FEFF}",
            "emoji": "👩\u{200D}💻",
        });
        let c: Value = serde_json::from_value(c).unwrap();
        let render = |s: &str| {
            t(s).render(&c, MissingPolicy::Default)
                .unwrap()
                .to_plain_string()
        };
        assert_eq!(render("{{ctl}}"), "ab[31mcdef\nline\ttab");
        assert_eq!(render("{{rtl}}"), "gnp.exe x");
        assert_eq!(render("{{hebrew}}!"), "שלום!");
        assert_eq!(render("{{zw}}"), "a\u{200B}b\u{200D}c\u{200E}d\u{FEFF}");
        assert_eq!(render("{{emoji}}"), "👩\u{200D}💻");
        // Template text itself is the author's and is kept as written.
        assert_eq!(render("\u{202E}lit"), "\u{202E}lit");
    }

    #[test]
    fn long_values_are_capped() {
        let big = "é".repeat(1_000_000);
        let c = Value::Obj(crate::core::value::Map(vec![("v".into(), Value::Str(big))]));
        let out = t("[{{v}}]")
            .render(&c, MissingPolicy::Default)
            .unwrap()
            .to_plain_string();
        assert_eq!(out.chars().count(), MAX_VALUE_CHARS + 2);
        assert!(out.ends_with("é…]"));
        // Exactly at the cap: no ellipsis.
        let c = Value::Obj(crate::core::value::Map(vec![(
            "v".into(),
            Value::Str("x".repeat(MAX_VALUE_CHARS)),
        )]));
        let out = t("{{v}}")
            .render(&c, MissingPolicy::Default)
            .unwrap()
            .to_plain_string();
        assert_eq!(out, "x".repeat(MAX_VALUE_CHARS));
        // Control characters do not count against the cap.
        let c = Value::Obj(crate::core::value::Map(vec![(
            "v".into(),
            Value::Str("\u{1}x".repeat(MAX_VALUE_CHARS)),
        )]));
        let out = t("{{v}}")
            .render(&c, MissingPolicy::Default)
            .unwrap()
            .to_plain_string();
        assert_eq!(out, "x".repeat(MAX_VALUE_CHARS));
    }

    #[test]
    fn whole_rendering_is_capped() {
        let items: Vec<Value> = (0..100).map(|_| Value::Str("y".repeat(400))).collect();
        let c = Value::Obj(crate::core::value::Map(vec![(
            "l".into(),
            Value::Arr(items),
        )]));
        let out = t("start {{#l}}{{.}}{{/l}} end")
            .render(&c, MissingPolicy::Default)
            .unwrap();
        let s = out.to_plain_string();
        assert_eq!(s.chars().count(), MAX_RENDER_CHARS);
        assert!(s.starts_with("start y") && s.ends_with("y…"));
        // Literal text counts too, cut on a character boundary.
        let src = "ü".repeat(MAX_SOURCE_CHARS);
        let s = t(&src)
            .render(&Value::Null, MissingPolicy::Default)
            .unwrap()
            .to_plain_string();
        assert_eq!(s.chars().count(), MAX_RENDER_CHARS);
        assert!(s.ends_with("ü…"));
        // Exactly full, then more: the last character becomes the ellipsis.
        let src = format!("{}{{{{#l}}}}z{{{{/l}}}}", "a".repeat(MAX_RENDER_CHARS));
        let s = t(&src)
            .render(&ctx(r#"{"l":[1]}"#), MissingPolicy::Default)
            .unwrap()
            .to_plain_string();
        assert_eq!(s.chars().count(), MAX_RENDER_CHARS);
        assert!(s.ends_with("a…"));
    }

    #[test]
    fn nested_sections_over_big_lists_are_bounded() {
        let l: Vec<Value> = (0..1000).map(|i| Value::Num(i as f64)).collect();
        let c = Value::Obj(crate::core::value::Map(vec![("a".into(), Value::Arr(l))]));
        let src = "{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}";
        let out = t(src).render(&c, MissingPolicy::Default).unwrap();
        assert_eq!(out.to_plain_string(), "…");
        let src = "{{#a}}{{#a}}{{.}}{{/a}}{{/a}}";
        let s = t(src)
            .render(&c, MissingPolicy::Default)
            .unwrap()
            .to_plain_string();
        assert!(s.chars().count() <= MAX_RENDER_CHARS && s.ends_with('…'));
    }

    #[test]
    fn segments_and_plain_string() {
        let out = t("a{{x}}b")
            .render(&ctx(r#"{"x":"-"}"#), MissingPolicy::Default)
            .unwrap();
        assert_eq!(out.segments, vec![Segment::Text("a-b".into())]);
        let out = t("{{x}}")
            .render(&ctx("{}"), MissingPolicy::Default)
            .unwrap();
        assert!(out.segments.is_empty());
        assert_eq!(out.to_plain_string(), "");
    }

    #[test]
    fn paths_are_listed_once_in_order() {
        let t = t("{{a.b}} {{#items}}{{name}}{{.}}{{a.b}}{{/items}}{{^empty}}{{/empty}}{{x|d}}");
        assert_eq!(t.paths(), ["a.b", "items", "name", "empty", "x"]);
    }

    #[test]
    fn compile_errors_name_path_and_position() {
        assert_eq!(
            compile_err("Hello there {{name"),
            "rules[0].action.body: unclosed \"{{\" at character 13"
        );
        assert_eq!(
            compile_err("ab{{x {{y}}"),
            "rules[0].action.body: unclosed \"{{\" at character 3"
        );
        assert_eq!(
            compile_err("é{{{x}}}"),
            "rules[0].action.body: \"{{{\" at character 2: triple braces are not supported; all values render as text"
        );
        assert_eq!(
            compile_err("a{{}}"),
            "rules[0].action.body: empty placeholder at character 2"
        );
        assert_eq!(
            compile_err("a{{  }}"),
            "rules[0].action.body: empty placeholder at character 2"
        );
        assert_eq!(
            compile_err("{{#}}x{{/}}"),
            "rules[0].action.body: empty placeholder at character 1"
        );
        assert_eq!(
            compile_err("{{|x}}"),
            "rules[0].action.body: empty placeholder at character 1"
        );
        assert_eq!(
            compile_err("{{a..b}}"),
            "rules[0].action.body: empty name in path \"a..b\" at character 1"
        );
        assert_eq!(
            compile_err("{{.a}}"),
            "rules[0].action.body: empty name in path \".a\" at character 1"
        );
        assert_eq!(
            compile_err("x {{a b}}"),
            "rules[0].action.body: invalid character ' ' in path \"a b\" at character 3; a path is names (letters, digits, _, - and $) separated by dots"
        );
        assert!(
            compile_err("{{&x}}").contains("invalid character '&' in path \"&x\" at character 1")
        );
        assert!(compile_err("{{!comment}}").contains("invalid character '!'"));
        assert!(compile_err("{{>partial}}").contains("invalid character '>'"));
        assert!(compile_err("{{#a|x}}{{/a}}").contains("invalid character '|' in path \"a|x\""));
        assert!(compile_err("{{a\u{1}}}").contains("invalid character 'U+0001'"));
        assert_eq!(
            compile_err("ok {{/a}}"),
            "rules[0].action.body: \"{{/a}}\" at character 4 closes no open section"
        );
        assert_eq!(
            compile_err("{{#a}}{{^b}}x{{/a}}{{/b}}"),
            "rules[0].action.body: \"{{/a}}\" at character 14 does not close \"{{^b}}\" opened at character 7"
        );
        assert_eq!(
            compile_err("x{{#items}}{{name}}"),
            "rules[0].action.body: section \"{{#items}}\" opened at character 2 is never closed"
        );
        assert_eq!(
            compile_err("{{^a}}"),
            "rules[0].action.body: section \"{{^a}}\" opened at character 1 is never closed"
        );
        let long = "x".repeat(60);
        assert!(compile_err(&format!("{{{{#{long}}}}}"))
            .contains(&format!("\"{{{{#{}…}}}}\"", &long[..40])));
    }

    #[test]
    fn depth_and_length_limits() {
        let ok = format!(
            "{}x{}",
            "{{#a}}".repeat(MAX_DEPTH),
            "{{/a}}".repeat(MAX_DEPTH)
        );
        t(&ok);
        let deep = format!(
            "{}x{}",
            "{{#a}}".repeat(MAX_DEPTH + 1),
            "{{/a}}".repeat(MAX_DEPTH + 1)
        );
        assert_eq!(
            compile_err(&deep),
            "rules[0].action.body: sections nested more than 8 deep at character 49"
        );
        t(&"é".repeat(MAX_SOURCE_CHARS));
        assert_eq!(
            compile_err(&"x".repeat(MAX_SOURCE_CHARS + 1)),
            "rules[0].action.body: template is longer than 10000 characters"
        );
    }

    #[test]
    fn url_mode_encodes_values_and_refuses_overflow() {
        let enc: fn(&str) -> String = |s| s.replace(' ', "+");
        let t1 = t("/s?q={{q}}&d={{d|a b}}");
        assert_eq!(
            t1.render_encoded(&ctx(r#"{"q":"x y"}"#), enc).as_deref(),
            Some("/s?q=x+y&d=a+b")
        );
        assert_eq!(t("/s?q={{q}}").render_encoded(&ctx("{}"), enc), None);
        let c = Value::Obj(crate::core::value::Map(vec![(
            "q".into(),
            Value::Str("y".repeat(MAX_VALUE_CHARS + 1)),
        )]));
        assert_eq!(t("/s?q={{q}}").render_encoded(&c, enc), None);
        let items: Vec<Value> = (0..20).map(|_| Value::Str("y".repeat(400))).collect();
        let c = Value::Obj(crate::core::value::Map(vec![(
            "l".into(),
            Value::Arr(items),
        )]));
        assert_eq!(t("/{{#l}}{{.}}{{/l}}").render_encoded(&c, enc), None);
    }
}
