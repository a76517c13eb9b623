package io.pglite.samples.inventory;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/**
 * Testcontainers' JDBC URL form: no container field at all, Testcontainers' {@code jdbc:tc:} driver starts a
 * container for the URL. On Docker the URL named {@code postgresql}; {@code pglite} selects PgliteContainer.
 */
class JdbcUrlTest {

    static final String URL = "jdbc:tc:pglite:18:///inventory?TC_INITSCRIPT=db/schema.sql";

    @Test
    void theJdbcUrlStartsADatabaseWithTheInitScript() throws SQLException {
        try (Connection c = DriverManager.getConnection(URL);
             ResultSet rs = c.createStatement().executeQuery(
                     "SELECT current_database(), current_user, (SELECT count(*) FROM product)")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("inventory");
            assertThat(rs.getString(2)).isEqualTo("test");
            assertThat(rs.getInt(3)).isEqualTo(2);

            Inventory inventory = new Inventory(c);
            assertThat(inventory.take("KB-01", 2)).isTrue();
            assertThat(inventory.stock("KB-01")).hasValue(10);
        }
    }
}
