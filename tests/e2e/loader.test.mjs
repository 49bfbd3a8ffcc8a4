// The script-tag loader and the npm entry under hostile timing and hostile input (issue 20):
// the visitor's choices survive a full pre-ready queue, a .wasm that never arrives settles
// `ready` (and init()) after a documented time, and host strings that name Object.prototype
// members (or values String() cannot convert) never throw into the page nor break start-up.
//
// Pages are served by page.route under the test server's origin (so /js/… and the configs
// are the real ones); needs the release build (`npm run build`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { useEnv } from './harness.mjs';
import { REPO_ROOT } from '../../scripts/serve.mjs';

let browser;
let base;
useEnv((env) => ({ browser, base } = env));

const CHOICES_CONFIG = {
  storageKey: 'ck-loader-choices',
  rules: ['q', 'x', 'y', 'z', 'w', 'v', 'hello'].map((id) => ({
    id, trigger: `go-${id}`, action: { type: 'toast', title: `Rule ${id}` },
  })),
};

/**
 * Opens `html` as page `path` of the test origin in a fresh visitor (unless `context` is
 * given), recording warnings, page errors and unhandled rejections. `routes` are installed
 * first: { glob: handler }.
 */
async function openPage(path, html, { context, routes = {}, clock, json = {} } = {}) {
  const ctx = context || await browser.newContext();
  await ctx.addInitScript(() => {
    window.rejections = [];
    window.addEventListener('unhandledrejection', (e) => window.rejections.push(String(e.reason)));
  });
  const page = await ctx.newPage();
  const seen = { warnings: [], errors: [] };
  page.on('console', (m) => { if (m.type() === 'warning') seen.warnings.push(m.text()); });
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  if (clock !== undefined) await page.clock.install({ time: clock });
  await page.route(`**${path}`, (route) => route.fulfill({ contentType: 'text/html; charset=utf-8', body: html }));
  for (const [name, body] of Object.entries(json)) {
    await page.route(`**${name}`, (route) => route.fulfill({ contentType: 'application/json', body: JSON.stringify(body) }));
  }
  for (const [glob, handler] of Object.entries(routes)) await page.route(glob, handler);
  await page.goto(`${base}${path}`);
  return { context: ctx, page, seen };
}

const head = (title) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title><link rel="icon" href="data:,">`;

// ---------------------------------------------------------------------------------------
// Item 6: the pre-ready queue never drops a choice

const CHOICES_PAGE = `${head('choices after a full queue')}
<script src="/js/cuekit.script.js" data-config="/t/choices.json"></script>
<script>
  for (let i = 0; i < 150; i += 1) cuekit.track('tick', { n: i });
  // Past the bound of 100: none of these may be dropped, and their order holds.
  cuekit.optOut('q');
  cuekit.forget();             // erases q's opt-out (it came first) ...
  cuekit.optOut('x');          // ... but not x's, made after it
  cuekit.optIn('y'); cuekit.optOut('y');    // y: out
  cuekit.optOut('z'); cuekit.optIn('z');    // z: in
  cuekit.snooze('w', '1h');
  for (let i = 0; i < 500; i += 1) { cuekit.optOut('v'); cuekit.optIn('v'); }
  cuekit.optOut('v');          // v: out (the last of 1,001 alternating choices)
  window.statusAtCall = cuekit.status;
