#!/usr/bin/env bash
# Benchmarks: the rules engine natively (benches/engine.rs), then cuekit's main-thread cost
# in headless Chromium (scripts/bench-browser.mjs, on the release package in pkg/).
#   npm run bench                 10 s per browser scenario
#   npm run bench -- --quick      2 s per browser scenario
# `--quick` goes to the browser bench; any other argument goes to cargo.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

cargo_args=()
browser_args=()
for arg in "$@"; do
	case "$arg" in
	--quick) browser_args+=("$arg") ;;
	*) cargo_args+=("$arg") ;;
	esac
done

cargo bench --bench engine ${cargo_args[@]+"${cargo_args[@]}"}

if [ ! -f pkg/cuekit_bg.wasm ]; then
	echo "[bench] pkg/ has no release build yet: npm run build"
	npm run build
fi
node scripts/bench-browser.mjs ${browser_args[@]+"${browser_args[@]}"}
