#!/usr/bin/env bash
# Installs what cuekit's build and tests need, idempotently: each step checks first and
# installs only what is missing or at the wrong version.
#
#   bash scripts/setup.sh                      everything (build + browser tests)
#   SETUP_SKIP_BROWSER=1 bash scripts/setup.sh build-only (no Chromium/chromedriver)
#
# Overrides (for testing this script): CUEKIT_WASM_BINDGEN_VERSION=X.Y.Z pretends
# Cargo.lock pins that wasm-bindgen version.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$CARGO_BIN:$PATH"
LOG_DIR="${TMPDIR:-/tmp}/cuekit-setup"
mkdir -p "$LOG_DIR"
START_S=$SECONDS

ok() { printf '[setup] ok: %s (%s)\n' "$1" "$2"; }
installing() { printf '[setup] installing %s…\n' "$1"; }
warn() { printf '[setup] WARNING: %s\n' "$*" >&2; }
fail() {
	# fail THING REASON WHAT-TO-DO
	printf '[setup] FAILED: %s: %s. %s\n' "$1" "$2" "$3" >&2
	exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }
is_root() { [ "$(id -u)" -eq 0 ]; }

# ---------------------------------------------------------------- base toolchain
have node || fail node "not found on PATH" "Install Node.js 20 or newer"
have npm || fail npm "not found on PATH" "Install npm (comes with Node.js)"
have cargo || fail cargo "not found on PATH" "Install Rust with rustup (https://rustup.rs), stable toolchain"
have rustup || fail rustup "not found on PATH" "Install Rust with rustup; the wasm32 target is added through it"

node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || fail node "version $(node --version) is too old" "Install Node.js 20 or newer"
ok node "$(node --version), npm $(npm --version)"
ok cargo "$(cargo --version | cut -d' ' -f2)"

# ---------------------------------------------------------------- node_modules
node_modules_stale() {
	[ -d node_modules ] || return 0
	[ -f node_modules/.package-lock.json ] || return 0
	[ -f package-lock.json ] && [ package-lock.json -nt node_modules/.package-lock.json ] && return 0
	[ package.json -nt node_modules/.package-lock.json ] && return 0
	return 1
}
if node_modules_stale; then
	if [ -f package-lock.json ]; then
		installing "node_modules (npm ci)"
		npm ci --no-audit --no-fund ||
			fail node_modules "npm ci failed" "Check that package-lock.json matches package.json (run npm install and commit the lock)"
	else
		installing "node_modules (npm install, no package-lock.json)"
		npm install --no-audit --no-fund || fail node_modules "npm install failed" "See npm's error above"
	fi
fi
pw_version=$(node -p 'require("./node_modules/playwright-core/package.json").version' 2>/dev/null) ||
	fail node_modules "playwright-core is not installed" "Delete node_modules and run npm ci"
ok node_modules "playwright-core $pw_version"

# ---------------------------------------------------------------- rust target + components
installed_targets=$(rustup target list --installed)
if ! grep -qx wasm32-unknown-unknown <<<"$installed_targets"; then
	installing "rust target wasm32-unknown-unknown"
	rustup target add wasm32-unknown-unknown ||
		fail wasm32-unknown-unknown "rustup target add failed" "Run: rustup target add wasm32-unknown-unknown"
fi
ok "rust target wasm32-unknown-unknown" "$(rustc --version | cut -d' ' -f2)"

installed_components=$(rustup component list --installed)
for comp in rustfmt clippy; do
	if ! grep -q "^$comp" <<<"$installed_components"; then
		installing "rust component $comp"
		rustup component add "$comp" || fail "$comp" "rustup component add failed" "Run: rustup component add $comp"
	fi
done
ok rustfmt "$(rustfmt --version | cut -d' ' -f2)"
ok clippy "$(cargo clippy --version | cut -d' ' -f2)"

# ---------------------------------------------------------------- cargo install helper
# cargo_install THING CRATE [ARGS...]: tries --locked first, then without it (a locked
# dependency version can be missing from the registry mirror).
cargo_install() {
	local thing=$1 crate=$2
	shift 2
	local log="$LOG_DIR/$crate.log"
	installing "$thing (cargo install $crate $*; takes a few minutes; log: $log)"
	if cargo install "$crate" "$@" --locked --force >"$log" 2>&1; then
		return 0
	fi
	echo "[setup] cargo install --locked failed for $crate; retrying without --locked" >&2
	tail -n 5 "$log" >&2 || true
	if cargo install "$crate" "$@" --force >>"$log" 2>&1; then
		return 0
	fi
	tail -n 30 "$log" >&2 || true
	return 1
}

# ---------------------------------------------------------------- wasm-bindgen-cli
if [ ! -f Cargo.lock ]; then
	installing "Cargo.lock (cargo generate-lockfile)"
	cargo generate-lockfile || fail Cargo.lock "cargo generate-lockfile failed" "Fix Cargo.toml (see cargo's error above)"
fi
# Bring Cargo.lock in line with Cargo.toml (no-op when it already is).
cargo metadata --format-version 1 >/dev/null ||
	fail Cargo.lock "cargo could not resolve the dependencies" "Fix Cargo.toml (see cargo's error above)"

