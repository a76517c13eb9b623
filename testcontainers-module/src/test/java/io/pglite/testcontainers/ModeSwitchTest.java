package io.pglite.testcontainers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.JdbcDatabaseContainer;

/**
 * The switch to a real PostgreSQL ({@link Mode}): the same container code, configured by system properties only.
 * External mode runs against a native PostgreSQL server started by the test; Docker mode (there is no Docker
 * here) is checked up to the real, configured but not started, Testcontainers PostgreSQLContainer. Runs on
 * Testcontainers 2.0.x and 1.21.x.
 */
class ModeSwitchTest {

    @AfterEach
    void clearProperties() {
        for (String p : new String[] {Mode.PROPERTY, Mode.EXTERNAL_URL_PROPERTY, Mode.EXTERNAL_USERNAME_PROPERTY,
                Mode.EXTERNAL_PASSWORD_PROPERTY, Mode.EXTERNAL_CREATE_DATABASE_PROPERTY}) {
            System.clearProperty(p);
        }
    }

    @Test
    void pgliteIsTheDefaultAndUnknownModesAreRefused() {
        assertThat(new PgliteContainer<>("postgres:18").getMode()).isEqualTo(Mode.PGLITE);
        System.setProperty(Mode.PROPERTY, "kubernetes");
        assertThatThrownBy(() -> new PgliteContainer<>("postgres:18"))
                .hasMessageContaining("expected pglite, docker or external");
    }

    @Test
    void dockerModeConfiguresTestcontainersOwnPostgreSQLContainer() {
        System.setProperty(Mode.PROPERTY, "docker");
        // Any postgres image is fine in Docker mode, even one PGlite cannot run.
        PgliteContainer<?> c = new PgliteContainer<>("pgvector/pgvector:pg17")
                .withDatabaseName("shop").withUsername("shop").withPassword("pw")
                .withInitScripts("db/schema.sql", "db/orders.sql").withUrlParam("ApplicationName", "docker")
                .withCommand("postgres -c max_connections=42").withEnv("TZ", "UTC").withReuse(true);
        assertThat(c.getMode()).isEqualTo(Mode.DOCKER);
        JdbcDatabaseContainer<?> real = DockerDelegate.create(c);
        // Testcontainers 2.0.x's class, or 1.21.x's in the build's second test run.
        String expected = "1".equals(System.getProperty("pglite.test.expectedTestcontainersLine"))
                ? "org.testcontainers.containers.PostgreSQLContainer" : "org.testcontainers.postgresql.PostgreSQLContainer";
        assertThat(real.getClass().getName()).isEqualTo(expected);
        assertThat(real.getDatabaseName()).isEqualTo("shop");
        assertThat(real.getUsername()).isEqualTo("shop");
        assertThat(real.getPassword()).isEqualTo("pw");
        assertThat(real.getCommandParts()).containsExactly("postgres", "-c", "max_connections=42");
        assertThat(real.getEnvMap()).containsEntry("TZ", "UTC");
        assertThat(real.isShouldBeReused()).isTrue();
        assertThat(real.getExposedPorts()).containsExactly(5432);
        assertThat(c.isRunning()).isFalse();
    }

    @Test
    void externalModeRunsTheSameContainerCodeOnANativeServer() throws Exception {
        try (NativePostgres server = NativePostgres.start()) {
            System.setProperty(Mode.PROPERTY, "external");
            System.setProperty(Mode.EXTERNAL_URL_PROPERTY, server.jdbcUrl());
            System.setProperty(Mode.EXTERNAL_USERNAME_PROPERTY, "postgres");
            System.setProperty(Mode.EXTERNAL_PASSWORD_PROPERTY, "");

            String database;
            try (PgliteContainer<?> pg = new PgliteContainer<>("postgres:18").withInitScript("db/schema.sql")
                    .withCommand("postgres -c work_mem=12MB")) {
                pg.start();
                assertThat(pg.getMode()).isEqualTo(Mode.EXTERNAL);
                database = pg.getDatabaseName();
                assertThat(database).startsWith("test_");
                assertThat(pg.getJdbcUrl()).startsWith(server.jdbcUrl().replace("/postgres", "/" + database));
                try (Connection c = pg.createConnection("");
                     ResultSet rs = c.createStatement().executeQuery("SELECT current_setting('server_version_num'),"
                             + " current_database(), (SELECT count(*) FROM customer), current_setting('work_mem')")) {
                    rs.next();
                    assertThat(rs.getInt(1) / 10000).as("native server's major version").isLessThan(18);
                    assertThat(rs.getString(2)).isEqualTo(database);
                    assertThat(rs.getInt(3)).isEqualTo(2);
                    assertThat(rs.getString(4)).isEqualTo("12MB");
                }
                // A second container gets its own database: the init script runs again without conflicts.
                try (PgliteContainer<?> other = new PgliteContainer<>("postgres:18").withInitScript("db/schema.sql")) {
                    other.start();
                    assertThat(other.getDatabaseName()).isNotEqualTo(database);
                    assertThat(Sql.count(other, "SELECT count(*) FROM customer")).isEqualTo(2);
                }
            }
            assertThat(databases(server)).doesNotContain(database);
        }
    }

    @Test
    void externalModeWithoutAUrlFailsClearly() {
        System.setProperty(Mode.PROPERTY, "external");
        PgliteContainer<?> pg = new PgliteContainer<>("postgres:18");
        assertThatThrownBy(pg::start).hasMessageContaining(Mode.EXTERNAL_URL_PROPERTY);
        assertThat(Mode.setting("pglite.testcontainers.noSuchSetting")).isNull();
    }

    private static java.util.List<String> databases(NativePostgres server) throws SQLException {
        java.util.List<String> names = new java.util.ArrayList<>();
        try (Connection c = DriverManager.getConnection(server.jdbcUrl(), "postgres", "");
             ResultSet rs = c.createStatement().executeQuery("SELECT datname FROM pg_database")) {
            while (rs.next()) {
                names.add(rs.getString(1));
            }
        }
        return names;
    }
}
