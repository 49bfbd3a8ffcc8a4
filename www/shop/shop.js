// Kiln & Co., the cuekit demo shop. Every page loads this module: it draws the page from
// the catalogue, keeps the cart (host side, in localStorage), starts cuekit with the shared
// config /www/cuekit.json, registers the host action openChat and mounts the debug panel.
import { init, analyze } from '/js/index.js';
import { CATEGORIES, PRODUCTS, productById, REVIEWS } from './catalog.js';
import { el, euro, productArt, svg } from './dom.js';
import { mountDebugPanel } from './debug.js';
import { TOUR } from './tour.js';

const PAGE = document.body.dataset.page ?? 'home';
const params = new URLSearchParams(location.search);
const CART_KEY = 'kiln:cart';
const CONSENT_KEY = 'kiln:consent';
const ORDERS_KEY = 'kiln:orders';
let ck = null;

// ---------- host storage (the shop's own, not cuekit's) ----------
function readJSON(key, fallback) {
  try {
    const v = JSON.parse(localStorage.getItem(key));
    return v ?? fallback;
  } catch {
    return fallback;
  }
}
function writeJSON(key, value) {
  try { localStorage.setItem(key, JSON.stringify(value)); } catch { /* private mode: the cart lives for this page */ }
}

// ---------- cart ----------
export const cart = {
  lines() {
    const lines = readJSON(CART_KEY, []);
    return Array.isArray(lines) ? lines.filter((l) => productById(l.id) && l.qty > 0) : [];
  },
  save(lines) {
    writeJSON(CART_KEY, lines);
    syncCart();
  },
  add(p, qty = 1) {
    const lines = cart.lines();
    const line = lines.find((l) => l.id === p.id);
    if (line) line.qty += qty;
    else lines.push({ id: p.id, qty });
    cart.save(lines);
  },
  setQty(id, qty) {
    cart.save(cart.lines().map((l) => (l.id === id ? { ...l, qty } : l)).filter((l) => l.qty > 0));
  },
  clear() { cart.save([]); },
  /** The `cart` attribute given to cuekit: items, count and total. */
  attribute() {
    const items = cart.lines().map((l) => {
      const p = productById(l.id);
      return { id: p.id, name: p.name, qty: l.qty, price: p.price };
    });
    return {
      items,
      count: items.reduce((n, i) => n + i.qty, 0),
      total: items.reduce((n, i) => n + i.qty * i.price, 0),
    };
  },
};

function syncCart() {
  const attr = cart.attribute();
  ck?.identify({ cart: attr });
  const badge = document.getElementById('cart-count');
  if (badge) {
    badge.textContent = String(attr.count);
    badge.hidden = attr.count === 0;
  }
  const link = document.getElementById('cart-link');
  if (link) link.setAttribute('aria-label', `Cart, ${attr.count} item${attr.count === 1 ? '' : 's'}`);
}

// ---------- the frame: header, footer, status ----------
const cartIcon = () => svg('svg', { viewBox: '0 0 24 24', class: 'cart-icon', 'aria-hidden': 'true', fill: 'none', stroke: 'currentColor', 'stroke-width': 2, 'stroke-linecap': 'round', 'stroke-linejoin': 'round' },
  svg('path', { d: 'M3 4h2l2.4 11.2a1 1 0 0 0 1 .8h9.2a1 1 0 0 0 1-.8L20 8H6.2' }),
  svg('circle', { cx: 9, cy: 20, r: 1.4 }), svg('circle', { cx: 17, cy: 20, r: 1.4 }));

