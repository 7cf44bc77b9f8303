#!/usr/bin/env bash
# SDK benchmarks beside their baselines (called by run.sh with a running patrold).
# Usage: sdk_bench.sh BUILD_DIR PORT WORK_DIR
#   PATROL_BENCH_BACKLOG      backlog size (default 10000)
#   PATROL_BENCH_SDK_BEFORE   another build's patrol_bench_sdk (e.g. main's): run
#                             alternately with this build's against the same
#                             patrold, PATROL_BENCH_SDK_ROUNDS times (default 2),
#                             every line tagged "sdk":"before"|"after" — a
#                             before/after in one run, under the same load.
set -euo pipefail
build="$1"; port="$2"; work="$3"
here="$(cd "$(dirname "$0")" && pwd)"
n="${PATROL_BENCH_BACKLOG:-10000}"
before="${PATROL_BENCH_SDK_BEFORE:-}"
if [ -z "$before" ]; then
  "$build/tests/bench/patrol_bench_sdk" "$work" "$port" "$n"
else
  for round in $(seq 1 "${PATROL_BENCH_SDK_ROUNDS:-2}"); do
    for which in before after; do
      exe="$build/tests/bench/patrol_bench_sdk"
      [ "$which" = before ] && exe="$before"
      rm -rf "$work/sdk"
      "$exe" "$work" "$port" "$n" | sed "s/^{/{\"sdk\":\"$which\",\"round\":$round,/"
    done
  done
  rm -rf "$work/sdk"
fi
(cd "$here" && node pouchdb_replicate.js "$work" "$n")
