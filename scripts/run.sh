#!/usr/bin/env bash
# Command 1: install what is needed, build, and serve http://127.0.0.1:9999.
# With no node configured it runs on the embedded simulated two-Spark cluster.
# Pass real nodes with SPARK1_HOST/SPARK1_USER/… or CLUSTER_FILE (see README).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh
setup_main
say "building (release)"
cargo leptos build --release
export LEPTOS_SITE_ROOT="$ROOT/target/site"
export LEPTOS_SITE_ADDR="${LEPTOS_SITE_ADDR:-127.0.0.1:${BIND_PORT:-9999}}"
say "serving http://127.0.0.1:${BIND_PORT:-9999} (Ctrl-C to stop)"
exec "$ROOT/target/release/spark-control" "$@"