/** Sends a host event to cuekit, and tells the debug panel. */
function track(name, props) {
  ck?.track(name, props);
  dispatchEvent(new CustomEvent('kiln:track', { detail: { name, props } }));
}
function header() {
  const here = (page, cat) => (PAGE === page && (!cat || params.get('c') === cat) ? 'page' : null);
  const link = (href, text, current) => el('li', {}, el('a', { href, 'aria-current': current }, text));
  return [
    el('a', { class: 'brand', href: '/' }, el('span', { class: 'brand-mark', 'aria-hidden': 'true' }, 'K'), 'Kiln & Co.'),
    el('nav', { 'aria-label': 'Main' }, el('ul', {},
      link('/www/shop/category.html?c=mugs', 'Mugs', here('category', 'mugs')),
      link('/www/shop/category.html?c=tableware', 'Tableware', here('category', 'tableware')),
      link('/www/shop/article.html', 'Journal', here('article')),
      link('/www/shop/app.html', 'Account', here('app')),
      el('li', {}, el('a', { href: '/www/shop/cart.html', id: 'cart-link', class: 'cart-link', 'aria-current': here('cart') },
        cartIcon(), ' Cart ', el('span', { id: 'cart-count', class: 'badge', 'aria-hidden': 'true' }, '0'))),
    )),
  ];
}

function footer() {
  return [
    el('div', { class: 'footer-inner' },
      el('p', {}, el('strong', {}, 'Kiln & Co. is a demo shop for cuekit. '),
        'Nothing is for sale. Every prompt you see comes from one config, ',
        el('a', { href: '/www/cuekit.json' }, '/www/cuekit.json'),
        ', evaluated in your browser. Some timings are shortened for the demo: idle 3 min (S5), cart abandonment 2 min (S8), away 1 min (S18), 4 views per category (S6), engaged session 3 min (S13), session timeout 10 min.'),
      el('p', { id: 'ck-status', class: 'ck-status', role: 'status', 'data-state': 'loading' }, 'cuekit: loading…')),
  ];
}

function setStatus(state, text) {
  const s = document.getElementById('ck-status');
  if (s) {
    s.dataset.state = state;
    s.textContent = text;
  }
  document.documentElement.dataset.cuekit = state;
}

function describeStorage() {
  if (!ck) return '';
  const gpc = navigator.globalPrivacyControl === true || navigator.doNotTrack === '1';
  if (gpc) return 'Global Privacy Control is on: nothing is stored or sent';
  return ck.storage() === 'storage' ? 'remembering you on this device (consent given)' : 'memory only: nothing stored or sent until you accept';
}
export function refreshStatus() {
  if (ck) setStatus('ready', `cuekit: ready · ${describeStorage()}`);
}

// ---------- consent (S20) ----------
export const consent = {
  choice: () => localStorage.getItem(CONSENT_KEY),
  grant() {
    try { localStorage.setItem(CONSENT_KEY, 'granted'); } catch { /* ignore */ }
    ck?.consent(true);
    syncCart();
    document.getElementById('consent')?.remove();
    refreshStatus();
  },
  revoke() {
    try { localStorage.setItem(CONSENT_KEY, 'denied'); } catch { /* ignore */ }
    ck?.consent(false);
    document.getElementById('consent')?.remove();
    refreshStatus();
  },
};

function consentBanner() {
  const title = el('h2', { id: 'consent-title' }, 'Helpful tips, with your permission');
  return el('section', { id: 'consent', class: 'consent', 'aria-labelledby': 'consent-title' },
    el('div', {},
      title,
      el('p', {}, 'This shop uses cuekit to offer help and offers based on what you do here. It runs in your browser; until you accept, nothing is stored on this device and nothing is sent anywhere.')),
    el('div', { class: 'consent-actions' },
      el('button', { type: 'button', class: 'btn btn-primary', id: 'consent-accept', onclick: () => consent.grant() }, 'Accept'),
      el('button', { type: 'button', class: 'btn', id: 'consent-decline', onclick: () => consent.revoke() }, 'Decline')));
}

