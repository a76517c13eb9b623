package io.pglite.testcontainers;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * A test class as a Testcontainers user writes it for {@code PostgreSQLContainer}; the only difference is the
 * class name (see the module README for the diff). It runs twice in the build: on Testcontainers 2.0.x and on
 * 1.21.x (surefire execution {@code testcontainers-1.x}), with no Docker daemon.
 */
@Testcontainers
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UserSuiteTest {

    /** Shared by every test of the class (started before the first, stopped after the last). */
    @Container
    static PgliteContainer<?> shared = new PgliteContainer<>("postgres:18")
            .withDatabaseName("shop")
            .withUsername("shop")
            .withPassword("s3cret")
            .withInitScripts("db/schema.sql", "db/orders.sql");

    /** A fresh database for each test. */
    @Container
    PgliteContainer<?> perTest = new PgliteContainer<>("postgres:18").withInitScript("db/schema.sql");

    private static final Set<String> sharedIds = new HashSet<>();
    private static final Set<String> perTestIds = new HashSet<>();

    @Test
    @Order(1)
    void theSharedContainerRunsTheInitScripts() throws SQLException {
        assertThat(shared.isRunning()).isTrue();
        try (Connection c = DriverManager.getConnection(shared.getJdbcUrl(), shared.getUsername(),
                shared.getPassword());
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT c.name, o.total FROM orders o JOIN customer c"
                     + " ON c.id = o.customer_id")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("alice");
            assertThat(rs.getBigDecimal(2)).isEqualByComparingTo("9.99");
            // Written here, read by the next test: the shared container lives for the whole class.
            s.execute("INSERT INTO customer (name) VALUES ('carol')");
        }
        sharedIds.add(shared.getContainerId());
        perTestIds.add(perTest.getContainerId());
    }

    @Test
    @Order(2)
    void theSharedContainerKeepsDataBetweenTestsAndEachTestGetsAFreshOne() throws SQLException {
        assertThat(Sql.count(shared, "SELECT count(*) FROM customer")).isEqualTo(3);
        // The per-test container started again from the init script: carol is not there, nor in the first's.
        try (Connection c = perTest.createConnection("")) {
            c.createStatement().execute("INSERT INTO customer (name) VALUES ('dave')");
        }
        assertThat(Sql.count(perTest, "SELECT count(*) FROM customer")).isEqualTo(3);
        sharedIds.add(shared.getContainerId());
        perTestIds.add(perTest.getContainerId());
    }

    @Test
    @Order(3)
    void containerIdsShowOneSharedAndOnePerTest() throws SQLException {
        sharedIds.add(shared.getContainerId());
        perTestIds.add(perTest.getContainerId());
        assertThat(sharedIds).hasSize(1);
        assertThat(perTestIds).hasSize(3);
        assertThat(Sql.count(perTest, "SELECT count(*) FROM customer")).isEqualTo(2);
    }

    @Test
    @Order(4)
    void connectionDetailsLookLikePostgreSQLContainers() throws SQLException {
        assertThat(perTest.getDatabaseName()).isEqualTo("test");
        assertThat(perTest.getUsername()).isEqualTo("test");
        assertThat(perTest.getPassword()).isEqualTo("test");
        assertThat(perTest.getDriverClassName()).isEqualTo("org.postgresql.Driver");
        assertThat(perTest.getTestQueryString()).isEqualTo("SELECT 1");
        assertThat(perTest.getJdbcUrl()).isEqualTo("jdbc:postgresql://" + perTest.getHost() + ":"
                + perTest.getMappedPort(5432) + "/test?loggerLevel=OFF");
        assertThat(perTest.getFirstMappedPort()).isEqualTo(perTest.getMappedPort(5432));
        try (Connection c = perTest.createConnection("?ApplicationName=compat");
             ResultSet rs = c.createStatement().executeQuery(
                     "SELECT current_database(), current_user, current_setting('application_name'),"
                     + " current_setting('server_version_num')::int / 10000")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("test");
            assertThat(rs.getString(2)).isEqualTo("test");
            assertThat(rs.getString(3)).isEqualTo("compat");
            assertThat(rs.getInt(4)).isEqualTo(18);
        }
    }

    @Test
    @Order(5)
    void jdbcTcUrlWithInitScriptInitFunctionAndDaemon() throws SQLException {
        String url = "jdbc:tc:pglite:18:///catalog?TC_INITSCRIPT=db/tc-url.sql"
                + "&TC_INITFUNCTION=io.pglite.testcontainers.InitFunctions::createAudit&TC_DAEMON=true";
        try (Connection c = DriverManager.getConnection(url);
             ResultSet rs = c.createStatement().executeQuery(
                     "SELECT current_database(), (SELECT count(*) FROM product), (SELECT count(*) FROM audit)")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("catalog");
            assertThat(rs.getInt(2)).isEqualTo(2);
            assertThat(rs.getInt(3)).isEqualTo(1);
        }
        // TC_DAEMON=true: the container outlives its last connection, and the same URL finds it again with the
        // data written through the first connection.
        try (Connection c = DriverManager.getConnection(url);
             ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM audit")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(1);
        }
    }

    @Test
    @Order(6)
    void theExpectedTestcontainersLineIsOnTheClasspath() {
        String expected = System.getProperty("pglite.test.expectedTestcontainersLine", "2");
        boolean line2 = isPresent("org.testcontainers.postgresql.PostgreSQLContainer");
        assertThat(line2 ? "2" : "1").isEqualTo(expected);
    }

    private static boolean isPresent(String className) {
        try {
            Class.forName(className);
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }
}
