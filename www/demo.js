// The demo page: a product, a few rules, and a live log of decisions.
const status = document.getElementById('status');
const log = document.getElementById('log');

function show(decision) {
  const li = document.createElement('li');
  const rule = document.createElement('code');
  rule.textContent = decision.rule;
  li.append(rule, ` — ${decision.action?.text ?? ''}`);
  const props = decision.context?.props ?? {};
  if (props.name) li.append(` (${props.name})`);
  li.dataset.rule = decision.rule;
  log.prepend(li);
}

const config = {
  rules: [
    { id: 'upsell', trigger: { event: 'add_to_cart', where: { 'props.price': { $gte: 20 } } },
      action: { text: 'Pairs well with a matching saucer' } },
    { id: 'hesitation', trigger: { dwell: '30s', without: { event: 'click', selector: '#add-to-cart' } },
      action: { text: 'Questions? Chat with us' } },
    { id: 'image-hover', trigger: { hover: '#product-image', for: '3s', without: { event: 'click', selector: '#add-to-cart' } },
      action: { text: 'Like what you see? 10% off with HELLO10' } },
    { id: 'reviews-seen', trigger: { visible: '#reviews', for: '2s' }, action: { text: 'Loved by 2,000 customers' } },
    { id: 'deep-scroll', trigger: { scroll: 75 }, action: { text: 'Get the newsletter' } },
    { id: 'exit', trigger: 'exit_intent', action: { text: 'Wait! Free shipping today' } },
    { id: 'pricing', trigger: 'page_view', if: { 'page.path': '/app/pricing' }, action: { text: 'Questions about plans?' } },
    { id: 'rage', trigger: 'rage_click', action: { text: 'Something not working? We can help' } },
  ],
};

try {
  // A dynamic import, so that a failure to load the SDK is shown here too.
  const { init } = await import('/js/index.js');
  const ck = await init(config);
  window.ck = ck;
  ck.on('decision', show);
  status.textContent = 'cuekit ready';
  for (const b of document.querySelectorAll('button')) b.disabled = false;
  document.getElementById('nav-features').addEventListener('click', () => history.pushState({}, '', '/app/features'));
  document.getElementById('nav-pricing').addEventListener('click', () => history.pushState({}, '', '/app/pricing'));
} catch (err) {
  status.className = 'error';
  status.textContent = `cuekit error: ${err && err.message ? err.message : err}`;
}
