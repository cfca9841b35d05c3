#!/usr/bin/env bash
# Builds Rapport (release) and serves it on http://127.0.0.1:3000 with an embedded SQLite
# database created on first start. `./run.sh --demo` first loads the demo data set into an
# empty database (sign in as admin@rapport.local / rapport-demo).
set -euo pipefail
cd "$(dirname "$0")"
source .ci/toolchain.sh

ensure_build_tools
log "building (release)"
release_build

TARGET_DIR="${CARGO_TARGET_DIR:-target}"
export LEPTOS_SITE_ROOT="$SITE_ROOT"
if [ "${1:-}" = "--demo" ]; then
  shift
  "$TARGET_DIR/release/rapport" demo --customers "${DEMO_CUSTOMERS:-2000}" || true
fi
log "serving on http://${RAPPORT_LISTEN:-127.0.0.1:3000}"
exec "$TARGET_DIR/release/rapport" serve "$@"
