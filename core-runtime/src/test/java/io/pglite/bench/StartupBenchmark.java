package io.pglite.bench;

import io.pglite.cluster.PgliteCluster;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Start-up figures for docs/PERFORMANCE.md (not a test; run by core-runtime/src/bench/startup.sh).
 *
 * <ul>
 *   <li>{@code first-query [DIR]}: time from JVM start to the first {@code SELECT 1} result over pgjdbc, in
 *       memory (includes the per-JVM initdb) or on an existing data directory;
 *   <li>{@code warm N}: in one JVM, N new in-memory clusters one after the other, each timed from
 *       {@code build()} to the first {@code SELECT 1} result; prints the median and p90.
 * </ul>
 */
public final class StartupBenchmark {
    private StartupBenchmark() {}

    public static void main(String[] args) throws Exception {
        switch (args.length == 0 ? "" : args[0]) {
            case "first-query" -> firstQuery(args.length > 1 ? Path.of(args[1]) : null);
            case "warm" -> warm(Integer.parseInt(args[1]));
            default -> {
                System.err.println("usage: StartupBenchmark first-query [DIR] | warm N");
                System.exit(2);
            }
        }
        System.exit(0);
    }

    private static void firstQuery(Path dir) throws SQLException {
        PgliteCluster.Builder b = PgliteCluster.builder();
        if (dir != null) {
            b.dataDirectory(dir);
        }
        try (PgliteCluster pg = b.build()) {
            selectOne(pg);
            long sinceJvmStart = System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime();
            System.out.printf(Locale.ROOT, "RESULT first-query %s ms_since_jvm_start=%d%n",
                    dir == null ? "in-memory" : "directory", sinceJvmStart);
        }
    }

    private static void warm(int n) throws SQLException {
        // The first cluster pays for initdb and class loading; it is reported apart.
        long t0 = System.nanoTime();
        try (PgliteCluster pg = PgliteCluster.builder().build()) {
            selectOne(pg);
        }
        System.out.printf(Locale.ROOT, "RESULT warm first_cluster_ms=%.1f%n", (System.nanoTime() - t0) / 1e6);
        List<Double> times = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long s = System.nanoTime();
            try (PgliteCluster pg = PgliteCluster.builder().build()) {
                selectOne(pg);
                times.add((System.nanoTime() - s) / 1e6);
            }
        }
        Collections.sort(times);
        System.out.printf(Locale.ROOT, "RESULT warm n=%d median_ms=%.1f p90_ms=%.1f min_ms=%.1f%n", n,
                times.get(n / 2), times.get((int) Math.min(n - 1, Math.ceil(n * 0.9) - 1)), times.get(0));
    }

    private static void selectOne(PgliteCluster pg) throws SQLException {
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), "postgres", "");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT 1")) {
            rs.next();
            if (rs.getInt(1) != 1) {
                throw new IllegalStateException("SELECT 1 returned " + rs.getInt(1));
            }
        }
    }
}
