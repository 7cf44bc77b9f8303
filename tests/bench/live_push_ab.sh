#!/usr/bin/env bash
# The live publisher's cost per pushed op, several patrold builds side by side
# (ABBA over ROUNDS), with VIEWERS live viewers subscribed to the node the
# pushes land in (0: nobody watches, the idle tail):
#   tests/bench/live_push_ab.sh SECONDS ROUNDS VIEWERS BUILD_DIR...
# Each run: a fresh patrold (demo seed), the viewers (live_watch.mjs), 1 s of
# warm-up, then 50-op pushes at 64 connections (patrol_bench_push) for
# SECONDS. Prints ops/s and patrold's CPU per applied op (user+system from
# /proc/PID/task over the run) by thread: the publisher (patrol-live), the
# writer and the rest (I/O threads: TLS, HTTP, the fan-out's writes; the
# workers); the events the viewers received; the load average.
set -uo pipefail
secs=$1; rounds=$2; viewers=$3; shift 3
builds=("$@")
here="$(cd "$(dirname "$0")" && pwd)"
work=$(mktemp -d /tmp/patrol-live-push-ab.XXXXXX)
clk=$(getconf CLK_TCK)
pid=""; wpid=""
trap '[ -n "$wpid" ] && kill "$wpid" 2>/dev/null; [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
threads() { for f in /proc/$1/task/*/stat; do sed 's/^[0-9]* (\([^)]*\)) [A-Z] /\1 /' "$f"; done | awk '{c[$1]+=$12+$13} END{for(k in c) print k, c[k]}'; }
# CPU ticks between the two snapshots of threads whose name matches $1 (awk regex).
tdelta() { awk -v n="$1" 'FNR==NR{if($1~n)a+=$2;next} $1~n{b+=$2} END{print b-a}' "$work/t0" "$work/t1"; }
per_op() { awk -v d="$1" -v o="$2" -v hz="$clk" 'BEGIN{printf "%.2f", d/hz*1e6/o}'; }
run_one() { # build
  local b=$1
  rm -rf "$work/srv"; mkdir -p "$work/srv"
  "$b/server/patrold" --listen 127.0.0.1:0 --data-dir "$work/srv" --demo --access-log=false \
    --rate-limit 0 --user-rate-limit 0 --max-connections-per-user 0 --max-websockets-per-user 0 \
    >"$work/out" 2>"$work/log" &
  pid=$!; local port=""
  for _ in $(seq 1 400); do
    port=$(sed -n 's/.*listening on https:\/\/[^:]*:\([0-9]*\).*/\1/p' "$work/out" "$work/log" 2>/dev/null | head -1)
    [ -n "$port" ] && break; sleep 0.05; done
  if [ "$viewers" -gt 0 ]; then
    (cd "$here" && exec node live_watch.mjs --port "$port" --viewers "$viewers") >"$work/watch" 2>"$work/watch.err" &
    wpid=$!
    for _ in $(seq 1 600); do grep -q subscribed "$work/watch.err" 2>/dev/null && break; sleep 0.1; done
  fi
  "$b/tests/bench/patrol_bench_push" --port "$port" --connections 64 --batch 50 --seconds 1 >/dev/null
  threads $pid >"$work/t0"
  local line; line=$("$b/tests/bench/patrol_bench_push" --port "$port" --connections 64 --batch 50 --seconds "$secs")
  threads $pid >"$work/t1"
  local got="-"
  if [ -n "$wpid" ]; then
    sleep 1; kill "$wpid"; wait "$wpid" 2>/dev/null; wpid=""
    got=$(node -e 'const d=JSON.parse(require("fs").readFileSync(0,"utf8"));console.log(`${d.subscribed}/${d.viewers}:${d.events}:closed=${d.closed}`)' <"$work/watch" 2>/dev/null || echo "?")
  fi
  kill $pid; wait $pid 2>/dev/null; pid=""
  local ops; ops=$(echo "$line" | sed 's/.*"ops":\([0-9]*\).*/\1/')
  local all live writer
  all=$(tdelta '.'); live=$(tdelta '^patrol-live$'); writer=$(tdelta '^patrol-writer$')
  echo "$(basename "$b") viewers=$viewers ops_s=$(echo "$line" | sed 's/.*"ops_per_s":\([0-9.E+]*\).*/\1/' | awk '{printf "%.0f", $1}') cpu_us_per_op=$(per_op "$all" "$ops") live=$(per_op "$live" "$ops") writer=$(per_op "$writer" "$ops") other=$(per_op $((all-live-writer)) "$ops") watched(subscribed:events:closed)=$got load=$(cut -d' ' -f1 /proc/loadavg)"
}
for r in $(seq 1 "$rounds"); do
  order=("${builds[@]}")
  if (( r % 2 == 0 )); then order=(); for ((i=${#builds[@]}-1;i>=0;i--)); do order+=("${builds[$i]}"); done; fi
  for b in "${order[@]}"; do run_one "$b"; done
done
