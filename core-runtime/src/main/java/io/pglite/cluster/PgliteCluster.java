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
import java.util.Optional;
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
 * <p>An in-memory cluster starts from a template, the data directory initdb creates, which is built once per
 * machine and kept in a cache directory ({@link Builder#cacheDirectory(Path)}), and shared read-only between
 * clusters; its own writes go to a private layer. By default it does not even run PostgreSQL's start-up: a
 * backend started once on the template is captured, and new clusters continue from that snapshot, sharing
 * its memory and files copy-on-write ({@link Builder#snapshot(boolean)}). A directory cluster is created by
 * copying the template into the directory when the directory holds no cluster yet; the directory is locked
 * while open, so a second cluster on it (in this JVM or another) is refused.
 *
 * <p>Each cluster has its own backend thread, memory and files: clusters may be used from different threads
 * at once.
 */
public final class PgliteCluster implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PgliteCluster.class);

    /** Default JVM stack of a backend thread: deep SQL recursion becomes deep JVM recursion. */
    static final long DEFAULT_STACK_BYTES = 512L << 20;

    private final ClusterFiles files;
    private final WasmThread thread;
    private final PostgresBackend backend;
    private final String database;
    private final String username;
    private final String password;
    private final AuthMethod authMethod;
    private final int maxConnections;
    private final boolean restored;
    private final boolean inMemory;
    private PgliteServer server;
    private boolean closed;
    private boolean directSession;
    /** A server started in advance (prepared cluster) that nobody has seen yet: it may be replaced. */
    private boolean serverUnclaimed;

    private PgliteCluster(Builder b) {
        // Parsing the backend module and loading its compiled classes take most of a new JVM's first second;
        // they overlap with reading the template and snapshot.
        b.distribution().preloadInBackground();
        this.database = b.database;
        this.username = b.initdbOptions.username();
        this.password = b.password;
        this.authMethod = b.authMethod;
        this.maxConnections = b.maxConnections;
        long t0 = System.nanoTime();
        Started s;
        if (b.dataDirectory == null && b.snapshot && b.prepareNext) {
            // A copy: the caller may change its builder while the next cluster is prepared in the background.
            Builder settings = b.copy();
            s = PreparedClusters.take(new PreparedClusters.Key(settings.initdbOptions, settings.database,
                    List.copyOf(settings.settings), settings.setupIds(), settings.memoryLimit, settings.stackBytes,
                    settings.cacheDirectory(), settings.password, settings.authMethod, settings.maxConnections,
                    settings.distribution()),
                    () -> startWithServer(settings));
        } else {
            s = start(b);
        }
        this.files = s.files();
        this.thread = s.thread();
        this.backend = s.backend();
        this.restored = s.restored();
        this.server = s.server();
        this.serverUnclaimed = server != null;
        this.inMemory = b.dataDirectory == null;
        LOG.info("PostgreSQL {} {} in {} ms ({})", b.distribution().postgresVersion(),
                restored ? "restored from a started-backend snapshot" : "started", (System.nanoTime() - t0) / 1_000_000,
                b.dataDirectory == null ? "in memory" : b.dataDirectory);
    }

    /**
     * The parts of a running cluster before it is handed out.
     *
     * @param files its file trees
     * @param thread the thread its backend runs on
     * @param backend the running backend
     * @param restored whether it continued from a snapshot
     * @param server its server, already started (prepared clusters), or null
     */
    record Started(ClusterFiles files, WasmThread thread, PostgresBackend backend, boolean restored,
            PgliteServer server) {
        Started(ClusterFiles files, WasmThread thread, PostgresBackend backend, boolean restored) {
            this(files, thread, backend, restored, null);
        }

        /** Releases a started cluster nobody took (no shutdown: its files are private and go with it). */
        void discard() {
            if (server != null) {
                server.close();
            }
            thread.close();
            files.close();
        }
    }

    /**
     * Starts a cluster and its server: for clusters prepared in the background, where the server's start (its
     * session's startup on the backend) is then off the critical path too.
     */
    static Started startWithServer(Builder b) {
        Started s = start(b);
        try {
            ServerOptions options = serverOptions(b.initdbOptions.username(), b.database, b.maxConnections,
                    b.password, b.authMethod).build();
            return new Started(s.files(), s.thread(), s.backend(), s.restored(),
                    PgliteServer.start(s.backend(), options));
        } catch (RuntimeException e) {
            s.discard();
            throw e;
        }
    }

    /** Creates the files and backend of a cluster: restored from the snapshot when possible, else started. */
    static Started start(Builder b) {
        Distribution distribution = b.distribution();
        String username = b.initdbOptions.username();
        String database = b.database;
        WasmThread thread = new WasmThread("pglite-backend", b.stackBytes);
        ClusterFiles clusterFiles = null;
        try {
            if (b.dataDirectory == null) {
                Templates.Template template = b.template != null ? b.template
                        : Templates.forCluster(distribution, b);
                if (b.snapshot) {
                    Optional<Snapshots.Snapshot> snapshot = Snapshots.get(distribution, template, database,
                            b.settings, b.cacheDirectory());
                    if (snapshot.isPresent() && snapshot.get().memoryBytes() <= b.memoryLimit) {
                        clusterFiles = ClusterFiles.restored(snapshot.get().files());
                        try {
                            return new Started(clusterFiles, thread,
                                    restore(distribution, clusterFiles, snapshot.get(), b, thread), true);
                        } catch (RuntimeException e) {
                            LOG.warn("restoring the started-backend snapshot failed; starting PostgreSQL instead: {}",
                                    e.toString());
                            clusterFiles.close();
                            clusterFiles = null;
                        }
                    } else if (snapshot.isPresent()) {
                        LOG.debug("the snapshot needs {} bytes of wasm memory, above the limit of {}; starting"
                                + " PostgreSQL instead", snapshot.get().memoryBytes(), b.memoryLimit);
                    }
                }
                clusterFiles = ClusterFiles.inMemory(distribution, template);
            } else {
                clusterFiles = ClusterFiles.onDirectory(distribution,
                        () -> Templates.forCluster(distribution, b), b.dataDirectory);
            }
            ClusterFiles f = clusterFiles;
            long memoryLimit = b.memoryLimit;
            PostgresBackend started = PostgresBackend.start(() -> ClusterProcesses.postgres(distribution,
                    f.newProcessView(), f, username, database, memoryLimit), thread, ClusterFiles.PGDATA, database,
                    b.settings, distribution.majorVersion());
            return new Started(clusterFiles, thread, started, false);
        } catch (RuntimeException e) {
            thread.close();
            if (clusterFiles != null) {
                clusterFiles.close();
            }
            throw e;
        }
    }

    private static PostgresBackend restore(Distribution distribution, ClusterFiles f, Snapshots.Snapshot snapshot,
            Builder b, WasmThread thread) {
        long memoryLimit = b.memoryLimit;
        String username = b.initdbOptions.username();
        String database = b.database;
        return PostgresBackend.restore(
                () -> ClusterProcesses.postgres(distribution, f.newProcessView(), f, username, database, memoryLimit),
                image -> ClusterProcesses.postgres(distribution, f.newProcessView(), f, username, database,
                        memoryLimit, image),
                snapshot.backend(), thread, ClusterFiles.PGDATA, database, b.settings,
                distribution.majorVersion());
    }

    /**
     * Starts configuring a cluster.
     *
     * @return a builder with PGlite's defaults: in memory, user {@code postgres}, database {@code postgres}
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Tells whether this cluster continued from a started-backend snapshot rather than running PostgreSQL's
     * start-up (see {@link Builder#snapshot(boolean)}).
     *
     * @return true if restored from a snapshot
     */
    public boolean restoredFromSnapshot() {
        return restored;
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
        serverUnclaimed = false;
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
        dropUnclaimedServer();
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
        return serverOptions(username, database, maxConnections, password, authMethod);
    }

    private static ServerOptions.Builder serverOptions(String username, String database, int maxConnections,
            String password, AuthMethod authMethod) {
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

    /**
     * Runs SQL directly on the backend, as one simple query: several statements separated by semicolons run
     * in order (in one implicit transaction unless they contain their own transaction control); dollar quoting,
     * functions and DO blocks work, psql's backslash commands and {@code COPY FROM STDIN} do not. It is meant
     * for preparing a cluster before clients connect (see {@link TemplateSetup}); once the server is running,
     * connect through {@link #jdbcUrl()} instead.
     *
     * @param sql the SQL to run
     * @throws ClusterException with PostgreSQL's message and SQLSTATE if a statement fails, or if the server is
     *     already running
     */
    public synchronized void execute(String sql) {
        if (closed) {
            throw new ClusterException("the cluster is closed");
        }
        dropUnclaimedServer();
        if (server != null) {
            throw new ClusterException("execute() runs before the server starts; connect to " + jdbcUrl()
                    + " instead");
        }
        if (!directSession) {
            BackendSql.startSession(backend, username, database);
            directSession = true;
        }
        BackendSql.execute(backend, sql);
    }

    /** Closes a server started in advance that nobody has used, for a caller that wants another or none. */
    private void dropUnclaimedServer() {
        if (serverUnclaimed) {
            serverUnclaimed = false;
            server.close();
            server = null;
        }
    }

    /**
     * Shuts PostgreSQL down cleanly and returns a copy of the data directory (sharing pages with it), for a
     * template made from this cluster. The cluster is closed afterwards.
     */
    synchronized io.pglite.fs.MemoryLayer shutDownKeepingData() {
        if (!inMemory) {
            throw new IllegalStateException("only an in-memory cluster's data is kept");
        }
        closed = true;
        try {
            if (server != null) {
                server.close();
            }
            backend.close();
            return thread.call(() -> io.pglite.fs.MemoryLayer.copyOf(files.dataLayer()));
        } finally {
            thread.close();
            files.close();
        }
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
     * Stops the server and releases the cluster. A directory cluster's PostgreSQL is shut down cleanly
     * (shutdown checkpoint) and the directory unlocked; an in-memory cluster is simply dropped.
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
            if (inMemory) {
                // Nothing outlives an in-memory cluster: a shutdown checkpoint would only be thrown away.
                backend.discard();
            } else {
                backend.close();
            }
        } finally {
            thread.close();
            files.close();
        }
    }

    /** Configures a {@link PgliteCluster}. */
    public static final class Builder {
        private Path dataDirectory;
        /** Null: the default, resolved at build time (so that building without a version never looks one up). */
        private Distribution distribution;
        private InitdbOptions initdbOptions = InitdbOptions.DEFAULTS;
        private String database = "postgres";
        private long memoryLimit = ClusterProcesses.DEFAULT_MEMORY_LIMIT;
        private long stackBytes = DEFAULT_STACK_BYTES;
        private boolean snapshot = true;
        private boolean prepareNext;
        private Path cacheDirectory;
        private final List<String> settings = new ArrayList<>();
        private String password;
        private AuthMethod authMethod;
        private int maxConnections = 100;
        private final List<TemplateSetup> setups = new ArrayList<>();
        private final List<String> extensions = new ArrayList<>();
        /** The template to start from instead of resolving one (clusters that build derived templates). */
        private Templates.Template template;

        private Builder() {}

        InitdbOptions initdbOptions() {
            return initdbOptions;
        }

        Distribution distribution() {
            return distribution != null ? distribution : Distribution.pg18();
        }

        String database() {
            return database;
        }

        List<TemplateSetup> setups() {
            return List.copyOf(setups);
        }

        List<String> setupIds() {
            List<String> ids = new ArrayList<>();
            extensions.forEach(e -> ids.add("extension:" + e));
            setups.forEach(s -> ids.add(s.id()));
            return ids;
        }

        List<String> extensions() {
            return List.copyOf(extensions);
        }

        /**
         * The builder of a cluster that makes a derived template: in memory on {@code base}, serving
         * {@code database}, booted (no snapshot, nothing prepared), with no password, setups or settings.
         */
        Builder copyForSetup(Templates.Template base, String database) {
            Builder c = new Builder();
            c.distribution = distribution;
            c.initdbOptions = initdbOptions;
            c.database = database;
            c.stackBytes = stackBytes;
            c.snapshot = false;
            c.cacheDirectory = cacheDirectory();
            c.template = base;
            return c;
        }

        private Builder copy() {
            Builder c = new Builder();
            c.dataDirectory = dataDirectory;
            c.distribution = distribution;
            c.initdbOptions = initdbOptions;
            c.database = database;
            c.memoryLimit = memoryLimit;
            c.stackBytes = stackBytes;
            c.snapshot = snapshot;
            c.prepareNext = prepareNext;
            c.cacheDirectory = cacheDirectory();
            c.settings.addAll(settings);
            c.setups.addAll(setups);
            c.extensions.addAll(extensions);
            c.password = password;
            c.authMethod = authMethod;
            c.maxConnections = maxConnections;
            c.template = template;
            return c;
        }

        /**
         * Chooses the PostgreSQL version: {@code "18"} (the default, in {@code pglite-core-runtime}) or
         * {@code "17"} (needs {@code io.pglite:pglite-distribution-pg17} on the class path); the exact version
         * ({@code "17.5"}) is accepted too.
         *
         * @param version the version, or null or empty for the default
         * @return this builder
         * @throws IllegalArgumentException if the version is not available (the message says which are and which
         *     artifact to add)
         */
        public Builder postgresVersion(String version) {
            this.distribution = version == null || version.isBlank() ? null : Distribution.forVersion(version);
            return this;
        }

        /**
         * Chooses the distribution directly (see {@link Distribution#forVersion(String)}).
         *
         * @param distribution the distribution
         * @return this builder
         */
        public Builder distribution(Distribution distribution) {
            this.distribution = Objects.requireNonNull(distribution, "distribution");
            return this;
        }

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

        /**
         * The database the backend serves ({@code postgres} by default). Another name is created once, into a
         * template of its own (cached like the initdb template).
         */
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

        /**
         * Whether an in-memory cluster may continue from a started-backend snapshot (the default): PostgreSQL is
         * started once per JVM for each template, database and settings, its state is captured, and later
         * clusters restore it in a few milliseconds instead of starting PostgreSQL (about 0.1-0.3 s). A restored
         * cluster behaves like a started one; {@code false} always runs PostgreSQL's start-up. Directory
         * clusters always start PostgreSQL.
         *
         * @param enabled whether to use snapshots
         * @return this builder
         */
        public Builder snapshot(boolean enabled) {
            this.snapshot = enabled;
            return this;
        }

        /**
         * Whether to prepare the next in-memory cluster with the same settings in the background while this one
         * is in use (off by default). The next {@code build()} then only takes it, which is what makes a new
         * cluster per test cost a few milliseconds; its server (127.0.0.1, a free port, the builder's password
         * and limits) is started in advance too ({@link PgliteCluster#startServer(ServerOptions)} replaces it
         * when other options are wanted). At most one cluster is kept prepared (for the settings of the latest
         * {@code build()}); it holds a thread and what a restored idle cluster holds (see docs/PERFORMANCE.md).
         * Applies to clusters restored from a snapshot.
         *
         * @param enabled whether to keep the next cluster ready
         * @return this builder
         */
        public Builder prepareNext(boolean enabled) {
            this.prepareNext = enabled;
            return this;
        }

        /**
         * Where templates (data directories created by initdb, about 40 MB each) are cached between JVMs.
         * Default: system property {@code pglite.cache.dir}, else environment variable {@code PGLITE_CACHE_DIR},
         * else {@code ~/.cache/pglite-java} ({@code $XDG_CACHE_HOME/pglite-java} if set,
         * {@code %LOCALAPPDATA%\pglite-java} on Windows). Several JVMs may share one directory.
         *
         * @param dir the cache directory (created when needed)
         * @return this builder
         */
        public Builder cacheDirectory(Path dir) {
            this.cacheDirectory = Objects.requireNonNull(dir, "dir");
            return this;
        }

        Path cacheDirectory() {
            return cacheDirectory != null ? cacheDirectory : TemplateCache.defaultDirectory();
        }

        /**
         * Adds work done once into the cluster's template instead of into every cluster: schema, migrations,
         * reference data. The result is cached on disk, keyed by the setup's {@link TemplateSetup#id() id}, so a
         * later cluster (or a later JVM) with the same setups starts from it at once. Setups apply in the order
         * they were added, in the cluster's database, as the cluster's user.
         *
         * @param setup the setup
         * @return this builder
         */
        public Builder setup(TemplateSetup setup) {
            setups.add(Objects.requireNonNull(setup, "setup"));
            return this;
        }

        /**
         * Installs extensions into the cluster's template ({@code CREATE EXTENSION ... CASCADE}, once, cached on
         * disk like the template), so that clusters pay nothing for them: the extension's objects are there
         * from the start, and its library is loaded on first use. Extensions are installed before the
         * {@link #setup(TemplateSetup) setups}, in the order given.
         *
         * @param names extension names, as in {@code CREATE EXTENSION} (for example {@code pgcrypto},
         *     {@code uuid-ossp}, {@code hstore})
         * @return this builder
         * @throws ClusterException at {@link #build()} if an extension is not bundled (the message lists those
         *     that are)
         */
        public Builder extensions(String... names) {
            for (String n : names) {
                extensions.add(Objects.requireNonNull(n, "extension name"));
            }
            return this;
        }

        /**
         * Adds an SQL script to run once into the template ({@link TemplateSetup#sql(String)}).
         *
         * @param sql the script
         * @return this builder
         */
        public Builder initSql(String sql) {
            return setup(TemplateSetup.sql(sql));
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
