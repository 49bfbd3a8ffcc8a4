// The visitor's choices, consent and erasure across tabs and reloads, end to end: two
// real tabs (two pages of one browser context, sharing localStorage) on www/rel.html,
// then a reload (a third page of the same context reads what the two left behind).
//
// Needs the release package (`npm run build`; `npm test` builds before this step).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv } from './harness.mjs';

let browser;
let base;
useEnv((env) => ({ browser, base } = env));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const TWO_RULES = {
  caps: { oneAtATime: false },
  rules: [
    { id: 'x', trigger: 'go-x', action: { type: 'toast', title: 'Rule X', body: 'x' } },
    { id: 'y', trigger: 'go-y', action: { type: 'toast', title: 'Rule Y', body: 'y' } },
  ],
};

/** A tab of `context` on www/rel.html with `config`; resolves once cuekit is ready. */
async function tab(context, config, query = '') {
  const page = await context.newPage();
  const errors = [];
  const warnings = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'warning' || m.type() === 'warn') warnings.push(m.text());
  });
  await page.addInitScript((c) => { window.__relConfig = c; }, config);
  await page.goto(`${base}/www/rel.html${query}`);
  await page.waitForFunction(() => document.getElementById('status').textContent !== 'loading…', null, { timeout: 15000 });
  assert.equal(await page.textContent('#status'), 'ready');
  return { page, errors, warnings };
}

const record = async (page) => JSON.parse(await page.evaluate(() => localStorage.getItem('cuekit:state')) || 'null');
const explain = (page, rule) => page.evaluate((r) => window.ck.explain(r), rule);
const ledgerHas = (rec, rule, kind) => !!rec && Array.isArray(rec.ledger) && rec.ledger.some((e) => e[1] === rule && e[2] === kind);

/**
 * Runs `trials` races in fresh visitors: tab A and tab B each run their call at the same
 * moment, both close, and a third tab (a reload) checks the record. Returns how many
 * trials `holds` found wrong.
 */
async function race(trials, callA, callB, holds) {
  let lost = 0;
  for (let trial = 0; trial < trials; trial++) {
    const context = await browser.newContext();
    try {
      const a = await tab(context, TWO_RULES);
      const b = await tab(context, TWO_RULES);
      await Promise.all([a.page.evaluate(callA), b.page.evaluate(callB)]);
      // Let the storage events cross and any write-back land.
      await sleep(300);
      await a.page.close();
      await b.page.close();
      const c = await tab(context, TWO_RULES);
      if (!(await holds(c.page))) lost++;
      assert.deepEqual(c.errors, []);
    } finally {
      await context.close();
    }
  }
  return lost;
}

test('two tabs choose at the same moment (A opts out of x, B dismisses y): after both reload, both choices hold — 10 trials', async () => {
  const lost = await race(10, () => window.ck.optOut('x'), () => window.ck.dismiss('y'),
    async (page) => (await explain(page, 'x')).optedOut === true && ledgerHas(await record(page), 'y', 'dismiss'));
  assert.equal(lost, 0, `a choice was lost in ${lost} of 10 trials`);
});

test('an opt-out in one tab racing a show in the other: the opt-out survives the show\'s write, in every trial (10)', async () => {
  const lost = await race(10, () => window.ck.optOut('x'), () => window.ck.track('go-y'),
    async (page) => (await explain(page, 'x')).optedOut === true);
  assert.equal(lost, 0, `the opt-out was lost in ${lost} of 10 trials`);
});

const CONSENT = {
  requireConsent: true,
  caps: { oneAtATime: false },
  rules: [
    { id: 'x', trigger: 'go-x', action: { type: 'toast', title: 'Rule X', body: 'x' } },
  ],
};

