// The demo shop's catalogue: plain data, rendered by shop.js.
export const CATEGORIES = {
  mugs: { id: 'mugs', name: 'Mugs', blurb: 'Wheel-thrown mugs and cups for slow mornings.' },
  tableware: { id: 'tableware', name: 'Tableware', blurb: 'Bowls, plates and pots glazed in small batches.' },
};

export const PRODUCTS = [
  { id: 'blue-mug', name: 'Blue Mug', category: 'mugs', price: 24, color: '#3656c9', shape: 'mug',
    blurb: 'Our bestseller: a 350 ml stoneware mug in a deep cobalt glaze that pools darker at the rim.' },
  { id: 'speckled-mug', name: 'Speckled Mug', category: 'mugs', price: 22, color: '#c9b48f', shape: 'mug',
    blurb: 'Oatmeal glaze over speckled clay. Every one is a little different.' },
  { id: 'espresso-cups', name: 'Espresso Cups (pair)', category: 'mugs', price: 28, color: '#b4532a', shape: 'cup',
    blurb: 'Two 90 ml cups in terracotta red, sized for a proper ristretto.' },
  { id: 'travel-mug', name: 'Travel Mug', category: 'mugs', price: 26, color: '#6f8f72', shape: 'tumbler',
    blurb: 'A lidded sage-green tumbler with a cork sleeve that keeps your hands cool.' },
  { id: 'saucer', name: 'Matching Saucer', category: 'tableware', price: 9, color: '#3656c9', shape: 'saucer',
    blurb: 'The cobalt saucer made for the Blue Mug: it catches drips and biscuits alike.' },
  { id: 'ramen-bowl', name: 'Ramen Bowl', category: 'tableware', price: 32, color: '#2e3a4f', shape: 'bowl',
    blurb: 'A generous 1.1 l bowl in midnight glaze with an unglazed foot.' },
  { id: 'teapot', name: 'Round Teapot', category: 'tableware', price: 58, color: '#8a5a3c', shape: 'teapot',
    blurb: 'Holds 800 ml, pours without a drip, with a built-in strainer.' },
  { id: 'side-plates', name: 'Side Plates (set of 4)', category: 'tableware', price: 45, color: '#d7a24a', shape: 'plate',
    blurb: 'Four 20 cm plates in honey, sand, moss and sky.' },
];

export const productById = (id) => PRODUCTS.find((p) => p.id === id) ?? null;

export const REVIEWS = [
  { who: 'Maya, Lyon', stars: 5, text: 'The glaze is even better in person. My coffee has never looked so good.' },
  { who: 'Tomasz, Gdańsk', stars: 5, text: 'Arrived in two days, packed in recycled paper. Not a scratch.' },
  { who: 'Ana, Porto', stars: 4, text: 'Lovely weight in the hand. I wish it came in a bigger size too.' },
];
