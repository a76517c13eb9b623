package io.pglite.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Many clients at once (a program, not a test: nothing here asserts a time). For each target URL and each client
 * count, every client runs, for a fixed time, (a) primary-key SELECTs through a prepared statement and (b)
 * small read-write transactions (SELECT ... FOR UPDATE, two UPDATEs, an INSERT, COMMIT), and the aggregate rates
 * are printed. Run against the pglite-java server and native PostgreSQL in one run (see docs/PERFORMANCE.md,
 * "Server"):
 *
 * <pre>
 * mvn -B -q -pl core-runtime exec:exec -Dexec.executable=java -Dexec.classpathScope=test \
 *     -Dexec.args="-cp %classpath io.pglite.bench.ConcurrentClients URL1 URL2 ..."
 * </pre>
 *
 * <p>URLs carry user and password ({@code jdbc:postgresql://host:port/db?user=postgres}). System properties:
 * {@code clients} (default {@code 1,4,8}), {@code seconds} per measurement (default 10).
 */
public final class ConcurrentClients {
    private static final int ACCOUNTS = 1000;

    private ConcurrentClients() {}

    /**
     * Entry point.
     *
     * @param args JDBC URLs
     */
    public static void main(String[] args) throws Exception {
        int seconds = Integer.getInteger("seconds", 10);
        String[] counts = System.getProperty("clients", "1,4,8").split(",");
        System.out.printf(Locale.ROOT, "%-50s %8s %14s %14s%n", "target", "clients", "PK SELECT/s", "transfer tx/s");
        for (String url : args) {
            setUp(url);
            for (String c : counts) {
                int n = Integer.parseInt(c.trim());
                double selects = run(url, n, seconds, false);
                double transfers = run(url, n, seconds, true);
                System.out.printf(Locale.ROOT, "%-50s %8d %14.0f %14.0f%n", url.replaceAll("\\?.*", ""), n,
                        selects, transfers);
            }
        }
    }

    private static void setUp(String url) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS bench_accounts, bench_transfers");
            s.execute("CREATE TABLE bench_accounts (id int PRIMARY KEY, balance bigint NOT NULL)");
            s.execute("CREATE TABLE bench_transfers (id bigserial PRIMARY KEY, src int, dst int, amount bigint)");
            s.execute("INSERT INTO bench_accounts SELECT g, 1000000 FROM generate_series(1, " + ACCOUNTS + ") g");
        }
    }

    private static double run(String url, int clients, int seconds, boolean transfers) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        AtomicLong ops = new AtomicLong();
        List<Future<?>> fs = new ArrayList<>();
        long warmUpEnd = System.nanoTime() + 1_000_000_000L;
        long end = warmUpEnd + seconds * 1_000_000_000L;
        for (int i = 0; i < clients; i++) {
            long seed = i;
            fs.add(pool.submit(() -> {
                Random r = new Random(seed);
                try (Connection c = DriverManager.getConnection(url)) {
                    PreparedStatement sel = c.prepareStatement("SELECT balance FROM bench_accounts WHERE id = ?");
                    PreparedStatement lock = c.prepareStatement(
                            "SELECT balance FROM bench_accounts WHERE id = ? FOR UPDATE");
                    PreparedStatement upd = c.prepareStatement(
                            "UPDATE bench_accounts SET balance = balance + ? WHERE id = ?");
                    PreparedStatement log = c.prepareStatement(
                            "INSERT INTO bench_transfers (src, dst, amount) VALUES (?, ?, ?)");
                    while (true) {
                        long now = System.nanoTime();
                        if (now > end) {
                            break;
                        }
                        if (transfers) {
                            int a = 1 + r.nextInt(ACCOUNTS);
                            int b = 1 + r.nextInt(ACCOUNTS);
                            c.setAutoCommit(false);
                            lock.setInt(1, a);
                            try (ResultSet rs = lock.executeQuery()) {
                                rs.next();
                            }
                            upd.setLong(1, -1);
                            upd.setInt(2, a);
                            upd.executeUpdate();
                            upd.setLong(1, 1);
                            upd.setInt(2, b);
                            upd.executeUpdate();
                            log.setInt(1, a);
                            log.setInt(2, b);
                            log.setLong(3, 1);
                            log.executeUpdate();
                            c.commit();
                            c.setAutoCommit(true);
                        } else {
                            sel.setInt(1, 1 + r.nextInt(ACCOUNTS));
                            try (ResultSet rs = sel.executeQuery()) {
                                rs.next();
                            }
                        }
                        if (now > warmUpEnd) {
                            ops.incrementAndGet();
                        }
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        pool.shutdown();
        return ops.get() / (double) seconds;
    }
}
