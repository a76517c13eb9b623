package io.pglite.testcontainers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Field;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.JdbcDatabaseContainer;
import org.testcontainers.ext.ScriptUtils;
import org.testcontainers.utility.DockerImageName;

/**
 * PgliteContainer's contract beyond the user-style suite: image names, settings, environment, ports, reuse, init
 * script errors, the raw type, no Docker client, start time. Runs on Testcontainers 2.0.x and 1.21.x.
 */
class PgliteContainerTest {
    private static final Logger LOG = LoggerFactory.getLogger(PgliteContainerTest.class);

    @Test
    void acceptsThePostgres18ImageNames() {
        for (String name : List.of("postgres:18", "postgres:18.6", "postgres:18.1", "postgres:latest", "postgres",
                "postgres:18-alpine", "postgres:18.6-bookworm")) {
            assertThat(new PgliteContainer<>(name).getDockerImageName()).as(name).startsWith("postgres");
        }
        DockerImageName mirrored = DockerImageName.parse("registry.example/mirror/postgres:18")
                .asCompatibleSubstituteFor("postgres");
        assertThat(new PgliteContainer<>(mirrored).getDockerImageName())
                .isEqualTo("registry.example/mirror/postgres:18");
        assertThat(new PgliteContainer<>().getDockerImageName()).isEqualTo("postgres:18");
    }

