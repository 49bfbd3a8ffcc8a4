#!/usr/bin/env node
// Browser benchmarks, in Debian's headless Chromium, printed as tables:
//
//   rules    rule evaluation side by side: the same generated 50 and 500 rules in cuekit
//            and in json-rules-engine, same page, same 1,000 events (www/bench-rules.js);
//            aborts (exit 1) when the two fire different rules on any event
//   main     main-thread cost on a shop page: 120 Hz scrolling, 50 clicks/s (www/bench.js)
//   flood    100,000 mixed inputs through the real listeners and the public API: cost per
//            input, wasm memory before/after, long tasks (www/bench.js `flood`)
//   startup  script start → ready over fresh page loads, 100-rule config (www/bench-startup.js)
//   pixels   track() → modal in the DOM and → next frame (www/e2e.html?config=pixels)
//   size     what a page loads, next to peers' bundles (scripts/bench-size.mjs)
//
//   node scripts/bench-browser.mjs                    everything
//   node scripts/bench-browser.mjs --quick            shorter runs (fewer rounds, 2 s, 20,000 inputs, 5 loads)
//   node scripts/bench-browser.mjs --only=rules,size  some sections
//
// Needs the release package (`npm run build` → pkg/); builds nothing itself (json-rules-
// engine is bundled with esbuild into target/bench/). In `main`, each scenario runs with
// cuekit, then again on the same page after `ck.destroy()` as the baseline; the SDK time
// is the difference. Timing never fails the run (machines are noisy): the exit code is
// non-zero only when the page or the driver errors, or the rule engines disagree.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, REPO_ROOT } from './serve.mjs';
import { esbuildBundle, JRE_ENTRY, sizeTable, formatSizeTable } from './bench-size.mjs';

const TARGET_US = 50; // main-thread time per input event
const TARGET_LONG_TASKS = 0;

const SECTIONS = ['rules', 'main', 'flood', 'startup', 'pixels', 'size'];
const args = process.argv.slice(2);
let only = new Set(SECTIONS);
for (const a of args) {
  if (a.startsWith('--only=')) {
    only = new Set(a.slice(7).split(',').filter(Boolean));
    const bad = [...only].filter((x) => !SECTIONS.includes(x));
    if (bad.length) {
      console.error(`[bench-browser] unknown section(s) ${bad.join(', ')} (sections: ${SECTIONS.join(', ')})`);
      process.exit(2);
    }
  } else if (a !== '--quick') {
    console.error(`[bench-browser] unknown argument "${a}" (usage: node scripts/bench-browser.mjs [--quick] [--only=${SECTIONS.join(',')}])`);
    process.exit(2);
  }
}
const want = (x) => only.has(x);
const quick = args.includes('--quick');
const SECONDS = quick ? 2 : 10;
const SCROLL_HZ = 120;
const CLICKS_PER_S = 50;
const WARMUP_S = quick ? 0.5 : 1;
const WATCHDOG_S = 4 * (SECONDS + WARMUP_S) + 1200;
const FLOOD_N = quick ? 20000 : 100000;
const BURSTS = quick ? 15 : 50;
const BURST_SIZE = 10;
const BURST_GAP_MS = 200;
const FLOOD_WARMUP_N = quick ? 5000 : 10000;
const STARTUP_LOADS = quick ? 5 : 15;
const TARGET_STARTUP_AFTER_WASM_MS = 10;
const TARGET_RULES_RATIO = 100;
const TARGET_RULES_50_US = 5;
// Per rule count: rounds over the 1,000-event stream (cuekit, json-rules-engine).
const RULE_RUNS = quick
  ? [{ rules: 50, rounds: 5, jreRounds: 1, warmMs: 500 }]
  : [{ rules: 50, rounds: 20, jreRounds: 3, warmMs: 2000 }, { rules: 500, rounds: 5, jreRounds: 1, warmMs: 2000 }];

const wasmPath = join(REPO_ROOT, 'pkg', 'cuekit_bg.wasm');
if (!existsSync(wasmPath)) {
  console.error('[bench-browser] FAILED: pkg/cuekit_bg.wasm is missing. Run `npm run build` first.');
  process.exit(1);
}
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  console.error(`[bench-browser] FAILED: no Chromium at ${executablePath}. Run \`bash scripts/setup.sh\` (installs Debian's chromium) or set CHROMIUM.`);
  process.exit(1);
}

