# Sourced by extensions.sh and extensions-pg17.sh (after they set $rounds): the pglite-java half of "a new cluster
# with extensions to its first extension-backed query", and the helpers both scripts use. Moves to the module
# directory, sets $cp (classpath.sh), $native_pg, a scratch template cache in $work (removed on exit, when the
# native server is also stopped), and defines:
#   java_bench ARGS...   io.pglite.bench.StartupBenchmark with the properties in the array $props
#   now_ms               wall clock in milliseconds
#   pglite_runs LABEL    cold runs (the first-ever one, then three with templates cached) and warm runs (one JVM,
#                        plain and with prepareNext), with the current $props
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
module="$(cd "$here/../.." && pwd)"
native_pg="${NATIVE_PG:-$module/../../shared/bench/native-pg.sh}"
cd "$module"
source src/bench/classpath.sh
work="$(mktemp -d)"; trap 'rm -rf "$work"; "$native_pg" stop >/dev/null 2>&1 || true' EXIT
java_bench() { java -Xss16m -Dpglite.cache.dir="$work/cache" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  "${props[@]}" -cp "$cp" io.pglite.bench.StartupBenchmark "$@"; }
now_ms() { date +%s%3N; }
pglite_runs() {
  local s e
  s=$(now_ms); java_bench first-query | grep RESULT; e=$(now_ms)
  echo "   $1 process wall time $((e - s)) ms (first-ever run: initdb, the extensions' template, snapshot capture)"
  for _ in 1 2 3; do
    s=$(now_ms); java_bench first-query | grep RESULT; e=$(now_ms)
    echo "   $1 process wall time $((e - s)) ms (templates and snapshot cached)"
  done
  java_bench warm "$rounds" snapshot | grep RESULT
  java_bench warm "$rounds" prepare | grep RESULT
}
