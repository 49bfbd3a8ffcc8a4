// cuekit main-thread benchmark page (driven by scripts/bench-browser.mjs; also usable by
// hand: open /www/bench.html and press "Run a quick bench here").
//
// Everything cuekit does on the main thread runs in one of these places, and each is
// timed here with performance.now():
//   - its DOM event listeners, synchronously inside dispatchEvent (clicks, and a synthetic
//     `scroll` event per scroll step, which times the raw scroll handler);
//   - requestAnimationFrame callbacks (scroll depth is read once per frame);
//   - IntersectionObserver / MutationObserver callbacks (element visibility);
//   - setTimeout callbacks (the engine's one deadline timer).
// The last three are reached by wrapping the globals BEFORE the SDK is imported: the
// wasm-bindgen glue resolves `requestAnimationFrame`, `setTimeout`, `IntersectionObserver`
// and `MutationObserver` at call time, so the wrappers see every call. This module keeps
// the originals for its own timers, so only cuekit's callbacks are counted.
//
// The cost of a listener is the dispatch time with cuekit running minus the dispatch time
// of the same events on the same elements after `ck.destroy()` (the baseline).

const nativeRAF = window.requestAnimationFrame.bind(window);
const nativeSetTimeout = window.setTimeout.bind(window);
const NativeIO = window.IntersectionObserver;
const NativeMO = window.MutationObserver;
const now = () => performance.now();
const sleep = (ms) => new Promise((r) => nativeSetTimeout(r, ms));

// ---- attribution of asynchronous SDK work ---------------------------------------------
const async = { raf: 0, rafN: 0, io: 0, ioN: 0, mo: 0, moN: 0, timer: 0, timerN: 0, pending: 0 };
function resetAsync() {
  for (const k of Object.keys(async)) async[k] = 0;
}
function timed(kind, fn) {
  return function (...args) {
    const t0 = now();
    try {
      return fn.apply(this, args);
    } finally {
      const dt = now() - t0;
      async[kind] += dt;
      async[`${kind}N`] += 1;
      async.pending += dt;
    }
  };
}

window.requestAnimationFrame = function requestAnimationFrame(cb) {
  return nativeRAF(typeof cb === 'function' ? timed('raf', cb) : cb);
};
window.setTimeout = function setTimeout(cb, ms, ...rest) {
  return nativeSetTimeout(typeof cb === 'function' ? timed('timer', cb) : cb, ms, ...rest);
};
window.IntersectionObserver = class IntersectionObserver extends NativeIO {
  constructor(cb, options) {
    super(timed('io', cb), options);
  }
};
window.MutationObserver = class MutationObserver extends NativeMO {
  constructor(cb) {
    super(timed('mo', cb));
  }
};

// The wasm memory: captured from the instantiation the glue performs (no private API).
let wasmMemory = null;
function keepMemory(result) {
  const inst = result instanceof WebAssembly.Instance ? result : result?.instance;
  const mem = inst?.exports?.memory;
  if (mem instanceof WebAssembly.Memory) wasmMemory = mem;
  return result;
}
for (const name of ['instantiate', 'instantiateStreaming']) {
  const orig = WebAssembly[name];
  if (typeof orig === 'function') {
    WebAssembly[name] = function (...args) {
      return orig.apply(this, args).then(keepMemory);
    };
  }
}

// Long tasks (> 50 ms), from the start of the page.
const longTasks = [];
try {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
} catch {
  // Not supported: reported as null.
}
const longTaskSupported = PerformanceObserver.supportedEntryTypes?.includes('longtask') ?? false;