// ---- statistics -------------------------------------------------------------------------
const sorted = (a) => [...a].sort((x, y) => x - y);
const median = (a) => {
  const s = sorted(a);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const mean = (a) => (a.length ? a.reduce((s, x) => s + x, 0) / a.length : NaN);
const sum = (a) => a.reduce((s, x) => s + x, 0);

/** Per-input SDK time (ms): own synchronous dispatch and share of frame/observer/timer
 *  work, minus the baseline's typical dispatch and share. */
function analyse(run, base) {
  const baseSync = median(base.sync);
  const baseShare = mean(base.share);
  const per = run.sync.map((s, i) => s - baseSync + run.share[i] - baseShare);
  return {
    inputs: run.steps,
    rate: run.steps / run.seconds,
    medianUs: median(per) * 1000,
    meanUs: mean(per) * 1000,
    totalMs: sum(per),
    syncMs: sum(run.sync) - baseSync * run.steps,
    baseSyncUs: baseSync * 1000,
    async: run.async,
    longTasks: run.longTasks,
    longTaskMs: run.longTaskMs,
    baseLongTasks: base.longTasks,
    decisions: run.decisions,
    byRule: run.byRule,
  };
}

// ---- output -------------------------------------------------------------------------------
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const mb = (b) => (b == null ? 'n/a' : `${(b / 1048576).toFixed(2)} MB`);

function table(rows) {
  const head = ['scenario', 'input events', 'SDK µs/event median', 'SDK µs/event mean',
    `target < ${TARGET_US} µs`, 'total SDK ms', `long tasks (target ${TARGET_LONG_TASKS})`, 'decisions'];
  const body = rows.map(([name, r]) => {
    const met = r.medianUs < TARGET_US && r.meanUs < TARGET_US;
    const calibration = name.startsWith('calibration') || name.startsWith('warm');
    const lt = r.longTasks == null ? 'n/a' : `${r.longTasks} ${r.longTasks <= TARGET_LONG_TASKS ? 'met' : 'MISSED'}`;
    return [name, String(r.inputs), f1(r.medianUs), f1(r.meanUs), calibration ? '—' : met ? 'met' : 'MISSED',
      f1(r.totalMs), lt, String(r.decisions)];
  });
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join(' | ')} |`;
  return [line(head), `|${w.map((n, i) => (i === 0 ? ':' : '-') + '-'.repeat(n) + (i === 0 ? '-' : ':')).join('|')}|`,
    ...body.map(line)].join('\n');
}

function details(name, r) {
  const a = r.async;
  const parts = [
    `listeners ${f1(r.syncMs)} ms (baseline dispatch ${f1(r.baseSyncUs)} µs/event subtracted)`,
    `rAF ${f1(a.raf)} ms / ${a.rafN}`,
    `IntersectionObserver ${f1(a.io)} ms / ${a.ioN}`,
    `MutationObserver ${f1(a.mo)} ms / ${a.moN}`,
    `timers ${f1(a.timer)} ms / ${a.timerN}`,
  ];
  const rules = Object.entries(r.byRule).map(([k, v]) => `${k}×${v}`).join(' ') || 'none';
  const lt = r.longTaskMs?.length ? ` long tasks: ${r.longTaskMs.join(', ')} ms;` : '';
  return `  ${name}: ${r.rate.toFixed(0)} inputs/s; ${parts.join('; ')};${lt} baseline long tasks ${r.baseLongTasks ?? 'n/a'}\n`
    + `    decisions by rule: ${rules}`;
}


function mdTable(head, body, leftCols = 1) {
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => (i < leftCols ? c.padEnd(w[i]) : c.padStart(w[i]))).join(' | ')} |`;
  return [line(head), `|${w.map((n, i) => (i < leftCols ? ':' + '-'.repeat(n + 1) : '-'.repeat(n + 1) + ':')).join('|')}|`,
    ...body.map(line)].join('\n');
}
const us = (x) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x.toFixed(1)) : 'n/a');

