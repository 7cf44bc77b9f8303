#!/usr/bin/env bash
# Runs every benchmark side by side in one run and prints the tables the README
# quotes. Usage: tests/bench/run.sh BUILD_DIR   (a release build)
set -euo pipefail
build="$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)"
here="$(cd "$(dirname "$0")" && pwd)"
secs="${PATROL_BENCH_SECONDS:-8}"
work="$(mktemp -d /tmp/patrol-bench.XXXXXX)"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

start_server() {
  # No access log: a line per request would measure the terminal, not the server.
  # Rate limits and the per-user connection cap off: the load generator is one
  # user on one address (64 connections), by design,
  # far beyond what the per-address and per-user defaults allow one client.
  "$build/server/patrold" --listen 127.0.0.1:0 --data-dir "$work/server" --demo --access-log=false \
    --rate-limit 0 --user-rate-limit 0 --max-connections-per-user 0 \
    >"$work/patrold.out" 2>"$work/patrold.log" &
  server_pid=$!
  for _ in $(seq 1 200); do
    port=$(sed -n 's/.*listening on https:\/\/[^:]*:\([0-9]*\).*/\1/p' "$work/patrold.out" "$work/patrold.log" 2>/dev/null | head -1)
    [ -n "$port" ] && return 0
    sleep 0.05
  done
  echo "patrold did not start:"; cat "$work/patrold.log"; exit 1
}

mkdir -p "$work/server"
start_server
echo "patrold on port $port (data in $work/server)"
results="$work/results.jsonl"
: >"$results"

echo "==> SQLite storage limit (same rows, WAL + synchronous=FULL, one writer)"
"$build/tests/bench/patrol_bench_sqlite" "$work" "$secs" | tee -a "$results"
for batch in 1 50; do
  echo "==> sync/push, $batch-op batches, 64 connections"
  "$build/tests/bench/patrol_bench_push" --port "$port" --connections 64 --batch "$batch" \
    --seconds "$secs" | tee -a "$results"
done
if [ "${PATROL_BENCH_ONLY:-}" = "push" ]; then  # the push rows alone (while tuning ingest)
  node "$here/table.js" "$results"
  exit 0
fi
if [ -x "$here/sdk_bench.sh" ]; then
  "$here/sdk_bench.sh" "$build" "$port" "$work" | tee -a "$results"
fi

if [ -x "$build/tests/bench/patrol_bench_city" ]; then
  echo "==> generated city: round generation, overview, pull (store level)"
  "$build/tests/bench/patrol_bench_city" "$work" | tee -a "$results"
fi
echo "==> live feed: ${PATROL_BENCH_VIEWERS:-10000} TLS viewers on patrold, 5000 on a Node ws broadcast server"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true  # the viewers' processes hold thousands of sockets each
# A fresh patrold, so the memory per connection is not mixed with the push runs' caches.
kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null || true
rm -rf "$work/server"; mkdir -p "$work/server"
"$build/server/patrold" --listen 127.0.0.1:0 --data-dir "$work/server" --demo --access-log=false \
  --max-connections 30000 --max-connections-per-ip 0 --max-websockets-per-user 0 --max-connections-per-user 0 \
  --rate-limit 0 --user-rate-limit 0 --workers 16 >"$work/patrold.out" 2>"$work/patrold.log" &
server_pid=$!
port=""
for _ in $(seq 1 200); do
  port=$(sed -n 's/.*listening on https:\/\/[^:]*:\([0-9]*\).*/\1/p' "$work/patrold.out" 2>/dev/null | head -1)
  [ -n "$port" ] && break
  sleep 0.05
done
(cd "$here" && node live_fanout.mjs patrold --port "$port" --pid "$server_pid" \
  --viewers "${PATROL_BENCH_VIEWERS:-10000}" --seconds "$secs") | tee -a "$results"
(cd "$here" && node live_fanout.mjs anchor --viewers "${PATROL_BENCH_ANCHOR_VIEWERS:-5000}") | tee -a "$results"
(cd "$here" && node live_fanout.mjs patrold --port "$port" --pid "$server_pid" \
  --viewers "${PATROL_BENCH_ANCHOR_VIEWERS:-5000}" --seconds 2 --probes 20) | grep '"live_fanout"' | tee -a "$results"

node "$here/table.js" "$results"
