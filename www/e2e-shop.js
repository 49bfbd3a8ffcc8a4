// The end-to-end shop page: loads /tests/e2e/configs/<name>.json (from ?config=name),
// shows the product named by ?product=<id> (and tracks `product_view` for it, as a shop's
// own code would), keeps a cart in localStorage and tells cuekit about it with
// identify(), and records everything cuekit reports (window.events, window.hostCalls).
// Copied from e2e.js (which other tests share) and extended.
const params = new URLSearchParams(location.search);
const name = params.get('config') || 'basic';
const CATALOG = {
  'mug-1': { name: 'Blue Mug', category: 'Kitchen', price: 24 },
  'saucer-1': { name: 'Saucer', category: 'Kitchen', price: 8 },
  'lamp-1': { name: 'Desk Lamp', category: 'Lighting', price: 49 },
  'lamp-2': { name: 'Floor Lamp', category: 'Lighting', price: 89 },
  'lamp-3': { name: 'Wall Lamp', category: 'Lighting', price: 39 },
  'lamp-4': { name: 'Pendant Lamp', category: 'Lighting', price: 129 },
  'lamp-5': { name: 'Table Lamp', category: 'Lighting', price: 59 },
  'lamp-6': { name: 'Reading Lamp', category: 'Lighting', price: 45 },
};
window.events = [];
window.hostCalls = [];
const status = document.getElementById('status');
const productId = params.get('product');
const product = productId ? CATALOG[productId] : null;
if (product) {
  document.getElementById('product-name').textContent = product.name;
  document.getElementById('product-price').textContent = `€${product.price}`;
  const button = document.getElementById('add-to-cart');
  button.dataset.cuekitProductId = productId;
  button.dataset.cuekitName = product.name;
  button.dataset.cuekitPrice = String(product.price);
}
const readCart = () => {
  try {
    return JSON.parse(localStorage.getItem('shop:cart')) || [];
  } catch {
    return [];
  }
};
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
  // The SDK's start time: tests measure thresholds from here.
  window.startedAt = Date.now();
  for (const ev of ['decision', 'show', 'suppress', 'click', 'dismiss', 'snooze', 'optout', 'optin', 'convert', 'exposure', 'segment']) {
    ck.on(ev, (payload) => window.events.push({ type: ev, rule: payload.rule, payload }));
  }
  window.ck = ck;
  // The shop's own code: a product page reports the view; the cart button updates the
  // cart (the click itself reaches cuekit through data-cuekit-event).
  if (product) ck.track('product_view', { productId, ...product });
  document.getElementById('add-to-cart').addEventListener('click', () => {
    if (!product) return;
    const cart = readCart();
    const line = cart.find((l) => l.sku === productId);
    if (line) line.qty += 1;
    else cart.push({ sku: productId, name: product.name, qty: 1 });
    localStorage.setItem('shop:cart', JSON.stringify(cart));
    ck.identify({ cart: { items: cart, count: cart.reduce((n, l) => n + l.qty, 0) } });
  });
  status.textContent = 'ready';
} catch (err) {
  status.textContent = `error: ${err && err.message ? err.message : err}`;
}
