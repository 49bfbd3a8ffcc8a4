// A webhook receiver for the end-to-end tests: a tiny HTTP server on 127.0.0.1 that
// records every request and answers from a script.
//
//   import { startReceiver } from './receiver.mjs';
//   const rx = await startReceiver();            // port 0: any free port
//   rx.port; rx.url;                              // http://127.0.0.1:PORT
//   rx.failFirst(1, 500);                         // the next POST gets a 500
//   rx.respond({ status: 429, headers: { 'Retry-After': '2' } }, { delayMs: 5000 });
//   await rx.waitFor(2);                          // two POSTs recorded (or it throws)
//   rx.requests[0].json.event; rx.requests[1].contentType;
//   await rx.close();
//
// CORS: every answer carries `Access-Control-Allow-Origin: *` and exposes `Retry-After`
// (a cross-origin page cannot read it otherwise); OPTIONS preflights (for
// `Content-Type: application/json`) are answered 204 and counted, not recorded.
import { createServer } from 'node:http';

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST, OPTIONS',
  'Access-Control-Allow-Headers': 'content-type',
  'Access-Control-Expose-Headers': 'Retry-After',
  'Access-Control-Max-Age': '600',
};

const MAX_BODY = 1024 * 1024;

/**
 * Starts a receiver.
 * @param {{host?: string, port?: number}} [options]
 */
export async function startReceiver({ host = '127.0.0.1', port = 0 } = {}) {
  /** Recorded requests, in arrival order. */
  const requests = [];
  /** Answers for the next requests, used in order; then 200. */
  const script = [];
  let waiters = [];
  const state = { preflights: 0 };

  const notify = () => {
    const still = [];
    for (const w of waiters) {
      if (requests.length >= w.n) w.resolve(requests.slice());
      else still.push(w);
    }
    waiters = still;
  };

  const server = createServer((req, res) => {
    if (req.method === 'OPTIONS') {
      state.preflights += 1;
      res.writeHead(204, CORS);
      res.end();
      return;
    }
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json = null;
      try {
        json = JSON.parse(body);
      } catch {
        json = null;
      }
      const answer = script.length ? script.shift() : { status: 200 };
      requests.push({
        method: req.method,
        path: req.url,
        headers: req.headers,
        contentType: req.headers['content-type'] || '',
        cookie: req.headers.cookie || null,
        body,
        json,
        at: Date.now(),
        answeredWith: answer.status ?? 200,
      });
      notify();
      const reply = () => {
        if (res.destroyed) return;
        res.writeHead(answer.status ?? 200, { ...CORS, ...(answer.headers || {}) });
        res.end(answer.body ?? '');
      };
      if (answer.delayMs) setTimeout(reply, answer.delayMs);
      else reply();
    });
    req.on('error', () => {});
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = server.address().port;

  return {
    port: actual,
    url: `http://${host}:${actual}`,
    requests,
    get preflights() {
      return state.preflights;
    },
    /** Queues answers ({status, headers, body, delayMs}) for the next requests. */
    respond(...answers) {
      script.push(...answers);
    },
    /** The next `n` requests get `status` (500 unless told) with `headers`. */
    failFirst(n, status = 500, headers = {}) {
      for (let i = 0; i < n; i++) script.push({ status, headers });
    },
    /** Resolves with the requests once `n` have arrived; rejects after `timeoutMs`. */
    waitFor(n, timeoutMs = 10_000) {
      if (requests.length >= n) return Promise.resolve(requests.slice());
      return new Promise((resolve, reject) => {
        const w = { n, resolve: (r) => { clearTimeout(timer); resolve(r); } };
        const timer = setTimeout(() => {
          waiters = waiters.filter((x) => x !== w);
          reject(new Error(`receiver: waited ${timeoutMs} ms for ${n} request(s), got ${requests.length}`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    /** Stops listening and drops open connections. */
    close() {
      for (const w of waiters) w.resolve(requests.slice());
      waiters = [];
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
    },
  };
}
