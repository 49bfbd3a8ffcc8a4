// S8 (cart abandonment → webhook with the cart, three variants, conversions per variant)
// and S13 (segments: high engagement vs drop-off), end to end with a virtual clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv } from './harness.mjs';
import { startReceiver } from './receiver.mjs';

let browser;
let base;
useEnv((env) => ({ browser, base } = env));

async function open(config, { visitorId, visits = 1, port } = {}) {
  const context = await browser.newContext();
  if (visitorId) {
    await context.addInitScript(([vid, n]) => {
      if (!localStorage.getItem('cuekit:state')) {
        localStorage.setItem('cuekit:state', JSON.stringify({ v: 1, visitor: { id: vid, first: 1, visits: n, prev: 1 } }));
      }
    }, [visitorId, visits]);
  }
  const page = await context.newPage();
  await page.clock.install({ time: new Date('2026-11-29T09:00:00Z') });
  await page.goto(`${base}/www/e2e.html?config=${config}${port ? `&port=${port}` : ''}`);
  await page.waitForSelector('#status:text("ready")', { timeout: 15000 });
  return { context, page };
}

test('S8: add to cart, then 10 minutes without checkout or activity → one webhook carrying the cart and the variant; the purchase is attributed', async () => {
  const rx = await startReceiver();
  try {
    const seen = new Set();
    for (const vid of ['visitor-a', 'visitor-b', 'visitor-c', 'visitor-d']) {
      const { context, page } = await open('s08', { visitorId: vid, port: rx.port });
      const before = rx.requests.length;
      await page.evaluate(() => {
        window.ck.identify({ cart: { items: [{ name: 'Blue Mug', qty: 2 }] } });
        window.ck.track('add_to_cart', { sku: 'mug-1' });
      });
      await page.clock.fastForward('05:00');
      await page.mouse.move(10, 10); // activity restarts the 10-minute wait
      await page.mouse.move(20, 20);
      await page.clock.fastForward('09:00');
      assert.equal(rx.requests.length, before, 'not yet: activity 9 minutes ago');
      await page.clock.fastForward('01:05');
      await page.clock.runFor(1000);
      const [req] = (await rx.waitFor(before + 1)).slice(before);
      const body = req.json;
      assert.equal(body.type, 'track');
      assert.equal(body.event, 'cuekit show');
      assert.equal(body.properties.rule, 'cart-abandon');
      assert.equal(body.properties['props.sku'], 'mug-1');
      assert.deepEqual(body.properties['cart.items'], [{ name: 'Blue Mug', qty: 2 }]);
      assert.ok(['reminder', 'discount', 'cross-sell'].includes(body.properties.variant));
      seen.add(body.properties.variant);
      // The purchase is attributed to the variant, once.
      await page.evaluate(() => { window.ck.track('purchase'); window.ck.track('purchase'); });
      await page.clock.runFor(1000);
      const [conv] = (await rx.waitFor(before + 2)).slice(before + 1);
      assert.equal(conv.json.event, 'cuekit convert');
      assert.equal(conv.json.properties.variant, body.properties.variant);
      // Sticky per visitor.
      await page.reload();
      await page.waitForSelector('#status:text("ready")');
      assert.equal((await page.evaluate(() => window.ck.stats()))[0].variant, body.properties.variant);
      await context.close();
    }
    assert.equal(rx.requests.filter((r) => r.json.event === 'cuekit convert').length, 4, 'one conversion per visitor');
    assert.ok(seen.size >= 1);
  } finally {
    await rx.close();
  }
});

test('S13: a returning visitor with a long, busy session gets the personal offer; a one-page visitor who goes idle gets the re-engagement prompt', async () => {
  const busy = await open('s13', { visitorId: 'returning-1', visits: 2 });
  const p = busy.page;
  assert.deepEqual(await p.evaluate(() => window.ck.segments()), ['drop_off']);
  await p.evaluate(() => history.pushState({}, '', '/www/e2e.html?config=s13&page=2'));
  await p.clock.fastForward('06:00');
  await p.evaluate(() => history.pushState({}, '', '/www/e2e.html?config=s13&page=3'));
  assert.equal(await p.getByText('A personal offer for you').count(), 0, 'session not yet 10 minutes long');
  await p.clock.fastForward('05:00');
  await p.evaluate(() => history.pushState({}, '', '/www/e2e.html?config=s13&page=4'));
  await p.getByText('A personal offer for you').waitFor();
  assert.deepEqual(await p.evaluate(() => window.ck.segments()), ['high_engagement']);
  const changes = await p.evaluate(() => window.events.filter((e) => e.type === 'segment').map((e) => e.payload.segments));
  assert.deepEqual(changes.at(-1), ['high_engagement']);
  await busy.context.close();

  const idle = await open('s13', { visitorId: 'newcomer-1' });
  await idle.page.clock.fastForward('02:05');
  await idle.page.getByText('Can we help you find something?').waitFor();
  await idle.context.close();
});
