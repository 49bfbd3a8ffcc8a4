// Loads /tests/e2e/configs/<name>.json (from ?config=name) and records everything cuekit
// reports, for the end-to-end tests.
const params = new URLSearchParams(location.search);
const name = params.get('config') || 'basic';
window.events = [];
window.hostCalls = [];
try {
  const config = await (await fetch(`/tests/e2e/configs/${name}.json`)).json();
  if (params.get('port')) {
    // Webhook receivers run on a port chosen by the test.
    const text = JSON.stringify(config).replaceAll('{{port}}', params.get('port'));
    Object.assign(config, JSON.parse(text));
  }
  const { init } = await import('/js/index.js');
  const ck = await init(config, {
    actions: {
      openChat: (payload) => window.hostCalls.push({ name: 'openChat', rule: payload.rule }),
    },
  });
  for (const ev of ['decision', 'show', 'suppress', 'click', 'dismiss', 'snooze', 'optout', 'optin', 'convert', 'exposure', 'segment']) {
    ck.on(ev, (payload) => window.events.push({ type: ev, rule: payload.rule, payload }));
  }
  window.ck = ck;
  document.getElementById('status').textContent = 'ready';
} catch (err) {
  document.getElementById('status').textContent = `error: ${err && err.message ? err.message : err}`;
}
