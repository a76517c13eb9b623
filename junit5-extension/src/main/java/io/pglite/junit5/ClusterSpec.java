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
 * @param setups template setups, in order
 * @param poolSize the injected pool's size
 * @param keepFailed whether a failed test's cluster is kept
 */
public record ClusterSpec(String user, String password, String database, List<String> settings,
        List<TemplateSetup> setups, int poolSize, boolean keepFailed) {

    /** The property (system property or JUnit configuration parameter) that keeps every failed test's cluster. */
    public static final String KEEP_FAILED_PROPERTY = "pglite.keepFailed";

    /**
     * Validates and copies.
     *
     * @param user the superuser
     * @param password the password, or null
     * @param database the database
     * @param settings server settings
     * @param setups template setups
     * @param poolSize pool size
     * @param keepFailed keep failed clusters
     */
    public ClusterSpec {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(database, "database");
        settings = List.copyOf(settings);
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
        checkVersion(config.version());
        ClassLoader loader = testClass.getClassLoader();
        List<TemplateSetup> setups = new ArrayList<>();
        for (String script : config.initScripts()) {
            setups.add(TemplateSetup.sql(readScript(loader, script, testClass)));
        }
        if (config.flywayLocations().length > 0) {
            requireClass(loader, "org.flywaydb.core.Flyway", "flywayLocations", "org.flywaydb:flyway-core and"
                    + " org.flywaydb:flyway-database-postgresql");
            setups.add(FlywayMigration.setup(List.of(config.flywayLocations()), loader));
        }
        if (!config.liquibaseChangeLog().isEmpty()) {
            requireClass(loader, "liquibase.Liquibase", "liquibaseChangeLog", "org.liquibase:liquibase-core");
            setups.add(LiquibaseMigration.setup(config.liquibaseChangeLog(), loader));
        }
        boolean keep = config.keepFailed() || Boolean.getBoolean(KEEP_FAILED_PROPERTY);
        return new ClusterSpec(config.user(), config.password().isEmpty() ? null : config.password(),
                config.database(), List.of(config.settings()), setups, config.poolSize(), keep);
    }

    /** Fails for a PostgreSQL version this build does not have, naming those it has. */
    static void checkVersion(String version) {
        if (version.isEmpty()) {
            return;
        }
        String available = Distribution.pg18().postgresVersion();
        String major = available.substring(0, available.indexOf('.'));
        if (!version.equals(major) && !version.equals(available)) {
            throw new IllegalArgumentException("@PgliteTest(version = \"" + version + "\"): PostgreSQL " + version
                    + " is not available; available: " + major + " (PostgreSQL " + available + ")");
        }
    }

    private static void requireClass(ClassLoader loader, String name, String attribute, String artifacts) {
        try {
            Class.forName(name, false, loader);
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("@PgliteTest(" + attribute + ") needs " + artifacts
                    + " on the test class path", e);
        }
    }

    private static String readScript(ClassLoader loader, String name, Class<?> testClass) {
        String path = name.startsWith("classpath:") ? name.substring("classpath:".length()) : name;
        path = path.startsWith("/") ? path.substring(1) : path;
        try (InputStream in = loader.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalArgumentException("@PgliteTest(initScripts) of " + testClass.getName()
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
        PgliteCluster.Builder b = PgliteCluster.builder().username(user).database(database).prepareNext(true);
        if (password != null) {
            b.password(password);
        }
        settings.forEach(b::setting);
        setups.forEach(b::setup);
        return b.build();
    }
}
