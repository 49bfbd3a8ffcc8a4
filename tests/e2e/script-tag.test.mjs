// The script-tag loader (js/cuekit.script.js) end to end, on the pages in www/script/: the
// global stub queues calls and replays them, the config comes from a URL or inline, host
// actions, loading twice, a taken global name, and every failure mode (wasm 404, HTML
// served as wasm, a CSP without 'wasm-unsafe-eval', no WebAssembly, config 404, invalid
// config): one console warning, a no-op API, no page error, the host page keeps working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv } from './harness.mjs';

let browser;
let base;
useEnv((env) => ({ browser, base } = env));

/** Opens a page of www/script/ in a fresh visitor, recording what a developer would see. */
async function open(name, global = 'cuekit') {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    window.rejections = [];
    window.addEventListener('unhandledrejection', (e) => window.rejections.push(String(e.reason)));
  });
  const page = await context.newPage();
  const seen = { warnings: [], errors: [], wasm: [] };
  page.on('console', (m) => { if (m.type() === 'warning') seen.warnings.push(m.text()); });
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  page.on('request', (r) => { if (/\.wasm$|not-wasm\.html$/.test(new URL(r.url()).pathname)) seen.wasm.push(r.url()); });
  await page.goto(`${base}/www/script/${name}`);
  // `ready` resolves to the global itself, never rejects.
  const status = await page.evaluate((g) => window[g].ready.then((api) => (api === window[g] ? api.status : 'other object')), global);
  return { context, page, seen, status };
}

const dialog = (page, name) => page.getByRole('dialog', { name });

async function hostButtonWorks(page) {
  await page.click('#host-button');
  await page.click('#host-button');
  assert.equal(await page.textContent('#host-count'), '2', 'the host page keeps working');
}

test('basic: a script tag with data-config starts cuekit; track() renders the prompt', async () => {
  const { context, page, seen, status } = await open('basic.html');
  assert.equal(status, 'ready');
  await hostButtonWorks(page);
  await page.evaluate(() => window.cuekit.track('go', { name: 'Ada' }));
  await dialog(page, 'Hello Ada').waitFor();
  assert.equal(await page.evaluate(() => window.cuekit.explain('hello').fired), 1, 'queries reach the instance');
  assert.deepEqual(seen.warnings, []);
  assert.deepEqual(seen.errors, []);
  assert.equal(seen.wasm.length, 1);
  await context.close();
});

test('the .wasm is requested at once, while the entry module is still loading, and only once', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const log = [];
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => { if (new URL(r.url()).pathname.endsWith('.wasm')) log.push('wasm requested'); });
  // The entry module arrives late (a slow network): the .wasm must not wait for it.
  await page.route('**/js/index.js', async (route) => {
    await new Promise((r) => setTimeout(r, 500));
    log.push('entry served');
    await route.continue();
  });
  await page.goto(`${base}/www/script/basic.html`);
  assert.equal(await page.evaluate(() => window.cuekit.ready.then((api) => api.status)), 'ready');
  assert.deepEqual(log, ['wasm requested', 'entry served']);
  await page.evaluate(() => window.cuekit.track('go', { name: 'Ada' }));
  await dialog(page, 'Hello Ada').waitFor();
  assert.equal(await page.evaluate(() => Object.getOwnPropertySymbols(window).includes(Symbol.for('cuekit.wasm'))), false,
    'the handed-over response is not left on the page');
  assert.deepEqual(errors, []);
  await context.close();
});

