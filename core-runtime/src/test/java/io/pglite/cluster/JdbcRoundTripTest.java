package io.pglite.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The core suite: PostgreSQL in the JVM, reached by pgjdbc over the loopback server. It runs twice, against a
 * cluster that ran PostgreSQL's start-up and against one restored from a started-backend snapshot, which must
 * behave the same.
 */
class JdbcRoundTripTest {

    /** The suite on a cluster that started PostgreSQL. */
    @Nested
    class Booted extends Cases {
        @Override
        PgliteCluster start() {
            PgliteCluster pg = PgliteCluster.builder().snapshot(false).build();
            assertThat(pg.restoredFromSnapshot()).isFalse();
            return pg;
        }
    }

    /** The suite on a cluster restored from the started-backend snapshot. */
    @Nested
    class Restored extends Cases {
        @Override
        PgliteCluster start() {
            PgliteCluster pg = PgliteCluster.builder().build();
            assertThat(pg.restoredFromSnapshot()).isTrue();
            return pg;
        }
    }

    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    abstract static class Cases {
        private PgliteCluster cluster;

        abstract PgliteCluster start();

        @BeforeAll
        void startCluster() {
            cluster = start();
        }

        @AfterAll
        void stop() {
            if (cluster != null) {
                cluster.close();
            }
        }

        private Connection connect() throws SQLException {
            return DriverManager.getConnection(cluster.jdbcUrl(), "postgres", "");
        }

        @Test
        void reportsPostgres18() throws SQLException {
            try (Connection c = connect(); Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SHOW server_version")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("18.6");
            }
        }

        @Test
        void ddlDmlAndRollback() throws SQLException {
            try (Connection c = connect(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE accounts (id int PRIMARY KEY, owner text NOT NULL, balance numeric)");
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO accounts VALUES (?, ?, ?)")) {
                    for (int i = 1; i <= 20; i++) {
                        ps.setInt(1, i);
                        ps.setString(2, "owner" + i);
                        ps.setBigDecimal(3, new java.math.BigDecimal(i * 10));
                        ps.executeUpdate();
                    }
                }
                assertThat(s.executeUpdate("UPDATE accounts SET balance = balance + 1 WHERE id <= 5")).isEqualTo(5);
                c.setAutoCommit(false);
                s.executeUpdate("DELETE FROM accounts");
                try (ResultSet rs = s.executeQuery("SELECT count(*) FROM accounts")) {
                    rs.next();
                    assertThat(rs.getInt(1)).isZero();
                }
                c.rollback();
                c.setAutoCommit(true);
                try (ResultSet rs = s.executeQuery("SELECT count(*), sum(balance) FROM accounts")) {
                    rs.next();
                    assertThat(rs.getInt(1)).isEqualTo(20);
                    assertThat(rs.getBigDecimal(2)).isEqualByComparingTo("2105");
                }
                s.execute("DROP TABLE accounts");
            }
        }

        @Test
        void plpgsqlFunction() throws SQLException {
            try (Connection c = connect(); Statement s = c.createStatement()) {
                s.execute("""
                        CREATE OR REPLACE FUNCTION fib(n int) RETURNS bigint LANGUAGE plpgsql AS $$
                        DECLARE a bigint := 0; b bigint := 1; t bigint;
                        BEGIN
                          FOR i IN 1..n LOOP t := a + b; a := b; b := t; END LOOP;
                          RETURN a;
                        END $$""");
                try (ResultSet rs = s.executeQuery("SELECT fib(50)")) {
                    rs.next();
                    assertThat(rs.getLong(1)).isEqualTo(12586269025L);
                }
                // An EXCEPTION block catches an error inside PL/pgSQL (setjmp/longjmp inside the side module).
                s.execute("""
                        CREATE OR REPLACE FUNCTION safe_div(a int, b int) RETURNS int LANGUAGE plpgsql AS $$
                        BEGIN RETURN a / b; EXCEPTION WHEN division_by_zero THEN RETURN -1; END $$""");
                try (ResultSet rs = s.executeQuery("SELECT safe_div(10, 2), safe_div(1, 0)")) {
                    rs.next();
                    assertThat(rs.getInt(1)).isEqualTo(5);
                    assertThat(rs.getInt(2)).isEqualTo(-1);
                }
            }
        }

        @Test
        void errorThenRecoveryOnTheSameConnection() throws SQLException {
            try (Connection c = connect(); Statement s = c.createStatement()) {
                assertThatThrownBy(() -> s.executeQuery("SELECT 1/0"))
                        .isInstanceOf(SQLException.class)
                        .hasMessageContaining("division by zero")
                        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("22012"));
                try (ResultSet rs = s.executeQuery("SELECT 40 + 2")) {
                    rs.next();
                    assertThat(rs.getInt(1)).isEqualTo(42);
                }
                assertThatThrownBy(() -> s.execute("SELECT * FROM no_such_table"))
                        .hasMessageContaining("no_such_table");
                try (ResultSet rs = s.executeQuery("SELECT 'still alive'")) {
                    rs.next();
                    assertThat(rs.getString(1)).isEqualTo("still alive");
                }
            }
        }