// ---- the page ---------------------------------------------------------------------------
const CATEGORIES = ['mugs', 'plates', 'glasses', 'pans'];
const ICONS = ['☕', '🍽', '🥛', '🍳'];
const products = document.getElementById('products');
for (let i = 0; i < 24; i++) {
  const cat = CATEGORIES[i % 4];
  const sku = `${cat}-${i}`;
  const price = 5 + ((i * 37) % 60);
  const card = document.createElement('div');
  card.className = 'product-card';
  card.innerHTML = `
    <div class="img" data-cuekit-event="product_view" data-cuekit-product-id="${sku}"
      data-cuekit-sku="${sku}" data-cuekit-category="${cat}" data-cuekit-price="${price}">${ICONS[i % 4]}</div>
    <div class="meta"><span class="name">Item ${i}</span><span class="price">€${price}</span></div>
    <button type="button" class="add-to-cart" data-cuekit-event="add_to_cart"
      data-cuekit-sku="${sku}" data-cuekit-category="${cat}" data-cuekit-price="${price}">Add to cart</button>`;
  products.append(card);
}
const articles = document.getElementById('articles');
const LOREM = 'Stoneware is fired at high temperature, which makes it dense, durable and '
  + 'suitable for everyday use. Glazes are food safe and dishwasher proof. ';
for (let i = 0; i < 14; i++) {
  const a = document.createElement('article');
  a.innerHTML = `<h3>Guide ${i + 1}</h3><p>${LOREM.repeat(3)}</p><p>${LOREM.repeat(2)}</p>`;
  articles.append(a);
  if (i === 6) {
    const r = document.createElement('section');
    r.id = 'reviews';
    r.innerHTML = '<h2>Reviews</h2><p>“The best mug I own.” ★★★★★</p>';
    articles.append(r);
  }
  if (i % 4 === 3) {
    const f = document.createElement('section');
    f.className = 'faq';
    f.innerHTML = `<h2>FAQ ${i}</h2><p><button type="button" class="faq-q">How long does shipping take?</button></p>`;
    articles.append(f);
  }
}
// Links are clicked too (cuekit reads their href); they must not navigate.
document.addEventListener('click', (e) => {
  if (e.target instanceof Element && e.target.closest('a[href]')) e.preventDefault();
});

// ---- the config: ~20 rules of every kind; actions are 'none' (the host acts on decisions),
// so this measures signals and decisions; rendering is measured by 'signal to pixels'. ----
const config = {
  storageKey: 'cuekit-bench',
  // The flood drives 30,000 track() calls through the whole pipeline: the rate limit that
  // normally guards against runaway host code is off, so every call is evaluated.
  rateLimit: false,
  rules: [
    { id: 'upsell', trigger: { event: 'add_to_cart', where: { 'props.price': { $gte: 20 } } },
      action: { type: 'none' } },
    { id: 'cart-no-checkout', trigger: { after: 'add_to_cart', absent: 'begin_checkout', within: '10m', same: 'sku' },
      action: { type: 'none' } },
    { id: 'viewed-not-added', trigger: { after: 'product_view', absent: 'add_to_cart', within: '60s', same: 'productId' },
      action: { type: 'none' } },
    { id: 'category-fan', trigger: { count: 'product_view', atLeast: 5, within: '10m', groupBy: 'category' },
      if: { 'visitor.visits': { $gte: 1 } }, action: { type: 'none' } },
    { id: 'busy-clicker', trigger: { count: 'click', atLeast: 100, within: '1m' }, action: { type: 'none' } },
    { id: 'funnel', trigger: { sequence: ['product_view', 'add_to_cart', 'begin_checkout'], within: '30m', same: 'sku' },
      action: { type: 'none' } },
    { id: 'pricing-click', trigger: { event: 'click', selector: '#main-nav .pricing' }, action: { type: 'none' } },
    { id: 'cta-click', trigger: { event: 'click', selector: '#hero .cta', where: { 'props.text': { $regex: '^Start' } } },
      action: { type: 'none' } },
    { id: 'filter-use', trigger: { event: 'click', selector: '.filters button[data-filter]' },
      if: { $or: [{ 'session.pageViews': { $gte: 1 } }, { 'visitor.returning': true }] }, action: { type: 'none' } },
    { id: 'footer-link', trigger: { event: 'click', selector: 'footer a.footer-link' }, action: { type: 'none' } },
    { id: 'help', trigger: { event: 'help_open', where: { 'props.source': { $in: ['nav', 'footer'] } } },
      action: { type: 'none' } },
    { id: 'newsletter', trigger: 'newsletter_open', if: { 'behavior.scrollDepth': { $lt: 50 } }, action: { type: 'none' } },
    { id: 'rage', trigger: 'rage_click', action: { type: 'none' } },
    { id: 'scroll-25', trigger: { scroll: 25 }, action: { type: 'none' } },
    { id: 'scroll-50', trigger: { scroll: 50 }, if: { 'visitor.new': true }, action: { type: 'none' } },
    { id: 'scroll-75', trigger: { scroll: 75 }, action: { type: 'none' } },
    { id: 'scroll-90', trigger: { scroll: 90 }, if: { 'session.duration': { $gt: 1000 } }, action: { type: 'none' } },
    { id: 'reviews-seen', trigger: { visible: '#reviews', for: '1s', ratio: 0.5 }, action: { type: 'none' } },
    { id: 'faq-seen', trigger: { visible: '.faq', for: '300ms' }, action: { type: 'none' } },
    { id: 'image-hover', trigger: { hover: '.product-card .img', for: '3s', without: { event: 'click', selector: '.add-to-cart' } },
      action: { type: 'none' } },
    { id: 'idle', trigger: { idle: '15s' }, action: { type: 'none' } },
    { id: 'hesitation', trigger: { dwell: '30s', without: { event: 'click', selector: '.add-to-cart' } },
      action: { type: 'none' } },
    { id: 'exit', trigger: 'exit_intent', action: { type: 'none' } },
  ],
};

