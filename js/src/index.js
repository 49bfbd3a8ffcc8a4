// cuekit — npm entry (source). Loads the wasm core once and wraps it in a small,
// never-throwing API.
//
// What ships is js/index.js: scripts/bundle.mjs (run by `npm run build`) bundles this
// file with the generated glue (pkg/cuekit.js and its snippets) into one minified module
// that starts with V8's compile hint `//# allFunctionsCalledOnLoad` (its functions compile
// while the .wasm downloads, instead of on their first call during init()). One file
// instead of four: fewer requests before the .wasm can be requested, and about 4 KB less
// gzipped. URLs below that are relative to `import.meta.url` are relative to that bundle
// (js/index.js), not to this file.
import wasmInit, { parseConfig, parseConfigText, validate as wasmValidate, analyze as wasmAnalyze } from '../../pkg/cuekit.js';

let loading = null;

// The running instance is kept on the global object (under a registered symbol), so that
// two copies of this module on one page (a bundled copy and the script tag's, or two
// bundles) still share one instance instead of doubling every listener and prompt.
const RUNNING = Symbol.for('cuekit.running');
// Marks cuekit objects (instances, and the script tag's global) so they can be recognised.
const MARK = Symbol.for('cuekit.api');

function running() {
  const c = globalThis[RUNNING];
  return c && typeof c.track === 'function' ? c : null;
}

function setGlobal(key, value) {
  try {
    Object.defineProperty(globalThis, key, { __proto__: null, value, configurable: true, writable: true, enumerable: false });
  } catch { /* a frozen global: each copy of the module then runs on its own */ }
}

function setRunning(c) {
  setGlobal(RUNNING, c);
}

const hasOwn = (o, k) => o !== null && typeof o === 'object' && Object.prototype.hasOwnProperty.call(o, k);

/** An option the host set itself (never one inherited from a polluted Object.prototype). */
function option(options, key) {
  return hasOwn(options, key) ? options[key] : undefined;
}

/**
 * The host actions as cuekit looks them up by name: those registered with ck.actions(),
 * then the host's object (its own properties and its class's methods, read live), but
 * never anything inherited from Object.prototype.
 */
function actionLookup(registry, host) {
  return new Proxy(registry, {
    get(target, key) {
      if (typeof key !== 'string') return undefined;
      if (hasOwn(target, key)) return target[key];
      for (let o = host; o && o !== Object.prototype && o !== Function.prototype; o = Object.getPrototypeOf(o)) {
        if (Object.prototype.hasOwnProperty.call(o, key)) return o[key];
      }
      return undefined;
    },
  });
}

function message(err) {
  let t;
  try {
    t = err && typeof err.message === 'string' ? err.message : String(err);
  } catch {
    t = 'unknown error';
  }
  return t.replace(/^cuekit: /, '');
}

/**
 * A host value as a string (a rule id, an event name), or null when it has none: String()
 * throws for a null-prototype object, a throwing toString or a hostile Proxy, and a host's
 * bad argument must never throw back into its page.
 */
function text(value) {
  if (typeof value === 'string') return value;
  try {
    return String(value);
  } catch {
    return null;
  }
}

/** A rule argument where none means every rule: undefined for none, null when unusable. */
function ruleArg(value) {
  return value === undefined || value === null ? undefined : text(value);
}

const warnedCalls = new Set();

/** Runs one API call: anything it throws is one warning per method and `empty()`. */
function guard(method, empty, fn) {
  try {
    return fn();
  } catch (err) {
    if (!warnedCalls.has(method)) {
      warnedCalls.add(method);
      try {
        console.warn(`[cuekit] ${method}() failed: ${message(err)}`);
      } catch { /* no console */ }
    }
    return empty();
  }
}

/** True when the bytes start with the WebAssembly magic number "\0asm". */
function isWasm(bytes) {
  const b = new Uint8Array(bytes, 0, Math.min(4, bytes.byteLength));
  return b.length === 4 && b[0] === 0x00 && b[1] === 0x61 && b[2] === 0x73 && b[3] === 0x6d;
}

