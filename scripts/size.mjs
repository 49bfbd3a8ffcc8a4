#!/usr/bin/env node
// Size report of what ships: raw, gzip -9 and brotli (quality 11) bytes per file and per
// entry point (what one page loads).
//
//   node scripts/size.mjs           print the table
//   node scripts/size.mjs --check   also fail (exit 1) when an entry's gzip total exceeds
//                                   size-budget.json's "gzipBytes"
//   node scripts/size.mjs --json    print the numbers as JSON instead of a table
//
// Entry points (ENTRIES below; add one line per new way of loading cuekit):
//   npm     js/index.js (the entry bundled with the wasm-bindgen glue) → pkg/cuekit_bg.wasm
//   script  js/cuekit.script.js, which imports the npm entry (so: everything above too);
//           counted only when the file exists.
import { readFileSync, existsSync, realpathSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** What a page loads, per entry point: `{name, files, optional}`. */
export const ENTRIES = [
  {
    name: 'npm (import "cuekit")',
    files: () => ['js/index.js', 'pkg/cuekit_bg.wasm'],
  },
  {
    name: 'script tag (js/cuekit.script.js)',
    optional: 'js/cuekit.script.js',
    // The loader imports js/index.js with import(), which loads the wasm: a page with the
    // script tag loads all of them.
    files: (base) => ['js/cuekit.script.js', ...ENTRIES[0].files(base)],
  },
];

/** The entries that exist now, with their file lists. */
export function entries(base = root) {
  return ENTRIES.filter((e) => !e.optional || existsSync(join(base, e.optional)))
    .map((e) => ({ name: e.name, files: e.files(base) }));
}

/** Every shipped file (union of the entries), relative to the repository root. */
export function shippedFiles(base = root) {
  return [...new Set(entries(base).flatMap((e) => e.files))];
}

export function measure(buf) {
  return {
    raw: buf.length,
    gzip: gzipSync(buf, { level: 9 }).length,
    brotli: brotliCompressSync(buf, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 11,
        [constants.BROTLI_PARAM_SIZE_HINT]: buf.length,
      },
    }).length,
  };
}

/** Per-file and per-entry numbers (each file compressed on its own, as a server sends it). */
export function report(base = root) {
  const list = entries(base);
  const missing = shippedFiles(base).filter((f) => !existsSync(join(base, f)));
  if (missing.length) return { missing };
  const byFile = new Map();
  for (const f of shippedFiles(base)) byFile.set(f, { file: f, ...measure(readFileSync(join(base, f))) });
  const sum = (rows) => rows.reduce(
    (t, r) => ({ raw: t.raw + r.raw, gzip: t.gzip + r.gzip, brotli: t.brotli + r.brotli }),
    { raw: 0, gzip: 0, brotli: 0 },
  );
  return {
    entries: list.map((e) => {
      const rows = e.files.map((f) => byFile.get(f));
      return { name: e.name, files: rows, total: sum(rows) };
    }),
  };
}

export const fmt = (n) => n.toLocaleString('en-US');

function main() {
  const args = new Set(process.argv.slice(2));
  const check = args.has('--check');
  const asJson = args.has('--json');
  const r = report();
  if (r.missing) {
    console.error(`[size] FAILED: missing ${r.missing.join(', ')}. Run "npm run build" first.`);
    process.exit(1);
  }
  const budgetFile = join(root, 'size-budget.json');
  const budgetJson = existsSync(budgetFile) ? JSON.parse(readFileSync(budgetFile, 'utf8')) : {};
  const budget = budgetJson.gzipBytes;
  const target = budgetJson.targetGzipBytes;

  if (asJson) {
    console.log(JSON.stringify({ ...r, budget: { gzipBytes: budget ?? null, targetGzipBytes: target ?? null } }, null, 2));
  } else {
    const width = Math.max(5, ...r.entries.flatMap((e) => e.files.map((f) => f.file.length + 2)));
    const line = (name, raw, gz, br) =>
      `${name.padEnd(width)}  ${raw.padStart(10)}  ${gz.padStart(10)}  ${br.padStart(10)}`;
    for (const e of r.entries) {
      console.log(`${e.name}`);
      console.log(line('  file', 'raw', 'gzip -9', 'brotli 11'));
      console.log('-'.repeat(width + 36));
      for (const f of e.files) console.log(line(`  ${f.file}`, fmt(f.raw), fmt(f.gzip), fmt(f.brotli)));
      console.log('-'.repeat(width + 36));
      console.log(line('  total', fmt(e.total.raw), fmt(e.total.gzip), fmt(e.total.brotli)));
      if (budget !== undefined) {
        const pct = ((100 * e.total.gzip) / budget).toFixed(1);
        const tgt = target ? `; target ${fmt(target)} bytes: ${e.total.gzip <= target ? 'met' : `MISSED (${(e.total.gzip / target).toFixed(1)}×)`}` : '';
        console.log(`  gzip budget: ${fmt(e.total.gzip)} of ${fmt(budget)} bytes (${pct}%)${tgt}`);
      }
      console.log('');
    }
  }

  if (check) {
    if (typeof budget !== 'number' || !(budget > 0)) {
      console.error('[size] FAILED: size-budget.json must hold {"gzipBytes": <positive number>}.');
      process.exit(1);
    }
    let failed = false;
    for (const e of r.entries) {
      if (e.total.gzip > budget) {
        failed = true;
        console.error(
          `[size] FAILED: ${e.name}: gzip total ${e.total.gzip} bytes exceeds the budget of ${budget} bytes ` +
            `by ${e.total.gzip - budget}. Shrink the build or raise size-budget.json with a reason.`,
        );
      }
    }
    if (failed) process.exit(1);
    console.log(`[size] ok: ${r.entries.map((e) => `${e.name} ${e.total.gzip}`).join(', ')} <= budget ${budget} bytes (gzip)`);
  }
}

function isMain() {
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) main();