</script>
</head><body><p>choices</p></body></html>`;

test('queue: 150 track() calls fill the pre-ready queue; the choices made after them are all kept, in order, and stored', { timeout: 40_000 }, async () => {
  const { context, page, seen } = await openPage('/t/choices.html', CHOICES_PAGE, { json: { '/t/choices.json': CHOICES_CONFIG } });
  assert.equal(await page.evaluate(() => window.cuekit.ready.then((c) => c.status)), 'ready');
  assert.equal(await page.evaluate(() => window.statusAtCall), 'loading', 'the calls were made before ready');
  const state = () => page.evaluate(() => Object.fromEntries(['q', 'x', 'y', 'z', 'w', 'v'].map((id) => {
    const e = window.cuekit.explain(id);
    return [id, { out: e.optedOut, snoozed: e.snoozedUntil !== null }];
  })));
  const expected = {
    q: { out: false, snoozed: false }, x: { out: true, snoozed: false }, y: { out: true, snoozed: false },
    z: { out: false, snoozed: false }, w: { out: false, snoozed: true }, v: { out: true, snoozed: false },
  };
  assert.deepEqual(await state(), expected);
  assert.equal(seen.warnings.length, 1, seen.warnings.join('\n'));
  assert.match(seen.warnings[0], /more than 100 calls before cuekit was ready/);
  // Stored: the next page load of this visitor (no calls this time) still has them.
  await page.route('**/t/choices2.html', (route) => route.fulfill({ contentType: 'text/html',
    body: `${head('again')}<script src="/js/cuekit.script.js" data-config="/t/choices.json"></script></head><body></body></html>` }));
  await page.goto(`${base}/t/choices2.html`);
  assert.equal(await page.evaluate(() => window.cuekit.ready.then((c) => c.status)), 'ready');
  assert.deepEqual(await state(), expected);
  assert.deepEqual(seen.errors, []);
  assert.deepEqual(await page.evaluate(() => window.rejections), []);
  await context.close();
});

// ---------------------------------------------------------------------------------------
// Item 12: a .wasm that never arrives

const never = () => { /* the request is never answered */ };

/**
 * A server of its own for the npm page: /page.html, /js/index.js (the build), and two
 * .wasm URLs that stall: /silent.wasm is never answered, /stalled.wasm sends its headers
 * and 4 bytes, then nothing.
 */
async function stallingServer(html) {
  const sockets = new Set();
  const entry = await readFile(join(REPO_ROOT, 'js/index.js'));
  const server = createServer((req, res) => {
    if (req.url === '/page.html') res.writeHead(200, { 'Content-Type': 'text/html' }).end(html);
    else if (req.url === '/js/index.js') res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(entry);
    else if (req.url === '/stalled.wasm') {
      res.writeHead(200, { 'Content-Type': 'application/wasm' });
      res.write(Buffer.from([0x00, 0x61, 0x73, 0x6d]));
    } else if (req.url !== '/silent.wasm') res.writeHead(404).end();
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/page.html`,
    close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(r); }),
  };
}

async function assertNoOp(page) {
  const results = await page.evaluate(() => {
    const ck = window.cuekit;
    return {
      status: ck.status, track: ck.track('go') ?? 'undefined', optOut: ck.optOut('hello'),
      explain: ck.explain('hello'), off: typeof ck.on('show', () => {}),
    };
  });
  assert.deepEqual(results, { status: 'failed', track: 'undefined', optOut: false, explain: null, off: 'function' });
  assert.equal(await page.locator('[data-cuekit-root]').count(), 0, 'nothing is rendered');
}

test('wasm stall (script tag): a .wasm request that never answers fails after data-wasm-timeout, with one warning and a no-op API', { timeout: 40_000 }, async () => {
  const html = `${head('stall')}<script src="/js/cuekit.script.js" data-config="/www/script/cuekit.json" data-wasm-timeout="400" defer></script></head><body></body></html>`;
  const { context, page, seen } = await openPage('/t/stall.html', html, { routes: { '**/*.wasm': never } });
  const t0 = Date.now();
  assert.equal(await page.evaluate(() => window.cuekit.ready.then((c) => c.status)), 'failed');
  assert.ok(Date.now() - t0 < 5000, 'settled soon after the configured 400 ms');
  await assertNoOp(page);
  await page.waitForTimeout(300);
  assert.equal(seen.warnings.length, 1, seen.warnings.join('\n'));
  assert.match(seen.warnings[0], /^\[cuekit\] not started, every call is a no-op: the WebAssembly file \S+cuekit_bg\.wasm did not load within 0\.4 s/);
  assert.deepEqual(seen.errors, []);
  assert.deepEqual(await page.evaluate(() => window.rejections), [], 'no unhandled rejection');
  await context.close();
});

