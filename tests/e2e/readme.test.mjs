// The README's snippets, taken from README.md itself and run as a new user pastes them, so
// the text cannot drift from what works: the npm quick start built by Vite with its
// default settings from the packed package (no warning, the page works), the script-tag
// quick start's snippets on pages of their own, and every JSON config or rule in the README
// through validate().
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, writeFile, readFile, readdir, rm, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { startServer, REPO_ROOT } from '../../scripts/serve.mjs';
import { CHROMIUM_ARGS } from './harness.mjs';

const run = promisify(execFile);
const README = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');

/** The text of a README section: from its heading to the next heading of its level or higher. */
function section(heading) {
  const start = README.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `README has "${heading}"`);
  const level = heading.match(/^#+/)[0].length;
  const rest = README.slice(start + heading.length + 2);
  const next = rest.search(new RegExp(`^#{1,${level}} `, 'm'));
  return next < 0 ? rest : rest.slice(0, next);
}

/** The fenced code blocks of `text` in the language `lang`, with their line in the README. */
function blocks(text, lang) {
  return [...text.matchAll(new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map((m) => ({
    code: m[1],
    line: README.slice(0, README.indexOf(m[0])).split('\n').length,
  }));
}

let tmp;
let site; // a static site with the package's files under /cuekit/, as the quick start says
let app; // a consumer project with the packed package installed
let browser;
let server;
let base;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'cuekit-readme-'));
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], { cwd: REPO_ROOT });
  const [packed] = JSON.parse(stdout);
  app = join(tmp, 'app');
  await mkdir(app);
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'readme-app', private: true, type: 'module' }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline', join(tmp, packed.filename)], { cwd: app });
  site = join(tmp, 'site');
  for (const dir of ['js', 'pkg']) await cp(join(app, 'node_modules/cuekit', dir), join(site, 'cuekit', dir), { recursive: true });
  await writeFile(join(site, 'cuekit.json'), JSON.stringify({
    rules: [
      { id: 'pro-view', trigger: 'product_view', if: { plan: 'pro' }, action: { type: 'toast', title: 'Pro view of {{props.sku}}' } },
      { id: 'any-view', trigger: 'product_view' },
    ],
  }));
  server = await startServer({ port: 0, root: site });
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  if (server) await new Promise((r) => server.close(r));
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Opens a page made of README snippets on the site; records logs, errors, rejections. */
async function openSnippetPage(name, headHtml, bodyHtml = '') {
  await writeFile(join(site, name), `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${name}</title><link rel="icon" href="data:,">
${headHtml}</head><body><main><h1>README snippet</h1></main>
${bodyHtml}</body></html>`);
  const context = await browser.newContext();
  await context.addInitScript(() => {
    window.rejections = [];
    window.addEventListener('unhandledrejection', (e) => window.rejections.push(String(e.reason)));
  });
  const page = await context.newPage();
  const seen = { logs: [], warnings: [], errors: [] };
  page.on('console', (m) => {
    if (m.type() === 'log') seen.logs.push(m.text());
    if (m.type() === 'warning' || m.type() === 'error') seen.warnings.push(m.text());
  });
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  await page.goto(`${base}/${name}`);
  return { context, page, seen };
}

const scriptTag = () => {
  const html = blocks(section('## Quick start (script tag)'), 'html');
  assert.equal(html.length, 4, 'the script-tag quick start has its four HTML snippets');
  return html;
};

test('README script tag: the loader snippet, then the calls snippet, as pasted: no "cuekit is not defined", the queued calls replay in order, ready logs "ready"', async () => {
  const [loader, , calls] = scriptTag();
  const { context, page, seen } = await openSnippetPage('quick-start.html', loader.code, calls.code);
  await page.getByRole('status').filter({ hasText: 'Pro view of mug-1' }).waitFor({ timeout: 15000 });
  await page.waitForFunction(() => window.cuekit.status !== 'loading');
  assert.deepEqual(seen.errors, [], `README line ${calls.line}: no page error`);
  assert.ok(seen.logs.includes('ready'), `ready.then logged the status: ${seen.logs.join(' | ')}`);
  assert.ok(seen.logs.includes('shown pro-view'), `identify() was replayed before track(): ${seen.logs.join(' | ')}`);
  assert.deepEqual(seen.warnings, []);
  assert.deepEqual(await page.evaluate(() => window.rejections), []);
  await context.close();
});