// ---------- the fake live chat (host action openChat) ----------
let chat = null;
function openChat(payload = {}) {
  const product = PAGE === 'product' ? productById(params.get('id') ?? 'blue-mug') : null;
  const greeting = payload.rule === 's01-hesitation-chat' && product
    ? `Hi! I'm Noor from the studio. Anything I can tell you about the ${product.name}? Happy to help with sizes, glazes or shipping.`
    : "Hi! I'm Noor from the studio. How can I help?";
  if (!chat) {
    const log = el('ol', { class: 'chat-log', 'aria-live': 'polite' });
    const input = el('input', { id: 'chat-input', type: 'text', autocomplete: 'off', placeholder: 'Type a message…' });
    const say = (who, text) => log.append(el('li', { class: `chat-msg chat-${who}` }, text));
    chat = el('section', { id: 'chat', class: 'chat', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'chat-title' },
      el('header', {},
        el('span', { class: 'chat-dot', 'aria-hidden': 'true' }),
        el('h2', { id: 'chat-title' }, 'Live chat · Kiln & Co.'),
        el('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Close chat', onclick: () => { chat.hidden = true; } }, '×')),
      log,
      el('form', { class: 'chat-form', onsubmit: (e) => {
        e.preventDefault();
        const text = input.value.trim();
        if (!text) return;
        say('me', text);
        input.value = '';
        setTimeout(() => say('them', 'Thanks! (This is a demo chat: in a real shop a person would answer here.)'), 600);
      } },
      el('label', { for: 'chat-input', class: 'sr-only' }, 'Message'), input,
      el('button', { type: 'submit', class: 'btn btn-primary' }, 'Send')));
    chat.say = say;
    document.body.append(chat);
  }
  chat.hidden = false;
  chat.say('them', greeting);
  chat.dataset.rule = payload.rule ?? '';
}

// ---------- pages ----------
function productCard(p, { quickAdd = true } = {}) {
  const href = `/www/shop/product.html?id=${encodeURIComponent(p.id)}`;
  return el('li', { class: 'card' },
    el('a', { href, class: 'card-art', tabindex: '-1', 'aria-hidden': 'true' }, productArt(p, { size: 200, label: false })),
    el('h3', {}, el('a', { href }, p.name)),
    el('p', { class: 'price' }, euro(p.price)),
    quickAdd ? el('button', {
      type: 'button', class: 'btn btn-small quick-add',
      // Tagged element: cuekit turns the click into add_to_cart with these properties.
      'data-cuekit-event': 'add_to_cart', 'data-cuekit-product-id': p.id, 'data-cuekit-name': p.name,
      'data-cuekit-price': p.price, 'data-cuekit-category': CATEGORIES[p.category].name,
      'aria-label': `Add ${p.name} to cart`,
      onclick: (e) => { cart.add(p); flash(e.currentTarget, 'Added ✓'); },
    }, 'Add to cart') : null);
}

function flash(button, text) {
  const old = button.textContent;
  button.textContent = text;
  setTimeout(() => { button.textContent = old; }, 1500);
  announce(`${text.replace(' ✓', '')}. Cart: ${cart.attribute().count} item(s).`);
}
function announce(text) {
  const live = document.getElementById('announcer');
  if (live) live.textContent = text;
}