function rulesTable(rows) {
  const head = ['rules', 'engine', 'median µs/event', 'p99', 'quiet median', 'firing median', 'throughput µs/event',
    'events/s', 'json-rules-engine ÷ cuekit (median)', 'fired /1k events', 'first pass median'];
  const body = [];
  const notes = [];
  for (const r of rows) {
    const ck = r.cuekit;
    const jr = r.jsonRulesEngine;
    const ratio = jr.medianUs / ck.medianUs;
    const ckName = `cuekit (${r.memoryOnly ? 'memory' : 'localStorage'})`;
    body.push([String(r.nRules), ckName, us(ck.medianUs), us(ck.p99Us), us(ck.quietMedianUs), us(ck.firingMedianUs),
      us(ck.throughputUs), Math.round(ck.eventsPerS).toLocaleString('en-US'), `${ratio.toFixed(0)}×`, String(r.firedPer1000),
      us(ck.firstPassMedianUs)]);
    if (!r.memoryOnly || !rows.some((x) => x.nRules === r.nRules && !x.memoryOnly && x !== r)) {
      body.push([String(r.nRules), 'json-rules-engine', us(jr.medianUs), us(jr.p99Us), us(jr.quietMedianUs), us(jr.firingMedianUs),
        us(jr.throughputUs), Math.round(jr.eventsPerS).toLocaleString('en-US'), '', String(r.firedPer1000), '']);
    }
    notes.push(`  ${r.nRules} rules, ${ckName}: ≥ ${TARGET_RULES_RATIO}× faster at the median: ${ratio >= TARGET_RULES_RATIO ? 'met' : 'MISSED'} (${ratio.toFixed(0)}×)`
      + (r.nRules === 50 ? `; < ${TARGET_RULES_50_US} µs/event at 50 rules: ${ck.medianUs < TARGET_RULES_50_US ? 'met' : 'MISSED'} (median ${us(ck.medianUs)} µs)` : '')
      + `; rounds ${r.rounds.cuekit} (cuekit) / ${r.rounds.jsonRulesEngine} (json-rules-engine)`);
  }
  return `${mdTable(head, body, 2)}\n${notes.join('\n')}`;
}

function floodTable(run, base) {
  const head = ['input kind', 'inputs', 'µs/input with cuekit', 'after destroy()', 'SDK µs/input'];
  const body = Object.entries(run.byKind).map(([k, v]) => {
    const b = base.byKind[k];
    const w = (v.ms / v.n) * 1000;
    const o = b ? (b.ms / b.n) * 1000 : NaN;
    return [k, v.n.toLocaleString('en-US'), us(w), us(o), us(w - o)];
  });
  const all = ((run.syncMs / run.events) * 1000);
  const allBase = ((base.syncMs / base.events) * 1000);
  body.push(['all (synchronous)', run.events.toLocaleString('en-US'), us(all), us(allBase), us(all - allBase)]);
  return mdTable(head, body);
}

function startupTable(loads) {
  const phase = (f) => loads.map(f).filter(Number.isFinite);
  const rows = [
    ['script start → ready (total)', phase((l) => l.ready - l.scriptStart)],
    ['script start → npm entry imported', phase((l) => l.imported - l.scriptStart)],
    ['wasm request → last wasm byte', phase((l) => l.wasmArrived - l.wasmRequested)],
    [`last wasm byte → ready (target < ${TARGET_STARTUP_AFTER_WASM_MS} ms)`, phase((l) => l.ready - l.wasmArrived)],
    ['last wasm byte → instantiated (compile tail + instantiate)', phase((l) => l.instantiated - l.wasmArrived)],
    ['instantiated → ready (validate + compile 100 rules + listeners)', phase((l) => l.ready - l.instantiated)],
  ];
  const ms = (x) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
  const body = rows.map(([name, v]) => [name, ms(median(v)), ms(Math.min(...v)), ms(Math.max(...v))]);
  const after = median(phase((l) => l.ready - l.wasmArrived));
  const long = loads.flatMap((l) => l.longTasks ?? []);
  return `${mdTable(['phase', 'median ms', 'min', 'max'], body)}\n`
    + `  after the wasm bytes arrive: ${ms(after)} ms; target < ${TARGET_STARTUP_AFTER_WASM_MS} ms: ${after < TARGET_STARTUP_AFTER_WASM_MS ? 'met' : 'MISSED'}\n`
    + `  long tasks (> 50 ms) from the npm entry imported to ready, over the ${loads.length} loads: ${long.length}`
    + `${long.length ? ` (longest ${Math.max(...long).toFixed(0)} ms)` : ''}; init() runs in four tasks (instantiate, read the config, compile it, start)`;
}

