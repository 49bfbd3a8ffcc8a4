// End to end: webhooks from the release build to a real HTTP receiver (tests/e2e/receiver.mjs)
// through Debian's Chromium — delivery, retry after a 500, Retry-After on a 429, and the
// page-hide hand-over (a keepalive fetch, never sendBeacon: no cookies) when the visitor
// leaves while a payload is still waiting; erasure, redirects, size limits, pollution.
//
// Needs the release package (`npm run build`; `npm test` builds before this step).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv } from './harness.mjs';
import { startReceiver } from './receiver.mjs';

let browser;
let base;
useEnv((env) => ({ browser, base } = env));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A fresh receiver, browser context and test page; `close()` ends all three. */
async function open(mode = 'rule') {
  const rx = await startReceiver();
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  const warnings = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'warning') warnings.push(m.text());
    // Chromium logs every non-2xx answer itself; the scripted 429/500/503 are expected.
    if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of/.test(m.text())) {
      errors.push(m.text());
    }
  });
  await page.goto(`${base}/www/webhook-test.html?port=${rx.port}&mode=${mode}`);
  await page.waitForSelector('#status:text("ready")', { timeout: 15000 });
  const close = async () => {
    await context.close();
    await rx.close();
  };
  return { rx, page, context, errors, warnings, close };
}

const track = (page, sku = 'mug-1') => page.evaluate((s) => window.ck.track('add_to_cart', { sku: s }), sku);

/** The payload cuekit sends for the "cart" rule's show. */
function assertCartPayload(req) {
  assert.equal(req.method, 'POST');
  assert.equal(req.path, '/hook');
  assert.ok(req.json, `the body is JSON: ${req.body}`);
  assert.equal(req.json.type, 'track');
  assert.equal(req.json.event, 'cuekit show');
  assert.equal(req.json.properties.rule, 'cart');
  assert.equal(req.json.properties['props.sku'], 'mug-1');
  assert.equal(typeof req.json.messageId, 'string');
  assert.ok(req.json.messageId.length > 0);
  assert.equal(typeof req.json.timestamp, 'string');
  assert.equal(req.json.context.library.name, 'cuekit');
}

