package io.pglite.bench;

import io.pglite.cluster.PgliteCluster;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Locale;

/**
 * Query-speed benchmark (a program, not a test: nothing here asserts a time). Starts an in-memory
 * {@link PgliteCluster}, connects with pgjdbc in simple-query mode (every statement is parsed, analysed,
 * planned and executed by the backend each time) and times:
 *
 * <ul>
 *   <li>{@code SELECT 1}: the floor (protocol, backend round trip, trivial parse);
 *   <li>a 200-character SELECT of constant expressions (mostly parser, analysis and constant folding);
 *   <li>a primary-key SELECT on a 10,000-row table through a prepared statement (extended protocol,
 *       parsed once; mostly executor and protocol);
 *   <li>single-row INSERTs through a prepared statement, one transaction per round (heap, index, WAL);
 *   <li>the common workload's aggregate, {@code SELECT count(*), sum(id)} over 100,000 rows, {@code
 *       iterations / 100} times per round (executor per-row paths: scan, expression evaluation, aggregation).
 * </ul>
 *
 * <p>Run (see docs/PERFORMANCE.md, "Query speed"):
 *
 * <pre>
 * mvn -B -q test-compile
 * mvn -B -q -pl core-runtime exec:exec -Dexec.executable=java -Dexec.classpathScope=test \
 *     -Dexec.args="-Xss16m -Xmx2g -cp %classpath io.pglite.bench.QuerySpeed"
 * </pre>
 *
 * <p>System properties: {@code rounds} (default 5), {@code iterations} per round (default 1000), {@code only}
 * (a comma-separated subset of {@code select1,select200,pk,insert,agg}, to profile one query). Besides
 * wall-clock figures it prints the process CPU time per query (all threads, JIT and GC included), which
 * is steadier than wall time on a shared machine.
 */
public final class QuerySpeed {

    /** 200 characters of constant expressions. */
    static final String SELECT_200 = "SELECT 1 + 2 * 3 AS a, 'alpha' || 'beta' AS b, abs(-42) AS c,"
            + " lower('MiXeD CaSe') AS d, CASE WHEN 2 > 1 THEN 'yes' ELSE 'no' END AS e,"
            + " round(3.14159, 2) AS f, coalesce(NULL, 7) AS g, length('pg') AS h";

    private QuerySpeed() {}

    /**
     * Runs the benchmark and prints the figures.
     *
     * @param args unused
     * @throws Exception on any failure
     */
    public static void main(String[] args) throws Exception {
        int rounds = Integer.getInteger("rounds", 5);
        int iterations = Integer.getInteger("iterations", 1000);
        System.out.printf(Locale.ROOT, "JVM %s, flags %s, %d cores%n", System.getProperty("java.vm.version"),
                ManagementFactory.getRuntimeMXBean().getInputArguments(),
                Runtime.getRuntime().availableProcessors());
        System.out.printf(Locale.ROOT, "SELECT_200 is %d characters%n", SELECT_200.length());
        long t0 = System.nanoTime();
        try (PgliteCluster pg = PgliteCluster.builder().build()) {
            System.out.printf(Locale.ROOT, "cluster started in %.0f ms%n", (System.nanoTime() - t0) / 1e6);
            // The server serves one session at a time: connections are opened one after the other.
            String simpleUrl = pg.jdbcUrl() + "?preferQueryMode=simple";
            try (Connection c = DriverManager.getConnection(simpleUrl, pg.username(), "")) {
                long t1 = System.nanoTime();
                simple(c, SELECT_200);
                System.out.printf(Locale.ROOT, "first SELECT_200: %.1f ms%n", (System.nanoTime() - t1) / 1e6);
                try (Statement s = c.createStatement()) {
                    s.execute("CREATE TABLE bench (id int PRIMARY KEY, v text)");
                    s.execute("INSERT INTO bench SELECT g, 'value ' || g FROM generate_series(1, 10000) g");
                    if (runs("agg")) {
                        s.execute("CREATE TABLE bench_agg (id int PRIMARY KEY, v text)");
                        s.execute("INSERT INTO bench_agg SELECT g, 'v' || g FROM generate_series(1, 100000) g");
                    }
                }
            }
            for (int r = 1; r <= rounds; r++) {
                String round = "round " + r + (r == 1 ? " (cold)" : "");
                try (Connection c = DriverManager.getConnection(simpleUrl, pg.username(), "")) {
                    if (runs("select1")) {
                        report(round, "SELECT 1", time(iterations, () -> simple(c, "SELECT 1")));
                    }
                    if (runs("select200")) {
                        report(round, "SELECT_200 (simple query)", time(iterations, () -> simple(c, SELECT_200)));
                    }
                    if (runs("agg")) {
                        report(round, "count/sum of 100k rows", time(Math.max(1, iterations / 100),
                                () -> simple(c, "SELECT count(*), sum(id) FROM bench_agg")));
                    }
                }
                if (runs("select200")) {
                    report(round, "SELECT_200 in the backend", backendOnly(pg, SELECT_200, iterations));
                }
                try (Connection c = DriverManager.getConnection(pg.jdbcUrl() + "?prepareThreshold=1",
                        pg.username(), "")) {
                    if (runs("pk")) {
                        report(round, "pk SELECT (prepared)", pkSelects(c, iterations));
                    }
                    if (runs("insert")) {
                        report(round, "INSERT (prepared, 1 tx)", inserts(c, iterations, r));
                    }
                    // The server hands the same backend to the next connection: leave no named statement.
                    try (Statement s = c.createStatement()) {
                        s.execute("DEALLOCATE ALL");
                    }
                }
            }
        }
    }

