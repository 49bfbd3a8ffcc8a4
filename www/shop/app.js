// The account area: a small single-page app. Views change with history.pushState, without
// page loads; cuekit counts each route as a page view (S19).
import { el, euro } from './dom.js';

const VIEWS = {
  overview: 'Overview',
  orders: 'Orders',
  plans: 'Kiln Club plans',
  privacy: 'Privacy',
};

export function startApp(main, { ck, consent, readOrders }) {
  const nav = el('nav', { class: 'app-nav', 'aria-label': 'Account' });
  const view = el('section', { class: 'app-view', 'aria-live': 'polite' });
  main.append(el('div', { class: 'app' }, nav, view));

  const current = () => {
    const v = new URLSearchParams(location.search).get('view');
    return VIEWS[v] ? v : 'overview';
  };
  const go = (v) => {
    const url = v === 'overview' ? '/www/shop/app.html' : `/www/shop/app.html?view=${v}`;
    history.pushState({ view: v }, '', url);
    render(true);
  };

  function render(focus) {
    const v = current();
    document.title = `${VIEWS[v]} · Account · Kiln & Co.`;
    nav.replaceChildren(el('ul', {}, Object.entries(VIEWS).map(([id, label]) => el('li', {},
      el('a', {
        href: id === 'overview' ? '/www/shop/app.html' : `?view=${id}`, 'aria-current': id === v ? 'page' : null,
        'data-view': id,
        onclick: (e) => { e.preventDefault(); go(id); },
      }, label)))));
    const h = el('h1', { tabindex: '-1' }, VIEWS[v]);
    view.replaceChildren(h, ...(renderers[v]() ?? []));
    if (focus) h.focus();
  }

  const renderers = {
    overview() {
      const info = ck()?.visitor();
      const visits = info?.visitor?.visits ?? 1;
      return [
        el('p', { class: 'lead' }, 'Welcome to your account. This area is a single-page app: the links on the left change the URL with history.pushState and draw the view in JavaScript, without a page load.'),
        el('ul', { class: 'stats' },
          el('li', {}, el('strong', {}, String(visits)), el('span', {}, visits === 1 ? 'visit' : 'visits')),
          el('li', {}, el('strong', {}, String(readOrders().length)), el('span', {}, 'orders')),
          el('li', {}, el('strong', {}, 'Free'), el('span', {}, 'Kiln Club plan'))),
        el('p', {}, 'Try ', el('a', { href: '?view=plans', onclick: (e) => { e.preventDefault(); go('plans'); } }, 'Kiln Club plans'), ': cuekit sees the route change as a page view.'),
      ];
    },
    orders() {
      const orders = readOrders();
      if (!orders.length) return [el('p', {}, 'No orders yet. ', el('a', { href: '/www/shop/category.html?c=mugs' }, 'Start shopping'), '.')];
      return [el('ul', { class: 'orders' }, orders.map((o) => el('li', {},
        el('strong', {}, o.id), ` · ${new Date(o.at).toLocaleDateString()} · `,
        o.items.map((i) => `${i.name} × ${i.qty}`).join(', '), ' · ', euro(o.total))))];
    },
    plans() {
      const plan = (name, price, perks, primary) => el('li', { class: `plan${primary ? ' plan-featured' : ''}` },
        el('h2', {}, name), el('p', { class: 'price price-large' }, price),
        el('ul', {}, perks.map((p) => el('li', {}, p))),
        el('button', { type: 'button', class: primary ? 'btn btn-primary' : 'btn' }, 'Choose'));
      return [el('ul', { class: 'plans' },
        plan('Free', '€0', ['Newsletter', 'Order history'], false),
        plan('Club', '€5 / month', ['Free shipping', 'Early access to batches', '10 % off seconds'], true),
        plan('Studio', '€12 / month', ['Everything in Club', 'One workshop a year', 'A mug named after you'], false))];
    },
    privacy() {
      const state = el('p', { role: 'status' });
      const update = () => {
        const c = ck();
        state.textContent = c?.storage() === 'storage'
          ? 'cuekit is remembering you on this device (you gave consent).'
          : 'cuekit is running in memory only: nothing is stored or sent.';
      };
      update();
      const data = el('pre', { class: 'export', hidden: true });
      return [
        state,
        el('div', { class: 'row' },
          el('button', { type: 'button', class: 'btn btn-primary', onclick: () => { consent.grant(); update(); } }, 'Allow personalised tips'),
          el('button', { type: 'button', class: 'btn', onclick: () => { consent.revoke(); update(); } }, 'Withdraw consent'),
          el('button', { type: 'button', class: 'btn', onclick: () => {
            data.textContent = JSON.stringify(ck()?.export(), null, 2);
            data.hidden = false;
          } }, 'Show my data')),
        data,
      ];
    },
  };

  addEventListener('popstate', () => render(false));
  render(false);
}
