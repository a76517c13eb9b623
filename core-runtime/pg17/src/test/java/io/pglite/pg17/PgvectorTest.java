package io.pglite.pg17;

import static org.assertj.core.api.Assertions.assertThat;

import io.pglite.cluster.PgliteCluster;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * pgvector on PostgreSQL 17 through pgjdbc: the extension installed into the cluster's template, vectors bound
 * as parameters, HNSW and IVFFlat indexes used by the planner for the three distance operators, and answers
 * equal to a sequential scan's.
 */
class PgvectorTest {

    private static PgliteCluster cluster;

    @BeforeAll
    static void start() {
        cluster = PgliteCluster.builder().postgresVersion("17").extensions("vector").build();
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

    @Test
    void extensionIsInstalledAndDistancesAreRight() throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT extversion FROM pg_extension WHERE extname = 'vector'")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).matches("\\d+\\.\\d+\\.\\d+");
            }
            try (ResultSet rs = s.executeQuery("SELECT '[1,2,3]'::vector <-> '[4,6,3]', '[1,2,3]'::vector <#> '[4,5,6]',"
                    + " '[1,0]'::vector <=> '[0,1]', vector_dims('[1,2,3]'::vector)")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getDouble(1)).isEqualTo(5.0);
                assertThat(rs.getDouble(2)).isEqualTo(-32.0);
                assertThat(rs.getDouble(3)).isEqualTo(1.0);
                assertThat(rs.getInt(4)).isEqualTo(3);
            }
        }
    }

    @Test
    void hnswAndIvfflatIndexesAnswerNearestNeighbourQueries() throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE items (id int PRIMARY KEY, embedding vector(3))");
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO items VALUES (?, ?::vector)")) {
                for (int i = 1; i <= 300; i++) {
                    ps.setInt(1, i);
                    ps.setString(2, "[" + (i % 17) + "," + (i % 23) + "," + (i % 7 + 1) + "]");
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            String q = "[3,4,5]";
            List<Integer> l2 = nearest(c, "<->", q);
            List<Integer> ip = nearest(c, "<#>", q);
            List<Integer> cos = nearest(c, "<=>", q);

            s.execute("CREATE INDEX items_hnsw_l2 ON items USING hnsw (embedding vector_l2_ops)");
            s.execute("CREATE INDEX items_hnsw_ip ON items USING hnsw (embedding vector_ip_ops)");
            s.execute("CREATE INDEX items_ivf_cos ON items USING ivfflat (embedding vector_cosine_ops) WITH (lists = 1)");
            s.execute("SET enable_seqscan = off");
            assertThat(plan(c, "<->", q)).contains("items_hnsw_l2");
            assertThat(plan(c, "<#>", q)).contains("items_hnsw_ip");
            assertThat(plan(c, "<=>", q)).contains("items_ivf_cos");
            // With these sizes the approximate indexes find the exact neighbours (ef_search 40, one list).
            assertThat(nearest(c, "<->", q)).isEqualTo(l2);
            assertThat(nearest(c, "<#>", q)).isEqualTo(ip);
            assertThat(nearest(c, "<=>", q)).isEqualTo(cos);
            // The nearest neighbour by L2 is the row equal to the query vector, if any: i=3 gives [3,3,4];
            // checked against the definition rather than the scan.
            try (ResultSet rs = s.executeQuery("SELECT embedding::text FROM items ORDER BY embedding <-> '" + q
                    + "' LIMIT 1")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo(nearestByHand(q));
            }
            s.execute("RESET enable_seqscan");
        }
    }

    @Test
    void anUnknownVersionIsAClearError() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PgliteCluster.builder().postgresVersion("16"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PostgreSQL 16 is not available")
                .hasMessageContaining("17 (17.5)")
                .hasMessageContaining("18 (18.6)");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PgliteCluster.builder().postgresVersion("17.2"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is 17.5");
    }

    private static List<Integer> nearest(Connection c, String op, String q) throws SQLException {
        List<Integer> ids = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT id FROM items ORDER BY embedding " + op + " ?::vector, id LIMIT 5")) {
            ps.setString(1, q);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getInt(1));
                }
            }
        }
        assertThat(ids).hasSize(5);
        return ids;
    }

    private static String plan(Connection c, String op, String q) throws SQLException {
        StringBuilder sb = new StringBuilder();
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("EXPLAIN SELECT id FROM items ORDER BY embedding " + op + " '" + q
                        + "' LIMIT 5")) {
            while (rs.next()) {
                sb.append(rs.getString(1)).append('\n');
            }
        }
        return sb.toString();
    }

    /** The stored vector closest to {@code q} by Euclidean distance, computed in Java over the same rows. */
    private static String nearestByHand(String q) {
        String[] p = q.substring(1, q.length() - 1).split(",");
        double[] v = {Double.parseDouble(p[0]), Double.parseDouble(p[1]), Double.parseDouble(p[2])};
        double best = Double.MAX_VALUE;
        String bestText = null;
        for (int i = 1; i <= 300; i++) {
            double[] r = {i % 17, i % 23, i % 7 + 1};
            double d = 0;
            for (int k = 0; k < 3; k++) {
                d += (r[k] - v[k]) * (r[k] - v[k]);
            }
            if (d < best) {
                best = d;
                bestText = "[" + (int) r[0] + "," + (int) r[1] + "," + (int) r[2] + "]";
            }
        }
        return bestText;
    }
}
