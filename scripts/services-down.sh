#!/usr/bin/env bash
# Stop the local service testbed started by scripts/services-up.sh:
# SIGTERM (clean shutdown of Neo4j, Kafka and the Mongo emulator), wait, SIGKILL if needed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="$ROOT/testbed/target"
PID_FILE="$TARGET/testbed.pid"
MAIN_CLASS="mesh.testbed.Testbed"
GRACE="${TESTBED_STOP_TIMEOUT:-30}"

say() { echo "[services-down] $*" >&2; }

if [ ! -f "$PID_FILE" ]; then
  say "not running (no pid file)"
  exit 0
fi
PID="$(tr -dc '0-9' <"$PID_FILE" || true)"
if [ -z "$PID" ] || ! kill -0 "$PID" 2>/dev/null; then
  say "not running (stale pid file for ${PID:-?}); removing it"
  rm -f "$PID_FILE"
  exit 0
fi
if ! tr '\0' ' ' <"/proc/$PID/cmdline" 2>/dev/null | grep -q "$MAIN_CLASS"; then
  say "pid $PID is not the testbed (pid reused?); removing stale pid file, not killing it"
  rm -f "$PID_FILE"
  exit 0
fi

say "stopping testbed (pid $PID)"
kill -TERM "$PID" 2>/dev/null || true
for _ in $(seq 1 $(( GRACE * 5 ))); do
  kill -0 "$PID" 2>/dev/null || break
  sleep 0.2
done
if kill -0 "$PID" 2>/dev/null; then
  say "still alive after ${GRACE}s; sending SIGKILL"
  kill -KILL "$PID" 2>/dev/null || true
  for _ in $(seq 1 25); do
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.2
  done
fi
if kill -0 "$PID" 2>/dev/null; then
  say "ERROR: pid $PID would not die"
  exit 1
fi
rm -f "$PID_FILE"
say "stopped"