test('calls made before the wasm is ready are queued and replayed in order; the same object keeps working', async () => {
  const { context, page, seen, status } = await open('queue.html');
  assert.equal(status, 'ready');
  assert.equal(await page.evaluate(() => window.statusAtCall), 'loading', 'the calls really were made before ready');
  // identify() was replayed before track(): the "pro" rule's condition held.
  await page.getByRole('status').filter({ hasText: 'Welcome, pro user' }).waitFor();
  assert.deepEqual(await page.evaluate(() => window.shown), ['pro'], 'the queued on() heard it; the cancelled one did not');
  // Hosts that kept the object (or one method) from before keep working.
  assert.equal(await page.evaluate(() => window.captured === window.cuekit), true);
  // (one prompt at a time: the toast is dismissed first, through the captured object)
  assert.equal(await page.evaluate(() => window.captured.dismiss('pro')), true);
  await page.evaluate(() => window.capturedTrack('go', { name: 'Grace' }));
  await dialog(page, 'Hello Grace').waitFor();
  assert.deepEqual(seen.warnings, []);
  assert.deepEqual(seen.errors, []);
  await context.close();
});

test('the queue is bounded: 100 calls are replayed, later ones are dropped with one warning', async () => {
  const { context, page, seen } = await open('overflow.html');
  await dialog(page, 'A hundred ticks').waitFor();
  await page.waitForTimeout(200);
  assert.equal(await dialog(page, 'Too late').count(), 0, 'calls beyond the bound are dropped');
  assert.equal(seen.warnings.length, 1, seen.warnings.join('\n'));
  assert.match(seen.warnings[0], /more than 100 calls before cuekit was ready/);
  assert.deepEqual(seen.errors, []);
  await context.close();
});

test('an inline <script type="application/json" id="cuekit-config"> config, even after the loader', async () => {
  const { context, page, seen, status } = await open('inline-config.html');
  assert.equal(status, 'ready');
  await page.evaluate(() => window.cuekit.track('go'));
  await dialog(page, 'Inline config works').waitFor();
  assert.deepEqual(seen.warnings, []);
  await context.close();
});

test('host actions and on() handlers given before ready serve the start-up decision; actions added after ready work too', async () => {
  const { context, page, seen, status } = await open('actions.html');
  assert.equal(status, 'ready');
  assert.deepEqual(await page.evaluate(() => window.chats), ['chat-on-load'], 'the start-up page view called openChat');
  assert.deepEqual(await page.evaluate(() => window.shows), ['chat-on-load'], 'a show handler subscribed before ready heard the start-up decision');
  const called = await page.evaluate(() => {
    const calls = [];
    window.cuekit.actions({ registeredLater: (p) => calls.push(p.rule) });
    window.cuekit.track('go-later');
    return calls;
  });
  assert.deepEqual(called, ['later']);
  assert.deepEqual(await page.evaluate(() => window.shows), ['chat-on-load', 'later'], 'and later decisions');
  assert.deepEqual(seen.warnings, [], 'no "host action is not registered" warning');
  await context.close();
});

test('the script included twice: one instance, exactly one warning', async () => {
  const { context, page, seen, status } = await open('twice.html');
  assert.equal(status, 'ready');
  await page.evaluate(() => window.cuekit.track('go', { name: 'once' }));
  await dialog(page, 'Hello once').waitFor();
  await page.waitForTimeout(200);
  assert.equal(await page.locator('[data-cuekit-root]').count(), 1, 'one prompt, not one per script tag');
  assert.equal(seen.wasm.length, 1, 'the wasm is loaded once');
  assert.equal(seen.warnings.length, 1, seen.warnings.join('\n'));
  assert.match(seen.warnings[0], /included more than once/);
  assert.deepEqual(seen.errors, []);
  await context.close();
});

test('a bundled npm copy and the script tag on one page share one instance, with one warning', async () => {
  const { context, page, seen, status } = await open('npm-twice.html');
  assert.equal(status, 'ready');
  await page.waitForFunction(() => window.npmCk);
  await page.evaluate(() => window.cuekit.track('go', { name: 'shared' }));
  await dialog(page, 'Hello shared').waitFor();
  await page.waitForTimeout(200);
  assert.equal(await page.locator('[data-cuekit-root]').count(), 1);
  assert.equal(await page.evaluate(() => window.npmCk.explain('hello').fired), 1, 'the npm instance saw the script tag\'s event');
  assert.equal(seen.warnings.length, 1, seen.warnings.join('\n'));
  assert.match(seen.warnings[0], /init\(\) called again; returning the running instance/);
  assert.deepEqual(seen.errors, []);
  await context.close();
});

