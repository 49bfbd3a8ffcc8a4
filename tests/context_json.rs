//! A decision's context: written as JSON text straight from the engine's state
//! (`Engine::context_json`, what every `decision` handler's payload carries) and read
//! back as the value messages, webhooks and `explain` use (`Engine::context`).
#![cfg(not(target_arch = "wasm32"))]

use cuekit::core::config::compile;
use cuekit::core::engine::{Decision, Engine, Signal};
use cuekit::core::json::{parse, to_json};
use cuekit::core::regex::LinearRegex;
use cuekit::core::state::State;
use cuekit::core::value::{Map, Value};

const CFG: &str = r#"{
  "segments":[{"name":"engaged","if":{"session.pageViews":{"$gte":1}}}],
  "rules":[
    {"id":"cart","trigger":"abandon","experiment":{"key":"cart-copy",
      "variants":[{"id":"reminder","weight":0.5,"action":{"type":"none"}},
                  {"id":"discount","weight":0.5,"action":{"type":"none"}}]}},
    {"id":"idle","trigger":{"idle":"15s"}},
    {"id":"buy","trigger":"buy"}]}"#;

const T0: u64 = 1_000_000;

fn engine(visitor: &str) -> Engine {
    let v: Value = serde_json::from_str(CFG).expect("config JSON");
    let c = match compile(&v, &LinearRegex) {
        Ok(c) => c,
        Err(e) => panic!("{e:?}"),
    };
    Engine::new(c, State::default(), visitor, T0)
}

fn json(text: &str) -> Value {
    parse(text).expect("JSON")
}

fn attrs(text: &str) -> Map {
    match json(text) {
        Value::Obj(m) => m,
        _ => panic!("not an object"),
    }
}

fn decision(rule: usize, event: Option<&str>, props: Value) -> Decision {
    Decision {
        rule,
        rule_id: ["cart", "idle", "buy"][rule].into(),
        priority: 0,
        at: T0,
        event: event.map(str::to_string),
        props,
    }
}

fn keys(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_object)
        .map(|m| m.keys().map(str::to_string).collect())
        .unwrap_or_default()
}

fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    v.get_path(&path.split('.').collect::<Vec<_>>())
}

fn num(v: &Value, path: &str) -> f64 {
    at(v, path)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("{path} is not a number"))
}

const PAGE: &str = r#"{"url":"https://shop.example/p?q=a%20b","path":"/p","query":{"q":"a b"},"utm":{},"title":"Mugs — \"best\""}"#;
const PROPS: &str = r#"{"text":"quote \" slash \\ line\n tab\t ctl \u0001 sep \u2028 café","n":-0.5,"big":1e21,"small":1.5e-7,"list":[1,{"a":null},true]}"#;

