package io.pglite.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Databases and setups made once into derived templates. */
class TemplateSetupTest {

    @TempDir
    Path dir;

    @Test
    void aClusterServesADatabaseInitdbDidNotCreate() throws SQLException {
        try (PgliteCluster pg = PgliteCluster.builder().database("app db").username("app").build();
                Connection c = DriverManager.getConnection(pg.jdbcUrl(), "app", "");
                ResultSet rs = c.createStatement().executeQuery(
                        "SELECT current_database(), current_user, (SELECT count(*) FROM pg_database)")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("app db");
            assertThat(rs.getString(2)).isEqualTo("app");
            assertThat(rs.getInt(3)).isEqualTo(4); // template0, template1, postgres and the new one
        }
    }

    @Test
    void aSetupRunsOnceAndEveryClusterStartsFromItsResult() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        // A unique id: this run builds the template, whatever the cache holds from earlier runs.
        TemplateSetup setup = TemplateSetup.of("counted-" + UUID.randomUUID(), c -> {
            runs.incrementAndGet();
            try (Connection conn = DriverManager.getConnection(c.jdbcUrl(), c.username(), "");
                    Statement s = conn.createStatement()) {
                s.execute("CREATE TABLE account (id int PRIMARY KEY, balance int)");
                s.execute("INSERT INTO account SELECT g, 100 FROM generate_series(1, 10) g");
            }
        });
        for (int i = 0; i < 3; i++) {
            if (i == 2) {
                Templates.forgetLoaded(); // the third cluster reads the template back from disk
            }
            try (PgliteCluster pg = PgliteCluster.builder().database("bank").setup(setup)
                    .initSql("UPDATE account SET balance = balance + 1 WHERE id = 1").build();
                    Connection c = DriverManager.getConnection(pg.jdbcUrl(), "postgres", "");
                    Statement s = c.createStatement()) {
                try (ResultSet rs = s.executeQuery("SELECT sum(balance) FROM account")) {
                    rs.next();
                    assertThat(rs.getInt(1)).as("cluster %d", i).isEqualTo(1001);
                }
                s.execute("DELETE FROM account"); // private to this cluster
            }
        }
        assertThat(runs).hasValue(1);
    }

    @Test
    void aChangedScriptBuildsANewTemplate() throws SQLException {
        String marker = UUID.randomUUID().toString();
        for (String value : new String[] {"one", "two"}) {
            try (PgliteCluster pg = PgliteCluster.builder()
                    .initSql("CREATE TABLE v AS SELECT '" + marker + "-" + value + "' AS x").build();
                    Connection c = DriverManager.getConnection(pg.jdbcUrl(), "postgres", "");
                    ResultSet rs = c.createStatement().executeQuery("SELECT x FROM v")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo(marker + "-" + value);
            }
        }
    }

    @Test
    void aFailingScriptFailsTheBuildWithPostgresqlsErrorAndStoresNothing() throws SQLException {
        String script = "CREATE TABLE ok (id int); SELECT * FROM missing_table_" + UUID.randomUUID().toString()
                .replace('-', '_');
        assertThatThrownBy(() -> PgliteCluster.builder().initSql(script).build())
                .isInstanceOf(ClusterException.class)
                .hasMessageContaining("template setup failed")
                .hasMessageContaining("does not exist")
                .hasMessageContaining("42P01");
        // Nothing half-done was kept: the same setup fails again rather than loading a template.
        assertThatThrownBy(() -> PgliteCluster.builder().initSql(script).build())
                .hasMessageContaining("42P01");
    }

    @Test
    void aDirectoryClusterGetsTheDatabaseAndSetups() throws SQLException {
        Path data = dir.resolve("data");
        for (int i = 0; i < 2; i++) {
            try (PgliteCluster pg = PgliteCluster.builder().dataDirectory(data).database("shop")
                    .initSql("CREATE TABLE item (name text)").build();
                    Connection c = DriverManager.getConnection(pg.jdbcUrl(), "postgres", "");
                    Statement s = c.createStatement()) {
                s.execute("INSERT INTO item VALUES ('run " + i + "')");
                try (ResultSet rs = s.executeQuery("SELECT count(*) FROM item")) {
                    rs.next();
                    assertThat(rs.getInt(1)).isEqualTo(i + 1); // the directory keeps its rows
                }
            }
        }
    }

    @Test
    void preinstalledExtensionsAnswerTheFirstQueryOfARestoredCluster() throws SQLException {
        for (int i = 0; i < 2; i++) {
            try (PgliteCluster pg = PgliteCluster.builder().extensions("pgcrypto", "hstore", "uuid-ossp").build();
                    Connection c = DriverManager.getConnection(pg.jdbcUrl(), "postgres", "");
                    ResultSet rs = c.createStatement().executeQuery("SELECT encode(digest('abc', 'sha256'), 'hex'),"
                            + " 'a=>1'::hstore -> 'a', uuid_generate_v4() IS NOT NULL")) {
                assertThat(pg.restoredFromSnapshot()).isTrue();
                rs.next();
                assertThat(rs.getString(1)).startsWith("ba7816bf8f01cfea");
                assertThat(rs.getString(2)).isEqualTo("1");
                assertThat(rs.getBoolean(3)).isTrue();
            }
        }
    }

    @Test
    void anExtensionThatIsNotBundledFailsTheBuildListingTheAvailableOnes() {
        assertThatThrownBy(() -> PgliteCluster.builder().extensions("postgis").build())
                .isInstanceOf(ClusterException.class)
                .hasMessageContaining("extension \"postgis\" is not bundled")
                .hasMessageContaining("available: ")
                .hasMessageContaining("pgcrypto")
                .hasMessageContaining("plpgsql");
    }

    @Test
    void executeWorksBeforeTheServerAndIsRefusedOnceItRuns() throws SQLException {
        try (PgliteCluster pg = PgliteCluster.builder().build()) {
            pg.execute("CREATE TABLE before_server (id int); INSERT INTO before_server VALUES (7)");
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), "postgres", "");
                    ResultSet rs = c.createStatement().executeQuery("SELECT id FROM before_server")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(7);
            }
            assertThatThrownBy(() -> pg.execute("SELECT 1")).isInstanceOf(ClusterException.class)
                    .hasMessageContaining("before the server starts");
        }
    }
}
