package io.pglite.spock;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pglite.cluster.PgliteCluster;
import io.pglite.junit5.ClusterSpec;
import io.pglite.server.PgliteServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * A cluster with what was handed out from it (the pool, the connections), closed together: connections first,
 * then the pool, then the cluster. The JUnit module has its own equivalent bound to JUnit's store; this one is
 * bound to Spock's interceptors.
 */
final class ClusterHandle implements AutoCloseable {
    private final ClusterSpec spec;
    private final PgliteCluster cluster;
    private final List<Connection> connections = new ArrayList<>();
    private HikariDataSource dataSource;
    private boolean closed;
    private boolean kept;
    private volatile boolean failed;

    ClusterHandle(ClusterSpec spec) {
        this.spec = spec;
        this.cluster = spec.start();
    }

    PgliteCluster cluster() {
        return cluster;
    }

    String jdbcUrl() {
        return cluster.jdbcUrl();
    }

    synchronized HikariDataSource dataSource() {
        if (dataSource == null) {
            HikariConfig c = new HikariConfig();
            c.setJdbcUrl(cluster.jdbcUrl());
            c.setUsername(cluster.username());
            c.setPassword(cluster.password());
            c.setMaximumPoolSize(spec.poolSize());
            c.setMinimumIdle(0); // connections are opened when the feature needs them
            c.setPoolName("pglite-" + cluster.server().port());
            dataSource = new HikariDataSource(c);
        }
        return dataSource;
    }

    synchronized Connection newConnection() throws SQLException {
        Connection c = DriverManager.getConnection(cluster.jdbcUrl(), cluster.username(),
                cluster.password() == null ? "" : cluster.password());
        connections.add(c);
        return c;
    }

    /** Records that a feature (or fixture method) using this cluster failed. */
    void markFailed() {
        failed = true;
    }

    boolean failed() {
        return failed;
    }

    /** The URL and a psql command line for a person looking at the cluster. */
    String describe() {
        PgliteServer s = cluster.server();
        String password = cluster.password() == null ? "" : ":" + cluster.password();
        return "JDBC URL " + cluster.jdbcUrl() + " (user " + cluster.username()
                + (cluster.password() == null ? "" : ", password " + cluster.password()) + "); psql \"postgresql://"
                + cluster.username() + password + "@" + s.host() + ":" + s.port() + "/" + cluster.database() + "\"";
    }

    /** Marks the cluster as kept: {@link #close()} then closes only the connections handed out. */
    synchronized void keep() {
        kept = true;
    }

    /** Closes the cluster even if it was kept (the end of the Spock run). */
    synchronized void release() {
        kept = false;
        close();
    }

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
