package io.pglite.junit5;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pglite.cluster.PgliteCluster;
import io.pglite.server.PgliteServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A test's cluster with what was handed out from it: a HikariCP pool and connections, closed together
 * (connections first, then the pool, then the cluster). Shared by the test-framework integrations: JUnit keeps
 * it in an {@link ExtensionContext.Store} (which closes it with the context that owns it), Spock's extension
 * in its interceptors.
 */
@SuppressWarnings("deprecation") // CloseableResource: what JUnit 5.10-5.12 close; 5.13+ also close AutoCloseable
public final class ClusterHandle implements ExtensionContext.Store.CloseableResource, AutoCloseable {
    private final ClusterSpec spec;
    private final PgliteCluster cluster;
    private final List<Connection> connections = new ArrayList<>();
    private HikariDataSource dataSource;
    private boolean closed;
    private boolean kept;
    private volatile boolean failed;

    /**
     * Starts a cluster.
     *
     * @param spec what to start
     */
    public ClusterHandle(ClusterSpec spec) {
        this.spec = spec;
        this.cluster = spec.start();
    }

    /**
     * The cluster.
     *
     * @return the running cluster
     */
    public PgliteCluster cluster() {
        return cluster;
    }

    /**
     * The cluster's JDBC URL (its server is started on first use).
     *
     * @return {@code jdbc:postgresql://127.0.0.1:port/database}
     */
    public String jdbcUrl() {
        return cluster.jdbcUrl();
    }

    /**
     * A HikariCP pool on the cluster (created on first use, at most {@link ClusterSpec#poolSize()} connections).
     *
     * @return the pool
     */
    public synchronized HikariDataSource dataSource() {
        if (dataSource == null) {
            HikariConfig c = new HikariConfig();
            c.setJdbcUrl(cluster.jdbcUrl());
            c.setUsername(cluster.username());
            c.setPassword(cluster.password());
            c.setMaximumPoolSize(spec.poolSize());
            c.setMinimumIdle(0); // connections are opened when the test needs them
            c.setPoolName("pglite-" + cluster.server().port());
            dataSource = new HikariDataSource(c);
        }
        return dataSource;
    }

    /**
     * A new pgjdbc connection, closed with this handle.
     *
     * @return the connection
     * @throws SQLException if it cannot connect
     */
    public synchronized Connection newConnection() throws SQLException {
        Connection c = DriverManager.getConnection(cluster.jdbcUrl(), cluster.username(),
                cluster.password() == null ? "" : cluster.password());
        connections.add(c);
        return c;
    }

    /**
     * The URL and a psql command line, for a person looking at the cluster (failure reports).
     *
     * @return a one-line description
     */
    public String describe() {
        PgliteServer s = cluster.server();
        String password = cluster.password() == null ? "" : ":" + cluster.password();
        return "JDBC URL " + cluster.jdbcUrl() + " (user " + cluster.username()
                + (cluster.password() == null ? "" : ", password " + cluster.password()) + "); psql \"postgresql://"
                + cluster.username() + password + "@" + s.host() + ":" + s.port() + "/" + cluster.database() + "\"";
    }

    /** Records that a test (or fixture method) using this cluster failed. */
    public void markFailed() {
        failed = true;
    }

    /**
     * Whether {@link #markFailed()} was called.
     *
     * @return true if a test using the cluster failed
     */
    public boolean failed() {
        return failed;
    }

    /** Marks the cluster as kept for inspection: {@link #close()} then closes only the connections handed out. */
    public synchronized void keep() {
        kept = true;
    }

    /** Closes the cluster even if it was kept (the end of the test run). */
    public synchronized void release() {
        kept = false;
        close();
    }

    /** Closes the connections, the pool and the cluster (only the connections if the cluster is kept). */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        for (Connection c : connections) {
            try {
                c.close();
            } catch (SQLException e) {
                // the connection is gone either way
            }
        }
        connections.clear();
        if (kept) {
            return;
        }
        closed = true;
        try {
            if (dataSource != null) {
                dataSource.close();
            }
        } finally {
            cluster.close();
        }
    }
}
