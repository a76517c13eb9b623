package io.pglite.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pglite.cluster.PgliteCluster;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HikariCP (maximumPoolSize 10) driven by 8 threads moving money between accounts for 30 s through the
 * server: the total is unchanged, every account ends where the threads' own bookkeeping says (no lost
 * update), and nothing fails (no deadlock, no "prepared statement already exists").
 */
class ConnectionPoolStressTest {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionPoolStressTest.class);
    private static final int ACCOUNTS = 50;
    private static final long INITIAL = 1_000_000;
    private static final int THREADS = 8;
    private static final long DURATION_MS = Long.getLong("pglite.stress.millis", 30_000);

    @Test
    void bankTransfersThroughAPoolKeepEveryBalanceRight() throws Exception {
        try (PgliteCluster cluster = PgliteCluster.builder().build()) {
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(cluster.jdbcUrl());
            config.setUsername("postgres");
            config.setMaximumPoolSize(10);
            config.setMinimumIdle(10);
            config.setConnectionTimeout(60_000);
            config.addDataSourceProperty("prepareThreshold", "1"); // server-side statements at once
            try (HikariDataSource pool = new HikariDataSource(config)) {
                try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
                    s.execute("CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL)");
                    s.execute("CREATE TABLE transfers (id bigserial PRIMARY KEY, src int, dst int, amount bigint)");
                    s.execute("INSERT INTO accounts SELECT g, " + INITIAL + " FROM generate_series(1, " + ACCOUNTS
                            + ") g");
                }
                Map<Integer, AtomicLong> expected = new ConcurrentHashMap<>();
                for (int i = 1; i <= ACCOUNTS; i++) {
                    expected.put(i, new AtomicLong(INITIAL));
                }
                ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
                AtomicLong committed = new AtomicLong();
                AtomicLong rolledBack = new AtomicLong();
                long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DURATION_MS);
                ExecutorService threads = Executors.newFixedThreadPool(THREADS);
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    long seed = t;
                    futures.add(threads.submit(() -> {
                        Random r = new Random(seed);
                        while (System.nanoTime() < end && failures.isEmpty()) {
                            int src = 1 + r.nextInt(ACCOUNTS);
                            int dst = 1 + r.nextInt(ACCOUNTS);
                            long amount = 1 + r.nextInt(1000);
                            boolean abort = r.nextInt(10) == 0; // some transactions roll back on purpose
                            try {
                                if (transfer(pool, src, dst, amount, abort)) {
                                    expected.get(src).addAndGet(-amount);
                                    expected.get(dst).addAndGet(amount);
                                    committed.incrementAndGet();
                                } else {
                                    rolledBack.incrementAndGet();
                                }
                            } catch (Throwable e) {
                                failures.add(e);
                            }
                        }
                    }));
                }
                for (Future<?> f : futures) {
                    f.get(DURATION_MS + 120_000, TimeUnit.MILLISECONDS);
                }
                threads.shutdown();
                assertThat(failures).isEmpty();
                LOG.info("{} transfers committed, {} rolled back in {} ms", committed.get(), rolledBack.get(),
                        DURATION_MS);
                assertThat(committed.get()).isPositive();
                assertThat(rolledBack.get()).isPositive();
                try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
                    try (ResultSet rs = s.executeQuery("SELECT sum(balance), count(*) FROM accounts")) {
                        rs.next();
                        assertThat(rs.getLong(1)).isEqualTo(ACCOUNTS * INITIAL);
                        assertThat(rs.getInt(2)).isEqualTo(ACCOUNTS);
                    }
                    try (ResultSet rs = s.executeQuery("SELECT id, balance FROM accounts")) {
                        while (rs.next()) {
                            assertThat(rs.getLong(2)).as("balance of account %d", rs.getInt(1))
                                    .isEqualTo(expected.get(rs.getInt(1)).get());
                        }
                    }
                    try (ResultSet rs = s.executeQuery("SELECT count(*) FROM transfers")) {
                        rs.next();
                        assertThat(rs.getLong(1)).isEqualTo(committed.get());
                    }
                }
            }
        }
    }

    /** One transfer in a transaction; returns false when it was rolled back on purpose. */
    private static boolean transfer(HikariDataSource pool, int src, int dst, long amount, boolean abort)
            throws SQLException {
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try {
                long before;
                try (PreparedStatement read = c.prepareStatement("SELECT balance FROM accounts WHERE id = ? FOR UPDATE")) {
                    read.setInt(1, src);
                    try (ResultSet rs = read.executeQuery()) {
                        rs.next();
                        before = rs.getLong(1);
                    }
                }
                // Read-modify-write from the client: a lost update would show here.
                try (PreparedStatement w = c.prepareStatement("UPDATE accounts SET balance = ? WHERE id = ?")) {
                    w.setLong(1, before - amount);
                    w.setInt(2, src);
                    w.executeUpdate();
                }
                try (PreparedStatement w = c.prepareStatement(
                        "UPDATE accounts SET balance = balance + ? WHERE id = ?")) {
                    w.setLong(1, amount);
                    w.setInt(2, dst);
                    w.executeUpdate();
                }
                try (PreparedStatement log = c.prepareStatement(
                        "INSERT INTO transfers (src, dst, amount) VALUES (?, ?, ?)")) {
                    log.setInt(1, src);
                    log.setInt(2, dst);
                    log.setLong(3, amount);
                    log.executeUpdate();
                }
                if (abort) {
                    c.rollback();
                    return false;
                }
                c.commit();
                return true;
            } catch (SQLException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }
}
