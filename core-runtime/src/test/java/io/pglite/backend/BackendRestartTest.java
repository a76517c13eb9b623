package io.pglite.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pglite.cluster.PgliteCluster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A backend that dies (FATAL) is restarted on the same data, which survives through WAL recovery; also when
 * the backend was restored from a started-backend snapshot (its restart then boots PostgreSQL).
 */
class BackendRestartTest {

    @ParameterizedTest(name = "restored from a snapshot: {0}")
    @ValueSource(booleans = {false, true})
    void aFatalErrorRestartsTheBackendAndCommittedDataSurvives(boolean restored) throws SQLException, IOException {
        try (PgliteCluster pg = PgliteCluster.builder().snapshot(restored).build()) {
            assertThat(pg.restoredFromSnapshot()).isEqualTo(restored);
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), "postgres", "");
                    Statement s = c.createStatement()) {
                s.execute("CREATE TABLE survivor (id int)");
                s.execute("INSERT INTO survivor SELECT generate_series(1, 100)");
            }
            PostgresBackend backend = pg.backend();
            // An unknown message type makes PostgreSQL end the session with FATAL (the server would refuse it;
            // here it goes straight to the backend).
            byte[] bogus = {'!', 0, 0, 0, 4};
            assertThatThrownBy(() -> backend.exchange(bogus, 0, bogus.length, new ByteArrayOutputStream()))
                    .isInstanceOf(BackendException.class)
                    .hasMessageContaining("FATAL");
            assertThat(backend.failed()).isTrue();

            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] query = query("SELECT count(*) FROM survivor");
            backend.exchange(query, 0, query.length, out);
            assertThat(backend.restarts()).isEqualTo(1);
            assertThat(backend.failed()).isFalse();
            assertThat(new String(out.toByteArray(), StandardCharsets.ISO_8859_1)).contains("100");

            try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), "postgres", "");
                    Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT sum(id) FROM survivor")) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(5050);
            }
        }
    }

    private static byte[] query(String sql) {
        byte[] s = sql.getBytes(StandardCharsets.UTF_8);
        int len = 4 + s.length + 1;
        byte[] m = new byte[1 + len];
        m[0] = 'Q';
        m[1] = (byte) (len >>> 24);
        m[2] = (byte) (len >>> 16);
        m[3] = (byte) (len >>> 8);
        m[4] = (byte) len;
        System.arraycopy(s, 0, m, 5, s.length);
        return m;
    }
}
