#!/usr/bin/env bash
# Installs everything Lacquer needs to build, serve and test, from package
# registries only (crates.io, Debian, npm, PyPI). Idempotent: anything already
# present at the pinned version is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION=0.2.130

export PATH="$HOME/.cargo/bin:$PATH"
log() { printf '\033[1m[install]\033[0m %s\n' "$*"; }

# Rust target for the app and the worklet DSP.
if ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
  log "adding wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# Debian packages: the browser for end-to-end tests; ffmpeg, sox and flac as reference tools.
need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
command -v ffmpeg   >/dev/null || need_apt+=(ffmpeg)
command -v sox      >/dev/null || need_apt+=(sox)
command -v flac     >/dev/null || need_apt+=(flac)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

# Trunk, pinned (0.22 needs a newer rustc).
if ! trunk --version 2>/dev/null | grep -q "$TRUNK_VERSION"; then
  log "cargo install trunk $TRUNK_VERSION"
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi

# wasm-bindgen CLI: exactly the version the app's Cargo.lock pins.
if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  log "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# wasm-opt: npm's binaryen (Debian's 108 mis-optimises wasm-bindgen's
# reference-types output: the app fails at start with a Table.set error).
if [ ! -x tools/node_modules/.bin/wasm-opt ]; then
  log "npm ci (tools: binaryen)"
  (cd tools && npm ci --no-audit --no-fund)
fi

# Browser driver for the end-to-end tests (no browser download: we use Debian's),
# and axe-core for the accessibility checks.
if [ ! -d tests/node_modules/playwright-core ] || [ ! -d tests/node_modules/axe-core ]; then
  log "npm ci (tests)"
  (cd tests && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi

# Independent loudness meter for tests and benchmarks.
if ! python3 -c 'import pyloudnorm, soundfile' 2>/dev/null; then
  log "pip install pyloudnorm soundfile"
  python3 -m pip install -q pyloudnorm==0.2.0 soundfile numpy scipy
fi
log "ok"