test('wasm stall (script tag): without an attribute it gives up after the documented 10 s', { timeout: 40_000 }, async () => {
  const t0 = new Date('2026-12-01T10:00:00Z').getTime();
  const html = `${head('stall default')}<script src="/js/cuekit.script.js" data-config="/www/script/cuekit.json" defer></script>
<script>addEventListener('DOMContentLoaded', () => cuekit.ready.then(() => { window.settledAt = Date.now(); }));</script></head><body></body></html>`;
  const { context, page, seen } = await openPage('/t/stall-default.html', html, { routes: { '**/*.wasm': never }, clock: t0 });
  await page.waitForFunction(() => window.cuekit);
  // Virtual time, a second at a time, with real time in between for the page to run.
  for (let s = 0; s < 20 && !(await page.evaluate(() => window.settledAt)); s += 1) {
    await page.clock.runFor(1000);
    await page.waitForTimeout(50);
  }
  const settledAt = await page.evaluate(() => window.settledAt);
  assert.ok(settledAt, 'ready settled');
  assert.ok(settledAt - t0 >= 10_000 && settledAt - t0 <= 13_000, `gave up after ${settledAt - t0} ms of page time`);
  assert.equal(await page.evaluate(() => window.cuekit.status), 'failed');
  assert.equal(seen.warnings.length, 1, seen.warnings.join('\n'));
  assert.match(seen.warnings[0], /did not load within 10 s/);
  assert.deepEqual(await page.evaluate(() => window.rejections), []);
  await context.close();
});

const NPM_STALL = `${head('npm stall')}</head><body><p id="status">loading</p>
<script type="module">
  import { init } from '/js/index.js';
  const config = { rules: [{ id: 'hello', trigger: 'go', action: { type: 'toast', title: 'Hello' } }] };
  window.outcomes = [];
  for (const wasmUrl of ['/silent.wasm', '/stalled.wasm']) {
    const t0 = performance.now();
    await init(config, { wasmTimeout: 400, wasmUrl }).then(
      () => window.outcomes.push({ ok: true }),
      (err) => window.outcomes.push({ ok: false, message: err.message, ms: performance.now() - t0 }));
  }
</script></body></html>`;

test('wasm stall (npm init): no answer, or headers then a stalled body: init() rejects after wasmTimeout, no unhandled rejection', { timeout: 40_000 }, async () => {
  const server = await stallingServer(NPM_STALL);
  const context = await browser.newContext();
  try {
    await context.addInitScript(() => {
      window.rejections = [];
      window.addEventListener('unhandledrejection', (e) => window.rejections.push(String(e.reason)));
    });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(server.url);
    await page.waitForFunction(() => window.outcomes?.length === 2, null, { timeout: 5000 });
    const outcomes = await page.evaluate(() => window.outcomes);
    for (const [i, what] of ['silent', 'stalled'].entries()) {
      assert.equal(outcomes[i].ok, false, what);
      assert.match(outcomes[i].message, new RegExp(`^cuekit: the WebAssembly file \\S*/${what}\\.wasm did not load within 0\\.4 s \\(wasmTimeout\\)`), what);
      assert.ok(outcomes[i].ms >= 390 && outcomes[i].ms < 3000, `${what}: ${outcomes[i].ms} ms`);
    }
    await page.waitForTimeout(300);
    assert.deepEqual(errors, []);
    assert.deepEqual(await page.evaluate(() => window.rejections), [], 'no unhandled rejection');
  } finally {
    await context.close();
    await server.close();
  }
});

// ---------------------------------------------------------------------------------------
// Item 14: host strings named like Object.prototype members, values String() cannot convert

const PROTO_NAMES = ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'];

const PROTO_PAGE = `${head('prototype names')}
<script src="/js/cuekit.script.js" data-config="/www/script/cuekit.json"></script>
<script>
  window.heard = [];
  const names = ${JSON.stringify(PROTO_NAMES)};
  for (const n of names) cuekit.on(n, () => window.heard.push(n));
  cuekit.on('show', (d) => window.heard.push('show:' + d.rule));
  // Values String() throws on, as an event name, a rule id, an action name.
  const bare = Object.create(null);
  const hostile = { toString() { throw new Error('no'); } };
  window.thrown = [];
  for (const v of [bare, hostile]) {
    for (const call of [() => cuekit.on(v, () => {}), () => cuekit.explain(v), () => cuekit.dismiss(v),
      () => cuekit.optOut(v), () => cuekit.snooze(v, '1h'), () => cuekit.track(v), () => cuekit.off(v, () => {})]) {
      try { call(); } catch (e) { window.thrown.push(String(e)); }
    }
  }
  const acts = Object.create(null);
  acts.toString = () => {};
  acts.__proto__ = () => {};
  try { cuekit.actions(acts); } catch (e) { window.thrown.push(String(e)); }
</script>
</head><body><p>proto</p></body></html>`;

