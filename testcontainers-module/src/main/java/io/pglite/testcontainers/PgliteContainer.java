package io.pglite.testcontainers;

import io.pglite.cluster.PgliteCluster;
import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.Container;
import org.testcontainers.containers.JdbcDatabaseContainer;
import org.testcontainers.containers.output.OutputFrame;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * A drop-in for Testcontainers' {@code PostgreSQLContainer} that runs PostgreSQL inside the JVM (PGlite compiled
 * to WebAssembly, on Chicory) instead of in Docker. Change the class name and nothing else:
 *
 * <pre>{@code
 * @Testcontainers
 * class RepositoryTest {
 *     @Container
 *     static PgliteContainer<?> postgres = new PgliteContainer<>("postgres:18")   // was PostgreSQLContainer
 *             .withInitScript("schema.sql");
 *
 *     @Test
 *     void saves() throws SQLException {
 *         try (Connection c = DriverManager.getConnection(postgres.getJdbcUrl(), postgres.getUsername(),
 *                 postgres.getPassword())) {
 *             ...
 *         }
 *     }
 * }
 * }</pre>
 *
 * <p>It is a {@link JdbcDatabaseContainer}, hence a {@code Startable}: {@code @Testcontainers}/{@code @Container}
 * (static field: one per class; instance field: one per test), Spring Boot's {@code @ServiceConnection} (whose
 * JDBC connection details accept any {@code JdbcDatabaseContainer}) and code written against
 * {@code JdbcDatabaseContainer} work unchanged, with Testcontainers 1.21.x and 2.0.x. The type parameter matches
 * 1.x's generic {@code PostgreSQLContainer<SELF>}; 2.0-style code that uses the raw type ({@code PgliteContainer
 * postgres = new PgliteContainer("postgres:18").withInitScript(...)}) compiles too, because every fluent method
 * a PostgreSQL container is usually configured with is redeclared here to return this type.
 *
 * <p>What a container does without Docker:
 * <ul>
 *   <li>The image name chooses the PostgreSQL version ({@code postgres:18}, {@code postgres:18.6},
 *       {@code postgres:latest}, {@code postgres}); names this project cannot serve ({@code postgres:17},
 *       {@code pgvector/pgvector:pg17}) fail in the constructor with the list of supported ones.</li>
 *   <li>{@link #start()} builds an in-memory cluster restored from a started-backend snapshot and a loopback
 *       server on 127.0.0.1 with a free port (a few milliseconds once the JVM is warm); {@link #getMappedPort(int)
 *       getMappedPort(5432)} returns that port, {@link #getHost()} {@code 127.0.0.1}.</li>
 *   <li>Database, user and password default to {@code test}, as upstream; with a password the server requires
 *       SCRAM-SHA-256. {@code withEnv("POSTGRES_DB"/"POSTGRES_USER"/"POSTGRES_PASSWORD", ...)} set the same
 *       (the later call wins).</li>
 *   <li>{@code withCommand("postgres -c name=value ...")} becomes server settings.</li>
 *   <li>Init scripts are split into statements as Testcontainers does, but run once into a template cached on
 *       disk (keyed by their content): a later container with the same scripts starts from the result.</li>
 *   <li>{@code withReuse(true)} reuses within the JVM: containers with the same configuration share one running
 *       cluster, which {@link #stop()} leaves running (data included) for the next one. Unlike Docker's reuse it
 *       needs no {@code testcontainers.reuse.enable} and ends with the JVM.</li>
 *   <li>Docker-only operations ({@code execInContainer}, file copies, container info) throw
 *       {@link UnsupportedOperationException}; PostgreSQL's log goes to SLF4J, {@link #getLogs()} is empty.</li>
 * </ul>
 *
 * <p>{@link Mode}: the system property {@code pglite.testcontainers.mode} (or environment variable
 * {@code PGLITE_TESTCONTAINERS_MODE}) switches every container, without code changes, to Testcontainers' own
 * {@code PostgreSQLContainer} in Docker ({@code docker}) or to an existing server ({@code external}).
 *
 * @param <SELF> this container's type, as in Testcontainers' fluent API
 */
public class PgliteContainer<SELF extends PgliteContainer<SELF>> extends JdbcDatabaseContainer<SELF> {

    private static final Logger LOG = LoggerFactory.getLogger(PgliteContainer.class);

    /** The image used when none is given. */
    public static final String DEFAULT_IMAGE = "postgres:18";
    /** The port PostgreSQL listens on in the image; {@link #getMappedPort(int)} maps it. */
    public static final int POSTGRESQL_PORT = 5432;
    /** Testcontainers' name for PostgreSQL containers, as {@code PostgreSQLContainer.NAME}. */
    public static final String NAME = "pglite";

    private static final String DEFAULT_VALUE = "test";
    private static final AtomicLong IDS = new AtomicLong();
    /** Running clusters of {@code withReuse(true)} containers, by configuration. */
    private static final Map<List<Object>, PgliteCluster> REUSED = new ConcurrentHashMap<>();

    private final DockerImageName imageName;
    private final Mode mode;
    /** The checked image (PGlite mode only: the other modes run whatever image or server they are given). */
    private final PostgresImage image;
    private String databaseName = DEFAULT_VALUE;
    private String username = DEFAULT_VALUE;
    private String password = DEFAULT_VALUE;
    private final List<String> initScripts = new ArrayList<>();
    private boolean reuse;

    // Running state.
    private PgliteCluster cluster;
    private String containerId;
    private JdbcDatabaseContainer<?> docker;
    private ExternalDatabase external;

    /** A container for {@value #DEFAULT_IMAGE}. */
    public PgliteContainer() {
        this(DEFAULT_IMAGE);
    }

    /**
     * A container for an image name, as {@code new PostgreSQLContainer<>("postgres:18")}.
     *
     * @param dockerImageName {@code postgres:18}, {@code postgres:18.6}, {@code postgres:latest}, ...
     * @throws IllegalArgumentException if this project cannot run that PostgreSQL (the message lists what it can)
     */
    public PgliteContainer(String dockerImageName) {
        this(DockerImageName.parse(dockerImageName));
    }

    /**
     * A container for an image name, as {@code new PostgreSQLContainer<>(DockerImageName.parse("postgres:18"))}.
     *
     * @param dockerImageName the image name
     * @throws IllegalArgumentException if this project cannot run that PostgreSQL (the message lists what it can)
     */
    public PgliteContainer(DockerImageName dockerImageName) {
        // GenericContainer only wraps the name in a lazy RemoteDockerImage here; nothing is resolved or pulled
        // unless Docker mode starts the real container.
        super(Objects.requireNonNull(dockerImageName, "dockerImageName"));
        this.imageName = dockerImageName;
        this.mode = Mode.configured();
        this.image = mode == Mode.PGLITE ? PostgresImage.of(dockerImageName) : null;
        // As PostgreSQLContainer: the command it runs by default, and 5432 as the one exposed port.
        setCommand("postgres", "-c", "fsync=off");
        addExposedPort(POSTGRESQL_PORT);
        super.withEnv("POSTGRES_DB", databaseName);
        super.withEnv("POSTGRES_USER", username);
        super.withEnv("POSTGRES_PASSWORD", password);
    }

    /**
     * The mode this container was created in ({@link Mode#configured()} at construction).
     *
     * @return the mode
     */
    public Mode getMode() {
        return mode;
    }

    // ---------------------------------------------------------------- configuration

    /**
     * The database clients connect to (default {@code test}); created once into a cached template.
     *
     * @param databaseName the name
     * @return this container
     */
    @Override
    public SELF withDatabaseName(String databaseName) {
        this.databaseName = Objects.requireNonNull(databaseName, "databaseName");
        super.withEnv("POSTGRES_DB", databaseName);
        return self();
    }

    /**
     * The superuser clients log in as (default {@code test}).
     *
     * @param username the name
     * @return this container
     */
    @Override
    public SELF withUsername(String username) {
        this.username = Objects.requireNonNull(username, "username");
        super.withEnv("POSTGRES_USER", username);
        return self();
    }

    /**
     * The password clients must give (default {@code test}; SCRAM-SHA-256). Null or empty lets every client in
     * without one.
     *
     * @param password the password
     * @return this container
     */
    @Override
    public SELF withPassword(String password) {
        this.password = password;
        super.withEnv("POSTGRES_PASSWORD", password == null ? "" : password);
        return self();
    }

    /**
     * Sets an environment variable; {@code POSTGRES_DB}, {@code POSTGRES_USER} and {@code POSTGRES_PASSWORD}
     * configure the database as the postgres image does, other variables are only kept (for Docker mode).
     *
     * @param key the variable
     * @param value its value
     * @return this container
     */
    @Override
    public SELF withEnv(String key, String value) {
        switch (key) {
            case "POSTGRES_DB" -> withDatabaseName(value);
            case "POSTGRES_USER" -> withUsername(value);
            case "POSTGRES_PASSWORD" -> withPassword(value);
            default -> super.withEnv(key, value);
        }
        return self();
    }

    /**
     * Sets environment variables, as {@link #withEnv(String, String)} each.
     *
     * @param env the variables
     * @return this container
     */
    @Override
    public SELF withEnv(Map<String, String> env) {
        env.forEach(this::withEnv);
        return self();
    }

    /**
     * Sets one init script (replacing earlier ones), a classpath resource as in Testcontainers.
     *
     * @param initScriptPath the resource path
     * @return this container
     */
    @Override
    public SELF withInitScript(String initScriptPath) {
        return withInitScripts(List.of(initScriptPath));
    }

    /**
     * Sets init scripts (replacing earlier ones), run in order.
     *
     * @param initScriptPaths the resource paths
     * @return this container
     */
    @Override
    public SELF withInitScripts(String... initScriptPaths) {
        return withInitScripts(List.of(initScriptPaths));
    }

    /**
     * Sets init scripts (replacing earlier ones), run in order.
     *
     * @param initScriptPaths the resource paths
     * @return this container
     */
    @Override
    public SELF withInitScripts(Iterable<String> initScriptPaths) {
        initScripts.clear();
        initScriptPaths.forEach(initScripts::add);
        return super.withInitScripts(initScriptPaths);
    }

    /**
     * Adds a parameter to the JDBC URL ({@code ?name=value}).
     *
     * @param paramName the parameter
     * @param paramValue its value
     * @return this container
     */
    @Override
    public SELF withUrlParam(String paramName, String paramValue) {
        return super.withUrlParam(paramName, paramValue);
    }

    /**
     * Sets the server command, for its settings: {@code postgres -c max_connections=42 -c work_mem=64MB}
     * ({@code --name=value}, {@code -N}, {@code -B} and {@code -F} work too). The default, as upstream, is
     * {@code postgres -c fsync=off}.
     *
     * @param cmd the command, split on spaces
     * @return this container
     */
    @Override
    public SELF withCommand(String cmd) {
        return super.withCommand(cmd);
    }

    /**
     * Sets the server command as separate words.
     *
     * @param commandParts the command
     * @return this container
     */
    @Override
    public SELF withCommand(String... commandParts) {
        return super.withCommand(commandParts);
    }

    /**
     * Reuse: containers of this JVM with the same configuration share one running cluster, left running by
     * {@link #stop()} (see the class comment).
     *
     * @param reusable whether to reuse
     * @return this container
     */
    @Override
    public SELF withReuse(boolean reusable) {
        this.reuse = reusable;
        return super.withReuse(reusable);
    }

    // ---------------------------------------------------------------- lifecycle

    /**
     * Starts PostgreSQL (in the JVM, in Docker or on the external server, by {@link #getMode() mode}); does
     * nothing if it is running.
     */
    @Override
    public synchronized void start() {
        if (isRunning()) {
            return;
        }
        long t0 = System.nanoTime();
        // As PostgreSQLContainer.configure(): pgjdbc's java.util.logging stays quiet.
        withUrlParam("loggerLevel", "OFF");
        switch (mode) {
            case PGLITE -> startPglite();
            case DOCKER -> {
                docker = DockerDelegate.create(this);
                docker.start();
            }
            case EXTERNAL -> {
                external = ExternalDatabase.open(this);
                try {
                    runInitScriptIfRequired();
                } catch (RuntimeException e) {
                    external.close();
                    external = null;
                    throw e;
                }
            }
        }
        LOG.info("{} started ({} mode) in {} ms: {}", this, mode.name().toLowerCase(java.util.Locale.ROOT),
                (System.nanoTime() - t0) / 1_000_000, getJdbcUrl());
    }

    private void startPglite() {
        List<String> settings = ServerCommand.settings(getCommandParts());
        List<String> scripts = new ArrayList<>(initScripts.size());
        for (String path : initScripts) {
            scripts.add(InitScripts.load(path));
        }
        if (reuse) {
            List<Object> key = List.of(image.major(), databaseName, username, password == null ? "" : password,
                    settings, scripts.stream().map(io.pglite.cluster.TemplateSetup::sha256).toList());
            cluster = REUSED.compute(key, (k, existing) -> existing != null ? existing : build(settings, scripts));
        } else {
            cluster = build(settings, scripts);
        }
        containerId = "pglite-" + IDS.incrementAndGet();
    }

    private PgliteCluster build(List<String> settings, List<String> scripts) {
        PgliteCluster.Builder b = PgliteCluster.builder().postgresVersion(Integer.toString(image.major()))
                .username(username).database(databaseName);
        if (password != null && !password.isEmpty()) {
            b.password(password);
        }
        for (String s : settings) {
            b.setting(s);
            // The loopback server enforces the connection limit (PostgreSQL runs one session for all).
            if (s.startsWith("max_connections=")) {
                b.maxConnections(Integer.parseInt(s.substring("max_connections=".length()).trim()));
            }
        }
        for (int i = 0; i < scripts.size(); i++) {
            b.setup(InitScripts.setup(initScripts.get(i), scripts.get(i)));
        }
        PgliteCluster c = b.build();
        try {
            c.server();
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /**
     * Stops PostgreSQL: closes the cluster (unless it is reused), stops the Docker container, or drops the
     * database created on the external server. Does nothing if not running.
     */
    @Override
    public synchronized void stop() {
        try {
            if (cluster != null && !reuse) {
                cluster.close();
            }
            if (docker != null) {
                docker.stop();
            }
            if (external != null) {
                external.close();
            }
        } finally {
            cluster = null;
            containerId = null;
            docker = null;
            external = null;
        }
    }

    /** Whether {@link #start()} has run and {@link #stop()} not since. */
    @Override
    public synchronized boolean isRunning() {
        return switch (mode) {
            case PGLITE -> cluster != null;
            case DOCKER -> docker != null && docker.isRunning();
            case EXTERNAL -> external != null;
        };
    }

    /** As {@link #isRunning()}: there is no separate "created" state without Docker. */
    @Override
    public boolean isCreated() {
        return mode == Mode.DOCKER ? docker != null && docker.isCreated() : isRunning();
    }

    /** As {@link #isRunning()}: a started cluster answers queries. */
    @Override
    public boolean isHealthy() {
        return mode == Mode.DOCKER ? docker != null && docker.isHealthy() : isRunning();
    }

    // ---------------------------------------------------------------- connection details

    /** {@code org.postgresql.Driver}. */
    @Override
    public String getDriverClassName() {
        return "org.postgresql.Driver";
    }

    /**
     * {@code jdbc:postgresql://127.0.0.1:<port>/<database>} with the URL parameters.
     *
     * @throws IllegalStateException before {@link #start()}, as upstream
     */
    @Override
    public String getJdbcUrl() {
        if (mode == Mode.DOCKER && docker != null) {
            return docker.getJdbcUrl();
        }
        if (mode == Mode.EXTERNAL && external != null) {
            return external.jdbcUrl(constructUrlParameters("", "&"));
        }
        return "jdbc:postgresql://" + getHost() + ":" + getMappedPort(POSTGRESQL_PORT) + "/" + databaseName
                + constructUrlParameters("?", "&");
    }

    /** The database name ({@code test} by default; in external mode the database created for this start). */
    @Override
    public String getDatabaseName() {
        return external != null ? external.database() : databaseName;
    }

    /** The user name ({@code test} by default; in external mode the external server's user). */
    @Override
    public String getUsername() {
        return external != null ? external.username() : username;
    }

    /** The password ({@code test} by default; in external mode the external server's). */
    @Override
    public String getPassword() {
        return external != null ? external.password() : password;
    }

    /** {@code SELECT 1}. */
    @Override
    public String getTestQueryString() {
        return "SELECT 1";
    }

    /** The server's address, {@code 127.0.0.1} (Docker mode: the Docker host; external: the URL's host). */
    @Override
    public String getHost() {
        if (docker != null) {
            return docker.getHost();
        }
        if (external != null) {
            return external.host();
        }
        return cluster != null ? cluster.server().host() : "127.0.0.1";
    }

    /**
     * The port clients connect to for the container's port 5432.
     *
     * @param originalPort 5432
     * @return the loopback server's port
     * @throws IllegalStateException before {@link #start()}
     * @throws IllegalArgumentException for another port, as upstream
     */
    @Override
    public Integer getMappedPort(int originalPort) {
        if (docker != null) {
            return docker.getMappedPort(originalPort);
        }
        if (!isRunning()) {
            throw new IllegalStateException("Mapped port can only be obtained after the container is started");
        }
        if (originalPort != POSTGRESQL_PORT) {
            throw new IllegalArgumentException("Requested port (" + originalPort + ") is not mapped");
        }
        return external != null ? external.port() : cluster.server().port();
    }

    /** The mapped port of 5432, the only exposed port. */
    @Override
    public Integer getFirstMappedPort() {
        return getMappedPort(POSTGRESQL_PORT);
    }

    /** An id unique in this JVM while running ({@code pglite-<n>}), null when stopped, as upstream. */
    @Override
    public String getContainerId() {
        if (docker != null) {
            return docker.getContainerId();
        }
        return external != null ? external.id() : containerId;
    }

    /** The container id with a leading slash, as Docker names look. */
    @Override
    public String getContainerName() {
        return docker != null ? docker.getContainerName() : "/" + getContainerId();
    }

    /** The image name as given to the constructor (never resolved or pulled). */
    @Override
    public String getDockerImageName() {
        return imageName.asCanonicalNameString();
    }

    /** Empty outside Docker mode: PostgreSQL's messages go to SLF4J (logger {@code io.pglite}). */
    @Override
    public String getLogs() {
        return docker != null ? docker.getLogs() : "";
    }

    /** Empty outside Docker mode, see {@link #getLogs()}. */
    @Override
    public String getLogs(OutputFrame.OutputType... types) {
        return docker != null ? docker.getLogs(types) : "";
    }

    // ---------------------------------------------------------------- Docker-only operations

    /** Only in Docker mode; otherwise there is no container to run commands in. */
    @Override
    public Container.ExecResult execInContainer(String... command) throws java.io.IOException, InterruptedException {
        return dockerOnly("execInContainer").execInContainer(command);
    }

    /** Only in Docker mode; otherwise there is no container to run commands in. */
    @Override
    public Container.ExecResult execInContainer(Charset outputCharset, String... command)
            throws java.io.IOException, InterruptedException {
        return dockerOnly("execInContainer").execInContainer(outputCharset, command);
    }

    /** Only in Docker mode; otherwise there is no container file system. */
    @Override
    public void copyFileToContainer(MountableFile mountableFile, String containerPath) {
        dockerOnly("copyFileToContainer").copyFileToContainer(mountableFile, containerPath);
    }

    /** Only in Docker mode; otherwise there is no container file system. */
    @Override
    public void copyFileToContainer(Transferable transferable, String containerPath) {
        dockerOnly("copyFileToContainer").copyFileToContainer(transferable, containerPath);
    }

    /** Only in Docker mode; otherwise there is no container file system. */
    @Override
    public void copyFileFromContainer(String containerPath, String destinationPath) {
        dockerOnly("copyFileFromContainer").copyFileFromContainer(containerPath, destinationPath);
    }

    private JdbcDatabaseContainer<?> dockerOnly(String operation) {
        if (docker == null) {
            throw new UnsupportedOperationException(operation + " needs a Docker container; PgliteContainer runs"
                    + " PostgreSQL inside the JVM (" + Mode.PROPERTY + "=docker runs the real container)");
        }
        return docker;
    }

    // ---------------------------------------------------------------- for the other modes

    DockerImageName imageName() {
        return imageName;
    }

    String configuredDatabaseName() {
        return databaseName;
    }

    String configuredUsername() {
        return username;
    }

    String configuredPassword() {
        return password;
    }

    List<String> initScriptPaths() {
        return List.copyOf(initScripts);
    }

    Map<String, String> urlParameters() {
        return Map.copyOf(urlParameters);
    }

    boolean reuse() {
        return reuse;
    }

    /** Identity, not GenericContainer's field-by-field equality: two containers are two databases. */
    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    /** Identity, see {@link #equals(Object)} (GenericContainer's would read the lazy Docker client). */
    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }

    @Override
    public String toString() {
        return "PgliteContainer[" + getDockerImageName() + ", database " + databaseName + ", user " + username
                + (containerId != null ? ", " + containerId : "") + "]";
    }
}
