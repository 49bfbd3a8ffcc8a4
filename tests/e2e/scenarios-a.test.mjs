// Scenarios S1–S7 end to end in headless Chromium: the shop page (www/e2e-shop.html)
// loads tests/e2e/configs/sNN.json; real input where the scenario is about input;
// Playwright's virtual clock for seconds and minutes. Each test asserts timing both ways
// (nothing before the threshold, the action at it), the rendered text, host calls and
// webhook payloads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv } from './harness.mjs';
import { startReceiver } from './receiver.mjs';

let browser;
let base;
useEnv((env) => ({ browser, base } = env));

const T0 = new Date('2026-11-30T09:00:00Z');

/**
 * A visitor: a fresh context where /product/* and /article/* are the shop page. The
 * request goes to the real server (route.continue), not a fulfilled body: a fulfilled
 * document has no address and Chromium's Local Network Access then blocks its webhooks
 * to the loopback receiver.
 */
async function visitor() {
  const context = await browser.newContext();
  await context.route(/\/(product|article)\//, (route) => route.continue({
    url: `${base}/www/e2e-shop.html${new URL(route.request().url()).search}`,
  }));
  return context;
}

/** A page of the context with the virtual clock installed (paused once loaded). */
async function open(context, url, { clock = true } = {}) {
  const page = await context.newPage();
  if (clock) {
    // Paused from the start: time moves only when a test runs the clock.
    await page.clock.install({ time: T0 });
    await page.clock.pauseAt(T0.getTime() + 1000);
  }
  await go(page, url);
  return page;
}

/** Navigates (a new page load) and waits for cuekit. */
async function go(page, url) {
  await page.goto(`${base}${url}`);
  await page.waitForSelector('#status:text("ready")', { timeout: 15000 });
}

/** Runs the virtual clock to `ms` after cuekit started on this page. */
async function at(page, ms) {
  const left = await page.evaluate((t) => window.startedAt + t - Date.now(), ms);
  if (left > 0) await page.clock.runFor(left);
}

const hostCalls = (page) => page.evaluate(() => window.hostCalls);
const shows = (page) => page.evaluate(() => window.events.filter((e) => e.type === 'show').map((e) => e.rule));

test('S1: 30 s on a product page without clicking "Add to Cart" opens the live chat (host action openChat); a click on "Add to Cart" cancels it; other pages never', async () => {
  const context = await visitor();
  const page = await open(context, '/product/mug-1?config=s01&product=mug-1');
  await at(page, 29_000);
  assert.deepEqual(await hostCalls(page), [], 'nothing at 29 s');
  await at(page, 30_000);
  assert.deepEqual(await hostCalls(page), [{ name: 'openChat', rule: 'hesitation-chat' }], 'chat opened at 30 s');
  await at(page, 90_000);
  assert.equal((await hostCalls(page)).length, 1, 'once per page view');

  // A new page view restarts the dwell; "Add to Cart" at 10 s cancels it.
  await go(page, '/product/lamp-1?config=s01&product=lamp-1');
  await at(page, 10_000);
  await page.getByRole('button', { name: 'Add to Cart' }).click();
  await at(page, 60_000);
  assert.deepEqual(await hostCalls(page), [], 'no chat after "Add to Cart"');

  // Not a product page: never.
  await go(page, '/www/e2e-shop.html?config=s01');
  await at(page, 45_000);
  assert.deepEqual(await hostCalls(page), [], 'no chat outside /product/*');
  await context.close();
});

test('S2: viewed a product and did not add it to the cart within 60 s → a modal naming the product offers help or a discount; adding it cancels; the wait spans page loads per product', async () => {
  const context = await visitor();
  const page = await open(context, '/product/mug-1?config=s02&product=mug-1');
  const dialog = page.getByRole('dialog', { name: 'Questions about Blue Mug?' });
  await at(page, 59_000);
  assert.equal(await page.getByRole('dialog').count(), 0, 'nothing at 59 s');
  await at(page, 60_000);
  await dialog.waitFor();
  assert.match(await dialog.textContent(), /take 10% off today with code HELP10/);
  // Its primary button hands over to the live chat.
  await dialog.getByRole('button', { name: 'Chat with us' }).click();
  await dialog.waitFor({ state: 'detached' });
  assert.deepEqual(await hostCalls(page), [{ name: 'openChat', rule: 'help-or-discount' }]);

  // Viewed the lamp, added it to the cart 20 s later: no prompt.
  await go(page, '/product/lamp-1?config=s02&product=lamp-1');
  await at(page, 20_000);
  await page.getByRole('button', { name: 'Add to Cart' }).click();
  await at(page, 120_000);
  assert.equal(await page.getByRole('dialog').count(), 0, 'added to the cart: no prompt');

  // The wait for one product survives loading another product's page, and adding that
  // other product does not cancel it ("same": productId).
  await go(page, '/product/saucer-1?config=s02&product=saucer-1');
  await at(page, 10_000);
  await go(page, '/product/lamp-2?config=s02&product=lamp-2');
  await page.getByRole('button', { name: 'Add to Cart' }).click();
  await page.clock.runFor(49_000);
  assert.equal(await page.getByRole('dialog').count(), 0, '59 s after the saucer: nothing yet');
  await page.clock.runFor(1_000);
  await page.getByRole('dialog', { name: 'Questions about Saucer?' }).waitFor();
  assert.deepEqual(await shows(page), ['help-or-discount'], 'only the saucer, not the lamp that was added');
  await context.close();
});

