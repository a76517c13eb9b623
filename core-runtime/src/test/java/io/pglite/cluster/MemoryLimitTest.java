package io.pglite.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** Exhausting the wasm memory is an SQL error, not a crash or a hang. */
class MemoryLimitTest {

    @Test
    void allocationBeyondTheLimitIsAnSqlErrorAndTheSessionGoesOn() throws SQLException {
        try (PgliteCluster pg = PgliteCluster.builder().memoryLimit(320L << 20).build();
                Connection c = DriverManager.getConnection(pg.jdbcUrl(), "postgres", "");
                Statement s = c.createStatement()) {
            assertThatThrownBy(() -> s.executeQuery(
                    "SELECT length(repeat('x', 150000000) || repeat('y', 150000000))"))
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("out of memory")
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("53200"));
            try (ResultSet rs = s.executeQuery("SELECT length(repeat('z', 1000000))")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(1_000_000);
            }
            assertThat(pg.backend().failed()).isFalse();
        }
    }

    @Test
    void aLimitBelowWhatPostgresNeedsToStartIsAClearError() {
        assertThatThrownBy(() -> PgliteCluster.builder().memoryLimit(64L << 20).build())
                .hasMessageContaining("memory limit");
    }
}
