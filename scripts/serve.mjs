#!/usr/bin/env node
// A tiny zero-dependency static server for the demo and the end-to-end tests.
//
//   node scripts/serve.mjs                 serves the repository root on 127.0.0.1:$PORT (8080)
//   import { startServer } from './scripts/serve.mjs';
//   const server = await startServer({ port: 0 });   // port 0: any free port
//   server.address().port; server.url;  ...  await new Promise((r) => server.close(r));
//
// "/" serves /www/index.html. Only files inside the root are served (no traversal, no
// dot-files such as .git); everything else is a 404. Responses are never cached.
import { createServer } from 'node:http';
import { createReadStream, realpathSync } from 'node:fs';
import { stat, realpath } from 'node:fs/promises';
import { extname, join, resolve, sep, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};

function send(res, status, text) {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(`${status} ${text}\n`);
}

function isInside(root, p) {
  return p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * Maps a request URL to a file path inside `root`, or null when it must not be served.
 * @param {string} root absolute, real path of the served folder
 * @param {string} url the request's URL (path and query)
 */
export function resolveRequestPath(root, url) {
  let pathname;
  try {
    pathname = decodeURIComponent(new URL(url, 'http://localhost').pathname);
  } catch {
    return null;
  }
  // A raw "/../" in the request line is normalised away by URL(); check the raw one too.
  const raw = url.split('?')[0].split('#')[0];
  if (/(^|[\\/])\.\.([\\/]|$)/.test(raw) || pathname.includes('\0') || pathname.includes('\\')) return null;
  if (pathname === '/') pathname = '/www/index.html';
  const segments = pathname.split('/').filter(Boolean);
  // No "..", and no dot-files or dot-folders (.git, .ci, .env).
  if (segments.some((s) => s.startsWith('.'))) return null;
  const file = resolve(root, ...segments);
  return isInside(root, file) ? file : null;
}

// The demo shop's webhook sink: POST /demo-webhook logs one line and answers 204.
function demoWebhook(req, res) {
  let size = 0;
  const chunks = [];
  req.on('data', (c) => {
    size += c.length;
    if (size <= 65536) chunks.push(c);
  });
  req.on('end', () => {
    let line = Buffer.concat(chunks).toString('utf8');
    try {
      const body = JSON.parse(line);
      line = `${body.event ?? '?'} ${JSON.stringify(body.properties ?? {})}`;
    } catch { /* not JSON: log it as it came */ }
    if (!process.env.SERVE_QUIET) console.log(`[serve] demo webhook: ${line.slice(0, 500)}`);
    res.writeHead(204, { 'Cache-Control': 'no-store' });
    res.end();
  });
}

async function handle(root, req, res) {
  if (req.method === 'POST' && (req.url ?? '').split('?')[0] === '/demo-webhook') return demoWebhook(req, res);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return send(res, 405, 'Method Not Allowed');
  }
  let file = resolveRequestPath(root, req.url ?? '/');
  if (!file) return send(res, 404, 'Not Found');
  let info;
  try {
    info = await stat(file);
    if (info.isDirectory()) {
      const { pathname, search } = new URL(req.url ?? '/', 'http://localhost');
      if (!pathname.endsWith('/')) {
        // So that the page's relative URLs resolve inside the folder.
        res.writeHead(301, { Location: `${pathname}/${search}`, 'Cache-Control': 'no-store' });
        return res.end();
      }
      file = join(file, 'index.html');
      info = await stat(file);
    }
    // Symlinks must not lead out of the root either.
    if (!isInside(root, await realpath(file))) return send(res, 404, 'Not Found');
  } catch {
    return send(res, 404, 'Not Found');
  }
  if (!info.isFile()) return send(res, 404, 'Not Found');
  const headers = {
    'Content-Type': MIME_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': info.size,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  };
  // Benchmark pages are cross-origin isolated: performance.now() then has a 5 µs step
  // instead of 100 µs, fine enough to time one event.
  if (/^\/www\/bench[^/]*\.html$/.test(new URL(req.url ?? '/', 'http://localhost').pathname)) {
    headers['Cross-Origin-Opener-Policy'] = 'same-origin';
    headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
  }
  res.writeHead(200, headers);
  if (req.method === 'HEAD') return res.end();
  const stream = createReadStream(file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

/**
 * Starts the server. Resolves once it listens; `server.address().port` is the real port
 * (useful with port 0) and `server.url` is its base URL, e.g. "http://127.0.0.1:41234/".
 * @param {{ port?: number, host?: string, root?: string }} [options]
 * @returns {Promise<import('node:http').Server & { url: string }>}
 */
export function startServer({ port = 8080, host = '127.0.0.1', root = REPO_ROOT } = {}) {
  const realRoot = realpathSync(resolve(root));
  const server = createServer((req, res) => {
    handle(realRoot, req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'Internal Server Error');
      else res.destroy();
    });
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const { port: actual } = server.address();
      const shownHost = host.includes(':') ? `[${host}]` : host;
      server.url = `http://${shownHost}:${actual}/`;
      resolvePromise(server);
    });
  });
}

function isMain() {
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  const port = Number.parseInt(process.env.PORT ?? '8080', 10);
  const host = process.env.HOST || '127.0.0.1';
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`[serve] FAILED: PORT must be a number 0–65535, got "${process.env.PORT}".`);
    process.exit(1);
  }
  try {
    const server = await startServer({ port, host });
    console.log(`[serve] cuekit demo: ${server.url}  (serving ${REPO_ROOT}; Ctrl-C to stop)`);
    const stop = () => {
      server.close(() => process.exit(0));
      server.closeAllConnections();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  } catch (err) {
    const hint = err.code === 'EADDRINUSE' ? ` Port ${port} is taken: try PORT=${port + 1} npm start.` : '';
    console.error(`[serve] FAILED: cannot listen on ${host}:${port}: ${err.message}.${hint}`);
    process.exit(1);
  }
}
