package io.pglite.samples.accounts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.pglite.junit5.PgliteResource;
import io.pglite.junit5.PgliteTest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Repository tests against real PostgreSQL 18. The application's own Flyway migrations
 * ({@code src/main/resources/db/migration}) run once into a cached template; every test method then gets a
 * fresh cluster restored from it, so tests may change data freely and never see each other's rows.
 */
@PgliteTest(flywayLocations = "classpath:db/migration")
class AccountRepositoryTest {

    /** A HikariCP pool on this test's cluster, injected by the extension. */
    @PgliteResource
    DataSource dataSource;

    AccountRepository accounts;

    @BeforeEach
    void setUp() {
        accounts = new AccountRepository(dataSource);
    }

    @Test
    void everyTestStartsFromTheMigratedSchemaWithItsReferenceData() throws Exception {
        assertThat(dataSource).isInstanceOf(HikariDataSource.class);
        assertThat(accounts.findAll()).extracting(Account::owner).containsExactly("bank");
        assertThat(accounts.transferCount()).isZero();
        try (Connection c = dataSource.getConnection();
             ResultSet rs = c.createStatement().executeQuery(
                     "SELECT version, success FROM flyway_schema_history WHERE version IS NOT NULL ORDER BY installed_rank")) {
            List<String> versions = new ArrayList<>();
            while (rs.next()) {
                assertThat(rs.getBoolean("success")).isTrue();
                versions.add(rs.getString("version"));
            }
            assertThat(versions).containsExactly("1", "2");
        }
    }

    @Test
    void opensAndFindsAnAccount() throws Exception {
        Account alice = accounts.open("alice", 500);

        assertThat(accounts.findByOwner("alice")).contains(alice);
        assertThat(accounts.findByOwner("nobody")).isEmpty();
    }

    @Test
    void ownersAreUnique() throws Exception {
        accounts.open("alice", 0);

        // the UNIQUE constraint of V1 is enforced by PostgreSQL itself
        assertThatThrownBy(() -> accounts.open("alice", 0))
                .hasMessageContaining("duplicate key value violates unique constraint");
    }

    @Test
    void transferMovesMoneyAndRecordsIt() throws Exception {
        accounts.open("alice", 500);
        accounts.open("bob", 0);

        accounts.transfer("alice", "bob", 200);

        assertThat(accounts.findByOwner("alice")).map(Account::balance).contains(300L);
        assertThat(accounts.findByOwner("bob")).map(Account::balance).contains(200L);
        assertThat(accounts.transferCount()).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(longs = {501, 10_000})
    void anOverdraftIsRefusedAndRolledBack(long amount) throws Exception {
        accounts.open("alice", 500);
        accounts.open("bob", 0);

        // the debit fails the CHECK (balance >= 0) of V1 inside the transaction, which is rolled back: no
        // half-done transfer stays behind
        assertThatThrownBy(() -> accounts.transfer("alice", "bob", amount))
                .isInstanceOf(InsufficientFundsException.class);

        assertThat(accounts.findByOwner("alice")).map(Account::balance).contains(500L);
        assertThat(accounts.findByOwner("bob")).map(Account::balance).contains(0L);
        assertThat(accounts.transferCount()).isZero();
    }

    @Test
    void concurrentTransfersThroughThePoolLoseNoUpdate() throws Exception {
        accounts.open("alice", 0);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                done.add(pool.submit(() -> {
                    accounts.transfer("bank", "alice", 25);
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(accounts.findByOwner("alice")).map(Account::balance).contains(1000L);
        assertThat(accounts.findByOwner("bank")).map(Account::balance).contains(1_000_000L - 1000L);
        assertThat(accounts.transferCount()).isEqualTo(40);
    }
}
