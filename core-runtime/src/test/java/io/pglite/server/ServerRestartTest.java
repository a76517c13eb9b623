package io.pglite.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pglite.backend.BackendException;
import io.pglite.cluster.PgliteCluster;
import java.io.ByteArrayOutputStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/**
 * When the shared PostgreSQL session dies (FATAL, host failure) the backend restarts on the same data; the
 * server starts a new session and its clients go on: server-side prepared statements are prepared again,
 * session settings applied again, new connections admitted.
 */
class ServerRestartTest {

    @Test
    void clientsGoOnAfterTheBackendRestarts() throws SQLException {
        try (PgliteCluster pg = PgliteCluster.builder().build();
                Connection a = DriverManager.getConnection(pg.jdbcUrl(), "postgres", "");
                Connection b = DriverManager.getConnection(pg.jdbcUrl(), "postgres", "")) {
            try (Statement s = a.createStatement()) {
                s.execute("CREATE TABLE kept (id int)");
                s.execute("INSERT INTO kept SELECT generate_series(1, 10)");
            }
            try (Statement s = b.createStatement()) {
                s.execute("SET application_name = 'client b'");
            }
            PreparedStatement ps = b.prepareStatement("SELECT count(*) + ? FROM kept");
            for (int i = 0; i < 6; i++) { // past pgjdbc's prepareThreshold: a named server-side statement
                ps.setInt(1, i);
                ps.executeQuery().close();
            }

            // Both clients are idle: kill the session under the server the way a FATAL error does.
            byte[] bogus = {'!', 0, 0, 0, 4};
            assertThatThrownBy(() -> pg.backend().exchange(bogus, 0, bogus.length, new ByteArrayOutputStream()))
                    .isInstanceOf(BackendException.class).hasMessageContaining("FATAL");

            ps.setInt(1, 100);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(110);
            }
            try (Statement s = b.createStatement(); ResultSet rs = s.executeQuery("SHOW application_name")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("client b");
            }
            try (Statement s = a.createStatement(); ResultSet rs = s.executeQuery("SELECT sum(id) FROM kept")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(55);
            }
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), "postgres", "");
                    ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM kept")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(10);
            }
            assertThat(pg.backend().restarts()).isEqualTo(1);
        }
    }
}
