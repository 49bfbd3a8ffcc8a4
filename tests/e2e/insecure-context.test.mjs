// A plain-http site that is not localhost (issue 20, item 11): no secure context, so no
// crypto.randomUUID() (nor crypto.subtle, nor anything else secure-context-only). The
// demo pages are served as http://shop.test:PORT/ (Chromium resolves shop.test to the
// local test server); cuekit must start and show for a new visitor and for a returning
// one, through npm-style init() and through the script tag.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startServer } from '../../scripts/serve.mjs';
import { CHROMIUM_ARGS } from './harness.mjs';

let server;
let browser;
let base;

before(async () => {
  server = await startServer({ port: 0 });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP shop.test 127.0.0.1'],
  });
  base = `http://shop.test:${server.address().port}`;
});

after(async () => {
  await browser?.close();
  if (server) await new Promise((r) => server.close(r));
});

const T0 = new Date('2026-12-01T09:00:00Z').getTime();
const DAY = 24 * 3_600_000;

const ways = [
  {
    name: 'npm init()',
    path: '/www/rel.html?config=rel-basic',
    ready: (page) => page.waitForFunction(() => document.getElementById('status').textContent !== 'loading…', null, { timeout: 15000 })
      .then(() => page.textContent('#status')),
    api: 'ck',
    show: async (page) => {
      await page.evaluate(() => window.ck.track('go-offer'));
      await page.getByText('An offer', { exact: true }).waitFor();
    },
  },
  {
    name: 'the script tag',
    path: '/www/script/basic.html',
    ready: (page) => page.evaluate(() => window.cuekit.ready.then((c) => (c.status === 'failed' ? c.error : c.status))),
    api: 'cuekit',
    show: async (page) => {
      await page.evaluate(() => window.cuekit.track('go', { name: 'shop.test' }));
      await page.getByRole('dialog', { name: 'Hello shop.test' }).waitFor();
    },
  },
];

for (const way of ways) {
  test(`plain http on a non-localhost host (no secure context), ${way.name}: a new and a returning visitor, cuekit starts and shows`, { timeout: 60_000 }, async () => {
    const context = await browser.newContext();
    await context.clock.install({ time: T0 });
    const errors = [];
    try {
      for (const [visit, at] of [['new', T0], ['returning', T0 + 2 * DAY]]) {
        await context.clock.setSystemTime(at);
        const page = await context.newPage();
        page.on('pageerror', (e) => errors.push(String(e)));
        await page.goto(`${base}${way.path}`);
        assert.equal(await page.evaluate(() => window.isSecureContext), false, 'the page is not a secure context');
        assert.equal(await page.evaluate(() => typeof crypto.randomUUID), 'undefined', 'so randomUUID is missing');
        assert.equal(await way.ready(page), 'ready', `${visit} visitor: cuekit started`);
        const who = await page.evaluate((g) => window[g].visitor().visitor, way.api);
        assert.equal(who.new, visit === 'new', `${visit} visitor: ${JSON.stringify(who)}`);
        assert.equal(who.returning, visit === 'returning', `${visit} visitor: ${JSON.stringify(who)}`);
        assert.match(who.id, /^[0-9a-f-]{32,36}$/, 'a visitor id');
        await way.show(page);
        await page.close();
      }
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
}