// ---- run ------------------------------------------------------------------------------------
let server;
let browser;
const pageErrors = [];
let exitCode = 0;

// A hung page must not hang the bench: closing the browser rejects the pending call.
const watchdog = setTimeout(() => {
  pageErrors.push(`no result after ${WATCHDOG_S} s`);
  browser?.close().catch(() => {});
}, WATCHDOG_S * 1000);
watchdog.unref();

try {
  server = await startServer({ port: 0 });
  const base = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
      '--enable-precise-memory-info', '--js-flags=--expose-gc',
      // Keep timers and frames running at full rate in the headless window.
      '--disable-background-timer-throttling', '--disable-renderer-backgrounding',
      '--disable-backgrounding-occluded-windows'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  // Cross-origin isolation: Chromium then gives performance.now() 5 µs resolution instead
  // of 100 µs. The repository's server stays as it is; the headers are added here.
  await context.route(`${base}/**`, async (route) => {
    const response = await route.fetch();
    await route.fulfill({
      response,
      headers: {
        ...response.headers(),
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-embedder-policy': 'require-corp',
      },
    });
  });
  const version = browser.version();
  const load0 = loadavg();
  console.log(`[bench-browser] Chromium ${version} headless; ${cpus().length} CPUs; load average ${load0.map((x) => x.toFixed(2)).join(' ')}`
    + `; sections: ${[...only].join(', ')}${quick ? ' (--quick)' : ''}`);
  const newPage = async (ctx = context) => {
    const pg = await ctx.newPage();
    pg.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
    pg.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(`console.error: ${m.text()}`);
    });
    pg.on('crash', () => pageErrors.push('the page crashed'));
    return pg;
  };
  const results = {};

  // ---- rules: cuekit vs json-rules-engine ------------------------------------------------
  if (want('rules')) {
    mkdirSync(join(REPO_ROOT, 'target', 'bench'), { recursive: true });
    writeFileSync(join(REPO_ROOT, 'target', 'bench', 'json-rules-engine.js'), await esbuildBundle(JRE_ENTRY));
    const rp = await newPage();
    await rp.goto(`${base}/www/bench-rules.html`);
    await rp.waitForSelector('#status:text("ready")', { timeout: 15000 });
    const iso = await rp.evaluate(() => window.crossOriginIsolated);
    const clockUs = await rp.evaluate(() => window.benchRules.clockCostUs());
    const rows = [];
    for (const run of RULE_RUNS) {
      for (const memoryOnly of run.rules === 50 ? [false, true] : [false]) {
        const r = await rp.evaluate((o) => window.benchRules.run(o.rules, o), { ...run, memoryOnly });
        if (r.mismatch) {
          throw new Error(`cuekit and json-rules-engine fired different rules (${run.rules} rules, event ${r.mismatch.event} "${r.mismatch.name}"): `
            + `cuekit [${r.mismatch.cuekit}] vs json-rules-engine [${r.mismatch.jsonRulesEngine}]`);
        }
        rows.push(r);
      }
    }
    await rp.close();
    results.rules = rows;
    console.log('');
    console.log(`## Rule evaluation, side by side (1,000 events; fired rule sets equal on every event: yes; crossOriginIsolated ${iso})`);
    console.log('');
    console.log(rulesTable(rows));
    console.log('');
    console.log('  quiet = events on which no rule fires (evaluation only); firing = events that fire at least one rule.');
    console.log('  cuekit: ck.track(name, props) per event, ck.identify() every 50 (not timed), actions "none", no caps;');
    console.log('  "memory" = requireConsent: true before consent (no localStorage). json-rules-engine: await engine.run(facts).');
    console.log('  per-event time = mean of each event over the rounds (5 µs clock); throughput = a whole pass / 1,000.');
    console.log(`  each engine runs the stream for ${RULE_RUNS[0].warmMs / 1000} s before it is timed (JIT warm-up; wasm tier-up from the baseline`);
    console.log('  compiler to the optimizing one); first pass median = the first 1,000 events of a fresh instance, cold.');
    console.log(`  one clock read (performance.now(), back to back, mean of 20,000 pairs) costs ${clockUs.toFixed(2)} µs on this machine;`
      + ' each per-event figure includes one (not subtracted).');
    results.rulesClockUs = clockUs;
  }

  // ---- main: scroll and clicks ---------------------------------------------------------------
  if (want('main')) {
    const page = await newPage();
    await page.goto(`${base}/www/bench.html`);
    await page.evaluate(() => window.bench.ready);
    if (pageErrors.length) throw new Error('the bench page failed to start');
    const info = await page.evaluate(() => window.bench.info());
    console.log('');
    console.log(`## Main thread on a shop page: ${info.rules} rules; page ${info.viewport.join('×')}, ${info.scrollHeight} px tall; `
      + `crossOriginIsolated ${info.crossOriginIsolated}, performance.now() step ${info.timerResolutionUs} µs; `
      + `${SECONDS} s per scenario, then the same after ck.destroy() as baseline`);
    const ev = (fn, ...a) => page.evaluate(fn, a);
    // Warm up both code paths (JIT, wasm tier-up, caches), then measure with cuekit.
    await ev(([sec]) => window.bench.runScroll(sec, 120), WARMUP_S);
    await ev(([sec]) => window.bench.runClicks(sec, 50), WARMUP_S);
    const mem0 = await ev(() => window.bench.memory());
    const scroll = await ev(([sec, hz]) => window.bench.runScroll(sec, hz), SECONDS, SCROLL_HZ);
    const clicks = await ev(([sec, n]) => window.bench.runClicks(sec, n), SECONDS, CLICKS_PER_S);
    const bursts = await ev(([n, size, gap]) => window.bench.runClickBursts(n, size, gap), BURSTS, BURST_SIZE, BURST_GAP_MS);
    const mem1 = await ev(() => window.bench.memory());
    const calls = await ev(() => window.bench.pacedCalls(150, 20));
    // Baseline: same page, same elements, cuekit removed.
    await ev(() => window.bench.destroy());
    await ev(([sec]) => window.bench.runScroll(sec, 120), WARMUP_S);
    await ev(([sec]) => window.bench.runClicks(sec, 50), WARMUP_S);
    const scrollBase = await ev(([sec, hz]) => window.bench.runScroll(sec, hz), SECONDS, SCROLL_HZ);
    const clicksBase = await ev(([sec, n]) => window.bench.runClicks(sec, n), SECONDS, CLICKS_PER_S);
    const burstsBase = await ev(([n, size, gap]) => window.bench.runClickBursts(n, size, gap), BURSTS, BURST_SIZE, BURST_GAP_MS);
    // Calibration: the least a listener can do, same harness (see calibrate() in www/bench.js).
    await ev(() => window.bench.calibrate(true));
    await ev(([sec]) => window.bench.runScroll(sec, 120), WARMUP_S);
    await ev(([sec]) => window.bench.runClicks(sec, 50), WARMUP_S);
    const scrollFloor = await ev(([sec, hz]) => window.bench.runScroll(sec, hz), SECONDS, SCROLL_HZ);
    const clicksFloor = await ev(([sec, n]) => window.bench.runClicks(sec, n), SECONDS, CLICKS_PER_S);
    await ev(() => window.bench.calibrate(false));
    await page.close();

    const rows = [
      [`scroll ${SCROLL_HZ} Hz, ${SECONDS} s`, analyse(scroll, scrollBase)],
      [`clicks ${CLICKS_PER_S}/s, ${SECONDS} s`, analyse(clicks, clicksBase)],
      [`warm: clicks back to back, ${BURSTS} bursts of ${BURST_SIZE} (all but the first of each)`, analyse(bursts, burstsBase)],
      [`calibration: scroll listener reading scrollY in a frame`, analyse(scrollFloor, scrollBase)],
      [`calibration: click listener reading composedPath()`, analyse(clicksFloor, clicksBase)],
    ];
    results.main = rows;
    console.log('');
    console.log(table(rows));
    console.log('');
    for (const [name, r] of rows) console.log(details(name, r));
    console.log(`  memory (after GC) before → after the measured runs: JS heap ${mb(mem0.jsHeapUsed)} → ${mb(mem1.jsHeapUsed)}; `
      + `wasm linear memory ${mb(mem0.wasmBytes)} → ${mb(mem1.wasmBytes)}`);
    console.log(`  SDK µs/event = own listener dispatch + share of the frame/observer/timer work that input caused,`
      + ` minus the baseline; the scroll listener is timed on one synthetic scroll event per step.`);
    console.log('  calibration rows: no SDK, the least a listener of that kind can do, timed the same way: the floor'
      + ' of paced input on this machine (cold caches between inputs).');
    const pacedBase = median(clicksBase.sync) * 1000;
    const warmBase = median(burstsBase.sync) * 1000;
    console.log(`  warm row: the same clicks ${BURST_SIZE} at a time back to back, ${BURST_GAP_MS} ms apart (no rage bursts); each click after the`
      + ' first runs with the code and data the previous one left in the caches.');
    console.log(`  machine: with no SDK at all, dispatching one of these clicks costs ${f1(warmBase)} µs back to back and`
      + ` ${f1(pacedBase)} µs paced at ${CLICKS_PER_S}/s (${f1(pacedBase / warmBase)}×): what any code pays here for coming after a pause.`);
    console.log(`  machine: a call after a 20 ms pause (from a timer) against back to back: an empty function`
      + ` ${f1(calls.empty.pacedMedianUs)} µs median (mean ${f1(calls.empty.pacedMeanUs)}) against ${calls.empty.warmUs.toFixed(2)} µs;`
      + ` ck.track() of an event no rule names (one call into the wasm engine that decides nothing)`
      + ` ${f1(calls.track.pacedMedianUs)} µs median (mean ${f1(calls.track.pacedMeanUs)}) against ${calls.track.warmUs.toFixed(2)} µs;`
      + ' each paced figure includes one clock read.');
    results.machine = { clickDispatchWarmUs: warmBase, clickDispatchPacedUs: pacedBase, pacedCalls: calls };
  }

  // ---- flood ----------------------------------------------------------------------------------
  if (want('flood')) {
    const fp = await newPage();
    await fp.goto(`${base}/www/bench.html`);
    await fp.evaluate(() => window.bench.ready);
    const ev = (fn, ...a) => fp.evaluate(fn, a);
    await ev(([n]) => window.bench.flood(n), FLOOD_WARMUP_N);
    const m0 = await ev(() => window.bench.memory());
    const run = await ev(([n]) => window.bench.flood(n), FLOOD_N);
    const m1 = await ev(() => window.bench.memory());
    await ev(() => window.bench.destroy());
    await ev(([n]) => window.bench.flood(n), FLOOD_WARMUP_N);
    const base0 = await ev(([n]) => window.bench.flood(n), FLOOD_N);
    await fp.close();
    results.flood = { run, base: base0, m0, m1 };
    console.log('');
    console.log(`## Flood: ${FLOOD_N.toLocaleString('en-US')} mixed inputs through the real listeners and the public API (after a ${FLOOD_WARMUP_N.toLocaleString('en-US')}-input warm-up), in tasks of ${run.chunk}`);
    console.log('');
    console.log(floodTable(run, base0));
    console.log('');
    const sdkUs = ((run.syncMs - base0.syncMs + run.asyncMs - base0.asyncMs) / run.events) * 1000;
    const flat = m1.wasmBytes <= m0.wasmBytes;
    console.log(`  SDK cost per input (all kinds, minus the same flood after destroy()): ${f1(sdkUs)} µs; wall ${f1(run.wallMs / 1000)} s; `
      + `${run.decisions} decisions; frames/observers/timers ${f1(run.asyncMs)} ms`);
    console.log(`  wasm memory ${mb(m0.wasmBytes)} → ${mb(m1.wasmBytes)} (${flat ? 'flat: met' : 'GREW: MISSED'}); JS heap after GC ${mb(m0.jsHeapUsed)} → ${mb(m1.jsHeapUsed)}`);
    console.log(`  long tasks (> 50 ms; target 0): ${run.longTasks} ${run.longTasks === 0 ? 'met' : `MISSED (${run.longTaskMs.slice(0, 20).join(', ')}${run.longTaskMs.length > 20 ? ', …' : ''} ms)`}`
      + `; baseline ${base0.longTasks}; slowest task of ${run.chunk} inputs ${f1(run.maxChunkMs)} ms`);
  }

  // ---- start-up ---------------------------------------------------------------------------------
  if (want('startup')) {
    // A fresh context per load (no module cache, no wasm code cache: the server sends
    // no-store), and no request routing (it would add to every fetch).
    const loads = [];
    for (let i = 0; i < STARTUP_LOADS; i++) {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const sp = await newPage(ctx);
      await sp.goto(`${base}/www/bench-startup.html`);
      const load = await sp.evaluate(() => window.startup);
      // Long-task entries arrive after their task ends.
      await sp.waitForTimeout(150);
      load.longTasks = await sp.evaluate(() => window.startupLongTasks());
      loads.push(load);
      await ctx.close();
    }
    results.startup = loads;
    console.log('');
    console.log(`## Start-up: ${STARTUP_LOADS} fresh page loads, config of ${loads[0].rules} rules (every trigger kind), served from localhost`);
    console.log('');
    console.log(startupTable(loads));
  }

  // ---- signal to pixels -----------------------------------------------------------------------
  if (want('pixels')) {
    // From track() to the modal in the DOM (synchronous), and to the next animation frame
    // (the frame it is painted in).
    const pix = await newPage();
    await pix.goto(`${base}/www/e2e.html?config=pixels`);
    await pix.waitForSelector('#status:text("ready")', { timeout: 15000 });
    const px = await pix.evaluate(async (n) => {
      const inDom = [];
      const toFrame = [];
      const present = () => document.querySelector('[data-cuekit-root]')?.shadowRoot?.querySelector('[role=dialog]');
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        window.ck.track('go');
        const t1 = performance.now();
        if (!present()) throw new Error('the modal was not in the DOM synchronously');
        await new Promise((r) => requestAnimationFrame(r));
        toFrame.push(performance.now() - t0);
        inDom.push(t1 - t0);
        window.ck.dismiss('pixels');
        await new Promise((r) => setTimeout(r, 5));
      }
      const med = (a) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)];
      return { n, inDom: med(inDom), toFrame: med(toFrame), maxInDom: Math.max(...inDom) };
    }, quick ? 20 : 100);
    console.log('');
    console.log('## Signal to pixels');
    console.log('');
    console.log(`  signal to pixels (${px.n} modals): track() → modal in the DOM median ${(px.inDom * 1000).toFixed(0)} µs`
      + ` (max ${(px.maxInDom * 1000).toFixed(0)} µs), → next animation frame median ${px.toFrame.toFixed(1)} ms;`
      + ` target: within one frame (16 ms): ${px.inDom < 16 ? 'met' : 'MISSED'}`);
    results.pixels = px;
  }

  // ---- size -------------------------------------------------------------------------------------
  if (want('size')) {
    const t = await sizeTable();
    results.size = t;
    console.log('');
    console.log('## Size: what a page loads (each file compressed on its own, node:zlib)');
    console.log('');
    console.log(formatSizeTable(t));
  }

  const load1 = loadavg();
  console.log('');
  console.log(`[bench-browser] load average after: ${load1.map((x) => x.toFixed(2)).join(' ')}`);
  if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ version, quick, results }, null, 2));
  if (pageErrors.length) throw new Error('the page reported errors');
} catch (err) {
  exitCode = 1;
  console.error(`[bench-browser] FAILED: ${err?.message ?? err}`);
} finally {
  clearTimeout(watchdog);
  for (const e of pageErrors) console.error(`[bench-browser]   ${e}`);
  await browser?.close().catch(() => {});
  if (server) {
    server.closeAllConnections?.();
    await new Promise((r) => server.close(r));
  }
}
process.exit(exitCode);
