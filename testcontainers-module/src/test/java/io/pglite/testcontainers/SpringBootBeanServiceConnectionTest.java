package io.pglite.testcontainers;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.testcontainers.service.connection.ServiceConnection;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.testcontainers.utility.DockerImageName;

/**
 * The configuration start.spring.io generates for Testcontainers ({@code TestcontainersConfiguration}: a
 * {@code @Bean @ServiceConnection} container, started and stopped by Spring rather than by {@code @Testcontainers}),
 * with the class name changed. Runs on Spring Boot 4.0.x and 3.5.x.
 */
@SpringBootTest(classes = SpringBootBeanServiceConnectionTest.App.class)
class SpringBootBeanServiceConnectionTest {

    @TestConfiguration(proxyBeanMethods = false)
    static class TestcontainersConfiguration {
        @Bean
        @ServiceConnection
        PgliteContainer<?> postgresContainer() {
            return new PgliteContainer<>(DockerImageName.parse("postgres:latest"));
        }
    }

    @Autowired
    DataSource dataSource;

    @Autowired
    PgliteContainer<?> container;

    @Test
    void springStartsTheContainerBeanAndWiresTheDataSourceToIt() throws SQLException {
        assertThat(container.isRunning()).isTrue();
        try (Connection c = dataSource.getConnection();
             ResultSet rs = c.createStatement().executeQuery("SELECT current_database(), current_user,"
                     + " inet_server_port()")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("test");
            assertThat(rs.getString(2)).isEqualTo("test");
            assertThat(c.getMetaData().getURL()).contains(":" + container.getMappedPort(5432) + "/");
        }
    }

    /** The application under test: nothing but auto-configuration and the test configuration. */
    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import(TestcontainersConfiguration.class)
    static class App {}
}
