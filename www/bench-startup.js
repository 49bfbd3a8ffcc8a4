// Start-up: from this script's first statement to `await init(config)` resolving, the way
// a host loads cuekit (import the npm entry, init with a 100-rule config). Phases, all
// from performance.now() on this page (ms since navigation start):
//   scriptStart   this module starts running
//   wasmArrived   the last byte of pkg/cuekit_bg.wasm arrived (Resource Timing responseEnd;
//                 the glue compiles while streaming, so compilation overlaps the download)
//   instantiated  WebAssembly.instantiate(Streaming) resolved (compiled + instantiated)
//   ready         init() resolved: config validated and compiled, listeners attached
// The config object itself is generated before the clock starts (a host ships it as JSON).
import { startupRules } from '/www/bench-workload.js';

const config = { storageKey: 'cuekit-bench-startup', rules: startupRules(100) };

const marks = { scriptStart: performance.now() };

// Long tasks (> 50 ms) that end after the npm entry is imported (cuekit's own start-up,
// not this page generating its config): start-up should leave the page responsive.
const longTasks = [];
try {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longTasks.push({ start: e.startTime, end: e.startTime + e.duration });
  }).observe({ type: 'longtask', buffered: true });
} catch { /* no Long Tasks API */ }
window.startupLongTasks = () => longTasks
  .filter((t) => t.end > marks.imported && t.start < marks.ready)
  .map((t) => t.end - t.start);
for (const name of ['instantiate', 'instantiateStreaming']) {
  const orig = WebAssembly[name];
  if (typeof orig === 'function') {
    WebAssembly[name] = function (...args) {
      return orig.apply(this, args).then((r) => {
        marks.instantiated = performance.now();
        return r;
      });
    };
  }
}

async function start() {
  const { init } = await import('/js/index.js');
  marks.imported = performance.now();
  const ck = await init(config);
  marks.ready = performance.now();
  const res = performance.getEntriesByType('resource');
  const wasm = res.find((e) => e.name.endsWith('/cuekit_bg.wasm'));
  marks.wasmRequested = wasm?.startTime;
  marks.wasmArrived = wasm?.responseEnd;
  marks.wasmBytes = wasm?.encodedBodySize;
  return { ...marks, rules: config.rules.length, storage: ck.storage() };
}

window.startup = start();
window.startup.then(
  () => { document.getElementById('status').textContent = 'ready'; },
  (err) => { document.getElementById('status').textContent = `error: ${err?.message ?? err}`; console.error(err); },
);
