#!/usr/bin/env bash
# Patrol developer entry point. Every verb but `deps` installs what it needs first.
#   scripts/dev.sh deps    install Debian packages (and npm packages for tests)
#   scripts/dev.sh build   build the release preset (patrold, patrolctl)
#   scripts/dev.sh demo    build and start patrold with the seeded demo on https://localhost:8443
#   scripts/dev.sh test    build (g++ ASan/UBSan; SDK: clang++, TSan, aarch64/armhf; live feed: TSan) and run every test
#   scripts/dev.sh bench   build and run the benchmarks, printing the tables the README shows
#   scripts/dev.sh fuzz    run every libFuzzer target for PATROL_FUZZ_SECONDS (default 600) each
#   scripts/dev.sh cluster build and start a throwaway PostgreSQL, three patrold and HAProxy in front
#   scripts/dev.sh soak    kill -9 patrold under push load PATROL_SOAK_CYCLES times (default 1000), then the live feed under TSan
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# ccache shared between checkouts (CI builds a fresh clone elsewhere).
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$(dirname "$root")}"
export CCACHE_NOHASHDIR=true
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"

jobs="${PATROL_JOBS:-$(nproc)}"

apt_packages=(
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev sqlite3 libssl-dev openssl libcctz-dev tzdata libjemalloc-dev
  libpq-dev postgresql-15 haproxy
  googletest libgtest-dev libgmock-dev
  cmake ninja-build ccache pkg-config g++ clang libclang-rt-14-dev
  curl ca-certificates
)
apt_norecommends=(chromium wrk testssl.sh)
# Cross builds of the SDK (presets sdk-aarch64, sdk-armhf): Debian's cross g++ and
# qemu-user on the host; the target's libraries come from cross_sysroots below.
apt_cross=(g++-aarch64-linux-gnu g++-arm-linux-gnueabihf qemu-user)
# Debian multiarch packages the SDK and its tests link, per target architecture,
# unpacked (dpkg -x, no apt install: see cmake/toolchains/cross-debian.cmake for why)
# into $PATROL_SYSROOTS/<triplet>, the folder the toolchain files read.
cross_packages=(
  libssl-dev libssl3 libsqlite3-dev libsqlite3-0
  libboost1.81-dev libboost-json1.81-dev libboost-json1.81.0 libboost-container1.81-dev
  libboost-container1.81.0 libboost-system1.81-dev libboost-system1.81.0
  libboost-url1.81-dev libboost-url1.81.0 libgtest-dev libgmock-dev
)
sysroots="${PATROL_SYSROOTS:-/opt/patrol/sysroots}"

need_apt() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  printf '%s\n' "${missing[@]}"
}

