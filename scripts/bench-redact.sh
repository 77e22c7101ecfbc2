#!/usr/bin/env bash
# The redaction engine's scrub throughput against a Python baseline measured in the same run
# (issue #6, item 6): `cargo bench -p spark-redact --bench scrub` (MB/s on PII-dense and plain
# prose, rehydration, time against input size), then Presidio's pattern recognizers with a blank
# spaCy pipeline on the same texts, then the ratios. See docs/BENCHMARKS.md ("Redaction engine").
#
#   scripts/bench-redact.sh
#
# Environment (defaults in brackets):
#   REDACT_BENCH_RUNS        runs of the Rust bench; the median of their MB/s is taken [3]
#   REDACT_BENCH_PY_BYTES    bytes of each text Presidio scrubs (it is slow; MB/s is per byte
#                            either way) [65536]
#   REDACT_BENCH_PY_RUNS     Presidio runs per text, median taken [3]
#
# Installs presidio-analyzer, presidio-anonymizer and spaCy (from PyPI) into .tools/venv.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh

RUNS="${REDACT_BENCH_RUNS:-3}"
PY_BYTES="${REDACT_BENCH_PY_BYTES:-65536}"
PY_RUNS="${REDACT_BENCH_PY_RUNS:-3}"
PRESIDIO_VERSION="2.2.366"

VENV="$TOOLS/venv"
if ! "$VENV/bin/python" -c "import presidio_analyzer, presidio_anonymizer, spacy" 2>/dev/null; then
  say "installing Presidio $PRESIDIO_VERSION and spaCy into .tools/venv"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV" 2>/dev/null || { apt_install python3-venv && python3 -m venv "$VENV"; }
  "$VENV/bin/pip" install --quiet --disable-pip-version-check \
    "presidio-analyzer==$PRESIDIO_VERSION" "presidio-anonymizer==$PRESIDIO_VERSION"
fi

WORK="$(mktemp -d -t bench-redact.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

say "Rust: cargo bench -p spark-redact --bench scrub, $RUNS runs"
for i in $(seq "$RUNS"); do
  SCRUB_BENCH_DUMP="$WORK" cargo bench --quiet -p spark-redact --bench scrub 2>/dev/null | tee "$WORK/rust-$i.txt"
done

say "Python: Presidio (pattern recognizers, blank spaCy) on the first $PY_BYTES bytes of the same texts"
"$VENV/bin/python" redact/benches/presidio_baseline.py "$WORK" "$PY_BYTES" "$PY_RUNS" | tee "$WORK/py.txt"

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
rust_dense=$(grep -h 'PII-dense prose:' "$WORK"/rust-*.txt | awk '{print $3}' | median)
rust_plain=$(grep -h 'plain prose:' "$WORK"/rust-*.txt | awk '{print $3}' | median)
py_dense=$(awk '$2=="dense" {print $3}' "$WORK/py.txt")
py_plain=$(awk '$2=="plain" {print $3}' "$WORK/py.txt")
version=$("$VENV/bin/python" -c "import importlib.metadata as m; print(m.version('presidio-analyzer'))")

echo
echo "== scrub MB/s (medians): spark-redact vs Presidio $version"
printf '%-16s %10s %10s %8s\n' "text" "Rust" "Presidio" "ratio"
printf '%-16s %10.2f %10.3f %7.0fx\n' "PII-dense prose" "$rust_dense" "$py_dense" "$(awk -v a="$rust_dense" -v b="$py_dense" 'BEGIN {print a / b}')"
printf '%-16s %10.2f %10.3f %7.0fx\n' "plain prose" "$rust_plain" "$py_plain" "$(awk -v a="$rust_plain" -v b="$py_plain" 'BEGIN {print a / b}')"
for pair in "dense:$rust_dense" "plain:$rust_plain"; do
  mbps="${pair#*:}"
  if awk -v v="$mbps" 'BEGIN {exit !(v >= 100)}'; then met=MET; else met="NOT MET"; fi
  echo "target: ≥ 100 MB/s per core, ${pair%%:*} prose → $mbps MB/s: $met"
done
echo "machine: $(nproc) cores, $(uname -sr); $(date -u '+%Y-%m-%d %H:%M UTC')"