// ---- synthetic input ------------------------------------------------------------------
// One run: `steps` inputs at `hz`, on a self-correcting timer. `step(i)` performs input i
// and returns the synchronous time (ms) it measured. Asynchronous SDK time (frames,
// observers, timers) that happens before the next input is shared evenly by the inputs
// since the previous share-out, so each input carries the frame work it caused.
async function run(steps, hz, step) {
  const sync = new Float64Array(steps);
  const share = new Float64Array(steps);
  let since = 0; // first input not yet given a share
  const distribute = (upTo) => {
    if (async.pending > 0 && upTo > since) {
      const each = async.pending / (upTo - since);
      for (let j = since; j < upTo; j++) share[j] += each;
      async.pending = 0;
      since = upTo;
    }
  };
  decisions.reset();
  resetAsync();
  const period = 1000 / hz;
  const t0 = now();
  const longBefore = longTasks.length;
  for (let i = 0; i < steps; i++) {
    const due = t0 + i * period;
    const wait = due - now();
    if (wait > 0.5) await sleep(wait);
    else if (i % 16 === 15) await sleep(0); // fell behind: still let frames and tasks run
    distribute(i);
    sync[i] = step(i);
  }
  const t1 = now();
  await sleep(250); // trailing frames, observer callbacks and long-task entries
  distribute(steps);
  await sleep(0);
  return outcome({ t0, t1, until: t1 + 250, longBefore, sync, share });
}

/** What a run reports: its inputs' times, the asynchronous work, long tasks, decisions. */
function outcome({ t0, t1, until, longBefore, sync, share }) {
  const tasks = longTasks.slice(longBefore).filter((e) => e.start + e.duration >= t0 && e.start <= until);
  return {
    steps: sync.length,
    seconds: (t1 - t0) / 1000,
    sync: Array.from(sync),
    share: Array.from(share),
    async: {
      raf: async.raf, rafN: async.rafN, io: async.io, ioN: async.ioN,
      mo: async.mo, moN: async.moN, timer: async.timer, timerN: async.timerN,
    },
    longTasks: longTaskSupported ? tasks.length : null,
    longTaskMs: tasks.map((e) => Math.round(e.duration)),
    decisions: decisions.total,
    byRule: { ...decisions.byRule },
  };
}

