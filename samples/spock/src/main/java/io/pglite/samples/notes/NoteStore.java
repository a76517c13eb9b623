package io.pglite.samples.notes;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/** Notes with tags, in PostgreSQL: the application code the specifications test. */
public final class NoteStore {
    private final DataSource dataSource;

    public NoteStore(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Saves a note and returns its id. */
    public long add(String body, String... tags) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("INSERT INTO note (body, tags) VALUES (?, ?) RETURNING id")) {
            ps.setString(1, body);
            ps.setArray(2, c.createArrayOf("text", tags));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Bodies of the notes carrying a tag, oldest first. */
    public List<String> tagged(String tag) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT body FROM note WHERE tags @> ARRAY[?::text] ORDER BY id")) {
            ps.setString(1, tag);
            List<String> bodies = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    bodies.add(rs.getString(1));
                }
            }
            return bodies;
        }
    }

    /** Notes whose body matches a full-text query (English stemming). */
    public long search(String query) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT count(*) FROM note WHERE to_tsvector('english', body) @@ plainto_tsquery('english', ?)")) {
            ps.setString(1, query);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
