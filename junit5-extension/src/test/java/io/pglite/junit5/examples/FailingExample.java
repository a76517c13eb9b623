package io.pglite.junit5.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.pglite.junit5.JdbcUrl;
import io.pglite.junit5.PgliteTest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Run by PgliteExtensionTest: a failing test, whose cluster may be kept for inspection. */
@PgliteTest(initScripts = "schema.sql")
public class FailingExample {
    /** The failed test's URL, and what an inspector saw there after the test (null if unreachable). */
    public static volatile String failedUrl;
    public static volatile String inspected;

    @Test
    void fails(Connection c, @JdbcUrl String url) throws SQLException {
        failedUrl = url;
        try (Statement s = c.createStatement()) {
            s.execute("INSERT INTO note (body) VALUES ('evidence')");
        }
        assertThat(1 + 1).as("on purpose").isEqualTo(3);
    }

    @AfterAll
    static void inspect() {
        inspected = null;
        try (Connection c = DriverManager.getConnection(failedUrl, "postgres", "");
                ResultSet rs = c.createStatement().executeQuery("SELECT body FROM note")) {
            rs.next();
            inspected = rs.getString(1);
        } catch (SQLException e) {
            inspected = null; // closed with its test, as it should be unless kept
        }
    }
}