#[test]
fn the_context_has_every_part_in_order_and_reads_back_as_written() {
    let mut e = engine("visitor-7");
    e.handle(Signal::PageView { page: json(PAGE) }, T0 + 100);
    e.handle(
        Signal::Identify(attrs(
            r#"{"plan":"pro","cart":{"items":2,"skus":["a\"b","c\\d"]},"price":19.99,"none":null,"vip":true}"#,
        )),
        T0 + 200,
    );
    e.handle(Signal::Scroll { depth: 37.5 }, T0 + 300);
    e.handle(Signal::Hidden, T0 + 400);
    let variant = e
        .assignment(0)
        .and_then(|a| a.variant)
        .and_then(|v| e.variant_id(0, v))
        .map(str::to_string)
        .expect("a variant");
    let now = T0 + 5_000;
    let d = decision(0, Some("abandon"), json(PROPS));
    let text = e.context_json(&d, now);
    let c = e.context(&d, now);
    // Canonical JSON: reading it and writing it again gives the same text.
    assert_eq!(to_json(&c), text);
    assert_eq!(
        keys(Some(&c)),
        [
            "plan",
            "cart",
            "price",
            "none",
            "vip",
            "event",
            "segment",
            "segments",
            "variant",
            "experiment",
            "props",
            "page",
            "visitor",
            "session",
            "behavior"
        ]
    );
    assert_eq!(c.get("event"), Some(&Value::Str("abandon".into())));
    assert_eq!(c.get("segment"), Some(&Value::Str("engaged".into())));
    assert_eq!(
        c.get("segments"),
        Some(&Value::Arr(vec![Value::Str("engaged".into())]))
    );
    assert_eq!(c.get("variant"), Some(&Value::Str(variant)));
    assert_eq!(c.get("experiment"), Some(&Value::Str("cart-copy".into())));
    assert_eq!(c.get("props"), Some(&json(PROPS)));
    assert_eq!(c.get("page"), Some(&json(PAGE)));
    assert_eq!(
        c.get("cart"),
        Some(&json(r#"{"items":2,"skus":["a\"b","c\\d"]}"#))
    );
    assert_eq!(
        keys(c.get("visitor")),
        ["id", "new", "returning", "visits", "firstSeen"]
    );
    assert_eq!(at(&c, "visitor.id"), Some(&Value::Str("visitor-7".into())));
    assert_eq!(at(&c, "visitor.new"), Some(&Value::Bool(true)));
    assert_eq!(num(&c, "visitor.visits"), 1.0);
    assert_eq!(
        keys(c.get("session")),
        ["start", "duration", "pageViews", "activeTime", "events"]
    );
    let start = num(&c, "session.start");
    assert_eq!(num(&c, "session.duration"), now as f64 - start);
    assert_eq!(num(&c, "session.pageViews"), 1.0);
    assert_eq!(
        keys(c.get("behavior")),
        ["scrollDepth", "dwell", "idle", "hidden"]
    );
    assert_eq!(num(&c, "behavior.scrollDepth"), 37.5);
    assert_eq!(num(&c, "behavior.dwell"), 4_900.0);
    assert_eq!(at(&c, "behavior.hidden"), Some(&Value::Bool(true)));

    // A rule outside the experiment, fired by a deadline: no event, variant or experiment.
    let c = e.context(&decision(1, None, Value::Obj(Map::new())), now);
    assert_eq!(c.get("event"), Some(&Value::Null));
    assert!(c.get("variant").is_none() && c.get("experiment").is_none());

    // The next visit (31 minutes later) says how long ago the last one was, in days.
    e.handle(Signal::Visible, T0 + 6_000);
    e.handle(
        Signal::Event {
            name: "buy".into(),
            props: Value::Obj(Map::new()),
            targets: vec![],
        },
        T0 + 31 * 60_000 + 6_000,
    );
    let now = T0 + 32 * 60_000;
    let d = decision(2, Some("buy"), Value::Obj(Map::new()));
    let c = e.context(&d, now);
    assert_eq!(to_json(&c), e.context_json(&d, now));
    assert_eq!(num(&c, "visitor.visits"), 2.0);
    assert_eq!(at(&c, "visitor.returning"), Some(&Value::Bool(true)));
    let days = num(&c, "visitor.daysSinceLastVisit");
    assert!(days > 0.0 && days < 0.03, "{days}");
    // `ck.visitor()` gives the same two parts.
    let vs = json(&e.visitor_json(now));
    assert_eq!(keys(Some(&vs)), ["visitor", "session"]);
    assert_eq!(vs.get("visitor"), c.get("visitor"));
    assert_eq!(vs.get("session"), c.get("session"));
}

#[test]
fn an_attribute_named_like_a_context_key_keeps_its_place_and_loses_its_value() {
    // As in JSON.parse of the payload: the later (cuekit's) value, in the earlier place.
    let mut e = engine("v");
    e.handle(Signal::PageView { page: json(PAGE) }, T0 + 100);
    e.handle(
        Signal::Identify(attrs(r#"{"page":"home","plan":"pro","event":"mine"}"#)),
        T0 + 200,
    );
    let c = e.context(&decision(2, Some("buy"), Value::Obj(Map::new())), T0 + 300);
    assert_eq!(
        keys(Some(&c)).get(..4),
        Some(&["page", "plan", "event", "segment"].map(String::from)[..])
    );
    assert_eq!(c.get("page"), Some(&json(PAGE)));
    assert_eq!(c.get("event"), Some(&Value::Str("buy".into())));
    assert_eq!(c.get("plan"), Some(&Value::Str("pro".into())));
}

#[test]
fn properties_as_deep_as_an_event_may_have_are_kept() {
    // The deepest properties `track()` accepts sit one level deeper in the context.
    let mut text = String::new();
    for _ in 0..cuekit::core::json::MAX_DEPTH {
        text.push_str("{\"a\":");
    }
    text.push('1');
    for _ in 0..cuekit::core::json::MAX_DEPTH {
        text.push('}');
    }
    let props = parse(&text).expect("accepted as an event's properties");
    let e = engine("v");
    let c = e.context(&decision(2, Some("buy"), props.clone()), T0 + 100);
    assert_eq!(c.get("props"), Some(&props));
}
