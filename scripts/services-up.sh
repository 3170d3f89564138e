#!/usr/bin/env bash
# Start the local service testbed (Neo4j + Kafka + MongoDB emulator, one JVM, loopback only).
#
#   bash scripts/services-up.sh            # build if needed, start, wait until ready
#   eval "$(bash scripts/services-up.sh)"  # ...and export the connection env vars
#
# Progress goes to stderr; stdout carries only the `export NAME=value` lines, which are
# also written to testbed/target/env.sh (`source testbed/target/env.sh`).
# Idempotent: if the testbed is already running it just prints the env again.
#
# Env knobs: TESTBED_NEO4J_PORT (7687), TESTBED_KAFKA_PORT (9092),
# TESTBED_KAFKA_CONTROLLER_PORT (9093), TESTBED_MONGO_PORT (27017),
# TESTBED_START_TIMEOUT seconds (300), TESTBED_JAVA_OPTS, TESTBED_SKIP_BUILD=1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TB="$ROOT/testbed"
TARGET="$TB/target"
LOG="$TARGET/testbed.log"
PID_FILE="$TARGET/testbed.pid"
ENV_FILE="$TARGET/env.sh"
STAMP="$TARGET/build.stamp"
MAIN_CLASS="mesh.testbed.Testbed"

export TESTBED_NEO4J_PORT="${TESTBED_NEO4J_PORT:-7687}"
export TESTBED_KAFKA_PORT="${TESTBED_KAFKA_PORT:-9092}"
export TESTBED_KAFKA_CONTROLLER_PORT="${TESTBED_KAFKA_CONTROLLER_PORT:-9093}"
export TESTBED_MONGO_PORT="${TESTBED_MONGO_PORT:-27017}"
TIMEOUT="${TESTBED_START_TIMEOUT:-300}"
# Auth is disabled in the testbed's Neo4j: it accepts any user/password, these are just
# the values clients are given.
NEO4J_USER_VALUE="neo4j"
NEO4J_PASSWORD_VALUE="testbed-password"

say() { echo "[services-up] $*" >&2; }
STARTED=0
die() {
  say "ERROR: $*"
  if [ "$STARTED" = 1 ] && [ -f "$LOG" ]; then
    say "last 60 lines of $LOG:"
    tail -n 60 "$LOG" >&2 || true
  fi
  exit 1
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

is_testbed_pid() {
  local pid="$1"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$MAIN_CLASS"
}

emit_env() {
  {
    echo "export MONGODB_URI=mongodb://127.0.0.1:$TESTBED_MONGO_PORT"
    echo "export NEO4J_URI=bolt://127.0.0.1:$TESTBED_NEO4J_PORT"
    echo "export NEO4J_USER=$NEO4J_USER_VALUE"
    echo "export NEO4J_PASSWORD=$NEO4J_PASSWORD_VALUE"
    echo "export KAFKA_BROKERS=127.0.0.1:$TESTBED_KAFKA_PORT"
  } >"$ENV_FILE.tmp"
  mv "$ENV_FILE.tmp" "$ENV_FILE"
  cat "$ENV_FILE"
  say "env written to ${ENV_FILE#"$ROOT"/} (source it, or eval this script's stdout)"
}

mkdir -p "$TARGET"

# ---------------------------------------------------------------- already running?
if [ -f "$PID_FILE" ]; then
  OLD_PID="$(tr -dc '0-9' <"$PID_FILE" || true)"
  if is_testbed_pid "$OLD_PID"; then
    if port_open "$TESTBED_NEO4J_PORT" && port_open "$TESTBED_KAFKA_PORT" && port_open "$TESTBED_MONGO_PORT"; then
      say "testbed already running (pid $OLD_PID)"
      emit_env
      exit 0
    fi
    die "testbed pid $OLD_PID is alive but not all ports answer; run scripts/services-down.sh first"
  fi
  say "removing stale pid file (pid ${OLD_PID:-?} is not a running testbed)"
  rm -f "$PID_FILE"
fi

for p in "$TESTBED_NEO4J_PORT" "$TESTBED_KAFKA_PORT" "$TESTBED_KAFKA_CONTROLLER_PORT" "$TESTBED_MONGO_PORT"; do
  if port_open "$p"; then
    die "127.0.0.1:$p is already in use by another process (not this testbed)"
  fi
done

# ---------------------------------------------------------------- build
command -v java >/dev/null || die "java not found (JDK 17+ needed)"
SRC="$TB/src/main/java/mesh/testbed/Testbed.java"
if [ "${TESTBED_SKIP_BUILD:-0}" != "1" ]; then
  if [ -f "$STAMP" ] && [ "$STAMP" -nt "$TB/pom.xml" ] && [ "$STAMP" -nt "$SRC" ] && [ -d "$TARGET/lib" ]; then
    say "build is up to date"
  else
    command -v mvn >/dev/null || die "mvn not found (Maven 3.8+ needed)"
    say "building testbed (first build downloads ~165 MB of jars into ~/.m2)..."
    t0=$(date +%s)
    rm -rf "${TARGET:?}/lib"
    if ! mvn -B -q -ntp -f "$TB/pom.xml" package >"$TARGET/build.log" 2>&1; then
      tail -n 40 "$TARGET/build.log" >&2 || true
      die "maven build failed (full output: ${TARGET#"$ROOT"/}/build.log)"
    fi
    touch "$STAMP"
    say "built in $(( $(date +%s) - t0 ))s"
  fi
fi
if [ ! -d "$TARGET/classes" ] || [ ! -d "$TARGET/lib" ]; then
  die "testbed is not built (run without TESTBED_SKIP_BUILD)"
fi

# ---------------------------------------------------------------- start
[ -f "$LOG" ] && mv -f "$LOG" "$LOG.prev"
: >"$LOG"
JAVA_OPTS="${TESTBED_JAVA_OPTS:--Xms256m -Xmx1g -XX:+ExitOnOutOfMemoryError}"
say "starting testbed (log: ${LOG#"$ROOT"/})"
t0=$(date +%s)
cd "$TB"
# shellcheck disable=SC2086
nohup java $JAVA_OPTS -cp "target/classes:target/lib/*" "$MAIN_CLASS" >>"$LOG" 2>&1 </dev/null &
JPID=$!
STARTED=1
cd "$ROOT"

ready=0
while [ $(( $(date +%s) - t0 )) -lt "$TIMEOUT" ]; do
  if ! kill -0 "$JPID" 2>/dev/null; then
    die "testbed JVM (pid $JPID) exited during startup"
  fi
  if grep -q "TESTBED READY" "$LOG" 2>/dev/null &&
     port_open "$TESTBED_NEO4J_PORT" && port_open "$TESTBED_KAFKA_PORT" && port_open "$TESTBED_MONGO_PORT"; then
    ready=1
    break
  fi
  sleep 1
done
if [ "$ready" != 1 ]; then
  kill -TERM "$JPID" 2>/dev/null || true
  sleep 5
  kill -KILL "$JPID" 2>/dev/null || true
  rm -f "$PID_FILE"
  die "testbed not ready after ${TIMEOUT}s (stopped it)"
fi
# The launcher writes its own pid file; make sure it is there and matches.
[ -f "$PID_FILE" ] || echo "$JPID" >"$PID_FILE"
say "testbed ready in $(( $(date +%s) - t0 ))s (pid $(cat "$PID_FILE")): neo4j :$TESTBED_NEO4J_PORT, kafka :$TESTBED_KAFKA_PORT, mongo :$TESTBED_MONGO_PORT"
emit_env
