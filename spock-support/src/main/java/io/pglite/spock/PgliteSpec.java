package io.pglite.spock;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.spockframework.runtime.extension.ExtensionAnnotation;

/**
 * Gives a Spock specification real PostgreSQL running inside the JVM (PGlite on WebAssembly): no Docker, no
 * native binaries, no server to install.
 *
 * <pre>{@code
 * @PgliteSpec(initScripts = "schema.sql")
 * class NoteRepositorySpec extends Specification {
 *     @PgliteResource DataSource dataSource          // a fresh cluster for every feature and iteration
 *     @Shared @PgliteResource PgliteCluster shared   // one cluster for the whole spec
 *
 *     def "saves a note"() { ... }
 * }
 * }</pre>
 *
 * <p>Fields annotated with {@link PgliteResource} receive a {@link javax.sql.DataSource} (a HikariCP pool), a
 * {@link java.sql.Connection} (closed after the feature or spec) or a {@link io.pglite.cluster.PgliteCluster};
 * a {@code String} field annotated with {@link JdbcUrl} receives the JDBC URL. Fields that are not
 * {@code @Shared} are set before {@code setup()} of every iteration (every feature, every row of a
 * {@code where:} block) from a cluster of that iteration's own; {@code @Shared} fields are set before
 * {@code setupSpec()} from one cluster for the spec, closed after {@code cleanupSpec()}.
 *
 * <p>The attributes mean what those of the JUnit 5 extension's {@code @PgliteTest} of the same names mean:
 * init scripts and migrations run once into a template keyed by their content, so every cluster starts from the
 * migrated state in milliseconds, and a later run reuses the template from disk.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtensionAnnotation(PgliteSpecExtension.class)
public @interface PgliteSpec {

    /**
     * The database the clusters serve; another name than {@code postgres} is created once into the template.
     *
     * @return the database name
     */
    String database() default "postgres";

    /**
     * The superuser of the clusters.
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
     * The PostgreSQL major version; empty for the default. Only {@code 18} is available today; any other version
     * fails the spec with the list of available ones.
     *
     * @return the version, or empty
     */
    String version() default "";

    /**
     * Extensions to install into the template ({@code CREATE EXTENSION ... CASCADE}, once), for example
     * {@code ["pgcrypto", "uuid-ossp"]}.
     *
     * @return extension names
     */
    String[] extensions() default {};

    /**
     * SQL scripts on the class path, run in order, once, into the template.
     *
     * @return class-path resources
     */
    String[] initScripts() default {};

    /**
     * Flyway locations (for example {@code "classpath:db/migration"}); needs {@code flyway-core} and
     * {@code flyway-database-postgresql} on the test class path. Migrated once into the template.
     *
     * @return Flyway locations
     */
    String[] flywayLocations() default {};

    /**
     * A Liquibase change log on the class path; needs {@code liquibase-core} on the test class path. Applied
     * once into the template.
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
     * The most connections of an injected HikariCP pool.
     *
     * @return pool size
     */
    int poolSize() default 5;

    /**
     * Keeps the cluster of a failed feature (or, for {@code @Shared} fields, of a spec with a failure) running
     * until the Spock run ends, for inspection with psql or a debugger; its URL and a psql command are logged and
     * in the failure report. Also enabled for every spec by the system property {@code pglite.keepFailed=true}.
     *
     * @return whether to keep failed clusters
     */
    boolean keepFailed() default false;
}
