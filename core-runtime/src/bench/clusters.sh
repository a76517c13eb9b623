#!/usr/bin/env bash
# Memory figures of docs/PERFORMANCE.md (Provisioning): heap per idle cluster beyond what all clusters share,
# and 8 clusters running the common workload at once, each from its own thread, in a 1 GiB heap.
#   core-runtime/src/bench/clusters.sh
# Needs a build (mvn -B -q package -DskipTests). Uses the default cache directory (~/.cache/pglite-java) for
# the template and snapshot; the first run builds them.
set -euo pipefail
module="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$module"
source src/bench/classpath.sh
run() { local flags="$1"; shift; java -Xss16m $flags -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$cp" io.pglite.bench.ClusterBenchmark "$@" | grep RESULT; }
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== heap per idle cluster (after a full GC; each cluster answered one SELECT 1)"
run "-Xmx2g" idle 17
run "-Xmx2g" idle 9 boot
echo "   (restored from the snapshot; started)"
echo "== 8 clusters, 8 threads, the full common workload each, -Xmx1g"
s=$(date +%s%3N)
run "-Xmx1g" concurrent 8
e=$(date +%s%3N)
echo "   process wall time $((e - s)) ms"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
