#!/usr/bin/env bash
# Release build of the wasm package into pkg/ (pkg/cuekit_bg.wasm, pkg/cuekit.js,
# pkg/cuekit.d.ts), then a size report.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# node_modules/.bin first: wasm-pack must find binaryen's wasm-opt from npm (see setup.sh),
# not an older one on the system.
export PATH="$PWD/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# scripts/test.sh and scripts/start.sh run setup themselves and set CUEKIT_SETUP_DONE=1.
if [ "${CUEKIT_SETUP_DONE:-0}" != 1 ]; then
	SETUP_SKIP_BROWSER=1 bash scripts/setup.sh
fi

echo "[build] wasm-pack build --release --target web --out-dir pkg --out-name cuekit ($(wasm-opt --version))"
wasm-pack build --release --target web --out-dir pkg --out-name cuekit
# wasm-pack writes a pkg/.gitignore of "*", which would keep pkg/snippets/ (the history
# hook's JS) out of `npm pack`, and a copy of the README the package already has.
rm -f pkg/.gitignore pkg/README.md
# The generated glue and snippets ship minified (−3.7 KB gzipped): whitespace, comments and
# local names only; exported names and the import object's keys are kept.
# Each then starts with V8's compile hint `//# allFunctionsCalledOnLoad` (Chrome 136+;
# a plain comment elsewhere): its functions are compiled while the .wasm downloads instead
# of one by one on their first call during init() (measured: about 15 ms less from the last
# wasm byte to ready, see README "Start-up"). js/index.js carries the same first line.
for f in pkg/cuekit.js pkg/snippets/*/*.js; do
	esbuild "$f" --minify --format=esm --log-level=error --allow-overwrite --outfile="$f"
	{ echo '//# allFunctionsCalledOnLoad'; cat "$f"; } > "$f.tmp" && mv "$f.tmp" "$f"
done
node scripts/size.mjs
