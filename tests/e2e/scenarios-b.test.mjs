// Scenarios S9–S12 and S15 end to end in headless Chromium, with real input: the pointer
// resting on the product image, the reviews scrolled into view, the mouse wheel through an
// article, the pointer leaving through the top edge, and a live countdown. The shop page
// (www/e2e-shop.html) loads tests/e2e/configs/sNN.json; Playwright's virtual clock, paused,
// moves only when a test runs it, so thresholds are asserted both ways.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv } from './harness.mjs';

let browser;
let base;
useEnv((env) => ({ browser, base } = env));

const T0 = new Date('2026-11-30T09:00:00Z');

/** A visitor: a fresh context where /product/* and /article/* are the shop page. */
async function visitor() {
  const context = await browser.newContext();
  await context.route(/\/(product|article)\//, (route) => route.continue({
    url: `${base}/www/e2e-shop.html${new URL(route.request().url()).search}`,
  }));
  return context;
}

async function open(context, url) {
  const page = await context.newPage();
  await page.clock.install({ time: T0 });
  await page.clock.pauseAt(T0.getTime() + 1000);
  await go(page, url);
  return page;
}

async function go(page, url) {
  await page.goto(`${base}${url}`);
  await page.waitForSelector('#status:text("ready")', { timeout: 15000 });
}

