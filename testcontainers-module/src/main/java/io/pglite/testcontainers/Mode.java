package io.pglite.testcontainers;

import java.util.Locale;

/**
 * Where a {@link PgliteContainer} gets its PostgreSQL from. The choice is made once per container, when it is
 * constructed, from the system property {@value #PROPERTY} or else the environment variable {@value #ENV}, so
 * that a whole suite can be run against a real PostgreSQL without changing a line of test code:
 *
 * <pre>
 * mvn verify                                              # PGlite inside the JVM (default)
 * mvn verify -Dpglite.testcontainers.mode=docker          # Testcontainers' own PostgreSQLContainer
 * mvn verify -Dpglite.testcontainers.mode=external \
 *     -Dpglite.testcontainers.externalUrl=jdbc:postgresql://db.example:5432/postgres \
 *     -Dpglite.testcontainers.externalUsername=ci -Dpglite.testcontainers.externalPassword=secret
 * </pre>
 */
public enum Mode {
    /** PostgreSQL compiled to WebAssembly, running inside this JVM (the default). Never contacts Docker. */
    PGLITE,
    /**
     * Testcontainers' own {@code PostgreSQLContainer} in Docker, with the same configuration (image, database,
     * user, password, init scripts, command, environment, URL parameters, reuse). Needs the
     * {@code postgresql} (1.21.x) or {@code testcontainers-postgresql} (2.0.x) artifact on the test classpath.
     */
    DOCKER,
    /**
     * A PostgreSQL server that is already running, given by {@value #EXTERNAL_URL_PROPERTY}. Each container
     * start creates a fresh database there (dropped on stop), so containers stay as isolated as Docker's; init
     * scripts run over JDBC.
     */
    EXTERNAL;

    /** System property choosing the mode: {@code pglite}, {@code docker} or {@code external}. */
    public static final String PROPERTY = "pglite.testcontainers.mode";
    /** Environment variable read when the system property is not set. */
    public static final String ENV = "PGLITE_TESTCONTAINERS_MODE";
    /** System property (or environment variable {@code PGLITE_TESTCONTAINERS_EXTERNAL_URL}): the external server. */
    public static final String EXTERNAL_URL_PROPERTY = "pglite.testcontainers.externalUrl";
    /** System property (or {@code PGLITE_TESTCONTAINERS_EXTERNAL_USERNAME}): the external server's user. */
    public static final String EXTERNAL_USERNAME_PROPERTY = "pglite.testcontainers.externalUsername";
    /** System property (or {@code PGLITE_TESTCONTAINERS_EXTERNAL_PASSWORD}): that user's password. */
    public static final String EXTERNAL_PASSWORD_PROPERTY = "pglite.testcontainers.externalPassword";
    /**
     * System property (or {@code PGLITE_TESTCONTAINERS_EXTERNAL_CREATE_DATABASE}): {@code false} to use the
     * external URL's database as it is instead of creating one per container start (default {@code true}).
     */
    public static final String EXTERNAL_CREATE_DATABASE_PROPERTY = "pglite.testcontainers.externalCreateDatabase";

    /**
     * The mode configured for this JVM.
     *
     * @return the mode from {@value #PROPERTY} / {@value #ENV}, {@link #PGLITE} when neither is set
     * @throws IllegalArgumentException if the value is not one of the modes
     */
    public static Mode configured() {
        String value = setting(PROPERTY);
        if (value == null || value.isBlank()) {
            return PGLITE;
        }
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PROPERTY + " (or " + ENV + ") is '" + value
                    + "'; expected pglite, docker or external", e);
        }
    }

    /**
     * Reads a setting of this module: the system property, else the environment variable named like it
     * ({@code pglite.testcontainers.externalUrl} → {@code PGLITE_TESTCONTAINERS_EXTERNAL_URL}).
     */
    static String setting(String property) {
        String value = System.getProperty(property);
        if (value != null) {
            return value;
        }
        return System.getenv(property.replaceAll("([a-z])([A-Z])", "$1_$2").replace('.', '_')
                .toUpperCase(Locale.ROOT));
    }
}
