package io.pglite.testcontainers;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/** {@code TC_INITFUNCTION} targets: Testcontainers' driver calls them reflectively, so class and method are public. */
public final class InitFunctions {

    private InitFunctions() {}

    /**
     * Creates and fills an audit table.
     *
     * @param connection the first connection to the new container
     * @throws SQLException on failure
     */
    public static void createAudit(Connection connection) throws SQLException {
        try (Statement s = connection.createStatement()) {
            s.execute("CREATE TABLE audit (at timestamptz DEFAULT now())");
            s.execute("INSERT INTO audit DEFAULT VALUES");
        }
    }
}
