#!/usr/bin/env bash
# Native benchmarks of the rules engine (benches/engine.rs). Extra arguments go to cargo.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
cargo bench --bench engine "$@"
