//! What a rule does when it is shown: a message (modal, banner, toast, slide-in or
//! inline) with personalised text, a call into the host's code, a webhook, a
//! `dataLayer` push. Compiled once from the config (templates, links and webhook URLs
//! checked), and rendered here into plain text for the browser layer — never HTML.

use super::reader::{err, index, join, Errors, Obj};
use super::template::{compile as compile_template, MissingPolicy, Template};
use super::url::{check_webhook, compile_link, render_url, strip_query};
use super::value::{obj, Map, Value};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Format {
    Modal,
    Banner,
    Toast,
    SlideIn,
    Inline,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Modal => "modal",
            Format::Banner => "banner",
            Format::Toast => "toast",
            Format::SlideIn => "slidein",
            Format::Inline => "inline",
        }
    }
}

/// What a button does.
#[derive(Clone, Debug, PartialEq)]
pub enum Do {
    /// Follow a link (validated: http(s) or relative; substituted values percent-encoded).
    Link(Template),
    /// Call a host action registered at init.
    Host(String),
    Dismiss,
    /// "Remind me later" for this long.
    Snooze(u64),
    /// "Don't show this again".
    OptOut,
    /// Close without an outcome.
    Close,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Button {
    pub label: Template,
    pub action: Do,
    pub primary: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Countdown {
    /// Length of the offer from the moment it is shown (ms).
    pub duration: u64,
    /// Text around the remaining time, e.g. "Expires in {{time}}".
    pub text: Template,
    /// What to show when it reaches zero; `None` hides the message.
    pub ended: Option<Template>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct List {
    /// Path of the list in the context, e.g. `cart.items`.
    pub path: Vec<String>,
    /// Text per item, with the item's fields in scope (`{{name}} × {{qty}}`).
    pub item: Template,
    pub max: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Display {
    pub format: Format,
    pub title: Option<Template>,
    pub body: Option<Template>,
    pub image: Option<(Template, Template)>,
    pub list: Option<List>,
    pub countdown: Option<Countdown>,
    pub buttons: Vec<Button>,
    /// banner: top|bottom; toast/slide-in: top-left|top-right|bottom-left|bottom-right.
    pub position: String,
    /// For inline messages: the host element (CSS selector) to render into.
    pub target: Option<String>,
    /// CSS custom properties (`--ck-accent` …) from `theme`.
    pub theme: Vec<(String, String)>,
    /// Missing data: use defaults, or do not show at all.
    pub missing: MissingPolicy,
    /// Hide automatically after this long (toasts; 0 = never).
    pub auto_hide: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Webhook {
    pub url: String,
    /// Context paths the payload may carry (an explicit allow-list).
    pub fields: Vec<Vec<String>>,
    /// Keep query strings in URLs carried by the payload.
    pub keep_query: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Action {
    pub display: Option<Display>,
    /// A host action to call when the rule is shown (`type: "host"`, or alongside a message).
    pub host: Option<String>,
    pub webhook: Option<Webhook>,
}

/// A message rendered for one decision: text only, ready for text nodes.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub format: Format,
    pub title: Option<String>,
    pub body: Option<String>,
    /// (url, alt)
    pub image: Option<(String, String)>,
    pub list: Vec<String>,
    /// (ends at, text before the time, text after the time, text once ended)
    pub countdown: Option<(u64, String, String, Option<String>)>,
    /// (label, what it does, resolved link for `Link`)
    pub buttons: Vec<(String, Do, Option<String>, bool)>,
    pub position: String,
    pub target: Option<String>,
    pub theme: Vec<(String, String)>,
    pub auto_hide: u64,
}

const TYPES: &[&str] = &[
    "modal", "banner", "toast", "slidein", "inline", "host", "webhook", "none",
];
const POSITIONS: &[&str] = &[
    "top",
    "bottom",
    "top-left",
    "top-right",
    "bottom-left",
    "bottom-right",
    "center",
];
/// Marks where the countdown's time goes while its text is rendered.
const TIME_MARK: &str = "\u{E000}";
const TIME_MARK_2: &str = "\u{E001}";

fn template(o: &mut Obj, key: &'static str, errors: &mut Errors) -> Option<Template> {
    let path = o.at(key);
    let src = o.string(key, errors)?;
    compile_template(src, &path, errors)
}

/// Compiles a rule's `action`. `host_actions` is not known at config time: host action
/// names are checked when the SDK starts.
pub fn compile(v: Option<&Value>, path: &str, errors: &mut Errors) -> Action {
    let mut action = Action::default();
    let Some(v) = v else { return action };
    let Some(mut o) = Obj::new(v, path, errors) else {
        return action;
    };
    let tp = o.at("type");
    let kind = match o.string("type", errors) {
        Some(t) if TYPES.contains(&t) => t,
        Some(t) => {
            let hint = super::reader::did_you_mean(t, TYPES)
                .map(|s| format!(" (did you mean \"{s}\"?)"))
                .unwrap_or_default();
            err(errors, &tp, format!("unknown action type \"{t}\"{hint}"));
            // Other fields cannot be judged without a type.
            return action;
        }
        None => "none",
    };
    let format = match kind {
        "modal" => Some(Format::Modal),
        "banner" => Some(Format::Banner),
        "toast" => Some(Format::Toast),
        "slidein" => Some(Format::SlideIn),
        "inline" => Some(Format::Inline),
        _ => None,
    };
    action.host = o.string("host", errors).map(String::from);
    if kind == "host" && action.host.is_none() {
        err(
            errors,
            &o.at("host"),
            "required for type \"host\": the name of the host action to call",
        );
    }
    let wp = o.at("webhook");
    if let Some(w) = o.get("webhook") {
        action.webhook = webhook(w, &wp, errors);
    } else if kind == "webhook" {
        err(
            errors,
            &wp,
            "required for type \"webhook\": the URL to send to",
        );
    }
    if let Some(format) = format {
        let title = template(&mut o, "title", errors);
        let body = template(&mut o, "body", errors);
        if title.is_none() && body.is_none() && !o.has("title") && !o.has("body") {
            err(errors, &o.at("body"), "a message needs a title or a body");
        }
        let image = o.get("image").and_then(|iv| {
            let ip = join(path, "image");
            let mut io = Obj::new(iv, &ip, errors)?;
            let src = io.string("src", errors);
            let src = src.and_then(|s| compile_link(s, &io.at("src"), errors));
            let alt = template(&mut io, "alt", errors);
            if !io.has("alt") {
                err(
                    errors,
                    &io.at("alt"),
                    "required: text describing the image (\"\" if decorative)",
                );
            }
            io.finish(errors);
            Some((src?, alt?))
        });
        let list = o.get("list").and_then(|lv| {
            let lp = join(path, "list");
            let mut lo = Obj::new(lv, &lp, errors)?;
            let items = lo
                .string("items", errors)
                .map(|p| p.split('.').map(String::from).collect());
            if !lo.has("items") {
                err(
                    errors,
                    &lo.at("items"),
                    "required: the path of the list, e.g. \"cart.items\"",
                );
            }
            let item = template(&mut lo, "item", errors);
            let max = lo.whole("max", 1.0, 50.0, errors).unwrap_or(10.0) as usize;
            lo.finish(errors);
            Some(List {
                path: items?,
                item: item?,
                max,
            })
        });
        let countdown = o.get("countdown").and_then(|cv| {
            let cp = join(path, "countdown");
            let mut co = Obj::new(cv, &cp, errors)?;
            let duration = co.duration("for", errors);
            if !co.has("for") {
                err(
                    errors,
                    &co.at("for"),
                    "required: how long the offer lasts, e.g. \"10m\"",
                );
            }
            let text = if co.has("text") {
                template(&mut co, "text", errors)
            } else {
                compile_template("Ends in {{time}}", &co.at("text"), errors)
            };
            let ended = template(&mut co, "ended", errors);
            co.finish(errors);
            Some(Countdown {
                duration: duration?,
                text: text?,
                ended,
            })
        });
        let mut buttons = Vec::new();
        let bp = o.at("buttons");
        match o.get("buttons") {
            None => {}
            Some(Value::Arr(list)) => {
                if list.len() > 4 {
                    err(errors, &bp, "at most 4 buttons");
                }
                for (i, b) in list.iter().enumerate().take(4) {
                    if let Some(btn) = button(b, &index(&bp, i), errors) {
                        buttons.push(btn);
                    }
                }
            }
            Some(_) => err(errors, &bp, "expected a list of buttons"),
        }
        let pp = o.at("position");
        let position = match o.string("position", errors) {
            Some(p) if POSITIONS.contains(&p) => p.to_string(),
            Some(p) => {
                err(
                    errors,
                    &pp,
                    format!(
                        "unknown position \"{p}\"; expected one of: {}",
                        super::find::join(POSITIONS, ", ")
                    ),
                );
                String::new()
            }
            None => match format {
                Format::Banner => "bottom".into(),
                Format::Toast | Format::SlideIn => "bottom-right".into(),
                _ => "center".into(),
            },
        };
        let target = o.string("target", errors).map(String::from);
        if format == Format::Inline && target.is_none() {
            err(
                errors,
                &o.at("target"),
                "required for inline messages: a CSS selector of the host element",
            );
        }
        let mut theme = Vec::new();
        if let Some(tv) = o.get("theme") {
            let thp = join(path, "theme");
            if let Some(to) = Obj::new(tv, &thp, errors) {
                for (k, val) in to.map.iter() {
                    let kp = join(&thp, k);
                    let valid_key = !k.is_empty()
                        && k.len() <= 40
                        && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
                    match val {
                        Value::Str(s)
                            if valid_key
                                && s.len() <= 200
                                && !s.contains([';', '{', '}', '<', '\\']) =>
                        {
                            theme.push((format!("--ck-{k}"), s.clone()));
                        }
                        Value::Num(n) if valid_key => {
                            theme.push((format!("--ck-{k}"), super::value::num_to_string(*n)))
                        }
                        _ => err(
                            errors,
                            &kp,
                            "expected a CSS value (no ';', '{', '}', '<' or '\\')",
                        ),
                    }
                }
            }
        }
        let mp = o.at("missing");
        let missing = match o.string("missing", errors) {
            None | Some("default") => MissingPolicy::Default,
            Some("skip") => MissingPolicy::Skip,
            Some(_) => {
                err(
                    errors,
                    &mp,
                    "expected \"default\" (show with defaults) or \"skip\" (do not show)",
                );
                MissingPolicy::Default
            }
        };
        let auto_hide = o.duration("autoHide", errors).unwrap_or(0);
        action.display = Some(Display {
            format,
            title,
            body,
            image,
            list,
            countdown,
            buttons,
            position,
            target,
            theme,
            missing,
            auto_hide,
        });
    }
    o.finish(errors);
    action
}

fn button(v: &Value, path: &str, errors: &mut Errors) -> Option<Button> {
    let mut o = Obj::new(v, path, errors)?;
    let label = template(&mut o, "label", errors);
    if !o.has("label") {
        err(errors, &o.at("label"), "required: the button's text");
    }
    let dp = o.at("do");
    let action = match o.string("do", errors) {
        Some("link") => {
            let hp = o.at("href");
            match o.string("href", errors) {
                Some(h) => compile_link(h, &hp, errors).map(Do::Link),
                None => {
                    err(errors, &hp, "required for a link button");
                    None
                }
            }
        }
        Some("host") => {
            let name = o.string("name", errors).map(|n| Do::Host(n.into()));
            if name.is_none() {
                err(errors, &o.at("name"), "required: the host action to call");
            }
            name
        }
        Some("dismiss") => Some(Do::Dismiss),
        Some("snooze") => {
            let d = o.duration("for", errors).unwrap_or(86_400_000);
            Some(Do::Snooze(d))
        }
        Some("optout") => Some(Do::OptOut),
        Some("close") => Some(Do::Close),
        Some(other) => {
            err(
                errors,
                &dp,
                format!(
                    "unknown \"{other}\"; expected link, host, dismiss, snooze, optout or close"
                ),
            );
            None
        }
        None => {
            err(errors, &dp, "required: what the button does");
            None
        }
    };
    let primary = o.boolean("primary", errors).unwrap_or(false);
    o.finish(errors);
    Some(Button {
        label: label?,
        action: action?,
        primary,
    })
}

/// Reads a webhook: a URL, or `{url, fields, keepQuery}`.
pub fn webhook(v: &Value, path: &str, errors: &mut Errors) -> Option<Webhook> {
    let (url, fields, keep_query) = match v {
        Value::Str(u) => (Some(u.as_str()), Vec::new(), false),
        _ => {
            let mut o = Obj::new(v, path, errors)?;
            let url = o.string("url", errors);
            if !o.has("url") {
                err(errors, &o.at("url"), "required: where to send");
            }
            let fp = o.at("fields");
            let fields = match o.get("fields") {
                None => Vec::new(),
                Some(Value::Arr(list)) => list
                    .iter()
                    .enumerate()
                    .filter_map(|(i, f)| match f.as_str() {
                        Some(s) if !s.is_empty() => Some(s.split('.').map(String::from).collect()),
                        _ => {
                            err(
                                errors,
                                &index(&fp, i),
                                "expected a context path such as \"props.sku\"",
                            );
                            None
                        }
                    })
                    .collect(),
                Some(_) => {
                    err(errors, &fp, "expected a list of context paths");
                    Vec::new()
                }
            };
            let keep = o.boolean("keepQuery", errors).unwrap_or(false);
            o.finish(errors);
            (url, fields, keep)
        }
    };
    let url = url?;
    let url_path = if matches!(v, Value::Str(_)) {
        path.to_string()
    } else {
        join(path, "url")
    };
    if let Err(m) = check_webhook(url) {
        err(errors, &url_path, m);
        return None;
    }
    Some(Webhook {
        url: url.into(),
        fields,
        keep_query,
    })
}

fn text(t: &Option<Template>, ctx: &Value, policy: MissingPolicy) -> Result<Option<String>, ()> {
    match t {
        None => Ok(None),
        Some(t) => t
            .render(ctx, policy)
            .map(|r| Some(r.to_plain_string()))
            .ok_or(()),
    }
}

/// Renders a message for a decision context at `now`. `None` when the missing-data
/// policy says not to show it.
pub fn render(d: &Display, ctx: &Value, now: u64) -> Option<Message> {
    let policy = d.missing;
    let title = text(&d.title, ctx, policy).ok()?;
    let body = text(&d.body, ctx, policy).ok()?;
    let image = match &d.image {
        None => None,
        Some((src, alt)) => {
            let url = render_url(src, ctx)?;
            let alt = alt.render(ctx, policy)?.to_plain_string();
            Some((url, alt))
        }
    };
    let mut list = Vec::new();
    if let Some(l) = &d.list {
        if let Some(Value::Arr(items)) = ctx.get_path(&l.path) {
            for item in items.iter().take(l.max) {
                // Item fields first, then the whole context.
                let mut scope = match ctx {
                    Value::Obj(m) => m.clone(),
                    _ => Map::new(),
                };
                if let Value::Obj(fields) = item {
                    for (k, v) in fields.iter() {
                        scope.insert(k, v.clone());
                    }
                }
                scope.insert("item", item.clone());
                list.push(l.item.render(&Value::Obj(scope), policy)?.to_plain_string());
            }
        }
        if list.is_empty() && policy == MissingPolicy::Skip {
            return None;
        }
    }
    let countdown = match &d.countdown {
        None => None,
        Some(c) => {
            let mut scope = match ctx {
                Value::Obj(m) => m.clone(),
                _ => Map::new(),
            };
            scope.insert("time", Value::Str(TIME_MARK.into()));
            let t = c
                .text
                .render(&Value::Obj(scope.clone()), policy)?
                .to_plain_string();
            // The time goes where the two renderings differ: a value that itself holds
            // the mark character cannot move it.
            scope.insert("time", Value::Str(TIME_MARK_2.into()));
            let t2 = c.text.render(&Value::Obj(scope), policy)?.to_plain_string();
            let at = t
                .char_indices()
                .zip(t2.chars())
                .find(|((_, a), b)| a != b)
                .map(|((i, _), _)| i);
            let (before, after) = match at {
                Some(i) => (
                    t.get(..i).unwrap_or(""),
                    t.get(i + TIME_MARK.len()..).unwrap_or(""),
                ),
                None => (t.as_str(), ""),
            };
            let ended = match &c.ended {
                None => None,
                Some(e) => Some(e.render(ctx, policy)?.to_plain_string()),
            };
            Some((
                now.saturating_add(c.duration),
                before.to_string(),
                after.to_string(),
                ended,
            ))
        }
    };
    let mut buttons = Vec::new();
    for b in &d.buttons {
        let label = b.label.render(ctx, policy)?.to_plain_string();
        let link = match &b.action {
            Do::Link(t) => Some(render_url(t, ctx)?),
            _ => None,
        };
        buttons.push((label, b.action.clone(), link, b.primary));
    }
    Some(Message {
        format: d.format,
        title,
        body,
        image,
        list,
        countdown,
        buttons,
        position: d.position.clone(),
        target: d.target.clone(),
        theme: d.theme.clone(),
        auto_hide: d.auto_hide,
    })
}

/// Formats the remaining time of a countdown: `09:59`, or `1:02:03` past an hour.
pub fn clock(remaining_ms: u64) -> String {
    let s = remaining_ms.div_ceil(1000);
    let (h, m, sec) = (s / 3600, (s / 60) % 60, s % 60);
    let two = |n: u64| {
        let mut t = String::new();
        if n < 10 {
            t.push('0');
        }
        t.push_str(&super::value::num_to_string(n as f64));
        t
    };
    if h > 0 {
        format!(
            "{}:{}:{}",
            super::value::num_to_string(h as f64),
            two(m),
            two(sec)
        )
    } else {
        format!("{}:{}", two(m), two(sec))
    }
}

/// The webhook payload for a lifecycle event, shaped like a Segment `track` call so it
/// can go straight into Segment, RudderStack or Jitsu HTTP sources. Only allow-listed
/// context fields travel; URLs lose their query strings unless `keep_query`.
pub fn webhook_payload(
    w: &Webhook,
    event: &str,
    rule: &str,
    variant: Option<&str>,
    ctx: &Value,
    message_id: &str,
    now_iso: &str,
) -> Value {
    let mut props = Map::new();
    props.insert("rule", Value::Str(rule.into()));
    if let Some(v) = variant {
        props.insert("variant", Value::Str(v.into()));
        if let Some(x) = ctx.get("experiment") {
            props.insert("experiment", x.clone());
        }
    }
    for path in &w.fields {
        if let Some(v) = ctx.get_path(path) {
            let v = if w.keep_query {
                v.clone()
            } else {
                strip_urls(v)
            };
            props.insert(super::find::join(path, "."), v);
        }
    }
    let anon = ctx
        .get_path(&["visitor", "id"])
        .cloned()
        .unwrap_or(Value::Null);
    let page = ctx.get("page");
    let page_url = page
        .and_then(|p| p.get("url"))
        .and_then(Value::as_str)
        .map(|u| {
            if w.keep_query {
                u.to_string()
            } else {
                strip_query(u)
            }
        });
    let mut context = Map::new();
    context.insert(
        "library",
        obj([
            ("name", Value::Str("cuekit".into())),
            ("version", Value::Str(env!("CARGO_PKG_VERSION").into())),
        ]),
    );
    if let Some(u) = page_url {
        let path = page
            .and_then(|p| p.get("path"))
            .cloned()
            .unwrap_or_default();
        context.insert("page", obj([("url", Value::Str(u)), ("path", path)]));
    }
    obj([
        ("type", Value::Str("track".into())),
        ("event", Value::Str(format!("cuekit {event}"))),
        ("anonymousId", anon),
        ("messageId", Value::Str(message_id.into())),
        ("timestamp", Value::Str(now_iso.into())),
        ("properties", Value::Obj(props)),
        ("context", Value::Obj(context)),
    ])
}

/// Strips query strings and fragments from every URL-looking string inside `v`.
fn strip_urls(v: &Value) -> Value {
    match v {
        Value::Str(s) if s.starts_with("http://") || s.starts_with("https://") => {
            Value::Str(strip_query(s))
        }
        Value::Arr(a) => Value::Arr(a.iter().map(strip_urls).collect()),
        Value::Obj(m) => Value::Obj(Map(m
            .0
            .iter()
            .map(|(k, x)| (k.clone(), strip_urls(x)))
            .collect())),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compiled(json: &str) -> (Action, Vec<String>) {
        let v: Value = serde_json::from_str(json).unwrap();
        let mut e = Vec::new();
        let a = compile(Some(&v), "rules[0].action", &mut e);
        (a, e.iter().map(|x| x.to_string()).collect())
    }

    fn ctx() -> Value {
        serde_json::from_str(
            r#"{"props":{"name":"Blue <b>Mug</b>","sku":"a b&c"},"user":{"name":"Ada"},
                "cart":{"items":[{"name":"Mug","qty":2},{"name":"Lamp","qty":1}]},
                "visitor":{"id":"v1"},"page":{"url":"https://shop.test/p?utm=x&token=secret","path":"/p"}}"#,
        )
        .unwrap()
    }

    #[test]
    fn a_full_modal_renders_to_text() {
        let (a, e) = compiled(
            r##"{"type":"modal","title":"Hi {{user.name|there}}","body":"Questions about {{props.name}}?",
                "image":{"src":"/img/{{props.sku}}.png","alt":"{{props.name}}"},
                "list":{"items":"cart.items","item":"{{name}} × {{qty}}"},
                "countdown":{"for":"10m","text":"Expires in {{time}}!","ended":"Offer over"},
                "buttons":[{"label":"Chat","do":"host","name":"openChat","primary":true},
                           {"label":"See {{props.name}}","do":"link","href":"/search?q={{props.sku}}"},
                           {"label":"Later","do":"snooze","for":"1d"},{"label":"Never","do":"optout"}],
                "theme":{"accent":"#2f5bea","radius":12}}"##,
        );
        assert!(e.is_empty(), "{e:?}");
        let m = render(a.display.as_ref().unwrap(), &ctx(), 1_000).unwrap();
        assert_eq!(m.title.as_deref(), Some("Hi Ada"));
        assert_eq!(
            m.body.as_deref(),
            Some("Questions about Blue <b>Mug</b>?"),
            "text, never HTML"
        );
        assert_eq!(
            m.image,
            Some(("/img/a%20b%26c.png".into(), "Blue <b>Mug</b>".into()))
        );
        assert_eq!(m.list, vec!["Mug × 2", "Lamp × 1"]);
        assert_eq!(
            m.countdown,
            Some((
                601_000,
                "Expires in ".into(),
                "!".into(),
                Some("Offer over".into())
            ))
        );
        assert_eq!(m.buttons[1].2.as_deref(), Some("/search?q=a%20b%26c"));
        assert_eq!(m.buttons[2].1, Do::Snooze(86_400_000));
        assert_eq!(m.theme[1], ("--ck-radius".into(), "12".into()));
    }

    #[test]
    fn missing_data_can_mean_do_not_show() {
        let (a, _) = compiled(r#"{"type":"toast","body":"Hi {{user.nickname}}","missing":"skip"}"#);
        assert!(render(a.display.as_ref().unwrap(), &ctx(), 0).is_none());
        let (a, _) =
            compiled(r#"{"type":"toast","body":"Hi {{user.nickname|there}}","missing":"skip"}"#);
        assert_eq!(
            render(a.display.as_ref().unwrap(), &ctx(), 0)
                .unwrap()
                .body
                .as_deref(),
            Some("Hi there")
        );
    }

    #[test]
    fn unsafe_links_and_webhooks_are_config_errors() {
        let (_, e) = compiled(
            r#"{"type":"modal","body":"x","buttons":[{"label":"a","do":"link","href":"javascript:alert(1)"},
                {"label":"b","do":"link","href":"//evil.test"},{"label":"c","do":"fly"}],
                "webhook":"http://hooks.example.com/x","theme":{"accent":"red;}body{display:none"}}"#,
        );
        assert!(
            e.iter()
                .any(|m| m.starts_with("rules[0].action.buttons[0].href: ")),
            "{e:?}"
        );
        assert!(
            e.iter()
                .any(|m| m.starts_with("rules[0].action.buttons[1].href: ")),
            "{e:?}"
        );
        assert!(
            e.iter()
                .any(|m| m.starts_with("rules[0].action.buttons[2].do: unknown \"fly\"")),
            "{e:?}"
        );
        assert!(
            e.iter().any(|m| m.starts_with("rules[0].action.webhook: ")),
            "{e:?}"
        );
        assert!(
            e.iter()
                .any(|m| m.starts_with("rules[0].action.theme.accent: ")),
            "{e:?}"
        );
    }

    #[test]
    fn types_and_requirements() {
        let (_, e) = compiled(r#"{"type":"modl","body":"x"}"#);
        assert_eq!(
            e,
            vec!["rules[0].action.type: unknown action type \"modl\" (did you mean \"modal\"?)"]
        );
        let (_, e) = compiled(r#"{"type":"inline","body":"x"}"#);
        assert!(
            e[0].starts_with("rules[0].action.target: required"),
            "{e:?}"
        );
        let (_, e) = compiled(r#"{"type":"host"}"#);
        assert!(e[0].starts_with("rules[0].action.host: required"), "{e:?}");
        let (a, e) = compiled(r#"{"type":"host","host":"openChat"}"#);
        assert!(e.is_empty() && a.display.is_none() && a.host.as_deref() == Some("openChat"));
    }

    #[test]
    fn webhook_payloads_follow_the_segment_track_shape_and_carry_only_allowed_fields() {
        let (a, e) = compiled(
            r#"{"type":"webhook","webhook":{"url":"https://hooks.example.com/cart","fields":["props.sku","cart.items","page.url"]}}"#,
        );
        assert!(e.is_empty(), "{e:?}");
        let p = webhook_payload(
            a.webhook.as_ref().unwrap(),
            "show",
            "cart-abandon",
            Some("discount"),
            &ctx(),
            "m-1",
            "2026-11-29T05:00:00.000Z",
        );
        assert_eq!(p.get("type").and_then(Value::as_str), Some("track"));
        assert_eq!(p.get("event").and_then(Value::as_str), Some("cuekit show"));
        assert_eq!(p.get("anonymousId").and_then(Value::as_str), Some("v1"));
        let props = p.get("properties").unwrap();
        assert_eq!(
            props.get("props.sku").and_then(Value::as_str),
            Some("a b&c")
        );
        assert_eq!(
            props.get("variant").and_then(Value::as_str),
            Some("discount")
        );
        assert!(props.get("user.name").is_none(), "not allow-listed");
        assert_eq!(
            props.get("page.url").and_then(Value::as_str),
            Some("https://shop.test/p"),
            "query stripped"
        );
        assert_eq!(
            p.get_path(&["context", "page", "url"])
                .and_then(Value::as_str),
            Some("https://shop.test/p")
        );
    }

    #[test]
    fn countdown_clock() {
        assert_eq!(clock(599_000), "09:59");
        assert_eq!(clock(599_001), "10:00");
        assert_eq!(clock(0), "00:00");
        assert_eq!(clock(3_723_000), "1:02:03");
    }
}
