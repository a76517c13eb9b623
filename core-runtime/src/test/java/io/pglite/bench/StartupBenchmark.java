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
 *       memory (template and snapshot from the cache directory, {@code -Dpglite.cache.dir}, or built) or on
 *       an existing data directory;
 *   <li>{@code warm N [snapshot|prepare|boot]}: in one JVM, N new in-memory clusters one after the other, each
 *       timed from {@code build()} to the first {@code SELECT 1} result; prints the median and p90. {@code
 *       snapshot} (default) restores the started-backend snapshot, {@code prepare} also prepares the next
 *       cluster in the background ({@code prepareNext}), {@code boot} runs PostgreSQL's start-up each time;
 *   <li>{@code native-template URL N}: the native anchor measured the same way from this JVM: N times
 *       {@code CREATE DATABASE .. TEMPLATE template1}, a new pgjdbc connection to it and {@code SELECT 1};
 *   <li>{@code native-first-query URL}: the native anchor of {@code first-query}: time from JVM start to the
 *       first result in a database just created from {@code bench_template} (made beforehand, holding the
 *       extensions) or {@code template1}.
 * </ul>
 *
 * <p>System properties {@code bench.extensions} (comma-separated, installed into the template with
 * {@code Builder.extensions}, or into the native template database) and {@code bench.query} (instead of
 * {@code SELECT 1}; must return a row) measure clusters with extensions to their first extension-backed query
 * (core-runtime/src/bench/extensions.sh); {@code bench.version} chooses the PostgreSQL version
 * ({@code Builder.postgresVersion}, for example 17 with pglite-distribution-pg17 on the class path:
 * core-runtime/src/bench/extensions-pg17.sh).
 */
public final class StartupBenchmark {
    private StartupBenchmark() {}

    public static void main(String[] args) throws Exception {
        switch (args.length == 0 ? "" : args[0]) {
            case "first-query" -> firstQuery(args.length > 1 ? Path.of(args[1]) : null);
            case "warm" -> warm(Integer.parseInt(args[1]), args.length > 2 ? args[2] : "snapshot");
            case "native-template" -> nativeTemplate(args[1], Integer.parseInt(args[2]));
            case "native-first-query" -> nativeFirstQuery(args[1]);
            default -> {
                System.err.println("usage: StartupBenchmark first-query [DIR] | warm N [snapshot|prepare|boot]"
                        + " | native-template URL N | native-first-query URL");
                System.exit(2);
            }
        }
        System.exit(0);
    }

    private static void firstQuery(Path dir) throws SQLException {
        long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
        PgliteCluster.Builder b = withExtensions(PgliteCluster.builder());
        if (dir != null) {
            b.dataDirectory(dir);
        }
        long mainEntered = System.currentTimeMillis() - jvmStart;
        try (PgliteCluster pg = b.build()) {
            long built = System.currentTimeMillis() - jvmStart;
            selectOne(pg);
            long sinceJvmStart = System.currentTimeMillis() - jvmStart;
            System.out.printf(Locale.ROOT, "RESULT first-query %s ms_since_jvm_start=%d (main at %d, cluster ready"
                    + " at %d, then connection and SELECT 1 %d ms)%n", dir == null ? "in-memory" : "directory",
                    sinceJvmStart, mainEntered, built, sinceJvmStart - built);
        }
    }

    private static PgliteCluster.Builder builder(String mode) {
        return withExtensions(PgliteCluster.builder().snapshot(!mode.equals("boot"))
                .prepareNext(mode.equals("prepare")));
    }

    private static final String[] EXTENSIONS = System.getProperty("bench.extensions", "").isEmpty() ? new String[0]
            : System.getProperty("bench.extensions").split(",");
    private static final String QUERY = System.getProperty("bench.query", "SELECT 1");

    private static final String VERSION = System.getProperty("bench.version", "");

    private static PgliteCluster.Builder withExtensions(PgliteCluster.Builder b) {
        if (!VERSION.isEmpty()) {
            b.postgresVersion(VERSION);
        }
        return b.extensions(EXTENSIONS);
    }