test('S3: a new visitor inactive for 10 s gets the welcome message; activity restarts the wait; a returning visitor does not get it', async () => {
  const context = await visitor();
  const page = await open(context, '/www/e2e-shop.html?config=s03');
  const welcome = page.getByRole('status').filter({ hasText: 'New here? Take the two-minute tour.' });
  await at(page, 5_000);
  await page.mouse.move(300, 300); // activity at 5 s
  await at(page, 14_900);
  assert.equal(await welcome.count(), 0, 'nothing 9.9 s after the last activity');
  await at(page, 15_000);
  await welcome.waitFor();
  assert.match(await welcome.textContent(), /Welcome!/);
  assert.deepEqual(await shows(page), ['welcome']);

  // A later visit (a new session after 30 minutes): returning, no welcome.
  await page.clock.fastForward('31:00');
  await page.reload();
  await page.waitForSelector('#status:text("ready")');
  const v = await page.evaluate(() => window.ck.visitor());
  assert.equal(v.visitor.visits, 2, JSON.stringify(v));
  await at(page, 60_000);
  assert.equal(await welcome.count(), 0, 'a returning visitor is not welcomed');
  assert.deepEqual(await shows(page), []);
  await context.close();
});

test('S4: a returning visitor whose cart still holds items from a previous visit sees "You left these in your cart" with the items', async () => {
  const context = await visitor();
  // First visit: two products added to the cart through the real button.
  const page = await open(context, '/product/mug-1?config=s04&product=mug-1');
  await page.getByRole('button', { name: 'Add to Cart' }).click();
  await page.getByRole('button', { name: 'Add to Cart' }).click();
  await page.clock.runFor(5_000);
  await go(page, '/product/lamp-1?config=s04&product=lamp-1');
  await page.getByRole('button', { name: 'Add to Cart' }).click();
  await page.clock.runFor(5_000);
  // Same visit, another page: not a returning visitor yet.
  await go(page, '/www/e2e-shop.html?config=s04');
  assert.equal(await page.getByText('You left these in your cart').count(), 0, 'not during the first visit');

  // The next day: a new visit. The shop page does not call identify() on load: the cart
  // is what cuekit kept from the previous visit.
  await page.clock.fastForward('24:00:00');
  await go(page, '/www/e2e-shop.html?config=s04');
  const banner = page.getByRole('status').filter({ hasText: 'You left these in your cart' });
  await banner.waitFor();
  assert.deepEqual(await banner.getByRole('listitem').allTextContents(), ['Blue Mug × 2', 'Desk Lamp × 1']);
  assert.equal(await banner.getByRole('link', { name: 'View cart' }).getAttribute('href'), '/cart');
  const v = await page.evaluate(() => window.ck.visitor());
  assert.equal(v.visitor.visits, 2);
  // Once per visit.
  await go(page, '/product/saucer-1?config=s04&product=saucer-1');
  assert.equal(await page.getByText('You left these in your cart').count(), 0, 'perSession: 1');
  await context.close();
});

test('S5: inactive for 15 minutes → a re-engagement message and a webhook carrying what the email service needs', async () => {
  const rx = await startReceiver();
  try {
    const context = await visitor();
    const page = await open(context, `/product/mug-1?config=s05&product=mug-1&port=${rx.port}`);
    // The shop knows who is signed in; the cart comes from the real button.
    await page.evaluate(() => window.ck.identify({ user: { email: 'ada@example.com', name: 'Ada' } }));
    await page.getByRole('button', { name: 'Add to Cart' }).click(); // activity at 0 s
    await page.clock.runFor(60_000);
    await page.mouse.move(200, 200); // activity at 1 min
    const toast = page.getByRole('status').filter({ hasText: 'Still there, Ada?' });
    await at(page, 60_000 + 14 * 60_000 + 59_000);
    assert.equal(await toast.count(), 0, 'nothing after 14:59 of inactivity');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(rx.requests.length, 0, 'no webhook yet');
    await at(page, 60_000 + 15 * 60_000);
    await toast.waitFor();
    assert.match(await toast.textContent(), /Your basket is saved for you\./);
    await page.clock.runFor(1000);
    const [req] = await rx.waitFor(1);
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/reengage');
    const body = req.json;
    const v = await page.evaluate(() => window.ck.visitor());
    assert.equal(body.type, 'track');
    assert.equal(body.event, 'cuekit show');
    assert.equal(body.anonymousId, v.visitor.id);
    assert.equal(body.properties.rule, 're-engage');
    assert.equal(body.properties['user.email'], 'ada@example.com');
    assert.equal(body.properties['user.name'], 'Ada');
    assert.deepEqual(body.properties['cart.items'], [{ sku: 'mug-1', name: 'Blue Mug', qty: 1 }]);
    assert.equal(body.context.page.path, '/product/mug-1');
    assert.ok(!JSON.stringify(body.context.page).includes('config=s05'), 'no query string');
    // Once per period of inactivity. (The queue must be empty first: a request still in
    // flight while virtual minutes pass would be aborted by its 30 s timeout and retried.)
    await page.waitForFunction(() => localStorage.getItem('cuekit:webhooks') === null, null, { polling: 50 });
    await page.clock.runFor(30 * 60_000);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(rx.requests.length, 1);
    await context.close();
  } finally {
    await rx.close();
  }
});

