package io.pglite.testcontainers;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * External mode: a database on a PostgreSQL server that already runs ({@link Mode#EXTERNAL}). By default each
 * container start creates a database of its own (named after the configured one plus a random suffix) and
 * drops it on stop, so that containers stay as isolated from each other as fresh Docker containers are; the
 * settings of {@code withCommand} are applied to that database where PostgreSQL allows it
 * ({@code ALTER DATABASE ... SET}).
 */
final class ExternalDatabase implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ExternalDatabase.class);

    private final String adminUrl;
    private final String host;
    private final int port;
    private final String database;
    private final String query;
    private final String username;
    private final String password;
    private final boolean created;
    private final String id;

    private ExternalDatabase(String adminUrl, String host, int port, String database, String query, String username,
            String password, boolean created) {
        this.adminUrl = adminUrl;
        this.host = host;
        this.port = port;
        this.database = database;
        this.query = query;
        this.username = username;
        this.password = password;
        this.created = created;
        this.id = "external-" + database + "-" + Integer.toHexString(System.identityHashCode(this));
    }

    /**
     * Connects to the configured server and prepares the container's database.
     *
     * @param c the container
     * @return the database
     * @throws IllegalStateException if the server is not configured or cannot be reached
     */
    static ExternalDatabase open(PgliteContainer<?> c) {
        String url = Mode.setting(Mode.EXTERNAL_URL_PROPERTY);
        if (url == null || url.isBlank()) {
            throw new IllegalStateException(Mode.PROPERTY + "=external needs " + Mode.EXTERNAL_URL_PROPERTY
                    + " (or PGLITE_TESTCONTAINERS_EXTERNAL_URL), e.g. jdbc:postgresql://127.0.0.1:5432/postgres");
        }
        String prefix = "jdbc:postgresql://";
        if (!url.startsWith(prefix)) {
            throw new IllegalStateException(Mode.EXTERNAL_URL_PROPERTY + " must start with " + prefix + ": " + url);
        }
        String rest = url.substring(prefix.length());
        int q = rest.indexOf('?');
        String query = q < 0 ? "" : rest.substring(q + 1);
        rest = q < 0 ? rest : rest.substring(0, q);
        int slash = rest.indexOf('/');
        String hostPort = slash < 0 ? rest : rest.substring(0, slash);
        String urlDatabase = slash < 0 || slash == rest.length() - 1 ? "postgres" : rest.substring(slash + 1);
        int colon = hostPort.lastIndexOf(':');
        String host = colon < 0 ? hostPort : hostPort.substring(0, colon);
        int port = colon < 0 ? 5432 : Integer.parseInt(hostPort.substring(colon + 1));

        String username = orDefault(Mode.setting(Mode.EXTERNAL_USERNAME_PROPERTY), c.configuredUsername());
        String password = orDefault(Mode.setting(Mode.EXTERNAL_PASSWORD_PROPERTY), c.configuredPassword());
        boolean create = !"false".equalsIgnoreCase(Mode.setting(Mode.EXTERNAL_CREATE_DATABASE_PROPERTY));
        List<String> settings = ServerCommand.settings(c.getCommandParts());

        String database = urlDatabase;
        try (Connection admin = connect(url, username, password); Statement s = admin.createStatement()) {
            if (create) {
                database = (c.configuredDatabaseName().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_")
                        + "_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffffL));
                s.execute("CREATE DATABASE " + quote(database));
                for (String setting : settings) {
                    int eq = setting.indexOf('=');
                    String name = setting.substring(0, eq).trim();
                    if (name.equals("fsync")) {
                        continue; // server-wide; upstream's default command sets it, nothing to warn about
                    }
                    try {
                        s.execute("ALTER DATABASE " + quote(database) + " SET " + quote(name) + " = '"
                                + setting.substring(eq + 1).replace("'", "''") + "'");
                    } catch (SQLException e) {
                        LOG.warn("external mode: setting {} not applied to database {}: {}", setting, database,
                                e.getMessage());
                    }
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("external mode: cannot prepare a database on " + url + " as " + username
                    + ": " + e.getMessage(), e);
        }
        return new ExternalDatabase(url, host, port, database, query, username, password, create);
    }

    private static String orDefault(String value, String fallback) {
        return value != null ? value : fallback;
    }

    private static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    private static Connection connect(String url, String username, String password) throws SQLException {
        Properties p = new Properties();
        if (username != null) {
            p.setProperty("user", username);
        }
        if (password != null) {
            p.setProperty("password", password);
        }
        return DriverManager.getConnection(url, p);
    }

    String jdbcUrl(String extraParameters) {
        String params = query.isEmpty() ? extraParameters
                : extraParameters.isEmpty() ? query : query + "&" + extraParameters;
        return "jdbc:postgresql://" + host + ":" + port + "/" + database + (params.isEmpty() ? "" : "?" + params);
    }

    String host() {
        return host;
    }

    int port() {
        return port;
    }

    String database() {
        return database;
    }

    String username() {
        return username;
    }

    String password() {
        return password;
    }

    String id() {
        return id;
    }

    /** Drops the database this container created (connections still open to it are ended). */
    @Override
    public void close() {
        if (!created) {
            return;
        }
        try (Connection admin = connect(adminUrl, username, password); Statement s = admin.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + quote(database) + " WITH (FORCE)");
        } catch (SQLException e) {
            LOG.warn("external mode: could not drop database {}: {}", database, e.getMessage());
        }
    }
}
