#!/usr/bin/env bash
# Start-up and provisioning figures of docs/PERFORMANCE.md, with native PostgreSQL 15 measured in the same run.
#   core-runtime/src/bench/startup.sh [ROUNDS]
# Needs a build (mvn -B -q package -DskipTests) and native PostgreSQL (pg_config --bindir); as root, the
# native server runs as user pgbench (created if missing), since PostgreSQL refuses to run as root.
# pglite-java uses a fresh cache directory for this run (templates and snapshots), so the first run below is
# a machine's first-ever run.
set -euo pipefail
rounds="${1:-50}"
here="$(cd "$(dirname "$0")" && pwd)"
module="$(cd "$here/../.." && pwd)"
cd "$module"
source src/bench/classpath.sh
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
cache="$work/cache"
java_bench() { java -Xss16m -Dpglite.cache.dir="$cache" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$cp" io.pglite.bench.StartupBenchmark "$@"; }
now_ms() { date +%s%3N; }
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== pglite-java"
s=$(now_ms); java_bench first-query | grep RESULT; e=$(now_ms)
echo "   process wall time $((e - s)) ms (first-ever run: empty cache, initdb + snapshot capture)"
for i in $(seq 1 5); do
  s=$(now_ms); java_bench first-query | grep RESULT; e=$(now_ms)
  echo "   process wall time $((e - s)) ms (template and snapshot cached)"
done
java_bench first-query "$work/pgdata" >/dev/null   # creates the directory cluster
for i in $(seq 1 3); do
  s=$(now_ms); java_bench first-query "$work/pgdata" | grep RESULT; e=$(now_ms)
  echo "   process wall time $((e - s)) ms (existing data directory)"
done
java_bench warm "$rounds" snapshot | grep RESULT
java_bench warm "$rounds" prepare | grep RESULT
java_bench warm "$((rounds / 3 + 1))" boot | grep RESULT

echo "== native PostgreSQL 15 ($(pg_config --version))"
bin="$(pg_config --bindir)"
user=pgbench
as_user() { if [[ $(id -u) -eq 0 ]]; then runuser -u "$user" -- "$@"; else "$@"; fi; }
if [[ $(id -u) -eq 0 ]] && ! id "$user" >/dev/null 2>&1; then useradd -m "$user"; fi
native="$(mktemp -d /dev/shm/native-bench.XXXXXX 2>/dev/null || mktemp -d)"
[[ $(id -u) -eq 0 ]] && chown "$user" "$native"
trap 'as_user "$bin/pg_ctl" -D "$native/run" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$work" "$native"' EXIT
s=$(now_ms); as_user "$bin/initdb" -D "$native/template" -U postgres --auth=trust -E UTF8 --no-locale >/dev/null; e=$(now_ms)
echo "   initdb: $((e - s)) ms"
port=54391
times=()
for i in $(seq 1 "$rounds"); do
  s=$(now_ms)
  as_user cp -a "$native/template" "$native/run"
  as_user "$bin/pg_ctl" -D "$native/run" -w -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$native" -l "$native/log" start >/dev/null
  psql -h 127.0.0.1 -p $port -U postgres -Atc "SELECT 1" postgres >/dev/null
  e=$(now_ms)
  times+=($((e - s)))
  as_user "$bin/pg_ctl" -D "$native/run" -m immediate stop >/dev/null
  as_user rm -rf "$native/run"
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "   template copy + start + first SELECT 1: median %d ms, min %d ms (n=%d)\n", a[int((NR+1)/2)], a[1], NR}'
as_user cp -a "$native/template" "$native/run"
as_user "$bin/pg_ctl" -D "$native/run" -w -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$native" -l "$native/log" start >/dev/null
times=()
for i in $(seq 1 "$rounds"); do
  s=$(now_ms)
  psql -h 127.0.0.1 -p $port -U postgres -Atqc "CREATE DATABASE t$i TEMPLATE template1" postgres
  psql -h 127.0.0.1 -p $port -U postgres -Atc "SELECT 1" "t$i" >/dev/null
  e=$(now_ms)
  times+=($((e - s)))
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "   CREATE DATABASE .. TEMPLATE + connect + SELECT 1 (psql processes): median %d ms, min %d ms (n=%d)\n", a[int((NR+1)/2)], a[1], NR}'
java_bench native-template "jdbc:postgresql://127.0.0.1:$port/" "$rounds" | grep RESULT
echo "   (native-template: CREATE DATABASE .. TEMPLATE + new pgjdbc connection + SELECT 1 from a warm JVM)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
