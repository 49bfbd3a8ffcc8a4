// The generated rule workload shared by the benchmark pages (www/bench-rules.js,
// www/bench-startup.js): rules for cuekit and the same rules for json-rules-engine, and
// the event stream. Fixed seeds: the same rules and events on every run.

export function rng(seed) {
  let s = BigInt.asUintN(64, BigInt(seed));
  return {
    next() {
      s ^= BigInt.asUintN(64, s << 13n);
      s ^= s >> 7n;
      s ^= BigInt.asUintN(64, s << 17n);
      return s;
    },
    below(n) {
      return Number(this.next() % BigInt(n));
    },
  };
}

const EVENTS = ['product_view', 'add_to_cart', 'search', 'category_view', 'video_play', 'wishlist_add',
  'coupon_apply', 'review_open', 'size_guide', 'compare', 'share', 'newsletter_focus', 'chat_open',
  'filter_use', 'sort_change', 'gallery_swipe', 'shipping_info', 'faq_open', 'store_locator', 'login_view'];
const URLS = ['https://shop.example/', 'https://shop.example/product/3', 'https://shop.example/product/7?ref=mail',
  'https://shop.example/category/mugs', 'https://shop.example/category/pans?utm_source=ads', 'https://shop.example/cart',
  'https://shop.example/checkout', 'https://shop.example/search?q=blue+mug', 'https://shop.example/product/12',
  'https://shop.example/help/shipping'];
const FRAGMENTS = ['/product/', '/category/', '/cart', '/checkout', 'utm_source=', '/product/3', 'mug', '/help/', '?ref='];
const FACTS = ['url', 'scroll', 'dwell', 'cart', 'visits'];

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const CMP = {
  $gt: 'greaterThan', $gte: 'greaterThanInclusive', $lt: 'lessThan', $lte: 'lessThanInclusive',
};

/** One leaf over `fact`: `{ck: [path, cond], jre: condition}`. */
function leaf(r, fact) {
  const ops = ['$gt', '$gte', '$lt', '$lte'];
  const num = (path, jfact, value, op = ops[r.below(4)]) => ({
    ck: [path, { [op]: value }],
    jre: { fact: jfact, operator: CMP[op], value },
  });
  switch (fact) {
    case 'url': {
      const frag = FRAGMENTS[r.below(FRAGMENTS.length)];
      return { ck: ['props.url', { $regex: escapeRe(frag) }], jre: { fact: 'url', operator: 'stringContains', value: frag } };
    }
    case 'scroll': return num('props.scrollDepth', 'scrollDepth', [25, 50, 75, 90][r.below(4)], r.below(3) ? '$gte' : '$lt');
    case 'dwell': return num('props.dwellMs', 'dwellMs', 5000 * r.below(13), r.below(3) ? '$gt' : '$lte');
    case 'cart': return num('cart.items', 'cartItems', r.below(5));
    default: return num('visits', 'visits', 1 + r.below(6));
  }
}

/** `n` rules as `{cuekit: config, jre: [rule]}`; same seed → same rules. */
export function makeRules(n, seed = 0x9e3779b97f4a7c15n) {
  const r = rng(seed);
  const ck = [];
  const jre = [];
  for (let i = 0; i < n; i++) {
    const id = `r${i}`;
    const event = EVENTS[r.below(EVENTS.length)];
    const k = 3 + r.below(3); // conditions in all, the event name included
    const nested = i % 3 === 0;
    const facts = [...FACTS];
    for (let j = facts.length - 1; j > 0; j--) {
      const m = r.below(j + 1);
      [facts[j], facts[m]] = [facts[m], facts[j]];
    }
    const flat = nested ? k - 2 : k - 1; // plain leaves besides the event (nested: + one any-of)
    const cond = {};
    const all = [{ fact: 'event', operator: 'equal', value: event, priority: 10 }];
    for (let j = 0; j < flat; j++) {
      const l = leaf(r, facts[j]);
      cond[l.ck[0]] = l.ck[1];
      all.push(l.jre);
    }
    if (nested) {
      const a = leaf(r, FACTS[r.below(FACTS.length)]);
      const b = leaf(r, FACTS[r.below(FACTS.length)]);
      cond.$or = [{ [a.ck[0]]: a.ck[1] }, { [b.ck[0]]: b.ck[1] }];
      all.push({ any: [a.jre, b.jre] });
    }
    ck.push({ id, trigger: event, if: cond, action: { type: 'none' } });
    jre.push({ name: id, conditions: { all }, event: { type: id } });
  }
  return { cuekit: ck, jre };
}

/** The 1,000-event stream: `{name, props, attrs?}` (attrs: identify before this event). */
export function makeStream(n = 1000, seed = 42) {
  const r = rng(seed);
  const out = [];
  for (let i = 0; i < n; i++) {
    const ev = {
      name: EVENTS[r.below(EVENTS.length)],
      props: { url: URLS[r.below(URLS.length)], scrollDepth: r.below(101), dwellMs: 1000 * r.below(70) },
    };
    if (i % 50 === 0) ev.attrs = { cart: { items: r.below(6) }, visits: 1 + r.below(8) };
    out.push(ev);
  }
  return out;
}

/**
 * A start-up config of `n` rules: a mix of every trigger kind (so every listener kind is
 * attached), the rest event rules with conditions from makeRules.
 */
export function startupRules(n = 100) {
  const kinds = [
    { trigger: { sequence: ['product_view', 'add_to_cart', 'begin_checkout'], within: '30m', same: 'sku' } },
    { trigger: { after: 'product_view', absent: 'add_to_cart', within: '60s', same: 'productId' } },
    { trigger: { count: 'product_view', atLeast: 5, within: '10m', groupBy: 'category' } },
    { trigger: { idle: '15s' } },
    { trigger: { dwell: '30s', without: { event: 'click', selector: '.add-to-cart' } } },
    { trigger: { hover: '.product-card .img', for: '3s' } },
    { trigger: { visible: '#reviews', for: '1s', ratio: 0.5 } },
    { trigger: { scroll: 50 } },
    { trigger: { event: 'click', selector: '#main-nav .pricing' } },
    { trigger: 'exit_intent' },
    { trigger: 'rage_click' },
    { trigger: { away: '5m' } },
    { trigger: 'form_abandon' },
  ];
  const special = Math.min(n, 30);
  const out = [];
  for (let i = 0; i < special; i++) {
    out.push({ id: `k${i}`, ...kinds[i % kinds.length], action: { type: 'none' } });
  }
  out.push(...makeRules(n - special).cuekit);
  return out;
}