    @Test
    void refusesOtherVersionsAndImagesListingTheSupportedNames() {
        // PostgreSQL 17 without io.pglite:pglite-distribution-pg17: Pg17ContainerTest (a class loader without it).
        assertThatThrownBy(() -> new PgliteContainer<>(DockerImageName.parse("postgres:16.4")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PostgreSQL 16 is not available")
                .hasMessageContaining("Supported image names: postgres, postgres:latest, postgres:18");
        assertThatThrownBy(() -> new PgliteContainer<>("pgvector/pgvector:pg18"))
                .hasMessageContaining("pgvector is not available (pglite-java has pgvector with PostgreSQL 17 only");
        assertThatThrownBy(() -> new PgliteContainer<>("mysql:8"))
                .hasMessageContaining("only the official postgres image");
        assertThatThrownBy(() -> new PgliteContainer<>("postgres:alpine"))
                .hasMessageContaining("does not name a PostgreSQL version");
    }

    @Test
    void commandSettingsReachTheServer() throws SQLException {
        try (PgliteContainer<?> pg = new PgliteContainer<>("postgres:18")
                .withCommand("postgres -c max_connections=42 -c fsync=off --work-mem=12MB")) {
            pg.start();
            assertThat(show(pg, "max_connections")).isEqualTo("42");
            assertThat(show(pg, "fsync")).isEqualTo("off");
            assertThat(show(pg, "work_mem")).isEqualTo("12MB");
        }
        assertThatThrownBy(() -> ServerCommand.settings(new String[] {"postgres", "-D", "/data"}))
                .hasMessageContaining("not '-D'");
        assertThat(ServerCommand.settings(new String[] {"postgres", "-cwork_mem=1MB", "-N", "7", "-F"}))
                .containsExactly("work_mem=1MB", "max_connections=7", "fsync=off");
    }

    @Test
    void environmentVariablesConfigureTheDatabaseAsTheImageDoes() throws SQLException {
        try (PgliteContainer<?> pg = new PgliteContainer<>("postgres:18").withEnv("POSTGRES_DB", "inventory")
                .withEnv("POSTGRES_USER", "app").withEnv("POSTGRES_PASSWORD", "pw").withEnv("TZ", "UTC")) {
            pg.start();
            assertThat(pg.getDatabaseName()).isEqualTo("inventory");
            assertThat(pg.getUsername()).isEqualTo("app");
            assertThat(pg.getPassword()).isEqualTo("pw");
            assertThat(pg.getEnvMap()).containsEntry("POSTGRES_DB", "inventory").containsEntry("TZ", "UTC");
            try (Connection c = pg.createConnection("");
                 ResultSet rs = c.createStatement().executeQuery("SELECT current_database(), current_user")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("inventory");
                assertThat(rs.getString(2)).isEqualTo("app");
            }
            // The password is required (SCRAM-SHA-256), as in the image.
            assertThatThrownBy(() -> DriverManager.getConnection(pg.getJdbcUrl(), "app", "wrong"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("password");
        }
    }

    @Test
    void portsHostAndIdsBehaveAsUpstream() throws SQLException {
        PgliteContainer<?> pg = new PgliteContainer<>("postgres:18").withUrlParam("ApplicationName", "ports");
        assertThat(pg.isRunning()).isFalse();
        assertThat(pg.getContainerId()).isNull();
        assertThat(pg.getExposedPorts()).containsExactly(5432);
        assertThatThrownBy(() -> pg.getMappedPort(5432)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("only be obtained after the container is started");
        pg.start();
        try {
            assertThat(pg.isRunning()).isTrue();
            assertThat(pg.getHost()).isEqualTo("127.0.0.1");
            assertThat(pg.getMappedPort(5432)).isPositive().isNotEqualTo(5432);
            assertThatThrownBy(() -> pg.getMappedPort(6379)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("(6379) is not mapped");
            assertThat(pg.getContainerId()).startsWith("pglite-");
            assertThat(pg.getJdbcUrl()).contains("ApplicationName=ports").contains("loggerLevel=OFF");
            try (Connection c = DriverManager.getConnection(pg.getJdbcUrl(), "test", "test");
                 ResultSet rs = c.createStatement().executeQuery("SELECT current_setting('application_name')")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("ports");
            }
            assertThatThrownBy(() -> pg.execInContainer("ls")).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("runs PostgreSQL inside the JVM");
            assertThat(pg.getLogs()).isEmpty();
        } finally {
            pg.stop();
        }
        assertThat(pg.isRunning()).isFalse();
        assertThat(pg.getContainerId()).isNull();
        pg.stop(); // twice is harmless, as upstream
    }

    @Test
    void reuseSharesOneRunningClusterPerConfigurationInTheJvm() throws SQLException {
        PgliteContainer<?> first = new PgliteContainer<>("postgres:18").withDatabaseName("reused").withReuse(true);
        first.start();
        int port = first.getMappedPort(5432);
        try (Connection c = first.createConnection("")) {
            c.createStatement().execute("CREATE TABLE kept (v int); INSERT INTO kept VALUES (1)");
        }
        first.stop();
        assertThat(first.isRunning()).isFalse();
        PgliteContainer<?> second = new PgliteContainer<>("postgres:18").withDatabaseName("reused").withReuse(true);
        second.start();
        assertThat(second.getMappedPort(5432)).isEqualTo(port);
        assertThat(Sql.count(second, "SELECT count(*) FROM kept")).isEqualTo(1);
        PgliteContainer<?> other = new PgliteContainer<>("postgres:18").withDatabaseName("reused");
        other.start();
        assertThat(other.getMappedPort(5432)).isNotEqualTo(port);
        other.stop();
        second.stop();
    }

    @Test
    void aFailingInitScriptStatementFailsTheStartWithThePath() {
        PgliteContainer<?> pg = new PgliteContainer<>("postgres:18").withInitScript("db/broken.sql");
        assertThatThrownBy(pg::start).hasStackTraceContaining("db/broken.sql")
                .hasStackTraceContaining("no_such_table");
        assertThat(pg.isRunning()).isFalse();
        PgliteContainer<?> missing = new PgliteContainer<>("postgres:18").withInitScript("db/missing.sql");
        assertThatThrownBy(missing::start).isInstanceOf(ScriptUtils.ScriptLoadException.class)
                .hasMessageContaining("db/missing.sql");
    }

    @Test
    @SuppressWarnings({"rawtypes", "unchecked"})
    void theRawTypeChainsAsTestcontainers2sNonGenericPostgreSQLContainer() throws SQLException {
        // Testcontainers 2.0 style: no type argument. Every fluent call still returns PgliteContainer.
        PgliteContainer pg = new PgliteContainer("postgres:18").withDatabaseName("raw").withUsername("u")
                .withPassword("p").withInitScript("db/schema.sql").withUrlParam("ApplicationName", "raw")
                .withCommand("postgres -c work_mem=8MB").withReuse(false).withEnv("TZ", "UTC");
        JdbcDatabaseContainer<?> asJdbc = pg;
        try (pg) {
            pg.start();
            assertThat(Sql.count(asJdbc, "SELECT count(*) FROM customer")).isEqualTo(2);
        }
    }

    @Test
    void neverAsksTestcontainersForADockerClient() throws Exception {
        try (PgliteContainer<?> pg = new PgliteContainer<>("postgres:18").withInitScript("db/schema.sql")) {
            pg.start();
            Sql.count(pg, "SELECT 1");
            pg.getHost();
            pg.getContainerName();
            pg.isHealthy();
        }
        try (Connection c = DriverManager.getConnection("jdbc:tc:pglite:18:///nodocker")) {
            assertThat(c.isValid(1)).isTrue();
        }
        // DockerClientFactory.instance() is where every Docker access starts (client, host address, reaper).
        Field instance = DockerClientFactory.class.getDeclaredField("instance");
        instance.setAccessible(true);
        assertThat(instance.get(null)).as("DockerClientFactory.instance").isNull();
    }

    @Test
    void containersStartedOneAfterTheOtherEachStartFromTheInitialisedTemplate() throws SQLException {
        List<Long> millis = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            long t0 = System.nanoTime();
            try (PgliteContainer<?> pg = new PgliteContainer<>("postgres:18").withInitScript("db/schema.sql")) {
                pg.start();
                try (Connection c = pg.createConnection("");
                     ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM customer")) {
                    rs.next();
                    assertThat(rs.getInt(1)).isEqualTo(2);
                }
            }
            millis.add((System.nanoTime() - t0) / 1_000_000);
        }
        List<Long> warm = new ArrayList<>(millis.subList(2, millis.size()));
        Collections.sort(warm);
        long median = warm.get(warm.size() / 2);
        // Timings are logged, not asserted (docs/PERFORMANCE.md has the measurements).
        LOG.info("new container + start + first query + stop, ms: {} (median after 2 warm-ups: {})", millis, median);
    }

    private static String show(JdbcDatabaseContainer<?> pg, String setting) throws SQLException {
        try (Connection c = pg.createConnection(""); ResultSet rs = c.createStatement().executeQuery("SHOW " + setting)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
