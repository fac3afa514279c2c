#!/usr/bin/env bash
# Installs whatever is missing, then runs every test: the dsp crate natively
# (unit, reference-signal and compliance tests), then the built app end to end
# in Debian's headless Chromium.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
bash scripts/install.sh
echo "== cargo test (lacquer-dsp)"
cargo test -p lacquer-dsp --features worklet
echo "== build (trunk + CLI)"
bash scripts/build.sh
echo "== end-to-end (headless Chromium)"
(cd tests && node --test e2e/)
