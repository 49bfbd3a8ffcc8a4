#!/usr/bin/env node
// Size, side by side: what a page loads for cuekit (scripts/size.mjs's entry points) next
// to peers' published browser bundles, all measured the same way (raw, gzip -9, brotli 11,
// node:zlib, each file compressed on its own).
//
//   node scripts/bench-size.mjs          the table
//   node scripts/bench-size.mjs --json   the numbers
//
// Peers are exact devDependencies (package.json). Where a peer publishes a browser bundle
// it is measured as published; json-rules-engine and @braze/web-sdk publish only modules,
// so they are bundled here with esbuild (minified, browser platform, ES module output).
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { report, measure, fmt } from './size.mjs';
import { REPO_ROOT as root } from './serve.mjs';

const require = createRequire(join(root, 'package.json'));
const version = (name) => JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;

/** json-rules-engine is CommonJS: re-export its API explicitly (`export *` of CJS is empty). */
export const JRE_ENTRY = "import * as jre from 'json-rules-engine'; export const { Engine, Rule, Operator, Fact, Almanac } = jre;";

export async function esbuildBundle(contents, resolveDir = root) {
  const esbuild = await import('esbuild');
  const out = await esbuild.build({
    stdin: { contents, resolveDir, loader: 'js' },
    bundle: true, minify: true, platform: 'browser', format: 'esm', target: 'es2020',
    write: false, legalComments: 'none', logLevel: 'silent',
  });
  return Buffer.from(out.outputFiles[0].contents);
}

/** Each peer: `{name, what, files: [{label, buf}]}`. */
export async function peers() {
  const nm = (...p) => join(root, 'node_modules', ...p);
  const file = (label, ...p) => ({ label, buf: readFileSync(nm(...p)) });
  const list = [];
  list.push({
    name: `posthog-js ${version('posthog-js')}`,
    what: 'published dist/array.js (core) + dist/surveys.js (the surveys extension it lazy-loads)',
    files: [file('dist/array.js', 'posthog-js', 'dist', 'array.js'), file('dist/surveys.js', 'posthog-js', 'dist', 'surveys.js')],
  });
  list.push({
    name: `@growthbook/growthbook ${version('@growthbook/growthbook')}`,
    what: 'published dist/bundles/index.min.js',
    files: [file('dist/bundles/index.min.js', '@growthbook/growthbook', 'dist', 'bundles', 'index.min.js')],
  });
  list.push({
    name: `json-rules-engine ${version('json-rules-engine')}`,
    what: 'esbuild --bundle --minify --platform=browser of the package (no published browser bundle)',
    files: [{ label: 'esbuild bundle', buf: await esbuildBundle(JRE_ENTRY) }],
  });
  list.push({
    name: `@braze/web-sdk ${version('@braze/web-sdk')}`,
    what: 'esbuild --bundle --minify --platform=browser of the whole package (npm ships ES modules only; the CDN braze.min.js is not reachable offline)',
    files: [{ label: 'esbuild bundle', buf: await esbuildBundle("export * from '@braze/web-sdk';") }],
  });
  return list.map((p) => {
    const rows = p.files.map((f) => ({ file: f.label, ...measure(f.buf) }));
    const total = rows.reduce((t, r) => ({ raw: t.raw + r.raw, gzip: t.gzip + r.gzip, brotli: t.brotli + r.brotli }), { raw: 0, gzip: 0, brotli: 0 });
    return { name: p.name, what: p.what, files: rows, total };
  });
}

export async function sizeTable() {
  const ours = report();
  if (ours.missing) throw new Error(`missing ${ours.missing.join(', ')} (npm run build)`);
  const budget = JSON.parse(readFileSync(join(root, 'size-budget.json'), 'utf8'));
  const rows = [
    ...ours.entries.map((e) => ({ name: `cuekit — ${e.name}`, what: e.files.map((f) => f.file).join(' + '), total: e.total, ours: true })),
    ...(await peers()),
  ];
  return { rows, targetGzipBytes: budget.targetGzipBytes, budgetGzipBytes: budget.gzipBytes };
}

export function formatSizeTable({ rows, targetGzipBytes }) {
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  const head = ['bundle', 'raw', 'gzip -9', 'brotli 11', 'files'];
  const body = rows.map((r) => [r.name, `${fmt(r.total.raw)} (${kb(r.total.raw)})`, `${fmt(r.total.gzip)} (${kb(r.total.gzip)})`,
    `${fmt(r.total.brotli)} (${kb(r.total.brotli)})`, r.what]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (c) => `| ${c.map((x, i) => (i === 0 || i === 4 ? x.padEnd(w[i]) : x.padStart(w[i]))).join(' | ')} |`;
  const out = [line(head), `|${w.map((n, i) => (i === 0 || i === 4 ? ':' + '-'.repeat(n + 1) : '-'.repeat(n + 1) + ':')).join('|')}|`, ...body.map(line)];
  for (const r of rows.filter((x) => x.ours)) {
    const ok = r.total.gzip <= targetGzipBytes;
    out.push(`  ${r.name}: ${fmt(r.total.gzip)} bytes gzip; target ≤ ${fmt(targetGzipBytes)} (30 KB): ${ok ? 'met' : `MISSED (${(r.total.gzip / targetGzipBytes).toFixed(1)}× over)`}`);
  }
  return out.join('\n');
}

function isMain() {
  return process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop());
}

if (isMain()) {
  const t = await sizeTable();
  if (process.argv.includes('--json')) console.log(JSON.stringify(t, null, 2));
  else console.log(formatSizeTable(t));
}
