// Fault-injection page for tests/e2e/reliability.test.mjs and tests/e2e/a11y.test.mjs.
//
//   /www/rel.html?config=rel-basic        loads /tests/e2e/configs/rel-basic.json
//   window.__relConfig = {...}             (set by an init script) is used instead
//   ?port=N                                replaces {{port}} in the config (webhook receivers)
//   ?throwingHandler=1                     registers an on('show') handler that throws, first
//   ?noinit=1                              loads the module only (validate() tests)
//
// Host actions: openChat (records the call) and boom (records, then throws). Everything
// cuekit reports is pushed to window.events; window.wasmBytes() is the wasm linear memory
// size, captured from the instantiation the glue performs.
const params = new URLSearchParams(location.search);
window.events = [];
window.hostCalls = [];

let wasmMemory = null;
for (const name of ['instantiate', 'instantiateStreaming']) {
  const orig = WebAssembly[name];
  if (typeof orig === 'function') {
    WebAssembly[name] = function (...args) {
      return orig.apply(this, args).then((result) => {
        const inst = result instanceof WebAssembly.Instance ? result : result?.instance;
        const mem = inst?.exports?.memory;
        if (mem instanceof WebAssembly.Memory) wasmMemory = mem;
        return result;
      });
    };
  }
}
window.wasmBytes = () => (wasmMemory ? wasmMemory.buffer.byteLength : null);

async function main() {
  let config = window.__relConfig;
  if (!config) {
    const name = params.get('config') || 'rel-basic';
    config = await (await fetch(`/tests/e2e/configs/${name}.json`)).json();
  }
  if (params.get('port')) {
    config = JSON.parse(JSON.stringify(config).replaceAll('{{port}}', params.get('port')));
  }
  const cuekit = await import('/js/index.js');
  window.cuekit = cuekit;
  if (params.get('noinit')) return;
  const t0 = performance.now();
  const ck = await cuekit.init(config, {
    actions: {
      openChat: (payload) => window.hostCalls.push({ name: 'openChat', rule: payload.rule }),
      boom: (payload) => {
        window.hostCalls.push({ name: 'boom', rule: payload.rule });
        throw new Error('host action exploded');
      },
    },
  });
  window.initMs = performance.now() - t0;
  if (params.get('throwingHandler')) {
    ck.on('show', () => { throw new Error('on() handler exploded'); });
  }
  for (const ev of ['decision', 'show', 'suppress', 'click', 'dismiss', 'snooze', 'optout', 'optin', 'convert', 'exposure', 'segment']) {
    ck.on(ev, (payload) => window.events.push({ type: ev, rule: payload.rule, payload }));
  }
  window.ck = ck;
}

main().then(
  () => { document.getElementById('status').textContent = 'ready'; },
  (err) => { document.getElementById('status').textContent = `error: ${err && err.message ? err.message : err}`; },
);
