#!/usr/bin/env bash
# testssl.sh (Debian package testssl.sh) against a real patrold: protocols,
# ciphers, server preferences, known vulnerabilities and HTTP headers.
# Fails on any HIGH or CRITICAL finding except the two a self-signed test
# certificate must produce (cert_chain_of_trust, cert_revocation: a deployed
# server runs with --cert/--key from a CA); requires TLS 1.2/1.3 only and HSTS.
# Usage: tests/tls/run_testssl.sh BUILD_DIR   (~90 s)
set -euo pipefail
build="${1:?usage: $0 BUILD_DIR}"
if ! command -v testssl >/dev/null; then
  echo "testssl not installed (apt-get install testssl.sh): skipped"; exit 0
fi
work="$(mktemp -d)"
pid=""  # set before the trap so an early exit never trips `set -u` inside it
trap '[ -n "$pid" ] && { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }; rm -rf "$work"' EXIT
"$build/server/patrold" --listen 127.0.0.1:0 --data-dir "$work/data" --access-log=false \
  >"$work/out" 2>"$work/log" &
pid=$!
port=""
for _ in $(seq 1 300); do
  port=$(sed -n 's/.*listening on https:\/\/[^:]*:\([0-9]*\).*/\1/p' "$work/out" 2>/dev/null | head -1)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "patrold did not start:"; cat "$work/log"; exit 1; }
testssl --quiet --color 0 --warnings off --fast -p -s -S -U -h \
  --jsonfile "$work/testssl.json" "127.0.0.1:$port" >"$work/testssl.txt" 2>&1 || true
python3 - "$work/testssl.json" <<'PY'
import json, sys
findings = json.load(open(sys.argv[1]))
by_id = {f["id"]: f for f in findings}
expected = {"cert_chain_of_trust", "cert_revocation"}  # self-signed test certificate
bad = [f for f in findings if f["severity"] in ("HIGH", "CRITICAL") and f["id"] not in expected]
problems = [f'{f["id"]} {f["severity"]}: {f["finding"]}' for f in bad]
for pid in ("SSLv2", "SSLv3", "TLS1", "TLS1_1"):
    if "not offered" not in by_id.get(pid, {}).get("finding", ""):
        problems.append(f"{pid} is offered (or was not tested)")
for pid in ("TLS1_2", "TLS1_3"):
    if not by_id.get(pid, {}).get("finding", "").startswith("offered"):
        problems.append(f"{pid} not offered")
if by_id.get("HSTS_time", {}).get("severity") != "OK":
    problems.append("HSTS missing or too short")
counts = {}
for f in findings:
    counts[f["severity"]] = counts.get(f["severity"], 0) + 1
print("testssl findings by severity:", dict(sorted(counts.items())),
      "(expected for the self-signed test certificate:", ", ".join(sorted(expected)) + ")")
if problems:
    print("testssl: FAILED\n  " + "\n  ".join(problems))
    sys.exit(1)
print("testssl: no high or critical finding; TLS 1.2/1.3 only; HSTS on")
PY
