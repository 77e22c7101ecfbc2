#!/usr/bin/env bash
# Builds the StartOS image from ./Dockerfile and checks that it runs the way startos/main.ts
# runs it: the dashboard and API answer on 9999 with the simulated cluster, state (the SSH key,
# the instance lock) lands in the /data volume and survives a restart, SIGTERM stops the server
# cleanly, and the whole Playwright suite passes against the container in Chromium.
#
#   scripts/check-image.sh                    build spark-control:check, then check it
#   IMAGE=<name> SKIP_BUILD=1 scripts/check-image.sh   check an image built elsewhere
#
# Needs docker with a running daemon and its base images (rust:1.95-bookworm,
# debian:bookworm-slim; pulled by docker when absent). Not part of .ci/run: the build compiles
# the whole workspace in a fresh container (~10 minutes on 2 cores, plus ~15 for cargo-leptos
# when the layer is not cached).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh   # for ensure_test_tools below; its `say` is replaced here
IMAGE="${IMAGE:-spark-control:check}"
NAME=spark-control-check
PORT=9997

say() { printf '\033[1;34m[image]\033[0m %s\n' "$*"; }
fail() { printf '\033[1;31m[image] FAIL:\033[0m %s\n' "$*" >&2; docker logs "$NAME" 2>&1 | tail -20 >&2 || true; exit 1; }

command -v docker >/dev/null || { echo "docker is not installed" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "docker has no running daemon" >&2; exit 1; }

if [ -z "${SKIP_BUILD:-}" ]; then
  say "building $IMAGE"
  docker build -t "$IMAGE" .
fi

DATA=$(mktemp -d)
cleanup() { docker rm -f "$NAME" spark-control-e2e >/dev/null 2>&1 || true; rm -rf "$DATA"; }
trap cleanup EXIT

start() {
  docker run -d --name "$NAME" -p "127.0.0.1:$PORT:9999" -v "$DATA:/data" "$IMAGE" >/dev/null
  for _ in $(seq 60); do
    curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && return 0
    sleep 1
  done
  fail "no answer on /health within 60 s"
}

say "starting it with an empty /data"
start
curl -fsS "http://127.0.0.1:$PORT/health" | grep -q '"status"' || fail "/health is not the health document"
[ -s "$DATA/id_ed25519.pub" ] || fail "no SSH public key in /data"
grep -q '^ssh-ed25519 ' "$DATA/id_ed25519.pub" || fail "the key in /data is not an ed25519 public key"
[ -e "$DATA/spark-control.lock" ] || fail "no instance lock in /data"
key=$(cat "$DATA/id_ed25519.pub")
# Connections published by docker reach the server from its network's gateway address.
gateway=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.Gateway}}{{end}}' "$NAME")

# The catalog baked into the image (/app/models.yaml): every model id of the repository's copy.
models=$(curl -fsS "http://127.0.0.1:$PORT/api/models")
for id in $(sed -n 's/^  - id: //p' models.yaml); do
  grep -q "\"$id\"" <<<"$models" || fail "model $id of models.yaml is not in /api/models"
done
# The dashboard's WASM, served from /app/site with the type browsers require to compile it.
ctype=$(curl -fsS -o /dev/null -w '%{content_type}' "http://127.0.0.1:$PORT/pkg/spark-control.wasm")
[ "$ctype" = application/wasm ] || fail "/pkg/spark-control.wasm served as '$ctype'"

say "stopping it (SIGTERM) and starting it again on the same /data"
t0=$(date +%s)
docker stop -t 20 "$NAME" >/dev/null
took=$(( $(date +%s) - t0 ))
code=$(docker inspect -f '{{.State.ExitCode}}' "$NAME")
[ "$code" = 0 ] || fail "exit status $code after SIGTERM (137 means it had to be killed)"
[ "$took" -lt 15 ] || fail "SIGTERM took $took s to stop the server"
docker rm "$NAME" >/dev/null
start
[ "$(cat "$DATA/id_ed25519.pub")" = "$key" ] || fail "the SSH key changed across a restart"
docker rm -f "$NAME" >/dev/null

say "Playwright suite against the container"
ensure_test_tools
(cd end2end && E2E_IMAGE="$IMAGE" E2E_CLIENT_ADDR="$gateway" npx playwright test)
say "image $IMAGE: all checks passed"
