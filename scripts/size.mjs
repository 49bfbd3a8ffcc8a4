#!/usr/bin/env node
// Size report of what ships: raw, gzip -9 and brotli (quality 11) bytes per file and total.
//
//   node scripts/size.mjs           print the table
//   node scripts/size.mjs --check   also fail (exit 1) when the gzip total exceeds
//                                   size-budget.json's "gzipBytes"
//   node scripts/size.mjs --json    print the numbers as JSON instead of a table
import { readFileSync, readdirSync, existsSync, realpathSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const check = args.has('--check');
const asJson = args.has('--json');

/** The shipped files, relative to the repository root. */
export function shippedFiles(base = root) {
  const files = ['pkg/cuekit_bg.wasm', 'pkg/cuekit.js'];
  const jsDir = join(base, 'js');
  if (existsSync(jsDir)) {
    for (const name of readdirSync(jsDir).sort()) {
      if (/\.(m?js)$/.test(name)) files.push(`js/${name}`);
    }
  }
  return files;
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

function main() {
  const files = shippedFiles();
  const missing = files.filter((f) => !existsSync(join(root, f)));
  if (missing.length) {
    console.error(`[size] FAILED: missing ${missing.join(', ')}. Run "npm run build" first.`);
    process.exit(1);
  }
  const rows = files.map((file) => ({ file, ...measure(readFileSync(join(root, file))) }));
  const total = rows.reduce(
    (t, r) => ({ raw: t.raw + r.raw, gzip: t.gzip + r.gzip, brotli: t.brotli + r.brotli }),
    { raw: 0, gzip: 0, brotli: 0 },
  );

  const budgetFile = join(root, 'size-budget.json');
  const budget = existsSync(budgetFile) ? JSON.parse(readFileSync(budgetFile, 'utf8')).gzipBytes : undefined;

  if (asJson) {
    console.log(JSON.stringify({ files: rows, total, budget: { gzipBytes: budget ?? null } }, null, 2));
  } else {
    const fmt = (n) => n.toLocaleString('en-US');
    const width = Math.max(5, ...rows.map((r) => r.file.length));
    const line = (name, raw, gz, br) =>
      `${name.padEnd(width)}  ${raw.padStart(10)}  ${gz.padStart(10)}  ${br.padStart(10)}`;
    console.log(line('file', 'raw', 'gzip -9', 'brotli 11'));
    console.log('-'.repeat(width + 36));
    for (const r of rows) console.log(line(r.file, fmt(r.raw), fmt(r.gzip), fmt(r.brotli)));
    console.log('-'.repeat(width + 36));
    console.log(line('total', fmt(total.raw), fmt(total.gzip), fmt(total.brotli)));
    if (budget !== undefined) {
      const pct = ((100 * total.gzip) / budget).toFixed(1);
      console.log(`gzip budget: ${fmt(total.gzip)} of ${fmt(budget)} bytes (${pct}%)`);
    }
  }

  if (check) {
    if (typeof budget !== 'number' || !(budget > 0)) {
      console.error('[size] FAILED: size-budget.json must hold {"gzipBytes": <positive number>}.');
      process.exit(1);
    }
    if (total.gzip > budget) {
      console.error(
        `[size] FAILED: gzip total ${total.gzip} bytes exceeds the budget of ${budget} bytes ` +
          `by ${total.gzip - budget}. Shrink the build or raise size-budget.json with a reason.`,
      );
      process.exit(1);
    }
    console.log(`[size] ok: gzip total ${total.gzip} <= budget ${budget} bytes`);
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
