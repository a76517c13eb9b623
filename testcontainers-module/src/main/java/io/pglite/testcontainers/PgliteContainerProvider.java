package io.pglite.testcontainers;

import org.testcontainers.containers.JdbcDatabaseContainer;
import org.testcontainers.containers.JdbcDatabaseContainerProvider;
import org.testcontainers.jdbc.ConnectionUrl;

/**
 * Makes {@code jdbc:tc:pglite:18:///db} URLs work: Testcontainers' JDBC driver finds this provider through
 * {@link java.util.ServiceLoader} ({@code META-INF/services}) for the database type {@code pglite}. The tag
 * after {@code pglite:} is the postgres image tag ({@code 18}, {@code 18.6}, {@code latest}); user and password
 * come from the {@code user} and {@code password} URL parameters (default {@code test}), as for
 * {@code jdbc:tc:postgresql:}. {@code TC_INITSCRIPT}, {@code TC_INITFUNCTION}, {@code TC_DAEMON} and
 * {@code TC_REUSABLE} are handled by Testcontainers' driver as for any container.
 */
public class PgliteContainerProvider extends JdbcDatabaseContainerProvider {

    /** The database type in {@code jdbc:tc:pglite:...} URLs. */
    public static final String DATABASE_TYPE = PgliteContainer.NAME;

    /** Creates the provider (ServiceLoader needs a public no-argument constructor). */
    public PgliteContainerProvider() {}

    @Override
    public boolean supports(String databaseType) {
        return DATABASE_TYPE.equals(databaseType);
    }

    /** A container for {@value PgliteContainer#DEFAULT_IMAGE}, used when the URL has no tag. */
    @Override
    public JdbcDatabaseContainer newInstance() {
        return new PgliteContainer<>(PgliteContainer.DEFAULT_IMAGE);
    }

    @Override
    public JdbcDatabaseContainer newInstance(String tag) {
        return new PgliteContainer<>("postgres:" + tag);
    }

    @Override
    public JdbcDatabaseContainer newInstance(ConnectionUrl url) {
        JdbcDatabaseContainer<?> container = newInstanceFromConnectionUrl(url, "user", "password");
        // Testcontainers 1.21.x does not parse the database out of jdbc:tc:type:tag:///db (no host), 2.0.x does;
        // read it here so both lines name the database the URL asks for.
        if (url.getDatabaseName().isEmpty()) {
            String host = url.getDbHostString();
            int slash = host.lastIndexOf('/');
            if (slash >= 0 && slash < host.length() - 1) {
                container.withDatabaseName(host.substring(slash + 1));
            }
        }
        return container;
    }
}
