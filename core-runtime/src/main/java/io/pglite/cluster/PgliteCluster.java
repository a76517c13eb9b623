package io.pglite.cluster;

import io.pglite.backend.PostgresBackend;
import io.pglite.backend.WasmThread;
import io.pglite.distribution.Distribution;
import io.pglite.server.AuthMethod;
import io.pglite.server.PgliteServer;
import io.pglite.server.ServerOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL cluster running inside this JVM: a data directory (in memory, or on a host directory that
 * persists), a PostgreSQL backend started on it, and optionally a loopback server any PostgreSQL client can
 * connect to.
 *
 * <pre>{@code
 * try (PgliteCluster pg = PgliteCluster.builder().build();
 *      Connection c = DriverManager.getConnection(pg.jdbcUrl(), "postgres", "")) {
 *     ...
 * }
 * }</pre>
 *
 * <p>An in-memory cluster starts from a template created by initdb once per JVM and shared read-only between
 * clusters; its own writes go to a private layer. A directory cluster is created by copying that template
 * into the directory when the directory holds no cluster yet; the directory is locked while open, so a second
 * cluster on it (in this JVM or another) is refused.
 */
public final class PgliteCluster implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PgliteCluster.class);

    private final ClusterFiles files;
    private final WasmThread thread;
    private final PostgresBackend backend;
    private final String database;
    private final String username;
    private final String password;
    private final AuthMethod authMethod;
    private final int maxConnections;
    private PgliteServer server;
    private boolean closed;

    private PgliteCluster(Builder b) {
        Distribution distribution = Distribution.pg18();
        this.files = b.dataDirectory == null
                ? ClusterFiles.inMemory(distribution, Templates.get(distribution, b.initdbOptions))
                : ClusterFiles.onDirectory(distribution, () -> Templates.get(distribution, b.initdbOptions),
                        b.dataDirectory);
        this.database = b.database;
        this.username = b.initdbOptions.username();
        this.password = b.password;
        this.authMethod = b.authMethod;
        this.maxConnections = b.maxConnections;
        this.thread = new WasmThread("pglite-backend", b.stackBytes);
        PostgresBackend started = null;
        try {
            long t0 = System.nanoTime();
            long memoryLimit = b.memoryLimit;
            started = PostgresBackend.start(() -> ClusterProcesses.postgres(distribution, files.newProcessView(),
                    files, username, database, memoryLimit), thread, ClusterFiles.PGDATA, database, b.settings);
            LOG.info("PostgreSQL {} started in {} ms ({})", distribution.postgresVersion(),
                    (System.nanoTime() - t0) / 1_000_000,
                    b.dataDirectory == null ? "in memory" : b.dataDirectory);
        } catch (RuntimeException e) {
            thread.close();
            files.close();
            throw e;
        }
        this.backend = started;
    }

    /**
     * Starts configuring a cluster.
     *
     * @return a builder with PGlite's defaults: in memory, user {@code postgres}, database {@code postgres}
     */
    public static Builder builder() {
        return new Builder();
    }

    /** The running backend, for exchanging protocol bytes directly. */
    public PostgresBackend backend() {
        return backend;
    }

    /**
     * Starts (once) a server on 127.0.0.1 with a free port.
     *
     * @return the server
     */
    public synchronized PgliteServer server() {
        if (server == null) {
            server = startServer("127.0.0.1", 0);
        }
        return server;
    }

    /**
     * Starts a server on the given address; the cluster closes it when it closes.
     *
     * @param host a loopback address
     * @param port the port, 0 for a free one
     * @return the server
     */
    public synchronized PgliteServer startServer(String host, int port) {
        return startServer(serverOptions().host(host).port(port).build());
    }

    /**
     * Starts a server with full control over its options; the cluster closes it when it closes. The user name
     * and database are always the cluster's.
     *
     * @param options the options (see {@link #serverOptions()} for a builder with the cluster's settings)
     * @return the server
     */
    public synchronized PgliteServer startServer(ServerOptions options) {
        if (closed) {
            throw new ClusterException("the cluster is closed");
        }
        if (server != null) {
            throw new ClusterException("a server is already running on port " + server.port());
        }
        server = PgliteServer.start(backend, options.toBuilder().username(username).database(database).build());
        return server;
    }

    /**
     * Server options with this cluster's user, database, password, authentication method and connection limit,
     * to adjust before {@link #startServer(ServerOptions)}.
     *
     * @return a builder
     */
    public ServerOptions.Builder serverOptions() {
        ServerOptions.Builder b = ServerOptions.builder().username(username).database(database)
                .maxConnections(maxConnections);
        if (password != null) {
            b.password(password);
        }
        if (authMethod != null) {
            b.authMethod(authMethod);
        }
        return b;
    }

    /** The JDBC URL of the cluster's server (started on first use). */
    public String jdbcUrl() {
        PgliteServer s = server();
        return "jdbc:postgresql://" + s.host() + ":" + s.port() + "/" + database;
    }

    /** The database clients connect to. */
    public String database() {
        return database;
    }

    /** The superuser created by initdb. */
    public String username() {
        return username;
    }

    /** The password clients must give, or null when the server trusts them. */
    public String password() {
        return password;
    }

    /**
     * Stops the server, shuts PostgreSQL down cleanly (shutdown checkpoint) and releases the data directory.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (server != null) {
                server.close();
            }
            backend.close();
        } finally {
            thread.close();
            files.close();
        }
    }

    /** Configures a {@link PgliteCluster}. */
    public static final class Builder {
        private Path dataDirectory;
        private InitdbOptions initdbOptions = InitdbOptions.DEFAULTS;
        private String database = "postgres";
        private long memoryLimit = ClusterProcesses.DEFAULT_MEMORY_LIMIT;
        private long stackBytes = 512L << 20;
        private final List<String> settings = new ArrayList<>();
        private String password;
        private AuthMethod authMethod;
        private int maxConnections = 100;

        private Builder() {}

        /** Keeps the cluster in memory (the default). */
        public Builder inMemory() {
            this.dataDirectory = null;
            return this;
        }

        /**
         * Stores the cluster in a host directory; an empty or missing directory gets a new cluster, an
         * existing cluster is reopened.
         */
        public Builder dataDirectory(Path dir) {
            this.dataDirectory = Objects.requireNonNull(dir, "dir");
            return this;
        }

        /** The superuser name given to initdb. */
        public Builder username(String username) {
            this.initdbOptions = new InitdbOptions(username, initdbOptions.encoding(), initdbOptions.locale());
            return this;
        }

        /** The database the backend serves ({@code postgres} by default). */
        public Builder database(String database) {
            this.database = Objects.requireNonNull(database, "database");
            return this;
        }

        /** Bounds the backend's wasm memory; allocations beyond fail with an SQL "out of memory" error. */
        public Builder memoryLimit(long bytes) {
            this.memoryLimit = bytes;
            return this;
        }

        /** Adds a server setting, {@code name=value}, as {@code postgres -c} would. */
        public Builder setting(String nameEqualsValue) {
            if (!nameEqualsValue.contains("=")) {
                throw new IllegalArgumentException("a setting is name=value, got " + nameEqualsValue);
            }
            settings.add(nameEqualsValue);
            return this;
        }

        /**
         * Makes the server require this password: SCRAM-SHA-256 by default, see {@link #authMethod(AuthMethod)}.
         * Without a password the server trusts every client that names the right user.
         */
        public Builder password(String password) {
            this.password = password;
            return this;
        }

        /** How the server authenticates clients (default: SCRAM-SHA-256 with a password, trust without). */
        public Builder authMethod(AuthMethod method) {
            this.authMethod = method;
            return this;
        }

        /** The most concurrent client connections the server accepts (default 100). */
        public Builder maxConnections(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxConnections must be at least 1");
            }
            this.maxConnections = max;
            return this;
        }

        /** The JVM stack size of the backend thread (deep SQL recursion needs deep JVM stacks). */
        public Builder backendStackSize(long bytes) {
            this.stackBytes = bytes;
            return this;
        }

        /** Creates (if needed) and starts the cluster. */
        public PgliteCluster build() {
            return new PgliteCluster(this);
        }
    }
}
