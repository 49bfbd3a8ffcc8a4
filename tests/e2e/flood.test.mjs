// Flood: 10,000 mixed inputs through the real listeners and the public API (www/bench.html,
// its 23 rules of every kind; see `flood()` in www/bench.js), three times. From the end of
// the warm-up flood to the end of the third, the wasm linear memory may grow by one 64 KiB
// page at most: where the allocator places a large transient buffer (a stored record being
// written) varies from run to run and now and then takes one more page, once; state that
// keeps growing grows on every flood. Over 20,000 inputs, one page is 3.3 bytes per input:
// a leak of that much or more fails.
//
// What the assertion measures: `WebAssembly.Memory.buffer.byteLength` of cuekit's module,
// i.e. the pages the Rust allocator has taken. Linear memory never shrinks, so growth over
// the measured floods means Rust-side state kept growing (pattern progress, ledger,
// interned strings, buffers) past its bounds. It does NOT see JS-side leaks (a growing JS
// array, or wasm-bindgen's JS object table): those are in the JS heap, reported here (after
// a forced GC) but not asserted, since the JS heap moves with the page's own work too.
// The second test is the positive control: the same check over a flood that deliberately
// leaks wasm memory (allocations with the module's own allocator, never freed) must see
// growth, so the first assertion can fail.
//
// Long tasks (> 50 ms, PerformanceObserver) are reported, not asserted (shared machines).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv, CHROMIUM_ARGS } from './harness.mjs';

// 10,000 per flood, in tasks of 250 inputs: at today's ~0.5 ms per input (with decisions)
// two floods take ~10 s on a quiet 2-core machine. `npm run bench` floods 100,000.
const N = 10000;
const CHUNK = 250;
let env;
useEnv((e) => { env = e; });

// The harness's browser has no --expose-gc; this file launches its own with it.
async function openPage() {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, '--js-flags=--expose-gc', '--enable-precise-memory-info',
      '--disable-background-timer-throttling', '--disable-renderer-backgrounding'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${env.base}/www/bench.html`);
  await page.evaluate(() => window.bench.ready);
  return { browser, page, errors };
}

const mb = (b) => `${(b / 1048576).toFixed(2)} MB`;

const PAGE = 65536;

async function floods(page, n, opts = {}) {
  const flood = () => page.evaluate(([k, o]) => window.bench.flood(k, o), [n, opts]);
  const memory = () => page.evaluate(() => window.bench.memory());
  const warm = await flood();
  const m1 = await memory();
  const second = await flood();
  const m2 = await memory();
  await flood();
  const m3 = await memory();
  return { warm, second, m1, m2, m3 };
}

test(`wasm memory stays flat (one page of slack) over two more floods of ${N.toLocaleString("en-US")} mixed inputs`, { timeout: 120000 }, async (t) => {
  const { browser, page, errors } = await openPage();
  try {
    const m0 = await page.evaluate(() => window.bench.memory());
    assert.ok(m0.wasmBytes > 0, 'the bench page sees the wasm memory');
    const { warm, second, m1, m2, m3 } = await floods(page, N, { chunk: CHUNK });
    const us = (r) => ((r.syncMs / r.events) * 1000).toFixed(1);
    t.diagnostic(`wasm memory: start ${mb(m0.wasmBytes)}, after warm-up flood ${mb(m1.wasmBytes)}, after second flood ${mb(m2.wasmBytes)}, after third ${mb(m3.wasmBytes)}`);
    t.diagnostic(`JS heap after GC (reported only): ${mb(m1.jsHeapUsed)} → ${mb(m2.jsHeapUsed)}`);
    t.diagnostic(`second flood: ${second.events} inputs, ${us(second)} µs/input synchronous (listeners + API, browser dispatch included), `
      + `${second.asyncMs.toFixed(1)} ms in frames/observers/timers, ${second.decisions} decisions; `
      + `long tasks (reported, not asserted): warm-up ${warm.longTasks}, second ${second.longTasks}${second.longTaskMs.length ? ` (${second.longTaskMs.join(', ')} ms)` : ''}`);
    assert.ok(second.decisions > 0, 'the flood produced decisions (the SDK was running)');
    assert.ok(m3.wasmBytes - m1.wasmBytes <= PAGE,
      `wasm memory grew over two floods after the warm-up: ${m1.wasmBytes} → ${m2.wasmBytes} → ${m3.wasmBytes} bytes`);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('positive control: the same check sees a deliberate wasm leak', { timeout: 60000 }, async (t) => {
  const { browser, page } = await openPage();
  try {
    // Shorter floods; 64 KiB leaked per chunk of 50 inputs: 40 chunks, 2.5 MB per flood.
    const { m1, m3 } = await floods(page, 2000, { chunk: 50, leakBytesPerChunk: 65536 });
    t.diagnostic(`with the leak: ${mb(m1.wasmBytes)} → ${mb(m3.wasmBytes)}`);
    assert.ok(m3.wasmBytes - m1.wasmBytes > PAGE, 'a leak in wasm memory makes the flatness check fail');
  } finally {
    await browser.close();
  }
});
