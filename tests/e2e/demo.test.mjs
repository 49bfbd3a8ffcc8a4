// End to end: the demo shop (www/index.html, www/shop/*) with the shared config
// www/cuekit.json, served by the demo server and driven in Debian's Chromium. Each test
// does what a shopper would do and checks what they would see.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv } from './harness.mjs';

process.env.SERVE_QUIET = '1'; // the /demo-webhook sink logs each request otherwise

let browser;
let base;
useEnv((env) => ({ browser, base } = env));

const PAGES = ['/', '/www/shop/category.html?c=mugs', '/www/shop/product.html?id=blue-mug', '/www/shop/cart.html',
  '/www/shop/checkout.html', '/www/shop/article.html', '/www/shop/app.html'];

async function newPage({ clock = false, gpc = false } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  if (gpc) await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }));
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  if (clock) await page.clock.install({ time: new Date('2026-11-29T09:00:00Z') });
  return { context, page, errors };
}

async function visit(page, path) {
  await page.goto(`${base}${path}`);
  await page.waitForSelector('#ck-status[data-state="ready"]', { timeout: 15000 });
}
const visitorId = (page) => page.evaluate(() => window.ck.visitor().visitor.id);
const pageViews = (page) => page.evaluate(() => window.ck.visitor().session.pageViews);

test('every page loads with cuekit ready and no errors; the visitor is remembered across page loads only after consent (S20)', async () => {
  const { context, page, errors } = await newPage();
  await visit(page, '/');
  const before = await visitorId(page);
  assert.match(await page.textContent('#ck-status'), /memory only/);
  await visit(page, '/www/shop/category.html?c=mugs');
  assert.notEqual(await visitorId(page), before, 'without consent nothing is stored: each page load is a stranger');
  assert.equal(await page.evaluate(() => localStorage.getItem('cuekit-demo:state')), null);
  await page.getByRole('button', { name: 'Accept' }).click();
  await page.waitForSelector('#consent', { state: 'detached' });
  const id = await visitorId(page);
  assert.match(await page.textContent('#ck-status'), /remembering you/);
  for (const path of PAGES) {
    await visit(page, path);
    assert.equal(await visitorId(page), id, `same visitor on ${path}`);
    assert.equal(await page.locator('#consent').count(), 0, 'the choice is remembered');
  }
  assert.equal(await pageViews(page), PAGES.length + 1, 'each real page load is a page view of the same session');
  assert.deepEqual(errors, []);
  await context.close();
});

test('S20: with Global Privacy Control on, accepting still stores nothing', async () => {
  const { context, page, errors } = await newPage({ gpc: true });
  await visit(page, '/');
  await page.getByRole('button', { name: 'Accept' }).click();
  assert.equal(await page.evaluate(() => window.ck.storage()), 'memory');
  assert.match(await page.textContent('#ck-status'), /Global Privacy Control/);
  assert.equal(await page.evaluate(() => localStorage.getItem('cuekit-demo:state')), null);
  assert.deepEqual(errors, []);
  await context.close();
});

test('S7: adding the Blue Mug shows the upsell toast at once; adding the €9 saucer it suggests shows none and is its conversion, sent to the webhook', async () => {
  const { context, page, errors } = await newPage();
  await visit(page, '/www/shop/product.html?id=blue-mug');
  await page.getByRole('button', { name: 'Accept' }).click();
  await page.getByRole('button', { name: /Add to cart/ }).click();
  await page.getByText('Added: Blue Mug').waitFor({ timeout: 2000 });
  assert.equal(await page.textContent('#cart-count'), '1');
  await page.getByRole('link', { name: 'See the saucer' }).click();
  await page.waitForSelector('#ck-status[data-state="ready"]');
  assert.match(page.url(), /id=saucer/);
  const hook = page.waitForRequest((r) => r.url().endsWith('/demo-webhook') && r.method() === 'POST', { timeout: 5000 });
  await page.getByRole('button', { name: /Add to cart/ }).click();
  const body = (await hook).postDataJSON();
  assert.equal(body.event, 'cuekit convert');
  assert.equal(body.properties.rule, 's07-upsell');
  assert.equal(await page.getByText('Added: Matching Saucer').count(), 0, 'no upsell under €20');
  assert.equal(await page.textContent('#cart-count'), '2', 'the cart survives the page load');
  const log = await page.evaluate(() => JSON.parse(sessionStorage.getItem('kiln:debug:events')));
  assert.ok(log.some((e) => e.type === 'convert' && e.rule === 's07-upsell'), 'the debug stream shows the conversion');
  assert.deepEqual(errors, []);
  await context.close();
});

test('S1: 30 s on a product page without adding it → the live chat opens (virtual clock)', async () => {
  const { context, page, errors } = await newPage({ clock: true });
  await visit(page, '/www/shop/product.html?id=teapot');
  await page.clock.fastForward('00:20');
  assert.equal(await page.locator('#chat:visible').count(), 0, 'not after 20 s');
  await page.clock.fastForward('00:11');
  await page.locator('#chat').getByText('Round Teapot').waitFor({ timeout: 3000 });
  assert.equal(await page.locator('#chat').getAttribute('data-rule'), 's01-hesitation-chat');
  assert.deepEqual(errors, []);
  await context.close();
});

