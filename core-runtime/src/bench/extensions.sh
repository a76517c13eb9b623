#!/usr/bin/env bash
# docs/PERFORMANCE.md, "Clusters with extensions": a new cluster whose template has pgcrypto and hstore
# preinstalled (Builder.extensions), to its first extension-backed query over pgjdbc; cold (a fresh JVM, the
# template cached, and the first-ever run that builds it) and warm (one JVM, many clusters); native PostgreSQL
# 15 (tmpfs) with CREATE DATABASE .. TEMPLATE from a template database holding the same extensions.
#   core-runtime/src/bench/extensions.sh [ROUNDS]
# Needs a build (mvn -B -q package -DskipTests) and native PostgreSQL (pg_config --bindir).
set -euo pipefail
rounds="${1:-30}"
source "$(dirname "$0")/extension-clusters.sh"
props=(-Dbench.extensions=pgcrypto,hstore
  "-Dbench.query=SELECT encode(digest('abc', 'sha256'), 'hex'), 'a=>1'::hstore -> 'a'")
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
pglite_runs pglite
export PG_DIR="${PG_DIR:-/dev/shm/pglite-bench-native-pg}"
"$native_pg" start >/dev/null
java_bench native-template "jdbc:postgresql://127.0.0.1:${PG_PORT:-54330}/" "$rounds" | grep RESULT
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
