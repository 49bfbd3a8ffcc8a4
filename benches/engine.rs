//! Native benchmark: cost of one event through the engine with 50 and 500 generated
//! rules (3–5 conditions each, a third with a nested `$or`), over a 1,000-event stream.
//! Run: `cargo bench --bench engine`. Prints median, p99 and mean per event.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::main();
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::time::Instant;

    use cuekit::core::config::compile;
    use cuekit::core::engine::{Engine, Signal};
    use cuekit::core::regex::LinearRegex;
    use cuekit::core::state::State;
    use cuekit::core::value::{obj, Map, Value};

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    const EVENTS: u64 = 20;

    fn leaf(rng: &mut Rng) -> (String, Value) {
        let n = |x: u64| Value::Num(x as f64);
        match rng.below(6) {
            0 => (
                "page.path".into(),
                obj([(
                    "$regex",
                    Value::Str(format!("^/(product|category)/{}", rng.below(5))),
                )]),
            ),
            1 => ("props.price".into(), obj([("$gt", n(rng.below(100)))])),
            2 => (
                "behavior.scrollDepth".into(),
                obj([("$gte", n(rng.below(90)))]),
            ),
            3 => (
                "behavior.dwell".into(),
                obj([("$gt", n(rng.below(60_000)))]),
            ),
            4 => ("cart.items".into(), obj([("$gt", n(rng.below(4)))])),
            _ => (
                "visitor.visits".into(),
                obj([("$gte", n(1 + rng.below(3)))]),
            ),
        }
    }

    fn config(rules: usize, seed: u64) -> Value {
        let mut rng = Rng(seed);
        let list = (0..rules)
            .map(|i| {
                let k = 3 + rng.below(3) as usize;
                let mut cond = Map::new();
                let nested = i % 3 == 0;
                for _ in 0..(if nested { k - 2 } else { k }) {
                    let (p, c) = leaf(&mut rng);
                    cond.insert(p, c);
                }
                if nested {
                    let a = leaf(&mut rng);
                    let b = leaf(&mut rng);
                    cond.insert("$or", Value::Arr(vec![obj([a]), obj([b])]));
                }
                obj([
                    ("id", Value::Str(format!("r{i}"))),
                    ("trigger", Value::Str(format!("ev{}", rng.below(EVENTS)))),
                    ("if", Value::Obj(cond)),
                ])
            })
            .collect();
        obj([("rules", Value::Arr(list))])
    }

    fn stream(seed: u64) -> Vec<Signal> {
        let mut rng = Rng(seed);
        (0..1000)
            .map(|_| Signal::Event {
                name: format!("ev{}", rng.below(EVENTS)),
                props: obj([
                    ("price", Value::Num(rng.below(120) as f64)),
                    ("sku", Value::Str("mug".into())),
                ]),
                targets: Vec::new(),
            })
            .collect()
    }

    fn run(rules: usize) {
        let cfg_v = config(rules, 0x9e37_79b9_7f4a_7c15);
        let t = Instant::now();
        let cfg = compile(&cfg_v, &LinearRegex).expect("generated config is valid");
        let compile_us = t.elapsed().as_secs_f64() * 1e6;
        let mut e = Engine::new(cfg, State::default(), "bench", 1_000_000);
        e.handle(
            Signal::PageView {
                page: obj([("path", Value::Str("/product/3".into()))]),
            },
            1_000_000,
        );
        e.handle(
            Signal::Identify(match obj([("cart", obj([("items", Value::Num(2.0))]))]) {
                Value::Obj(m) => m,
                _ => Map::new(),
            }),
            1_000_001,
        );
        let events = stream(42);
        let mut samples = Vec::with_capacity(events.len() * 20);
        let mut fired = 0usize;
        let mut now = 1_000_100u64;
        for round in 0..21 {
            for s in &events {
                now += 37;
                let sig = s.clone();
                let t = Instant::now();
                let d = e.handle(sig, now);
                let ns = t.elapsed().as_nanos() as f64;
                if round > 0 {
                    samples.push(ns);
                    fired += d.len();
                }
            }
        }
        samples.sort_by(|a, b| a.total_cmp(b));
        let pct = |p: f64| samples[((samples.len() as f64 - 1.0) * p) as usize] / 1000.0;
        let mean = samples.iter().sum::<f64>() / samples.len() as f64 / 1000.0;
        println!(
            "{rules:>4} rules | compile {compile_us:>8.0} µs | per event: median {:>6.2} µs  p99 {:>6.2} µs  p99.9 {:>6.2} µs  mean {:>6.2} µs | {:>5.0} decisions/1k events",
            pct(0.5),
            pct(0.99),
            pct(0.999),
            mean,
            fired as f64 / 20.0
        );
    }

    pub fn main() {
        println!(
            "cuekit engine benchmark (native, release build, {} events × 20 rounds)",
            1000
        );
        run(50);
        run(500);
    }
}
