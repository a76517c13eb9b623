package io.pglite.testcontainers;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.SpringBootVersion;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.testcontainers.service.connection.ServiceConnection;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * Spring Boot's {@code @ServiceConnection} on a static PgliteContainer field, as one writes it for
 * PostgreSQLContainer: the auto-configured DataSource points at the container. Runs on Spring Boot 4.0.x with
 * Testcontainers 2.0.x and on Spring Boot 3.5.x with Testcontainers 1.21.x (surefire execution
 * {@code testcontainers-1.x}).
 */
@Testcontainers
@SpringBootTest(classes = SpringBootServiceConnectionTest.App.class)
class SpringBootServiceConnectionTest {

    @Container
    @ServiceConnection
    static PgliteContainer<?> postgres = new PgliteContainer<>("postgres:18").withInitScript("db/schema.sql");

    @Autowired
    DataSource dataSource;

    @Test
    void theAutoConfiguredDataSourceUsesTheContainer() throws SQLException {
        try (Connection c = dataSource.getConnection();
             ResultSet rs = c.createStatement().executeQuery(
                     "SELECT current_database(), current_user, (SELECT count(*) FROM customer)")) {
            assertThat(c.getMetaData().getURL()).startsWith(postgres.getJdbcUrl().replaceAll("\\?.*", ""));
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("test");
            assertThat(rs.getString(2)).isEqualTo("test");
            assertThat(rs.getInt(3)).isEqualTo(2);
        }
    }

    @Test
    void theExpectedSpringBootLineIsOnTheClasspath() {
        String expected = "1".equals(System.getProperty("pglite.test.expectedTestcontainersLine")) ? "3.5." : "4.0.";
        assertThat(SpringBootVersion.getVersion()).startsWith(expected);
    }

    /** The application under test: nothing but auto-configuration. */
    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {}
}
