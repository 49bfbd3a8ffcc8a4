#!/usr/bin/env bash
# Setup, release build, then serve the demo (www/index.html) on http://127.0.0.1:${PORT:-8080}/
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SETUP_SKIP_BROWSER=1 bash scripts/setup.sh
export CUEKIT_SETUP_DONE=1
npm run build
export PORT="${PORT:-8080}"
exec node scripts/serve.mjs
