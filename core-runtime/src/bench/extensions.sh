#!/usr/bin/env bash
# docs/PERFORMANCE.md, "Clusters with extensions": a new cluster whose template has pgcrypto and hstore
# preinstalled (Builder.extensions), to its first extension-backed query over pgjdbc; cold (a fresh JVM, the
# template cached, and the first-ever run that builds it) and warm (one JVM, many clusters); native PostgreSQL
# 15 (tmpfs) with CREATE DATABASE .. TEMPLATE from a template database holding the same extensions.
#   core-runtime/src/bench/extensions.sh [ROUNDS]
# Needs a build (mvn -B -q package -DskipTests) and native PostgreSQL (pg_config --bindir).
set -euo pipefail
rounds="${1:-30}"
here="$(cd "$(dirname "$0")" && pwd)"
module="$(cd "$here/../.." && pwd)"
native_pg="${NATIVE_PG:-$module/../../shared/bench/native-pg.sh}"
cd "$module"
source src/bench/classpath.sh
work="$(mktemp -d)"; trap 'rm -rf "$work"; "$native_pg" stop >/dev/null 2>&1 || true' EXIT
props=(-Dbench.extensions=pgcrypto,hstore
  "-Dbench.query=SELECT encode(digest('abc', 'sha256'), 'hex'), 'a=>1'::hstore -> 'a'")
java_bench() { java -Xss16m -Dpglite.cache.dir="$work/cache" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  "${props[@]}" -cp "$cp" io.pglite.bench.StartupBenchmark "$@"; }
now_ms() { date +%s%3N; }
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
s=$(now_ms); java_bench first-query | grep RESULT; e=$(now_ms)
echo "   process wall time $((e - s)) ms (first-ever run: initdb, the extensions' template, snapshot capture)"
for i in 1 2 3; do
  s=$(now_ms); java_bench first-query | grep RESULT; e=$(now_ms)
  echo "   process wall time $((e - s)) ms (templates and snapshot cached)"
done
java_bench warm "$rounds" snapshot | grep RESULT
java_bench warm "$rounds" prepare | grep RESULT
export PG_DIR="${PG_DIR:-/dev/shm/pglite-bench-native-pg}"
"$native_pg" start >/dev/null
java_bench native-template "jdbc:postgresql://127.0.0.1:${PG_PORT:-54330}/" "$rounds" | grep RESULT
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
