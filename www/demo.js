// The demo page: a product, a few rules, and a live log of decisions.
const status = document.getElementById('status');
const log = document.getElementById('log');

function show(decision) {
  const li = document.createElement('li');
  const rule = document.createElement('code');
  rule.textContent = decision.rule;
  const a = decision.action || {};
  li.append(rule, ` — ${a.title || a.body || a.type || ''}`);
  const props = decision.context?.props ?? {};
  if (props.name) li.append(` (${props.name})`);
  if (!decision.shown) li.append(` · not shown: ${decision.suppressed?.reason ?? ''}`);
  li.dataset.rule = decision.rule;
  log.prepend(li);
}

const config = {
  caps: { perSession: 6 },
  rules: [
    { id: 'upsell', trigger: { event: 'add_to_cart', where: { 'props.price': { $gte: 20 } } },
      action: { type: 'toast', title: 'Great choice!', body: '{{props.name}} pairs well with our matching saucer.', autoHide: '8s',
        buttons: [{ label: 'See saucers', do: 'link', href: '/www/index.html#saucers', primary: true }] } },
    { id: 'hesitation', trigger: { dwell: '30s', without: { event: 'click', selector: '#add-to-cart' } },
      action: { type: 'toast', title: 'Questions?', body: 'Our team is online now.', host: 'openChat',
        buttons: [{ label: 'Chat with us', do: 'host', name: 'openChat', primary: true }, { label: 'Remind me later', do: 'snooze', for: '1h' }] } },
    { id: 'image-hover', trigger: { hover: '#product-image', for: '3s', without: { event: 'click', selector: '#add-to-cart' } },
      action: { type: 'modal', title: 'Like what you see?', body: 'Take 10% off the Blue Mug with code HELLO10.',
        countdown: { for: '10m', text: 'Offer expires in {{time}}', ended: 'This offer has ended' },
        buttons: [{ label: 'Add to cart', do: 'dismiss', primary: true }, { label: "Don't show this again", do: 'optout' }] } },
    { id: 'reviews-seen', trigger: { visible: '#reviews', for: '2s' },
      action: { type: 'toast', title: 'Loved by 2,000 customers', body: 'Free returns for 30 days.', autoHide: '6s' } },
    { id: 'deep-scroll', trigger: { scroll: 75 },
      action: { type: 'banner', position: 'bottom', body: 'Enjoying the read? Get our newsletter.',
        buttons: [{ label: 'Subscribe', do: 'link', href: '/www/index.html#newsletter', primary: true }] } },
    { id: 'exit', trigger: 'exit_intent', caps: { perSession: 1 },
      action: { type: 'modal', title: 'Wait! Free shipping today', body: 'Orders before midnight ship free.',
        buttons: [{ label: 'Keep shopping', do: 'dismiss', primary: true }] } },
    { id: 'pricing', trigger: 'page_view', if: { 'page.path': '/app/pricing' },
      action: { type: 'toast', title: 'Questions about plans?', body: 'Compare plans side by side.' } },
    { id: 'rage', trigger: 'rage_click',
      action: { type: 'toast', title: 'Something not working?', body: 'We can help.', host: 'openChat' } },
  ],
};

try {
  // A dynamic import, so that a failure to load the SDK is shown here too.
  const { init } = await import('/js/index.js');
  const ck = await init(config, {
    actions: {
      openChat: () => {
        status.textContent = 'openChat() called by cuekit — your live chat would open here';
      },
    },
  });
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
