// cuekit — npm entry. Loads the wasm core once and wraps it in a small, never-throwing API.
import wasmInit, { create, validate as wasmValidate } from '../pkg/cuekit.js';

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
  current = new Cuekit(create(config));
  return current;
}

/** Checks a config without starting anything: [] when valid, else [{ path, message }]. */
export async function validate(config, options = {}) {
  await load(options.wasmUrl);
  return wasmValidate(config);
}
