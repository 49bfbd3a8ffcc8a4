// Where to see each scenario in the shop (shown on the home page).
const P = '/www/shop/product.html?id=blue-mug';
export const TOUR = [
  { id: 'S1', page: 'Product page', href: P, todo: 'Stay 30 s without clicking “Add to cart”: the live chat opens (host action openChat).' },
  { id: 'S2', page: 'Product page', href: P, todo: 'Stay 60 s without adding the product: a modal names it and offers help or 10 % off.' },
  { id: 'S3', page: 'Home', href: '/', todo: 'As a new visitor, keep still for 10 s: a welcome toast.' },
  { id: 'S4', page: 'Any page but cart and checkout', todo: 'Put something in the cart and come back in a new visit (after 10 min without activity): a banner lists what you left.' },
  { id: 'S5', page: 'Any page', todo: 'Leave the page idle for 3 min: “Still there?” plus a webhook to /demo-webhook (logged in the npm start terminal).' },
  { id: 'S6', page: 'Product pages', href: '/www/shop/category.html?c=mugs', todo: 'View 4 products of one category within 10 min, across page loads: 10 % off that category.' },
  { id: 'S7', page: 'Product or category page', href: '/www/shop/category.html?c=mugs', todo: 'Add an item of €20 or more to the cart: an instant upsell toast.' },
  { id: 'S8', page: 'Any page', todo: 'Add to cart, then do nothing and do not check out for 2 min: one of three message variants, and a webhook carrying the cart. A later purchase counts as its conversion.' },
  { id: 'S9', page: 'Product page', href: P, todo: 'Rest the pointer on the product picture for 3 s: a discount code.' },
  { id: 'S10', page: 'Product page', href: P, todo: 'Scroll down to the reviews and keep them in view for 3 s.' },
  { id: 'S11', page: 'Journal article', href: '/www/shop/article.html', todo: 'Scroll past 75 % of the article: the newsletter banner.' },
  { id: 'S12', page: 'Any page, with items in the cart', todo: 'Move the pointer out through the top of the window: a last-chance offer (never from a dropdown).' },
  { id: 'S13', page: 'Any page', todo: 'Your segments are in the debug panel. One page and idle for 2 min → a help prompt; a 2nd visit with 3+ pages over 3+ min → a personal offer.' },
  { id: 'S14', page: 'Everywhere', todo: 'Offers (S2, S6, S9, S12, S15) share a cap of 2 per session; dismissing one twice silences it for 24 h; “Remind me later” snoozes; “Don’t show this again” opts out — across reloads and tabs.' },
  { id: 'S15', page: 'Cart', href: '/www/shop/cart.html', todo: 'Open the cart with items in it: a free-shipping offer with a live 10-minute countdown.' },
  { id: 'S16', page: 'Category page', href: '/www/shop/category.html?c=tableware', todo: 'A/B test of the free-shipping banner with a 20 % holdout. Per-variant exposures, CTR and conversions are charted in the debug panel.' },
  { id: 'S17', page: 'Cart', href: '/www/shop/cart.html', todo: 'Click the coupon’s “Apply” button three times quickly: an offer of support.' },
  { id: 'S18', page: 'Any page', todo: 'Switch to another tab for a minute, then come back: welcome back.' },
  { id: 'S19', page: 'Account (single-page app)', href: '/www/shop/app.html', todo: 'Open “Kiln Club plans”: the route changes without a reload, counts as a page view and re-evaluates the URL condition.' },
  { id: 'S20', page: 'Every page', todo: 'Until you accept the privacy banner nothing is stored and nothing is sent; Global Privacy Control is honoured. Grant or revoke in Account → Privacy or the debug panel.' },
];
