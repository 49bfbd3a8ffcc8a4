/*! cuekit script-tag loader: <script src=".../js/cuekit.script.js" data-config="/cuekit.json" defer>.
 * window.cuekit queues calls until ready, then forwards; any failure is one warning and a
 * no-op API; nothing throws into the page. Attributes and behaviour: README "Quick start (script tag)". */
(function () {
  'use strict';

  var MARK = typeof Symbol === 'function' ? Symbol.for('cuekit.api') : '__cuekitApi';
  var QUEUE_LIMIT = 100; // calls other than choices, queued before ready
  var CHOICE_LIMIT = 1000; // different choices (method and rule) queued before ready
  var DEFAULT_TIMEOUT = 10000; // ms for the config, the entry module and the .wasm each
  var PREFIX = '[cuekit] ';
  // Every map keyed by a host string has no prototype ("toString", "__proto__" are keys).
  var warned = Object.create(null);

  function warnOnce(key, text) {
    if (warned[key]) return;
    warned[key] = true;
    try {
      console.warn(PREFIX + text);
    } catch (e) { /* no console */ }
  }

  // A host value as a string, or null when String() throws (a null-prototype object, a
  // throwing toString, a hostile Proxy): a bad argument never throws into the page.
  function str(value) {
    if (typeof value === 'string') return value;
    try {
      return String(value);
    } catch (e) {
      return null;
    }
  }

  function textOf(err) {
    var text = err && typeof err.message === 'string' ? err.message : str(err);
    return (text === null ? 'unknown error' : text).replace(/^cuekit: /, '');
  }

  var script = document.currentScript;
  if (!script || !script.src) {
    // Injected in a way that hides the script element (e.g. from a module): find it by name.
    var all = document.querySelectorAll('script[src]');
    for (var i = all.length - 1; i >= 0; i--) {
      if (/cuekit\.script(\.min)?\.js(\?|#|$)/.test(all[i].src)) {
        script = all[i];
        break;
      }
    }
  }
  function attr(name) {
    var v = script ? script.getAttribute('data-' + name) : null;
    return v === null ? null : v.trim();
  }

  var name = attr('global') || 'cuekit';
  if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name)) {
    warnOnce('global', 'data-global="' + name + '" is not a valid name; using "cuekit"');
    name = 'cuekit';
  }

  var existing;
  try {
    existing = window[name];
    // <div id="cuekit"> shows up as window.cuekit (named access) without being a real
    // global; an own property set by us shadows it, so the name counts as free.
    if (!Object.prototype.hasOwnProperty.call(window, name) && typeof Element === 'function' &&
        (existing instanceof Element || existing instanceof HTMLCollection)) {
      existing = undefined;
    }
  } catch (e) {
    existing = null;
  }
  if (existing !== undefined) {
    var kind = existing && existing[MARK];
    if (kind === 'script') {
      warnOnce('twice', 'the cuekit script is included more than once; the first one is used (window.' + name + ')');
    } else if (kind === 'instance') {
      warnOnce('twice', 'cuekit is already running (window.' + name + '); the script tag does nothing');
    } else {
      warnOnce('taken', 'window.' + name + ' is already used by something else; cuekit does not overwrite it ' +
        'and does not start. Choose another name with data-global="…" on the script tag');
    }
    return;
  }

  // ---- the global: a queue until ready, then a forwarder, or a no-op after a failure ----

  var status = 'loading';
  var instance = null;
  var queue = [];
  var counted = 0; // entries of the queue that count against QUEUE_LIMIT
  var choices = 0; // entries of the queue that are choices
  var registry = Object.create(null); // host actions given before the instance exists
  var api = {};
  var resolveReady;
  var ready = new Promise(function (resolve) {
    resolveReady = resolve;
  });

  // What each method returns while loading or after a failure (no throw, ever).
  var EMPTY = {
    __proto__: null,
    track: undefined, identify: undefined, pageView: undefined, consent: undefined,
    dismiss: false, snooze: false, optOut: false, optIn: false, convert: false,
    forget: undefined, off: undefined, destroy: undefined,
    explain: null, visitor: null, export: null, stats: [], segments: [], storage: 'memory',
  };
  // Calls with an effect are queued; queries answer "nothing yet" until ready.
  var QUEUED = ['track', 'identify', 'pageView', 'consent', 'dismiss', 'snooze', 'optOut', 'optIn',
    'convert', 'forget', 'off', 'destroy'];
  var QUERIES = ['explain', 'visitor', 'export', 'stats', 'segments', 'storage'];
  // The visitor's choices (and destroy) are never dropped for the bound: of each choice
  // (method and rule) the latest is kept, at its place in the order of the calls.
  var CHOICES = { __proto__: null, dismiss: 1, snooze: 1, optOut: 1, optIn: 1, consent: 1, forget: 1, destroy: 1 };

  function empty(method) {
    var v = EMPTY[method];
    return Array.isArray(v) ? [] : v;
  }

  function call(method, args) {
    try {
      if (instance && typeof instance[method] === 'function') return instance[method].apply(instance, args);
    } catch (err) {
      warnOnce('call:' + method, method + '() failed: ' + textOf(err));
    }
    return empty(method);
  }

  // What makes two queued choices the same one (the later replaces the earlier), or null
  // for a rule id that is no string (the instance would ignore the call). snooze, optOut
  // and optIn of one rule are one choice, the latest of which holds: the replay makes
  // them all in one millisecond, where the ledger cannot tell their order.
  function choiceKey(method, args) {
    if (method === 'consent') return 'consent:' + Boolean(args[0]);
    if (method === 'forget' || method === 'destroy') return method;
    var rule = args[0] === undefined || args[0] === null ? '*' : str(args[0]);
    if (rule === null) return null;
    return (method === 'dismiss' ? 'dismiss:' : 'choice:') + rule;
  }

  function enqueue(entry) {
    if (entry.key !== undefined) {
      for (var j = 0; j < queue.length; j++) {
        if (queue[j].key === entry.key) {
          queue.splice(j, 1);
          choices--;
          break;
        }
      }
      if (choices >= CHOICE_LIMIT) {
        warnOnce('choices', 'more than ' + CHOICE_LIMIT + ' different choices before cuekit was ready; later ones are dropped');
        return false;
      }
      choices++;
    } else if (counted >= QUEUE_LIMIT) {
      warnOnce('queue', 'more than ' + QUEUE_LIMIT + ' calls before cuekit was ready; later calls are dropped ' +
        '(the visitor\'s choices are kept)');
      return false;
    } else {
      counted++;
    }
    queue.push(entry);
    return true;
  }

  function dequeue() {
    var entry = queue.shift();
    if (entry.key !== undefined) choices--;
    else counted--;
    return entry;
  }

  function queued(method) {
    return function () {
      var args = Array.prototype.slice.call(arguments);
      if (status === 'loading' || status === 'replaying') {
        var entry = { method: method, args: args };
        if (CHOICES[method]) {
          var key = choiceKey(method, args);
          if (key === null) return empty(method);
          entry.key = key;
        }
        enqueue(entry);
        return empty(method);
      }
      return status === 'ready' ? call(method, args) : empty(method);
    };
  }

  function query(method) {
    return function () {
      return status === 'ready' ? call(method, Array.prototype.slice.call(arguments)) : empty(method);
    };
  }

  var i2;
  for (i2 = 0; i2 < QUEUED.length; i2++) api[QUEUED[i2]] = queued(QUEUED[i2]);
  for (i2 = 0; i2 < QUERIES.length; i2++) api[QUERIES[i2]] = query(QUERIES[i2]);

  // on(): before ready the subscription is queued; the returned function unsubscribes
  // whether it is called before or after the replay.
  api.on = function (event, handler) {
    event = str(event);
    if (typeof handler !== 'function' || event === null) return function () {};
    if (status === 'ready') {
      var off = call('on', [event, handler]);
      return typeof off === 'function' ? off : function () {};
    }
    if (status !== 'loading' && status !== 'replaying') return function () {};
    var entry = { method: 'on', args: [event, handler], off: null, cancelled: false };
    if (!enqueue(entry)) return function () {};
    return function () {
      entry.cancelled = true;
      if (typeof entry.off === 'function') {
        try {
          entry.off();
        } catch (e) { /* ignored */ }
      }
    };
  };

  // actions({ name: fn }): host actions that rules and buttons call. Given before the wasm
  // is ready, they are in place from the very first decision (not replayed later).
  api.actions = function (map) {
    if (!map || typeof map !== 'object') return;
    if (status === 'ready') {
      if (typeof instance.actions === 'function') call('actions', [map]);
      else warnOnce('actions', 'the running cuekit is too old for actions(); pass them to init()');
      return;
    }
    if (status === 'failed') return;
    try {
      var keys = Object.keys(map);
      for (var k = 0; k < keys.length; k++) {
        var fn = map[keys[k]];
        if (typeof fn === 'function') registry[keys[k]] = fn;
        else warnOnce('action:' + keys[k], 'actions(): "' + keys[k] + '" is not a function; ignored');
      }
    } catch (err) {
      warnOnce('call:actions', 'actions() failed: ' + textOf(err));
    }
  };

  Object.defineProperty(api, MARK, { __proto__: null, value: 'script' });
  Object.defineProperty(api, 'ready', { __proto__: null, value: ready, enumerable: true });
  Object.defineProperty(api, 'status', { __proto__: null, get: function () { return status === 'replaying' ? 'loading' : status; }, enumerable: true });
  api.error = null;

  try {
    window[name] = api;
  } catch (e) {
    warnOnce('taken', 'cannot set window.' + name + '; cuekit does not start');
    return;
  }

  function fail(err) {
    status = 'failed';
    queue = [];
    counted = choices = 0;
    api.error = textOf(err);
    warnOnce('failed', 'not started, every call is a no-op: ' + api.error);
    resolveReady(api);
  }

  function replay() {
    status = 'replaying';
    // Calls made while replaying (e.g. from a handler) go to the end of the queue, so the
    // order stays the order of the calls.
    while (queue.length) {
      var entry = dequeue();
      if (entry.cancelled) continue;
      var result = call(entry.method, entry.args);
      if (entry.method === 'on') entry.off = result;
    }
    status = 'ready';
  }

  // ---- loading: the config and the ES module in parallel, then init() ----

  function domReady() {
    if (document.readyState !== 'loading') return Promise.resolve();
    return new Promise(function (resolve) {
      var opts = Object.create(null);
      opts.once = true;
      document.addEventListener('DOMContentLoaded', function () { resolve(); }, opts);
    });
  }

  function resolveUrl(value) {
    return new URL(value, document.baseURI).href;
  }

  // data-wasm-timeout: milliseconds (a positive number), else 10 s. It bounds each of the
  // config request, the entry module and (in init()) the .wasm, so `ready` always settles.
  function timeoutMs() {
    var v = attr('wasm-timeout');
    var n = v === null || v === '' ? NaN : Number(v);
    return n > 0 && n <= 2147483647 ? n : DEFAULT_TIMEOUT;
  }

  // `promise`, or a rejection with `text` after `ms` (then `onTimeout` runs, e.g. an abort).
  function within(promise, ms, text, onTimeout) {
    var timer;
    var deadline = new Promise(function (resolve, reject) {
      timer = setTimeout(function () {
        reject(new Error(text + ' within ' + ms / 1000 + ' s'));
        try {
          if (onTimeout) onTimeout();
        } catch (e) { /* nothing to abort */ }
      }, ms);
    });
    // race() handles the loser's rejection too: no unhandled rejection.
    return Promise.race([promise, deadline]).then(function (v) {
      clearTimeout(timer);
      return v;
    }, function (err) {
      clearTimeout(timer);
      throw err;
    });
  }

  function abortable() {
    try {
      return typeof AbortController === 'function' ? new AbortController() : null;
    } catch (e) {
      return null;
    }
  }

  function readConfig(ms) {
    var source = attr('config');
    if (source && source.charAt(0) !== '#') {
      var url = resolveUrl(source);
      // A null-prototype init: a polluted Object.prototype cannot reach the request.
      var init = Object.create(null);
      init.credentials = 'same-origin';
      init.headers = { Accept: 'application/json' };
      var controller = abortable();
      if (controller) init.signal = controller.signal;
      return within(fetch(url, init).then(function (res) {
        if (!res.ok) throw new Error('could not load the config ' + source + ': HTTP ' + res.status);
        return res.text();
      }, function (err) {
        throw new Error('could not load the config ' + source + ': ' + textOf(err));
      }).then(function (text) {
        return parseConfig(text, source);
      }), ms, 'could not load the config ' + source + ': no answer', function () {
        if (controller) controller.abort();
      });
    }
    var id = source ? source.slice(1) : 'cuekit-config';
    return domReady().then(function () {
      var el = document.getElementById(id);
      if (!el) {
        throw new Error('no config: add data-config="/cuekit.json" to the script tag, or a ' +
          '<script type="application/json" id="' + id + '"> element');
      }
      return parseConfig(el.textContent, '#' + id);
    });
  }

  function parseConfig(text, where) {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new Error('the config ' + where + ' is not valid JSON: ' + textOf(err));
    }
  }

  // ---- the .wasm, requested at once ----
  // The entry module and the config take a round trip or more before init() would ask for
  // the .wasm (most of the bytes): it is requested now, in parallel, and handed to the entry
  // under a registered symbol. The entry takes it once, for the same URL only, and checks
  // it as it checks its own request; the loader drops what was not taken.
  var EARLY = typeof Symbol === 'function' ? Symbol.for('cuekit.wasm') : '__cuekitWasm';

  function prefetchWasm(url) {
    try {
      if (typeof WebAssembly !== 'object' || !WebAssembly || typeof fetch !== 'function') return;
      // Another copy already runs (npm init() first): the entry will not load the wasm again.
      if (typeof Symbol === 'function' && window[Symbol.for('cuekit.running')]) return;
      var init = Object.create(null); // a polluted Object.prototype cannot reach the request
      init.credentials = 'same-origin';
      var controller = abortable();
      if (controller) init.signal = controller.signal;
      var response = fetch(url, init);
      response.then(null, function () { /* the entry reports it, or nobody needs it */ });
      var record = Object.create(null);
      record.url = url;
      record.response = response;
      // The entry aborts it when it gives up waiting (wasmTimeout).
      record.abort = function () {
        if (controller) controller.abort();
      };
      Object.defineProperty(window, EARLY, { __proto__: null, value: record, configurable: true, writable: true });
    } catch (e) { /* the entry requests it itself */ }
  }

  // Not taken by the entry (it failed first, or another copy runs): nobody needs it.
  function dropEarlyWasm() {
    try {
      var record = Object.prototype.hasOwnProperty.call(window, EARLY) ? window[EARLY] : null;
      delete window[EARLY];
      if (record && typeof record.abort === 'function') record.abort();
    } catch (e) { /* nothing to drop */ }
  }

  function start() {
    if (!script || !script.src) throw new Error('cannot find the cuekit script element (document.currentScript)');
    var entry = new URL('./index.js', script.src).href;
    var wasm = attr('wasm');
    var ms = timeoutMs();
    var options = { actions: registry, on: Object.create(null), wasmTimeout: ms };
    if (wasm) options.wasmUrl = resolveUrl(wasm);
    prefetchWasm(options.wasmUrl || new URL('../pkg/cuekit_bg.wasm', entry).href);
    // Both are started at once; Promise.all handles both rejections (no unhandled one).
    var module = within(import(entry), ms, 'the cuekit module ' + entry + ' did not load');
    return Promise.all([readConfig(ms), module]).then(function (parts) {
      var mod = parts[1];
      if (!mod || typeof mod.init !== 'function') throw new Error(entry + ' is not the cuekit module');
      // Subscriptions queued so far are in place before init's start-up page view, so
      // they hear the decisions made during init too; they leave the replay queue.
      var subs = [];
      queue = queue.filter(function (q) {
        if (q.method !== 'on') return true;
        if (!q.cancelled) subs.push(q);
        counted--;
        return false;
      });
      subs.forEach(function (q) {
        var event = q.args[0]; // a string (api.on)
        var handler = q.args[1];
        var wrapper = function (payload) {
          if (!q.cancelled) return handler(payload);
        };
        (options.on[event] = options.on[event] || []).push(wrapper);
        q.off = function () {
          if (instance && typeof instance.off === 'function') instance.off(event, wrapper);
        };
      });
      return mod.init(parts[0], options);
    }).then(function (ck) {
      instance = ck;
      // Started by someone else (npm init() before us): hand over the actions given so far.
      if (Object.keys(registry).length && typeof ck.actions === 'function') {
        try {
          ck.actions(registry);
        } catch (e) { /* ignored */ }
      }
      replay();
      resolveReady(api);
    });
  }

  try {
    start().then(dropEarlyWasm, function (err) {
      dropEarlyWasm();
      fail(err);
    });
  } catch (err) {
    dropEarlyWasm();
    fail(err);
  }
})();
