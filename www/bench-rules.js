// Rule evaluation, side by side: the same generated rules in cuekit (wasm, through the
// public `track()`/`identify()` API) and in json-rules-engine (`await engine.run(facts)`),
// in the same page, over the same 1,000-event stream. Driven by scripts/bench-browser.mjs.
//
// Workload (fixed seed): N rules of 3–5 conditions each. Condition 1 is always the event
// name (cuekit: the rule's trigger, which the compiled index uses; json-rules-engine: an
// `equal` on the `event` fact with a higher priority, so it is evaluated first and the
// rest is skipped when it fails — json-rules-engine's own short-circuit, its best case).
// The others are over URL contains, scroll depth, dwell ms, cart items and visit count;
// about a third of the rules replace two of them with a nested any-of of two.
//
// Facts: event name, and props {url, scrollDepth, dwellMs} per event (cuekit: `track(name,
// props)`, conditions on `props.*`); cart items and visit count change every 50 events
// (cuekit: `identify({cart: {items}, visits})`, conditions on `cart.items` / `visits`;
// identify is not timed). URL contains is `$regex` of the escaped literal in cuekit
// (GrowthBook conditions have no contains operator; cuekit runs it with the browser's
// RegExp) and a custom `stringContains` operator in json-rules-engine.
//
// Timing: performance.now() has a 5 µs step here (cross-origin isolated page), coarser
// than one cuekit event. Each engine runs the whole stream R times; an event's time is the
// mean of its R samples (the clock's phase is random from one call to the next, so the
// mean of quantized samples converges on the true time). Median and p99 are over the
// 1,000 events. cuekit's throughput is one extra pass timed as a whole (no per-event clock reads);
// json-rules-engine's is the sum of its awaited runs.
// The fired rule sets of both engines are compared on every event of every pass; any
// difference aborts the benchmark.

const now = () => performance.now();
const status = document.getElementById('status');

import { makeRules, makeStream } from '/www/bench-workload.js';

// ---- engines ------------------------------------------------------------------------------
let ck = null;
const fired = [];

async function startCuekit(rules, { memoryOnly }) {
  if (ck) ck.destroy();
  for (const key of Object.keys(localStorage)) if (key.startsWith('cuekit-bench-rules')) localStorage.removeItem(key);
  const { init } = await import('/js/index.js');
  // The benchmark sends 1,000 events as fast as it can: the track() rate limit (a guard
  // against runaway host code) is off so that every event is evaluated.
  const config = { storageKey: 'cuekit-bench-rules', rateLimit: false, rules };
  if (memoryOnly) config.requireConsent = true; // before consent: memory only, no storage writes
  ck = await init(config);
  ck.on('decision', (d) => fired.push(d.rule));
  return ck;
}

async function makeJre(rules) {
  const { Engine } = await import('/target/bench/json-rules-engine.js');
  const engine = new Engine([], { allowUndefinedFacts: true });
  engine.addOperator('stringContains', (a, b) => typeof a === 'string' && a.includes(b));
  for (const rule of rules) engine.addRule(rule);
  return engine;
}