sudo_if_needed() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Unpacks cross_packages for one Debian architecture into $sysroots/TRIPLET, once
# per package list (the stamp file holds the list).
cross_sysroot() {
  local debarch="$1" triplet="$2" dest="$sysroots/$2" stamp
  stamp="$debarch ${cross_packages[*]}"
  if [ -f "$dest/.patrol-stamp" ] && [ "$(cat "$dest/.patrol-stamp")" = "$stamp" ]; then
    return
  fi
  echo "==> unpacking $debarch libraries into $dest"
  # The architecture is named to apt for this download only, never added to
  # dpkg: a foreign index the mirror serves badly would otherwise make every
  # later plain `apt-get update` on the machine fail.
  local archopt=(-o "APT::Architectures::=$debarch")
  sudo_if_needed apt-get "${archopt[@]}" update -qq >/dev/null 2>&1 || true  # a lagging index: fine
  local tmp
  tmp=$(mktemp -d)
  chmod 0755 "$tmp"   # apt's _apt user downloads into it
  (cd "$tmp" && apt-get "${archopt[@]}" download -qq "${cross_packages[@]/%/:$debarch}")
  sudo_if_needed rm -rf "$dest.tmp"
  sudo_if_needed mkdir -p "$dest.tmp"
  for deb in "$tmp"/*.deb; do sudo_if_needed dpkg -x "$deb" "$dest.tmp"; done
  echo "$stamp" | sudo_if_needed tee "$dest.tmp/.patrol-stamp" >/dev/null
  sudo_if_needed rm -rf "$dest"
  sudo_if_needed mv "$dest.tmp" "$dest"
  rm -rf "$tmp"
}

cmd_deps() {
  local missing missing_nr
  missing=$(need_apt "${apt_packages[@]}" "${apt_cross[@]}")
  missing_nr=$(need_apt "${apt_norecommends[@]}")
  # Node.js may come from elsewhere than Debian (its own npm then conflicts with
  # Debian's npm package): install Debian's only when there is none at all.
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    missing="$missing nodejs npm"
  fi
  if [ -n "$missing$missing_nr" ]; then
    echo "==> installing Debian packages: $missing $missing_nr"
    # A mirror mid-sync fails the update; the install may still find what it needs.
    sudo_if_needed apt-get update -qq || echo "(apt-get update failed: trying the install anyway)"
    if [ -n "$missing" ]; then
      # shellcheck disable=SC2086
      DEBIAN_FRONTEND=noninteractive sudo_if_needed apt-get install -y -qq $missing
    fi
    if [ -n "$missing_nr" ]; then
      # shellcheck disable=SC2086
      DEBIAN_FRONTEND=noninteractive sudo_if_needed apt-get install -y -qq --no-install-recommends $missing_nr
    fi
  fi
  cross_sysroot arm64 aarch64-linux-gnu
  cross_sysroot armhf arm-linux-gnueabihf
  if ! dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q "install ok installed"; then
    # CJK glyphs for the dashboard's browser-test screenshots (Chinese by default)
    echo "==> installing Debian packages: fonts-noto-cjk"
    # a mirror mid-sync fails some index (often another architecture's): use what came
    sudo_if_needed apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive sudo_if_needed apt-get install -y -qq --no-install-recommends fonts-noto-cjk
  fi
  local d
  for d in tests/e2e tests/e2e/browser server/web; do
    npm_ci_if_stale "$d"
  done
  web_vendor
}

# npm ci in $1 when it has a lock file and node_modules is missing or older than it.
npm_ci_if_stale() {
  local d="$1"
  [ -f "$d/package-lock.json" ] || return 0
  if [ ! -f "$d/node_modules/.package-lock.json" ] || [ "$d/package-lock.json" -nt "$d/node_modules/.package-lock.json" ]; then
    echo "==> installing npm packages ($d, from package-lock.json)"
    (cd "$d" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

# The dashboard's third-party files, copied from the locked npm package into
# what patrold serves (server/web/vendor, not committed): the page loads
# nothing from the internet.
web_vendor() {
  local src=server/web/node_modules/leaflet/dist dst=server/web/vendor/leaflet
  [ -d "$src" ] || return 0
  mkdir -p "$dst"
  cp -R "$src/leaflet-src.esm.js" "$src/leaflet-src.esm.js.map" "$src/leaflet.css" "$src/images" "$dst/"
  # Apache ECharts (the overview's charts): its self-contained ES module build
  src=server/web/node_modules/echarts
  dst=server/web/vendor/echarts
  [ -d "$src/dist" ] || return 0
  mkdir -p "$dst"
  cp "$src/dist/echarts.esm.min.js" "$src/LICENSE" "$src/NOTICE" "$dst/"
}

configure() {
  local preset="$1"
  if [ ! -f "build/$preset/build.ninja" ]; then
    cmake --preset "$preset" >/dev/null
  fi
}

build_preset() {
  local preset="$1"; shift
  configure "$preset"
  cmake --build "build/$preset" -j "$jobs" "$@"
}

cmd_build() {
  cmd_deps
  build_preset release
}

cmd_demo() {
  cmd_deps
  build_preset release --target patrold patrolctl patrol_sim
  local data="${PATROL_DATA_DIR:-$root/patrol-data}"
  local listen="${PATROL_LISTEN:-127.0.0.1:8443}"
  mkdir -p -m 700 "$data"  # reports, photos, the TLS key: owner only
  cat <<MSG

  Patrol demo
  -----------
  Dashboard:  https://localhost:${listen##*:}/   (self-signed certificate: accept it in the browser)
  Data dir:   $data
  Logins (password for all: patrol-demo):
    13900000000  city_admin   临海市
    13900000001  team_leader  大田街道 › 大田刘村
    13900000002  volunteer    大田街道 › 大田刘村
    13900000003  volunteer    东塍镇 › 东溪单村
    13900000004  town_staff   大田街道
    13900000007  village_admin 大田街道 › 大田刘村
  Try:
    curl -k -s https://localhost:${listen##*:}/api/v1/auth/login -H 'Content-Type: application/json' \\
      -d '{"phone":"13900000002","password":"patrol-demo","device_id":"curl"}'

MSG
  if [ "${PATROL_SIM:-1}" = "0" ]; then
    exec "build/release/server/patrold" --listen "$listen" --data-dir "$data" --demo \
      --web-root "$root/server/web"
  fi
  # A simulated patrol (the demo volunteers, through the client SDK) so the
  # live map moves; PATROL_SIM=0 turns it off.
  "build/release/server/patrold" --listen "$listen" --data-dir "$data" --demo \
    --web-root "$root/server/web" &
  local server_pid=$! sim_pid=""
  trap 'kill ${sim_pid:+$sim_pid} $server_pid 2>/dev/null; wait' INT TERM EXIT
  for _ in $(seq 1 100); do
    curl -ksf "https://127.0.0.1:${listen##*:}/healthz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  echo "==> simulated patrol: 13900000002 and 13900000003 walk their sites (PATROL_SIM=0: off)"
  "build/release/client-sdk/patrol_sim" --server "https://127.0.0.1:${listen##*:}" --insecure \
    --data-dir "${PATROL_SIM_DIR:-$root/patrol-sim}" &
  sim_pid=$!
  wait "$server_pid"
}

# Three stateless patrold nodes over one throwaway PostgreSQL, HAProxy (TCP,
# TLS passes through to the nodes) in front on PATROL_LISTEN. The nodes share
# one data directory (attachments are content-addressed files renamed into
# place atomically; the certificate node 1 generates). Ctrl-C stops it all.
# Behind HAProxy (TCP mode) every client reaches a node from 127.0.0.1, so the
# per-address rate limit counts all clients as one: for load tests pass
# PATROL_CLUSTER_ARGS="--rate-limit 0" (or use HAProxy's PROXY protocol, which
# patrold does not speak yet).
cmd_cluster() {
  cmd_deps
  build_preset release --target patrold
  local listen="${PATROL_LISTEN:-127.0.0.1:8443}" pgport="${PATROL_PG_PORT:-55432}"
  local base="${PATROL_NODE_PORT:-8451}" work
  work="$(mktemp -d /tmp/patrol-cluster.XXXXXX)"
  # Globals: the EXIT trap may run after this function returned.
  cluster_info="$work/pg.info" cluster_work="$work" cluster_pids=()
  local info="$cluster_info"
  cleanup() {
    trap - EXIT INT TERM
    for p in "${cluster_pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    scripts/pg-throwaway.sh stop "$cluster_info"
    echo "==> cluster stopped (logs were in $cluster_work)"
    exit 0
  }
  trap cleanup EXIT INT TERM
  echo "==> PostgreSQL on 127.0.0.1:$pgport"
  local admin
  admin="$(scripts/pg-throwaway.sh start "$info" "$pgport")"
  psql -q "$admin" -c "CREATE DATABASE patrol"
  local db="postgresql://patrol@127.0.0.1:$pgport/patrol"
  mkdir -p "$work/data"
  for i in 1 2 3; do
    local port=$((base + i - 1))
    build/release/server/patrold --listen "127.0.0.1:$port" --data-dir "$work/data" \
      --database "$db" --demo --web-root "$root/server/web" \
      ${PATROL_CLUSTER_ARGS:-} >"$work/node$i.log" 2>&1 &
    cluster_pids+=($!)
    # Node 1 seeds the demo and generates the certificate before the others start.
    for _ in $(seq 100); do grep -q listening "$work/node$i.log" && break; sleep 0.2; done
    grep -q listening "$work/node$i.log" || { cat "$work/node$i.log"; exit 1; }
    echo "==> node $i on https://127.0.0.1:$port"
  done
  cat >"$work/haproxy.cfg" <<CFG
global
  maxconn 4000
defaults
  mode tcp
  timeout connect 2s
  timeout client 1h
  timeout server 1h
frontend patrol
  bind ${listen}
  default_backend nodes
backend nodes
  balance leastconn
  option httpchk GET /healthz
  http-check send meth GET uri /healthz
  server node1 127.0.0.1:$base check check-ssl verify none inter 1s fall 2 rise 1
  server node2 127.0.0.1:$((base + 1)) check check-ssl verify none inter 1s fall 2 rise 1
  server node3 127.0.0.1:$((base + 2)) check check-ssl verify none inter 1s fall 2 rise 1
CFG
  haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
  cluster_pids+=($!)
  sleep 1
  kill -0 "${cluster_pids[-1]}" 2>/dev/null || { cat "$work/haproxy.log"; exit 1; }
  cat <<MSG

  Patrol cluster: 3 patrold nodes over PostgreSQL, HAProxy in front
  ----------------------------------------------------------------
  URL:        https://localhost:${listen##*:}/   (self-signed certificate)
  Nodes:      https://127.0.0.1:$base  :$((base + 1))  :$((base + 2))   (logs in $work)
  Database:   $db
  Logins as for \`dev.sh demo\` (password patrol-demo), e.g. 13900000002.
  Ctrl-C stops everything.

MSG
  wait "${cluster_pids[@]}"
}

cmd_test() {
  cmd_deps
  echo "==> build (g++, Debug + ASan/UBSan)"
  build_preset asan
  echo "==> unit + integration tests (ASan/UBSan)"
  ctest --test-dir build/asan --output-on-failure -j "$jobs" --timeout 600
  # The kill -9 cycles' count (ctest shows a passing test's output only in its log).
  grep -h "^cycles=" build/asan/Testing/Temporary/LastTest.log || true
  echo "==> TLS scan (testssl.sh against patrold)"
  tests/tls/run_testssl.sh build/asan
  echo "==> build (clang++, client SDK only)"
  build_preset clang-sdk
  echo "==> SDK tests (clang++)"
  ctest --test-dir build/clang-sdk --output-on-failure -j "$jobs" --timeout 600
  # ThreadSanitizer over the sync engine's thread and the app threads around it.
  echo "==> build (clang++ TSan, SDK engine tests only)"
  build_preset sdk-tsan --target patrol_sdk_engine_tests
  echo "==> SDK engine tests (TSan)"
  ctest --test-dir build/sdk-tsan --output-on-failure -j "$jobs" --timeout 600 -R '^SyncEngine[.]'
  live_tsan
  # The phones' architectures: only the SDK's test targets (and what they link)
  # are built; their tests run under qemu-user (CMAKE_CROSSCOMPILING_EMULATOR).
  local cross
  for cross in sdk-aarch64 sdk-armhf; do
    echo "==> build ($cross, client SDK tests only)"
    build_preset "$cross" --target patrol_sdk_tests patrol_sdk_engine_tests \
      patrol_sdk_c_api_test patrol_wire_tests patrol_sqlite_tests
    echo "==> SDK tests ($cross, under qemu)"
    ctest --test-dir "build/$cross" --output-on-failure -j "$jobs" --timeout 600
  done
  if [ -x tests/e2e/run.sh ]; then
    echo "==> schema, browser and WebSocket tests (node)"
    tests/e2e/run.sh build/asan
  fi
}

cmd_bench() {
  cmd_deps
  if [ ! -d tests/bench/node_modules ]; then
    echo "==> installing npm packages (tests/bench: PouchDB baseline, from package-lock.json)"
    (cd tests/bench && npm ci --no-audit --no-fund --loglevel=error)
  fi
  build_preset release
  if [ -x tests/bench/run.sh ]; then
    tests/bench/run.sh build/release
  else
    echo "no benchmarks yet"
  fi
}

# The live feed under ThreadSanitizer (clang++; the publisher thread, its
# subscribe jobs and the I/O threads over real TLS), in `test` and `soak`.
# Only the two test targets and what they link (the server's libraries and
# patrold: ~115 translation units) are built, at -O1 -gline-tables-only (the
# server-tsan preset): line numbers in reports, a fraction of -O2 -g's compile
# time. Cold (no ccache) the build is ~7 min of CPU (415 s user+sys measured,
# ~3.5 min on 2 idle cores); warm, nothing; the tests themselves ~6 s.
live_tsan() {
  echo "==> build (clang++ TSan, server live feed and WebSocket tests only)"
  build_preset server-tsan --target patrol_server_live_feed_tests patrol_server_net_tests
  echo "==> live feed and WebSocket tests (TSan)"
  TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1}" \
    ctest --test-dir build/server-tsan --output-on-failure -j "$jobs" --timeout 600 \
    -R '^(LiveFeed|NetWebSocket)[.]'
}

cmd_fuzz() {
  cmd_deps
  build_preset clang-sdk
  local secs="${PATROL_FUZZ_SECONDS:-600}"
  local out="build/clang-sdk/tests/fuzz"
  # op_validator_fuzz: libFuzzer's entropic scheduler spent ~80% of its time
  # updating feature frequencies over the many instrumented domain sources
  # (155 runs/s against 1,300 without it).
  for target in wire_push_fuzz:push request_head_fuzz:request osmand_fuzz:osmand sdk_response_fuzz:sdk \
      live_message_fuzz:live op_validator_fuzz:ops:-entropic=0; do
    local exe="${target%%:*}" rest="${target#*:}"
    local corpus="${rest%%:*}" extra=""
    [ "$rest" != "$corpus" ] && extra="${rest#*:}"
    local work="$out/long-$corpus"
    mkdir -p "$work"
    cp -rn "tests/fuzz/corpus/$corpus/." "$work/"
    echo "==> $exe for ${secs}s (corpus $work)"
    # shellcheck disable=SC2086
    "$out/$exe" $extra -max_total_time="$secs" -max_len=8192 -print_final_stats=1 "$work" 2>&1 |
      grep -E "^(Done|stat::number_of_executed_units|stat::average_exec_per_sec)|ERROR|SUMMARY" || true
  done
}

# kill -9 cycles under push load (tests/integration/server/kill_cycles_test.cpp),
# more of them than the test command runs.
cmd_soak() {
  cmd_deps
  build_preset asan --target patrol_server_kill_cycles_tests
  local cycles="${PATROL_SOAK_CYCLES:-1000}"
  echo "==> kill -9 soak: $cycles cycles"
  PATROL_KILL_CYCLES="$cycles" build/asan/tests/integration/server/patrol_server_kill_cycles_tests
  live_tsan
}

case "${1:-}" in
  deps) cmd_deps ;;
  build) cmd_build ;;
  demo) cmd_demo ;;
  test) cmd_test ;;
  bench) cmd_bench ;;
  fuzz) cmd_fuzz ;;
  cluster) cmd_cluster ;;
  soak) cmd_soak ;;
  *)
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
