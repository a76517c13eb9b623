package io.pglite.samples.accounts;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Accounts and transfers with plain JDBC over any {@link DataSource} (HikariCP in production and tests). */
public class AccountRepository {
    private static final Logger LOG = LoggerFactory.getLogger(AccountRepository.class);

    /** PostgreSQL's SQLSTATE for a violated CHECK constraint. */
    private static final String CHECK_VIOLATION = "23514";

    private final DataSource dataSource;

    public AccountRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public Account open(String owner, long initialBalance) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement(
                     "INSERT INTO account (owner, balance) VALUES (?, ?) RETURNING id")) {
            ps.setString(1, owner);
            ps.setLong(2, initialBalance);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new Account(rs.getLong(1), owner, initialBalance);
            }
        }
    }

    public Optional<Account> findByOwner(String owner) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT id, owner, balance FROM account WHERE owner = ?")) {
            ps.setString(1, owner);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(map(rs)) : Optional.empty();
            }
        }
    }

    public List<Account> findAll() throws SQLException {
        try (Connection c = dataSource.getConnection();
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT id, owner, balance FROM account ORDER BY id")) {
            List<Account> all = new ArrayList<>();
            while (rs.next()) {
                all.add(map(rs));
            }
            return all;
        }
    }

    /**
     * Moves {@code amount} from one account to the other and records the transfer, all or nothing: the two
     * updates and the insert share one transaction, so a failed step (the CHECK on the balance) leaves both
     * balances as they were.
     */
    public void transfer(String from, String to, long amount) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                long fromId = move(c, from, -amount);
                long toId = move(c, to, amount);
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO transfer (from_id, to_id, amount) VALUES (?, ?, ?)")) {
                    ps.setLong(1, fromId);
                    ps.setLong(2, toId);
                    ps.setLong(3, amount);
                    ps.executeUpdate();
                }
                c.commit();
                LOG.debug("transferred {} from {} to {}", amount, from, to);
            } catch (SQLException e) {
                c.rollback();
                if (CHECK_VIOLATION.equals(e.getSQLState())) {
                    throw new InsufficientFundsException(from, amount);
                }
                throw e;
            } finally {
                // the pool hands this connection to the next caller: give it back as it came
                c.setAutoCommit(true);
            }
        }
    }

    public long transferCount() throws SQLException {
        try (Connection c = dataSource.getConnection();
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM transfer")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static long move(Connection c, String owner, long delta) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE account SET balance = balance + ? WHERE owner = ? RETURNING id")) {
            ps.setLong(1, delta);
            ps.setString(2, owner);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("no account for " + owner, "P0002");
                }
                return rs.getLong(1);
            }
        }
    }

    private static Account map(ResultSet rs) throws SQLException {
        return new Account(rs.getLong("id"), rs.getString("owner"), rs.getLong("balance"));
    }
}
