#!/usr/bin/env bash
# What the OpenAI chat gateway adds to a request (issue #5, item 7): small non-streaming
# `POST /v1/chat/completions` sent to the simulated vLLM directly, through the gateway and
# through nginx in front of the same vLLM, with wrk; then the time from a streamed (SSE) chunk
# leaving vLLM to its arrival at the client, direct, through the gateway and through nginx.
# Prints medians, the added latencies, req/s ratios, and whether the issue's targets are met.
# See docs/BENCHMARKS.md ("Chat gateway").
#
#   scripts/bench-gateway.sh
#
# Environment (defaults in brackets):
#   GATEWAY_BENCH_REPS     wrk repetitions per path and mode, medians taken over them [5]
#   GATEWAY_BENCH_SECS     seconds per wrk run [5]
#   GATEWAY_BENCH_CONNS    connections of the throughput runs (the latency runs use 1) [32]
#   GATEWAY_BENCH_STREAMS  streamed requests per path for the SSE timing [300]
#   GATEWAY_BENCH_TOKEN_MS simulated time between streamed tokens, in ms [2]
#   GATEWAY_BENCH_BIN      a spark-control binary to measure instead of building this tree's
#                          (e.g. an earlier build, for an A/B comparison)
#
# Installs wrk, nginx and curl from Debian when they are missing. nginx runs unprivileged in
# the foreground with its own config, pid, logs and temp files in a temporary directory.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh

REPS="${GATEWAY_BENCH_REPS:-5}"
SECS="${GATEWAY_BENCH_SECS:-5}"
CONNS="${GATEWAY_BENCH_CONNS:-32}"
STREAMS="${GATEWAY_BENCH_STREAMS:-300}"
TOKEN_MS="${GATEWAY_BENCH_TOKEN_MS:-2}"
MAX_TOKENS=8

apt_install wrk nginx curl
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

if [ -n "${GATEWAY_BENCH_BIN:-}" ]; then
  BIN="$GATEWAY_BENCH_BIN"
else
  say "building spark-control (release) and the benchmark helper"
  cargo build --release -p server --bin spark-control
  BIN="$ROOT/target/release/spark-control"
fi
WORK="$(mktemp -d -t bench-gateway.XXXXXX)"
RESULTS="$WORK/results.txt"
PIDS=()
stop_all() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}
trap 'stop_all; rm -rf "$WORK"' EXIT

# The helper uses only the standard library, so rustc builds it in seconds. (`cargo bench -p
# server --bench gateway --no-run` builds it too, but first the whole server crate again, for
# the bench profile: minutes.)
HELPER="$WORK/gateway-bench"
rustc --edition 2021 -C opt-level=3 --crate-name gateway_bench -o "$HELPER" server/benches/gateway.rs

# Waits until URL answers 200 (30 s at most).
wait_ok() {
  local i
  for i in $(seq 300); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "no answer from $1; logs in $WORK:" >&2
  tail -n 20 "$WORK"/*.log >&2 || true
  return 1
}

# Starts nginx as a reverse proxy on 127.0.0.1:$2 for the upstream $3, its files under $1.
start_nginx() {
  local dir="$1" listen="$2" upstream="$3"
  mkdir -p "$dir/tmp"
  {
    # Run by root, nginx would hand its workers to `nobody`; keep them with the caller.
    [ "$(id -u)" = 0 ] && echo "user root;"
    cat <<EOF
worker_processes auto;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    # Connections are reused without a request limit, as the gateway's are.
    keepalive_requests 1000000;
    upstream vllm {
        server $upstream;
        keepalive 64;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:$listen;
        location / {
            proxy_pass http://vllm;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
        }
    }
}
EOF
  } >"$dir/nginx.conf"
  "$NGINX" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" -g 'daemon off;' >"$dir.log" 2>&1 &
  PIDS+=($!)
}

model_at() { curl -fsS "$1/v1/models" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p'; }

# ---------------------------------------------------------------------------------------------
say "1/2: non-streaming chat, wrk: ${REPS} × ${SECS} s per path, ${CONNS} connections (req/s) and 1 (latency)"
GW="$("$HELPER" free-port)"
NG="$("$HELPER" free-port)"
mkdir -p "$WORK/p1"
# The simulated cluster in a process of its own, as vLLM runs on a node of its own: the gateway's
# process then does the gateway's work only, as nginx's do. Its vLLM answers at once (no token
# delay, no load time).
env -u RUST_LOG DATA_DIR="$WORK/p1" "$BIN" sim --cluster-out "$WORK/p1/cluster.yaml" \
  --load-secs 0 --token-ms 0 >"$WORK/sim1.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 300); do [ -s "$WORK/p1/cluster.yaml" ] && break; sleep 0.1; done
VLLM_PORT="$(sed -n 's/^ *vllm: *\([0-9]*\).*/\1/p' "$WORK/p1/cluster.yaml" | head -n 1)"
[ -n "$VLLM_PORT" ] || { echo "the simulator's cluster file names no vllm service" >&2; exit 1; }
VLLM="127.0.0.1:$VLLM_PORT"
wait_ok "http://$VLLM/v1/models"
env -u RUST_LOG -u SPARK1_HOST -u SPARK1_USER -u SPARK2_HOST -u SPARK2_USER \
  DATA_DIR="$WORK/p1" CLUSTER_FILE="$WORK/p1/cluster.yaml" BIND_ADDR=127.0.0.1 BIND_PORT="$GW" \
  "$BIN" >"$WORK/gateway1.log" 2>&1 &
PIDS+=($!)
wait_ok "http://127.0.0.1:$GW/v1/models"
MODEL="$(model_at "http://$VLLM")"
start_nginx "$WORK/nginx1" "$NG" "$VLLM"
wait_ok "http://127.0.0.1:$NG/v1/models"
echo "vLLM (simulated) http://$VLLM, gateway http://127.0.0.1:$GW, nginx http://127.0.0.1:$NG; model $MODEL"

cat >"$WORK/post.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"$MODEL","max_tokens":$MAX_TOKENS,"messages":[{"role":"user","content":"Say hello"}]}'
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT rps=%.1f p50_us=%.1f p99_us=%.1f requests=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50), latency:percentile(99),
    summary.requests, e.connect + e.read + e.write + e.status + e.timeout))
