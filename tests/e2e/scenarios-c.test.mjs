// Scenarios S17–S20 and a keyboard-only modal end to end in headless Chromium: rage
// clicks with the real mouse, a tab hidden and shown again, SPA navigation through
// history.pushState, consent gating (storage and webhooks to a local receiver) and Global
// Privacy Control. The shop page (www/e2e-shop.html) loads tests/e2e/configs/sNN.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv } from './harness.mjs';
import { startReceiver } from './receiver.mjs';

let browser;
let base;
useEnv((env) => ({ browser, base } = env));

const T0 = new Date('2026-11-30T09:00:00Z');

/** A page with the virtual clock installed and paused: time moves only when told. */
async function open(context, url, { clock = true } = {}) {
  const page = await context.newPage();
  if (clock) {
    await page.clock.install({ time: T0 });
    await page.clock.pauseAt(T0.getTime() + 1000);
  }
  await go(page, url);
  return page;
}

async function go(page, url) {
  await page.goto(`${base}${url}`);
  await page.waitForSelector('#status:text("ready")', { timeout: 15000 });
}

const shows = (page) => page.evaluate(() => window.events.filter((e) => e.type === 'show').map((e) => e.rule));
const hostCalls = (page) => page.evaluate(() => window.hostCalls);

/**
 * Hides or shows the tab. Headless Chromium keeps every page visible (bringToFront on a
 * second page, window.open, minimising the window and Page.setWebLifecycleState all leave
 * document.visibilityState at "visible"), so the page's own view of it is overridden and
 * the real `visibilitychange` event is dispatched: exactly what cuekit's listener reads
 * (document.hidden on visibilitychange, src/web/listeners.rs).
 */
const setHidden = (page, hidden) => page.evaluate((h) => {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (h ? 'hidden' : 'visible') });
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
  document.dispatchEvent(new Event('visibilitychange'));
}, hidden);

test('S17: rage clicks (3 fast clicks on one spot) → an offer of support whose button opens the chat; slow, spread-out or only two clicks → nothing', async () => {
  const context = await browser.newContext();
  const page = await open(context, '/www/e2e-shop.html?config=s17&product=mug-1');
  const toast = page.getByRole('status').filter({ hasText: 'Something not working?' });
  const box = await page.locator('#dead-zone').boundingBox();
  const x = box.x + 60;
  const y = box.y + 40;
  const none = async (why) => {
    assert.equal(await toast.count(), 0, why);
    assert.deepEqual(await shows(page), [], why);
    await page.clock.runFor(3_000); // the next attempt starts afresh
  };

  // Too slow: 600 ms apart (the last three span 1.2 s).
  for (let i = 0; i < 3; i++) {
    await page.mouse.click(x, y);
    await page.clock.runFor(600);
  }
  await none('three clicks over 1.2 s');
  // Too spread out: 50 px apart.
  for (let i = 0; i < 3; i++) await page.mouse.click(x + i * 50, y);
  await none('three clicks 50 px apart');
  // Only two.
  await page.mouse.click(x, y);
  await page.mouse.click(x + 3, y + 2);
  await none('two clicks');

  // Three within a few pixels and 200 ms.
  await page.mouse.click(x, y);
  await page.clock.runFor(100);
  await page.mouse.click(x + 4, y - 3);
  await page.clock.runFor(100);
  await page.mouse.click(x - 2, y + 5);
  await toast.waitFor();
  assert.match(await toast.textContent(), /We can help right now\./);
  assert.deepEqual(await shows(page), ['support']);
  await toast.getByRole('button', { name: 'Chat with us' }).click();
  assert.deepEqual(await hostCalls(page), [{ name: 'openChat', rule: 'support' }]);
  await context.close();
});

test('S18: back to the tab after 5 minutes away → "Welcome back!"; after 4:59 away → nothing', async () => {
  const context = await browser.newContext();
  const page = await open(context, '/www/e2e-shop.html?config=s18&product=mug-1');
  const toast = page.getByRole('status').filter({ hasText: 'Welcome back!' });
  assert.equal(await page.evaluate(() => document.visibilityState), 'visible');

  await setHidden(page, true);
  await page.clock.runFor(4 * 60_000 + 59_000);
  await setHidden(page, false);
  await page.clock.runFor(1_000);
  assert.equal(await toast.count(), 0, 'away 4:59: nothing');

  await page.clock.runFor(10_000);
  await setHidden(page, true);
  await page.clock.runFor(5 * 60_000);
  assert.equal(await toast.count(), 0, 'nothing while the tab is hidden');
  await setHidden(page, false);
  await toast.waitFor();
  assert.match(await toast.textContent(), /Your cart is just as you left it\./);
  assert.deepEqual(await shows(page), ['welcome-back']);
  const e = await page.evaluate(() => window.events.find((x) => x.type === 'show').payload);
  assert.equal(e.context.props.away, 5 * 60_000, 'the away time reaches the rule');
  await context.close();
});