const pages = {
  home(main) {
    document.getElementById('featured')?.append(...PRODUCTS.filter((p) => ['blue-mug', 'espresso-cups', 'ramen-bowl', 'teapot'].includes(p.id)).map((p) => productCard(p)));
    const tbody = document.getElementById('tour-body');
    if (tbody) {
      for (const t of TOUR) {
        tbody.append(el('tr', {},
          el('th', { scope: 'row' }, t.id),
          el('td', {}, t.href ? el('a', { href: t.href }, t.page) : t.page),
          el('td', {}, t.todo)));
      }
    }
    return main;
  },
  category(main) {
    const cat = CATEGORIES[params.get('c')] ?? CATEGORIES.mugs;
    document.title = `${cat.name} · Kiln & Co.`;
    main.append(
      el('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, el('a', { href: '/' }, 'Home'), ' / ', el('span', { 'aria-current': 'page' }, cat.name)),
      el('h1', {}, cat.name),
      el('p', { class: 'lead' }, cat.blurb),
      el('div', { id: 'promo-slot', class: 'promo-slot' }),
      el('ul', { class: 'grid', 'aria-label': `${cat.name} products` }, PRODUCTS.filter((p) => p.category === cat.id).map((p) => productCard(p))));
  },
  product(main) {
    const p = productById(params.get('id') ?? 'blue-mug');
    if (!p) {
      main.append(el('h1', {}, 'Product not found'), el('p', {}, el('a', { href: '/www/shop/category.html?c=mugs' }, 'Browse mugs')));
      return;
    }
    const cat = CATEGORIES[p.category];
    document.title = `${p.name} · Kiln & Co.`;
    const status = el('p', { class: 'added', 'aria-live': 'polite' });
    const add = el('button', {
      type: 'button', id: 'add-to-cart', class: 'btn btn-primary btn-large',
      'data-cuekit-event': 'add_to_cart', 'data-cuekit-product-id': p.id, 'data-cuekit-name': p.name,
      'data-cuekit-price': p.price, 'data-cuekit-category': cat.name,
      onclick: () => { cart.add(p); status.textContent = `Added to your cart (${cart.attribute().count} item(s)).`; },
    }, `Add to cart — ${euro(p.price)}`);
    const stars = (n) => el('span', { class: 'stars', 'aria-label': `${n} out of 5 stars` }, '★'.repeat(n) + '☆'.repeat(5 - n));
    main.append(
      el('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, el('a', { href: '/' }, 'Home'), ' / ',
        el('a', { href: `/www/shop/category.html?c=${cat.id}` }, cat.name), ' / ', el('span', { 'aria-current': 'page' }, p.name)),
      el('section', { class: 'product', 'aria-labelledby': 'product-title' },
        el('div', { class: 'product-image', id: 'product-image' }, productArt(p, { size: 420 })),
        el('div', { class: 'product-info' },
          el('p', { class: 'eyebrow' }, cat.name),
          el('h1', { id: 'product-title' }, p.name),
          el('p', { class: 'rating' }, stars(5), ' 4.8 · 212 reviews'),
          el('p', { class: 'price price-large' }, euro(p.price)),
          el('p', { class: 'lead' }, p.blurb),
          add, status,
          el('ul', { class: 'perks' },
            el('li', {}, 'Ships in 2 days from our studio in Porto'),
            el('li', {}, 'Free returns for 30 days'),
            el('li', {}, 'Dishwasher and microwave safe')))),
      el('section', { class: 'story', 'aria-labelledby': 'story-title' },
        el('h2', { id: 'story-title' }, 'Made by hand, one at a time'),
        el('p', {}, 'Each piece is thrown on the wheel, trimmed the next morning and fired twice: once to harden the clay, once more at 1,240 °C to melt the glaze into glass. No two come out of the kiln quite alike, and that is the point.'),
        el('p', {}, 'We work in small batches of forty. When a batch sells out, the next one is usually ready within three weeks.')),
      el('section', { class: 'related', 'aria-labelledby': 'related-title' },
        el('h2', { id: 'related-title' }, 'You may also like'),
        el('ul', { class: 'grid' }, PRODUCTS.filter((q) => q.id !== p.id).slice(0, 4).map((q) => productCard(q)))),
      el('section', { id: 'reviews', class: 'reviews', 'aria-labelledby': 'reviews-title' },
        el('h2', { id: 'reviews-title' }, 'Reviews'),
        el('ul', {}, REVIEWS.map((r) => el('li', {}, el('p', {}, stars(r.stars)), el('blockquote', {}, `“${r.text}”`), el('p', { class: 'who' }, `— ${r.who}`))))));
    return p;
  },
  cart(main) {
    document.title = 'Your cart · Kiln & Co.';
    const body = el('div', { class: 'cart' });
    main.append(el('h1', {}, 'Your cart'), body);
    const render = () => {
      const attr = cart.attribute();
      body.replaceChildren();
      if (!attr.count) {
        body.append(el('p', { class: 'empty' }, 'Your cart is empty. ', el('a', { href: '/www/shop/category.html?c=mugs' }, 'Browse our mugs'), '.'));
        return;
      }
      const list = el('ul', { class: 'cart-lines', 'aria-label': 'Items in your cart' });
      for (const item of attr.items) {
        const p = productById(item.id);
        list.append(el('li', { class: 'cart-line' },
          productArt(p, { size: 72, label: false }),
          el('div', { class: 'cart-name' }, el('a', { href: `/www/shop/product.html?id=${p.id}` }, p.name), el('span', { class: 'muted' }, `${euro(p.price)} each`)),
          el('div', { class: 'qty', role: 'group', 'aria-label': `Quantity of ${p.name}` },
            el('button', { type: 'button', class: 'icon-btn', 'aria-label': `One fewer ${p.name}`, onclick: () => { cart.setQty(p.id, item.qty - 1); render(); } }, '−'),
            el('span', { 'aria-live': 'polite' }, String(item.qty)),
            el('button', { type: 'button', class: 'icon-btn', 'aria-label': `One more ${p.name}`, onclick: () => { cart.setQty(p.id, item.qty + 1); render(); } }, '+')),
          el('span', { class: 'line-total' }, euro(p.price * item.qty))));
      }
      const msg = el('p', { class: 'coupon-msg', role: 'status' });
      body.append(list,
        el('div', { class: 'cart-side' },
          el('div', { class: 'coupon' },
            el('label', { for: 'coupon-code' }, 'Discount code'),
            el('div', { class: 'coupon-row' },
              el('input', { id: 'coupon-code', type: 'text', value: 'SPRING', autocomplete: 'off' }),
              // Deliberately unhelpful: try clicking it three times quickly (S17).
              el('button', { type: 'button', id: 'apply-coupon', class: 'btn', onclick: () => { msg.textContent = 'Hmm, that code was not recognised.'; } }, 'Apply')),
            msg),
          el('p', { class: 'subtotal' }, 'Subtotal ', el('strong', {}, euro(attr.total))),
          el('a', { class: 'btn btn-primary btn-large', href: '/www/shop/checkout.html', id: 'to-checkout' }, 'Proceed to checkout')));
    };
    render();
  },
  checkout(main) {
    document.title = 'Checkout · Kiln & Co.';
    const attr = cart.attribute();
    main.append(el('h1', {}, 'Checkout'));
    if (!attr.count) {
      main.append(el('p', {}, 'Your cart is empty. ', el('a', { href: '/www/shop/category.html?c=mugs' }, 'Keep shopping'), '.'));
      return;
    }
    const field = (id, label, type = 'text', autocomplete) => el('div', { class: 'field' },
      el('label', { for: id }, label), el('input', { id, name: id, type, required: true, autocomplete }));
    const form = el('form', { id: 'checkout-form', class: 'checkout-form', 'aria-labelledby': 'ship-title' },
      el('h2', { id: 'ship-title' }, 'Shipping'),
      field('full-name', 'Full name', 'text', 'name'), field('email', 'Email', 'email', 'email'),
      field('address', 'Address', 'text', 'street-address'), field('city', 'City', 'text', 'address-level2'),
      el('label', { for: 'country' }, 'Country'),
      el('select', { id: 'country', name: 'country' }, ['Portugal', 'France', 'Germany', 'Poland', 'Spain'].map((c) => el('option', {}, c))),
      el('button', { type: 'submit', class: 'btn btn-primary btn-large' }, `Place order — ${euro(attr.total)}`));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const order = { id: `K-${Date.now().toString(36).toUpperCase()}`, at: Date.now(), items: attr.items, total: attr.total };
      writeJSON(ORDERS_KEY, [order, ...readJSON(ORDERS_KEY, [])].slice(0, 10));
      track('purchase', { orderId: order.id, total: attr.total, count: attr.count });
      cart.clear();
      main.replaceChildren(el('h1', { tabindex: '-1', id: 'thanks' }, 'Thank you!'),
        el('p', { class: 'lead' }, `Order ${order.id} is confirmed (not really: this is a demo). `),
        el('p', {}, 'The purchase was sent to cuekit as the conversion event: open the debug panel to see which prompts it was attributed to.'),
        el('p', {}, el('a', { class: 'btn', href: '/www/shop/app.html?view=orders' }, 'See your orders')));
      document.getElementById('thanks').focus();
    });
    main.append(el('div', { class: 'checkout' }, form,
      el('aside', { class: 'summary', 'aria-labelledby': 'sum-title' }, el('h2', { id: 'sum-title' }, 'Order summary'),
        el('ul', {}, attr.items.map((i) => el('li', {}, el('span', {}, `${i.name} × ${i.qty}`), el('span', {}, euro(i.qty * i.price))))),
        el('p', { class: 'subtotal' }, 'Total ', el('strong', {}, euro(attr.total))))));
  },
  article() {
    const form = document.getElementById('newsletter-form');
    form?.addEventListener('submit', (e) => {
      e.preventDefault();
      track('newsletter_signup');
      form.replaceChildren(el('p', { role: 'status', class: 'thanks' }, 'Thanks! Your first letter arrives next month.'));
    });
  },
  app(main) {
    import('./app.js').then((m) => m.startApp(main, { ck: () => ck, consent, readOrders: () => readJSON(ORDERS_KEY, []) }));
  },
};

