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
source "$(dirname "$0")/extension-clusters.sh"
[[ -f pg17/target/classes/META-INF/services/io.pglite.distribution.DistributionProvider ]] || {
  echo "build core-runtime/pg17 first (mvn -B -q package -DskipTests -pl core-runtime/pg17 -am)" >&2; exit 2; }
cp="pg17/target/classes:$cp"
pglite_props=(-Dbench.version=17 -Dbench.extensions=vector "-Dbench.query=SELECT '[1,2,3]'::vector <-> '[3,2,1]'")
native_props=(-Dbench.extensions=cube "-Dbench.query=SELECT cube(array[1,2,3]) <-> cube(array[3,2,1])")
echo "uptime before: $(uptime)"
props=("${pglite_props[@]}")
pglite_runs "pglite 17"
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
