#!/usr/bin/env bash
# Side-by-side push benchmark of several patrold builds, for tuning ingest on a
# shared machine: tests/bench/push_ab.sh SECONDS ROUNDS BUILD_DIR...
# A BUILD_DIR written je:DIR runs that build's patrold with jemalloc preloaded.
# Each run starts a fresh patrold (demo seed) on a fresh data directory, warms
# up 1 s, then pushes for SECONDS with patrol_bench_push (64 connections);
# builds alternate ABBA over ROUNDS, batch sizes from PUSH_AB_BATCHES ("50 1").
# Prints ops/s, p50/p99 and patrold's CPU per applied op (user+system from
# /proc over the run) with the live publisher's, the writer's and the I/O
# threads' share (io=0.0 for a build whose threads are not named patrol-io): the
# CPU per op is what a loaded machine distorts least (ops/s of one build moved 4x).
set -uo pipefail
secs=$1; rounds=$2; shift 2
builds=("$@")
work=$(mktemp -d /tmp/patrol-push-ab.XXXXXX)
clk=$(getconf CLK_TCK)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
threads() { for f in /proc/$1/task/*/stat; do sed 's/^[0-9]* (\([^)]*\)) [A-Z] /\1 /' "$f"; done | awk '{c[$1]+=$12+$13} END{for(k in c) print k, c[k]}'; }
tdelta() { awk -v n="$1" 'FNR==NR{if($1==n)a=$2;next} $1==n{print $2-a; f=1} END{if(!f)print 0}' "$work/t0" "$work/t1"; }
run_one() { # build batch
  local b=$1 batch=$2 pre=""
  case "$b" in je:*) b=${b#je:}; pre=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2;; esac
  rm -rf "$work/srv"; mkdir -p "$work/srv"
  LD_PRELOAD=$pre "$b/server/patrold" --listen 127.0.0.1:0 --data-dir "$work/srv" --demo --access-log=false \
    --rate-limit 0 --user-rate-limit 0 --max-connections-per-user 0 >"$work/out" 2>"$work/log" &
  pid=$!; local port=""
  for _ in $(seq 1 400); do
    port=$(sed -n 's/.*listening on https:\/\/[^:]*:\([0-9]*\).*/\1/p' "$work/out" "$work/log" 2>/dev/null | head -1)
    [ -n "$port" ] && break; sleep 0.05; done
  # warm-up 1 s (login, sites)
  "$b/tests/bench/patrol_bench_push" --port "$port" --connections 64 --batch "$batch" --seconds 1 >/dev/null
  local c0; c0=$(awk '{print $14+$15}' /proc/$pid/stat); threads $pid >"$work/t0"
  local line; line=$("$b/tests/bench/patrol_bench_push" --port "$port" --connections 64 --batch "$batch" --seconds "$secs")
  local c1; c1=$(awk '{print $14+$15}' /proc/$pid/stat); threads $pid >"$work/t1"
  kill $pid; wait $pid 2>/dev/null; pid=""
  local ops; ops=$(echo "$line" | sed 's/.*"ops":\([0-9]*\).*/\1/')
  local us; us=$(awk -v d=$((c1-c0)) -v o="$ops" -v hz=$clk 'BEGIN{printf "%.1f", d/hz*1e6/o}')
  local live writer io; live=$(tdelta patrol-live); writer=$(tdelta patrol-writer); io=$(tdelta patrol-io)
  local lus wus ius; lus=$(awk -v d=$live -v o="$ops" -v hz=$clk 'BEGIN{printf "%.1f", d/hz*1e6/o}'); wus=$(awk -v d=$writer -v o="$ops" -v hz=$clk 'BEGIN{printf "%.1f", d/hz*1e6/o}')
  ius=$(awk -v d=$io -v o="$ops" -v hz=$clk 'BEGIN{printf "%.1f", d/hz*1e6/o}')
  echo "${pre:+je:}$(basename $b) batch=$batch $(echo "$line" | node -e 'const d = JSON.parse(require("fs").readFileSync(0, "utf8"));
    console.log(`ops_s=${d.ops_per_s.toFixed(0)} p50=${d.p50_ms.toFixed(1)} p99=${d.p99_ms.toFixed(1)} err=${d.errors}`)') cpu_us_per_op=$us (live=$lus writer=$wus io=$ius) load=$(cut -d' ' -f1 /proc/loadavg)"
}
for r in $(seq 1 "$rounds"); do
  order=("${builds[@]}")
  if (( r % 2 == 0 )); then order=(); for ((i=${#builds[@]}-1;i>=0;i--)); do order+=("${builds[$i]}"); done; fi
  for batch in ${PUSH_AB_BATCHES:-50 1}; do
    for b in "${order[@]}"; do run_one "$b" "$batch"; done
  done
done
