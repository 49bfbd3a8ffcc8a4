// Host code that runs inside cuekit's own work (issue 20, items 9, 10 and 13), end to end
// on www/rel.html (release build, Debian's Chromium):
//   - a DOM accessor the host patched throws while cuekit renders or hides a message:
//     nothing reaches the host through cuekit's API and the instance keeps working;
//   - a host listener that fires synchronously inside a render (focus moving into a
//     modal) calls cuekit: the call is queued and applied, never dropped;
//   - nothing rendered (no <body>, attachShadow throws): nothing counted as shown.
//
// Needs the release package (`npm run build`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useEnv } from './harness.mjs';

let browser;
let base;
useEnv((env) => ({ browser, base } = env));

const CONFIG = {
  caps: { oneAtATime: false },
  rules: [
    { id: 'modal', trigger: 'go-modal', caps: { perSession: 1 },
      action: { type: 'modal', title: 'A modal', body: 'Hello there', theme: { accent: '#2f5bea' },
        buttons: [{ label: 'OK', do: 'dismiss', primary: true }] } },
    { id: 'toast', trigger: 'go-toast',
      action: { type: 'toast', title: 'A toast', body: 'Toast body', autoHide: '10m' } },
    { id: 'exp', trigger: 'go-exp', caps: { perSession: 1 },
      experiment: { key: 'exp-copy', variants: [
        { id: 'a', action: { type: 'toast', title: 'Variant A', body: 'a' } },
        { id: 'b', action: { type: 'toast', title: 'Variant B', body: 'b' } }] } },
    { id: 'pv', trigger: { count: 'page_view', atLeast: 2, within: '1h' },
      action: { type: 'toast', title: 'Second view', body: 'again' } },
  ],
};

/** rel.html with CONFIG; `init` runs before any page script (fault injection). */
async function open({ init, initArg, query = '' } = {}) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const errors = [];
  const warnings = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'warning' || m.type() === 'warn') warnings.push(m.text());
    if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) errors.push(m.text());
  });
  await page.addInitScript((cfg) => { window.__relConfig = cfg; }, CONFIG);
  if (init) await page.addInitScript(init, initArg);
  await page.goto(`${base}/www/rel.html?x=1${query}`);
  await page.waitForFunction(() => document.getElementById('status').textContent !== 'loading…', null, { timeout: 15000 });
  return { page, errors, warnings, close: () => ctx.close() };
}

const shadowText = (page) => page.evaluate(() => {
  const root = document.querySelector('[data-cuekit-root]');
  return root && root.shadowRoot ? root.shadowRoot.textContent : '';
});

// Each accessor a host page can patch on a prototype (or the window), as the page patches
// it: `kind` get/set replaces the accessor, `method` the function. `phase` is the cuekit
// call during which it throws (once): the first render (which also creates the root and
// its stylesheet), a later render, or the hide of a modal.
const ACCESSORS = [
  { on: 'Node.prototype', name: 'textContent', kind: 'set', phase: 'first' },
  { on: 'ShadowRoot.prototype', name: 'adoptedStyleSheets', kind: 'set', phase: 'first' },
  { on: 'Document.prototype', name: 'body', kind: 'get', phase: 'first' },
  { on: 'Document.prototype', name: 'body', kind: 'get', phase: 'later' },
  { on: 'Document.prototype', name: 'activeElement', kind: 'get', phase: 'first' },
  { on: 'Document.prototype', name: 'documentElement', kind: 'get', phase: 'first' },
  { on: 'Document.prototype', name: 'createElement', kind: 'method', phase: 'first' },
  { on: 'Element.prototype', name: 'shadowRoot', kind: 'get', phase: 'first' },
  { on: 'Element.prototype', name: 'tagName', kind: 'get', phase: 'first' },
  { on: 'Element.prototype', name: 'getAttribute', kind: 'method', phase: 'first' },
  { on: 'Element.prototype', name: 'setAttribute', kind: 'method', phase: 'first' },
  { on: 'Element.prototype', name: 'attachShadow', kind: 'method', phase: 'first' },
  { on: 'Element.prototype', name: 'remove', kind: 'method', phase: 'hide' },
  { on: 'Node.prototype', name: 'appendChild', kind: 'method', phase: 'later' },
  { on: 'Node.prototype', name: 'isConnected', kind: 'get', phase: 'later' },
  { on: 'Node.prototype', name: 'contains', kind: 'method', phase: 'hide' },
  { on: 'HTMLElement.prototype', name: 'style', kind: 'get', phase: 'first' },
  { on: 'HTMLElement.prototype', name: 'isContentEditable', kind: 'get', phase: 'first' },
  { on: 'HTMLElement.prototype', name: 'focus', kind: 'method', phase: 'first' },
  { on: 'HTMLElement.prototype', name: 'focus', kind: 'method', phase: 'hide' },
  { on: 'ShadowRoot.prototype', name: 'activeElement', kind: 'get', phase: 'hide' },
  { on: 'CSSStyleSheet.prototype', name: 'replaceSync', kind: 'method', phase: 'first' },
  { on: 'CSSStyleDeclaration.prototype', name: 'setProperty', kind: 'method', phase: 'first' },
  { on: 'EventTarget.prototype', name: 'addEventListener', kind: 'method', phase: 'later' },
  { on: 'EventTarget.prototype', name: 'removeEventListener', kind: 'method', phase: 'hide' },
  { on: 'window', name: 'setTimeout', kind: 'method', phase: 'later' },
  { on: 'window', name: 'clearTimeout', kind: 'method', phase: 'hide', rule: 'toast' },
  { on: 'console', name: 'warn', kind: 'method', phase: 'warn' },
  { on: 'Document.prototype', name: 'title', kind: 'get', phase: 'page' },
  { on: 'Document.prototype', name: 'referrer', kind: 'get', phase: 'page' },
];