        @Test
        void largeByteaRoundTrip() throws SQLException {
            byte[] data = new byte[64 * 1024 * 1024];
            new Random(42).nextBytes(data);
            try (Connection c = connect(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE blobs (id int PRIMARY KEY, data bytea)");
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO blobs VALUES (1, ?)")) {
                    ps.setBytes(1, data);
                    ps.executeUpdate();
                }
                try (ResultSet rs = s.executeQuery("SELECT length(data), md5(data) FROM blobs")) {
                    rs.next();
                    assertThat(rs.getInt(1)).isEqualTo(data.length);
                    assertThat(rs.getString(2)).isEqualTo(md5(data));
                }
                try (ResultSet rs = s.executeQuery("SELECT data FROM blobs WHERE id = 1")) {
                    rs.next();
                    assertThat(Arrays.equals(rs.getBytes(1), data)).isTrue();
                }
                s.execute("DROP TABLE blobs");
            }
        }

        private static String md5(byte[] data) {
            try {
                byte[] d = java.security.MessageDigest.getInstance("MD5").digest(data);
                StringBuilder sb = new StringBuilder();
                for (byte b : d) {
                    sb.append(String.format("%02x", b));
                }
                return sb.toString();
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        @Test
        void utf8OutsideTheBmp() throws SQLException {
            String text = "naïve café – 日本語 – 😀🐘 𝄞";
            try (Connection c = connect(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE texts (t text)");
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO texts VALUES (?)")) {
                    ps.setString(1, text);
                    ps.executeUpdate();
                }
                try (ResultSet rs = s.executeQuery("SELECT t, length(t), octet_length(t) FROM texts")) {
                    rs.next();
                    assertThat(rs.getString(1)).isEqualTo(text);
                    assertThat(rs.getInt(2)).isEqualTo(text.codePointCount(0, text.length()));
                    assertThat(rs.getInt(3)).isEqualTo(text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
                }
                try (ResultSet rs = s.executeQuery("SELECT upper('😀ß')")) {
                    rs.next();
                    assertThat(rs.getString(1)).startsWith("😀");
                }
                s.execute("DROP TABLE texts");
            }
        }

        @Test
        void sideModulesForTextSearchAndEncodingConversion() throws SQLException {
            try (Connection c = connect(); Statement s = c.createStatement()) {
                // dict_snowball.so: the english stemmer
                try (ResultSet rs = s.executeQuery("SELECT to_tsvector('english', 'The dogs were running')::text")) {
                    rs.next();
                    assertThat(rs.getString(1)).isEqualTo("'dog':2 'run':4");
                }
                // utf8_and_iso8859_1.so, loaded on demand; pg_utf8_islegal comes from the host
                try (ResultSet rs = s.executeQuery("SELECT convert_to('café', 'LATIN1'), "
                        + "convert_from('\\x636166e9'::bytea, 'LATIN1')")) {
                    rs.next();
                    assertThat(rs.getBytes(1)).containsExactly('c', 'a', 'f', 0xe9);
                    assertThat(rs.getString(2)).isEqualTo("café");
                }
                assertThatThrownBy(() -> s.executeQuery("SELECT convert_to('日本', 'LATIN1')"))
                        .hasMessageContaining("has no equivalent in encoding \"LATIN1\"");
                // A conversion whose helpers this PGlite build lacks is an SQL error and the session goes on.
                assertThatThrownBy(() -> s.executeQuery("SELECT convert_to('€', 'WIN1252')"))
                        .isInstanceOf(SQLException.class)
                        .hasMessageContaining("not available in this PostgreSQL build");
                try (ResultSet rs = s.executeQuery("SELECT 'still here'")) {
                    rs.next();
                    assertThat(rs.getString(1)).isEqualTo("still here");
                }
            }
        }

        @Test
        void timestamptzInTwoTimeZones() throws SQLException {
            try (Connection c = connect(); Statement s = c.createStatement()) {
                s.execute("SET TIME ZONE 'UTC'");
                try (ResultSet rs = s.executeQuery("SELECT '2024-07-01 12:00:00+00'::timestamptz::text")) {
                    rs.next();
                    assertThat(rs.getString(1)).isEqualTo("2024-07-01 12:00:00+00");
                }
                s.execute("SET TIME ZONE 'America/New_York'");
                try (ResultSet rs = s.executeQuery("SELECT '2024-07-01 12:00:00+00'::timestamptz::text, "
                        + "'2024-01-15 12:00:00+00'::timestamptz::text")) {
                    rs.next();
                    assertThat(rs.getString(1)).isEqualTo("2024-07-01 08:00:00-04");
                    assertThat(rs.getString(2)).isEqualTo("2024-01-15 07:00:00-05");
                }
                s.execute("SET TIME ZONE 'Asia/Kolkata'");
                try (ResultSet rs = s.executeQuery("SELECT '2024-07-01 12:00:00+00'::timestamptz::text")) {
                    rs.next();
                    assertThat(rs.getString(1)).isEqualTo("2024-07-01 17:30:00+05:30");
                }
                s.execute("RESET TIME ZONE");
            }
        }
    }
}