/** `seconds` of window scrolling at `hz`: down and up the page, ~2.5 s per pass. */
async function runScroll(seconds, hz = 120) {
  window.scrollTo(0, 0);
  await sleep(300);
  const max = document.documentElement.scrollHeight - innerHeight;
  const perPass = Math.round(hz * 2.5);
  const ev = () => new Event('scroll');
  return run(Math.round(seconds * hz), hz, (i) => {
    const k = i % (2 * perPass);
    const y = Math.round((k < perPass ? k : 2 * perPass - k) / perPass * max);
    window.scrollTo(0, y); // the real scroll event and cuekit's frame follow asynchronously
    const e = ev();
    const a = now();
    window.dispatchEvent(e); // times the raw scroll handler
    return now() - a;
  });
}

/** Click targets: tagged and untagged, spread over the page, in a fixed shuffled order. */
function clickTargets() {
  const els = [
    ...document.querySelectorAll('.product-card .img, .product-card .add-to-cart, .product-card .name'),
    ...document.querySelectorAll('#main-nav button, #hero button, .filters button, footer a, .faq-q'),
    ...document.querySelectorAll('article h3, article p'),
  ];
  let seed = 0x2545f491;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let i = els.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [els[i], els[j]] = [els[j], els[i]];
  }
  return els.map((el) => {
    const r = el.getBoundingClientRect();
    return { el, x: Math.round(r.left + r.width / 2), y: Math.round(r.top + r.height / 2) };
  });
}

/**
 * `seconds` of clicks at `perSecond`. Targets cycle through ~80 spread-out positions (a
 * position comes back after more than a second, so no rage click); every 100th input
 * starts a burst of 3 clicks on one spot, which is a rage click.
 */
async function runClicks(seconds, perSecond = 50) {
  window.scrollTo(0, 0);
  await sleep(300);
  const targets = clickTargets();
  let next = 0;
  let burst = null;
  let burstLeft = 0;
  return run(Math.round(seconds * perSecond), perSecond, (i) => {
    let t;
    if (burstLeft > 0) {
      t = burst;
      burstLeft--;
    } else {
      t = targets[next++ % targets.length];
      if (i % 100 === 99) {
        burst = t;
        burstLeft = 2;
      }
    }
    return click(t, i);
  });
}

/** Dispatches the `i`-th click on target `t` (a few px of jitter); returns its dispatch time. */
function click(t, i) {
  const jitter = (i * 7) % 9 - 4;
  const e = new MouseEvent('click', {
    bubbles: true, composed: true, cancelable: true, view: window,
    clientX: t.x + jitter, clientY: t.y - jitter,
  });
  const a = now();
  t.el.dispatchEvent(e);
  return now() - a;
}

/**
 * Clicks in bursts: `size` clicks back to back (the same targets and jitter as
 * `runClicks`, no rage bursts), then `gapMs` of quiet, `bursts` times. Returns the
 * shape of `run()` for the clicks after the first of each burst (caches warm: the
 * previous click ran the same code a few µs earlier), and `firstSync` for the first ones.
 * With `runClicks` (paced, every click cold) it separates what a click costs the SDK from
 * what this machine charges for running any code after a pause.
 */
async function runClickBursts(bursts, size = 10, gapMs = 200) {
  window.scrollTo(0, 0);
  await sleep(300);
  const targets = clickTargets();
  decisions.reset();
  resetAsync();
  const sync = [];
  const share = [];
  const firstSync = [];
  const longBefore = longTasks.length;
  const t0 = now();
  let next = 0;
  for (let b = 0; b < bursts; b++) {
    const times = [];
    for (let k = 0; k < size; k++) times.push(click(targets[next++ % targets.length], b * size + k));
    await sleep(gapMs); // the burst's timers and frames run here
    const each = async.pending / size;
    async.pending = 0;
    firstSync.push(times[0]);
    for (let k = 1; k < size; k++) {
      sync.push(times[k]);
      share.push(each);
    }
  }
  const t1 = now();
  return { ...outcome({ t0, t1, until: t1, longBefore, sync, share }), firstSync };
}