test('consent(false) in tab A wins over tab B: B\'s later writes restore neither consent, nor the attributes, nor the old visitor id — now and after reload', async () => {
  const context = await browser.newContext();
  try {
    const a = await tab(context, CONSENT);
    await a.page.evaluate(() => { window.ck.consent(true); window.ck.identify({ email: 'ann@example.com' }); });
    const b = await tab(context, CONSENT);
    const oldId = (await b.page.evaluate(() => window.ck.visitor())).visitor.id;
    assert.equal((await record(b.page)).attrs.email, 'ann@example.com');
    await a.page.evaluate(() => window.ck.consent(false));
    await sleep(100);
    // Tab B carries on: a show, attributes, a choice — each of which used to write the record.
    await b.page.evaluate(() => { window.ck.track('go-x'); window.ck.identify({ plan: 'gold' }); window.ck.dismiss('x'); });
    await sleep(1500);
    const text = await a.page.evaluate(() => localStorage.getItem('cuekit:state')) || '';
    assert.ok(!text.includes('ann@example.com'), `the e-mail came back: ${text}`);
    assert.ok(!text.includes('gold'), `attributes were written without consent: ${text}`);
    assert.ok(!text.includes(oldId), `the old visitor id came back: ${text}`);
    assert.ok(!/"consent":true/.test(text), `consent came back: ${text}`);
    // Tab B honours the withdrawal too: no storage, and its attributes are gone.
    assert.equal(await b.page.evaluate(() => window.ck.storage()), 'memory');
    assert.equal(JSON.stringify(await b.page.evaluate(() => window.ck.export())).includes('ann@example.com'), false);
    await a.page.close();
    await b.page.close();
    const c = await tab(context, CONSENT);
    assert.equal(await c.page.evaluate(() => window.ck.storage()), 'memory', 'consent is not granted after reload');
    const after = await c.page.evaluate(() => window.ck.visitor());
    assert.notEqual(after.visitor.id, oldId);
  } finally {
    await context.close();
  }
});

test('forget() in tab A wins over tab B: B\'s later writes bring back neither the attributes nor the old visitor id, now and after reload', async () => {
  const context = await browser.newContext();
  try {
    const a = await tab(context, TWO_RULES);
    await a.page.evaluate(() => { window.ck.identify({ email: 'bob@example.com' }); window.ck.optOut('y'); });
    const b = await tab(context, TWO_RULES);
    const oldId = (await b.page.evaluate(() => window.ck.visitor())).visitor.id;
    await a.page.evaluate(() => window.ck.forget());
    const newId = (await a.page.evaluate(() => window.ck.visitor())).visitor.id;
    assert.notEqual(newId, oldId);
    await sleep(100);
    await b.page.evaluate(() => { window.ck.track('go-x'); window.ck.identify({ plan: 'gold' }); window.ck.dismiss('x'); });
    await sleep(1500);
    const text = await a.page.evaluate(() => localStorage.getItem('cuekit:state')) || '';
    assert.ok(!text.includes('bob@example.com'), `the e-mail came back: ${text}`);
    assert.ok(!text.includes(oldId), `the old visitor id came back: ${text}`);
    // B moved to the new visitor; its own later choice (after the erasure) is kept.
    assert.equal((await b.page.evaluate(() => window.ck.visitor())).visitor.id, newId);
    await a.page.close();
    await b.page.close();
    const c = await tab(context, TWO_RULES);
    assert.equal((await c.page.evaluate(() => window.ck.visitor())).visitor.id, newId);
    assert.equal((await explain(c.page, 'y')).optedOut, false, 'the erased opt-out stays erased');
    assert.ok(ledgerHas(await record(c.page), 'x', 'dismiss'), 'the choice made after the erasure is kept');
  } finally {
    await context.close();
  }
});