    private static void warm(int n, String mode) throws SQLException {
        // The first clusters pay for initdb (or the cached template), the snapshot and class loading, and the
        // JIT compiles the code paths: reported apart.
        long t0 = System.nanoTime();
        try (PgliteCluster pg = builder(mode).build()) {
            selectOne(pg);
        }
        System.out.printf(Locale.ROOT, "RESULT warm mode=%s first_cluster_ms=%.1f%n", mode,
                (System.nanoTime() - t0) / 1e6);
        // As many unmeasured clusters as measured ones (at least 20): a test suite creating clusters one after
        // the other is what "warm" stands for, and the JIT needs a few dozen to settle.
        for (int i = 0; i < Math.max(n, 20); i++) {
            try (PgliteCluster pg = builder(mode).build()) {
                selectOne(pg);
            }
        }
        List<Double> times = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long s = System.nanoTime();
            try (PgliteCluster pg = builder(mode).build()) {
                selectOne(pg);
                times.add((System.nanoTime() - s) / 1e6);
            }
        }
        report("warm mode=" + mode, times);
    }

    private static void report(String what, List<Double> times) {
        Collections.sort(times);
        int n = times.size();
        System.out.printf(Locale.ROOT, "RESULT %s n=%d median_ms=%.1f p90_ms=%.1f min_ms=%.1f%n", what, n,
                times.get(n / 2), times.get((int) Math.min(n - 1, Math.ceil(n * 0.9) - 1)), times.get(0));
    }

    private static void nativeFirstQuery(String url) throws SQLException {
        // The template database (bench_template, holding the extensions, as PgliteCluster's cached template) is
        // made beforehand by the script; bench_first must not exist. Timed from JVM start: the JVM and pgjdbc
        // loading, CREATE DATABASE, a connection to it, the query.
        String template = EXTENSIONS.length > 0 ? "bench_template" : "template1";
        long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
        long mainEntered = System.currentTimeMillis() - jvmStart;
        try (Connection admin = DriverManager.getConnection(url + "postgres", "postgres", "");
                Statement st = admin.createStatement()) {
            st.execute("CREATE DATABASE bench_first TEMPLATE " + template);
            try (Connection c = DriverManager.getConnection(url + "bench_first", "postgres", "");
                    Statement q = c.createStatement();
                    ResultSet rs = q.executeQuery(QUERY)) {
                if (!rs.next()) {
                    throw new IllegalStateException(QUERY + " returned no row");
                }
            }
            long sinceJvmStart = System.currentTimeMillis() - jvmStart;
            System.out.printf(Locale.ROOT, "RESULT native-first-query ms_since_jvm_start=%d (main at %d)%n",
                    sinceJvmStart, mainEntered);
            st.execute("DROP DATABASE bench_first");
        }
    }

    private static void nativeTemplate(String url, int n) throws SQLException {
        // url: jdbc:postgresql://host:port/ (the database name is appended)
        try (Connection admin = DriverManager.getConnection(url + "postgres", "postgres", "");
                Statement st = admin.createStatement()) {
            for (int i = 0; i < Math.min(n, 20) + n; i++) {
                String db = "bench_" + i;
                st.execute("DROP DATABASE IF EXISTS " + db);
            }
            String template = "template1";
            if (EXTENSIONS.length > 0) {
                template = "bench_template";
                st.execute("DROP DATABASE IF EXISTS bench_template");
                st.execute("CREATE DATABASE bench_template");
                try (Connection c = DriverManager.getConnection(url + template, "postgres", "");
                        Statement q = c.createStatement()) {
                    for (String e : EXTENSIONS) {
                        q.execute("CREATE EXTENSION \"" + e + "\" CASCADE");
                    }
                }
            }
            List<Double> times = new ArrayList<>();
            for (int i = 0; i < Math.min(n, 20) + n; i++) {
                String db = "bench_" + i;
                long s = System.nanoTime();
                st.execute("CREATE DATABASE " + db + " TEMPLATE " + template);
                try (Connection c = DriverManager.getConnection(url + db, "postgres", "");
                        Statement q = c.createStatement();
                        ResultSet rs = q.executeQuery(QUERY)) {
                    if (!rs.next()) {
                        throw new IllegalStateException(QUERY + " returned no row");
                    }
                }
                if (i >= Math.min(n, 20)) {
                    times.add((System.nanoTime() - s) / 1e6);
                }
            }
            for (int i = 0; i < Math.min(n, 20) + n; i++) {
                st.execute("DROP DATABASE IF EXISTS bench_" + i);
            }
            if (EXTENSIONS.length > 0) {
                st.execute("DROP DATABASE bench_template");
            }
            report("native-template", times);
        }
    }

    private static void selectOne(PgliteCluster pg) throws SQLException {
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), "postgres", "");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(QUERY)) {
            if (!rs.next() || (QUERY.equals("SELECT 1") && rs.getInt(1) != 1)) {
                throw new IllegalStateException(QUERY + " returned no row or not 1");
            }
        }
    }
}
