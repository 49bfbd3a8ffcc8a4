#!/usr/bin/env bash
# Every check, in order, stopping at the first failure:
#   setup, fmt, clippy (native), clippy (wasm32), cargo test, browser tests (wasm-pack),
#   release build + end-to-end tests (tests/e2e/*.test.mjs), size budget.
# Ends with a summary of the steps with their durations and the test counts.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

CHROMEDRIVER=/usr/bin/chromedriver
# Output of the test runners, parsed for the pass/fail counts in the summary.
RUNNER_LOG=$(mktemp "${TMPDIR:-/tmp}/cuekit-test.XXXXXX")
trap 'rm -f "$RUNNER_LOG"' EXIT

STEP_NAMES=()
STEP_RESULTS=()
STEP_TIMES=()

now_ms() { date +%s%3N; }
fmt_ms() { printf '%d.%01ds' $(($1 / 1000)) $((($1 % 1000) / 100)); }

# Prints "P F S": tests passed, failed and skipped, from cargo's / wasm-bindgen-test's
# "test result:" lines and node's test runner's closing counts (tap or spec reporter).
count_tests() {
	awk '
		/^test result: / {
			for (i = 2; i <= NF; i++) {
				if ($i ~ /^passed;?$/) p += $(i - 1)
				if ($i ~ /^failed;?$/) f += $(i - 1)
				if ($i ~ /^ignored;?$/) s += $(i - 1)
			}
		}
		/^(#|ℹ) pass [0-9]+$/ { p += $3 }
		/^(#|ℹ) (fail|cancelled) [0-9]+$/ { f += $3 }
		/^(#|ℹ) (skipped|todo) [0-9]+$/ { s += $3 }
		END { printf "%d %d %d\n", p, f, s }
	' "$RUNNER_LOG"
}

summary() {
	echo
	echo "== summary =="
	local i
	for i in "${!STEP_NAMES[@]}"; do
		printf '  %-8s %8s  %s\n' "${STEP_RESULTS[$i]}" "${STEP_TIMES[$i]}" "${STEP_NAMES[$i]}"
	done
	local p f s
	read -r p f s < <(count_tests)
	# The plain closing line: the test counts of every runner above, added up.
	echo "tests: $p passed, $f failed, $s skipped"
}

record() { STEP_NAMES+=("$1"); STEP_RESULTS+=("$2"); STEP_TIMES+=("$3"); }

# step NAME COMMAND...: runs the command with errexit on; stops everything on failure.
step() {
	local name=$1
	shift
	echo
	echo "== step: $name =="
	local start rc
	start=$(now_ms)
	set +e
	(
		set -e
		"$@"
	)
	rc=$?
	set -e
	local took
	took=$(fmt_ms $(($(now_ms) - start)))
	if [ "$rc" -ne 0 ]; then
		record "$name" FAILED "$took"
		summary
		echo "[test] FAILED at step: $name (exit code $rc)"
		exit "$rc"
	fi
	record "$name" ok "$took"
}

skip() {
	echo
	echo "== step: $1 == (skipped: $2)"
	record "$1" skipped "-"
}

# Runs a test runner, keeping its output for the counts. Its own exit code is kept.
runner() { "$@" 2>&1 | tee -a "$RUNNER_LOG"; }

setup() {
	bash scripts/setup.sh
}

e2e_tests=()
if [ -d tests/e2e ]; then
	while IFS= read -r -d '' f; do e2e_tests+=("$f"); done < <(find tests/e2e -maxdepth 1 -name '*.test.mjs' -print0 | sort -z)
fi

step "setup" setup
export CUEKIT_SETUP_DONE=1

step "fmt (cargo fmt --all -- --check)" cargo fmt --all -- --check
step "clippy native (cargo clippy --all-targets -- -D warnings)" \
	cargo clippy --all-targets -- -D warnings
step "clippy wasm32 (cargo clippy --target wasm32-unknown-unknown --all-targets -- -D warnings)" \
	cargo clippy --target wasm32-unknown-unknown --all-targets -- -D warnings
step "cargo test (native unit, integration, doc tests)" runner cargo test
step "browser tests (wasm-pack test --headless --chrome)" \
	runner wasm-pack test --headless --chrome --chromedriver "$CHROMEDRIVER"

if [ "${#e2e_tests[@]}" -gt 0 ] || [ -f scripts/size.mjs ]; then
	step "release build (npm run build)" npm run build
else
	skip "release build (npm run build)" "no end-to-end tests and no size check"
fi
if [ "${#e2e_tests[@]}" -gt 0 ]; then
	step "end-to-end (node --test, ${#e2e_tests[@]} files)" runner node --test "${e2e_tests[@]}"
else
	skip "end-to-end (node --test)" "no tests/e2e/*.test.mjs"
fi
if [ -f scripts/size.mjs ]; then
	step "size budget (node scripts/size.mjs --check)" node scripts/size.mjs --check
else
	skip "size budget" "no scripts/size.mjs"
fi

echo
echo "[test] all steps passed"
summary