test('README script tag: the inline-config snippet with the calls snippet works as pasted', async () => {
  const [, inline, calls] = scriptTag();
  const { context, page, seen } = await openSnippetPage('inline-config.html', inline.code, calls.code);
  assert.equal(await page.evaluate(() => window.cuekit.ready.then((c) => c.status)), 'ready');
  await page.evaluate(() => window.cuekit.track('go'));
  await page.getByRole('status').filter({ hasText: 'Hi' }).waitFor();
  assert.deepEqual(seen.errors, [], `README line ${inline.line}`);
  assert.deepEqual(seen.warnings, []);
  await context.close();
});

test('README script tag: the defer snippet with a module script works as pasted', async () => {
  const [, , , deferred] = scriptTag();
  const { context, page, seen } = await openSnippetPage('defer.html', deferred.code);
  assert.equal(await page.evaluate(() => window.cuekit.ready.then((c) => c.status)), 'ready');
  await page.waitForFunction(() => window.cuekit.explain('any-view')?.fired === 1);
  assert.deepEqual(seen.errors, [], `README line ${deferred.line}`);
  assert.ok(seen.logs.includes('ready'), seen.logs.join(' | '));
  assert.deepEqual(seen.warnings, []);
  await context.close();
});

test('README npm quick start: built by Vite with its default settings from the packed package, with no warning; 60 s later the modal opens', { timeout: 120_000 }, async () => {
  const [snippet] = blocks(section('## Quick start (npm)'), 'js');
  await writeFile(join(app, 'main.js'), snippet.code);
  await writeFile(join(app, 'index.html'), `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>vite readme app</title><link rel="icon" href="data:,"></head>
<body><main><h1>Blue Mug</h1></main><script type="module" src="./main.js"></script></body></html>`);
  const { build, createLogger } = await import('vite');
  const logger = createLogger('warn', { allowClearScreen: false });
  const logged = [];
  logger.warn = (msg) => logged.push(`warn: ${msg}`);
  logger.warnOnce = (msg) => logged.push(`warn: ${msg}`);
  logger.error = (msg) => logged.push(`error: ${msg}`);
  const dist = join(tmp, 'vite-dist');
  await build({ root: app, configFile: false, customLogger: logger, build: { outDir: dist, emptyOutDir: true } });
  assert.deepEqual(logged, [], `README line ${snippet.line}: the build warns about nothing`);
  const assets = await readdir(join(dist, 'assets'));
  assert.ok(assets.some((f) => f.endsWith('.wasm')), `the .wasm is emitted: ${assets.join(', ')}`);
  const dserver = await startServer({ port: 0, root: dist });
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'warning' || m.type() === 'error') errors.push(m.text()); });
    await page.clock.install({ time: new Date('2026-12-01T10:00:00Z') });
    await page.goto(`${dserver.url}index.html`);
    const modal = page.getByRole('dialog', { name: 'Questions about Blue Mug?' });
    for (let s = 0; s < 30 && (await modal.count()) === 0; s += 1) {
      await page.clock.runFor(5000);
      await page.waitForTimeout(50);
    }
    await modal.waitFor();
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await new Promise((r) => dserver.close(r));
  }
});

test('README: every JSON config and rule in it is valid (validate() returns no problem)', async () => {
  const snippets = blocks(README, 'json');
  assert.ok(snippets.length >= 20, `${snippets.length} JSON snippets`);
  const configs = snippets.map(({ code, line }) => {
    const v = JSON.parse(code);
    // A rule alone goes into a config's rules; a fragment (e.g. a webhook) is a config.
    if (Array.isArray(v.rules)) return { line, config: v };
    if (typeof v.id === 'string') return { line, config: { rules: [v] } };
    return { line, config: { ...v, rules: [] } };
  });
  const { context, page } = await openSnippetPage('validate.html', '');
  const problems = await page.evaluate(async (list) => {
    const { validate } = await import('/cuekit/js/index.js');
    const out = [];
    for (const { line, config } of list) out.push({ line, problems: await validate(config) });
    return out;
  }, configs);
  assert.deepEqual(problems.filter((p) => p.problems.length), []);
  await context.close();
});
