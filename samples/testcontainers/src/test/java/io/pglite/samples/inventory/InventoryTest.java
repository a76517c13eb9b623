package io.pglite.samples.inventory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pglite.testcontainers.PgliteContainer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * A Testcontainers suite as it was written for Docker's {@code PostgreSQLContainer}; moving it to PGlite
 * changed the import and the declaration of the container (see README.md, and {@link UpstreamDiffTest},
 * which compiles this file changed back). One container for the class; each test works in a transaction that
 * is rolled back, so tests see the init script's data and never each other's changes.
 */
@Testcontainers
class InventoryTest {

    @Container
    static PgliteContainer<?> postgres = new PgliteContainer<>("postgres:18").withInitScript("db/schema.sql");

    Connection connection;
    Inventory inventory;

    @BeforeEach
    void begin() throws SQLException {
        connection = postgres.createConnection("");
        connection.setAutoCommit(false);
        inventory = new Inventory(connection);
    }

    @AfterEach
    void rollBack() throws SQLException {
        connection.rollback();
        connection.close();
    }

    @Test
    void theContainerIsPostgres18WithTheUsualTestcontainersDefaults() throws SQLException {
        assertThat(postgres.isRunning()).isTrue();
        assertThat(postgres.getJdbcUrl()).startsWith("jdbc:postgresql://").contains("/test?");
        assertThat(postgres.getDatabaseName()).isEqualTo("test");
        assertThat(postgres.getUsername()).isEqualTo("test");
        try (ResultSet rs = connection.createStatement().executeQuery("SHOW server_version")) {
            rs.next();
            assertThat(rs.getString(1)).startsWith("18.");
        }
    }

    @Test
    void theInitScriptsDataIsThere() throws SQLException {
        assertThat(inventory.stock("KB-01")).hasValue(12);
        assertThat(inventory.stock("nope")).isEmpty();
        assertThat(inventory.outOfStock()).containsExactly("MS-01");
    }

    @Test
    void takingReducesTheStock() throws SQLException {
        assertThat(inventory.take("KB-01", 5)).isTrue();
        assertThat(inventory.stock("KB-01")).hasValue(7);
    }

    @Test
    void takingMoreThanThereIsChangesNothing() throws SQLException {
        assertThat(inventory.take("KB-01", 13)).isFalse();
        assertThat(inventory.stock("KB-01")).hasValue(12);
    }

    @Test
    void receivingRestocks() throws SQLException {
        inventory.receive("MS-01", 3);
        assertThat(inventory.outOfStock()).isEmpty();
    }

    @Test
    void theSchemasCheckConstraintIsEnforced() throws SQLException {
        // a negative delivery below zero violates CHECK (stock >= 0): SQLSTATE 23514 from PostgreSQL
        assertThatThrownBy(() -> inventory.receive("MS-01", -1))
                .isInstanceOf(SQLException.class)
                .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("23514"));
    }
}