/** Installed before any page script: `a.name` on `a.on` throws once while armed. */
function patchOnce(a) {
  const target = a.on.split('.').reduce((o, k) => o[k], window);
  let owner = target;
  while (owner && !Object.prototype.hasOwnProperty.call(owner, a.name)) owner = Object.getPrototypeOf(owner);
  const desc = Object.getOwnPropertyDescriptor(owner, a.name);
  window.__thrown = 0;
  window.__armed = false;
  const fire = () => {
    if (window.__armed && window.__thrown === 0) {
      window.__thrown = 1;
      throw new Error(`host ${a.name} exploded`);
    }
  };
  const patched = { configurable: true, enumerable: desc.enumerable };
  if (a.kind === 'method') {
    const orig = desc.value;
    patched.writable = true;
    patched.value = function (...args) { fire(); return orig.apply(this, args); };
  } else {
    patched.get = function () { if (a.kind === 'get') fire(); return desc.get.call(this); };
    if (desc.set) patched.set = function (v) { if (a.kind === 'set') fire(); return desc.set.call(this, v); };
  }
  Object.defineProperty(target, a.name, patched);
}

for (const a of ACCESSORS) {
  test(`host DOM fault: ${a.on}.${a.name} (${a.kind}) throws once during the ${{ warn: 'warning', hide: 'hide', page: 'page view' }[a.phase] || `${a.phase} render`} → nothing reaches the host, cuekit keeps working, destroy() leaves nothing`, async () => {
    const { page, errors, close } = await open({ init: patchOnce, initArg: a });
    try {
      assert.equal(await page.textContent('#status'), 'ready');
      const r = await page.evaluate(async ({ phase, rule = 'modal' }) => {
        const ck = window.ck;
        document.getElementById('plain').focus();
        const call = (f) => {
          window.__armed = true;
          try { f(); return null; } catch (e) { return String(e); } finally { window.__armed = false; }
        };
        if (phase === 'later' || phase === 'hide') ck.track(`go-${rule}`);
        let threw;
        if (phase === 'hide') threw = call(() => ck.dismiss(rule));
        else if (phase === 'warn') threw = call(() => ck.dismiss('no-such-rule'));
        else if (phase === 'page') threw = call(() => ck.pageView());
        else threw = call(() => ck.track(phase === 'first' ? 'go-modal' : 'go-toast'));
        await new Promise((res) => setTimeout(res, 50));
        // It keeps working: a message renders, a choice is recorded and honoured.
        const root = () => document.querySelector('[data-cuekit-root]');
        ck.track('go-toast');
        const toastShown = !!root() && root().shadowRoot.textContent.includes('A toast');
        const optOut = ck.optOut('toast');
        const hidden = !root() || !root().shadowRoot.textContent.includes('A toast');
        ck.track('go-toast');
        const last = [...window.events].reverse().find((e) => e.rule === 'toast' && (e.type === 'show' || e.type === 'suppress'));
        const explain = ck.explain('toast');
        const visitor = ck.visitor();
        let destroyError = null;
        try { ck.destroy(); } catch (e) { destroyError = String(e); }
        const left = document.querySelectorAll('[data-cuekit-root],[data-cuekit-inline]').length;
        return { thrown: window.__thrown, threw, toastShown, optOut, hidden, last: last && last.type,
          explain: explain !== null, visitor: visitor !== null, destroyError, left };
      }, a);
      assert.equal(r.thrown, 1, 'the patched accessor was reached and threw');
      assert.equal(r.threw, null, 'the host exception did not come out of the cuekit call');
      assert.ok(r.toastShown, 'a later message renders');
      assert.equal(r.optOut, true, 'optOut() is accepted');
      assert.ok(r.hidden, 'the opted-out message left the screen');
      assert.equal(r.last, 'suppress', 'the opt-out is recorded and honoured');
      assert.ok(r.explain, 'explain() answers');
      assert.ok(r.visitor, 'visitor() answers');
      assert.equal(r.destroyError, null, 'destroy() does not throw');
      assert.equal(r.left, 0, 'destroy() leaves no cuekit node');
      assert.deepEqual(errors, []);
    } finally {
      await close();
    }
  });
}