test('S19: single-page app: history.pushState route changes count as page views and re-evaluate URL conditions ("/app/pricing" once the visit has 3 or more page views)', async () => {
  const context = await browser.newContext();
  const page = await open(context, '/www/e2e-shop.html?config=s19', { clock: false });
  const toast = page.getByRole('status').filter({ hasText: 'Questions about plans?' });
  const pageViews = () => page.evaluate(() => window.ck.visitor().session.pageViews);
  const nav = (path) => page.evaluate((p) => history.pushState({}, '', p), path);
  assert.equal(await pageViews(), 1);

  await nav('/app/pricing'); // page view 2: the right page, too early
  assert.equal(await pageViews(), 2);
  await nav('/app/features'); // page view 3: the wrong page
  assert.equal(await pageViews(), 3);
  await page.evaluate(() => history.replaceState({ tab: 2 }, '', '/app/features'));
  assert.equal(await pageViews(), 3, 'the same URL again is not a new page view');
  assert.equal(await toast.count(), 0);
  assert.deepEqual(await shows(page), []);

  await nav('/app/pricing'); // page view 4 on /app/pricing
  await toast.waitFor();
  assert.match(await toast.textContent(), /Compare them with an expert in 10 minutes\./);
  const shown = await page.evaluate(() => window.events.find((e) => e.type === 'show').payload.context);
  assert.equal(shown.page.path, '/app/pricing');
  assert.equal(shown.session.pageViews, 4);

  // Back (popstate) is a page view too.
  await page.goBack();
  await page.waitForFunction(() => location.pathname === '/app/features');
  assert.equal(await pageViews(), 5);
  assert.deepEqual(await shows(page), ['pricing-help']);
  await context.close();
});

test('S20: consent: nothing is stored and no webhook is sent until consent(true); afterwards state is stored, kept across reloads, and webhooks flow; consent(false) erases it', async () => {
  const rx = await startReceiver();
  try {
    const context = await browser.newContext();
    const url = `/www/e2e-shop.html?config=s20&product=mug-1&port=${rx.port}`;
    const page = await open(context, url, { clock: false });
    const cuekitKeys = () => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('cuekit')));
    const toast = page.getByRole('status').filter({ hasText: 'Added Blue Mug' });
    const addToCart = async () => {
      await page.getByRole('button', { name: 'Add to Cart' }).click();
      await toast.waitFor();
      await page.getByRole('button', { name: 'Close' }).click();
    };

    // Before consent: runs in memory (the message shows), stores nothing, sends nothing.
    assert.equal(await page.evaluate(() => window.ck.storage()), 'memory');
    await addToCart();
    await page.waitForTimeout(1_000);
    assert.deepEqual(await cuekitKeys(), []);
    assert.equal(rx.requests.length, 0, 'no webhook before consent');
    await page.reload();
    await page.waitForSelector('#status:text("ready")');
    assert.deepEqual(await cuekitKeys(), [], 'nothing written on page hide either');
    assert.equal(rx.requests.length, 0);

    // Consent: stored at once; webhooks flow.
    await page.evaluate(() => window.ck.consent(true));
    assert.equal(await page.evaluate(() => window.ck.storage()), 'storage');
    assert.deepEqual(await cuekitKeys(), ['cuekit:state']);
    const id = await page.evaluate(() => window.ck.visitor().visitor.id);
    await addToCart();
    const [req] = await rx.waitFor(1);
    assert.equal(req.json.event, 'cuekit show');
    assert.equal(req.json.anonymousId, id);
    assert.deepEqual(req.json.properties, { rule: 'cart-thanks', 'props.productId': 'mug-1' });

    // Kept: the next page load uses storage at once, as the same visitor.
    await page.reload();
    await page.waitForSelector('#status:text("ready")');
    assert.equal(await page.evaluate(() => window.ck.storage()), 'storage');
    assert.equal(await page.evaluate(() => window.ck.visitor().visitor.id), id);

    // Withdrawn: erased, and nothing more is sent. What stays stored is the withdrawal
    // alone (no identifier, no data), so no other tab can bring the record back.
    const onlyWithdrawal = async () => {
      assert.deepEqual(await cuekitKeys(), ['cuekit:state']);
      const rec = JSON.parse(await page.evaluate(() => localStorage.getItem('cuekit:state')));
      assert.deepEqual(Object.keys(rec).sort(), ['consent', 'consentAt', 'erased', 'v']);
      assert.equal(rec.consent, false);
    };
    await page.evaluate(() => window.ck.consent(false));
    await onlyWithdrawal();
    assert.notEqual(await page.evaluate(() => window.ck.visitor().visitor.id), id, 'a new visitor id');
    await addToCart();
    await page.waitForTimeout(1_000);
    assert.equal(rx.requests.length, 1, 'no webhook after consent(false)');
    await onlyWithdrawal();
    await context.close();
  } finally {
    await rx.close();
  }
});

