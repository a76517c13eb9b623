package io.pglite.junit5;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/**
 * {@code @PgliteTest(version = "17")} with pgvector preinstalled: the extension's side module comes from
 * io.pglite:pglite-distribution-pg17 (a test dependency of this module).
 */
@PgliteTest(version = "17", extensions = "vector")
class Pg17VectorTest {

    @Test
    void theInjectedDataSourceIsPostgres17WithPgvector(DataSource ds) throws SQLException {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            assertThat(one(s, "SHOW server_version_num")).isEqualTo("170005");
            assertThat(one(s, "SELECT extversion FROM pg_extension WHERE extname = 'vector'")).isNotBlank();
            s.execute("CREATE TABLE item (id int PRIMARY KEY, embedding vector(3))");
            s.execute("INSERT INTO item VALUES (1, '[1,2,3]'), (2, '[3,2,1]'), (3, '[1,1,1]')");
            // Euclidean distance to [1,1,2]: item 3 at 1, item 1 at sqrt(2), item 2 at sqrt(6).
            try (ResultSet rs = s.executeQuery(
                    "SELECT id, embedding <-> '[1,1,2]' FROM item ORDER BY embedding <-> '[1,1,2]'")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(3);
                assertThat(rs.getDouble(2)).isEqualTo(1.0);
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(1);
                assertThat(rs.getDouble(2)).isCloseTo(Math.sqrt(2), Offset.offset(1e-6));
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(2);
                assertThat(rs.getDouble(2)).isCloseTo(Math.sqrt(6), Offset.offset(1e-6));
                assertThat(rs.next()).isFalse();
            }
        }
    }

    private static String one(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).as(sql).isTrue();
            return rs.getString(1);
        }
    }
}