// Item 10: each API called from a host `focusin` listener, which fires synchronously
// while cuekit renders the modal and moves focus into it. `pre` runs first, `call` inside
// the listener, `check` afterwards (true when the call's effect is applied).
const REENTRANT = {
  track: { call: "ck.track('go-toast')", check: "text().includes('A toast')" },
  identify: { call: "ck.identify({ plan: 'pro' })", check: "JSON.stringify(ck.export()).includes('\"plan\":\"pro\"')" },
  pageView: { call: 'ck.pageView()', check: "text().includes('Second view')" },
  dismiss: { call: "ck.dismiss('modal')", check: "!text().includes('A modal') && has('dismiss', 'modal')" },
  convert: { call: "ck.convert('modal')", check: "has('convert', 'modal')" },
  snooze: { call: "ck.snooze('toast', '1h')", check: "(ck.track('go-toast'), !text().includes('A toast') && ck.explain('toast').snoozedUntil > Date.now())" },
  optOut: { call: "ck.optOut('toast')", check: "(ck.track('go-toast'), !text().includes('A toast') && ck.explain('toast').optedOut)" },
  optIn: { pre: "ck.optOut('toast')", call: "ck.optIn('toast')", check: "(ck.track('go-toast'), text().includes('A toast'))" },
  // Withdrawn: what stays stored is the withdrawal alone (no visitor, no data).
  consent: { call: 'ck.consent(false)', check: "(ck.track('go-toast'), Object.keys(localStorage).filter((k) => k.startsWith('cuekit')).join() === 'cuekit:state' && !localStorage.getItem('cuekit:state').includes('visitor') && JSON.parse(localStorage.getItem('cuekit:state')).consent === false)" },
  forget: { pre: 'window.__id = ck.visitor().visitor.id', call: 'ck.forget()', check: 'ck.visitor().visitor.id !== window.__id' },
  on: { call: "ck.on('show', (d) => window.__heard.push(d.rule))", check: "(ck.track('go-toast'), window.__heard.includes('toast'))" },
  off: { pre: "window.__h = (d) => window.__heard.push(d.rule), ck.on('show', window.__h)", call: "ck.off('show', window.__h)", check: "(window.__heard.length = 0, ck.track('go-toast'), !window.__heard.includes('toast'))" },
  destroy: { call: 'ck.destroy()', check: "!document.querySelector('[data-cuekit-root]') && (ck.track('go-toast'), !document.querySelector('[data-cuekit-root]'))" },
};

for (const [name, c] of Object.entries(REENTRANT)) {
  test(`re-entrant ${name}() from a host focusin listener inside cuekit's render → applied right after, not dropped`, async () => {
    const { page, errors, close } = await open();
    try {
      assert.equal(await page.textContent('#status'), 'ready');
      const r = await page.evaluate(async (c) => {
        const ck = window.ck;
        window.__heard = [];
        const text = () => {
          const root = document.querySelector('[data-cuekit-root]');
          return root && root.shadowRoot ? root.shadowRoot.textContent : '';
        };
        const has = (type, rule) => window.events.some((e) => e.type === type && e.rule === rule);
        // eslint-disable-next-line no-new-func
        const run = (code) => new Function('ck', 'text', 'has', `return (${code});`)(ck, text, has);
        if (c.pre) run(c.pre);
        let inside = 0;
        let returned;
        let threw = null;
        const onFocus = () => {
          if (inside++) return;
          try { returned = run(c.call); } catch (e) { threw = String(e); }
        };
        document.addEventListener('focusin', onFocus, true);
        ck.track('go-modal');
        document.removeEventListener('focusin', onFocus, true);
        await new Promise((res) => setTimeout(res, 50));
        return { inside, returned: returned === undefined ? 'undefined' : returned, threw, applied: run(c.check) };
      }, c);
      assert.ok(r.inside >= 1, 'the host listener ran inside the render');
      assert.equal(r.threw, null);
      if (r.returned !== 'undefined' && typeof r.returned === 'boolean') assert.equal(r.returned, true, 'a queued choice returns true (accepted)');
      assert.equal(r.applied, true, 'the call took effect');
      assert.deepEqual(errors, []);
    } finally {
      await close();
    }
  });
}