test('a show posts exactly one Segment-shaped JSON payload, without cookies', async () => {
  const { rx, page, errors, close } = await open();
  try {
    // A cookie the receiver's host (127.0.0.1, another port) would get with credentials.
    await page.evaluate(() => { document.cookie = 'ck_secret=1; path=/; SameSite=Lax'; });
    await track(page);
    const [req] = await rx.waitFor(1);
    assertCartPayload(req);
    assert.match(req.contentType, /^application\/json/);
    assert.equal(req.cookie, null, 'credentials: "omit"');
    assert.equal(req.answeredWith, 200);
    await sleep(1500);
    assert.equal(rx.requests.length, 1, 'exactly one POST');
    assert.ok(rx.preflights >= 1, 'the JSON content type is preflighted');
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});

test('a global webhook for "show" events posts the same shape', async () => {
  const { rx, page, errors, close } = await open('global');
  try {
    await track(page);
    const [req] = await rx.waitFor(1);
    assertCartPayload(req);
    await sleep(1000);
    assert.equal(rx.requests.length, 1);
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});

test('after a 500 the payload arrives on the retry, once', async () => {
  const { rx, page, errors, close } = await open();
  try {
    rx.failFirst(1, 500);
    await track(page);
    const reqs = await rx.waitFor(2, 10_000);
    assert.equal(reqs[0].answeredWith, 500);
    assert.equal(reqs[1].answeredWith, 200);
    assertCartPayload(reqs[1]);
    assert.equal(reqs[1].body, reqs[0].body, 'the same payload (same messageId)');
    const gap = reqs[1].at - reqs[0].at;
    assert.ok(gap >= 800 && gap < 5000, `retried after ${gap} ms (backoff 1 s)`);
    await sleep(2500);
    assert.equal(rx.requests.length, 2, 'delivered once, not twice');
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});

test('a 429 with Retry-After: 2 is retried after about 2 s', async () => {
  const { rx, page, errors, close } = await open();
  try {
    rx.failFirst(1, 429, { 'Retry-After': '2' });
    await track(page);
    const reqs = await rx.waitFor(2, 10_000);
    assert.equal(reqs[0].answeredWith, 429);
    const gap = reqs[1].at - reqs[0].at;
    assert.ok(gap >= 1800 && gap < 6000, `retried after ${gap} ms (Retry-After: 2, backoff 1 s)`);
    assert.equal(reqs[1].body, reqs[0].body);
    await sleep(1500);
    assert.equal(rx.requests.length, 2);
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});

test('leaving the page hands a waiting payload to a keepalive fetch, without cookies', async () => {
  const { rx, page, errors, close } = await open();
  try {
    // A cookie for the receiver's host (127.0.0.1; cookies are per host, not port): a
    // same-site request that carries credentials (as sendBeacon always does) sends it.
    await page.evaluate(() => { document.cookie = 'ck_secret=1; path=/; SameSite=Lax'; });
    // The endpoint is "down" for an hour: the payload waits in the queue…
    rx.failFirst(1, 503, { 'Retry-After': '3600' });
    await track(page);
    const [first] = await rx.waitFor(1);
    assert.equal(first.answeredWith, 503);
    await sleep(300);
    assert.deepEqual(errors, []);
    // …until the visitor leaves: pagehide sends it by beacon.
    await page.goto('about:blank');
    const reqs = await rx.waitFor(2, 10_000);
    const beacon = reqs[1];
    assert.equal(beacon.method, 'POST');
    assert.match(beacon.contentType, /^text\/plain/i, 'a beacon needs no preflight');
    assert.equal(beacon.body, first.body, 'the queued payload, unchanged');
    assert.equal(beacon.cookie, null, 'no cookies on the page-hide flush either');
    assertCartPayload(beacon);
    await sleep(1000);
    assert.equal(rx.requests.length, 2, 'handed over once');
  } finally {
    await close();
  }
});

test('a slow endpoint loses nothing when the visitor leaves', async () => {
  const { rx, page, close } = await open();
  try {
    // The request arrives but its answer takes 5 s: it is in flight (keepalive), not
    // re-sent by beacon.
    rx.respond({ status: 200, delayMs: 5000 });
    await track(page);
    const [first] = await rx.waitFor(1);
    assertCartPayload(first);
    await page.goto('about:blank');
    await sleep(1500);
    assert.equal(rx.requests.length, 1, 'no duplicate by beacon');
  } finally {
    await close();
  }
});

/** The receiver's answer for an endpoint "down" for an hour: the payload waits queued. */
const DOWN = [1, 503, { 'Retry-After': '3600' }];

test('forget() erases the queued payloads: nothing is sent after a reload or on page hide', async () => {
  const { rx, page, errors, close } = await open();
  try {
    await page.evaluate(() => window.ck.identify({ email: 'ada@example.com' }));
    rx.failFirst(...DOWN);
    await track(page);
    const [first] = await rx.waitFor(1);
    assert.equal(first.json.properties.email, 'ada@example.com');
    const oldId = first.json.anonymousId;
    await sleep(300);
    assert.ok(await page.evaluate(() => localStorage.getItem('cuekit:webhooks')), 'queued and stored');
    await page.evaluate(() => window.ck.forget());
    assert.equal(await page.evaluate(() => localStorage.getItem('cuekit:webhooks')), null, 'the stored copy is gone');
    // Page hide right after the erasure: nothing goes out by the page-hide flush.
    await page.reload();
    await page.waitForSelector('#status:text("ready")', { timeout: 15000 });
    await sleep(1500);
    const after = rx.requests.slice(1);
    assert.deepEqual(after.map((r) => r.body), [], 'nothing delivered after forget()');
    assert.ok(!rx.requests.slice(1).some((r) => r.body.includes(oldId) || r.body.includes('ada@')));
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});

test('consent(false) erases the queued payloads: nothing is sent after a reload', async () => {
  const { rx, page, errors, close } = await open();
  try {
    rx.failFirst(...DOWN);
    await track(page);
    await rx.waitFor(1);
    await sleep(300);
    await page.evaluate(() => window.ck.consent(false));
    assert.equal(await page.evaluate(() => localStorage.getItem('cuekit:webhooks')), null);
    await page.reload();
    await page.waitForSelector('#status:text("ready")', { timeout: 15000 });
    await sleep(1500);
    assert.equal(rx.requests.length, 1, 'nothing delivered after consent(false)');
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});

test('Global Privacy Control at init erases a queue stored before it was on', async () => {
  const { rx, page, context, errors, close } = await open();
  try {
    rx.failFirst(...DOWN);
    await track(page);
    await rx.waitFor(1);
    await sleep(300);
    assert.ok(await page.evaluate(() => localStorage.getItem('cuekit:webhooks')), 'queued and stored');
    await context.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true, configurable: true });
    });
    await page.goto(page.url() + '&gpc=1');
    await page.waitForSelector('#status:text("ready")', { timeout: 15000 });
    assert.equal(await page.evaluate(() => navigator.globalPrivacyControl), true);
    assert.equal(await page.evaluate(() => localStorage.getItem('cuekit:webhooks')), null, 'erased with the rest');
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});

for (const status of [302, 307]) {
  test(`a ${status} to a refused host is not followed and not counted as delivered`, async () => {
    // 127.0.0.2 is loopback too, but check_webhook refuses plain http to it.
    const evil = await startReceiver({ host: '127.0.0.2' });
    const { rx, page, warnings, close } = await open();
    try {
      rx.failFirst(1, status, { Location: `${evil.url}/stolen` });
      await track(page);
      await rx.waitFor(1);
      await sleep(2500);
      assert.equal(evil.requests.length, 0, 'nothing requested at the redirect target');
      assert.equal(evil.preflights, 0, 'not even a preflight');
      assert.equal(rx.requests.length, 1, 'not retried: a redirect is an answer, not an outage');
      assert.ok(warnings.some((w) => /redirect/i.test(w)), `a warning says why: ${warnings}`);
      // Nothing left queued (it was neither delivered nor kept for a retry).
      assert.equal(await page.evaluate(() => localStorage.getItem('cuekit:webhooks')), null);
    } finally {
      await close();
      await evil.close();
    }
  });
}

test('the page-hide flush does not follow a redirect to a refused host either', async () => {
  const evil = await startReceiver({ host: '127.0.0.2' });
  const { rx, page, close } = await open();
  try {
    rx.failFirst(...DOWN);
    rx.respond({ status: 307, headers: { Location: `${evil.url}/stolen` } });
    await track(page);
    await rx.waitFor(1);
    await sleep(300);
    await page.goto('about:blank');
    await rx.waitFor(2);
    await sleep(1500);
    assert.equal(evil.requests.length, 0, 'nothing requested at the redirect target');
    assert.equal(evil.preflights, 0);
  } finally {
    await close();
    await evil.close();
  }
});

test('a payload larger than the queue allows is dropped with a warning naming the limit', async () => {
  const { rx, page, warnings, close } = await open();
  try {
    await track(page, 'x'.repeat(300 * 1024));
    await sleep(1000);
    assert.equal(rx.requests.length, 0);
    const w = warnings.filter((x) => /webhook/i.test(x));
    assert.ok(w.some((x) => /too large/i.test(x) && /200 KB/.test(x)), `the warning says too large and the limit: ${w}`);
    assert.ok(!w.some((x) => /queue full/i.test(x)), `not "queue full": ${w}`);
    // The next, normal payload still goes out.
    await track(page);
    const [req] = await rx.waitFor(1);
    assertCartPayload(req);
  } finally {
    await close();
  }
});

/** Pollutes Object.prototype (and patches Headers) the way a hostile or buggy page could. */
function pollute() {
  const P = Object.prototype;
  P[Symbol.iterator] = function* () { yield ['Content-Type', 'text/evil']; };
  const set = { headers: { 'Content-Type': 'text/evil', 'X-Evil': '1' }, body: 'evil', method: 'PUT',
    credentials: 'include', redirect: 'follow', keepalive: false, mode: 'no-cors',
    signal: AbortSignal.abort(), referrerPolicy: 'unsafe-url', cache: 'no-store' };
  for (const [k, v] of Object.entries(set)) P[k] = v;
  const H = window.Headers;
  H.prototype.append = function () {};
  H.prototype.set = function () {};
  window.Headers = function () { return new H({ 'Content-Type': 'text/evil' }); };
}

test('prototype pollution after init does not change the request', async () => {
  const { rx, page, close } = await open();
  try {
    await page.evaluate(() => { document.cookie = 'ck_secret=1; path=/; SameSite=Lax'; });
    await page.evaluate(pollute);
    await track(page);
    const [req] = await rx.waitFor(1);
    assertCartPayload(req);
    assert.equal(req.method, 'POST');
    assert.equal(req.contentType, 'application/json');
    assert.equal(req.headers['x-evil'], undefined);
    assert.equal(req.cookie, null);
    await sleep(1000);
    assert.equal(rx.requests.length, 1);
  } finally {
    await close();
  }
});

test('prototype pollution after init does not change the page-hide flush', async () => {
  const { rx, page, close } = await open();
  try {
    await page.evaluate(() => { document.cookie = 'ck_secret=1; path=/; SameSite=Lax'; });
    rx.failFirst(...DOWN);
    await track(page);
    const [first] = await rx.waitFor(1);
    await sleep(300);
    await page.evaluate(pollute);
    await page.goto('about:blank');
    const reqs = await rx.waitFor(2);
    assert.equal(reqs[1].method, 'POST');
    assert.match(reqs[1].contentType, /^text\/plain/);
    assert.equal(reqs[1].body, first.body);
    assert.equal(reqs[1].cookie, null);
    assert.equal(reqs[1].headers['x-evil'], undefined);
  } finally {
    await close();
  }
});
