package io.pglite.samples.inventory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Stock levels with plain JDBC on a connection the caller owns (and closes). */
public class Inventory {
    private static final Logger LOG = LoggerFactory.getLogger(Inventory.class);

    private final Connection connection;

    public Inventory(Connection connection) {
        this.connection = connection;
    }

    public OptionalInt stock(String sku) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT stock FROM product WHERE sku = ?")) {
            ps.setString(1, sku);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? OptionalInt.of(rs.getInt(1)) : OptionalInt.empty();
            }
        }
    }

    public void receive(String sku, int quantity) throws SQLException {
        update(sku, quantity);
    }

    /**
     * Takes {@code quantity} out of stock; false, and nothing changed, when there is not enough. The check
     * and the change are one statement, so two concurrent callers cannot both take the last item.
     */
    public boolean take(String sku, int quantity) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "UPDATE product SET stock = stock - ? WHERE sku = ? AND stock >= ?")) {
            ps.setInt(1, quantity);
            ps.setString(2, sku);
            ps.setInt(3, quantity);
            boolean taken = ps.executeUpdate() == 1;
            LOG.debug("take {} x {}: {}", quantity, sku, taken ? "done" : "not enough stock");
            return taken;
        }
    }

    public List<String> outOfStock() throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT sku FROM product WHERE stock = 0 ORDER BY sku");
             ResultSet rs = ps.executeQuery()) {
            List<String> skus = new ArrayList<>();
            while (rs.next()) {
                skus.add(rs.getString(1));
            }
            return skus;
        }
    }

    private void update(String sku, int delta) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "UPDATE product SET stock = stock + ? WHERE sku = ?")) {
            ps.setInt(1, delta);
            ps.setString(2, sku);
            if (ps.executeUpdate() != 1) {
                throw new SQLException("no product " + sku);
            }
        }
    }
}
