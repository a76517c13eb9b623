package io.pglite.junit5.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.pglite.cluster.PgliteCluster;
import io.pglite.junit5.JdbcUrl;
import io.pglite.junit5.PgliteResource;
import io.pglite.junit5.PgliteTest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;
import javax.sql.DataSource;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Run by PgliteExtensionTest: every test (and invocation) has a cluster of its own. */
@PgliteTest(initScripts = "schema.sql")
public class IsolationExample {
    /**
     * The clusters seen, one per test: all different (by identity: a closed cluster's port may be handed to a
     * later one, so URLs can repeat).
     */
    public static final Set<PgliteCluster> CLUSTERS =
            java.util.Collections.synchronizedSet(java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>()));

    @PgliteResource
    DataSource dataSource;

    @JdbcUrl
    String url;

    @PgliteResource
    PgliteCluster cluster;

    static void insertAndSeeOnlyMine(Connection c, String body) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("INSERT INTO note (body) VALUES ('" + body + "')");
            try (ResultSet rs = s.executeQuery("SELECT note_count(), string_agg(body, ',') FROM note")) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(1);
                assertThat(rs.getString(2)).isEqualTo(body);
            }
        }
    }

    @Test
    void byDataSourceField() throws SQLException {
        CLUSTERS.add(cluster);
        try (Connection c = dataSource.getConnection()) {
            insertAndSeeOnlyMine(c, "field");
        }
    }

    @Test
    void byConnectionParameter(Connection c, @JdbcUrl String parameterUrl) throws SQLException {
        assertThat(parameterUrl).isEqualTo(url);
        CLUSTERS.add(cluster);
        insertAndSeeOnlyMine(c, "parameter");
    }

    @Test
    void byClusterHandle(PgliteCluster cluster, DataSource ds) throws SQLException {
        assertThat(cluster.jdbcUrl()).isEqualTo(url);
        CLUSTERS.add(cluster);
        try (Connection c = ds.getConnection()) {
            insertAndSeeOnlyMine(c, "cluster");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"p1", "p2", "p3"})
    void parameterized(String body, Connection c) throws SQLException {
        CLUSTERS.add(cluster);
        insertAndSeeOnlyMine(c, body);
    }

    @RepeatedTest(2)
    void repeated(Connection c) throws SQLException {
        CLUSTERS.add(cluster);
        insertAndSeeOnlyMine(c, "repeated");
    }

    @Nested
    class Inner {
        @Test
        void nestedTestsGetTheirOwnClusterToo(Connection c, @JdbcUrl String innerUrl) throws SQLException {
            assertThat(innerUrl).isEqualTo(url); // the outer instance's field is the same test's cluster
            CLUSTERS.add(cluster);
            insertAndSeeOnlyMine(c, "nested");
        }
    }
}
