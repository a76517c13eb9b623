#!/usr/bin/env bash
# What the copy-on-write paged wasm memory (io.pglite.wasm.PagedMemory, the default) costs in query speed
# compared with Chicory's ByteArrayMemory (-Dpglite.wasm.memory=array): the common workload in-process
# (io.pglite.bench.ClusterBenchmark workload), JVMs run one after the other alternating A B A B, each ROUNDS
# rounds; the figures are medians of the second half of the rounds, in process CPU time (steadier than wall
# time on a loaded machine) and wall time.
#   core-runtime/src/bench/memory-ab.sh [ROUNDS] [PAIRS]
# Needs a build (mvn -B -q package -DskipTests).
set -euo pipefail
rounds="${1:-8}"
pairs="${2:-2}"
module="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$module"
source src/bench/classpath.sh
for i in $(seq 1 "$pairs"); do
  for mem in paged array; do
    java -Xss16m -Xmx2g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dpglite.wasm.memory="$mem" \
      -cp "$cp" io.pglite.bench.ClusterBenchmark workload "$rounds" | grep RESULT
  done
done
