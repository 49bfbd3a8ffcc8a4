const { init } = await import('/js/index.js');
const ck = await init({
  rules: [{ id: 'csp-modal', trigger: 'go',
    action: { type: 'modal', title: 'Rendered under a strict CSP', body: 'No inline styles, no eval, no HTML strings.',
      theme: { accent: '#0a7d44' }, buttons: [{ label: 'OK', do: 'dismiss', primary: true }] } }],
});
window.ck = ck;
document.getElementById('status').textContent = 'ready';
