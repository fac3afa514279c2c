#!/usr/bin/env bash
# Builds the app (dist/) and the native CLI. Assumes scripts/install.sh has run.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
trunk build --release --offline
cargo build -p lacquer-dsp --release --bin lacquer