// The script-tag loader requests the .wasm while this module loads and leaves the
// pending response here (js/src/cuekit.script.js, prefetchWasm): taken once, and only
// for the URL about to be fetched. Its `abort` cancels that request (on a timeout).
const EARLY_WASM = Symbol.for('cuekit.wasm');
function earlyWasm(url) {
  if (!Object.prototype.hasOwnProperty.call(globalThis, EARLY_WASM)) return null;
  const record = globalThis[EARLY_WASM];
  try {
    delete globalThis[EARLY_WASM];
  } catch {
    return null;
  }
  if (!record || record.url !== url || !record.response || typeof record.response.then !== 'function') return null;
  return record;
}

/** How long the .wasm may take (request, download, compile): `wasmTimeout` in ms, 10 s by default. */
const DEFAULT_WASM_TIMEOUT = 10_000;
function wasmTimeout(options) {
  const t = option(options, 'wasmTimeout');
  return typeof t === 'number' && t > 0 && (t <= 2_147_483_647 || t === Infinity) ? t : DEFAULT_WASM_TIMEOUT;
}

// Fetches the .wasm and checks it before handing it to wasm-bindgen, so that a 404 or an
// HTML page served in its place fails with one clear error (and not a console warning
// from wasm-bindgen's MIME fallback followed by a CompileError).
async function fetchWasm(url, signal) {
  const shown = String(url);
  let res;
  try {
    const early = earlyWasm(shown);
    if (early) {
      if (signal && typeof early.abort === 'function') signal.addEventListener('abort', () => early.abort());
      res = await early.response;
    } else {
      // A null-prototype init: a polluted Object.prototype (method, body, mode, integrity…)
      // cannot reach the request.
      const init = Object.assign(Object.create(null), { credentials: 'same-origin' });
      if (signal) init.signal = signal;
      res = await fetch(url, init);
    }
  } catch (err) {
    throw new Error(`cuekit: could not fetch the WebAssembly file ${shown}: ${message(err)}`);
  }
  if (!res.ok) {
    throw new Error(`cuekit: could not load the WebAssembly file ${shown}: HTTP ${res.status}`);
  }
  const type = (res.headers.get('Content-Type') || '').split(';')[0].trim().toLowerCase();
  if (type === 'application/wasm') return res; // compiled while it downloads
  const bytes = await res.arrayBuffer();
  if (!isWasm(bytes)) {
    throw new Error(`cuekit: ${shown} is not a WebAssembly file (it was served as ${type || 'an unknown type'}); check the wasm URL`);
  }
  return bytes;
}

async function instantiate(wasmUrl, signal) {
  let source = wasmUrl;
  if (typeof source === 'string' || source instanceof URL) source = await fetchWasm(source, signal);
  try {
    await wasmInit({ module_or_path: source });
  } catch (err) {
    const t = message(err);
    if (/unsafe-eval|Content Security Policy/i.test(t)) {
      throw new Error(`cuekit: the page's Content-Security-Policy does not allow WebAssembly (add 'wasm-unsafe-eval' to script-src): ${t}`);
    }
    throw new Error(`cuekit: could not start the WebAssembly module: ${t}`);
  }
}

