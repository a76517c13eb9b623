#!/usr/bin/env bash
# The common workload (shared/bench: 10k single-row INSERTs, 10k primary-key SELECTs, INSERT..SELECT of 100k
# rows, count/sum) through pgjdbc against pglite-server.jar and native PostgreSQL 15, side by side in one run,
# then the same workload on PGlite in Node (V8, in-process; shared/bench/node, installed with npm ci if missing;
# NODE_ANCHOR=0 skips it).
#   core-runtime/src/bench/workload.sh [ROUNDS]
# Needs a build (mvn -B -q package -DskipTests) and the shared/ folder beside the repository (SHARED_BENCH to
# point elsewhere). JAVA_OPTS_PGLITE adds JVM flags to the pglite server.
set -euo pipefail
rounds="${1:-3}"
repo="$(cd "$(dirname "$0")/../../.." && pwd)"
bench="${SHARED_BENCH:-$repo/../shared/bench}"
jar="$repo/core-runtime/target/pglite-server.jar"
[[ -f $jar ]] || { echo "build first: mvn -B -q package -DskipTests" >&2; exit 1; }
log="$(mktemp)"
java -Xss16m ${JAVA_OPTS_PGLITE:-} -jar "$jar" >"$log.out" 2>"$log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; "$bench/native-pg.sh" stop >/dev/null 2>&1 || true' EXIT
for _ in $(seq 1 600); do grep -q postgresql:// "$log.out" 2>/dev/null && break; sleep 0.5; done
grep -q postgresql:// "$log.out" || { cat "$log"; exit 1; }
pglite_url="$(grep '^jdbc:' "$log.out" | sed 's/?.*//')"
native_url="$("$bench/native-pg.sh" start | awk '{print $1}')"
"$bench/run-jdbc.sh" --rounds "$rounds" \
  "$pglite_url" postgres "" \
  "$native_url" postgres ""
if [[ ${NODE_ANCHOR:-1} != 0 ]]; then
  # both servers stopped first, so that Node has the machine to itself as they had
  kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true
  "$bench/native-pg.sh" stop >/dev/null 2>&1 || true
  echo
  echo "== PGlite in Node (same workload, in-process, same machine, right after) =="
  [[ -d $bench/node/node_modules/@electric-sql/pglite ]] || (cd "$bench/node" && npm ci --no-audit --no-fund >/dev/null)
  (cd "$bench/node" && node pglite-bench.mjs workload --rounds "$rounds")
fi
