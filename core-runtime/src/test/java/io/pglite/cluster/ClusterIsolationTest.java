package io.pglite.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Clusters made from one template and one started-backend snapshot share nothing they write. */
class ClusterIsolationTest {

    private static Connection connect(PgliteCluster pg) throws SQLException {
        return DriverManager.getConnection(pg.jdbcUrl(), "postgres", "");
    }

    private static String queryOne(PgliteCluster pg, String sql) throws SQLException {
        try (Connection c = connect(pg); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }

    @Test
    void aWriteInOneClusterIsInvisibleToAnotherAndToTheTemplate() throws SQLException {
        try (PgliteCluster a = PgliteCluster.builder().build();
                PgliteCluster b = PgliteCluster.builder().build()) {
            assertThat(a.restoredFromSnapshot()).isTrue();
            assertThat(b.restoredFromSnapshot()).isTrue();
            try (Connection c = connect(a); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE only_in_a (id int PRIMARY KEY, note text)");
                s.execute("INSERT INTO only_in_a SELECT g, 'a' FROM generate_series(1, 1000) g");
                s.execute("CREATE ROLE role_of_a");
                s.execute("CHECKPOINT");
            }
            assertThat(queryOne(a, "SELECT count(*) FROM only_in_a")).isEqualTo("1000");
            assertThat(queryOne(b, "SELECT to_regclass('only_in_a') IS NULL")).isEqualTo("t");
            assertThat(queryOne(b, "SELECT count(*) FROM pg_roles WHERE rolname = 'role_of_a'")).isEqualTo("0");

            // b writes the same names without conflict, and a keeps its own rows.
            try (Connection c = connect(b); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE only_in_a (id int PRIMARY KEY, note text)");
                s.execute("INSERT INTO only_in_a VALUES (1, 'b')");
            }
            assertThat(queryOne(a, "SELECT string_agg(DISTINCT note, ',') FROM only_in_a")).isEqualTo("a");
            assertThat(queryOne(b, "SELECT string_agg(note, ',') FROM only_in_a")).isEqualTo("b");

            // Clusters created afterwards, restored or started from the template, see neither.
            try (PgliteCluster later = PgliteCluster.builder().build();
                    PgliteCluster booted = PgliteCluster.builder().snapshot(false).build()) {
                assertThat(later.restoredFromSnapshot()).isTrue();
                assertThat(booted.restoredFromSnapshot()).isFalse();
                for (PgliteCluster pg : List.of(later, booted)) {
                    assertThat(queryOne(pg, "SELECT to_regclass('only_in_a') IS NULL")).isEqualTo("t");
                    assertThat(queryOne(pg, "SELECT count(*) FROM pg_roles WHERE rolname = 'role_of_a'"))
                            .isEqualTo("0");
                }
            }
        }
    }

    @Test
    void aRestoredClustersFirstSessionIsThatOfAStartedOne() throws SQLException {
        String state = "SELECT string_agg(name || '=' || setting || '/' || coalesce(reset_val, '') || '/' || source,"
                + " E'\\n' ORDER BY name) FROM pg_settings";
        String facts = "SELECT current_user || ' ' || current_database() || ' ' || version() || ' '"
                + " || (SELECT count(*) FROM pg_class) || ' ' || txid_current() || ' ' || pg_current_wal_lsn()"
                + " || ' ' || pg_is_in_recovery()";
        try (PgliteCluster booted = PgliteCluster.builder().snapshot(false).build();
                PgliteCluster restored = PgliteCluster.builder().build()) {
            assertThat(restored.restoredFromSnapshot()).isTrue();
            assertThat(queryOne(restored, state)).isEqualTo(queryOne(booted, state));
            assertThat(queryOne(restored, facts)).isEqualTo(queryOne(booted, facts));
        }
    }

    @Test
    void clustersPreparedInTheBackgroundAreFreshAndIsolated() throws SQLException {
        for (int i = 0; i < 4; i++) {
            try (PgliteCluster pg = PgliteCluster.builder().prepareNext(true).build()) {
                assertThat(pg.restoredFromSnapshot()).isTrue();
                assertThat(queryOne(pg, "SELECT to_regclass('mine') IS NULL")).isEqualTo("t");
                try (Connection c = connect(pg); Statement s = c.createStatement()) {
                    s.execute("CREATE TABLE mine AS SELECT " + i + " AS round");
                }
                assertThat(queryOne(pg, "SELECT string_agg(round::text, ',') FROM mine")).isEqualTo("" + i);
            }
        }
        // Other settings get their own cluster; the one prepared for the settings above is dropped.
        try (PgliteCluster other = PgliteCluster.builder().prepareNext(true).setting("work_mem=8MB").build()) {
            assertThat(queryOne(other, "SHOW work_mem")).isEqualTo("8MB");
            assertThat(queryOne(other, "SELECT to_regclass('mine') IS NULL")).isEqualTo("t");
        }
    }

    @Test
    void restoredClustersGetTheirOwnRandomSeed() throws SQLException {
        // PostgreSQL seeds random() at start-up; clusters restored from one snapshot must not all repeat it.
        List<String> firsts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            try (PgliteCluster pg = PgliteCluster.builder().build()) {
                assertThat(pg.restoredFromSnapshot()).isTrue();
                firsts.add(queryOne(pg, "SELECT random()::text"));
            }
        }
        assertThat(firsts).doesNotHaveDuplicates();
    }