end
EOF

declare -A URL=([direct]="http://$VLLM" [gateway]="http://127.0.0.1:$GW" [nginx]="http://127.0.0.1:$NG")
TARGETS=(direct gateway nginx)
run_wrk() { # target mode connections seconds
  wrk -t1 -c"$3" -d"$4s" --latency -s "$WORK/post.lua" "${URL[$1]}/v1/chat/completions" | grep '^RESULT'
}
for t in "${TARGETS[@]}"; do run_wrk "$t" throughput "$CONNS" 2 >/dev/null; done # warm pools
for rep in $(seq "$REPS"); do
  for mode in latency throughput; do
    conns=1
    [ "$mode" = throughput ] && conns="$CONNS"
    for t in "${TARGETS[@]}"; do
      line="$(run_wrk "$t" "$mode" "$conns" "$SECS")"
      echo "wrk $t $mode rep=$rep ${line#RESULT }" | tee -a "$RESULTS"
    done
  done
done
stop_all

# ---------------------------------------------------------------------------------------------
say "2/2: streamed chat, ${STREAMS} streams per path of $MAX_TOKENS tokens ${TOKEN_MS} ms apart, through a timestamping relay"
mkdir -p "$WORK/p2"
RELAY="$("$HELPER" free-port)"
GW="$("$HELPER" free-port)"
NG="$("$HELPER" free-port)"
# The simulator alone, so that the gateway can be pointed at the relay in front of its vLLM.
env -u RUST_LOG DATA_DIR="$WORK/p2" "$BIN" sim --cluster-out "$WORK/p2/cluster.yaml" \
  --load-secs 0 --token-ms "$TOKEN_MS" >"$WORK/sim2.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 300); do [ -s "$WORK/p2/cluster.yaml" ] && break; sleep 0.1; done
VLLM_PORT="$(sed -n 's/^ *vllm: *\([0-9]*\).*/\1/p' "$WORK/p2/cluster.yaml" | head -n 1)"
[ -n "$VLLM_PORT" ] || { echo "the simulator's cluster file names no vllm service" >&2; exit 1; }
wait_ok "http://127.0.0.1:$VLLM_PORT/v1/models"
MODEL="$(model_at "http://127.0.0.1:$VLLM_PORT")"
sed "s/^\( *vllm: *\)[0-9]*/\1$RELAY/" "$WORK/p2/cluster.yaml" >"$WORK/p2/cluster-relay.yaml"
env -u RUST_LOG -u SPARK1_HOST -u SPARK1_USER -u SPARK2_HOST -u SPARK2_USER \
  DATA_DIR="$WORK/p2" CLUSTER_FILE="$WORK/p2/cluster-relay.yaml" BIND_ADDR=127.0.0.1 BIND_PORT="$GW" \
  "$BIN" >"$WORK/gateway2.log" 2>&1 &
PIDS+=($!)
start_nginx "$WORK/nginx2" "$NG" "127.0.0.1:$RELAY"
"$HELPER" sse --upstream "127.0.0.1:$VLLM_PORT" --relay "127.0.0.1:$RELAY" --model "$MODEL" \
  --streams "$STREAMS" --tokens "$MAX_TOKENS" \
  direct=relay gateway="127.0.0.1:$GW" nginx="127.0.0.1:$NG" | tee -a "$RESULTS"
stop_all

"$HELPER" summary "$RESULTS"
echo
echo "machine: $(nproc) cores, $(uname -sr); $(date -u '+%Y-%m-%d %H:%M UTC')"
