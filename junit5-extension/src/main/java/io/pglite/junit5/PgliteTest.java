package io.pglite.junit5;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Gives a test class real PostgreSQL running inside the JVM (PGlite on WebAssembly): no Docker, no native
 * binaries, no server to install.
 *
 * <pre>{@code
 * @PgliteTest(initScripts = "schema.sql")
 * class AccountRepositoryTest {
 *     @Test
 *     void savesAnAccount(DataSource dataSource) throws SQLException {
 *         ...
 *     }
 * }
 * }</pre>
 *
 * <p>By default every test method (every invocation of a parameterized or repeated test) gets a cluster of its
 * own, started in milliseconds from a template; {@link Lifecycle#PER_CLASS} shares one cluster among the tests
 * of the class. Init scripts and migrations run once into a template keyed by their content, so every test
 * starts from the migrated state without running them again, and a later run of the suite reuses the template
 * from disk.
 *
 * <p>Test methods, constructors and lifecycle methods receive by parameter, and fields annotated with
 * {@link PgliteResource} receive: {@link javax.sql.DataSource} (a HikariCP pool), {@link java.sql.Connection}
 * (closed after the test), {@link io.pglite.cluster.PgliteCluster}, and the JDBC URL as a {@code String}
 * annotated with {@link JdbcUrl}.
 *
 * <p>On a {@code @SpringBootTest} class, the Spring test context gets its {@code DataSource} properties
 * ({@code spring.datasource.url}, {@code username}, {@code password}) from a cluster with this configuration,
 * one per application context; inject Spring's beans as usual.
 */
@Target({ElementType.TYPE, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(PgliteExtension.class)
public @interface PgliteTest {

    /**
     * Whether each test gets its own cluster or the class shares one.
     *
     * @return the lifecycle, {@link Lifecycle#PER_METHOD} by default
     */
    Lifecycle lifecycle() default Lifecycle.PER_METHOD;

    /**
     * The database the cluster serves; another name than {@code postgres} is created once into the template.
     *
     * @return the database name
     */
    String database() default "postgres";

    /**
     * The superuser of the cluster.
     *
     * @return the user name
     */
    String user() default "postgres";

    /**
     * A password the server requires (SCRAM-SHA-256); empty means the server trusts local clients.
     *
     * @return the password, or empty
     */
    String password() default "";

    /**
     * The PostgreSQL version: {@code "18"} (the default) or {@code "17"} (needs the test dependency
     * {@code io.pglite:pglite-distribution-pg17}); an exact version such as {@code "17.5"} is accepted too. Any
     * other version, or 17 without its artifact, fails the test class with the list of available ones.
     *
     * @return the version, or empty
     */
    String version() default "";

    /**
     * Extensions to install into the template ({@code CREATE EXTENSION ... CASCADE}, once), for example
     * {@code {"pgcrypto", "uuid-ossp"}}; an extension that is not bundled fails the class with the list of
     * those that are.
     *
     * @return extension names
     */
    String[] extensions() default {};

    /**
     * SQL scripts on the class path (for example {@code "schema.sql"} or {@code "/db/data.sql"}), run in order,
     * once, into the template: statements separated by semicolons, as psql runs a file.
     *
     * @return class-path resources
     */
    String[] initScripts() default {};

    /**
     * Flyway locations (for example {@code "classpath:db/migration"}); needs {@code flyway-core} and
     * {@code flyway-database-postgresql} on the test class path. Migrated once into the template, keyed by the
     * content of every file in the locations.
     *
     * @return Flyway locations
     */
    String[] flywayLocations() default {};

    /**
     * A Liquibase change log on the class path (for example {@code "db/changelog/db.changelog-master.yaml"});
     * needs {@code liquibase-core} on the test class path. Applied once into the template, keyed by the content
     * of every file in the change log's directory and below.
     *
     * @return the change log, or empty
     */
    String liquibaseChangeLog() default "";

    /**
     * Server settings, {@code name=value}, as {@code postgres -c} would take them.
     *
     * @return settings
     */
    String[] settings() default {};

    /**
     * The most connections of the injected HikariCP pool.
     *
     * @return pool size
     */
    int poolSize() default 5;

    /**
     * Keeps the cluster of a failed test running until the test run ends, for inspection with psql or a
     * debugger (its URL and a psql command are logged and in the failure report). Also enabled for every class
     * by the system property or configuration parameter {@code pglite.keepFailed=true}.
     *
     * @return whether to keep failed tests' clusters
     */
    boolean keepFailed() default false;

    /** How long a cluster lives. */
    enum Lifecycle {
        /** Each test method (each invocation) gets a fresh cluster: full isolation, a few milliseconds each. */
        PER_METHOD,
        /** One cluster for all tests of the class (and its {@code @Nested} classes), closed after them. */
        PER_CLASS
    }
}
