#!/usr/bin/env bash
# Load test of the server on the million-document world, from a second process
# (wrk). Usage: server/benches/load/run.sh [seconds]  (from the repository root;
# needs `apt-get install wrk` and `cargo build --release -p preflight-server`).
set -euo pipefail
DURATION=${1:-20}
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
export LOAD_DIR="$ROOT/server/benches/load"
BIN="$ROOT/target/release/preflight-server"
DATA=$(mktemp -d)
PORT=18080
trap 'kill $PID 2>/dev/null || true; rm -rf "$DATA"' EXIT

start() {
  local started=$(date +%s.%N)
  "$BIN" --addr 127.0.0.1:$PORT --data "$DATA" --seed-synthetic --snapshot-every "${SNAPSHOT_EVERY:-100000}" --static "$DATA/none" > "$DATA/server.log" 2>&1 &
  PID=$!
  until curl -sf "http://127.0.0.1:$PORT/api/health" > /dev/null; do sleep 0.2; done
  echo "start-up: $(echo "$(date +%s.%N) - $started" | bc) s ($(grep -o 'database .*' "$DATA/server.log" | head -1))"
}

echo "== first start: seeds the benchmark world into an empty database"
start
SESSION=$(curl -s -c - -H 'Content-Type: application/json' \
  -d '{"email":"u0@env0.example","password":"preflight-demo"}' \
  "http://127.0.0.1:$PORT/api/session" | awk '/preflight_session/ {print $7}')
export SESSION

echo "== check requests (GET /api/check), 64 connections, 2 threads"
wrk -t2 -c64 -d"${DURATION}s" --latency -s "$LOAD_DIR/check.lua" "http://127.0.0.1:$PORT"
echo "== durable commands (POST /api/commands), 64 connections, 2 threads"
wrk -t2 -c64 -d"${DURATION}s" --latency -s "$LOAD_DIR/commands.lua" "http://127.0.0.1:$PORT"
echo "== durable commands at a steady rate above the 2,000/s target: 64 connections, each pausing 25 ms between requests"
PACE_MS=25 wrk -t2 -c64 -d"${DURATION}s" --latency -s "$LOAD_DIR/commands.lua" "http://127.0.0.1:$PORT"

echo "== restart from the latest snapshot (written in the background every ${SNAPSHOT_EVERY:-100000} events, default 100,000)"
kill $PID; wait $PID 2>/dev/null || true
ls "$DATA"/snapshot-*.msgpack > /dev/null 2>&1 || echo "(no snapshot was written)"
start
echo "== restart without a snapshot (replays the whole log)"
kill $PID; wait $PID 2>/dev/null || true
rm -f "$DATA"/snapshot-*.msgpack
start