    @Test
    void eightClustersUsedFromEightThreadsAtOnceStayIsolated() throws Exception {
        int n = 8;
        List<PgliteCluster> clusters = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            for (int i = 0; i < n; i++) {
                clusters.add(PgliteCluster.builder().build());
            }
            CyclicBarrier start = new CyclicBarrier(n);
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                PgliteCluster pg = clusters.get(i);
                String marker = "thread-" + i;
                results.add(pool.submit(() -> {
                    start.await(1, TimeUnit.MINUTES);
                    return workload(pg, marker);
                }));
            }
            for (int i = 0; i < n; i++) {
                assertThat(results.get(i).get(10, TimeUnit.MINUTES)).isEqualTo("thread-" + i);
            }
        } finally {
            pool.shutdownNow();
            for (PgliteCluster pg : clusters) {
                pg.close();
            }
        }
    }

    /**
     * The common workload's shape, scaled down (shared/bench/jdbc): single-row INSERTs in one transaction,
     * primary-key SELECTs in random order, INSERT..SELECT, count/sum; every row carries the thread's marker, and
     * the thread must read back only its own.
     *
     * @return the distinct markers this cluster holds
     */
    private static String workload(PgliteCluster pg, String marker) throws SQLException {
        int rows = 500;
        int bulk = 5_000;
        try (Connection c = connect(pg); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE t (id int PRIMARY KEY, v text)");
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO t VALUES (?, ?)")) {
                for (int i = 1; i <= rows; i++) {
                    ps.setInt(1, i);
                    ps.setString(2, marker);
                    ps.executeUpdate();
                }
            }
            c.commit();
            c.setAutoCommit(true);
            List<Integer> ids = new ArrayList<>();
            for (int i = 1; i <= rows; i++) {
                ids.add(i);
            }
            Collections.shuffle(ids, new Random(marker.hashCode()));
            try (PreparedStatement ps = c.prepareStatement("SELECT v FROM t WHERE id = ?")) {
                for (int id : ids) {
                    ps.setInt(1, id);
                    try (ResultSet rs = ps.executeQuery()) {
                        assertThat(rs.next()).isTrue();
                        assertThat(rs.getString(1)).isEqualTo(marker);
                    }
                }
            }
            s.execute("TRUNCATE t");
            s.executeUpdate("INSERT INTO t SELECT g, '" + marker + "' FROM generate_series(1, " + bulk + ") g");
            try (ResultSet rs = s.executeQuery("SELECT count(*), sum(id), string_agg(DISTINCT v, ',') FROM t")) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(bulk);
                assertThat(rs.getLong(2)).isEqualTo((long) bulk * (bulk + 1) / 2);
                return rs.getString(3);
            }
        }
    }
}