// ---- calibration ----------------------------------------------------------------------------
// The least a listener of each kind can do, timed by the same harness after ck.destroy():
// a click listener that reads the event's composed path (what matching through shadow
// roots needs) and a scroll listener that reads the position in one animation frame. On a
// paced input (one every 8–20 ms) the CPU's caches are cold, so even this costs tens of
// µs here; the rows show the floor the SDK's own numbers sit on.
let floor = null;
function calibrate(on) {
  if (floor) floor();
  floor = null;
  if (!on) return;
  const opts = { capture: true, passive: true };
  let pending = 0;
  const click = (e) => { window.__floorPath = e.composedPath().length; };
  const frame = () => { pending = 0; window.__floorY = window.scrollY; };
  const scroll = () => { if (!pending) pending = requestAnimationFrame(frame); };
  document.addEventListener('click', click, true);
  window.addEventListener('scroll', scroll, opts);
  floor = () => {
    document.removeEventListener('click', click, true);
    window.removeEventListener('scroll', scroll, opts);
    if (pending) cancelAnimationFrame(pending);
  };
}

// ---- flood ------------------------------------------------------------------------------
// `n` mixed inputs as fast as the page allows, through the public API and the real
// listeners: 30 % ck.track() (with props), 25 % clicks (tagged and untagged targets; the
// same spot comes back within a second, so rage clicks happen too), 20 % scroll (a real
// scrollTo plus a synthetic `scroll` event), 15 % pointermove, 5 % keydown, 5 % hover
// (pointerover/pointerout on product images) or `input` in a form; identify() every 1,000.
// Inputs go in chunks of `chunk` (50) per task, then the page yields (MessageChannel, no timer
// clamping) so frames, observers and timers run, and a long task (> 50 ms) can only come
// from the work one chunk caused. Returns the synchronous dispatch time, the SDK's
// asynchronous time (frames, observers, timers), decisions and long tasks.
//
// `leakBytesPerChunk` (tests only) deliberately leaks wasm memory: it allocates with the
// wasm module's own allocator (`__wbindgen_malloc` from the exports object that the glue's
// default init resolves to) and never frees. It proves the memory assertion can fail.
const yieldTask = () => new Promise((r) => {
  const ch = new MessageChannel();
  ch.port1.onmessage = () => r();
  ch.port2.postMessage(0);
});

let formInput = null;
function ensureForm() {
  if (formInput) return formInput;
  const form = document.createElement('form');
  form.id = 'bench-form';
  form.addEventListener('submit', (e) => e.preventDefault());
  form.innerHTML = '<label>Email <input name="email" type="email"></label>';
  document.querySelector('footer').append(form);
  formInput = form.querySelector('input');
  return formInput;
}

/** The wasm exports object (its `memory`, `__wbindgen_malloc`): the glue's default init
 *  returns it once initialised; the ES entry (js/index.js) does not expose it. */
async function wasmExports() {
  const glue = await import('/pkg/cuekit.js');
  return glue.default();
}

