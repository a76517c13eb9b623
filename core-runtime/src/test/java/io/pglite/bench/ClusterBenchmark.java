package io.pglite.bench;

import io.pglite.cluster.PgliteCluster;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * In-process figures for docs/PERFORMANCE.md (not a test; run by the scripts in core-runtime/src/bench).
 *
 * <ul>
 *   <li>{@code workload ROUNDS [SCALE]}: the common workload (shared/bench/jdbc: single-row INSERTs in one
 *       transaction, primary-key SELECTs, INSERT..SELECT, count/sum) against one in-memory cluster over pgjdbc,
 *       reporting per round the wall time and the process's CPU time of each phase. CPU time is what the
 *       memory A/B compares: on a loaded machine it moves far less than wall time;
 *   <li>{@code idle N [boot]}: heap in use after a full GC with N idle in-memory clusters open (each answered
 *       one query), minus the heap with one open: what an idle cluster costs beyond what all of them share
 *       ({@code boot}: clusters that ran PostgreSQL's start-up instead of restoring the snapshot);
 *   <li>{@code concurrent N [SCALE]}: N clusters, each used by its own thread running the workload at once;
 *       checks that every thread sees exactly its own rows.
 * </ul>
 * SCALE divides the workload's row counts (1 = 10,000 INSERTs and SELECTs, 100,000 rows INSERT..SELECT).
 */
public final class ClusterBenchmark {
    private ClusterBenchmark() {}

    public static void main(String[] args) throws Exception {
        switch (args.length == 0 ? "" : args[0]) {
            case "workload" -> workload(Integer.parseInt(args[1]), args.length > 2 ? Integer.parseInt(args[2]) : 1);
            case "idle" -> idle(Integer.parseInt(args[1]), args.length > 2 && args[2].equals("boot"));
            case "concurrent" -> concurrent(Integer.parseInt(args[1]),
                    args.length > 2 ? Integer.parseInt(args[2]) : 1);
            default -> {
                System.err.println("usage: ClusterBenchmark workload ROUNDS [SCALE] | idle N [boot] | concurrent N [SCALE]");
                System.exit(2);
            }
        }
        System.exit(0);
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** Times one phase: wall and process CPU milliseconds. */
    private record Phase(String name, double wallMs, double cpuMs) {}

    private interface SqlBody {
        void run() throws SQLException;
    }

    private static Phase phase(String name, SqlBody body) throws SQLException {
        long w = System.nanoTime();
        long c = cpuNanos();
        body.run();
        return new Phase(name, (System.nanoTime() - w) / 1e6, (cpuNanos() - c) / 1e6);
    }

    private static void workload(int rounds, int scale) throws SQLException {
        try (PgliteCluster pg = PgliteCluster.builder().build()) {
            List<List<Phase>> all = new ArrayList<>();
            for (int r = 1; r <= rounds; r++) {
                List<Phase> phases = runWorkload(pg.jdbcUrl(), "t", 10_000 / scale, 100_000 / scale, null);
                all.add(phases);
                StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "ROUND round=%d", r));
                for (Phase p : phases) {
                    sb.append(String.format(Locale.ROOT, " %s_wall_ms=%.0f %s_cpu_ms=%.0f", p.name, p.wallMs, p.name,
                            p.cpuMs));
                }
                System.out.println(sb);
            }
            // Rounds after the first half: the JIT has settled.
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "RESULT workload rounds=%d-%d",
                    rounds / 2 + 1, rounds));
            for (int i = 0; i < all.get(0).size(); i++) {
                List<Double> cpu = new ArrayList<>();
                List<Double> wall = new ArrayList<>();
                for (List<Phase> round : all.subList(rounds / 2, rounds)) {
                    cpu.add(round.get(i).cpuMs);
                    wall.add(round.get(i).wallMs);
                }
                sb.append(String.format(Locale.ROOT, " %s_cpu_ms_median=%.0f %s_wall_ms_median=%.0f",
                        all.get(0).get(i).name, median(cpu), all.get(0).get(i).name, median(wall)));
            }
            System.out.println(sb);
        }
    }

    /**
     * The common workload's shape (shared/bench/jdbc/JdbcWorkload): create the table, single-row INSERTs in one
     * transaction, primary-key SELECTs in random order, INSERT..SELECT, count/sum, drop.
     */
    static List<Phase> runWorkload(String url, String table, int n, int aggRows, String marker)
            throws SQLException {
        List<Phase> phases = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url, "postgres", ""); Statement st = c.createStatement()) {
            st.execute("DROP TABLE IF EXISTS " + table);
            st.execute("CREATE TABLE " + table + " (id int PRIMARY KEY, v text)");
            phases.add(phase("insert", () -> {
                c.setAutoCommit(false);
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (id, v) VALUES (?, ?)")) {
                    for (int i = 1; i <= n; i++) {
                        ps.setInt(1, i);
                        ps.setString(2, marker == null ? "v" + i : marker);
                        ps.executeUpdate();
                    }
                }
                c.commit();
                c.setAutoCommit(true);
            }));
            phases.add(phase("select", () -> {
                List<Integer> ids = new ArrayList<>();
                for (int i = 1; i <= n; i++) {
                    ids.add(i);
                }
                Collections.shuffle(ids, new Random(42));
                try (PreparedStatement ps = c.prepareStatement("SELECT v FROM " + table + " WHERE id = ?")) {
                    for (int id : ids) {
                        ps.setInt(1, id);
                        try (ResultSet rs = ps.executeQuery()) {
                            if (!rs.next()) {
                                throw new IllegalStateException("row " + id + " missing in " + table);
                            }
                            String v = rs.getString(1);
                            if (!v.equals(marker == null ? "v" + id : marker)) {
                                throw new IllegalStateException(table + " row " + id + " holds " + v);
                            }
                        }
                    }
                }
            }));
            phases.add(phase("insert_select", () -> {
                st.execute("TRUNCATE " + table);
                st.executeUpdate("INSERT INTO " + table + " SELECT g, '" + (marker == null ? "v" : marker)
                        + "' || g FROM generate_series(1, " + aggRows + ") g");
            }));
            phases.add(phase("aggregate", () -> {
                try (ResultSet rs = st.executeQuery("SELECT count(*), sum(id) FROM " + table)) {
                    rs.next();
                    if (rs.getLong(1) != aggRows || rs.getLong(2) != (long) aggRows * (aggRows + 1) / 2) {
                        throw new IllegalStateException("count/sum over " + table + " is wrong: " + rs.getLong(1));
                    }
                }
            }));
            st.execute("DROP TABLE " + table);
        }
        return phases;
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }

    private static long usedHeapAfterGc() {
        MemoryMXBean mx = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return mx.getHeapMemoryUsage().getUsed();
    }

    private static void selectOne(PgliteCluster pg) throws SQLException {
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), "postgres", "");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT 1")) {
            rs.next();
        }
    }

    private static void idle(int n, boolean boot) throws SQLException {
        List<PgliteCluster> open = new ArrayList<>();
        try {
            open.add(PgliteCluster.builder().snapshot(!boot).build());
            selectOne(open.get(0));
            long one = usedHeapAfterGc();
            for (int i = 1; i < n; i++) {
                PgliteCluster pg = PgliteCluster.builder().snapshot(!boot).build();
                open.add(pg);
                selectOne(pg);
            }
            long all = usedHeapAfterGc();
            System.out.printf(Locale.ROOT, "RESULT idle clusters=%d restored=%s heap_one_mb=%.1f heap_all_mb=%.1f"
                    + " per_extra_cluster_mb=%.1f%n", n, open.get(n - 1).restoredFromSnapshot(), one / 1048576.0,
                    all / 1048576.0, (all - one) / 1048576.0 / (n - 1));
        } finally {
            for (PgliteCluster pg : open) {
                pg.close();
            }
        }
    }

    private static void concurrent(int n, int scale) throws Exception {
        List<PgliteCluster> clusters = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                clusters.add(PgliteCluster.builder().build());
            }
            long created = System.nanoTime();
            List<Future<List<Phase>>> results = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String url = clusters.get(i).jdbcUrl();
                String marker = "cluster" + i;
                results.add(pool.submit(() -> {
                    List<Phase> phases = runWorkload(url, "t", 10_000 / scale, 100_000 / scale, marker);
                    // Only this thread's rows exist in its cluster.
                    try (Connection c = DriverManager.getConnection(url, "postgres", "");
                            Statement s = c.createStatement()) {
                        s.execute("CREATE TABLE mine AS SELECT '" + marker + "' AS who");
                        try (ResultSet rs = s.executeQuery("SELECT string_agg(who, ',') FROM mine")) {
                            rs.next();
                            if (!rs.getString(1).equals(marker)) {
                                throw new IllegalStateException(marker + " sees " + rs.getString(1));
                            }
                        }
                    }
                    return phases;
                }));
            }
            for (Future<List<Phase>> f : results) {
                f.get();
            }
            long done = System.nanoTime();
            long peak = 0;
            for (var memoryPool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (memoryPool.getType() == java.lang.management.MemoryType.HEAP) {
                    peak += memoryPool.getPeakUsage().getUsed();
                }
            }
            System.out.printf(Locale.ROOT, "RESULT concurrent clusters=%d scale=1/%d create_ms=%.0f workload_wall_ms=%.0f"
                    + " max_heap_mb=%d peak_heap_pools_sum_mb=%d heap_used_after_gc_mb=%.0f%n", n, scale,
                    (created - t0) / 1e6, (done - created) / 1e6, Runtime.getRuntime().maxMemory() >> 20, peak >> 20,
                    usedHeapAfterGc() / 1048576.0);
        } finally {
            pool.shutdown();
            for (PgliteCluster pg : clusters) {
                pg.close();
            }
        }
    }
}
