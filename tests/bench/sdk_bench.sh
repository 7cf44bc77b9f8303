#!/usr/bin/env bash
# SDK benchmarks beside their baselines (called by run.sh with a running patrold).
# Usage: sdk_bench.sh BUILD_DIR PORT WORK_DIR
set -euo pipefail
build="$1"; port="$2"; work="$3"
here="$(cd "$(dirname "$0")" && pwd)"
n="${PATROL_BENCH_BACKLOG:-10000}"
"$build/tests/bench/patrol_bench_sdk" "$work" "$port" "$n"
(cd "$here" && node pouchdb_replicate.js "$work" "$n")
