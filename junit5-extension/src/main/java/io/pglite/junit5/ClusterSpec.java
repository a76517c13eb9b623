package io.pglite.junit5;

import io.pglite.cluster.PgliteCluster;
import io.pglite.cluster.TemplateSetup;
import io.pglite.distribution.Distribution;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a {@link PgliteTest} asks for, resolved: the cluster's identity and settings, and the template setups
 * (init scripts, migrations) with content-derived ids. Two equal specs make interchangeable clusters (the
 * Spring part uses it as part of its context cache key).
 *
 * @param user the superuser
 * @param password the password, or null for trust
 * @param database the database
 * @param settings server settings
 * @param extensions extensions installed into the template
 * @param setups template setups, in order
 * @param poolSize the injected pool's size
 * @param keepFailed whether a failed test's cluster is kept
 * @param distribution the PostgreSQL distribution (version) to run
 */
public record ClusterSpec(String user, String password, String database, List<String> settings,
        List<String> extensions, List<TemplateSetup> setups, int poolSize, boolean keepFailed,
        Distribution distribution) {

    /** The property (system property or JUnit configuration parameter) that keeps every failed test's cluster. */
    public static final String KEEP_FAILED_PROPERTY = "pglite.keepFailed";

    /**
     * Validates and copies.
     *
     * @param user the superuser
     * @param password the password, or null
     * @param database the database
     * @param settings server settings
     * @param extensions extensions
     * @param setups template setups
     * @param poolSize pool size
     * @param keepFailed keep failed clusters
     * @param distribution the PostgreSQL distribution
     */
    public ClusterSpec {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(distribution, "distribution");
        Objects.requireNonNull(database, "database");
        settings = List.copyOf(settings);
        extensions = List.copyOf(extensions);
        setups = List.copyOf(setups);
        if (poolSize < 1) {
            throw new IllegalArgumentException("@PgliteTest(poolSize) must be at least 1, got " + poolSize);
        }
    }

    /**
     * Resolves an annotation: reads init scripts from the class path and digests migration locations.
     *
     * @param config the annotation
     * @param testClass the test class (its class loader finds the resources)
     * @return the spec
     * @throws IllegalArgumentException if a script or location is missing, a version is unavailable, or a
     *     migration library is not on the class path
     */
    public static ClusterSpec of(PgliteTest config, Class<?> testClass) {
        return of("@PgliteTest", testClass, config.version(), config.user(), config.password(), config.database(),
                List.of(config.extensions()), List.of(config.initScripts()), List.of(config.flywayLocations()),
                config.liquibaseChangeLog(), List.of(config.settings()), config.poolSize(), config.keepFailed());
    }

    /**
     * Resolves configuration given as plain values, with the meaning of {@link PgliteTest}'s attributes of the
     * same names (for annotations of other test frameworks, such as the Spock module's).
     *
     * @param annotation the annotation's name for error messages, for example {@code "@PgliteTest"}
     * @param testClass the test class (its class loader finds the resources)
     * @param version the PostgreSQL version, or empty for the default
     * @param user the superuser
     * @param password the password, or empty for trust
     * @param database the database
     * @param extensions extensions installed into the template
     * @param initScripts class-path SQL scripts
     * @param flywayLocations Flyway locations
     * @param liquibaseChangeLog a Liquibase change log, or empty
     * @param settings server settings, {@code name=value}
     * @param poolSize the injected pool's size
     * @param keepFailed whether a failed test's cluster is kept (also when {@link #KEEP_FAILED_PROPERTY} is set)
     * @return the spec
     * @throws IllegalArgumentException if a script or location is missing, a version is unavailable, or a
     *     migration library is not on the class path
     */
    public static ClusterSpec of(String annotation, Class<?> testClass, String version, String user,
            String password, String database, List<String> extensions, List<String> initScripts,
            List<String> flywayLocations, String liquibaseChangeLog, List<String> settings, int poolSize,
            boolean keepFailed) {
        Distribution distribution = distribution(annotation, version);
        if (poolSize < 1) {
            throw new IllegalArgumentException(annotation + "(poolSize) must be at least 1, got " + poolSize);
        }
        ClassLoader loader = testClass.getClassLoader();
        List<TemplateSetup> setups = new ArrayList<>();
        for (String script : initScripts) {
            setups.add(TemplateSetup.sql(readScript(annotation, loader, script, testClass)));
        }
        if (!flywayLocations.isEmpty()) {
            requireClass(annotation, loader, "org.flywaydb.core.Flyway", "flywayLocations", "org.flywaydb:flyway-core"
                    + " and org.flywaydb:flyway-database-postgresql");
            setups.add(FlywayMigration.setup(flywayLocations, loader));
        }
        if (!liquibaseChangeLog.isEmpty()) {
            requireClass(annotation, loader, "liquibase.Liquibase", "liquibaseChangeLog",
                    "org.liquibase:liquibase-core");
            setups.add(LiquibaseMigration.setup(liquibaseChangeLog, loader));
        }
        boolean keep = keepFailed || Boolean.getBoolean(KEEP_FAILED_PROPERTY);
        return new ClusterSpec(user, password.isEmpty() ? null : password, database, settings, extensions, setups,
                poolSize, keep, distribution);
    }

    /**
     * The distribution of a version ({@link Distribution#forVersion(String)}); fails for a PostgreSQL version
     * that is not on the class path, naming those that are and the artifact to add.
     */
    static Distribution distribution(String annotation, String version) {
        try {
            return Distribution.forVersion(version);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(annotation + "(version = \"" + version + "\"): " + e.getMessage(), e);
        }
    }

    private static void requireClass(String annotation, ClassLoader loader, String name, String attribute,
            String artifacts) {
        try {
            Class.forName(name, false, loader);
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException(annotation + "(" + attribute + ") needs " + artifacts
                    + " on the test class path", e);
        }
    }

    private static String readScript(String annotation, ClassLoader loader, String name, Class<?> testClass) {
        String path = name.startsWith("classpath:") ? name.substring("classpath:".length()) : name;
        path = path.startsWith("/") ? path.substring(1) : path;
        try (InputStream in = loader.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalArgumentException(annotation + "(initScripts) of " + testClass.getName()
                        + ": no class-path resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read init script " + name + ": " + e, e);
        }
    }

    /**
     * Starts a cluster with this spec.
     *
     * @return the running cluster (its server not started yet)
     */
    public PgliteCluster start() {
        PgliteCluster.Builder b = PgliteCluster.builder().distribution(distribution).username(user).database(database)
                .prepareNext(true);
        if (password != null) {
            b.password(password);
        }
        settings.forEach(b::setting);
        b.extensions(extensions.toArray(String[]::new));
        setups.forEach(b::setup);
        return b.build();
    }
}