    /** System property {@code only}: a comma-separated subset of select1, select200, pk, insert, agg (default: all). */
    private static boolean runs(String query) {
        String only = System.getProperty("only", "");
        return only.isEmpty() || java.util.Arrays.asList(only.split(",")).contains(query);
    }

    interface Action {
        void run() throws SQLException;
    }

    /** CPU time of the whole process (all threads: client, server, backend, JIT, GC) in ns. */
    private static long processCpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static long cpuStart;

    private static long[] time(int n, Action action) throws SQLException {
        cpuStart = processCpu();
        long[] ns = new long[n];
        for (int i = 0; i < n; i++) {
            long t = System.nanoTime();
            action.run();
            ns[i] = System.nanoTime() - t;
        }
        return ns;
    }

    /**
     * The backend's own time for a simple query: the Query message goes straight into the backend (parse,
     * analysis, planning, execution, the row and CommandComplete formatted) on a thread that runs the backend
     * itself, as a server connection does, with no client, socket or thread hand-off. Runs between the
     * benchmark's JDBC connections, when the server's shared session is idle.
     */
    private static long[] backendOnly(PgliteCluster pg, String sql, int n) throws Exception {
        byte[] query = io.pglite.protocol.BackendMessages.query(sql);
        long[][] result = new long[1][];
        Exception[] failure = new Exception[1];
        Thread t = pg.backend().thread().newThread(() -> {
            try {
                java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
                cpuStart = processCpu();
                long[] ns = new long[n];
                for (int i = 0; i < n; i++) {
                    out.reset();
                    long t0 = System.nanoTime();
                    pg.backend().exchange(query, 0, query.length, out);
                    ns[i] = System.nanoTime() - t0;
                    if (out.size() == 0 || out.toByteArray()[0] != 'T') {
                        throw new IllegalStateException("no RowDescription from " + sql);
                    }
                }
                result[0] = ns;
            } catch (Exception e) {
                failure[0] = e;
            }
        }, "query-speed-backend");
        t.start();
        t.join();
        if (failure[0] != null) {
            throw failure[0];
        }
        return result[0];
    }

    private static void simple(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            if (!rs.next()) {
                throw new IllegalStateException("no row from " + sql);
            }
        }
    }

    private static long[] pkSelects(Connection c, int n) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT v FROM bench WHERE id = ?")) {
            cpuStart = processCpu();
            long[] ns = new long[n];
            for (int i = 0; i < n; i++) {
                long t = System.nanoTime();
                ps.setInt(1, 1 + (i * 7919) % 10000);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new IllegalStateException("no row");
                    }
                }
                ns[i] = System.nanoTime() - t;
            }
            return ns;
        }
    }

    /** Single-row INSERTs through a prepared statement, all in one transaction (the common workload's shape). */
    private static long[] inserts(Connection c, int n, int round) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS bench_insert (id int PRIMARY KEY, v text)");
        }
        c.setAutoCommit(false);
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO bench_insert VALUES (?, ?)")) {
            cpuStart = processCpu();
            long[] ns = new long[n];
            for (int i = 0; i < n; i++) {
                long t = System.nanoTime();
                ps.setInt(1, round * n + i);
                ps.setString(2, "value " + i);
                ps.executeUpdate();
                ns[i] = System.nanoTime() - t;
            }
            c.commit();
            return ns;
        } finally {
            c.setAutoCommit(true);
        }
    }

    private static void report(String round, String what, long[] ns) {
        double cpu = (processCpu() - cpuStart) / 1e3 / ns.length;
        long[] sorted = ns.clone();
        Arrays.sort(sorted);
        double mean = Arrays.stream(ns).average().orElse(0) / 1e3;
        System.out.printf(Locale.ROOT,
                "%-16s %-28s n=%d median %8.1f us  p90 %8.1f us  mean %8.1f us  (%.0f/s)  cpu %8.1f us/query%n",
                round, what, ns.length, sorted[ns.length / 2] / 1e3, sorted[ns.length * 9 / 10] / 1e3, mean,
                1e6 / mean, cpu);
    }
}
