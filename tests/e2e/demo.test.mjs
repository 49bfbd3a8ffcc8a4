// End to end: the release build served by the demo server, driven in Debian's Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv } from './harness.mjs';

let browser;
let base;
useEnv((env) => ({ browser, base } = env));

async function openDemo(context) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${base}/`);
  await page.waitForSelector('#status:text("cuekit ready")', { timeout: 15000 });
  return { page, errors };
}

const logged = (page) => page.$$eval('#log li', (lis) => lis.map((li) => li.dataset.rule));

test('the release build loads and a tagged click fires the upsell', async () => {
  const context = await browser.newContext();
  const { page, errors } = await openDemo(context);
  await page.click('#sticker');
  assert.deepEqual(await logged(page), [], 'a €3 sticker is below the upsell threshold');
  await page.click('#add-to-cart');
  await page.waitForSelector('#log li[data-rule="upsell"]');
  assert.match(await page.textContent('#log li'), /Blue Mug/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('SPA navigation re-evaluates URL conditions', async () => {
  const context = await browser.newContext();
  const { page } = await openDemo(context);
  await page.click('#nav-features');
  await page.click('#nav-pricing');
  await page.waitForSelector('#log li[data-rule="pricing"]');
  await context.close();
});

test('dwell without clicking fires after 30 s of page time (virtual clock)', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.clock.install();
  await page.goto(`${base}/`);
  await page.waitForSelector('#status:text("cuekit ready")', { timeout: 15000 });
  await page.clock.fastForward('00:20');
  assert.ok(!(await logged(page)).includes('hesitation'));
  await page.clock.fastForward('00:11');
  await page.waitForSelector('#log li[data-rule="hesitation"]');
  await context.close();
});

test('scrolling to the reviews fires the scroll-depth and visibility rules', async () => {
  const context = await browser.newContext();
  const { page } = await openDemo(context);
  await page.mouse.wheel(0, 5000);
  await page.waitForSelector('#log li[data-rule="deep-scroll"]');
  await page.waitForSelector('#log li[data-rule="reviews-seen"]', { timeout: 5000 });
  await context.close();
});

test('a state that survives a reload: the visitor becomes a known visitor', async () => {
  const context = await browser.newContext();
  const { page } = await openDemo(context);
  const first = await page.evaluate(() => window.ck.visitor());
  await page.reload();
  await page.waitForSelector('#status:text("cuekit ready")');
  const second = await page.evaluate(() => window.ck.visitor());
  assert.equal(second.visitor.id, first.visitor.id);
  assert.equal(second.session.pv, 2, 'two page views in one session');
  await context.close();
});
