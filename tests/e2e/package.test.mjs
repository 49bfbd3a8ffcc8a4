// The packed npm package, as a user gets it: `npm pack`, then `npm install <tarball>` into a
// fresh folder, served on its own (nothing from the repository is reachable). The package's
// files, its types, the ES module from node_modules, the script tag from node_modules, and a
// Vite build of a tiny app that imports 'cuekit'.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, writeFile, readFile, readdir, rm, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { startServer, REPO_ROOT } from '../../scripts/serve.mjs';
import { CHROMIUM_ARGS } from './harness.mjs';

const run = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const CONFIG = {
  storageKey: 'ck-package-test',
  rules: [{
    id: 'hello', trigger: 'go',
    action: { type: 'modal', title: 'Hello {{props.name|there}}', buttons: [{ label: 'Close', do: 'dismiss' }] },
  }],
};

let tmp; // everything the test writes
let app; // the consumer project: package.json + node_modules/cuekit from the tarball
let packed; // `npm pack --json` output for the tarball
let browser;
let server;
let base;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'cuekit-package-'));
  const { stdout } = await run(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], { cwd: REPO_ROOT });
  [packed] = JSON.parse(stdout);
  app = join(tmp, 'app');
  await mkdir(app);
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'cuekit-consumer', private: true, type: 'module' }));
  await run(npm, ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline', join(tmp, packed.filename)], { cwd: app });
  await writeFile(join(app, 'config.json'), JSON.stringify(CONFIG));
  await writeFile(join(app, 'module.html'), `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>npm module</title><link rel="icon" href="data:,"></head>
<body><p id="status">loading</p>
<script type="module">
  import { init } from '/node_modules/cuekit/js/index.js';
  const config = await (await fetch('/config.json')).json();
  window.ck = await init(config);
  document.getElementById('status').textContent = 'ready';
</script></body></html>`);
  await writeFile(join(app, 'script.html'), `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>script tag</title><link rel="icon" href="data:,">
<script src="/node_modules/cuekit/js/cuekit.script.js" data-config="/config.json" defer></script>
</head><body><p>script tag from the installed package</p></body></html>`);
  server = await startServer({ port: 0, root: app });
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  if (server) await new Promise((r) => server.close(r));
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function open(url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const seen = { warnings: [], errors: [], failed: [] };
  page.on('console', (m) => { if (m.type() === 'warning' || m.type() === 'error') seen.warnings.push(m.text()); });
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  page.on('response', (r) => { if (r.status() >= 400) seen.failed.push(`${r.status()} ${r.url()}`); });
  await page.goto(url);
  return { context, page, seen };
}

test('the tarball holds the bundled entry, the types, the script tag and the wasm, and no sources', async () => {
  const files = packed.files.map((f) => f.path);
  for (const f of ['package.json', 'README.md', 'js/index.js', 'js/index.d.ts', 'js/cuekit.script.js', 'pkg/cuekit_bg.wasm']) {
    assert.ok(files.includes(f), `${f} ships`);
  }
  // The entry is one self-contained module (the wasm-bindgen glue and its snippets are
  // bundled in): it imports no other file, so nothing it needs can be missing.
  const entry = await readFile(join(app, 'node_modules/cuekit/js/index.js'), 'utf8');
  assert.ok(entry.startsWith('//# allFunctionsCalledOnLoad\n'), 'the compile hint heads the entry');
  assert.deepEqual([...entry.matchAll(/\bfrom\s*["']([^"']+)["']/g)].map((m) => m[1]), [], 'no static imports');
  assert.ok(entry.includes('__wbindgen'), 'the glue is bundled in');
  const stray = files.filter((f) => /^(src|target|tests|www|scripts|benches|node_modules|js\/src)\//.test(f) || /^Cargo\./.test(f)
    || (f.startsWith('pkg/') && f !== 'pkg/cuekit_bg.wasm'));
  assert.deepEqual(stray, [], 'no sources or build output beyond the package');
  assert.equal(packed.entryCount, files.length);
});

test('the installed package resolves its types: init, the config and the script-tag global are declared', async () => {
  const pkg = JSON.parse(await readFile(join(app, 'node_modules/cuekit/package.json'), 'utf8'));
  const typesPath = join(app, 'node_modules/cuekit', pkg.exports['.'].types);
  await access(typesPath);
  assert.equal(pkg.types, pkg.exports['.'].types);
  const dts = await readFile(typesPath, 'utf8');
  assert.match(dts, /export function init\(config: Config, options\?: InitOptions\): Promise<Cuekit>;/);
  assert.match(dts, /interface Window \{[^}]*cuekit\?: CuekitGlobal;/s, 'window.cuekit is typed');
});

test('a plain ES-module page imports /node_modules/cuekit/js/index.js: init, track, the message renders', async () => {
  const { context, page, seen } = await open(`${base}/module.html`);
  await page.waitForSelector('#status:text("ready")', { timeout: 15000 });
  await page.evaluate(() => window.ck.track('go', { name: 'npm' }));
  await page.getByRole('dialog', { name: 'Hello npm' }).waitFor();
  assert.deepEqual(seen, { warnings: [], errors: [], failed: [] });
  await context.close();
});

test('the script tag from the installed package: the global works and the message renders', async () => {
  const { context, page, seen } = await open(`${base}/script.html`);
  assert.equal(await page.evaluate(() => window.cuekit.ready.then((ck) => ck.status)), 'ready');
  await page.evaluate(() => window.cuekit.track('go', { name: 'script tag' }));
  await page.getByRole('dialog', { name: 'Hello script tag' }).waitFor();
  assert.deepEqual(seen, { warnings: [], errors: [], failed: [] });
  await context.close();
});

test('a Vite production build (Vite\'s default settings) of an app that imports "cuekit": no warning, the wasm is emitted, the message renders', async () => {
  // The app lives in the consumer project, so 'cuekit' resolves to the installed tarball.
  await writeFile(join(app, 'index.html'), `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>vite app</title><link rel="icon" href="data:,"></head>
<body><p id="status">loading</p><script type="module" src="./main.js"></script></body></html>`);
  // No top-level await: Vite's default build target does not have it.
  await writeFile(join(app, 'main.js'), `import { init } from 'cuekit';
init(${JSON.stringify(CONFIG)}).then((ck) => {
  window.ck = ck;
  document.getElementById('status').textContent = 'ready';
});
`);
  const { build, createLogger } = await import('vite');
  const logger = createLogger('warn', { allowClearScreen: false });
  const logged = [];
  logger.warn = (msg) => logged.push(msg);
  logger.warnOnce = (msg) => logged.push(msg);
  logger.error = (msg) => logged.push(msg);
  const dist = join(tmp, 'vite-dist');
  await build({
    root: app, configFile: false, customLogger: logger,
    build: { outDir: dist, emptyOutDir: true },
  });
  // e.g. not: new URL("cuekit_bg.wasm", import.meta.url) doesn't exist at build time
  assert.deepEqual(logged, [], 'the build warns about nothing');
  assert.ok((await readdir(join(dist, 'assets'))).some((f) => f.endsWith('.wasm')), 'the .wasm is emitted');
  const dserver = await startServer({ port: 0, root: dist });
  try {
    const { context, page, seen } = await open(`${dserver.url}index.html`);
    await page.waitForSelector('#status:text("ready")', { timeout: 15000 });
    await page.evaluate(() => window.ck.track('go', { name: 'Vite' }));
    await page.getByRole('dialog', { name: 'Hello Vite' }).waitFor();
    assert.deepEqual(seen, { warnings: [], errors: [], failed: [] });
    await context.close();
  } finally {
    await new Promise((r) => dserver.close(r));
  }
});
