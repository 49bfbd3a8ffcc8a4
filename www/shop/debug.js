// The debug panel: what cuekit sees and decides, live. Everything comes from the public
// API (on, explain, export, visitor, segments, stats) and analyze().
import { el } from './dom.js';

const OPEN_KEY = 'kiln:debug:open';
const TAB_KEY = 'kiln:debug:tab';
const EVENTS_KEY = 'kiln:debug:events';
const LAB_KEY = 'kiln:lab';
const EVENTS = ['decision', 'show', 'suppress', 'click', 'dismiss', 'snooze', 'optout', 'optin', 'convert', 'exposure', 'segment'];
const TABS = { events: 'Events', rules: 'Rules', visitor: 'Visitor', ab: 'A/B test' };

const ss = {
  get(k, d) { try { return JSON.parse(sessionStorage.getItem(k)) ?? d; } catch { return d; } },
  set(k, v) { try { sessionStorage.setItem(k, JSON.stringify(v)); } catch { /* ignore */ } },
};

function clock(t) {
  return new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}
function span(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
function brief(value, max = 160) {
  let text;
  try { text = typeof value === 'string' ? value : JSON.stringify(value); } catch { text = String(value); }
  return text && text.length > max ? `${text.slice(0, max - 1)}…` : text ?? '';
}

function describeEvent(type, p) {
  switch (type) {
    case 'decision':
      return `${p.shown ? 'will show' : `not shown — ${p.suppressed?.reason ?? 'suppressed'}`} · on ${p.event ?? 'timer'}`;
    case 'show': {
      // The message as rendered (templates filled, the variant's content); else the action.
      const kind = p.message?.format ?? p.action?.type ?? 'none';
      const title = p.message?.title ?? p.message?.body ?? '';
      return `${kind}${p.variant ? ` [${p.variant}]` : ''}${title ? ` “${title}”` : ''}`;
    }
    case 'suppress': return p.suppressed?.reason ?? '';
    case 'exposure': return `${p.experiment} → ${p.variant}${p.holdout ? ' (holdout: nothing shown)' : ''}`;
    case 'segment': return brief(p.segments ?? p);
    default: return p.props && Object.keys(p.props).length ? brief(p.props) : '';
  }
}

function describeCaps(rule, config) {
  const out = [];
  const c = rule.caps ?? {};
  for (const k of ['perSession', 'perDay', 'perWeek', 'perVisitor']) if (c[k] != null) out.push(`${c[k]} ${k.replace('per', 'per ').toLowerCase()}`);
  if (c.minInterval) out.push(`${c.minInterval} between shows`);
  if (c.dismissCooldown) out.push(`after a dismissal: ${[].concat(c.dismissCooldown).join(' → ')} quiet`);
  if (c.convertCooldown) out.push(`after a conversion: ${c.convertCooldown} quiet`);
  if (c.group) {
    const g = config.caps?.groups?.[c.group] ?? {};
    out.push(`group “${c.group}” (${Object.entries(g).map(([k, v]) => `${v} ${k.replace('per', 'per ').toLowerCase()}`).join(', ')})`);
  }
  out.push(c.global === false ? 'not counted by the global caps' : 'counted by the global caps');
  return out.join(' · ');
}

export function mountDebugPanel({ ck, config, analyze, consent, refreshStatus, resetVisitor }) {
  const log = ss.get(EVENTS_KEY, []);
  log.push({ t: Date.now(), type: 'page', rule: '', detail: `${location.pathname}${location.search}` });
  let tab = TABS[ss.get(TAB_KEY, 'events')] ? ss.get(TAB_KEY, 'events') : 'events';
  let open = ss.get(OPEN_KEY, false) === true;
  let dirty = true;

  // ----- lab: this browser's visitors, for the experiment chart -----
  function updateLab() {
    const id = ck.visitor()?.visitor?.id;
    if (!id) return;
    let lab;
    try { lab = JSON.parse(localStorage.getItem(LAB_KEY)) ?? {}; } catch { lab = {}; }
    const mine = {};
    for (const s of ck.stats()) {
      if (s.exposed) mine[s.experiment] = { variant: s.variant, holdout: s.holdout, clicks: s.clicks, conversions: s.conversions, dismissals: s.dismissals };
    }
    if (!Object.keys(mine).length) return;
    lab[id] = mine;
    const ids = Object.keys(lab);
    for (const old of ids.slice(0, Math.max(0, ids.length - 500))) delete lab[old];
    try { localStorage.setItem(LAB_KEY, JSON.stringify(lab)); } catch { /* ignore */ }
  }

  // ----- DOM -----
  const toggle = el('button', {
    type: 'button', id: 'ck-debug-toggle', class: 'debug-toggle', 'aria-controls': 'ck-debug', 'aria-expanded': String(open),
    onclick: () => setOpen(!open),
  }, el('span', { class: 'dot', 'aria-hidden': 'true' }), 'cuekit debug');
  const tabList = el('div', { role: 'tablist', 'aria-label': 'Debug views', class: 'debug-tabs' });
  const body = el('div', { class: 'debug-body', role: 'tabpanel', id: 'ck-debug-tabpanel', tabindex: '0' });
  const summary = el('p', { class: 'debug-summary' });
  const panel = el('aside', { id: 'ck-debug', class: 'debug', 'aria-label': 'cuekit debug panel', hidden: !open },
    el('header', { class: 'debug-head' },
      el('h2', {}, 'cuekit debug'),
      el('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Close the debug panel', onclick: () => setOpen(false) }, '×')),
    summary,
    el('div', { class: 'debug-actions' },
      el('button', { type: 'button', id: 'dbg-reset', onclick: () => { updateLab(); resetVisitor(); } }, 'Reset visitor'),
      el('button', { type: 'button', id: 'dbg-grant', onclick: () => { consent.grant(); dirty = true; render(); } }, 'Grant consent'),
      el('button', { type: 'button', id: 'dbg-revoke', onclick: () => { consent.revoke(); dirty = true; render(); } }, 'Revoke consent'),
      el('button', { type: 'button', id: 'dbg-clear', onclick: () => { log.length = 0; ss.set(EVENTS_KEY, log); dirty = true; render(); } }, 'Clear log')),
    tabList, body);
  for (const [id, label] of Object.entries(TABS)) {
    tabList.append(el('button', {
      type: 'button', role: 'tab', id: `ck-tab-${id}`, 'aria-controls': 'ck-debug-tabpanel', 'data-tab': id,
      onclick: () => { tab = id; ss.set(TAB_KEY, id); dirty = true; render(); },
      onkeydown: (e) => {
        const ids = Object.keys(TABS);
        const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
        if (!step) return;
        tab = ids[(ids.indexOf(tab) + step + ids.length) % ids.length];
        ss.set(TAB_KEY, tab);
        dirty = true;
        render();
        document.getElementById(`ck-tab-${tab}`)?.focus();
      },
    }, label));
  }
  document.body.append(toggle, panel);

  function setOpen(v) {
    open = v;
    ss.set(OPEN_KEY, v);
    panel.hidden = !v;
    toggle.setAttribute('aria-expanded', String(v));
    document.body.classList.toggle('debug-open', v);
    dirty = true;
    render();
  }

  // ----- the views -----
  const views = {
    events() {
      if (!log.length) return [el('p', { class: 'muted' }, 'No events yet. Browse the shop: every decision, show, suppression, click, dismissal, snooze, opt-out, conversion, exposure and segment change appears here.')];
      return [el('ol', { class: 'debug-events', 'aria-label': 'Event stream, newest first' },
        log.slice().reverse().map((e) => el('li', { class: `ev ev-${e.type}`, 'data-type': e.type, 'data-rule': e.rule },
          el('time', {}, clock(e.t)),
          el('span', { class: 'ev-type' }, e.type),
          e.rule ? el('code', {}, e.rule) : null,
          el('span', { class: 'ev-detail' }, e.detail))))];
    },
    rules() {
      const now = Date.now();
      const state = ck.export() ?? {};
      const sessionStart = state.session?.start ?? 0;
      const shows = (state.ledger ?? []).filter((e) => e[2] === 'show' && e[0] >= sessionStart);
      const inGroup = (g) => config.rules.filter((r) => r.caps?.group === g).map((r) => r.id);
      const global = config.caps ?? {};
      const countedGlobally = new Set(config.rules.filter((r) => r.caps?.global !== false).map((r) => r.id));
      const caps = el('div', { class: 'debug-caps' },
        el('h3', {}, 'Caps in force'),
        el('ul', {},
          el('li', {}, `Global: ${global.perSession ?? '∞'} per session — ${shows.filter((e) => countedGlobally.has(e[1])).length} shown this session; one message at a time: ${global.oneAtATime === false ? 'no' : 'yes'}`),
          Object.entries(global.groups ?? {}).map(([g, lim]) => el('li', {},
            `Group “${g}”: ${Object.entries(lim).map(([k, v]) => `${v} ${k.replace('per', 'per ').toLowerCase()}`).join(', ')} — ${shows.filter((e) => inGroup(g).includes(e[1])).length} shown this session (${inGroup(g).join(', ')})`))));
      const cards = config.rules.map((rule) => {
        const x = ck.explain(rule.id) ?? {};
        const scenario = /^(S\d+)/.exec(rule.description ?? '')?.[1] ?? '';
        const badge = x.optedOut ? 'opted out' : x.snoozedUntil && x.snoozedUntil > now ? 'snoozed' : x.last ?? '';
        const lines = [
          el('p', { class: 'rule-desc' }, rule.description ?? ''),
          el('p', {}, el('b', {}, 'Trigger '), x.trigger ?? ''),
          el('p', { class: 'rule-explain' }, el('b', {}, 'Last decision '), `${x.summary ?? ''}${x.lastAt ? ` at ${clock(x.lastAt)}` : ''} · fired ${x.fired ?? 0}, shown ${x.shown ?? 0}, blocked ${x.blocked ?? 0}`),
        ];
        if (x.suppressed) lines.push(el('p', { class: 'warn' }, el('b', {}, 'Suppressed '), brief(x.suppressed.reason ?? x.suppressed)));
        if (rule.if) lines.push(el('p', {}, el('b', {}, 'Condition '), x.conditionHoldsNow ? 'holds now' : `fails now: ${x.conditionFailure ?? ''}`));
        if (x.nextDeadline) lines.push(el('p', { class: 'deadline' }, el('b', {}, 'Next deadline '), `in ${span(x.nextDeadline - now)} (${clock(x.nextDeadline)}) if nothing changes`));
        if (x.snoozedUntil && x.snoozedUntil > now) lines.push(el('p', {}, el('b', {}, 'Snoozed '), `until ${clock(x.snoozedUntil)}`));
        lines.push(el('p', { class: 'muted' }, el('b', {}, 'Caps '), describeCaps(rule, config)));
        return el('li', { class: 'rule', 'data-rule': rule.id },
          el('div', { class: 'rule-head' }, scenario ? el('span', { class: 'scn' }, scenario) : null, el('code', {}, rule.id),
            el('span', { class: `badge-state state-${String(badge).replace(/\W+/g, '-')}` }, badge)),
          lines);
      });
      return [caps, el('ul', { class: 'debug-rules', 'aria-label': 'Rules' }, cards)];
    },
    visitor() {
      const v = ck.visitor() ?? {};
      const vis = v.visitor ?? {};
      const ses = v.session ?? {};
      const segs = ck.segments();
      const gpc = navigator.globalPrivacyControl === true || navigator.doNotTrack === '1';
      const row = (k, val) => [el('dt', {}, k), el('dd', {}, val)];
      const attrs = (ck.export() ?? {}).attrs ?? {};
      return [
        el('dl', { class: 'kv' },
          row('Visitor id', el('code', { id: 'dbg-visitor-id' }, vis.id ?? '—')),
          row('Kind', (vis.visits ?? 1) > 1 ? `returning (visit ${vis.visits})` : 'new (first visit)'),
          row('First seen', vis.firstSeen ? new Date(vis.firstSeen).toLocaleString() : '—'),
          row('This session', `${ses.pageViews ?? 0} page view(s), ${span(Date.now() - (ses.start ?? Date.now()))} long, ${span(ses.activeTime ?? 0)} active, ${ses.events ?? 0} events`),
          row('Storage', ck.storage() === 'storage' ? 'localStorage (consent given)' : 'memory only (no consent yet, or refused)'),
          row('Global Privacy Control', gpc ? 'on: treated as refused' : 'off'),
          row('Segments', segs.length ? el('span', { class: 'chips' }, segs.map((s) => el('span', { class: 'chip' }, s))) : 'none'),
          row('Variants', el('span', {}, ck.stats().map((s) => el('span', { class: 'chip' }, `${s.experiment}: ${s.holdout ? 'holdout' : s.variant}${s.exposed ? '' : ' (not exposed yet)'}`)))),
          row('Host attributes', el('code', { class: 'wrap' }, brief(attrs, 400) || '—'))),
      ];
    },
    ab() {
      let lab;
      try { lab = JSON.parse(localStorage.getItem(LAB_KEY)) ?? {}; } catch { lab = {}; }
      const out = [el('p', { class: 'muted' }, 'Totals over the visitors of this browser (use “Reset visitor” to add another). This visitor:'),
        el('ul', {}, ck.stats().map((s) => el('li', {}, `${s.experiment} (${s.rule}): ${s.holdout ? 'holdout' : s.variant}, ${s.exposed ? 'exposed' : 'not exposed yet'}, ${s.shows} show(s), ${s.clicks} click(s), ${s.dismissals} dismissal(s), ${s.conversions} conversion(s)`)))];
      for (const rule of config.rules.filter((r) => r.experiment)) {
        const key = rule.experiment.key ?? rule.id;
        const ids = rule.experiment.variants.map((v) => v.id);
        const rows = [...ids, ...(rule.experiment.holdout ? ['holdout'] : [])].map((id) => ({ id, exposures: 0, clicks: 0, conversions: 0, dismissals: 0 }));
        for (const visitor of Object.values(lab)) {
          const e = visitor[key];
          if (!e) continue;
          const r = rows.find((x) => x.id === (e.holdout ? 'holdout' : e.variant));
          if (!r) continue;
          r.exposures += 1;
          r.clicks += e.clicks > 0 ? 1 : 0;
          r.conversions += e.conversions > 0 ? 1 : 0;
          r.dismissals += e.dismissals > 0 ? 1 : 0;
        }
        const verdict = el('p', { class: 'verdict', 'data-experiment': key }, 'Analysing…');
        out.push(el('section', { class: 'ab' }, el('h3', {}, `${key} `, el('span', { class: 'muted' }, `(${rule.id})`)), chart(rows), verdict));
        const arms = rows.filter((r) => r.id !== 'holdout');
        if (arms.filter((r) => r.exposures > 0).length < 2) verdict.textContent = 'Verdict: no data for at least two variants yet.';
        else {
          analyze(arms.map(({ exposures, clicks, conversions, dismissals }) => ({ exposures, clicks, conversions, dismissals })))
            .then((a) => { verdict.textContent = verdictText(a, arms); })
            .catch((err) => { verdict.textContent = `analyze() failed: ${err.message}`; });
        }
      }
      return out;
    },
  };

  function chart(rows) {
    const maxExp = Math.max(1, ...rows.map((r) => r.exposures));
    const bar = (value, max, text, kind) => el('td', {},
      el('span', { class: 'bar-wrap' }, el('span', { class: `bar bar-${kind}`, style: `width:${Math.round((value / max) * 100)}%` })),
      el('span', { class: 'bar-val' }, text));
    const pct = (n, d) => (d ? `${Math.round((n / d) * 100)} %` : '—');
    return el('table', { class: 'ab-chart' },
      el('caption', { class: 'sr-only' }, 'Exposures, click-through and conversion rate per variant'),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Variant'), el('th', { scope: 'col' }, 'Exposures'), el('th', { scope: 'col' }, 'CTR'), el('th', { scope: 'col' }, 'Conversion'))),
      el('tbody', {}, rows.map((r) => el('tr', {},
        el('th', { scope: 'row' }, r.id),
        bar(r.exposures, maxExp, String(r.exposures), 'exp'),
        bar(r.exposures ? r.clicks / r.exposures : 0, 1, pct(r.clicks, r.exposures), 'ctr'),
        bar(r.exposures ? r.conversions / r.exposures : 0, 1, pct(r.conversions, r.exposures), 'conv')))));
  }

  function verdictText(a, arms) {
    if (a.tooSmall) return `Verdict (analyze): too small to conclude — ${arms.reduce((n, r) => n + r.exposures, 0)} exposures so far.`;
    const p = a.conversionTest?.pValue;
    const best = a.variants.map((v, i) => ({ id: arms[i].id, rate: v.conversion.rate })).sort((x, y) => y.rate - x.rate)[0];
    if (p != null && p < 0.05) return `Verdict (analyze): conversion differs between variants (χ² p = ${p.toFixed(3)}); best: ${best.id}.`;
    return `Verdict (analyze): no significant difference yet (conversion χ² p = ${p == null ? '—' : p.toFixed(3)}).`;
  }

  function render() {
    const v = ck.visitor();
    summary.textContent = `${ck.storage() === 'storage' ? 'storing (consent given)' : 'memory only'} · visitor ${String(v?.visitor?.id ?? '—').slice(0, 8)} · ${v?.session?.pageViews ?? 0} page view(s) this session · segments: ${ck.segments().join(', ') || 'none'}`;
    if (!open) return;
    for (const b of tabList.children) {
      const on = b.dataset.tab === tab;
      b.setAttribute('aria-selected', String(on));
      b.tabIndex = on ? 0 : -1;
    }
    body.setAttribute('aria-labelledby', `ck-tab-${tab}`);
    if (tab === 'events' && !dirty) return;
    const scroll = body.scrollTop;
    body.replaceChildren(...views[tab]());
    body.scrollTop = scroll;
    dirty = false;
  }

  for (const type of EVENTS) {
    ck.on(type, (p) => {
      log.push({ t: p?.at ?? Date.now(), type, rule: p?.rule ?? '', detail: describeEvent(type, p ?? {}) });
      if (log.length > 120) log.splice(0, log.length - 120);
      ss.set(EVENTS_KEY, log);
      dirty = true;
      // Handlers run inside cuekit's dispatch: read its state only once that returns.
      queueMicrotask(() => {
        if (['exposure', 'click', 'convert', 'dismiss'].includes(type)) updateLab();
        refreshStatus();
        render();
      });
    });
  }
  // Host events the shop sends with track() (tagged clicks are not listed).
  addEventListener('kiln:track', (e) => {
    log.push({ t: Date.now(), type: 'track', rule: '', detail: `${e.detail.name} ${e.detail.props ? brief(e.detail.props, 120) : ''}` });
    ss.set(EVENTS_KEY, log);
    dirty = true;
    queueMicrotask(render);
  });
  ss.set(EVENTS_KEY, log);
  updateLab();
  setOpen(open);
  setInterval(render, 1000);
}