test('whatever identify() and track() accept survives a reload: deeply nested attributes and properties keep the visitor id and the opt-out', async () => {
  const config = {
    caps: { oneAtATime: false },
    rules: [
      { id: 'x', trigger: 'go-x', action: { type: 'toast', title: 'Rule X', body: 'x' } },
      { id: 'wait', trigger: { after: 'view', absent: 'buy', within: '1h' } },
    ],
  };
  for (const depth of [8, 30, 40, 62, 63, 64, 70, 200]) {
    const context = await browser.newContext();
    try {
      const a = await tab(context, config);
      const id = (await a.page.evaluate(() => window.ck.visitor())).visitor.id;
      // Built in the page (Playwright cannot pass a value this deep).
      await a.page.evaluate((d) => {
        let v = 'leaf';
        for (let i = 0; i < d; i++) v = { d: v };
        window.ck.identify({ deep: v });
        window.ck.track('view', { deep: v });
        window.ck.optOut('x');
      }, depth);
      // Deeper than accepted: refused with a warning that says why, never silently.
      if (depth >= 64) assert.ok(a.warnings.some((w) => /nested deeper than/.test(w)), `depth ${depth}: ${a.warnings.join('\n')}`);
      await a.page.evaluate(() => window.ck.destroy());
      await a.page.close();
      const b = await tab(context, config);
      assert.deepEqual(b.warnings.filter((w) => /unreadable/.test(w)), [], `depth ${depth}: the record was unreadable on reload`);
      assert.equal((await b.page.evaluate(() => window.ck.visitor())).visitor.id, id, `depth ${depth}: a new visitor id after reload`);
      assert.equal((await explain(b.page, 'x')).optedOut, true, `depth ${depth}: the opt-out was lost`);
    } finally {
      await context.close();
    }
  }
});

test('a long history (about 1,000 ledger entries, the opt-out made last) keeps the latest choice of every rule on reload, and the record stays within its stated bound', async () => {
  const rules = [];
  for (let i = 0; i < 60; i++) rules.push({ id: `rule-${i}`, trigger: `go-${i}`, action: { type: 'none' } });
  const config = { caps: { oneAtATime: false }, rules };
  const context = await browser.newContext();
  try {
    // A record another cuekit tab could have written: 1,000 entries, an opt-out of rule-59 last.
    const now = Date.now();
    const a = await tab(context, config);
    const rec = await record(a.page);
    const ledger = [];
    for (let i = 0; i < 1000; i++) ledger.push([now - 100_000 + i * 10, `rule-${i % 60}`, ['show', 'click', 'dismiss'][i % 3]]);
    ledger.push([now - 50, 'rule-59', 'optout']);
    ledger.push([now - 40, 'rule-58', 'snooze', 86_400_000]);
    rec.ledger = ledger;
    await a.page.evaluate((r) => { window.ck.destroy(); localStorage.setItem('cuekit:state', JSON.stringify(r)); }, rec);
    await a.page.close();
    const b = await tab(context, config);
    assert.equal((await explain(b.page, 'rule-59')).optedOut, true, 'the newest opt-out was cut');
    assert.ok((await explain(b.page, 'rule-58')).snoozedUntil > now, 'the newest snooze was cut');
    // Every rule dismissed, snoozed and opted out many times: the record stays bounded.
    await b.page.evaluate(() => {
      for (let round = 0; round < 20; round++) {
        for (let i = 0; i < 60; i++) { window.ck.track(`go-${i}`); window.ck.dismiss(`rule-${i}`); window.ck.snooze(`rule-${i}`, '1h'); }
      }
      for (let i = 0; i < 60; i++) window.ck.optOut(`rule-${i}`);
    });
    await b.page.evaluate(() => window.ck.destroy());
    const text = await b.page.evaluate(() => localStorage.getItem('cuekit:state'));
    // The stated bound (docs/reliability.md): 64 KB plus 110 bytes per rule with a choice.
    assert.ok(text.length <= 64 * 1024 + 60 * 110, `the record is ${text.length} bytes`);
    await b.page.close();
    const c = await tab(context, config);
    for (let i = 0; i < 60; i++) assert.equal((await explain(c.page, `rule-${i}`)).optedOut, true, `rule-${i}'s opt-out was lost`);
  } finally {
    await context.close();
  }
});

