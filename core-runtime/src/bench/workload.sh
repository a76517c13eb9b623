#!/usr/bin/env bash
# The common workload (shared/bench: 10k single-row INSERTs, 10k primary-key SELECTs, INSERT..SELECT of 100k
# rows, count/sum) through pgjdbc against pglite-server.jar and native PostgreSQL 15, side by side in one run,
# then the same workload on PGlite in Node (V8, in-process; shared/bench/node, installed with npm ci if missing;
# NODE_ANCHOR=0 skips it).
#   core-runtime/src/bench/workload.sh [ROUNDS]
# Needs a build (mvn -B -q package -DskipTests) and the shared/ folder beside the repository (SHARED_BENCH to
# point elsewhere). JAVA_OPTS_PGLITE adds JVM flags to the pglite server; BASELINE_JAR adds a second pglite
# server from another build.
set -euo pipefail
rounds="${1:-3}"
repo="$(cd "$(dirname "$0")/../../.." && pwd)"
bench="${SHARED_BENCH:-$repo/../shared/bench}"
jar="$repo/core-runtime/target/pglite-server.jar"
[[ -f $jar ]] || { echo "build first: mvn -B -q package -DskipTests" >&2; exit 1; }
pids=()
trap 'for p in "${pids[@]}"; do kill -TERM $p 2>/dev/null || true; wait $p 2>/dev/null || true; done; "$bench/native-pg.sh" stop >/dev/null 2>&1 || true' EXIT
# Starts pglite-server.jar from $1; sets $url to its JDBC URL.
start_pglite() {
  local log; log="$(mktemp)"
  java -Xss16m ${JAVA_OPTS_PGLITE:-} -jar "$1" >"$log.out" 2>"$log" &
  pids+=($!)
  for _ in $(seq 1 600); do grep -q postgresql:// "$log.out" 2>/dev/null && break; sleep 0.5; done
  grep -q postgresql:// "$log.out" || { cat "$log" >&2; exit 1; }
  url="$(grep '^jdbc:' "$log.out" | sed 's/?.*//')"
}
start_pglite "$jar"
targets=("$url" postgres "")
# BASELINE_JAR: another build's pglite-server.jar (say, of the previous commit) measured in the same run.
if [[ -n ${BASELINE_JAR:-} ]]; then
  start_pglite "$BASELINE_JAR"
  targets+=("$url" postgres "")
fi
native_url="$("$bench/native-pg.sh" start | awk '{print $1}')"
targets+=("$native_url" postgres "")
"$bench/run-jdbc.sh" --rounds "$rounds" "${targets[@]}"
if [[ ${NODE_ANCHOR:-1} != 0 ]]; then
  # both servers stopped first, so that Node has the machine to itself as they had
  for p in "${pids[@]}"; do kill -TERM $p 2>/dev/null || true; wait $p 2>/dev/null || true; done
  "$bench/native-pg.sh" stop >/dev/null 2>&1 || true
  echo
  echo "== PGlite in Node (same workload, in-process, same machine, right after) =="
  [[ -d $bench/node/node_modules/@electric-sql/pglite ]] || (cd "$bench/node" && npm ci --no-audit --no-fund >/dev/null)
  (cd "$bench/node" && node pglite-bench.mjs workload --rounds "$rounds")
fi
