package io.pglite.testcontainers;

import java.lang.reflect.Constructor;
import org.testcontainers.containers.JdbcDatabaseContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * Docker mode: Testcontainers' own {@code PostgreSQLContainer}, configured like the {@link PgliteContainer} it
 * stands in for. The class is looked up by name because it lives in different places in the two Testcontainers
 * lines ({@code org.testcontainers.postgresql} in 2.0.x, {@code org.testcontainers.containers} in 1.21.x) and
 * because this module does not depend on it: only projects that use Docker mode need it on the classpath.
 */
final class DockerDelegate {

    /** Testcontainers 2.0.x first, then 1.21.x (2.0 still ships the old class, deprecated). */
    static final String[] CLASS_NAMES = {
        "org.testcontainers.postgresql.PostgreSQLContainer", "org.testcontainers.containers.PostgreSQLContainer"
    };

    private DockerDelegate() {}

    /**
     * Creates (without starting) the real container for a PgliteContainer's configuration.
     *
     * @param c the container's configuration
     * @return the real container
     * @throws IllegalStateException if Testcontainers' PostgreSQL module is not on the classpath
     */
    static JdbcDatabaseContainer<?> create(PgliteContainer<?> c) {
        JdbcDatabaseContainer<?> real = instantiate(c.imageName());
        real.withDatabaseName(c.configuredDatabaseName());
        real.withUsername(c.configuredUsername());
        real.withPassword(c.configuredPassword());
        real.withInitScripts(c.initScriptPaths());
        c.urlParameters().forEach(real::withUrlParam);
        real.setCommand(c.getCommandParts());
        c.getEnvMap().forEach((k, v) -> {
            // PostgreSQLContainer sets these from its own fields when it starts.
            if (!k.startsWith("POSTGRES_")) {
                real.withEnv(k, v);
            }
        });
        real.withReuse(c.reuse());
        return real;
    }

    private static JdbcDatabaseContainer<?> instantiate(DockerImageName image) {
        for (String name : CLASS_NAMES) {
            Class<?> type;
            try {
                type = Class.forName(name, true, DockerDelegate.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                continue;
            }
            try {
                Constructor<?> constructor = type.getConstructor(DockerImageName.class);
                return (JdbcDatabaseContainer<?>) constructor.newInstance(image);
            } catch (ReflectiveOperationException e) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                if (cause instanceof RuntimeException r) {
                    throw r;
                }
                throw new IllegalStateException("cannot create " + name + " for " + image, cause);
            }
        }
        throw new IllegalStateException(Mode.PROPERTY + "=docker needs Testcontainers' PostgreSQL module on the"
                + " classpath: org.testcontainers:testcontainers-postgresql (2.0.x) or org.testcontainers:postgresql"
                + " (1.21.x)");
    }
}
