#!/usr/bin/env bash
# tests/e2e/run.sh BUILD_DIR — runs every node test in this folder:
#   wire_samples.test.mjs   C++ encoder output (BUILD_DIR/tests/unit/wire/patrol_wire_samples) vs schemas
#   openapi_lint.test.mjs   schemas/openapi.yaml through redocly lint
#   server_api.test.mjs     the real BUILD_DIR/server/patrold: every route, every body vs schemas
#   browser/*.test.mjs      the dashboard in headless Chromium (own package: playwright-core)
# and any other *.test.mjs added here. Prints the node test runner's TAP summary.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${1:?usage: tests/e2e/run.sh BUILD_DIR}"
build="$(cd "$build" && pwd)"
cd "$here"
for d in . browser; do
  if [ -f "$d/package-lock.json" ] && [ ! -d "$d/node_modules" ]; then
    (cd "$d" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
export PATROL_BUILD_DIR="$build"
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
mapfile -t tests < <(ls ./*.test.mjs ./browser/*.test.mjs)
exec node --test --test-reporter=tap --test-concurrency=1 "${tests[@]}"
