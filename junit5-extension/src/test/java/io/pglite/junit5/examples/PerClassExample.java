package io.pglite.junit5.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.pglite.junit5.JdbcUrl;
import io.pglite.junit5.PgliteResource;
import io.pglite.junit5.PgliteTest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** Run by PgliteExtensionTest: one cluster for the class, its nested class included. */
@PgliteTest(lifecycle = PgliteTest.Lifecycle.PER_CLASS, database = "shop", user = "clerk", password = "s3cret",
        initScripts = "schema.sql")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
public class PerClassExample {
    @PgliteResource
    static DataSource shared;

    @JdbcUrl
    static String sharedUrl;

    @BeforeAll
    static void seed(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("INSERT INTO note (body) VALUES ('seeded')");
        }
    }

    @Test
    @Order(1)
    void writes(DataSource ds, @JdbcUrl String url) throws SQLException {
        assertThat(ds).isSameAs(shared);
        assertThat(url).isEqualTo(sharedUrl).endsWith("/shop");
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO note (body) VALUES ('first test')");
        }
    }

    @Test
    @Order(2)
    void seesWhatTheFirstTestWrote(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT string_agg(body || '/' || written_by, ',' ORDER BY id),"
                        + " current_database() FROM note")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("seeded/clerk,first test/clerk");
            assertThat(rs.getString(2)).isEqualTo("shop");
        }
    }

    @Nested
    class Inner {
        @Test
        void sharesTheEnclosingClassCluster(@JdbcUrl String url) {
            assertThat(url).isEqualTo(sharedUrl);
        }
    }
}
