// S14 end to end: at most 2 prompts per session across rules; a message dismissed twice
// stays quiet for 24 h and returns after; "remind me later" snoozes; "don't show again"
// survives a reload; two tabs share the global cap and a dismissal. Real localStorage,
// real rendering, Playwright's virtual clock for hours in seconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv } from './harness.mjs';

let browser;
let base;
useEnv((env) => ({ browser, base } = env));

async function open(context, clock) {
  const page = await context.newPage();
  if (clock) await page.clock.install({ time: new Date('2026-11-29T09:00:00Z') });
  await page.goto(`${base}/www/e2e.html?config=s14`);
  await page.waitForSelector('#status:text("ready")', { timeout: 15000 });
  return page;
}

const track = (page, name) => page.evaluate((n) => window.ck.track(n), name);
const lastOf = (page, rule) => page.evaluate(
  (r) => [...window.events].reverse().find((e) => e.rule === r && (e.type === 'show' || e.type === 'suppress')),
  rule,
);
async function expectShown(page, rule, title) {
  const e = await lastOf(page, rule);
  assert.equal(e?.type, 'show', `${rule} should show: ${JSON.stringify(e?.payload?.suppressed)}`);
  await page.getByText(title, { exact: true }).waitFor();
}
async function expectSuppressed(page, rule, cap) {
  const e = await lastOf(page, rule);
  assert.equal(e?.type, 'suppress', `${rule} should be suppressed`);
  assert.equal(e.payload.suppressed.cap, cap, e.payload.suppressed.reason);
}
const close = (page) => page.getByRole('button', { name: 'Close' }).click();

test('two prompts per session across rules; the third is suppressed', async () => {
  const context = await browser.newContext();
  const page = await open(context, true);
  await track(page, 'go-a');
  await expectShown(page, 'promo-a', 'Promo A');
  await close(page);
  await track(page, 'go-b');
  await expectShown(page, 'promo-b', 'Promo B');
  await close(page);
  await track(page, 'go-c');
  await expectSuppressed(page, 'promo-c', 'global perSession');
  assert.equal(await page.getByText('Promo C').count(), 0);
  // A new session (30 minutes without activity) lifts the session cap.
  await page.clock.fastForward('31:00');
  await track(page, 'go-c');
  await expectShown(page, 'promo-c', 'Promo C');
  await context.close();
});

test('dismissed twice: quiet for 24 h, then back', async () => {
  const context = await browser.newContext();
  const page = await open(context, true);
  await track(page, 'go-a');
  await expectShown(page, 'promo-a', 'Promo A');
  await close(page);
  await page.clock.fastForward('31:00');
  await track(page, 'go-a');
  await expectShown(page, 'promo-a', 'Promo A');
  await close(page);
  await page.clock.fastForward('31:00');
  await track(page, 'go-a');
  await expectSuppressed(page, 'promo-a', 'dismissCooldown');
  // Survives a reload.
  await page.reload();
  await page.waitForSelector('#status:text("ready")');
  await page.clock.fastForward('20:00:00');
  await track(page, 'go-a');
  await expectSuppressed(page, 'promo-a', 'dismissCooldown');
  await page.clock.fastForward('04:00:00');
  await track(page, 'go-a');
  await expectShown(page, 'promo-a', 'Promo A');
  await context.close();
});

test('"remind me later" snoozes; "don\'t show again" survives a reload', async () => {
  const context = await browser.newContext();
  const page = await open(context, true);
  await track(page, 'go-b');
  await expectShown(page, 'promo-b', 'Promo B');
  await page.getByRole('button', { name: 'Remind me later' }).click();
  await track(page, 'go-b');
  await expectSuppressed(page, 'promo-b', 'snooze');
  await page.clock.fastForward('01:00:01');
  await track(page, 'go-b');
  await expectShown(page, 'promo-b', 'Promo B');
  await page.getByRole('button', { name: "Don't show again" }).click();
  await page.reload();
  await page.waitForSelector('#status:text("ready")');
  await page.clock.fastForward('48:00:00');
  await track(page, 'go-b');
  await expectSuppressed(page, 'promo-b', 'optout');
  await context.close();
});

test('two tabs of one visitor share the global cap and a dismissal', async () => {
  const context = await browser.newContext();
  const tab1 = await open(context, false);
  const tab2 = await open(context, false);
  await track(tab1, 'go-a');
  await expectShown(tab1, 'promo-a', 'Promo A');
  await close(tab1);
  await track(tab2, 'go-b');
  await expectShown(tab2, 'promo-b', 'Promo B');
  await close(tab2);
  await track(tab1, 'go-c');
  await expectSuppressed(tab1, 'promo-c', 'global perSession');
  // The dismissals from both tabs are all in the stored record.
  const stored = await tab1.evaluate(() => localStorage.getItem('cuekit:state'));
  assert.equal((stored.match(/"dismiss"/g) || []).length, 2, stored);
  await context.close();
});
