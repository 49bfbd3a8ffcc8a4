#!/usr/bin/env bash
# Release build: the wasm package into pkg/ (pkg/cuekit_bg.wasm and its glue), then what
# ships and what pages load: js/index.js (the npm entry: js/src/index.js bundled with the
# glue into one minified module) and js/cuekit.script.js (the script-tag loader, minified),
# then a size report.
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
# wasm-pack writes a pkg/.gitignore of "*" and a copy of the README: neither is wanted
# (the inline JS snippets in pkg/snippets/ are bundled into js/index.js below).
rm -f pkg/.gitignore pkg/README.md
# The npm entry and the script-tag loader, from js/src/ (see scripts/bundle.mjs).
node scripts/bundle.mjs
node scripts/size.mjs