const setKey = (a) => [...a].sort().join(',');
const sorted = (a) => Float64Array.from(a).sort();
const pct = (s, p) => s[Math.min(s.length - 1, Math.floor((s.length - 1) * p))];
const medianOf = (a) => {
  const s = sorted(a);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Runs one size. Returns per-engine `{medianUs, p99Us, meanUs, throughputUs, eventsPerS}`,
 * the rules fired per 1,000 events, and `mismatch` (the first differing event) or null.
 */
async function run(nRules, { rounds = 20, jreRounds = 3, memoryOnly = false, warmMs = 2000 } = {}) {
  const { cuekit: ckRules, jre: jreRules } = makeRules(nRules);
  const stream = makeStream();
  const engine = await makeJre(jreRules);
  const c = await startCuekit(ckRules, { memoryOnly });

  // json-rules-engine: expected fired sets, and its timing.
  const jreFacts = (ev, a) => ({ event: ev.name, url: ev.props.url, scrollDepth: ev.props.scrollDepth,
    dwellMs: ev.props.dwellMs, cartItems: a.cart?.items, visits: a.visits });
  const expected = new Array(stream.length);
  const jreSum = new Float64Array(stream.length);
  const passJre = async (timed, upTo = stream.length) => {
    let a = {};
    for (let i = 0; i < upTo; i++) {
      const ev = stream[i];
      if (ev.attrs) a = ev.attrs;
      const facts = jreFacts(ev, a);
      const t0 = now();
      const res = await engine.run(facts);
      const dt = now() - t0;
      if (timed) jreSum[i] += dt;
      const key = setKey(res.results.map((x) => x.name));
      if (expected[i] === undefined) expected[i] = key;
      else if (expected[i] !== key) throw new Error(`json-rules-engine is not deterministic at event ${i}`);
    }
  };
  // Warm-up: each engine runs the stream for `warmMs` before it is timed (JIT, and for
  // wasm the tier-up from the baseline compiler to the optimizing one), so the figures
  // are the steady state of a page that has seen some traffic. The first pass of a fresh
  // instance is reported apart (`firstPass`).
  await passJre(false, 100);
  for (const t0 = now(); now() - t0 < warmMs;) await passJre(false, 100);
  for (let k = 0; k < jreRounds; k++) await passJre(true);
  // json-rules-engine is async: its throughput is the awaited runs back to back, which is
  // what the timed passes are (the clock reads are negligible next to one run).
  const jreBlock = jreSum.reduce((x, y) => x + y, 0) / jreRounds;

  // cuekit.
  const ckSum = new Float64Array(stream.length);
  let mismatch = null;
  let firedTotal = 0;
  const passCk = (timed) => {
    for (let i = 0; i < stream.length; i++) {
      const ev = stream[i];
      if (ev.attrs) c.identify(ev.attrs);
      fired.length = 0;
      const t0 = now();
      c.track(ev.name, ev.props);
      const dt = now() - t0;
      if (timed) ckSum[i] += dt;
      firedTotal += fired.length;
      const key = setKey(fired);
      if (!mismatch && key !== expected[i]) mismatch = { event: i, name: ev.name, cuekit: key, jsonRulesEngine: expected[i] };
    }
  };
  passCk(true); // first pass: this page's first events (baseline-compiled wasm)
  if (mismatch) return { nRules, mismatch };
  const firstPass = Array.from(ckSum, (x) => x * 1000);
  ckSum.fill(0);
  for (const t0 = now(); now() - t0 < warmMs;) passCk(false);
  firedTotal = 0;
  for (let k = 0; k < rounds; k++) passCk(true);
  const tc0 = now();
  for (const ev of stream) {
    if (ev.attrs) c.identify(ev.attrs);
    fired.length = 0;
    c.track(ev.name, ev.props);
  }
  const ckBlock = now() - tc0;

  const stats = (sum, n, block) => {
    const per = Array.from(sum, (x) => (x / n) * 1000);
    const s = sorted(per);
    const firing = per.filter((_, i) => expected[i] !== '');
    const quiet = per.filter((_, i) => expected[i] === '');
    return {
      medianUs: medianOf(per), p99Us: pct(s, 0.99), maxUs: s[s.length - 1],
      // Split: events on which no rule fires (evaluation only) and events that fire
      // (evaluation + decision, caps, ledger, the `decision` handler call, storage write).
      quietMedianUs: quiet.length ? medianOf(quiet) : NaN,
      firingMedianUs: firing.length ? medianOf(firing) : NaN,
      meanUs: per.reduce((x, y) => x + y, 0) / per.length,
      throughputUs: (block / stream.length) * 1000, eventsPerS: stream.length / (block / 1000),
    };
  };
  return {
    nRules,
    events: stream.length,
    rounds: { cuekit: rounds, jsonRulesEngine: jreRounds },
    memoryOnly,
    cuekit: { ...stats(ckSum, rounds, ckBlock), firstPassMedianUs: medianOf(firstPass) },
    jsonRulesEngine: stats(jreSum, jreRounds, jreBlock),
    firedPer1000: firedTotal / rounds,
    eventsWithFires: expected.filter((x) => x !== '').length,
    storage: c.storage(),
    mismatch,
  };
}

/**
 * What one per-event sample costs the harness itself: the mean of `now() − now()` read
 * back to back (the clock's 5 µs steps average out over many pairs). Reported next to the
 * per-event figures, which include it; not subtracted.
 */
function clockCostUs(pairs = 20000) {
  let sum = 0;
  for (let i = 0; i < pairs; i++) {
    const t0 = now();
    sum += now() - t0;
  }
  return (sum / pairs) * 1000;
}

window.benchRules = { run, makeRules, makeStream, clockCostUs };
status.textContent = 'ready';
