# Sourced by the benchmark scripts, from the core-runtime directory: sets $cp to the test class path (test
# classes, classes, dependencies), resolving the dependencies once (cached in target/bench.classpath) and
# compiling the test sources if the benchmark programs are missing.
cpfile=target/bench.classpath
if [[ ! -f $cpfile || pom.xml -nt $cpfile ]]; then
  mvn -B -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cpfile" >/dev/null
fi
[[ -f target/test-classes/io/pglite/bench/StartupBenchmark.class ]] || mvn -B -q test-compile >/dev/null
cp="target/test-classes:target/classes:$(cat "$cpfile")"
