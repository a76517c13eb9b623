package io.pglite.junit5.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.pglite.junit5.PgliteTest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.RepeatedTest;

/** Run by PgliteExtensionTest: Flyway and Liquibase applied once into the template. */
@PgliteTest(database = "bank", flywayLocations = "classpath:db/migration",
        liquibaseChangeLog = "db/changelog/master.sql")
public class MigrationsExample {
    /** When the Flyway migration ran, as each test saw it. */
    public static final Set<String> MIGRATED_AT = ConcurrentHashMap.newKeySet();

    @RepeatedTest(4)
    void startsFromTheMigratedState(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT (SELECT sum(balance) FROM account),"
                    + " (SELECT count(*) FROM flyway_schema_history WHERE success),"
                    + " (SELECT count(*) FROM product), (SELECT count(*) FROM databasechangelog),"
                    + " (SELECT at::text FROM migrated)")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(500);
                assertThat(rs.getInt(2)).isEqualTo(2);
                assertThat(rs.getInt(3)).isEqualTo(2);
                assertThat(rs.getInt(4)).isEqualTo(2);
                MIGRATED_AT.add(rs.getString(5));
            }
            s.execute("UPDATE account SET balance = 0"); // private to this test
        }
    }
}
