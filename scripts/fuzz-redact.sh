#!/usr/bin/env bash
# Fuzzes the redaction engine (redact/) with cargo-fuzz and libFuzzer: the targets in
# redact/fuzz/fuzz_targets/ (`scrub`, `rehydrate`, `rehydrate_stream`; what each checks is at
# the top of its file), one after the other, then prints a summary. Exits 1 if any target
# found a crash; its input is then in redact/fuzz/artifacts/<target>/, and
#   cd redact && RUSTC_BOOTSTRAP=1 cargo fuzz run -s none <target> fuzz/artifacts/<target>/<file>
# replays it.
#
#   scripts/fuzz-redact.sh                       every target for 60 s
#   FUZZ_SECS=600 scripts/fuzz-redact.sh scrub   one target for 10 min
#
# Environment (defaults in brackets):
#   FUZZ_SECS       seconds per target [60]
#   FUZZ_MAX_LEN    longest input libFuzzer tries, in bytes [4096]
#   FUZZ_SANITIZER  cargo-fuzz sanitizer: none, address, … [none: the engine has no unsafe
#                   code, and without ASan the fuzzer runs about twice as many inputs]
#
# cargo-fuzz needs nightly compiler flags; the stable toolchain accepts them with
# RUSTC_BOOTSTRAP=1, which this script sets for its own cargo runs only. cargo-fuzz is
# installed from crates.io when missing (a one-time build of ~3 minutes on 2 cores), and the
# first fuzz build takes about as long again. The corpus each run grows is kept in
# redact/fuzz/target/corpus/<target>/ (ignored by git); the committed seeds in
# redact/fuzz/corpus/<target>/ are read, never written.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh

SECS="${FUZZ_SECS:-60}"
MAX_LEN="${FUZZ_MAX_LEN:-4096}"
SANITIZER="${FUZZ_SANITIZER:-none}"
CARGO_FUZZ_VERSION=0.13.2
FUZZ_DIR="$ROOT/redact/fuzz"
ALL_TARGETS=(scrub rehydrate rehydrate_stream)
TARGETS=("${@:-${ALL_TARGETS[@]}}")

ensure_cargo_fuzz() {
  if cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then return 0; fi
  say "installing cargo-fuzz $CARGO_FUZZ_VERSION (a one-time build of ~3 minutes on 2 cores)"
  cargo install --locked "cargo-fuzz@$CARGO_FUZZ_VERSION"
}
ensure_cargo_fuzz

export RUSTC_BOOTSTRAP=1
# The fuzz crate is a workspace of its own with its own target directory, whatever the
# caller's CARGO_TARGET_DIR says.
fuzz() {
  local cmd="$1"
  shift
  (cd "$ROOT/redact" && cargo fuzz "$cmd" --sanitizer "$SANITIZER" --target-dir "$FUZZ_DIR/target" "$@")
}

say "building the fuzz targets (release, debug assertions, sanitizer: $SANITIZER)"
fuzz build

LOGS="$(mktemp -d -t fuzz-redact.XXXXXX)"
trap 'rm -rf "$LOGS"' EXIT
failed=0
SUMMARY=()
for t in "${TARGETS[@]}"; do
  say "fuzzing $t for $SECS s"
  work="$FUZZ_DIR/target/corpus/$t"
  mkdir -p "$work"
  # libFuzzer writes new inputs into the first corpus directory only.
  if fuzz run "$t" "$work" "$FUZZ_DIR/corpus/$t" -- \
    -max_total_time="$SECS" -max_len="$MAX_LEN" -print_final_stats=1 >"$LOGS/$t.log" 2>&1; then
    result=ok
  else
    result="FAILED ($(grep -m1 -oE 'panicked at [^ ]+|ERROR: libFuzzer: [a-z-]+' "$LOGS/$t.log" || echo "exit code $?"))"
    failed=1
    cp "$LOGS/$t.log" "$FUZZ_DIR/target/$t.log"
    tail -n 40 "$LOGS/$t.log" >&2
  fi
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$LOGS/$t.log" | tail -n 1)"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$LOGS/$t.log" | tail -n 1)"
  cov="$(grep -oE 'cov: [0-9]+' "$LOGS/$t.log" | tail -n 1 | awk '{print $2}')"
  corpus="$(find "$work" -type f | wc -l)"
  SUMMARY+=("$(printf '%-17s %-8s %12s execs %8s/s  coverage %5s  corpus %5s' \
    "$t" "${result%% *}" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$corpus")")
  [ "$result" = ok ] || SUMMARY+=("    $result; input in redact/fuzz/artifacts/$t/, log in redact/fuzz/target/$t.log")
done

echo
say "summary: ${SECS} s per target, inputs up to $MAX_LEN bytes, sanitizer $SANITIZER"
printf '%s\n' "${SUMMARY[@]}"
echo "machine: $(nproc) cores, $(uname -sr); $(date -u '+%Y-%m-%d %H:%M UTC')"
exit "$failed"