// Item 13: a show is counted only once the message is in the DOM.
test('a modal due while the visitor types waits uncounted (no show, no cap used, explain says why); once the field loses focus it shows and counts once; never shown, never counted', async () => {
  const { page, errors, close } = await open();
  try {
    assert.equal(await page.textContent('#status'), 'ready');
    await page.focus('#field');
    await page.keyboard.type('an e-mail address');
    const waiting = await page.evaluate(() => {
      const ck = window.ck;
      ck.track('go-modal');
      const count = (type) => window.events.filter((e) => e.type === type && e.rule === 'modal').length;
      const rec = JSON.parse(localStorage.getItem('cuekit:state') || '{"ledger":[]}');
      return { shows: count('show'), explain: ck.explain('modal'), active: document.activeElement && document.activeElement.id,
        stored: rec.ledger.filter((e) => e[1] === 'modal' && e[2] === 'show').length };
    });
    assert.equal(waiting.shows, 0, 'no show event while it waits');
    assert.equal(waiting.explain.shown, 0, 'not counted while it waits');
    assert.equal(waiting.explain.suppressed && waiting.explain.suppressed.cap, 'waiting', JSON.stringify(waiting.explain.suppressed));
    assert.equal(waiting.stored, 0, 'no show in the ledger');
    assert.equal(waiting.active, 'field', 'the visitor keeps their focus');
    assert.equal(await shadowText(page).then((t) => t.includes('A modal')), false);
    // Decided again at every signal while the visitor types, announced once.
    await page.keyboard.type(' and more');
    const suppressed = await page.evaluate(() => {
      for (let i = 0; i < 5; i++) window.ck.track('noise');
      return window.events.filter((e) => e.type === 'suppress' && e.rule === 'modal').length;
    });
    assert.equal(suppressed, 1, 'the wait is announced once');
    // The visitor leaves the field: the modal comes in, counted once.
    await page.focus('#plain');
    await page.waitForFunction(() => window.events.some((e) => e.type === 'show' && e.rule === 'modal'), null, { timeout: 5000 });
    assert.ok((await shadowText(page)).includes('A modal'));
    const after = await page.evaluate(() => ({
      shows: window.events.filter((e) => e.type === 'show' && e.rule === 'modal').length, explain: window.ck.explain('modal') }));
    assert.equal(after.shows, 1);
    assert.equal(after.explain.shown, 1);
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});

test('nothing rendered (attachShadow throws): no show, no exposure, caps not consumed, explain() says why; the next eligible show happens once rendering works', async () => {
  const { page, errors, close } = await open({
    init: () => {
      const orig = Element.prototype.attachShadow;
      window.__noShadow = true;
      Element.prototype.attachShadow = function (...args) {
        if (window.__noShadow) throw new DOMException('not supported here', 'NotSupportedError');
        return orig.apply(this, args);
      };
    },
  });
  try {
    assert.equal(await page.textContent('#status'), 'ready');
    const r = await page.evaluate(() => {
      const ck = window.ck;
      const count = (type, rule) => window.events.filter((e) => e.type === type && e.rule === rule).length;
      ck.track('go-modal');
      ck.track('go-exp');
      const failed = {
        shows: count('show', 'modal') + count('show', 'exp'), exposures: count('exposure', 'exp'),
        node: !!document.querySelector('[data-cuekit-root]') && !!document.querySelector('[data-cuekit-root]').shadowRoot,
        explain: ck.explain('modal'), stats: ck.stats(),
      };
      window.__noShadow = false;
      ck.track('go-modal');
      ck.track('go-exp');
      const root = document.querySelector('[data-cuekit-root]');
      return { failed, shown: { modal: count('show', 'modal'), exp: count('show', 'exp'), exposures: count('exposure', 'exp'),
        text: root && root.shadowRoot ? root.shadowRoot.textContent : '', explain: ck.explain('modal') } };
    });
    assert.equal(r.failed.shows, 0, 'no show event while nothing renders');
    assert.equal(r.failed.exposures, 0, 'no exposure while nothing renders');
    assert.equal(r.failed.node, false);
    assert.equal(r.failed.explain.shown, 0);
    assert.equal(r.failed.explain.suppressed && r.failed.explain.suppressed.cap, 'render', JSON.stringify(r.failed.explain.suppressed));
    assert.equal(r.failed.stats[0].exposed, false);
    assert.equal(r.shown.modal, 1, 'perSession 1 was not consumed by the failed render');
    assert.equal(r.shown.exp, 1);
    assert.equal(r.shown.exposures, 1);
    assert.ok(r.shown.text.includes('A modal'));
    assert.equal(r.shown.explain.shown, 1);
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});

test('nothing rendered (no <body> at init): the page-view rule is not counted, and shows once <body> is there', async () => {
  const { page, errors, close } = await open({ query: '&noinit=1' });
  try {
    const r = await page.evaluate(async (cfg) => {
      const body = document.body;
      document.documentElement.removeChild(body);
      const events = [];
      const config = { ...cfg, rules: [...cfg.rules, { id: 'welcome', trigger: 'page_view', caps: { perSession: 1 },
        action: { type: 'modal', title: 'Welcome', body: 'Hello' } }] };
      const ck = await window.cuekit.init(config, { on: { show: (d) => events.push(d.rule), decision: () => {} } });
      const before = { shows: events.slice(), explain: ck.explain('welcome'), nodes: document.querySelectorAll('[data-cuekit-root]').length };
      document.documentElement.appendChild(body);
      await new Promise((res) => setTimeout(res, 50));
      ck.track('anything');
      await new Promise((res) => setTimeout(res, 50));
      const root = document.querySelector('[data-cuekit-root]');
      const after = { shows: events.slice(), text: root && root.shadowRoot ? root.shadowRoot.textContent : '', explain: ck.explain('welcome') };
      ck.destroy();
      return { before, after };
    }, CONFIG);
    assert.deepEqual(r.before.shows, [], 'no show event without a <body>');
    assert.equal(r.before.nodes, 0);
    assert.equal(r.before.explain.shown, 0);
    assert.equal(r.before.explain.suppressed && r.before.explain.suppressed.cap, 'render');
    assert.deepEqual(r.after.shows, ['welcome'], 'shown (once) when the page has a <body>');
    assert.ok(r.after.text.includes('Welcome'));
    assert.equal(r.after.explain.shown, 1);
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});

// The last resort: something the core does not route through a catching binding throws
// (here a patched Date.now, read while the runtime is borrowed). The JS boundary catches
// it, says once that cuekit stopped, and the instance becomes a no-op that never throws.
test('an exception that still escapes the core (a patched Date.now) → caught at the JS boundary: one "stopped" warning, later calls are harmless no-ops, destroy() leaves nothing', async () => {
  const { page, errors, warnings, close } = await open({
    init: () => {
      const orig = Date.now;
      window.__armed = false;
      Date.now = function () {
        if (window.__armed) throw new Error('host Date.now exploded');
        return orig.call(Date);
      };
    },
  });
  try {
    assert.equal(await page.textContent('#status'), 'ready');
    const r = await page.evaluate(() => {
      const ck = window.ck;
      const out = {};
      ck.track('go-toast');
      window.__armed = true;
      try { ck.track('go-modal'); out.threw = null; } catch (e) { out.threw = String(e); }
      window.__armed = false;
      try {
        out.optOut = ck.optOut('toast');
        out.explain = ck.explain('toast');
        ck.track('go-modal');
        ck.identify({ a: 1 });
        ck.destroy();
        out.later = null;
      } catch (e) { out.later = String(e); }
      out.left = document.querySelectorAll('[data-cuekit-root],[data-cuekit-inline]').length;
      return out;
    });
    assert.equal(r.threw, null, 'nothing reached the host');
    assert.equal(r.later, null, 'later calls do not throw');
    assert.equal(r.optOut, false, 'a stopped instance says it did not record the choice');
    assert.equal(r.explain, null);
    assert.equal(r.left, 0, 'what it rendered is gone');
    const stopped = warnings.filter((w) => w.includes('[cuekit] stopped'));
    assert.equal(stopped.length, 1, warnings.join('\n'));
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});