test('prototype names (script tag): on("toString"|"constructor"|"__proto__"|…) and uncoercible ids before ready: start-up succeeds, nothing throws', { timeout: 40_000 }, async () => {
  const { context, page, seen } = await openPage('/t/proto.html', PROTO_PAGE);
  assert.equal(await page.evaluate(() => window.cuekit.ready.then((c) => c.status)), 'ready');
  assert.deepEqual(await page.evaluate(() => window.thrown), []);
  await page.evaluate(() => window.cuekit.track('go', { name: 'Ada' }));
  await page.getByRole('dialog', { name: 'Hello Ada' }).waitFor();
  assert.deepEqual(await page.evaluate(() => window.heard), ['show:hello'], 'no handler under a prototype name is called');
  // The same after ready, on the running instance through the global.
  const after = await page.evaluate((names) => {
    const out = [];
    for (const n of names) {
      try { out.push(typeof window.cuekit.on(n, () => {})); } catch (e) { out.push(String(e)); }
    }
    for (const v of [Object.create(null), { toString() { throw new Error('no'); } }]) {
      try { out.push(window.cuekit.explain(v), window.cuekit.dismiss(v), window.cuekit.optOut(v)); } catch (e) { out.push(String(e)); }
    }
    return out;
  }, PROTO_NAMES);
  assert.deepEqual(after, [...PROTO_NAMES.map(() => 'function'), null, false, false, null, false, false]);
  assert.equal(await page.evaluate(() => window.cuekit.explain('hello').optedOut), false, 'an uncoercible id is not quiet mode');
  assert.deepEqual(seen.errors, []);
  assert.deepEqual(await page.evaluate(() => window.rejections), []);
  await context.close();
});

test('prototype names (npm): every API call given a null-prototype object, a throwing toString, a Proxy or a Symbol returns its empty value and throws nothing', { timeout: 40_000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${base}/www/rel.html?config=rel-basic`);
  await page.waitForFunction(() => document.getElementById('status').textContent === 'ready');
  const out = await page.evaluate(() => {
    const ck = window.ck;
    const values = {
      bare: Object.create(null),
      hostile: { toString() { throw new Error('no'); } },
      proxy: new Proxy({}, { get() { throw new Error('trap'); }, getPrototypeOf() { throw new Error('trap'); }, ownKeys() { throw new Error('trap'); } }),
      symbol: Symbol('s'),
    };
    const result = {};
    for (const [what, v] of Object.entries(values)) {
      const calls = {
        explain: () => ck.explain(v), dismiss: () => ck.dismiss(v), convert: () => ck.convert(v),
        snooze: () => ck.snooze(v, '1h'), optOut: () => ck.optOut(v), optIn: () => ck.optIn(v),
        on: () => typeof ck.on(v, () => {}), off: () => ck.off(v, () => {}) ?? 'undefined',
        track: () => ck.track(v, v) ?? 'undefined', identify: () => ck.identify(v) ?? 'undefined',
        actions: () => ck.actions(v) ?? 'undefined', consent: () => ck.consent(v) ?? 'undefined',
      };
      result[what] = {};
      for (const [name, call] of Object.entries(calls)) {
        try { result[what][name] = call(); } catch (e) { result[what][name] = `threw ${e}`; }
      }
    }
    for (const n of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      try { ck.on(n, () => {})(); } catch (e) { result[n] = `threw ${e}`; }
    }
    return result;
  });
  const expected = {
    explain: null, dismiss: false, convert: false, snooze: false, optOut: false, optIn: false,
    on: 'function', off: 'undefined', track: 'undefined', identify: 'undefined', actions: 'undefined', consent: 'undefined',
  };
  assert.deepEqual(out, { bare: expected, hostile: expected, proxy: expected, symbol: expected });
  // None of those was taken as "every rule" (quiet mode): the offer still shows.
  await page.evaluate(() => window.ck.track('go-offer'));
  await page.getByText('An offer', { exact: true }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});