test('S11: scrolling past 75 % of the journal article shows the newsletter banner', async () => {
  const { context, page, errors } = await newPage();
  await visit(page, '/www/shop/article.html');
  await page.mouse.move(400, 400);
  await page.mouse.wheel(0, 600);
  await page.waitForTimeout(400);
  assert.equal(await page.getByText('Enjoying the read?').count(), 0, 'not at the top of the article');
  for (let i = 0; i < 8; i += 1) await page.mouse.wheel(0, 1000);
  await page.getByText('Enjoying the read?').waitFor({ timeout: 3000 });
  await page.getByRole('link', { name: 'Get the newsletter' }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('S19: an account route change with history.pushState is a page view without a reload, and the Plans route gets its prompt', async () => {
  const { context, page, errors } = await newPage();
  await visit(page, '/www/shop/app.html');
  await page.evaluate(() => { window.noReload = true; });
  const pv = await pageViews(page);
  await page.getByRole('link', { name: 'Orders' }).click();
  await page.getByRole('heading', { name: 'Orders' }).waitFor();
  assert.equal(await page.getByText('Questions about Kiln Club?').count(), 0, 'the URL condition does not hold on Orders');
  await page.getByRole('link', { name: 'Kiln Club plans', exact: true }).first().click();
  await page.getByText('Questions about Kiln Club?').waitFor({ timeout: 2000 });
  assert.match(page.url(), /app\.html\?view=plans$/);
  assert.equal(await page.evaluate(() => window.noReload), true, 'no page load happened');
  assert.equal(await pageViews(page), pv + 2, 'two routes, two page views');
  assert.deepEqual(errors, []);
  await context.close();
});

test('S15 and S17: the cart shows a live countdown offer; three fast clicks on a failing button offer support', async () => {
  const { context, page, errors } = await newPage();
  await visit(page, '/www/shop/category.html?c=tableware');
  await page.getByRole('button', { name: 'Add Ramen Bowl to cart' }).click();
  await visit(page, '/www/shop/cart.html');
  await page.getByText('Free shipping — today only').waitFor({ timeout: 3000 });
  const first = await page.getByText(/Expires in \d\d:\d\d/).textContent();
  assert.match(first, /Expires in (09:5\d|10:00)/);
  await page.waitForTimeout(1200);
  assert.notEqual(await page.getByText(/Expires in \d\d:\d\d/).textContent(), first, 'the countdown ticks');
  await page.getByRole('button', { name: 'Close' }).click();
  await page.locator('#apply-coupon').click({ clickCount: 1 });
  await page.locator('#apply-coupon').click();
  await page.locator('#apply-coupon').click();
  await page.getByText('Something not working?').waitFor({ timeout: 3000 });
  await page.getByRole('button', { name: 'Chat with us' }).click();
  await page.locator('#chat').waitFor({ state: 'visible' });
  assert.deepEqual(errors, []);
  await context.close();
});

test('the debug panel shows the event stream and each rule\'s explanation, and stays open across page loads', async () => {
  const { context, page, errors } = await newPage();
  await visit(page, '/www/shop/product.html?id=blue-mug');
  await page.getByRole('button', { name: /Add to cart/ }).click();
  await page.getByText('Added: Blue Mug').waitFor();
  await page.getByRole('button', { name: 'cuekit debug' }).click();
  const panel = page.getByRole('complementary', { name: 'cuekit debug panel' });
  await panel.waitFor();
  await panel.locator('li[data-type="show"][data-rule="s07-upsell"]').waitFor();
  await panel.locator('li[data-type="decision"][data-rule="s07-upsell"]', { hasText: 'will show' }).waitFor();
  await panel.locator('li[data-type="track"]', { hasText: 'product_view' }).waitFor();
  await panel.getByRole('tab', { name: 'Rules' }).click();
  const card = panel.locator('li.rule[data-rule="s07-upsell"]');
  await card.getByText('fired', { exact: true }).waitFor();
  assert.match(await card.textContent(), /S7/);
  const abandon = panel.locator('li.rule[data-rule="s08-cart-abandon"]');
  assert.match(await abandon.textContent(), /Next deadline in [0-9]:\d\d/, 'the cart-abandonment wait shows its deadline');
  assert.match(await panel.textContent(), /Group “offers”: 2 per session/);
  await panel.getByRole('tab', { name: 'Visitor' }).click();
  const id = await visitorId(page);
  assert.equal(await panel.locator('#dbg-visitor-id').textContent(), id);
  await panel.getByRole('tab', { name: 'A/B test' }).click();
  await panel.getByText('cart-recovery').first().waitFor();
  await page.reload();
  await page.waitForSelector('#ck-status[data-state="ready"]');
  await page.getByRole('complementary', { name: 'cuekit debug panel' }).waitFor();
  assert.equal(await page.getByRole('tab', { name: 'A/B test' }).getAttribute('aria-selected'), 'true');
  assert.deepEqual(errors, []);
  await context.close();
});
