#!/usr/bin/env node
// What pages load besides the .wasm, built from js/src/ (run by scripts/build.sh after
// wasm-pack):
//   js/index.js          the npm entry: js/src/index.js bundled with the wasm-bindgen glue
//                        (pkg/cuekit.js) and its snippets into one minified ES module;
//   js/cuekit.script.js  the script-tag loader, minified (it imports ./index.js itself).
//
// The glue imports each snippet as a namespace (`import * as import1 from
// "./snippets/…"`). Bundled as is, esbuild would rebuild those namespaces with a helper
// that walks an object literal with `for…in`, so a page that added an enumerable property
// to Object.prototype before cuekit loaded would break the module (the reliability suite's
// prototype-pollution cases). Here each namespace import becomes named imports gathered in
// a null-prototype object, and the build fails if such a helper is still emitted.
//
// The entry starts with V8's compile hint `//# allFunctionsCalledOnLoad` (Chrome 136+; a
// plain comment elsewhere): its functions are compiled while the .wasm downloads instead
// of one by one on their first call during init() (README "Start-up").
import { build } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

const namespaceFree = {
  name: 'namespace-free-snippets',
  setup(b) {
    b.onLoad({ filter: /[\\/]pkg[\\/]cuekit\.js$/ }, (args) => {
      let text = readFileSync(args.path, 'utf8');
      text = text.replace(/^import \* as ([\w$]+) from "(\.\/snippets\/[^"]+)";?$/gm, (_, local, path) => {
        const snippet = readFileSync(join(dirname(args.path), path), 'utf8');
        const names = [...snippet.matchAll(/^export (?:async )?function\s+([\w$]+)/gm)].map((m) => m[1]);
        if (names.length === 0) throw new Error(`${path}: no exported functions found`);
        const imported = names.map((n) => `${n} as ${local}_${n}`).join(', ');
        const fields = names.map((n) => `${n}: ${local}_${n}`).join(', ');
        return `import { ${imported} } from "${path}";\nconst ${local} = { __proto__: null, ${fields} };`;
      });
      if (/^import \* as /m.test(text)) throw new Error('pkg/cuekit.js: a namespace import is left');
      // The glue's own default, new URL('cuekit_bg.wasm', import.meta.url), would point next
      // to js/index.js, where there is no .wasm: bundlers that emit such assets (Vite)
      // warn on every build that it does not exist. js/src/index.js always passes the
      // source, so the default is never used: it goes.
      const fallback = /module_or_path = new URL\('cuekit_bg\.wasm', import\.meta\.url\);/;
      if (!fallback.test(text)) throw new Error('pkg/cuekit.js: the default wasm URL was not found (wasm-bindgen changed?)');
      text = text.replace(fallback, "throw new Error('cuekit: no WebAssembly source given');");
      return { contents: text, loader: 'js' };
    });
  },
};

const entry = await build({
  entryPoints: ['js/src/index.js'],
  bundle: true,
  minify: true,
  format: 'esm',
  legalComments: 'none',
  write: false,
  logLevel: 'error',
  plugins: [namespaceFree],
});
const code = entry.outputFiles[0].text;
if (/for\s*\(\s*var\s+[\w$]+\s+in\s+[\w$]+\s*\)\s*[\w$]+\(\s*[\w$]+\s*,\s*[\w$]+\s*,\s*\{\s*get\s*:/.test(code)) {
  throw new Error('js/index.js: the bundle rebuilds a module namespace with for…in (see the comment at the top)');
}
writeFileSync('js/index.js', `//# allFunctionsCalledOnLoad\n${code}`);

const loader = await build({
  entryPoints: ['js/src/cuekit.script.js'],
  minify: true,
  legalComments: 'inline',
  write: false,
  logLevel: 'error',
});
writeFileSync('js/cuekit.script.js', loader.outputFiles[0].text);
console.log('[build] js/index.js (js/src/index.js + pkg/cuekit.js, bundled), js/cuekit.script.js (minified)');
