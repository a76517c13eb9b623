package io.pglite.pg17;

import static org.assertj.core.api.Assertions.assertThat;

import io.pglite.cluster.PgliteCluster;
import io.pglite.distribution.Distribution;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** PostgreSQL 17 runs: initdb, start, queries through pgjdbc, and a restart from the snapshot. */
class Pg17ClusterTest {

    @Test
    void versionSeventeenIsFoundAndIsPostgres175() {
        Distribution d = Distribution.forVersion("17");
        assertThat(d.postgresVersion()).isEqualTo("17.5");
        assertThat(d.npmVersion()).isEqualTo("0.4.5");
        assertThat(Distribution.forVersion("17.5")).isSameAs(d);
        assertThat(Distribution.available()).containsKeys(17, 18);
        assertThat(Distribution.forVersion("")).isSameAs(Distribution.pg18());
        assertThat(d.extensionNames()).contains("vector", "pg_uuidv7", "pgtap");
    }

    @Test
    void selectVersionReports175() throws Exception {
        for (int round = 0; round < 2; round++) { // the second cluster starts from the template and snapshot
            try (PgliteCluster pg = PgliteCluster.builder().postgresVersion("17").build();
                    Connection c = DriverManager.getConnection(pg.jdbcUrl(), "postgres", "");
                    Statement s = c.createStatement()) {
                try (ResultSet rs = s.executeQuery("SELECT version(), current_setting('server_version_num')")) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getString(1)).startsWith("PostgreSQL 17.5");
                    assertThat(rs.getString(2)).isEqualTo("170005");
                }
                s.execute("CREATE TABLE t (id int PRIMARY KEY, name text)");
                s.execute("INSERT INTO t SELECT g, 'n' || g FROM generate_series(1, 1000) g");
                try (ResultSet rs = s.executeQuery("SELECT count(*), sum(id) FROM t WHERE name LIKE 'n1%'")) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getLong(1)).isEqualTo(112);
                }
                // plpgsql is a side module loaded with dlopen (initdb installs it).
                s.execute("DO $$ BEGIN PERFORM 1; END $$");
                // An error unwinds through longjmp and the session goes on.
                assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> s.execute("SELECT 1/0")))
                        .hasMessageContaining("division by zero");
                try (ResultSet rs = s.executeQuery("SELECT 2")) {
                    assertThat(rs.next()).isTrue();
                }
            }
        }
    }

    @Test
    void anExtendedProtocolErrorIsAnsweredWithOneReadyForQuery() throws Exception {
        // PGlite 0.4.5 itself sends ErrorResponse, ReadyForQuery, ReadyForQuery; the host passes one.
        try (PgliteCluster pg = PgliteCluster.builder().postgresVersion("17").build()) {
            assertThat(answer(pg, "SELECT 1")).isEqualTo("12TDCZ");
            assertThat(answer(pg, "SELECT 1/0")).isEqualTo("1EZ");
            assertThat(answer(pg, "SELECT 2")).isEqualTo("12TDCZ");
        }
    }

    /** The message types the backend answers Parse, Bind, Describe, Execute, Sync of {@code sql} with. */
    private static String answer(PgliteCluster pg, String sql) throws Exception {
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        ByteArrayOutputStream parse = new ByteArrayOutputStream();
        parse.write(0);
        parse.writeBytes(sql.getBytes(StandardCharsets.UTF_8));
        parse.write(new byte[] {0, 0, 0});
        message(in, 'P', parse.toByteArray());
        message(in, 'B', new byte[8]);
        message(in, 'D', new byte[] {'P', 0});
        message(in, 'E', new byte[5]);
        message(in, 'S', new byte[0]);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] bytes = in.toByteArray();
        pg.backend().exchange(bytes, 0, bytes.length, out);
        byte[] b = out.toByteArray();
        StringBuilder types = new StringBuilder();
        for (int i = 0; i + 5 <= b.length; ) {
            types.append((char) b[i]);
            i += 1 + (((b[i + 1] & 255) << 24) | ((b[i + 2] & 255) << 16) | ((b[i + 3] & 255) << 8) | (b[i + 4] & 255));
        }
        return types.toString();
    }

    private static void message(ByteArrayOutputStream o, char type, byte[] body) {
        o.write(type);
        int n = body.length + 4;
        o.write(new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n}, 0, 4);
        o.writeBytes(body);
    }
}
