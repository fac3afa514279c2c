#!/usr/bin/env bash
# Installs whatever is missing, builds, and serves the app at http://127.0.0.1:8080
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
bash scripts/install.sh
bash scripts/build.sh
echo "Lacquer is at http://127.0.0.1:8080  (Ctrl-C to stop)"
exec python3 -m http.server 8080 --bind 127.0.0.1 --directory dist
