// Shared set-up for the end-to-end tests: the demo server on a free port and Debian's
// Chromium driven by playwright-core (browser downloads do not work here).
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';
import { startServer } from '../../scripts/serve.mjs';

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

/** Starts the server and the browser; `close()` stops both. */
export async function openEnv() {
  const server = await startServer({ port: 0 });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
  return {
    server,
    browser,
    base: `http://127.0.0.1:${server.address().port}`,
    async close() {
      await browser.close();
      await new Promise((r) => server.close(r));
    },
  };
}

/**
 * Registers before/after hooks for a test file: `ready` receives `{browser, base}` once
 * the server and browser are up; both are closed after the file's tests.
 */
export function useEnv(ready) {
  let env;
  before(async () => {
    env = await openEnv();
    ready(env);
  });
  after(() => env?.close());
}