async function flood(n, { chunk = 50, leakBytesPerChunk = 0 } = {}) {
  const exportsObj = leakBytesPerChunk ? await wasmExports() : null;
  window.scrollTo(0, 0);
  await sleep(50);
  const targets = clickTargets();
  const images = [...document.querySelectorAll('.product-card .img')];
  const input = ensureForm();
  const max = document.documentElement.scrollHeight - innerHeight;
  const names = ['product_view', 'add_to_cart', 'begin_checkout', 'search', 'help_open'];
  decisions.reset();
  resetAsync();
  const longBefore = longTasks.length;
  let syncMs = 0;
  let maxChunkMs = 0;
  const byKind = {};
  const t0 = now();
  for (let start = 0; start < n; start += chunk) {
    const end = Math.min(n, start + chunk);
    const a = now();
    for (let i = start; i < end; i++) {
      const k = i % 20;
      const kind = k < 6 ? 'track' : k < 11 ? 'click' : k < 15 ? 'scroll' : k < 18 ? 'pointermove' : k === 18 ? 'keydown'
        : i % 40 === 19 ? 'hover' : 'input';
      const b = now();
      if (i % 1000 === 0) ck?.identify({ cart: { items: (i / 1000) % 5 }, plan: i % 2000 ? 'free' : 'pro' });
      if (k < 6) {
        const cat = CATEGORIES[i % 4];
        ck?.track(names[i % names.length], { sku: `${cat}-${i % 24}`, productId: `${cat}-${i % 24}`, category: cat, price: 5 + (i % 60) });
      } else if (k < 11) {
        const t = targets[i % targets.length];
        t.el.dispatchEvent(new MouseEvent('click', { bubbles: true, composed: true, cancelable: true, view: window, clientX: t.x, clientY: t.y }));
      } else if (k < 15) {
        const y = Math.round(((i * 37) % 1000) / 1000 * max);
        window.scrollTo(0, y);
        window.dispatchEvent(new Event('scroll'));
      } else if (k < 18) {
        document.dispatchEvent(new PointerEvent('pointermove', { bubbles: true, clientX: (i * 13) % innerWidth, clientY: 20 + (i * 7) % (innerHeight - 40) }));
      } else if (k === 18) {
        document.dispatchEvent(new KeyboardEvent('keydown', { bubbles: true, key: 'a' }));
      } else if (i % 40 === 19) {
        const img = images[i % images.length];
        img.dispatchEvent(new PointerEvent(i % 80 === 19 ? 'pointerover' : 'pointerout', { bubbles: true, composed: true }));
      } else {
        input.value = `v${i % 10}`;
        input.dispatchEvent(new Event('input', { bubbles: true }));
      }
      const e = now() - b;
      const slot = byKind[kind] ?? (byKind[kind] = { n: 0, ms: 0 });
      slot.n++;
      slot.ms += e;
    }
    const dt = now() - a;
    syncMs += dt;
    if (dt > maxChunkMs) maxChunkMs = dt;
    if (exportsObj) exportsObj.__wbindgen_malloc(leakBytesPerChunk, 1);
    await yieldTask();
  }
  const t1 = now();
  await sleep(250); // trailing frames, observer callbacks, long-task entries
  const tasks = longTasks.slice(longBefore).filter((e) => e.start + e.duration >= t0 && e.start <= t1 + 250);
  window.scrollTo(0, 0);
  return {
    events: n,
    chunk,
    wallMs: t1 - t0,
    syncMs,
    maxChunkMs,
    asyncMs: async.raf + async.io + async.mo + async.timer,
    async: { raf: async.raf, rafN: async.rafN, io: async.io, ioN: async.ioN, mo: async.mo, moN: async.moN, timer: async.timer, timerN: async.timerN },
    byKind,
    decisions: decisions.total,
    longTasks: longTaskSupported ? tasks.length : null,
    longTaskMs: tasks.map((e) => Math.round(e.duration)),
  };
}

// ---- lifecycle ----------------------------------------------------------------------------
const decisions = {
  total: 0,
  byRule: {},
  reset() {
    this.total = 0;
    this.byRule = {};
  },
  add(d) {
    this.total++;
    this.byRule[d.rule] = (this.byRule[d.rule] ?? 0) + 1;
  },
};

let ck = null;

function memory() {
  if (typeof window.gc === 'function') window.gc();
  return {
    jsHeapUsed: performance.memory?.usedJSHeapSize ?? null,
    jsHeapTotal: performance.memory?.totalJSHeapSize ?? null,
    wasmBytes: wasmMemory ? wasmMemory.buffer.byteLength : null,
  };
}

