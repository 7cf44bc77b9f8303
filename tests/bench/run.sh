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
# The same push load on PostgreSQL (a throwaway cluster, fsync on,
# synchronous_commit=on: as durable as SQLite's synchronous=FULL): one node,
# then three nodes behind HAProxy. Same 2 cores for everything, so the point
# is the cost per op and that nothing serialises across nodes.
pg_bench() {
  local root; root="$(cd "$here/../.." && pwd)"
  [ -x /usr/lib/postgresql/15/bin/initdb ] || { echo "(no PostgreSQL 15: skipping its rows)"; return 0; }
  command -v haproxy >/dev/null || { echo "(no haproxy: skipping the cluster rows)"; }
  local info="$work/pg.info" pgport="${PATROL_BENCH_PG_PORT:-55433}" admin db nodes=()
  admin="$("$root/scripts/pg-throwaway.sh" start "$info" "$pgport")"
  psql -q "$admin" -c "CREATE DATABASE patrol"
  db="postgresql://patrol@127.0.0.1:$pgport/patrol"
  local stop_pg='for p in "${nodes[@]}"; do kill "$p" 2>/dev/null; done; wait "${nodes[@]}" 2>/dev/null || true; "$root/scripts/pg-throwaway.sh" stop "$info"'
  mkdir -p "$work/pgnodes"
  start_node() {  # $1 = index; sets node_port
    "$build/server/patrold" --listen 127.0.0.1:0 --data-dir "$work/pgnodes" --database "$db" \
      --demo --access-log=false --rate-limit 0 --user-rate-limit 0 --max-connections-per-user 0 \
      >"$work/pg$1.out" 2>"$work/pg$1.log" &
    nodes+=($!)
    node_port=""
    for _ in $(seq 1 200); do
      node_port=$(sed -n 's/.*listening on https:\/\/[^:]*:\([0-9]*\).*/\1/p' "$work/pg$1.out" 2>/dev/null | head -1)
      [ -n "$node_port" ] && return 0
      sleep 0.05
    done
    echo "patrold on PostgreSQL did not start:"; cat "$work/pg$1.log"; return 1
  }
  start_node 1 || { eval "$stop_pg"; return 1; }
  local p1=$node_port
  for batch in 1 50; do
    echo "==> PostgreSQL, one node: sync/push, $batch-op batches, 64 connections"
    "$build/tests/bench/patrol_bench_push" --port "$p1" --connections 64 --batch "$batch" \
      --seconds "$secs" | sed 's/^{/{"store":"postgresql, 1 node",/' | tee -a "$results"
  done
  if command -v haproxy >/dev/null; then
    start_node 2 && local p2=$node_port && start_node 3 && local p3=$node_port
    # Below the kernel's ephemeral range (32768-60999): pgport + 1 was taken
    # now and then by a node's own connection to PostgreSQL, and HAProxy
    # could not bind it.
    local lb="${PATROL_BENCH_LB_PORT:-25434}"
    cat >"$work/haproxy.cfg" <<CFG
global
  maxconn 4000
defaults
  mode tcp
  timeout connect 2s
  timeout client 1m
  timeout server 1m
frontend patrol
  bind 127.0.0.1:$lb
  default_backend nodes
backend nodes
  balance roundrobin
  server n1 127.0.0.1:$p1
  server n2 127.0.0.1:$p2
  server n3 127.0.0.1:$p3
CFG
    haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
    nodes+=($!)
    # Up when it accepts (a loaded machine may take seconds).
    local up=""
    for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$lb") 2>/dev/null && up=1 && break; sleep 0.1; done
    if [ -z "$up" ]; then
      # Say why and leave no cluster behind (the rows are skipped, not faked).
      echo "HAProxy on 127.0.0.1:$lb did not accept within 10 s (nodes on $p1 ${p2:-?} ${p3:-?}):"
      cat "$work/haproxy.log"
    fi
    for batch in 1 50; do
      [ -n "$up" ] || break
      echo "==> PostgreSQL, three nodes behind HAProxy: sync/push, $batch-op batches, 64 connections"
      "$build/tests/bench/patrol_bench_push" --port "$lb" --connections 64 --batch "$batch" \
        --seconds "$secs" | sed 's/^{/{"store":"postgresql, 3 nodes",/' | tee -a "$results"
    done
  fi
  eval "$stop_pg"
}
pg_bench

node "$here/table.js" "$results"
