#!/usr/bin/env bash
# docs/PERFORMANCE.md, "JUnit extension": a class of 200 tests, each inserting and asserting in a database of its
# own, with @PgliteTest (fresh cluster per test) and with native PostgreSQL 15 (CREATE DATABASE .. TEMPLATE per
# test), in one JVM, alternating which goes first.
#   junit5-extension/src/bench/per-test.sh [rounds]
# Needs a build (mvn -B -q package -DskipTests from the repository root) and native PostgreSQL 15
# (pg_config --bindir); /work/shared/bench/native-pg.sh or $NATIVE_PG starts it.
set -euo pipefail
module="$(cd "$(dirname "$0")/../.." && pwd)"
root="$(cd "$module/.." && pwd)"
native_pg="${NATIVE_PG:-$root/../shared/bench/native-pg.sh}"
cd "$module"
cpfile=target/bench.classpath
if [[ ! -f $cpfile || pom.xml -nt $cpfile ]]; then
  # package first: the module's dependencies on core-runtime and the pg17 distribution resolve to the reactor's
  # jars (nothing is installed into ~/.m2); every module writes the file, the extension's own list comes last
  (cd "$root" && mvn -B -q -o package dependency:build-classpath -DskipTests -pl junit5-extension -am \
    -Dmdep.includeScope=test -Dmdep.outputFile="$module/$cpfile" >/dev/null)
fi
cp="target/test-classes:target/classes:$root/core-runtime/target/classes:$(cat "$cpfile")"
# On tmpfs, as the anchors in ../shared/notes were measured: CREATE DATABASE writes and syncs a copy of the
# template, which on a disk measures the disk rather than PostgreSQL.
export PG_DIR="${PG_DIR:-/dev/shm/pglite-bench-native-pg}"
"$native_pg" start >/dev/null
trap '"$native_pg" stop >/dev/null' EXIT
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
java -Xss16m -Xmx2g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dpglite.cache.dir="$root/target/pglite-cache" \
  -Dnative.url="jdbc:postgresql://127.0.0.1:${PG_PORT:-54330}/postgres" \
  -cp "$cp" io.pglite.junit5.bench.PerTestBenchmark "${1:-3}" | grep RESULT
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