test('a global name the host already uses is not overwritten; data-global picks another', async () => {
  const { context, page, seen, status } = await open('taken.html', 'myCue');
  assert.equal(status, 'ready');
  assert.deepEqual(await page.evaluate(() => window.cuekit), { mine: true }, 'the host\'s window.cuekit is untouched');
  await page.evaluate(() => window.myCue.track('go', { name: 'myCue' }));
  await dialog(page, 'Hello myCue').waitFor();
  assert.equal(seen.warnings.length, 1, seen.warnings.join('\n'));
  assert.match(seen.warnings[0], /window\.cuekit is already used by something else.*data-global/);
  assert.deepEqual(seen.errors, []);
  await context.close();
});

const failures = [
  ['fail-404.html', 'the .wasm answers 404', /could not load the WebAssembly file \S+missing\.wasm: HTTP 404/, 1],
  ['fail-html.html', 'an HTML page is served instead of the .wasm', /not-wasm\.html is not a WebAssembly file \(it was served as text\/html\)/, 1],
  ['csp.html', "the page's CSP lacks 'wasm-unsafe-eval'", /Content-Security-Policy does not allow WebAssembly \(add 'wasm-unsafe-eval'/, 1],
  ['no-wasm.html', 'the browser has no WebAssembly', /WebAssembly is not available in this browser/, 0],
  // (The .wasm is requested at once, in parallel with the config: one request, no retry.)
  ['config-404.html', 'the config answers 404', /could not load the config \/www\/script\/missing\.json: HTTP 404/, 1],
  ['config-invalid.html', 'the config is invalid', /invalid config:\n {2}rules\[0\]\.trigger\.idle: .*\n {2}rules\[1\]\.priorty: unknown field/, 1],
];

for (const [name, what, warning, wasmRequests] of failures) {
  test(`${what}: one warning, a no-op API, no page error, the host page works`, async () => {
    const { context, page, seen, status } = await open(name);
    assert.equal(status, 'failed');
    // Every kind of call returns an empty value and never throws.
    const results = await page.evaluate(() => {
      const ck = window.cuekit;
      const off = ck.on('show', () => {});
      off();
      return {
        track: ck.track('go', { name: 'nobody' }) ?? 'undefined',
        identify: ck.identify({ plan: 'pro' }) ?? 'undefined',
        consent: ck.consent(true) ?? 'undefined',
        dismiss: ck.dismiss('hello'),
        optOut: ck.optOut(),
        explain: ck.explain('hello'),
        stats: ck.stats(),
        storage: ck.storage(),
        actions: ck.actions({ x() {} }) ?? 'undefined',
        destroy: ck.destroy() ?? 'undefined',
        off: typeof off,
        error: ck.error,
      };
    });
    assert.deepEqual({ ...results, error: undefined }, {
      track: 'undefined', identify: 'undefined', consent: 'undefined', dismiss: false, optOut: false,
      explain: null, stats: [], storage: 'memory', actions: 'undefined', destroy: 'undefined', off: 'function', error: undefined,
    });
    assert.match(results.error, warning, 'cuekit.error says why');
    await hostButtonWorks(page);
    await page.waitForTimeout(500); // a retry or a late second warning would show up here
    assert.equal(await page.locator('[data-cuekit-root]').count(), 0, 'nothing is rendered');
    assert.equal(seen.warnings.length, 1, `exactly one warning, got:\n${seen.warnings.join('\n')}`);
    assert.match(seen.warnings[0], warning);
    assert.match(seen.warnings[0], /^\[cuekit\] not started, every call is a no-op: /);
    assert.deepEqual(seen.errors, [], 'no page error');
    assert.deepEqual(await page.evaluate(() => window.rejections), [], 'no unhandled promise rejection');
    assert.equal(seen.wasm.length, wasmRequests, 'no retry');
    await context.close();
  });
}
