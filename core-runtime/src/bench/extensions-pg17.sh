#!/usr/bin/env bash
# docs/PERFORMANCE.md, "Clusters with extensions", PostgreSQL 17 with pgvector: a new PostgreSQL 17.5 cluster
# (pglite-distribution-pg17) whose template has `vector` preinstalled (Builder.extensions), to its first
# extension-backed query over pgjdbc, SELECT '[1,2,3]'::vector <-> '[3,2,1]'; cold (a fresh JVM: the first-ever
# run that builds the templates, then with them cached) and warm (one JVM, many clusters). Beside it, in the same
# run, native PostgreSQL 15 (tmpfs), which has no pgvector here (Debian's postgresql-15-pgvector is not in the
# configured apt sources): the contrib extension cube and the same Euclidean distance,
# SELECT cube(array[1,2,3]) <-> cube(array[3,2,1]), in a database created from a template database holding cube;
# cold (a fresh JVM: connect, CREATE DATABASE .. TEMPLATE, connect, query) and warm (one JVM).
#   core-runtime/src/bench/extensions-pg17.sh [ROUNDS]
# Needs a build of core-runtime and core-runtime/pg17 (mvn -B -q package -DskipTests -pl core-runtime/pg17 -am)
# and native PostgreSQL (pg_config --bindir; /work/shared/bench/native-pg.sh, PG_PORT to use another port).
set -euo pipefail
rounds="${1:-30}"
here="$(cd "$(dirname "$0")" && pwd)"
module="$(cd "$here/../.." && pwd)"
native_pg="${NATIVE_PG:-$module/../../shared/bench/native-pg.sh}"
cd "$module"
source src/bench/classpath.sh
[[ -f pg17/target/classes/META-INF/services/io.pglite.distribution.DistributionProvider ]] || {
  echo "build core-runtime/pg17 first (mvn -B -q package -DskipTests -pl core-runtime/pg17 -am)" >&2; exit 2; }
cp="pg17/target/classes:$cp"
work="$(mktemp -d)"; trap 'rm -rf "$work"; "$native_pg" stop >/dev/null 2>&1 || true' EXIT
pglite_props=(-Dbench.version=17 -Dbench.extensions=vector "-Dbench.query=SELECT '[1,2,3]'::vector <-> '[3,2,1]'")
native_props=(-Dbench.extensions=cube "-Dbench.query=SELECT cube(array[1,2,3]) <-> cube(array[3,2,1])")
java_bench() { java -Xss16m -Dpglite.cache.dir="$work/cache" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  "${props[@]}" -cp "$cp" io.pglite.bench.StartupBenchmark "$@"; }
now_ms() { date +%s%3N; }
echo "uptime before: $(uptime)"
props=("${pglite_props[@]}")
s=$(now_ms); java_bench first-query | grep RESULT; e=$(now_ms)
echo "   pglite 17 process wall time $((e - s)) ms (first-ever run: initdb, the vector template, snapshot capture)"
for i in 1 2 3; do
  s=$(now_ms); java_bench first-query | grep RESULT; e=$(now_ms)
  echo "   pglite 17 process wall time $((e - s)) ms (templates and snapshot cached)"
done
java_bench warm "$rounds" snapshot | grep RESULT
java_bench warm "$rounds" prepare | grep RESULT
echo "uptime between: $(uptime)"
export PG_DIR="${PG_DIR:-/dev/shm/pglite-bench-native-pg}" PG_PORT="${PG_PORT:-54330}"
"$native_pg" start >/dev/null
url="jdbc:postgresql://127.0.0.1:$PG_PORT/"
psql_native() { "$(pg_config --bindir)/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 "$@"; }
psql_native -d postgres -c "DROP DATABASE IF EXISTS bench_first" -c "DROP DATABASE IF EXISTS bench_template" \
  -c "CREATE DATABASE bench_template"
psql_native -d bench_template -c "CREATE EXTENSION cube"
props=("${native_props[@]}")
for i in 1 2 3; do
  s=$(now_ms); java_bench native-first-query "$url" | grep RESULT; e=$(now_ms)
  echo "   native 15 process wall time $((e - s)) ms"
done
psql_native -d postgres -c "DROP DATABASE bench_template"
java_bench native-template "$url" "$rounds" | grep RESULT
echo "uptime after: $(uptime)"
