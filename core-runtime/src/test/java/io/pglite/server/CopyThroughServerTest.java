package io.pglite.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pglite.cluster.PgliteCluster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;

/** COPY FROM STDIN and COPY TO STDOUT through the server with pgjdbc's CopyManager. */
class CopyThroughServerTest {
    private static PgliteCluster cluster;

    @BeforeAll
    static void start() {
        cluster = PgliteCluster.builder().build();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static Connection connect() throws SQLException {
        return DriverManager.getConnection(cluster.jdbcUrl(), "postgres", "");
    }

    private static String scalar(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void copyInAndOutWithManyRows() throws Exception {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE copied (id int PRIMARY KEY, name text, note text)");
            StringBuilder csv = new StringBuilder();
            for (int i = 1; i <= 50_000; i++) {
                csv.append(i).append(",name ").append(i).append(",\"quoted, ").append(i % 7).append("\"\n");
            }
            byte[] data = csv.toString().getBytes(StandardCharsets.UTF_8);
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            long in = copy.copyIn("COPY copied FROM STDIN (FORMAT csv)", new ByteArrayInputStream(data), 8192);
            assertThat(in).isEqualTo(50_000);
            assertThat(scalar(c, "SELECT sum(id) FROM copied")).isEqualTo(String.valueOf(50_000L * 50_001 / 2));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            long outRows = copy.copyOut("COPY (SELECT * FROM copied ORDER BY id) TO STDOUT (FORMAT csv)", out);
            assertThat(outRows).isEqualTo(50_000);
            assertThat(out.toByteArray()).isEqualTo(data);
            s.execute("DROP TABLE copied");
        }
    }

    @Test
    void aBadRowFailsTheCopyAndTheConnectionGoesOn() throws Exception {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE strict_copy (id int)");
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            assertThatThrownBy(() -> copy.copyIn("COPY strict_copy FROM STDIN",
                    new ByteArrayInputStream("1\nnot a number\n3\n".getBytes(StandardCharsets.UTF_8))))
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("invalid input syntax for type integer");
            assertThat(scalar(c, "SELECT count(*) FROM strict_copy")).isEqualTo("0");
            // The client may also abort a COPY itself.
            CopyIn ci = copy.copyIn("COPY strict_copy FROM STDIN");
            ci.writeToCopy("7\n".getBytes(StandardCharsets.UTF_8), 0, 2);
            ci.cancelCopy();
            assertThat(scalar(c, "SELECT count(*) FROM strict_copy")).isEqualTo("0");
            s.execute("DROP TABLE strict_copy");
        }
    }

    @Test
    void anotherConnectionWaitsWhileACopyIsOpen() throws Exception {
        try (Connection a = connect(); Connection b = connect(); Statement s = a.createStatement()) {
            s.execute("CREATE TABLE slow_copy (x int)");
            CopyIn ci = a.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY slow_copy FROM STDIN");
            ci.writeToCopy("1\n".getBytes(StandardCharsets.UTF_8), 0, 2);
            ci.flushCopy();
            CompletableFuture<String> other = CompletableFuture.supplyAsync(() -> {
                try {
                    return scalar(b, "SELECT count(*) FROM slow_copy");
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (cluster.server().waitingConnections() < 1) {
                assertThat(System.nanoTime()).isLessThan(deadline);
                Thread.sleep(5);
            }
            ci.writeToCopy("2\n".getBytes(StandardCharsets.UTF_8), 0, 2);
            assertThat(ci.endCopy()).isEqualTo(2);
            assertThat(other.get(30, TimeUnit.SECONDS)).isEqualTo("2");
            s.execute("DROP TABLE slow_copy");
        }
    }
}