test('S20: Global Privacy Control with honorGPC: what was stored is erased, nothing is stored or sent, and consent(true) is ignored', async () => {
  const rx = await startReceiver();
  try {
    const context = await browser.newContext();
    // The visitor turns GPC on between two visits.
    await context.addInitScript(() => {
      if (localStorage.getItem('test:gpc') === 'on') {
        Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { configurable: true, get: () => true });
      }
    });
    const url = `/www/e2e-shop.html?config=s20&product=mug-1&port=${rx.port}`;
    const page = await open(context, url, { clock: false });
    const cuekitKeys = () => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('cuekit')));
    await page.evaluate(() => window.ck.consent(true));
    assert.deepEqual(await cuekitKeys(), ['cuekit:state'], 'stored while GPC is off');

    await page.evaluate(() => localStorage.setItem('test:gpc', 'on'));
    await page.reload();
    await page.waitForSelector('#status:text("ready")');
    assert.equal(await page.evaluate(() => navigator.globalPrivacyControl), true);
    assert.deepEqual(await cuekitKeys(), [], 'the stored record is erased');
    assert.equal(await page.evaluate(() => window.ck.storage()), 'memory');

    const warnings = [];
    page.on('console', (m) => { if (m.type() === 'warning') warnings.push(m.text()); });
    await page.evaluate(() => window.ck.consent(true));
    assert.ok(warnings.some((w) => /consent\(true\) ignored/.test(w)), JSON.stringify(warnings));
    assert.equal(await page.evaluate(() => window.ck.storage()), 'memory');
    await page.getByRole('button', { name: 'Add to Cart' }).click();
    await page.waitForTimeout(1_000);
    assert.deepEqual(await cuekitKeys(), [], 'nothing stored under GPC, even after consent(true)');
    assert.equal(rx.requests.length, 0, 'nothing sent under GPC, even after consent(true)');
    await page.reload();
    await page.waitForSelector('#status:text("ready")');
    assert.deepEqual(await cuekitKeys(), []);
    assert.equal(rx.requests.length, 0);
    await context.close();
  } finally {
    await rx.close();
  }
});

test('Keyboard only: the modal takes focus, Tab and Shift+Tab stay inside, Tab from outside goes in, Enter activates a button, Esc dismisses (counted), and focus returns to where it was', async () => {
  const context = await browser.newContext();
  const page = await open(context, '/www/e2e-shop.html?config=s02&product=mug-1');
  /** The focused element, inside open shadow roots: its id, aria-label or text. */
  const focused = () => page.evaluate(() => {
    let el = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    return el && el !== document.body ? (el.id || el.getAttribute('aria-label') || el.textContent.trim()) : null;
  });
  const tabTo = async (id) => {
    for (let i = 0; i < 6 && (await focused()) !== id; i++) await page.keyboard.press('Tab');
    assert.equal(await focused(), id);
  };
  const dialog = page.getByRole('dialog', { name: 'Questions about Blue Mug?' });

  await tabTo('plain');
  await page.clock.runFor(60_000);
  await dialog.waitFor();
  assert.equal(await focused(), 'Chat with us', 'focus moves to the first action');
  const order = [];
  for (let i = 0; i < 4; i++) {
    await page.keyboard.press('Tab');
    order.push(await focused());
  }
  assert.deepEqual(order, ['No thanks', 'Close', 'Chat with us', 'No thanks'], 'Tab cycles inside');
  const back = [];
  for (let i = 0; i < 3; i++) {
    await page.keyboard.press('Shift+Tab');
    back.push(await focused());
  }
  assert.deepEqual(back, ['Chat with us', 'Close', 'No thanks'], 'Shift+Tab cycles inside');
  // Focus taken out by a script: the next Tab brings it back in.
  await page.evaluate(() => document.getElementById('field').focus());
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'Close', 'Tab from outside goes into the modal');
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'Chat with us');
  await page.keyboard.press('Enter');
  await dialog.waitFor({ state: 'detached' });
  assert.deepEqual(await hostCalls(page), [{ name: 'openChat', rule: 'help-or-discount' }]);
  assert.deepEqual(await page.evaluate(() => window.events.filter((e) => e.type === 'click').map((e) => e.rule)), ['help-or-discount']);

  // Again on the next product page; Esc dismisses and focus goes back to the page button.
  await go(page, '/www/e2e-shop.html?config=s02&product=lamp-1');
  await tabTo('plain');
  await page.clock.runFor(60_000);
  await page.getByRole('dialog', { name: 'Questions about Desk Lamp?' }).waitFor();
  assert.equal(await focused(), 'Chat with us');
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'detached' });
  assert.equal(await focused(), 'plain', 'focus returns to where it was');
  assert.deepEqual(await page.evaluate(() => window.events.filter((e) => e.type === 'dismiss').map((e) => e.rule)), ['help-or-discount']);
  const stored = await page.evaluate(() => localStorage.getItem('cuekit:state'));
  assert.equal((stored.match(/"dismiss"/g) || []).length, 1, 'the dismissal is in the ledger');
  assert.deepEqual(await hostCalls(page), [], 'Esc is not the primary button');
  await context.close();
});