/** Polls (in real time) until `fn` in the page returns something truthy. */
async function until(page, fn, arg, what) {
  for (let i = 0; i < 100; i++) {
    const v = await page.evaluate(fn, arg);
    if (v) return v;
    await new Promise((r) => setTimeout(r, 30));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const shows = (page) => page.evaluate(() => window.events.filter((e) => e.type === 'show').map((e) => e.rule));

async function center(page, selector) {
  const box = await page.locator(selector).boundingBox();
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

test('S9: the pointer resting on the product image for 3 s without clicking "Add to Cart" → an offer of help and a discount code', async () => {
  const context = await visitor();
  const page = await open(context, '/product/mug-1?config=s09&product=mug-1');
  const toast = page.getByRole('status').filter({ hasText: 'Need help choosing?' });
  const img = await center(page, '.product-image');
  const away = await center(page, '#dead-zone');

  await page.mouse.move(away.x, away.y);
  await page.mouse.move(img.x, img.y, { steps: 4 });
  await page.clock.runFor(2_900);
  assert.equal(await toast.count(), 0, 'nothing after 2.9 s on the image');
  await page.clock.runFor(100);
  await toast.waitFor();
  assert.match(await toast.textContent(), /take 10% off with code HELLO10/);

  // Resting 2 s, leaving, coming back: the 3 s start again.
  await page.mouse.move(away.x, away.y);
  await go(page, '/product/lamp-1?config=s09&product=lamp-1');
  await page.mouse.move(img.x, img.y, { steps: 4 });
  await page.clock.runFor(2_000);
  await page.mouse.move(away.x, away.y, { steps: 4 });
  await page.clock.runFor(1_500);
  await page.mouse.move(img.x, img.y, { steps: 4 });
  await page.clock.runFor(2_900);
  assert.equal(await toast.count(), 0, '2 s, away, then 2.9 s: nothing');
  await page.clock.runFor(100);
  await toast.waitFor();

  // The pointer on the image, "Add to Cart" activated from the keyboard: no offer.
  await page.mouse.move(away.x, away.y);
  await go(page, '/product/lamp-2?config=s09&product=lamp-2');
  await page.mouse.move(img.x, img.y, { steps: 4 });
  await page.clock.runFor(1_000);
  await page.getByRole('button', { name: 'Add to Cart' }).focus();
  await page.keyboard.press('Enter');
  await page.clock.runFor(10_000);
  assert.equal(await toast.count(), 0, 'the call to action was used');
  assert.deepEqual(await shows(page), []);
  await context.close();
});

test('S10: the reviews section visible (at least half of it) for 3 s → a social-proof message; less than 3 s → nothing', async () => {
  const context = await visitor();
  const page = await open(context, '/product/mug-1?config=s10&product=mug-1');
  const toast = page.getByRole('status').filter({ hasText: 'Loved by 2,000 customers' });
  const visible = () => document.querySelector('#reviews').getBoundingClientRect().top < innerHeight;
  assert.equal(await page.evaluate(visible), false, 'below the fold at load');
  await page.clock.runFor(10_000);
  assert.equal(await toast.count(), 0);

  // Scrolled into view for 2 s, scrolled away, back again.
  const inView = () => window.ck.explain('reviews-seen').nextDeadline !== null;
  await page.locator('#reviews').scrollIntoViewIfNeeded();
  await until(page, inView, null, 'the reviews to be reported visible');
  await page.clock.runFor(2_000);
  await page.evaluate(() => window.scrollTo(0, 0));
  await until(page, () => window.ck.explain('reviews-seen').nextDeadline === null, null, 'the reviews to be reported hidden');
  await page.clock.runFor(5_000);
  assert.equal(await toast.count(), 0, 'visible for 2 s only: nothing');

  await page.locator('#reviews').scrollIntoViewIfNeeded();
  await until(page, inView, null, 'the reviews to be reported visible');
  await page.clock.runFor(2_900);
  assert.equal(await toast.count(), 0, 'nothing at 2.9 s');
  await page.clock.runFor(100);
  await toast.waitFor();
  assert.match(await toast.textContent(), /Rated 4\.8 out of 5/);
  assert.deepEqual(await shows(page), ['reviews-seen']);
  await context.close();
});

test('S11: scrolling an article past 75 % with the mouse wheel → the newsletter prompt; 70 % or a product page → nothing', async () => {
  const context = await visitor();
  const page = await open(context, '/article/slow-living?config=s11');
  const banner = page.getByRole('status').filter({ hasText: 'Enjoying this?' });
  const { x, y } = await center(page, '#article-body');
  await page.mouse.move(x, Math.min(y, 400));
  /** Wheels down to `pct` % depth ((scrollY + viewport) / page height). */
  const wheelTo = async (pct) => {
    const { target, now } = await page.evaluate((p) => ({
      target: Math.round((p / 100) * document.documentElement.scrollHeight - innerHeight),
      now: scrollY,
    }), pct);
    await page.mouse.wheel(0, target - now);
    await until(page, (t) => Math.abs(scrollY - t) < 2, target, `scrollY ${target}`);
    await page.clock.runFor(100); // the animation frame that reads the depth
  };
  await wheelTo(70);
  assert.equal(await page.evaluate(() => Math.round((scrollY + innerHeight) / document.documentElement.scrollHeight * 100)), 70);
  assert.equal(await banner.count(), 0, 'nothing at 70 %');
  await wheelTo(80);
  await banner.waitFor();
  assert.match(await banner.textContent(), /Get the newsletter: one story a week\./);
  assert.equal(await banner.getByRole('link', { name: 'Subscribe' }).getAttribute('href'), '/newsletter');
  // Once per page view.
  await wheelTo(20);
  await wheelTo(95);
  assert.deepEqual(await shows(page), ['newsletter']);

  // A product page scrolled to the bottom: not an article.
  await go(page, '/product/mug-1?config=s11&product=mug-1');
  await wheelTo(100);
  await page.clock.runFor(1000);
  assert.deepEqual(await shows(page), []);
  await context.close();
});

test('S12: the pointer leaving through the top edge → the last-chance offer; not in the first 3 s, not from the size <select>, not when the pointer enters or leaves through the bottom or side', async () => {
  const context = await visitor();
  const page = await open(context, '/product/mug-1?config=s12&product=mug-1');
  const dialog = page.getByRole('dialog', { name: 'Wait! Free shipping if you order today' });
  const none = async (why) => {
    await page.clock.runFor(100);
    assert.equal(await page.getByRole('dialog').count(), 0, why);
    assert.deepEqual(await shows(page), [], why);
  };
  /** Up and out through the top edge from (x, y). */
  const leaveUp = async (x, y) => {
    await page.mouse.move(x, y);
    await page.mouse.move(x, 60, { steps: 4 });
    await page.mouse.move(x, -10, { steps: 3 });
  };

  await page.clock.runFor(1_000);
  await leaveUp(640, 400);
  await none('within the first 3 s');

  await page.clock.runFor(5_000);
  await page.mouse.move(640, 400, { steps: 5 }); // enters from above
  await none('the pointer entering the page');
  await page.mouse.move(640, 760, { steps: 5 });
  await none('leaving through the bottom');
  await page.mouse.move(640, 400, { steps: 5 });
  await page.mouse.move(1300, 400, { steps: 5 });
  await none('leaving through the side');

  // From the size picker (it sits against the top edge).
  const size = await page.locator('#size').boundingBox();
  const sx = size.x + size.width / 2;
  await page.mouse.move(sx, 200, { steps: 3 });
  await page.mouse.move(sx, size.y + size.height / 2, { steps: 4 });
  assert.equal(await page.evaluate(([x, y]) => document.elementFromPoint(x, y).id, [sx, size.y + size.height / 2]), 'size');
  await page.mouse.move(sx, -10, { steps: 2 });
  await none('leaving from the <select>');

  await leaveUp(640, 400);
  await dialog.waitFor();
  assert.deepEqual(await shows(page), ['last-chance']);
  assert.equal(await dialog.getByRole('link', { name: 'Back to my cart' }).getAttribute('href'), '/cart');
  await context.close();
});

test('S15: a time-limited offer with a live countdown: "Expires in 10:00", then "Expires in 09:59", ticking down to "This offer has ended"', async () => {
  const context = await visitor();
  const page = await open(context, '/product/mug-1?config=s15&product=mug-1');
  const offer = page.getByRole('status').filter({ hasText: '15% off Blue Mug, today only' });
  await offer.waitFor();
  const timer = offer.getByRole('timer');
  assert.equal(await timer.textContent(), 'Expires in 10:00');
  await page.clock.runFor(999);
  assert.equal(await timer.textContent(), 'Expires in 10:00', 'not before the second is over');
  await page.clock.runFor(1);
  assert.equal(await timer.textContent(), 'Expires in 09:59');
  await page.clock.runFor(1_000);
  assert.equal(await timer.textContent(), 'Expires in 09:58');
  await page.clock.runFor(58_000);
  assert.equal(await timer.textContent(), 'Expires in 09:00');
  await page.clock.runFor(8 * 60_000 + 59_000);
  assert.equal(await timer.textContent(), 'Expires in 00:01');
  await page.clock.runFor(1_000);
  assert.equal(await timer.textContent(), 'This offer has ended');
  await page.clock.runFor(5_000);
  assert.equal(await timer.textContent(), 'This offer has ended');
  await context.close();
});
