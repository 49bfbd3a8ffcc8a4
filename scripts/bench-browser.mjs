#!/usr/bin/env node
// Browser benchmark: cuekit's cost on the page's main thread, in Debian's headless Chromium.
//
//   node scripts/bench-browser.mjs            10 s of 120 Hz scrolling, 10 s of 50 clicks/s
//   node scripts/bench-browser.mjs --quick    2 s of each
//
// Needs the release package (`npm run build` → pkg/); builds nothing itself. Drives
// www/bench.html (see www/bench.js for what is timed and how). Each scenario runs with
// cuekit, then again on the same page after `ck.destroy()` as the baseline; the SDK time
// is the difference. Timing never fails the run (machines are noisy): the exit code is
// non-zero only when the page or the driver errors.
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, REPO_ROOT } from './serve.mjs';

const TARGET_US = 50; // main-thread time per input event
const TARGET_LONG_TASKS = 0;

const args = process.argv.slice(2);
for (const a of args) {
  if (a !== '--quick') {
    console.error(`[bench-browser] unknown argument "${a}" (usage: node scripts/bench-browser.mjs [--quick])`);
    process.exit(2);
  }
}
const quick = args.includes('--quick');
const SECONDS = quick ? 2 : 10;
const SCROLL_HZ = 120;
const CLICKS_PER_S = 50;
const WARMUP_S = quick ? 0.5 : 1;
const WATCHDOG_S = 4 * (SECONDS + WARMUP_S) + 120;

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
    const lt = r.longTasks == null ? 'n/a' : `${r.longTasks} ${r.longTasks <= TARGET_LONG_TASKS ? 'met' : 'MISSED'}`;
    return [name, String(r.inputs), f1(r.medianUs), f1(r.meanUs), met ? 'met' : 'MISSED',
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
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(`console.error: ${m.text()}`);
  });
  page.on('crash', () => pageErrors.push('the page crashed'));

  await page.goto(`${base}/www/bench.html`);
  await page.evaluate(() => window.bench.ready);
  if (pageErrors.length) throw new Error('the bench page failed to start');
  const info = await page.evaluate(() => window.bench.info());
  const version = browser.version();

  const load0 = loadavg();
  console.log(`[bench-browser] Chromium ${version} headless; ${cpus().length} CPUs; load average ${load0.map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`[bench-browser] ${info.rules} rules; page ${info.viewport.join('×')}, ${info.scrollHeight} px tall; `
    + `crossOriginIsolated ${info.crossOriginIsolated}, performance.now() step ${info.timerResolutionUs} µs; `
    + `${SECONDS} s per scenario${quick ? ' (--quick)' : ''}, then the same after ck.destroy() as baseline`);

  const ev = (fn, ...a) => page.evaluate(fn, a);
  // Warm up both code paths (JIT, wasm tier-up, caches), then measure with cuekit.
  await ev(([s]) => window.bench.runScroll(s, 120), WARMUP_S);
  await ev(([s]) => window.bench.runClicks(s, 50), WARMUP_S);
  const mem0 = await ev(() => window.bench.memory());
  const scroll = await ev(([s, hz]) => window.bench.runScroll(s, hz), SECONDS, SCROLL_HZ);
  const clicks = await ev(([s, n]) => window.bench.runClicks(s, n), SECONDS, CLICKS_PER_S);
  const mem1 = await ev(() => window.bench.memory());
  // Baseline: same page, same elements, cuekit removed.
  await ev(() => window.bench.destroy());
  await ev(([s]) => window.bench.runScroll(s, 120), WARMUP_S);
  await ev(([s]) => window.bench.runClicks(s, 50), WARMUP_S);
  const scrollBase = await ev(([s, hz]) => window.bench.runScroll(s, hz), SECONDS, SCROLL_HZ);
  const clicksBase = await ev(([s, n]) => window.bench.runClicks(s, n), SECONDS, CLICKS_PER_S);

  const rows = [
    [`scroll ${SCROLL_HZ} Hz, ${SECONDS} s`, analyse(scroll, scrollBase)],
    [`clicks ${CLICKS_PER_S}/s, ${SECONDS} s`, analyse(clicks, clicksBase)],
  ];
  console.log('');
  console.log(table(rows));
  console.log('');
  for (const [name, r] of rows) console.log(details(name, r));
  console.log(`  memory (after GC) before → after the measured runs: JS heap ${mb(mem0.jsHeapUsed)} → ${mb(mem1.jsHeapUsed)}; `
    + `wasm linear memory ${mb(mem0.wasmBytes)} → ${mb(mem1.wasmBytes)}`);
  const load1 = loadavg();
  console.log(`  load average after: ${load1.map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`  SDK µs/event = own listener dispatch + share of the frame/observer/timer work that input caused,`
    + ` minus the baseline; the scroll listener is timed on one synthetic scroll event per step.`);
  // Signal to pixels: from track() to the modal in the DOM (synchronous), and to the
  // next animation frame (the frame it is painted in).
  const pix = await context.newPage();
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
  console.log(`  signal to pixels (${px.n} modals): track() → modal in the DOM median ${(px.inDom * 1000).toFixed(0)} µs`
    + ` (max ${(px.maxInDom * 1000).toFixed(0)} µs), → next animation frame median ${px.toFrame.toFixed(1)} ms;`
    + ` target: within one frame (16 ms): ${px.inDom < 16 ? 'met' : 'MISSED'}`);
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
