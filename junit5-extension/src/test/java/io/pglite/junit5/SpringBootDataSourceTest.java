package io.pglite.junit5;

import static org.assertj.core.api.Assertions.assertThat;

import io.pglite.cluster.PgliteCluster;
import javax.sql.DataSource;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.flyway.FlywayAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.JdbcTemplateAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * A {@code @SpringBootTest} whose DataSource comes from a PGlite cluster: no Docker, no
 * {@code @DynamicPropertySource}; Spring Boot's own Flyway auto-configuration migrates it.
 */
@SpringBootTest(classes = SpringBootDataSourceTest.App.class,
        properties = {"spring.flyway.locations=classpath:db/migration",
            // the init script's tables are already there: Flyway starts its history below V1
            "spring.flyway.baseline-on-migrate=true", "spring.flyway.baseline-version=0"})
@PgliteTest(database = "springdb", initScripts = "schema.sql")
class SpringBootDataSourceTest {

    @SpringBootConfiguration
    @ImportAutoConfiguration({DataSourceAutoConfiguration.class, JdbcTemplateAutoConfiguration.class,
            FlywayAutoConfiguration.class})
    static class App {}

    @Autowired
    JdbcTemplate jdbc;

    @Autowired
    DataSource dataSource;

    @Autowired
    PgliteCluster cluster;

    @Test
    void springsDataSourceIsThePgliteCluster() throws Exception {
        assertThat(jdbc.queryForObject("SELECT current_database()", String.class)).isEqualTo("springdb");
        assertThat(jdbc.queryForObject("SELECT version()", String.class)).startsWith("PostgreSQL 18");
        try (var c = dataSource.getConnection()) {
            assertThat(c.getMetaData().getURL()).isEqualTo(cluster.jdbcUrl());
        }
    }

    @Test
    void theInitScriptIsInTheTemplateAndSpringBootsFlywayMigratedOnTop() {
        jdbc.update("INSERT INTO note (body) VALUES ('from spring')");
        assertThat(jdbc.queryForObject("SELECT note_count()", Long.class)).isEqualTo(1);
        assertThat(jdbc.queryForObject("SELECT sum(balance) FROM account", Integer.class)).isEqualTo(500);
        jdbc.update("DELETE FROM note");
    }

    @Nested
    class Inner {
        @Test
        void nestedClassesShareTheContext(@Autowired PgliteCluster innerCluster) {
            assertThat(innerCluster).isSameAs(cluster);
        }
    }
}