// ---------- start ----------
async function loadConfig() {
  const text = await (await fetch('/www/cuekit.json')).text();
  // The demo webhooks point at this server's /demo-webhook sink. The config says
  // http://127.0.0.1:8080; follow the port npm start (or a test) actually uses.
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(location.hostname);
  return JSON.parse(loopback || location.protocol === 'https:' ? text.replaceAll('http://127.0.0.1:8080', location.origin) : text);
}

async function start() {
  document.getElementById('site-header')?.replaceChildren(...header());
  document.getElementById('site-footer')?.replaceChildren(...footer());
  document.body.append(el('p', { id: 'announcer', class: 'sr-only', 'aria-live': 'polite' }));
  const main = document.getElementById('main');
  const product = pages[PAGE]?.(main);
  syncCart();
  let config;
  try {
    config = await loadConfig();
    ck = await init(config, { actions: { openChat } });
  } catch (err) {
    setStatus('error', `cuekit error: ${err && err.message ? err.message : err}`);
    console.error(err);
    return;
  }
  window.ck = ck;
  mountDebugPanel({ ck, config, analyze, consent, refreshStatus, resetVisitor });
  if (consent.choice() === 'granted') ck.consent(true);
  else if (consent.choice() !== 'denied') document.body.append(consentBanner());
  syncCart();
  // Page events: the host tells cuekit what the page is about.
  if (PAGE === 'product' && product) {
    const cat = CATEGORIES[product.category];
    track('product_view', { productId: product.id, name: product.name, category: cat.name, categoryId: cat.id, price: product.price });
  }
  if (PAGE === 'cart') {
    const { count, total } = cart.attribute();
    track('cart_view', { count, total });
  }
  if (PAGE === 'checkout' && cart.attribute().count > 0) track('checkout', { total: cart.attribute().total });
  refreshStatus();
}

/** "Reset visitor": cuekit forgets everything, the shop forgets its cart and consent. */
function resetVisitor() {
  ck?.forget();
  for (const k of [CART_KEY, CONSENT_KEY, ORDERS_KEY]) localStorage.removeItem(k);
  location.reload();
}

start();
