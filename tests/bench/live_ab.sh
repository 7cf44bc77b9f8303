#!/usr/bin/env bash
# The live feed's fan-out for two patrold builds side by side in one run (the
# same load on the shared machine for both), with the Node `ws` anchor between
# them. Usage: tests/bench/live_ab.sh BEFORE_PATROLD AFTER_PATROLD
#   PATROL_BENCH_VIEWERS (10000), PATROL_BENCH_ANCHOR_VIEWERS (5000),
#   PATROL_BENCH_SECONDS (8) as in run.sh. Prints the JSON lines and the table.
set -euo pipefail
before="$(realpath "${1:?usage: live_ab.sh BEFORE_PATROLD AFTER_PATROLD}")"
after="$(realpath "${2:?usage: live_ab.sh BEFORE_PATROLD AFTER_PATROLD}")"
here="$(cd "$(dirname "$0")" && pwd)"
secs="${PATROL_BENCH_SECONDS:-8}"
viewers="${PATROL_BENCH_VIEWERS:-10000}"
anchor="${PATROL_BENCH_ANCHOR_VIEWERS:-5000}"
work="$(mktemp -d /tmp/patrol-live-ab.XXXXXX)"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
results="$work/results.jsonl"
: >"$results"

# $1 = binary, $2 = label, $3 = viewers, $4.. = extra live_fanout.mjs arguments
run_one() {
  local bin="$1" label="$2" n="$3"; shift 3
  rm -rf "$work/server"; mkdir -p "$work/server"
  "$bin" --listen 127.0.0.1:0 --data-dir "$work/server" --demo --access-log=false \
    --max-connections 30000 --max-connections-per-ip 0 --max-websockets-per-user 0 \
    --max-connections-per-user 0 --rate-limit 0 --user-rate-limit 0 --workers 16 \
    >"$work/patrold.out" 2>"$work/patrold.log" &
  server_pid=$!
  local port=""
  for _ in $(seq 1 200); do
    port=$(sed -n 's/.*listening on https:\/\/[^:]*:\([0-9]*\).*/\1/p' "$work/patrold.out" 2>/dev/null | head -1)
    [ -n "$port" ] && break
    sleep 0.05
  done
  [ -n "$port" ] || { echo "patrold did not start:"; cat "$work/patrold.log"; exit 1; }
  echo "==> $label: $n TLS viewers (load: $(cut -d' ' -f1-3 /proc/loadavg))"
  (cd "$here" && node live_fanout.mjs patrold --port "$port" --pid "$server_pid" \
    --viewers "$n" --seconds "$secs" "$@") | sed "s/^{/{\"build\":\"$label\",/" | tee -a "$results"
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

run_one "$before" before "$viewers"
run_one "$after" after "$viewers"
echo "==> Node ws broadcast anchor: $anchor plaintext viewers (load: $(cut -d' ' -f1-3 /proc/loadavg))"
(cd "$here" && node live_fanout.mjs anchor --viewers "$anchor") | tee -a "$results"
run_one "$before" before "$anchor" --probes 20
run_one "$after" after "$anchor" --probes 20
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
node - "$results" <<'JS'
const rows = require('fs').readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const f = (x, d = 0) => (x === undefined || Number.isNaN(Number(x)) ? '-' : Number(x).toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
console.log('\n| live feed | viewers | p50 ms | p99 ms | server commit→sent p50 / p99 ms (bucket bound) | delivered / expected | coalesced (server) | closed | server CPU per delivery | memory per idle connection | positions/s ingested while watched |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const who = r.build ? `patrold, TLS, ${r.build}` : r.server;
  if (r.bench === 'live_fanout') {
    const mem = rows.find((m) => m.bench === 'live_idle_memory' && m.build === r.build && m.viewers === r.viewers);
    const kib = r.kib_per_conn ?? mem?.kib_per_conn;
    console.log(`| ${who} | ${f(r.viewers)} | ${f(r.p50_ms)} | ${f(r.p99_ms)} | ${r.server_sent ? `≤ ${f(r.server_p50_le_ms)} / ≤ ${f(r.server_p99_le_ms)}` : '-'} | ${f(r.samples)} / ${f(r.expected)} | ${f(r.coalesced)} | ${r.closed} | ${r.server_cpu_us_per_delivery ? f(r.server_cpu_us_per_delivery, 1) + ' µs' : '-'} | ${kib !== undefined ? f(kib, 1) + ' KiB' : '-'} | - |`);
  } else if (r.bench === 'live_ingest') {
    console.log(`| ${who}, while ingesting | ${f(r.viewers)} | ${f(r.p50_ms)} | ${f(r.p99_ms)} | - | ${f(r.samples)} / ${f(r.expected)} | ${f(r.coalesced)} (total) | ${r.closed} | - | - | ${f(r.positions_per_s)} (${r.errors} errors) |`);
  }
}
JS