// The .wasm within `timeout` ms, or a rejection that says so: a request that is never
// answered, or a body that stops half-way, must not leave init() (and the script tag's
// `ready`) pending forever. The request is aborted then; a later init() tries again.
async function loadOnce(wasmUrl, timeout) {
  if (typeof WebAssembly !== 'object' || WebAssembly === null || typeof WebAssembly.instantiate !== 'function') {
    throw new Error('cuekit: WebAssembly is not available in this browser (or is disabled)');
  }
  let source = wasmUrl;
  if (source === undefined || source === null || source === '') source = new URL('../pkg/cuekit_bg.wasm', import.meta.url);
  const controller = typeof AbortController === 'function' ? new AbortController() : null;
  const what = typeof source === 'string' || source instanceof URL ? `the WebAssembly file ${String(source)}` : 'the WebAssembly module';
  let timer;
  const deadline = new Promise((resolve, reject) => {
    if (timeout === Infinity) return;
    timer = setTimeout(() => {
      reject(new Error(`cuekit: ${what} did not load within ${timeout / 1000} s (wasmTimeout)`));
      try {
        controller?.abort();
      } catch { /* nothing to abort */ }
    }, timeout);
  });
  try {
    // race() handles a rejection of the loser too: no unhandled rejection after a timeout.
    await Promise.race([instantiate(source, controller?.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function load(options) {
  if (!loading) {
    loading = loadOnce(option(options, 'wasmUrl'), wasmTimeout(options)).catch((err) => {
      loading = null;
      throw err;
    });
  }
  return loading;
}

// The last resort at the wasm boundary. The core catches what the page's code throws at
// it (host/DOM calls go through catching bindings), but an exception that still came out
// of a call into the core would have left the core's borrows held for good: every later
// call would fail in its own way. So each call into the core is guarded; after such an
// escape the instance warns once, removes what it rendered and stops: every later call
// does nothing and returns its neutral value.
const NEUTRAL = { __proto__: null, explain: null, visitor: null, export: null, nextDeadline: null, stats: [], segments: [], storage: 'memory', dismiss: false, click: false, convert: false, snooze: false, optOut: false, optIn: false };
function removeNodes() {
  try {
    for (const el of document.querySelectorAll('[data-cuekit-root],[data-cuekit-inline]')) el.remove();
  } catch { /* nothing more to do */ }
}
function guarded(core) {
  let stopped = false;
  const calls = Object.create(null);
  return new Proxy(core, {
    get(target, key) {
      const f = target[key];
      if (typeof key !== 'string' || typeof f !== 'function') return f;
      return calls[key] || (calls[key] = (...args) => {
        if (stopped) return NEUTRAL[key];
        try {
          return f.apply(target, args);
        } catch (err) {
          // destroy() from inside a call of ours (a host listener during a render): the
          // core is still in use; it is freed once that call has returned.
          if (key === 'free') {
            queueMicrotask(() => { try { target.free(); } catch { /* gone already */ } });
            return undefined;
          }
          stopped = true;
          console.warn('[cuekit] stopped: an error escaped cuekit (logged once); this instance does nothing from now on:', err);
          try { target.destroy(); } catch { /* as much as it can */ }
          removeNodes();
          return NEUTRAL[key];
        }
      });
    },
  });
}

// Host strings (rule ids, event names) go through text(): a value String() cannot
// convert is unusable, not "no argument" (which means every rule for snooze, optOut and
// optIn). Every method is guarded below the class.
class Cuekit {
  #core;
  #actions;
  constructor(core, actions) {
    this.#core = core;
    this.#actions = actions;
  }
  /**
   * Registers (or replaces) host actions by name, after init: actions({ openChat(payload) {…} }).
   * Non-function values are ignored with a warning.
   */
  actions(map) {
    if (!this.#core || !map || typeof map !== 'object') return;
    for (const name of Object.keys(map)) {
      const fn = map[name];
      // defineProperty: also shadows a read-only property of a frozen init() actions object.
      if (typeof fn === 'function') Object.defineProperty(this.#actions, name, { __proto__: null, value: fn, writable: true, configurable: true, enumerable: true });
      else console.warn(`[cuekit] actions(): "${name}" is not a function; ignored`);
    }
  }
  /** Records a host event, e.g. track('add_to_cart', { sku: 'mug-1', price: 24 }). */
  track(name, props) {
    const core = this.#core;
    if (!core) return;
    if (typeof name !== 'string') return core.track(undefined); // warns: not a string
    // The common call: the properties cross into wasm as one JSON string made here
    // (cheaper than wasm calling back for it). Properties JSON cannot represent take the
    // general path, which warns.
    let json;
    try {
      json = props == null ? '{}' : JSON.stringify(props);
    } catch {
      json = undefined;
    }
    if (typeof json === 'string' && json.length <= 1048576) core.trackText(name, json);
    else core.track(name, props);
  }
  /** Merges host attributes (plan, cart, …) usable in conditions and messages. */
  identify(attributes) {
    this.#core?.identify(attributes);
  }
  /** Records a page view for the current location (SPA navigation). */
  pageView() {
    this.#core?.pageView();
  }
  /** Why a rule did or did not fire; null for an unknown id. */
  explain(ruleId) {
    const id = text(ruleId);
    return this.#core && id !== null ? this.#core.explain(id) : null;
  }
  /** The visitor and session as cuekit sees them. */
  visitor() {
    return this.#core ? this.#core.visitor() : null;
  }
  /** The visitor dismissed a rule's prompt (feeds dismiss cooldowns). */
  dismiss(ruleId) {
    const id = text(ruleId);
    return this.#core && id !== null ? this.#core.dismiss(id) : false;
  }
  /** "Remind me later": snooze one rule (or every rule with '*') for a duration ("1d"). */
  snooze(ruleId, duration) {
    const id = ruleArg(ruleId);
    const d = typeof duration === 'number' ? duration : text(duration);
    return this.#core && id !== null && d !== null ? this.#core.snooze(id, d) : false;
  }
  /** "Don't show this again" for one rule, or quiet mode for all (no argument). */
  optOut(ruleId) {
    const id = ruleArg(ruleId);
    return this.#core && id !== null ? this.#core.optOut(id) : false;
  }
  /** Reverses an opt-out or snooze (one rule, or quiet mode with no argument). */
  optIn(ruleId) {
    const id = ruleArg(ruleId);
    return this.#core && id !== null ? this.#core.optIn(id) : false;
  }
  /** Records a conversion attributed to a rule. */
  convert(ruleId) {
    const id = text(ruleId);
    return this.#core && id !== null ? this.#core.convert(id) : false;
  }
  /** The host's consent decision (see requireConsent). */
  consent(granted) {
    this.#core?.consent(Boolean(granted));
  }
  /** Per experiment: this visitor's variant, exposure and outcomes. */
  stats() {
    return this.#core ? this.#core.stats() : [];
  }
  /** The visitor's segments now. */
  segments() {
    return this.#core ? this.#core.segments() : [];
  }
  /** Everything cuekit keeps about the visitor, as stored (for data-access requests). */
  export() {
    return this.#core ? this.#core.export() : null;
  }
  /** Erases everything stored about the visitor. */
  forget() {
    this.#core?.forget();
  }
  /** "storage" or "memory": where the visitor's state lives right now. */
  storage() {
    return this.#core ? this.#core.storage() : 'memory';
  }
  /** Subscribes to a lifecycle event; returns a function that unsubscribes. */
  on(event, handler) {
    const name = text(event);
    if (typeof handler !== 'function' || !this.#core || name === null) return noop;
    this.#core.on(name, handler);
    return () => this.off(name, handler);
  }
  off(event, handler) {
    const name = text(event);
    if (typeof handler === 'function' && name !== null) this.#core?.off(name, handler);
  }
  /** Removes every listener, timer and handler. The instance is inert afterwards. */
  destroy() {
    const core = this.#core;
    this.#core = null;
    if (globalThis[RUNNING] === this) setRunning(undefined);
    if (core) {
      core.destroy();
      core.free();
    }
  }
}

const noop = () => {};

// Whatever the host passes and whatever happens inside, a call returns the method's
// empty value (one warning per method) rather than throwing into the page.
const EMPTY = { __proto__: null, explain: null, visitor: null, export: null, dismiss: false, snooze: false, optOut: false, optIn: false, convert: false, storage: 'memory', on: noop };
for (const name of Object.getOwnPropertyNames(Cuekit.prototype)) {
  const method = Cuekit.prototype[name];
  if (name === 'constructor' || typeof method !== 'function') continue;
  const empty = name === 'stats' || name === 'segments' ? () => [] : () => EMPTY[name];
  Object.defineProperty(Cuekit.prototype, name, {
    __proto__: null, writable: true, configurable: true,
    value(...args) {
      return guard(name, empty, () => method.apply(this, args));
    },
  });
}

Object.defineProperty(Cuekit.prototype, MARK, { __proto__: null, value: 'instance' });

/**
 * Starts cuekit with a config. Resolves to the instance; rejects with an Error listing
 * every config problem by path. A second call while an instance is running warns and
 * resolves to the running instance.
 */
export async function init(config, options = {}) {
  // Checked before and after loading: a second init() never loads the wasm again, and
  // one made while another is starting gets that instance (unless that start fails).
  let early;
  if (!running() && !starting()) {
    early = beforeLoad(config);
    await load(options);
  }
  const other = starting();
  if (other) {
    try {
      const ck = await other;
      console.warn('[cuekit] init() called again; returning the running instance');
      return ck;
    } catch { /* that start failed: this one goes ahead */ }
  }
  const existing = running();
  if (existing) {
    console.warn('[cuekit] init() called again; returning the running instance');
    return existing;
  }
  const task = start(config, options, early);
  setStarting(task);
  try {
    return await task;
  } finally {
    if (starting() === task) setStarting(undefined);
  }
}

// An init() under way (shared, like RUNNING, by every copy of this module on the page).
const STARTING = Symbol.for('cuekit.starting');

function starting() {
  const p = globalThis[STARTING];
  return p && typeof p.then === 'function' ? p : null;
}

function setStarting(p) {
  setGlobal(STARTING, p);
}

/**
 * Lets the page run before the next step: start-up comes in four tasks (the module's
 * instantiation, reading the config, validating and compiling it, starting the instance)
 * instead of one long task.
 * A message, not a timer: timers are throttled to a second or more in background tabs.
 */
function nextTask() {
  return new Promise((resolve) => {
    try {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => {
        ch.port1.close();
        resolve();
      };
      ch.port2.postMessage(null);
    } catch {
      resolve();
    }
  });
}

/**
 * Work that needs no wasm, done while the module downloads and compiles (the main thread
 * is free then): the config as JSON text (also a snapshot of it as passed), and the first
 * access to localStorage, which makes the browser load the origin's storage (milliseconds,
 * once per page). Returns the text, or undefined when JSON cannot represent the config
 * (the wasm side then reports why).
 */
function beforeLoad(config) {
  let text;
  try {
    text = JSON.stringify(config);
  } catch {
    text = undefined;
  }
  try {
    const key = config && typeof config.storageKey === 'string' ? config.storageKey : 'cuekit';
    globalThis.localStorage?.getItem(`${key}:state`);
  } catch {
    // Storage blocked or a throwing getter: start() meets the same and runs from memory.
  }
  return typeof text === 'string' ? text : undefined;
}

async function start(config, options, text) {
  // Host actions are looked up by name when a rule calls one: those given here (read
  // live from the host's object) and those registered later with ck.actions().
  const host = option(options, 'actions');
  const registry = Object.create(null);
  const actions = actionLookup(registry, host && typeof host === 'object' ? host : null);
  const on = option(options, 'on');
  await nextTask();
  // Throws when JSON cannot represent the config.
  const parsed = text === undefined ? parseConfig(config) : parseConfigText(text);
  await nextTask();
  const prepared = parsed.compile(); // throws for a bad config, with every problem by path
  await nextTask();
  const ck = new Cuekit(guarded(prepared.start({ actions, on: on && typeof on === 'object' ? on : undefined })), registry);
  setRunning(ck);
  return ck;
}

/** Checks a config without starting anything: [] when valid, else [{ path, message }]. */
export async function validate(config, options = {}) {
  await load(options);
  return wasmValidate(config);
}

/**
 * Analyses per-variant totals (control first): [{exposures, clicks, conversions, dismissals}].
 * Returns rates with Wilson 95 % intervals, lift and z-test p-values against the control,
 * chi-square tests across variants, and tooSmall when the sample is too small to conclude.
 */
export async function analyze(counts, options = {}) {
  await load(options);
  return wasmAnalyze(counts);
}
