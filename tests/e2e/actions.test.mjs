// Actions end to end: messages, host actions (including one that throws), conversions,
// the dataLayer, hostile values rendered as text, destroy(), and a strict CSP page with
// Trusted Types enforced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv } from './harness.mjs';

let browser;
let base;
useEnv((env) => ({ browser, base } = env));

async function open(context, config = 'actions') {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${base}/www/e2e.html?config=${config}`);
  await page.waitForSelector('#status:text("ready")', { timeout: 15000 });
  return { page, errors };
}

const events = (page, type) => page.evaluate((t) => window.events.filter((e) => e.type === t).map((e) => e.rule), type);

test('a modal with personalised text and a list; its host-action button calls the host', async () => {
  const context = await browser.newContext();
  const { page, errors } = await open(context);
  await page.evaluate(() => window.ck.track('go-offer', { name: 'Blue Mug', items: [{ name: 'Mug', qty: 2 }, { name: 'Lamp', qty: 1 }] }));
  const dialog = page.getByRole('dialog', { name: 'An offer for Blue Mug' });
  await dialog.waitFor();
  assert.equal(await dialog.getAttribute('aria-modal'), 'true');
  assert.deepEqual(await dialog.getByRole('listitem').allTextContents(), ['Mug × 2', 'Lamp × 1']);
  // Keyboard only: focus is inside, Enter activates the primary button.
  await page.keyboard.press('Enter');
  await dialog.waitFor({ state: 'detached' });
  assert.deepEqual(await page.evaluate(() => window.hostCalls.map((c) => c.name)), ['openChat']);
  assert.deepEqual(await events(page, 'click'), ['offer']);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a conversion after a show is attributed once, and the dataLayer hears the lifecycle', async () => {
  const context = await browser.newContext();
  const { page } = await open(context);
  await page.evaluate(() => window.ck.track('go-offer', { name: 'Blue Mug' }));
  await page.getByRole('dialog').waitFor();
  await page.keyboard.press('Escape');
  await page.evaluate(() => { window.ck.track('purchase', { total: 24 }); window.ck.track('purchase', { total: 5 }); });
  assert.deepEqual(await events(page, 'convert'), ['offer']);
  assert.deepEqual(await events(page, 'dismiss'), ['offer'], 'Esc counts as a dismissal');
  const layer = await page.evaluate(() => window.dataLayer.map((e) => e.event));
  assert.deepEqual(layer, ['cuekit_show', 'cuekit_dismiss', 'cuekit_convert']);
  await context.close();
});

test('a host action that throws is caught; the SDK keeps working', async () => {
  const context = await browser.newContext();
  const { page, errors } = await open(context);
  await page.evaluate(() => window.ck.track('go-broken'));
  await page.evaluate(() => window.ck.track('go-chat'));
  assert.deepEqual(await page.evaluate(() => window.hostCalls.map((c) => c.rule)), ['chat']);
  assert.deepEqual(errors, []);
  await context.close();
});

test('hostile values render as inert text', async () => {
  const context = await browser.newContext();
  const { page, errors } = await open(context);
  await page.evaluate(() => window.ck.track('go-hostile', {
    name: '<img src=x onerror="window.pwned=1">', text: '</script><script>window.pwned=2</script>{{visitor.id}}',
  }));
  const status = page.getByRole('status').filter({ hasText: '<img src=x' });
  await status.waitFor();
  assert.match(await status.textContent(), /\{\{visitor\.id\}\}/, 'a value is never re-read as a template');
  const imgs = await page.evaluate(() => document.querySelector('[data-cuekit-root]').shadowRoot.querySelectorAll('img').length);
  assert.equal(imgs, 0);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  assert.deepEqual(errors, []);
  await context.close();
});

test('destroy() removes every rendered node', async () => {
  const context = await browser.newContext();
  const { page } = await open(context);
  await page.evaluate(() => window.ck.track('go-offer', { name: 'Mug' }));
  await page.getByRole('dialog').waitFor();
  await page.evaluate(() => window.ck.destroy());
  assert.equal(await page.evaluate(() => document.querySelectorAll('[data-cuekit-root]').length), 0);
  await page.evaluate(() => window.ck.track('go-offer', { name: 'Mug' }));
  assert.equal(await page.getByRole('dialog').count(), 0);
  await context.close();
});

test('a strict CSP page with Trusted Types renders a modal with zero violations', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/www/csp.html`);
  await page.waitForSelector('#status:text("ready")', { timeout: 15000 });
  await page.evaluate(() => window.ck.track('go'));
  const dialog = page.getByRole('dialog', { name: 'Rendered under a strict CSP' });
  await dialog.waitFor();
  assert.ok(await dialog.isVisible());
  assert.deepEqual(await page.evaluate(() => window.violations), []);
  await context.close();
});
