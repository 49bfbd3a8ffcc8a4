// Tiny DOM helpers: every node is built with createElement and every value set as text.
const SVG = 'http://www.w3.org/2000/svg';

/** el('a', {href: '/x', class: 'btn', text: 'Go', onclick: fn}, child, 'text', [more]) */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v != null) node.setAttribute(k, String(v));
  append(node, children);
  return node;
}

function setAttrs(node, attrs) {
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v == null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = String(v);
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(node, children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export const euro = (n) => `€${Number(n).toFixed(Number.isInteger(n) ? 0 : 2)}`;

/** A small illustration of a product, drawn as inline SVG in its glaze colour. */
export function productArt(p, { size = 240, label = true } = {}) {
  const c = p.color;
  const shapes = {
    mug: [svg('rect', { x: 62, y: 60, width: 86, height: 100, rx: 14, fill: c }),
      svg('path', { d: 'M148 82 q34 0 34 28 t-34 28', fill: 'none', stroke: c, 'stroke-width': 12, 'stroke-linecap': 'round' }),
      svg('ellipse', { cx: 105, cy: 62, rx: 43, ry: 8, fill: '#00000022' })],
    cup: [svg('path', { d: 'M58 90 h70 q0 54 -35 54 q-35 0 -35 -54z', fill: c }),
      svg('path', { d: 'M128 98 q22 2 18 18 q-3 12 -22 12', fill: 'none', stroke: c, 'stroke-width': 9 }),
      svg('path', { d: 'M112 100 h70 q0 40 -35 40 q-35 0 -35 -40z', fill: c, opacity: 0.75 }),
      svg('ellipse', { cx: 100, cy: 160, rx: 80, ry: 8, fill: '#00000018' })],
    tumbler: [svg('path', { d: 'M70 52 h70 l-8 116 h-54z', fill: c }),
      svg('rect', { x: 66, y: 40, width: 78, height: 16, rx: 6, fill: '#3b3b3b' }),
      svg('rect', { x: 74, y: 104, width: 62, height: 34, fill: '#c8a27a' })],
    saucer: [svg('ellipse', { cx: 105, cy: 118, rx: 82, ry: 30, fill: c }),
      svg('ellipse', { cx: 105, cy: 112, rx: 40, ry: 12, fill: '#ffffff33' })],
    bowl: [svg('path', { d: 'M28 84 h154 q0 84 -77 84 q-77 0 -77 -84z', fill: c }),
      svg('ellipse', { cx: 105, cy: 84, rx: 77, ry: 12, fill: '#ffffff30' })],
    teapot: [svg('circle', { cx: 105, cy: 112, r: 54, fill: c }),
      svg('path', { d: 'M56 104 q-30 -6 -40 -34', fill: 'none', stroke: c, 'stroke-width': 12, 'stroke-linecap': 'round' }),
      svg('path', { d: 'M156 92 q34 6 28 34 q-4 18 -26 22', fill: 'none', stroke: c, 'stroke-width': 10 }),
      svg('rect', { x: 86, y: 50, width: 38, height: 12, rx: 6, fill: c }),
      svg('circle', { cx: 105, cy: 46, r: 7, fill: c })],
    plate: [svg('circle', { cx: 80, cy: 108, r: 56, fill: c }), svg('circle', { cx: 132, cy: 108, r: 56, fill: c, opacity: 0.7 }),
      svg('circle', { cx: 132, cy: 108, r: 30, fill: '#ffffff30' })],
  };
  const root = svg('svg', { viewBox: '0 0 210 210', width: size, height: size, role: label ? 'img' : null, 'aria-hidden': label ? null : 'true', class: 'art' },
    label ? svg('title', {}, `${p.name} (illustration)`) : null,
    svg('rect', { width: 210, height: 210, rx: 18, fill: `${c}1f` }),
    shapes[p.shape] ?? shapes.mug);
  return root;
}