test('S6: 5 product views of one category within 10 minutes across page loads → "Still interested in Lighting? Here\'s 10% off"; 4 views, or 5 spread over 11 minutes, → nothing', async () => {
  const title = "Still interested in Lighting? Here's 10% off";
  // Five lamps two minutes apart, a mug in between (another category), a reload each time.
  const context = await visitor();
  const page = await open(context, '/product/lamp-1?config=s06&product=lamp-1');
  for (const id of ['lamp-2', 'mug-1', 'lamp-3', 'lamp-4']) {
    await page.clock.fastForward('02:00');
    await go(page, `/product/${id}?config=s06&product=${id}`);
  }
  assert.equal(await page.getByRole('dialog').count(), 0, 'four lamps: nothing');
  await page.clock.fastForward('01:30');
  await go(page, '/product/lamp-5?config=s06&product=lamp-5');
  const dialog = page.getByRole('dialog', { name: title });
  await dialog.waitFor();
  assert.match(await dialog.textContent(), /Use code MORE10 at checkout\./);
  assert.deepEqual(await shows(page), ['category-offer']);
  await context.close();

  // Five lamps spread over 11 minutes: never five inside 10 minutes.
  const slow = await visitor();
  const p2 = await open(slow, '/product/lamp-1?config=s06&product=lamp-1');
  for (const id of ['lamp-2', 'lamp-3', 'lamp-4', 'lamp-5']) {
    await p2.clock.fastForward('02:45');
    await go(p2, `/product/${id}?config=s06&product=${id}`);
  }
  await p2.clock.runFor(1000);
  assert.equal(await p2.getByRole('dialog').count(), 0, 'five views over 11 minutes: nothing');
  assert.deepEqual(await shows(p2), []);
  // The sixth, inside 10 minutes of the second: five in the window.
  await p2.clock.fastForward('01:00');
  await go(p2, '/product/lamp-6?config=s06&product=lamp-6');
  await p2.getByRole('dialog', { name: title }).waitFor();
  await slow.close();
});

test('S7: adding an item to the cart shows the upsell at once, in the same task as the click (before the next frame); a cheap item does not', async (t) => {
  const context = await visitor();
  const page = await open(context, '/product/mug-1?config=s07&product=mug-1', { clock: false });
  // Around cuekit's own (capturing, on document) click listener, in the same dispatch:
  // window capture runs before it, window bubble after it.
  await page.evaluate(() => {
    let t0 = 0;
    window.addEventListener('click', () => { t0 = performance.now(); }, true);
    window.addEventListener('click', () => {
      const root = document.querySelector('[data-cuekit-root]');
      window.seenInClick = {
        present: !!root?.shadowRoot?.querySelector('[data-ck-rule="upsell"]'),
        ms: performance.now() - t0,
      };
    });
  });
  await page.getByRole('button', { name: 'Add to Cart' }).click();
  const seen = await page.evaluate(() => window.seenInClick);
  assert.equal(seen.present, true, 'rendered before the click event finished dispatching');
  t.diagnostic(`click → upsell in the DOM: ${seen.ms.toFixed(1)} ms`);
  const toast = page.getByRole('status').filter({ hasText: 'Pairs well with Blue Mug: a matching saucer' });
  await toast.waitFor();
  assert.match(await toast.textContent(), /Added to your cart/);

  // From host code with track(): rendered when track() returns.
  await page.getByRole('button', { name: 'Close' }).click();
  const sync = await page.evaluate(() => {
    const t0 = performance.now();
    window.ck.track('add_to_cart', { productId: 'lamp-1', name: 'Desk Lamp', price: 49 });
    const root = document.querySelector('[data-cuekit-root]');
    return { text: root.shadowRoot.querySelector('[data-ck-rule="upsell"]')?.textContent, ms: performance.now() - t0 };
  });
  assert.match(sync.text, /Pairs well with Desk Lamp: a matching saucer/);
  t.diagnostic(`track() → upsell in the DOM: ${sync.ms.toFixed(1)} ms`);

  // A saucer (€8): no upsell.
  await go(page, '/product/saucer-1?config=s07&product=saucer-1');
  await page.getByRole('button', { name: 'Add to Cart' }).click();
  await page.waitForTimeout(300);
  assert.equal(await page.getByText('Pairs well with').count(), 0);
  assert.deepEqual(await page.evaluate(() => window.events.filter((e) => e.type === 'decision').length), 0);
  await context.close();
});
