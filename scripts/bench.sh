#!/usr/bin/env bash
# Benchmarks: the rules engine natively (benches/engine.rs), then, in headless Chromium,
# scripts/bench-browser.mjs on the release package in pkg/: rule evaluation side by side
# with json-rules-engine, main-thread cost on a shop page, a 100,000-input flood, start-up,
# signal to pixels, and size next to peers' bundles. Each prints a table.
#   npm run bench                          everything
#   npm run bench -- --quick               shorter browser runs
#   npm run bench -- --no-native           skip cargo bench
#   npm run bench -- --only=rules,size     some browser sections (rules main flood startup pixels size)
# Any other argument goes to cargo. pkg/ is rebuilt (npm run build) only when it is
# missing or older than src/, Cargo.toml or Cargo.lock.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

cargo_args=()
browser_args=()
native=1
for arg in "$@"; do
	case "$arg" in
	--quick | --only=*) browser_args+=("$arg") ;;
	--no-native) native=0 ;;
	*) cargo_args+=("$arg") ;;
	esac
done

if [ "$native" = 1 ]; then
	cargo bench --bench engine ${cargo_args[@]+"${cargo_args[@]}"}
fi

wasm=pkg/cuekit_bg.wasm
if [ ! -f "$wasm" ]; then
	echo "[bench] pkg/ has no release build yet: npm run build"
	npm run build
elif [ -n "$(find src Cargo.toml Cargo.lock -newer "$wasm" -print -quit 2>/dev/null)" ]; then
	echo "[bench] pkg/ is older than the sources: npm run build"
	npm run build
else
	echo "[bench] pkg/ is up to date with src/: not rebuilding"
fi
if [ ! -d node_modules/json-rules-engine ] || [ ! -d node_modules/esbuild ]; then
	echo "[bench] installing the benchmark peers (npm ci)"
	npm ci --no-audit --no-fund
fi
node scripts/bench-browser.mjs ${browser_args[@]+"${browser_args[@]}"}
