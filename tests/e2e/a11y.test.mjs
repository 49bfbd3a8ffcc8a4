// Accessibility of what cuekit renders: every message format (modal, banner, toast,
// slide-in, inline) from tests/e2e/configs/a11y.json on www/rel.html (www/e2e.html has no
// <main> landmark, so axe flags the page's own content there), checked with
// axe-core (node_modules/axe-core, injected into the page) over the whole document,
// including cuekit's open shadow root; and prefers-reduced-motion honoured.
//
// Needs the release package (`npm run build`; `npm test` builds before this step).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { useEnv } from './harness.mjs';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

let browser;
let base;
useEnv((env) => ({ browser, base } = env));

async function open(context) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${base}/www/rel.html?config=a11y`);
  await page.waitForSelector('#status:text("ready")', { timeout: 15000 });
  // The inline format renders into a host element the page provides.
  await page.evaluate(() => {
    const slot = document.createElement('div');
    slot.id = 'inline-slot';
    document.body.append(slot);
  });
  await page.addScriptTag({ path: AXE });
  return { page, errors };
}

const FORMATS = [
  { rule: 'modal', role: 'dialog', props: { name: 'Blue Mug', sku: 'mug-1', items: [{ name: 'Mug', qty: 2 }, { name: 'Lamp', qty: 1 }] } },
  { rule: 'banner', role: 'status' },
  { rule: 'toast', role: 'status', props: { name: 'Blue Mug' } },
  { rule: 'slidein', role: 'status' },
  { rule: 'inline', role: null },
];

/** Runs axe over the document (open shadow roots included), once cuekit's entrance
 * animations have finished (mid-fade colours are not what a visitor reads). */
const axe = (page) => page.evaluate(async () => {
  const sr = document.querySelector('[data-cuekit-root]')?.shadowRoot;
  if (sr) await Promise.all(sr.getAnimations().map((a) => a.finished.catch(() => {})));
  const r = await window.axe.run(document, { resultTypes: ['violations'] });
  return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target) }));
});

// One page for the axe checks (each format is shown by a fresh instance on it).
let shared;
async function sharedPage() {
  if (!shared) {
    const context = await browser.newContext();
    shared = { context, ...(await open(context)) };
  }
  return shared;
}

/** Replaces the running instance by a fresh one (nothing on screen). */
const fresh = (page) => page.evaluate(async () => {
  window.ck.destroy();
  const config = await (await fetch('/tests/e2e/configs/a11y.json')).json();
  window.ck = await window.cuekit.init(config, { actions: { openChat: () => {} } });
  window.ck.on('show', (p) => window.events.push({ type: 'show', rule: p.rule, payload: p }));
});

test('axe: the test page itself has no violations (so the format checks below measure cuekit)', async () => {
  const { page } = await sharedPage();
  assert.deepEqual(await axe(page), []);
});

for (const f of FORMATS) {
  test(`axe: a ${f.rule} message has zero violations, in the document and its shadow root`, async () => {
    const { page, errors } = await sharedPage();
    await fresh(page);
    await page.evaluate(([r, p]) => window.ck.track(`go-${r}`, p), [f.rule, f.props || {}]);
    const shown = await page.evaluate((r) => window.events.filter((e) => e.type === 'show').map((e) => e.rule).includes(r), f.rule);
    assert.ok(shown, `${f.rule} was shown`);
    // The message is in the accessibility tree with its role (inline: in its slot).
    if (f.role) await page.getByRole(f.role).first().waitFor();
    else await page.locator('#inline-slot').getByText('Members save 10 %').waitFor();
    const nodes = await page.evaluate(() => document.querySelector('[data-cuekit-root]')?.shadowRoot?.querySelectorAll('*').length ?? 0);
    const violations = await axe(page);
    assert.deepEqual(violations, [], JSON.stringify(violations, null, 1));
    if (f.rule !== 'inline') assert.ok(nodes > 3, 'axe looked into the shadow root');
    if (f.rule === 'modal') {
      // Control: an unlabeled button inside the shadow root is reported, so a clean run
      // above means axe really checked cuekit's nodes.
      await page.evaluate(() => document.querySelector('[data-cuekit-root]').shadowRoot.querySelector('[role=dialog]').append(document.createElement('button')));
      assert.ok((await axe(page)).some((v) => v.id === 'button-name'), 'axe sees inside the shadow root');
    }
    assert.deepEqual(errors, []);
  });
}

test('axe: all formats on screen at once (modal over banner, toast, slide-in, inline) have zero violations', async () => {
  const { page, context } = await sharedPage();
  await fresh(page);
  for (const f of [...FORMATS].reverse()) {
    await page.evaluate(([r, p]) => window.ck.track(`go-${r}`, p), [f.rule, f.props || {}]);
  }
  await page.getByRole('dialog').waitFor();
  const violations = await axe(page);
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 1));
  await context.close();
});

/** The animation and transition of every element in cuekit's shadow root. */
const motion = (page) => page.evaluate(() => {
  const sr = document.querySelector('[data-cuekit-root]').shadowRoot;
  return [...sr.querySelectorAll('*')].map((e) => {
    const cs = getComputedStyle(e);
    return { cls: e.className, animation: cs.animationName, duration: cs.animationDuration, transition: cs.transitionDuration };
  });
});

test('prefers-reduced-motion: reduce → no animation and no transition on anything cuekit renders; otherwise messages animate in', async () => {
  const context = await browser.newContext();
  const { page } = await open(context);
  const showThree = (p) => p.evaluate((m) => { window.ck.track('go-modal', m); window.ck.track('go-toast', { name: 'Mug' }); window.ck.track('go-slidein'); }, FORMATS[0].props);
  await showThree(page);
  await page.getByRole('dialog').waitFor();
  const normal = await motion(page);
  assert.ok(normal.some((m) => m.animation !== 'none'), 'messages animate in by default');
  await context.close();

  const reduced = await browser.newContext({ reducedMotion: 'reduce' });
  const r = await open(reduced);
  await showThree(r.page);
  await r.page.getByRole('dialog').waitFor();
  const still = await motion(r.page);
  const moving = still.filter((m) => m.animation !== 'none' || !/^0s(, 0s)*$/.test(m.transition));
  assert.deepEqual(moving, [], 'nothing moves with reduced motion');
  // Switching the preference while a message is open applies at once (CSS media query).
  await r.page.emulateMedia({ reducedMotion: 'no-preference' });
  assert.ok((await motion(r.page)).some((m) => m.animation !== 'none'));
  await reduced.close();
});
