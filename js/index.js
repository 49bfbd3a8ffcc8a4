// cuekit — npm entry. Loads the wasm core once and wraps it in a small, never-throwing API.
import wasmInit, { createWith, validate as wasmValidate, analyze as wasmAnalyze } from '../pkg/cuekit.js';

let loading = null;
let current = null;

function load(wasmUrl) {
  if (!loading) {
    loading = wasmInit(wasmUrl ? { module_or_path: wasmUrl } : undefined).catch((err) => {
      loading = null;
      throw err;
    });
  }
  return loading;
}

class Cuekit {
  #core;
  constructor(core) {
    this.#core = core;
  }
  /** Records a host event, e.g. track('add_to_cart', { sku: 'mug-1', price: 24 }). */
  track(name, props) {
    this.#core?.track(name, props);
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
    return this.#core ? this.#core.explain(String(ruleId)) : null;
  }
  /** The visitor and session as cuekit sees them. */
  visitor() {
    return this.#core ? this.#core.visitor() : null;
  }
  /** The visitor dismissed a rule's prompt (feeds dismiss cooldowns). */
  dismiss(ruleId) {
    return this.#core ? this.#core.dismiss(String(ruleId)) : false;
  }
  /** "Remind me later": snooze one rule (or every rule with '*') for a duration ("1d"). */
  snooze(ruleId, duration) {
    return this.#core ? this.#core.snooze(ruleId, duration) : false;
  }
  /** "Don't show this again" for one rule, or quiet mode for all (no argument). */
  optOut(ruleId) {
    return this.#core ? this.#core.optOut(ruleId) : false;
  }
  /** Reverses an opt-out or snooze (one rule, or quiet mode with no argument). */
  optIn(ruleId) {
    return this.#core ? this.#core.optIn(ruleId) : false;
  }
  /** Records a conversion attributed to a rule. */
  convert(ruleId) {
    return this.#core ? this.#core.convert(String(ruleId)) : false;
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
    if (typeof handler !== 'function' || !this.#core) return () => {};
    this.#core.on(String(event), handler);
    return () => this.#core?.off(String(event), handler);
  }
  off(event, handler) {
    if (typeof handler === 'function') this.#core?.off(String(event), handler);
  }
  /** Removes every listener, timer and handler. The instance is inert afterwards. */
  destroy() {
    const core = this.#core;
    this.#core = null;
    if (current === this) current = null;
    if (core) {
      core.destroy();
      core.free();
    }
  }
}

/**
 * Starts cuekit with a config. Resolves to the instance; rejects with an Error listing
 * every config problem by path. A second call while an instance is running warns and
 * resolves to the running instance.
 */
export async function init(config, options = {}) {
  await load(options.wasmUrl);
  if (current) {
    console.warn('[cuekit] init() called again; returning the running instance');
    return current;
  }
  current = new Cuekit(createWith(config, { actions: options.actions }));
  return current;
}

/** Checks a config without starting anything: [] when valid, else [{ path, message }]. */
export async function validate(config, options = {}) {
  await load(options.wasmUrl);
  return wasmValidate(config);
}

/**
 * Analyses per-variant totals (control first): [{exposures, clicks, conversions, dismissals}].
 * Returns rates with Wilson 95 % intervals, lift and z-test p-values against the control,
 * chi-square tests across variants, and tooSmall when the sample is too small to conclude.
 */
export async function analyze(counts, options = {}) {
  await load(options.wasmUrl);
  return wasmAnalyze(counts);
}
