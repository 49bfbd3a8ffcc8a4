// S16 end to end: an A/B test of message variants with a holdout. Each visitor is a
// fresh browser context with a known visitor id; variants are sticky across reloads,
// held-out visitors are exposed but see nothing, exposures are reported once, and
// analyze() gives per-variant rates, lift and significance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv } from './harness.mjs';

let browser;
let base;
useEnv((env) => ({ browser, base } = env));

async function visitor(id) {
  const context = await browser.newContext();
  await context.addInitScript((vid) => {
    if (!localStorage.getItem('cuekit:state')) {
      localStorage.setItem('cuekit:state', JSON.stringify({ v: 1, visitor: { id: vid, first: 1, visits: 1, prev: 0 } }));
    }
  }, id);
  const page = await context.newPage();
  await page.goto(`${base}/www/e2e.html?config=s16`);
  await page.waitForSelector('#status:text("ready")', { timeout: 15000 });
  return { context, page };
}

test('variants are sticky, the holdout sees nothing, exposures are counted once, analyze() concludes', async () => {
  const totals = { control: { exposures: 0, clicks: 0, conversions: 0 }, urgent: { exposures: 0, clicks: 0, conversions: 0 } };
  let held = 0;
  for (let i = 0; i < 16; i++) {
    const { context, page } = await visitor(`visitor-${i}`);
    await page.evaluate(() => { window.ck.track('go'); window.ck.track('go'); });
    const exposures = await page.evaluate(() => window.events.filter((e) => e.type === 'exposure').map((e) => e.payload));
    // The exposure handler is registered after init; the payload also reaches stats().
    const stats = (await page.evaluate(() => window.ck.stats()))[0];
    assert.ok(stats.exposed, 'exposed at the first decision');
    if (stats.holdout) {
      held++;
      assert.equal(await page.getByRole('status').count(), 0, 'a held-out visitor sees nothing');
      const sup = await page.evaluate(() => window.events.find((e) => e.type === 'suppress').payload.suppressed);
      assert.equal(sup.cap, 'holdout');
    } else {
      await page.getByText(`Variant ${stats.variant}`, { exact: true }).waitFor();
      totals[stats.variant].exposures++;
      if (i % 3 === 0) {
        await page.getByRole('button', { name: 'Shop now' }).click();
        totals[stats.variant].clicks++;
        await page.evaluate(() => window.ck.track('purchase'));
        const converted = await page.evaluate(() => window.events.filter((e) => e.type === 'convert').map((e) => e.payload.variant));
        assert.deepEqual(converted, [stats.variant], 'the conversion carries the variant');
        totals[stats.variant].conversions++;
      }
    }
    assert.ok(exposures.length <= 1, 'never two exposures');
    // Sticky across a reload.
    await page.reload();
    await page.waitForSelector('#status:text("ready")');
    const again = (await page.evaluate(() => window.ck.stats()))[0];
    assert.equal(again.variant, stats.variant);
    assert.equal(again.holdout, stats.holdout);
    await context.close();
  }
  assert.ok(held >= 1 && held <= 8, `holdout of 20 %: ${held} of 16`);
  assert.ok(totals.control.exposures > 0 && totals.urgent.exposures > 0, JSON.stringify(totals));
  const { page, context } = await visitor('analyst');
  const result = await page.evaluate(async (t) => {
    const { analyze } = await import('/js/index.js');
    return analyze([t.control, t.urgent]);
  }, totals);
  assert.equal(result.variants.length, 2);
  assert.equal(result.variants[0].exposures, totals.control.exposures);
  assert.equal(result.tooSmall, true, 'sixteen visitors cannot support a conclusion');
  assert.ok(result.variants[1].ctr.low <= result.variants[1].ctr.rate && result.variants[1].ctr.rate <= result.variants[1].ctr.high);
  await context.close();
});