function destroy() {
  ck?.destroy();
  ck = null;
}

/**
 * What one call costs on this machine after a pause, next to back to back: `n` rounds,
 * `gapMs` apart, each timing an empty function and a `ck.track()` of an event no rule
 * names (the least a call into the wasm engine does: the name crosses, the session's
 * event count moves, nothing is decided). Then the same calls 2,000 times back to back.
 * Microseconds: medians and means of the paced calls (5 µs clock), means back to back.
 */
async function pacedCalls(n = 150, gapMs = 20) {
  let sink = 0;
  const calls = {
    empty: () => { sink++; },
    track: () => ck.track('bench_calibration_unnamed'),
  };
  const paced = { empty: [], track: [] };
  for (let i = 0; i < n; i++) {
    for (const k of Object.keys(calls)) {
      await sleep(gapMs);
      const t0 = now();
      calls[k]();
      paced[k].push((now() - t0) * 1000);
    }
  }
  const out = {};
  for (const k of Object.keys(calls)) {
    const t0 = now();
    for (let i = 0; i < 2000; i++) calls[k]();
    const s = Float64Array.from(paced[k]).sort();
    out[k] = {
      pacedMedianUs: s[s.length >> 1],
      pacedMeanUs: paced[k].reduce((a, b) => a + b, 0) / paced[k].length,
      warmUs: ((now() - t0) / 2000) * 1000,
    };
  }
  window.__pacedSink = sink;
  return out;
}

function info() {
  // Smallest observable step of performance.now() (5 µs when cross-origin isolated in
  // Chromium, 100 µs otherwise).
  let min = Infinity;
  for (let k = 0; k < 50; k++) {
    const a = now();
    let b = now();
    while (b === a) b = now();
    min = Math.min(min, b - a);
  }
  return {
    userAgent: navigator.userAgent,
    crossOriginIsolated: window.crossOriginIsolated,
    timerResolutionUs: Math.round(min * 1000 * 10) / 10,
    scrollHeight: document.documentElement.scrollHeight,
    viewport: [innerWidth, innerHeight],
    rules: config.rules.length,
    longTaskSupported,
  };
}

const status = document.getElementById('status');
async function start() {
  for (const k of Object.keys(localStorage)) if (k.startsWith('cuekit-bench')) localStorage.removeItem(k);
  const { init } = await import('/js/index.js');
  ck = await init(config);
  ck.on('decision', (d) => decisions.add(d));
  status.textContent = 'cuekit ready';
  return true;
}

const ready = start();
ready.catch((err) => {
  status.textContent = `cuekit error: ${err?.message ?? err}`;
  console.error(err);
});

window.bench = { ready, runScroll, runClicks, runClickBursts, flood, destroy, memory, info, calibrate, pacedCalls, running: () => ck !== null };

// By hand: a quick run with baseline, shown as JSON (the driver prints the real table).
document.getElementById('run-quick').addEventListener('click', async () => {
  const out = document.getElementById('out');
  const res = {};
  res.scroll = await runScroll(2, 120);
  res.clicks = await runClicks(2, 50);
  destroy();
  res.scrollBase = await runScroll(2, 120);
  res.clicksBase = await runClicks(2, 50);
  const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
  const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;
  const summary = {};
  for (const k of ['scroll', 'clicks']) {
    const r = res[k];
    const b = res[`${k}Base`];
    const per = r.sync.map((s, i) => s - med(b.sync) + r.share[i]);
    summary[k] = { inputs: r.steps, medianUs: med(per) * 1000, meanUs: mean(per) * 1000,
      longTasks: r.longTasks, decisions: r.decisions };
  }
  out.textContent = `${JSON.stringify(summary, null, 2)}\n(reload the page to run again)`;
});
