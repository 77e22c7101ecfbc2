#!/usr/bin/env bash
# Command 2: install test needs and run every check: formatting, lints (server and WASM),
# Rust tests, a release build, and the Playwright suite in Debian's Chromium.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh
setup_main --test

# CI starts from a clean checkout, where incremental caches only cost disk (gigabytes).
export CARGO_INCREMENTAL=0

step() { printf '\n\033[1;32m==> %s\033[0m\n' "$*"; }
started=$(date +%s)

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings (server, simulator, app; then the WASM frontend)"
cargo clippy --workspace --exclude frontend --all-targets -- -D warnings
cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

step "cargo test"
# setup.sh installed OpenSSH and the openai client: those tests must run here, not skip.
SPARK_TEST_REQUIRE_SSHD=1 SPARK_TEST_REQUIRE_ALL=1 cargo test --workspace --exclude frontend 2>&1 | tee target/cargo-test.log
rust_passed=$(grep -Eo 'test result: ok\. [0-9]+ passed' target/cargo-test.log | awk '{s+=$4} END {print s+0}')

step "StartOS wrapper: tsc --noEmit"
(cd startos && { [ -d node_modules/@start9labs/start-sdk ] || npm ci --silent --no-audit --no-fund; } && npm run --silent check)

step "cargo leptos build --release"
cargo leptos build --release

step "Playwright (end2end/)"
(cd end2end && npx playwright test) 2>&1 | tee target/playwright.log
e2e_passed=$(grep -Eo '^ *[0-9]+ passed' target/playwright.log | tail -n 1 | awk '{print $1+0}')

step "summary ($(( $(date +%s) - started )) s): Rust $rust_passed, Playwright $e2e_passed"
echo "summary: $(( rust_passed + e2e_passed )) passed, 0 failed"
