package io.pglite.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pglite.cluster.PgliteCluster;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Authentication, cancel, statement_timeout, limits and timeouts of the server. */
class ServerFeaturesTest {

    private static Connection connect(PgliteServer s, String user, String password) throws SQLException {
        return connect(s, user, password, "postgres");
    }

    private static Connection connect(PgliteServer s, String user, String password, String db)
            throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        if (password != null) {
            p.setProperty("password", password);
        }
        return DriverManager.getConnection("jdbc:postgresql://" + s.host() + ":" + s.port() + "/" + db, p);
    }

    private static String scalar(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static void awaitWaiting(PgliteServer server, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (server.waitingConnections() < n) {
            assertThat(System.nanoTime()).as("a connection should be waiting").isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    private static SQLException failure(CompletableFuture<?> f) throws Exception {
        try {
            f.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable t = e.getCause();
            while (t != null && !(t instanceof SQLException)) {
                t = t.getCause();
            }
            if (t != null) {
                return (SQLException) t;
            }
            throw e;
        }
        throw new AssertionError("expected the request to fail");
    }

    @Test
    void scramSha256IsTheDefaultWithAPasswordAndAWrongPasswordIsRefused() throws Exception {
        try (PgliteCluster cluster = PgliteCluster.builder().password("s3cret-é").build()) {
            PgliteServer s = cluster.server();
            assertThat(s.options().authMethod()).isEqualTo(AuthMethod.SCRAM_SHA_256);
            try (Connection c = connect(s, "postgres", "s3cret-é")) {
                assertThat(scalar(c, "SELECT 'in'")).isEqualTo("in");
            }
            assertThatThrownBy(() -> connect(s, "postgres", "wrong"))
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("password authentication failed for user \"postgres\"")
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("28P01"));
        }
    }

    @Test
    void md5WhenConfigured() throws Exception {
        try (PgliteCluster cluster = PgliteCluster.builder().password("pw").authMethod(AuthMethod.MD5).build()) {
            PgliteServer s = cluster.server();
            try (Connection c = connect(s, "postgres", "pw")) {
                assertThat(scalar(c, "SELECT 1")).isEqualTo("1");
            }
            assertThatThrownBy(() -> connect(s, "postgres", "nope"))
                    .isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("28P01"));
        }
    }

    @Test
    void trustByDefaultButOnlyForTheClustersUserAndDatabase() throws Exception {
        try (PgliteCluster cluster = PgliteCluster.builder().build()) {
            PgliteServer s = cluster.server();
            assertThat(s.options().authMethod()).isEqualTo(AuthMethod.TRUST);
            try (Connection c = connect(s, "postgres", null)) {
                assertThat(scalar(c, "SELECT current_user")).isEqualTo("postgres");
            }
            assertThatThrownBy(() -> connect(s, "nobody", null))
                    .hasMessageContaining("role \"nobody\" does not exist")
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("28000"));
            assertThatThrownBy(() -> connect(s, "postgres", null, "nodb"))
                    .hasMessageContaining("database \"nodb\" does not exist")
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("3D000"));
        }
    }

    @Test
    void cancelInterruptsOnlyTheRightConnection() throws Exception {
        try (PgliteCluster cluster = PgliteCluster.builder().build()) {
            PgliteServer s = cluster.server();
            try (Connection a = connect(s, "postgres", null); Connection b = connect(s, "postgres", null);
                    Statement sa = a.createStatement(); Statement sb = b.createStatement()) {
                // a sleeps, b waits for its turn; cancelling a leaves b's request to run.
                CompletableFuture<String> aResult = CompletableFuture.supplyAsync(() -> query(sa,
                        "SELECT pg_sleep(30)::text"));
                awaitRunning(s, a);
                CompletableFuture<String> bResult = CompletableFuture.supplyAsync(() -> query(sb, "SELECT 'b'"));
                awaitWaiting(s, 1);
                sa.cancel();
                SQLException e = failure(aResult);
                assertThat(e.getSQLState()).isEqualTo("57014");
                assertThat(e.getMessage()).contains("canceling statement due to user request");
                assertThat(bResult.get(30, TimeUnit.SECONDS)).isEqualTo("b");
                // Now a runs and b waits; cancelling b's waiting request leaves a's running.
                CompletableFuture<String> aSleep = CompletableFuture.supplyAsync(() -> query(sa,
                        "SELECT pg_sleep(1.5)::text || 'a'"));
                awaitRunning(s, a);
                CompletableFuture<String> bWaiting = CompletableFuture.supplyAsync(() -> query(sb, "SELECT 'b2'"));
                awaitWaiting(s, 1);
                sb.cancel();
                SQLException eb = failure(bWaiting);
                assertThat(eb.getSQLState()).isEqualTo("57014");
                assertThat(aSleep.get(30, TimeUnit.SECONDS)).isEqualTo("a");
                assertThat(scalar(a, "SELECT 'a still works'")).isEqualTo("a still works");
                assertThat(scalar(b, "SELECT 'b still works'")).isEqualTo("b still works");
            }
        }
    }

    /** Waits until the backend runs the request of connection {@code c}. */
    private static void awaitRunning(PgliteServer s, Connection c) throws Exception {
        int pid = c.unwrap(org.postgresql.PGConnection.class).getBackendPID();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (s.executingPid() != pid) {
            assertThat(System.nanoTime()).as("the request should be running").isLessThan(deadline);
            Thread.sleep(2);
        }
    }

    private static String query(Statement st, String sql) {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void statementTimeoutCancelsWithSqlState57014AndTheSessionGoesOn() throws Exception {
        try (PgliteCluster cluster = PgliteCluster.builder().build()) {
            PgliteServer s = cluster.server();
            try (Connection a = connect(s, "postgres", null); Connection b = connect(s, "postgres", null);
                    Statement st = a.createStatement()) {
                st.execute("SET statement_timeout = '100ms'");
                assertThatThrownBy(() -> st.execute("SELECT pg_sleep(2)"))
                        .isInstanceOf(SQLException.class)
                        .hasMessageContaining("canceling statement due to statement timeout")
                        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("57014"));
                assertThat(scalar(a, "SELECT 'after'")).isEqualTo("after");
                // Pure computation, without the host calls a sleep makes: still a statement timeout.
                assertThatThrownBy(() -> st.execute("SELECT count(*) FROM generate_series(1, 1000000000)"))
                        .hasMessageContaining("canceling statement due to statement timeout")
                        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("57014"));
                // The setting is a's own.
                assertThat(scalar(b, "SHOW statement_timeout")).isEqualTo("0");
                assertThat(scalar(b, "SELECT pg_sleep(0.3)::text")).isEmpty();
            }
        }
    }

    @Test
    void transactionTimeoutIsRefusedBecauseItWouldEndTheSharedSession() throws Exception {
        try (PgliteCluster cluster = PgliteCluster.builder().build()) {
            PgliteServer s = cluster.server();
            try (Connection a = connect(s, "postgres", null); Statement st = a.createStatement()) {
                assertThatThrownBy(() -> st.execute("SET transaction_timeout = '50ms'"))
                        .hasMessageContaining("transaction_timeout is not supported")
                        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("0A000"));
                // idle_in_transaction_session_timeout is accepted but kept at zero in the shared session.
                st.execute("SET idle_in_transaction_session_timeout = '50ms'");
                a.setAutoCommit(false);
                st.execute("SELECT 1");
                Thread.sleep(300);
                assertThat(scalar(a, "SELECT 'still here'")).isEqualTo("still here");
                a.commit();
            }
        }
    }

    @Test
    void tooManyClientsGetTheStandardError() throws Exception {
        try (PgliteCluster cluster = PgliteCluster.builder().maxConnections(3).build()) {
            PgliteServer s = cluster.server();
            List<Connection> open = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    open.add(connect(s, "postgres", null));
                }
                assertThatThrownBy(() -> connect(s, "postgres", null))
                        .hasMessageContaining("sorry, too many clients already")
                        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("53300"));
                open.remove(0).close();
                awaitConnections(s, 2);
                try (Connection c = connect(s, "postgres", null)) {
                    assertThat(scalar(c, "SELECT 'room again'")).isEqualTo("room again");
                }
            } finally {
                for (Connection c : open) {
                    c.close();
                }
            }
        }
    }

    private static void awaitConnections(PgliteServer s, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (s.connectionCount() != n) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    @Test
    void aRequestThatWaitsTooLongForTheSessionFailsWith55P03() throws Exception {
        try (PgliteCluster cluster = PgliteCluster.builder().build()) {
            PgliteServer s = cluster.startServer(cluster.serverOptions()
                    .backendWaitTimeout(Duration.ofMillis(300)).build());
            try (Connection a = connect(s, "postgres", null); Connection b = connect(s, "postgres", null)) {
                a.setAutoCommit(false);
                scalar(a, "SELECT 1"); // a is inside a transaction and holds the session
                assertThatThrownBy(() -> scalar(b, "SELECT 2"))
                        .hasMessageContaining("could not obtain the shared PostgreSQL session")
                        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("55P03"));
                a.commit();
                assertThat(scalar(b, "SELECT 3")).isEqualTo("3");
            }
        }
    }

    @Test
    void aConnectionIdleInTransactionBeyondTheLimitIsDisconnectedAndRolledBack() throws Exception {
        try (PgliteCluster cluster = PgliteCluster.builder().build()) {
            PgliteServer s = cluster.startServer(cluster.serverOptions()
                    .idleInTransactionTimeout(Duration.ofMillis(300)).build());
            try (Connection a = connect(s, "postgres", null); Connection b = connect(s, "postgres", null)) {
                try (Statement st = b.createStatement()) {
                    st.execute("CREATE TABLE idle_tx (x int)");
                }
                a.setAutoCommit(false);
                try (Statement st = a.createStatement()) {
                    st.execute("INSERT INTO idle_tx VALUES (1)");
                }
                // b waits behind a's open transaction until the server ends a.
                assertThat(scalar(b, "SELECT count(*) FROM idle_tx")).isEqualTo("0");
                assertThatThrownBy(() -> scalar(a, "SELECT 1")).isInstanceOf(SQLException.class);
            }
        }
    }

    @Test
    void aClientThatStopsReadingIsDisconnectedAndOthersGoOn() throws Exception {
        try (PgliteCluster cluster = PgliteCluster.builder().build()) {
            PgliteServer s = cluster.startServer(cluster.serverOptions()
                    .clientWriteTimeout(Duration.ofSeconds(1)).build());
            try (Wire.Client slow = new Wire.Client(s.host(), s.port(), "postgres", "postgres");
                    Connection other = connect(s, "postgres", null)) {
                slow.socket.setReceiveBufferSize(4096);
                // About 100 MB of rows, far more than the socket buffers hold; the client never reads them.
                slow.send(Wire.query("SELECT repeat('x', 1000) FROM generate_series(1, 100000)"));
                awaitRunning(s, slow.greeting);
                // The other connection waits behind the stalled one only until the server gives up on it.
                assertThat(scalar(other, "SELECT 'served'")).isEqualTo("served");
                awaitConnections(s, 1);
            }
        }
    }

    /** Waits until the backend runs the request of the raw client whose greeting is given. */
    private static void awaitRunning(PgliteServer s, List<Wire.Msg> greeting) throws Exception {
        int pid = greeting.stream().filter(m -> m.type() == 'K').findFirst()
                .map(m -> Wire.readInt(m.body(), 0)).orElseThrow();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (s.executingPid() != pid) {
            assertThat(System.nanoTime()).as("the request should be running").isLessThan(deadline);
            Thread.sleep(2);
        }
    }
}
