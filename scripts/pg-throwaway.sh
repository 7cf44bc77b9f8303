#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster in a temp directory (initdb + pg_ctl; never
# the system service), for tests, `dev.sh cluster` and `dev.sh bench`.
#   scripts/pg-throwaway.sh start INFO_FILE [PORT] [fast]
#       initdb a cluster in a new temp dir, start it listening on a unix socket
#       in that dir (and on 127.0.0.1:PORT when PORT is given), and write
#       "<libpq conninfo>\n<dir>" to INFO_FILE. `fast` turns fsync off (unit
#       tests only: the store's own durability setting is unaffected).
#   scripts/pg-throwaway.sh stop INFO_FILE
#       stop the cluster INFO_FILE names and remove its directory.
# As root the server runs as the `postgres` user (PostgreSQL refuses root).
set -euo pipefail

bin=/usr/lib/postgresql/15/bin
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cmd="${1:-}"; info="${2:-}"
[ -n "$cmd" ] && [ -n "$info" ] || { echo "usage: $0 start|stop INFO_FILE [PORT] [fast]" >&2; exit 2; }

case "$cmd" in
  start)
    port="${3:-}"; mode="${4:-}"
    dir="$(mktemp -d /tmp/patrol-pg.XXXXXX)"
    chmod 755 "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    as_pg "$bin/initdb" -D "$dir/data" -U patrol --auth=trust -E UTF8 --locale=C.UTF-8 \
      --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    listen="''"; p=5432
    if [ -n "$port" ]; then listen="127.0.0.1"; p="$port"; fi
    opts="-k $dir -p $p -c listen_addresses=$listen -c max_connections=200"
    opts="$opts -c shared_buffers=128MB -c synchronous_commit=on"
    [ "$mode" = fast ] && opts="$opts -c fsync=off -c full_page_writes=off"
    as_pg "$bin/pg_ctl" -D "$dir/data" -o "$opts" -l "$dir/server.log" -w -t 60 start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    if [ -n "$port" ]; then conn="postgresql://patrol@127.0.0.1:$p/postgres"
    else conn="host=$dir port=$p user=patrol dbname=postgres"; fi
    printf '%s\n%s\n' "$conn" "$dir" >"$info"
    echo "$conn"
    ;;
  stop)
    [ -f "$info" ] || exit 0
    dir="$(sed -n 2p "$info")"
    if [ -n "$dir" ] && [ -d "$dir/data" ]; then
      as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
      rm -rf "$dir"
    fi
    rm -f "$info"
    ;;
  *) echo "usage: $0 start|stop INFO_FILE [PORT] [fast]" >&2; exit 2 ;;
esac
