package io.pglite.testcontainers;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.testcontainers.containers.JdbcDatabaseContainer;

/**
 * Query helpers for the tests. Kept out of the test classes: calling a static method of a test class initialises
 * it, and a container in a static field is created (and its {@link Mode} read) at that moment.
 */
public final class Sql {

    private Sql() {}

    /** Runs a query returning one number through {@code createConnection}. */
    public static long count(JdbcDatabaseContainer<?> db, String sql) throws SQLException {
        try (Connection c = db.createConnection(""); ResultSet rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
