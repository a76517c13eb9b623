package io.pglite.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.pglite.cluster.PgliteCluster;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/** Several clients on one cluster: scheduling, private statement names, per-connection session state. */
class MultiClientTest {
    private static PgliteCluster cluster;
    private static PgliteServer server;

    @BeforeAll
    static void start() {
        cluster = PgliteCluster.builder().build();
        server = cluster.server();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static Connection connect() throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("prepareThreshold", "1"); // server-side statements (S_1, S_2, ...) from the first use
        return DriverManager.getConnection(cluster.jdbcUrl(), p);
    }

    private static Wire.Client raw(String... extra) throws Exception {
        return new Wire.Client(server.host(), server.port(), "postgres", "postgres", extra);
    }

    private static String scalar(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static void awaitWaiting(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (server.waitingConnections() < n) {
            assertThat(System.nanoTime()).as("a connection should be waiting for the session").isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    @Test
    void preparedStatementNamesArePrivateToEachConnection() throws Exception {
        try (Connection a = connect(); Connection b = connect();
                PreparedStatement pa = a.prepareStatement("SELECT ?::int + 1");
                PreparedStatement pb = b.prepareStatement("SELECT 'b:' || ?::text")) {
            for (int i = 0; i < 20; i++) {
                pa.setInt(1, i);
                try (ResultSet rs = pa.executeQuery()) {
                    rs.next();
                    assertThat(rs.getInt(1)).isEqualTo(i + 1);
                }
                pb.setString(1, "x" + i);
                try (ResultSet rs = pb.executeQuery()) {
                    rs.next();
                    assertThat(rs.getString(1)).isEqualTo("b:x" + i);
                }
            }
        }
    }

    @Test
    void interleavedExtendedBatchesWaitForTheSync() throws Exception {
        try (Wire.Client a = raw(); Wire.Client b = raw()) {
            // Both use the same statement name for different queries.
            // A Flush makes the server answer a's batch so far: once that arrives, a holds the session.
            a.send(Wire.parse("s1", "SELECT $1::int * 2"), Wire.bind("", "s1", "21"), Wire.execute("", 0),
                    Wire.flush());
            List<Wire.Msg> aMsgs = new java.util.ArrayList<>();
            while (aMsgs.isEmpty() || aMsgs.get(aMsgs.size() - 1).type() != 'C') {
                aMsgs.add(Wire.read(a.in));
            }
            CompletableFuture<List<Wire.Msg>> bResult = CompletableFuture.supplyAsync(() -> {
                try {
                    b.send(Wire.parse("s1", "SELECT 'b' || $1::text"), Wire.bind("", "s1", "!"),
                            Wire.execute("", 0), Wire.sync());
                    return b.untilReady();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            awaitWaiting(1);
            assertThat(bResult).isNotDone();
            a.send(Wire.sync());
            aMsgs.addAll(a.untilReady());
            assertThat(aMsgs).extracting(Wire.Msg::type).containsExactly('1', '2', 'D', 'C', 'Z');
            assertThat(aMsgs.get(2).columns()).containsExactly("42");
            List<Wire.Msg> bMsgs = bResult.get(30, TimeUnit.SECONDS);
            assertThat(bMsgs).extracting(Wire.Msg::type).containsExactly('1', '2', 'D', 'C', 'Z');
            assertThat(bMsgs.get(2).columns()).containsExactly("b!");
            // The statements stay private: each connection binds its own s1 again.
            a.send(Wire.bind("", "s1", "5"), Wire.execute("", 0), Wire.sync());
            assertThat(a.untilReady().get(1).columns()).containsExactly("10");
            b.send(Wire.bind("", "s1", "?"), Wire.execute("", 0), Wire.sync());
            assertThat(b.untilReady().get(1).columns()).containsExactly("b?");
            // Closing one connection's s1 leaves the other's.
            a.send(Wire.closeStatement("s1"), Wire.sync());
            assertThat(a.untilReady()).extracting(Wire.Msg::type).containsExactly('3', 'Z');
            b.send(Wire.bind("", "s1", "."), Wire.execute("", 0), Wire.sync());
            assertThat(b.untilReady().get(1).columns()).containsExactly("b.");
            a.send(Wire.bind("", "s1", "5"), Wire.execute("", 0), Wire.sync());
            List<Wire.Msg> gone = a.untilReady();
            assertThat(gone.get(0).type()).isEqualTo('E');
            assertThat(gone.get(0).sqlState()).isEqualTo("26000");
            assertThat(gone.get(0).fields().get('M')).isEqualTo("prepared statement \"s1\" does not exist");
        }
    }

    @Test
    void theUnnamedStatementOfAConnectionSurvivesOtherConnections() throws Exception {
        try (Wire.Client a = raw(); Wire.Client b = raw()) {
            a.send(Wire.parse("", "SELECT $1::text || '-a'"), Wire.sync());
            assertThat(a.untilReady()).extracting(Wire.Msg::type).containsExactly('1', 'Z');
            b.send(Wire.parse("", "SELECT $1::text || '-b'"), Wire.bind("", "", "x"), Wire.execute("", 0),
                    Wire.sync());
            assertThat(b.untilReady().get(2).columns()).containsExactly("x-b");
            assertThat(b.scalar("SELECT 1")).isEqualTo("1");
            a.send(Wire.bind("", "", "y"), Wire.execute("", 0), Wire.sync());
            List<Wire.Msg> r = a.untilReady();
            assertThat(r).extracting(Wire.Msg::type).containsExactly('2', 'D', 'C', 'Z');
            assertThat(r.get(1).columns()).containsExactly("y-a");
            // A simple query of its own drops it, as in PostgreSQL.
            assertThat(a.scalar("SELECT 2")).isEqualTo("2");
            a.send(Wire.bind("", "", "z"), Wire.execute("", 0), Wire.sync());
            assertThat(a.untilReady().get(0).sqlState()).isEqualTo("26000");
        }
    }

    @Test
    void aTransactionKeepsTheSessionUntilItEnds() throws Exception {
        try (Connection a = connect(); Connection b = connect(); Statement sa = a.createStatement()) {
            sa.execute("CREATE TABLE IF NOT EXISTS tx_hold (who text)");
            a.setAutoCommit(false);
            sa.execute("INSERT INTO tx_hold VALUES ('a')");
            CompletableFuture<Void> bInsert = CompletableFuture.runAsync(() -> {
                try (Statement sb = b.createStatement()) {
                    sb.execute("INSERT INTO tx_hold VALUES ('b')");
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            awaitWaiting(1);
            assertThat(bInsert).isNotDone();
            a.rollback();
            bInsert.get(30, TimeUnit.SECONDS);
            a.setAutoCommit(true);
            // b's insert did not run inside a's transaction: the rollback did not take it.
            assertThat(scalar(a, "SELECT string_agg(who, ',') FROM tx_hold")).isEqualTo("b");
            sa.execute("DROP TABLE tx_hold");
        }
    }

    @Test
    void settingsArePerConnection() throws Exception {
        try (Connection a = connect(); Connection b = connect(); Statement sa = a.createStatement()) {
            sa.execute("SET IntervalStyle = 'sql_standard'");
            sa.execute("SET work_mem = '8MB'");
            sa.execute("SELECT set_config('application_name', 'conn-a', false)");
            assertThat(scalar(b, "SHOW IntervalStyle")).isEqualTo("postgres");
            assertThat(scalar(b, "SHOW work_mem")).isEqualTo("4MB");
            assertThat(scalar(b, "SHOW application_name")).isEqualTo("PostgreSQL JDBC Driver");
            assertThat(scalar(a, "SHOW IntervalStyle")).isEqualTo("sql_standard");
            assertThat(scalar(a, "SHOW work_mem")).isEqualTo("8MB");
            assertThat(scalar(a, "SHOW application_name")).isEqualTo("conn-a");
            sa.execute("RESET ALL");
            assertThat(scalar(a, "SHOW IntervalStyle")).isEqualTo("postgres");
            assertThat(scalar(a, "SHOW work_mem")).isEqualTo("4MB");
            // pgjdbc sets application_name with SET after connecting, so RESET ALL clears it (as in PostgreSQL);
            // b keeps its own.
            assertThat(scalar(a, "SHOW application_name")).isEmpty();
            assertThat(scalar(b, "SHOW application_name")).isEqualTo("PostgreSQL JDBC Driver");
        }
    }

    @Test
    void settingsChangedByDefaultValuesAndMultiStatementStringsStayPerConnection() throws Exception {
        try (Connection a = connect(); Connection b = connect(); Statement sa = a.createStatement()) {
            sa.execute("SET work_mem = '8MB'");
            sa.execute("SET work_mem TO DEFAULT");
            sa.execute("SET IntervalStyle = 'iso_8601'; SET extra_float_digits = 2");
            sa.execute("UPDATE pg_catalog.pg_settings SET setting = 'sql_standard' WHERE name = 'IntervalStyle'");
            assertThat(scalar(b, "SHOW IntervalStyle")).isEqualTo("postgres");
            assertThat(scalar(b, "SHOW extra_float_digits")).isEqualTo("1");
            assertThat(scalar(a, "SHOW work_mem")).isEqualTo("4MB");
            assertThat(scalar(a, "SHOW IntervalStyle")).isEqualTo("sql_standard");
            assertThat(scalar(a, "SHOW extra_float_digits")).isEqualTo("2");
            assertThat(scalar(b, "SHOW IntervalStyle")).isEqualTo("postgres");
        }
    }

    @Test
    void startupParametersArePerConnectionAndResetRestoresThem() throws Exception {
        try (Wire.Client a = raw("DateStyle", "SQL", "client_encoding", "LATIN1",
                "options", "-c search_path=pg_catalog,public");
                Wire.Client b = raw()) {
            Map<String, String> ps = a.parameterStatus();
            assertThat(ps).containsEntry("DateStyle", "SQL, MDY").containsEntry("client_encoding", "LATIN1")
                    .containsKey("server_version").containsKey("integer_datetimes");
            assertThat(a.greeting).extracting(Wire.Msg::type).contains('K').endsWith('Z');
            assertThat(b.parameterStatus()).containsEntry("DateStyle", "ISO, MDY")
                    .containsEntry("client_encoding", "UTF8");
            assertThat(a.scalar("SHOW search_path")).isEqualTo("pg_catalog,public");
            assertThat(b.scalar("SHOW search_path")).isEqualTo("public");
            a.send(Wire.query("SET DateStyle = 'German'"));
            assertThat(a.untilReady()).extracting(Wire.Msg::text).anyMatch(t -> t.startsWith("DateStyle\0German"));
            assertThat(b.scalar("SHOW DateStyle")).isEqualTo("ISO, MDY");
            a.send(Wire.query("RESET DateStyle"));
            a.untilReady();
            // Back to the startup value: the next request reports it and sees it.
            a.send(Wire.query("SHOW DateStyle"));
            List<Wire.Msg> r = a.untilReady();
            assertThat(r).filteredOn(m -> m.type() == 'D').first().extracting(m -> m.columns().get(0))
                    .isEqualTo("SQL, MDY");
            assertThat(r).filteredOn(m -> m.type() == 'S').extracting(Wire.Msg::text)
                    .anyMatch(t -> t.equals("DateStyle\0SQL, MDY\0"));
        }
    }

    @Test
    void discardAllFromOneConnectionLeavesTheOthersStatements() throws Exception {
        try (Connection a = connect(); Connection b = connect();
                PreparedStatement pb = b.prepareStatement("SELECT ?::int * 3")) {
            pb.setInt(1, 2);
            try (ResultSet rs = pb.executeQuery()) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(6);
            }
            try (Statement s = a.createStatement()) {
                s.execute("SET work_mem = '9MB'");
                s.execute("DISCARD ALL");
                s.execute("DEALLOCATE ALL");
            }
            assertThat(scalar(a, "SHOW work_mem")).isEqualTo("4MB");
            pb.setInt(1, 5);
            try (ResultSet rs = pb.executeQuery()) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(15);
            }
        }
    }

    @Test
    void notificationsGoToTheConnectionsThatListen() throws Exception {
        try (Connection a = connect(); Connection b = connect(); Connection c = connect()) {
            try (Statement s = a.createStatement()) {
                s.execute("LISTEN news");
            }
            try (Statement s = c.createStatement()) {
                s.execute("LISTEN news");
            }
            try (Statement s = b.createStatement()) {
                s.execute("NOTIFY news, 'first'");
            }
            PGNotification[] na = a.unwrap(PGConnection.class).getNotifications(10_000);
            assertThat(na).hasSize(1);
            assertThat(na[0].getName()).isEqualTo("news");
            assertThat(na[0].getParameter()).isEqualTo("first");
            assertThat(na[0].getPID()).isEqualTo(b.unwrap(PGConnection.class).getBackendPID());
            assertThat(c.unwrap(PGConnection.class).getNotifications(10_000)).hasSize(1);
            // a stops listening; c still listens although UNLISTEN acts on the whole PostgreSQL session.
            try (Statement s = a.createStatement()) {
                s.execute("UNLISTEN news");
            }
            try (Statement s = b.createStatement()) {
                s.execute("NOTIFY news, 'second'");
            }
            PGNotification[] nc = c.unwrap(PGConnection.class).getNotifications(10_000);
            assertThat(nc).hasSize(1);
            assertThat(nc[0].getParameter()).isEqualTo("second");
            assertThat(a.unwrap(PGConnection.class).getNotifications(200)).isNullOrEmpty();
            // b never listened.
            assertThat(b.unwrap(PGConnection.class).getNotifications(200)).isNullOrEmpty();
        }
    }

    @Test
    void temporaryTablesAndAdvisoryLocksBelongToTheOneSharedSession() throws Exception {
        try (Connection a = connect(); Connection b = connect()) {
            try (Statement s = a.createStatement()) {
                s.execute("CREATE TEMP TABLE shared_tmp (x int)");
                s.execute("INSERT INTO shared_tmp VALUES (1)");
            }
            // Documented: temporary tables are visible to every connection and outlive the one that made them.
            assertThat(scalar(b, "SELECT count(*) FROM shared_tmp")).isEqualTo("1");
            a.close();
            assertThat(scalar(b, "SELECT count(*) FROM shared_tmp")).isEqualTo("1");
            try (Statement s = b.createStatement()) {
                s.execute("DROP TABLE shared_tmp");
            }
            // Documented: session-level advisory locks never exclude another connection (one session holds
            // them all).
            try (Connection c = connect()) {
                assertThat(scalar(b, "SELECT pg_try_advisory_lock(4242)")).isEqualTo("t");
                assertThat(scalar(c, "SELECT pg_try_advisory_lock(4242)")).isEqualTo("t");
                assertThat(scalar(c, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")).isEqualTo("1");
                assertThat(scalar(c, "SELECT pg_advisory_unlock_all()::text")).isEmpty();
            }
        }
    }

    @Test
    void aClientThatDropsInTheMiddleOfABatchOrACopyIsRolledBack() throws Exception {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE dropped (x int)");
            try (Wire.Client a = raw()) {
                a.send(Wire.parse("", "INSERT INTO dropped VALUES (1)"), Wire.bind("", ""), Wire.execute("", 0),
                        Wire.flush());
                assertThat(Wire.read(a.in).type()).isEqualTo('1');
            }
            try (Wire.Client a = raw()) {
                a.send(Wire.query("COPY dropped FROM STDIN"));
                assertThat(Wire.read(a.in).type()).isEqualTo('G');
                a.send(Wire.message('d', "2\n3\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            }
            try (Wire.Client a = raw()) {
                a.send(Wire.query("BEGIN; INSERT INTO dropped VALUES (4)"));
                assertThat(a.untilReady()).last().extracting(m -> m.body()[0]).isEqualTo((byte) 'T');
            }
            assertThat(scalar(c, "SELECT count(*) FROM dropped")).isEqualTo("0");
            s.execute("DROP TABLE dropped");
        }
    }
}
