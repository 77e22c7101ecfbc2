#!/usr/bin/env bash
# Installs what spark-control needs to build and run, skipping whatever is already present.
#   scripts/setup.sh          build/run needs: wasm target, cargo-leptos, wasm-bindgen, wasm-opt
#   scripts/setup.sh --test   also test needs: Chromium (Debian), Playwright (npm), OpenSSH's
#                             sshd + python3 (Debian) for the fake Sparks of server/tests/swap_sshd.rs,
#                             and the official `openai` Python client (PyPI, in .tools/venv)
# Other scripts `source` it; it then also puts the project's tools on PATH.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
CARGO_LEPTOS_VERSION=0.3.11
WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen crate pinned in Cargo.toml
BINARYEN_VERSION=132.0.0       # Debian's binaryen (108) emits WASM that silently breaks hydration
OPENAI_PY_VERSION=3.57.0       # the consumer client that server/tests/openai_client.py drives

export PATH="$HOME/.cargo/bin:$TOOLS/node_modules/.bin:$PATH"

say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root to run: $*" >&2; return 1; fi
}

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_wasm_target() {
  rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown && return 0
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
}

ensure_cargo_leptos() {
  if cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then return 0; fi
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (a one-time build of ~15 minutes on 2 cores)"
  if cargo install --locked "cargo-leptos@$CARGO_LEPTOS_VERSION"; then return 0; fi
  # Its lock file pins cargo-util-schemas 0.14.2, which needs a newer rustc than some machines
  # have; the previous release of that one crate builds the same cargo-leptos.
  say "retrying cargo-leptos with cargo-util-schemas 0.14.1"
  local src
  src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"cargo-leptos-$CARGO_LEPTOS_VERSION" 2>/dev/null | head -n 1)
  [ -n "$src" ] || { echo "cargo-leptos source was not downloaded" >&2; return 1; }
  local build; build=$(mktemp -d)
  cp -r "$src/." "$build"
  (cd "$build" && cargo update -p cargo-util-schemas --precise 0.14.1 && cargo install --locked --path .)
  rm -rf "$build"
}

ensure_wasm_bindgen() {
  if wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then return 0; fi
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # Not --locked: one of its locked dependencies is no longer in the registry.
  cargo install wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION"
}

ensure_node() {
  command -v npm >/dev/null && return 0
  apt_install nodejs npm
}

ensure_wasm_opt() {
  if [ -x "$TOOLS/node_modules/.bin/wasm-opt" ]; then return 0; fi
  ensure_node
  say "installing wasm-opt (npm binaryen@$BINARYEN_VERSION) into .tools/"
  mkdir -p "$TOOLS"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS" "binaryen@$BINARYEN_VERSION" >/dev/null
}

ensure_test_tools() {
  # openssh-server: the real sshd the fake Sparks run; python3: their docker/nvidia-smi shim.
  apt_install chromium openssh-server python3
  ensure_node
  if [ ! -d "$ROOT/end2end/node_modules/@playwright/test" ]; then
    say "installing Playwright (npm; the browser is Debian's Chromium)"
    (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --silent --no-audit --no-fund)
  fi
}

ensure_python_clients() {
  local venv="$TOOLS/venv"
  if "$venv/bin/python" -c "import openai, sys; sys.exit(openai.__version__ != '$OPENAI_PY_VERSION')" 2>/dev/null; then
    return 0
  fi
  say "installing the openai Python client $OPENAI_PY_VERSION into .tools/venv"
  python3 -m venv "$venv" 2>/dev/null || { apt_install python3-venv && python3 -m venv "$venv"; }
  "$venv/bin/pip" install --quiet --disable-pip-version-check "openai==$OPENAI_PY_VERSION"
}

setup_main() {
  command -v cargo >/dev/null || { echo "cargo is missing: install Rust with rustup first" >&2; exit 1; }
  ensure_wasm_target
  ensure_cargo_leptos
  ensure_wasm_bindgen
  ensure_wasm_opt
  if [ "${1:-}" = "--test" ]; then ensure_test_tools; ensure_python_clients; fi
}

# Run only when executed, not when sourced for PATH.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then setup_main "$@"; fi