lock_wb_version=$(awk '
	/^\[\[package\]\]/ { in_wb = 0 }
	/^name = "wasm-bindgen"$/ { in_wb = 1; next }
	in_wb && /^version = / { gsub(/"/, "", $3); print $3; exit }
' Cargo.lock)
want_wb="${CUEKIT_WASM_BINDGEN_VERSION:-$lock_wb_version}"
[ -n "$want_wb" ] ||
	fail wasm-bindgen-cli "no wasm-bindgen package in Cargo.lock" "Add wasm-bindgen (pinned, =X.Y.Z) to Cargo.toml"

wb_installed_version() {
	# Prints the installed wasm-bindgen CLI version, or nothing. Both binaries come from
	# the same crate; the test runner must be there too.
	if ! have wasm-bindgen || ! have wasm-bindgen-test-runner; then return 0; fi
	wasm-bindgen --version 2>/dev/null | awk '{ print $2 }'
}
have_wb=$(wb_installed_version)
if [ "$have_wb" != "$want_wb" ]; then
	if [ -n "$have_wb" ]; then
		echo "[setup] wasm-bindgen-cli $have_wb is installed but Cargo.lock pins wasm-bindgen $want_wb"
	fi
	cargo_install "wasm-bindgen-cli $want_wb" wasm-bindgen-cli --version "$want_wb" ||
		fail wasm-bindgen-cli "cargo install wasm-bindgen-cli --version $want_wb failed" \
			"See the log above; the CLI version must equal the wasm-bindgen version in Cargo.lock"
	have_wb=$(wb_installed_version)
	[ "$have_wb" = "$want_wb" ] ||
		fail wasm-bindgen-cli "installed, but 'wasm-bindgen --version' reports '${have_wb:-nothing}'" \
			"Make sure $CARGO_BIN comes first on PATH"
fi
ok wasm-bindgen-cli "$have_wb, matches Cargo.lock"

# ---------------------------------------------------------------- wasm-pack
if ! wp_version=$(wasm-pack --version 2>/dev/null); then
	cargo_install wasm-pack wasm-pack ||
		fail wasm-pack "cargo install wasm-pack failed" "See the log above"
	wp_version=$(wasm-pack --version 2>/dev/null) ||
		fail wasm-pack "installed, but 'wasm-pack --version' does not run" "Make sure $CARGO_BIN is on PATH"
fi
ok wasm-pack "${wp_version#wasm-pack }"

# ---------------------------------------------------------------- system packages (apt)
APT_UPDATED=0
apt_install() {
	# apt_install PACKAGE...: returns non-zero when apt is unavailable or fails.
	is_root || return 1
	have apt-get || return 1
	if [ "$APT_UPDATED" -eq 0 ]; then
		echo "[setup] apt-get update"
		DEBIAN_FRONTEND=noninteractive apt-get update -qq || return 1
		APT_UPDATED=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}
need_root_msg() {
	if is_root; then
		echo "apt-get install -y $* failed; install it by hand"
	else
		echo "Run as root, or install it by hand: sudo apt-get install -y $*"
	fi
}

# wasm-opt: wasm-pack runs the first one on PATH for release builds. scripts/build.sh puts
# node_modules/.bin first, so it is the npm package "binaryen" (a devDependency). Debian's
# binaryen (v108) is too old: it exports the wrong table for wasm-bindgen's externref
# table, and the release build then fails at init ("WebAssembly.Table.set(): Argument 1
# is invalid for table").
WASM_OPT_MIN=116
WASM_OPT=node_modules/.bin/wasm-opt
[ -x "$WASM_OPT" ] ||
	fail wasm-opt "$WASM_OPT is missing" "Add the npm package binaryen to devDependencies and run npm ci"
wasm_opt_version=$("$WASM_OPT" --version 2>/dev/null | awk '{ print $3 }') ||
	fail wasm-opt "$WASM_OPT --version does not run" "Delete node_modules and run npm ci"
if ! [ "${wasm_opt_version:-0}" -ge "$WASM_OPT_MIN" ] 2>/dev/null; then
	fail wasm-opt "version ${wasm_opt_version:-unknown} is older than $WASM_OPT_MIN" \
		"Raise the binaryen devDependency in package.json and run npm install"
fi
ok wasm-opt "version $wasm_opt_version, npm binaryen"

# brotli CLI: handy for measuring by hand; scripts/size.mjs does not need it.
if ! have brotli; then
	installing "brotli (apt: brotli)"
	if ! apt_install brotli; then
		warn "brotli CLI not installed (not needed by the scripts): $(need_root_msg brotli)"
	fi
fi
if have brotli; then ok brotli "$(brotli --version 2>/dev/null | head -n 1)"; fi

# Chromium + chromedriver for wasm-bindgen-test and the end-to-end tests.
CHROMIUM=/usr/bin/chromium
CHROMEDRIVER=/usr/bin/chromedriver
if [ "${SETUP_SKIP_BROWSER:-0}" = 1 ]; then
	echo "[setup] skipped: chromium, chromedriver (SETUP_SKIP_BROWSER=1)"
else
	if [ ! -x "$CHROMIUM" ] || [ ! -x "$CHROMEDRIVER" ]; then
		installing "chromium and chromedriver (apt: chromium chromium-driver)"
		apt_install chromium chromium-driver ||
			fail chromium "$CHROMIUM or $CHROMEDRIVER is missing" "$(need_root_msg chromium chromium-driver)"
		if [ ! -x "$CHROMIUM" ] || [ ! -x "$CHROMEDRIVER" ]; then
			fail chromium "installed, but $CHROMIUM or $CHROMEDRIVER is still missing" "Check the chromium packages of this distribution"
		fi
	fi
	chromium_version=$("$CHROMIUM" --version 2>/dev/null | head -n 1) || chromium_version="version unknown"
	chromedriver_version=$("$CHROMEDRIVER" --version 2>/dev/null | awk '{ print $2 }') || chromedriver_version="unknown"
	ok chromium "$chromium_version"
	ok chromedriver "$chromedriver_version"
fi

echo "[setup] done in $((SECONDS - START_S))s"