test('megabytes of identify() attributes: one warning naming the limit, no long show, and later choices are still written', async () => {
  const context = await browser.newContext();
  try {
    const a = await tab(context, TWO_RULES);
    const id = (await a.page.evaluate(() => window.ck.visitor())).visitor.id;
    const ms = await a.page.evaluate(() => {
      const big = 'z'.repeat(500_000);
      for (let i = 0; i < 12; i++) window.ck.identify({ [`blob${i}`]: big });
      const t0 = performance.now();
      window.ck.track('go-x');
      const show = performance.now() - t0;
      window.ck.optOut('y');
      return show;
    });
    assert.ok(ms < 50, `a show took ${ms.toFixed(1)} ms`);
    const limitWarnings = a.warnings.filter((w) => /identify/.test(w) && /KB/.test(w));
    assert.equal(limitWarnings.length, 1, a.warnings.join('\n'));
    await a.page.evaluate(() => window.ck.destroy());
    const text = await a.page.evaluate(() => localStorage.getItem('cuekit:state'));
    assert.ok(text.length < 64 * 1024, `the record is ${text.length} bytes`);
    await a.page.close();
    const b = await tab(context, TWO_RULES);
    assert.equal((await b.page.evaluate(() => window.ck.visitor())).visitor.id, id);
    assert.equal((await explain(b.page, 'y')).optedOut, true);
  } finally {
    await context.close();
  }
});

test('storage nearly full (the host filled it): the visitor\'s choices are still written, without attributes and progress if need be', async () => {
  const context = await browser.newContext();
  try {
    const a = await tab(context, TWO_RULES);
    // The host fills the quota to within a few KB.
    await a.page.evaluate(() => {
      const chunk = 'f'.repeat(1 << 20);
      let i = 0;
      try { for (; i < 20; i++) localStorage.setItem(`host-fill-${i}`, chunk); } catch { /* full */ }
      let size = 1 << 19;
      while (size > 1024) {
        try { localStorage.setItem(`host-fill-${i++}`, 'f'.repeat(size)); } catch { size >>= 1; }
      }
    });
    // Attributes that no longer fit: that write fails...
    await a.page.evaluate(() => { window.ck.identify({ note: 'n'.repeat(12_000) }); });
    // ...and the visitor's next choice must still reach storage.
    await a.page.evaluate(() => window.ck.optOut('x'));
    await a.page.evaluate(() => window.ck.destroy());
    await a.page.close();
    const b = await tab(context, TWO_RULES);
    assert.equal((await explain(b.page, 'x')).optedOut, true, 'the opt-out was lost when storage was nearly full');
  } finally {
    await context.close();
  }
});

test('a global cap of 3 with two tabs alternating 250 ms apart right after load: exactly 3 shown in all', async () => {
  const config = {
    caps: { oneAtATime: false, perSession: 3 },
    rules: [{ id: 'x', trigger: 'go-x', action: { type: 'toast', title: 'Rule X', body: 'x' } }],
  };
  for (let trial = 0; trial < 3; trial++) {
    const context = await browser.newContext();
    try {
      // Both tabs load at once, and the first message is due right after load (while
      // the start-up writes are recent).
      const [a, b] = await Promise.all([tab(context, config), tab(context, config)]);
      for (let i = 0; i < 8; i++) {
        await (i % 2 ? b : a).page.evaluate(() => window.ck.track('go-x'));
        await sleep(250);
      }
      const shows = async (p) => p.evaluate(() => window.events.filter((e) => e.type === 'show').length);
      const total = (await shows(a.page)) + (await shows(b.page));
      assert.equal(total, 3, `trial ${trial}: ${total} shown under a global cap of 3`);
    } finally {
      await context.close();
    }
  }
});
