package io.pglite.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.pglite.server.PgliteServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/** Clusters prepared in the background come with their server started, which callers may still replace. */
class PreparedClustersTest {

    private static PgliteCluster prepared() {
        return PgliteCluster.builder().password("pw").prepareNext(true).build();
    }

    private static String select(PgliteCluster pg, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), "postgres", "pw");
                ResultSet rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void aPreparedClusterServesWithTheBuildersPassword() throws SQLException {
        try (PgliteCluster first = prepared(); PgliteCluster second = prepared()) {
            assertThat(select(first, "SELECT 'one'")).isEqualTo("one");
            assertThat(select(second, "SELECT 'two'")).isEqualTo("two");
            assertThat(first.server().port()).isNotEqualTo(second.server().port());
        }
    }

    @Test
    void anUnusedPreparedServerGivesWayToExplicitOptionsAndToExecute() throws SQLException {
        try (PgliteCluster a = prepared(); PgliteCluster b = prepared()) {
            PgliteServer custom = a.startServer(a.serverOptions().maxConnections(3).build());
            assertThat(custom.options().maxConnections()).isEqualTo(3);
            assertThat(select(a, "SELECT current_setting('server_version')")).startsWith("18");

            b.execute("CREATE TABLE made_directly (id int); INSERT INTO made_directly VALUES (42)");
            assertThat(select(b, "SELECT id FROM made_directly")).isEqualTo("42");
        }
    }
}
