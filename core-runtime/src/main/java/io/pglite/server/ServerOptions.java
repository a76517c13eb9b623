package io.pglite.server;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Configuration of a {@link PgliteServer}. Immutable; build with {@link #builder()}.
 *
 * <p>Defaults: 127.0.0.1 on a free port, no Unix-domain socket, user and database {@code postgres}, trust
 * authentication, 100 connections, waits of up to 60 s for the shared backend, clients that stop reading for
 * 60 s are disconnected, no idle-in-transaction limit.
 */
public final class ServerOptions {
    private final String host;
    private final int port;
    private final Path unixSocketDirectory;
    private final String username;
    private final String database;
    private final String password;
    private final AuthMethod authMethod;
    private final int maxConnections;
    private final Duration backendWaitTimeout;
    private final Duration idleInTransactionTimeout;
    private final Duration clientWriteTimeout;
    private final Duration authenticationTimeout;
    private final Duration shutdownGrace;
    private final int maxMessageSize;
    private final long inputBufferBudget;

    private ServerOptions(Builder b) {
        this.host = b.host;
        this.port = b.port;
        this.unixSocketDirectory = b.unixSocketDirectory;
        this.username = b.username;
        this.database = b.database;
        this.password = b.password;
        this.authMethod = b.authMethod != null ? b.authMethod
                : b.password == null ? AuthMethod.TRUST : AuthMethod.SCRAM_SHA_256;
        this.maxConnections = b.maxConnections;
        this.backendWaitTimeout = b.backendWaitTimeout;
        this.idleInTransactionTimeout = b.idleInTransactionTimeout;
        this.clientWriteTimeout = b.clientWriteTimeout;
        this.authenticationTimeout = b.authenticationTimeout;
        this.shutdownGrace = b.shutdownGrace;
        this.maxMessageSize = b.maxMessageSize;
        this.inputBufferBudget = b.inputBufferBudget > 0 ? b.inputBufferBudget
                : Math.max(64L << 20, Runtime.getRuntime().maxMemory() / 4);
        if (authMethod != AuthMethod.TRUST && password == null) {
            throw new IllegalArgumentException(authMethod + " authentication needs a password");
        }
    }

    /** Starts with the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these options, to change some. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.host = host;
        b.port = port;
        b.unixSocketDirectory = unixSocketDirectory;
        b.username = username;
        b.database = database;
        b.password = password;
        b.authMethod = authMethod;
        b.maxConnections = maxConnections;
        b.backendWaitTimeout = backendWaitTimeout;
        b.idleInTransactionTimeout = idleInTransactionTimeout;
        b.clientWriteTimeout = clientWriteTimeout;
        b.authenticationTimeout = authenticationTimeout;
        b.shutdownGrace = shutdownGrace;
        b.maxMessageSize = maxMessageSize;
        b.inputBufferBudget = inputBufferBudget;
        return b;
    }

    /** The TCP address to listen on. */
    public String host() {
        return host;
    }

    /** The TCP port, 0 for a free one. */
    public int port() {
        return port;
    }

    /** The directory of the Unix-domain socket {@code .s.PGSQL.<port>}, or null for none. */
    public Path unixSocketDirectory() {
        return unixSocketDirectory;
    }

    /** The user name clients must connect as (the cluster's superuser). */
    public String username() {
        return username;
    }

    /** The database clients connect to. */
    public String database() {
        return database;
    }

    /** The password, or null when the server trusts its clients. */
    public String password() {
        return password;
    }

    /** The authentication method. */
    public AuthMethod authMethod() {
        return authMethod;
    }

    /** The most client connections served at once; more are refused with SQLSTATE 53300. */
    public int maxConnections() {
        return maxConnections;
    }

    /**
     * How long a request waits for the shared backend while another connection holds it (inside a transaction
     * or a running statement) before it fails with SQLSTATE 55P03; zero waits forever.
     */
    public Duration backendWaitTimeout() {
        return backendWaitTimeout;
    }

    /**
     * How long a connection may hold the backend inside a transaction without sending anything before it is
     * disconnected (and its transaction rolled back); zero for no limit.
     */
    public Duration idleInTransactionTimeout() {
        return idleInTransactionTimeout;
    }

    /** How long a write to a client that does not read may block before that client is disconnected. */
    public Duration clientWriteTimeout() {
        return clientWriteTimeout;
    }

    /** How long a client may take from connecting to completing authentication. */
    public Duration authenticationTimeout() {
        return authenticationTimeout;
    }

    /** How long {@link PgliteServer#close()} lets in-flight work finish before it cancels and disconnects. */
    public Duration shutdownGrace() {
        return shutdownGrace;
    }

    /** The largest Query, Parse, Bind, FunctionCall or CopyData message accepted, in bytes. */
    public int maxMessageSize() {
        return maxMessageSize;
    }

    /** The bytes all connections together may hold in input buffers beyond their initial 16 KB each. */
    public long inputBufferBudget() {
        return inputBufferBudget;
    }

    /** Builds {@link ServerOptions}. */
    public static final class Builder {
        private String host = "127.0.0.1";
        private int port;
        private Path unixSocketDirectory;
        private String username = "postgres";
        private String database = "postgres";
        private String password;
        private AuthMethod authMethod;
        private int maxConnections = 100;
        private Duration backendWaitTimeout = Duration.ofSeconds(60);
        private Duration idleInTransactionTimeout = Duration.ZERO;
        private Duration clientWriteTimeout = Duration.ofSeconds(60);
        private Duration authenticationTimeout = Duration.ofSeconds(60);
        private Duration shutdownGrace = Duration.ofSeconds(10);
        private int maxMessageSize = (1 << 30) - 1;
        private long inputBufferBudget;

        private Builder() {}

        /** The TCP address to listen on (a loopback address; default 127.0.0.1). */
        public Builder host(String host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        /** The TCP port (default 0: a free one). */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
            this.port = port;
            return this;
        }

        /** Also listens on the Unix-domain socket {@code dir/.s.PGSQL.<port>} ({@code psql -h dir}). */
        public Builder unixSocketDirectory(Path dir) {
            this.unixSocketDirectory = dir;
            return this;
        }

        /** The user name clients connect as (default {@code postgres}). */
        public Builder username(String username) {
            this.username = Objects.requireNonNull(username, "username");
            return this;
        }

        /** The database clients connect to (default {@code postgres}). */
        public Builder database(String database) {
            this.database = Objects.requireNonNull(database, "database");
            return this;
        }

        /** Requires this password (SCRAM-SHA-256 unless {@link #authMethod(AuthMethod)} says otherwise). */
        public Builder password(String password) {
            this.password = password;
            return this;
        }

        /** The authentication method (default: trust without a password, SCRAM-SHA-256 with one). */
        public Builder authMethod(AuthMethod method) {
            this.authMethod = method;
            return this;
        }

        /** The most concurrent client connections (default 100). */
        public Builder maxConnections(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxConnections must be at least 1");
            }
            this.maxConnections = max;
            return this;
        }

        /** See {@link ServerOptions#backendWaitTimeout()} (default 60 s; zero waits forever). */
        public Builder backendWaitTimeout(Duration d) {
            this.backendWaitTimeout = nonNegative(d);
            return this;
        }

        /** See {@link ServerOptions#idleInTransactionTimeout()} (default zero: no limit). */
        public Builder idleInTransactionTimeout(Duration d) {
            this.idleInTransactionTimeout = nonNegative(d);
            return this;
        }

        /** See {@link ServerOptions#clientWriteTimeout()} (default 60 s). */
        public Builder clientWriteTimeout(Duration d) {
            this.clientWriteTimeout = positive(d);
            return this;
        }

        /** See {@link ServerOptions#authenticationTimeout()} (default 60 s). */
        public Builder authenticationTimeout(Duration d) {
            this.authenticationTimeout = positive(d);
            return this;
        }

        /** See {@link ServerOptions#shutdownGrace()} (default 10 s). */
        public Builder shutdownGrace(Duration d) {
            this.shutdownGrace = nonNegative(d);
            return this;
        }

        /** See {@link ServerOptions#maxMessageSize()} (default 1 GB - 1, PostgreSQL's limit). */
        public Builder maxMessageSize(int bytes) {
            if (bytes < 10_000) {
                throw new IllegalArgumentException("maxMessageSize must be at least 10000 bytes");
            }
            this.maxMessageSize = bytes;
            return this;
        }

        /** See {@link ServerOptions#inputBufferBudget()} (default a quarter of the JVM's maximum heap). */
        public Builder inputBufferBudget(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("inputBufferBudget must be positive");
            }
            this.inputBufferBudget = bytes;
            return this;
        }

        /** The options. */
        public ServerOptions build() {
            return new ServerOptions(this);
        }

        private static Duration nonNegative(Duration d) {
            if (d == null || d.isNegative()) {
                throw new IllegalArgumentException("a duration must be zero or positive");
            }
            return d;
        }

        private static Duration positive(Duration d) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("a duration must be positive");
            }
            return d;
        }
    }
}
