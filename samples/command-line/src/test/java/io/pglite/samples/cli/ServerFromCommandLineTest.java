package io.pglite.samples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PostgreSQL server of {@code pglite-server.jar} as a separate process: pgjdbc in this JVM and Debian's
 * psql talk to it over TCP, SIGTERM stops it cleanly, and with {@code --data-dir} its data outlives it.
 */
class ServerFromCommandLineTest {

    /** Debian's psql (package postgresql-client, which .ci/run installs). Missing psql fails the test. */
    static final Path PSQL = Path.of("/usr/bin/psql");

    @TempDir
    Path tmp;

    @Test
    void pgjdbcAndPsqlShareTheServerAndSigtermStopsItWithExitCode0() throws Exception {
        try (PgliteServerProcess server = PgliteServerProcess.start(tmp.resolve("server.log"),
                "--port", "0", "--database", "shop")) {
            assertThat(server.jdbcUrl).matches("jdbc:postgresql://127\\.0\\.0\\.1:\\d+/shop\\?user=postgres");
            assertThat(server.uri).matches("postgresql://postgres@127\\.0\\.0\\.1:\\d+/shop");

            try (Connection c = DriverManager.getConnection(server.jdbcUrl);
                 Statement s = c.createStatement()) {
                s.execute("CREATE TABLE item (id int PRIMARY KEY, name text NOT NULL)");
                s.execute("INSERT INTO item VALUES (1, 'from pgjdbc')");

                // psql connects while the pgjdbc connection stays open: the server serves both
                assertThat(psql(server.uri, "INSERT INTO item VALUES (2, 'from psql') RETURNING id")).isEqualTo("2");
                // psql's \d runs its catalog queries (-At prints one column per line, without the title)
                assertThat(psql(server.uri, "\\d item").lines())
                        .containsExactly("id|integer||not null|", "name|text||not null|");
                assertThat(psql(server.uri, "SELECT current_database() || ' ' || split_part(version(), ' ', 2)"))
                        .startsWith("shop 18.");

                try (ResultSet rs = s.executeQuery("SELECT string_agg(name, ', ' ORDER BY id) FROM item")) {
                    rs.next();
                    assertThat(rs.getString(1)).isEqualTo("from pgjdbc, from psql");
                }
            }

            assertThat(server.stop()).as("exit code after SIGTERM; log:\n%s", server.log()).isZero();
        }
    }

    @Test
    void withDataDirTheDataSurvivesARestart() throws Exception {
        Path dataDir = tmp.resolve("pgdata");
        try (PgliteServerProcess first = PgliteServerProcess.start(tmp.resolve("first.log"),
                "--data-dir", dataDir.toString())) {
            try (Connection c = DriverManager.getConnection(first.jdbcUrl);
                 Statement s = c.createStatement()) {
                s.execute("CREATE TABLE note (id serial PRIMARY KEY, body text NOT NULL)");
                s.execute("INSERT INTO note (body) VALUES ('written before the restart')");
            }
            // SIGTERM: the server checkpoints and releases the directory's lock before exiting
            assertThat(first.stop()).as("exit code; log:\n%s", first.log()).isZero();
        }

        try (PgliteServerProcess second = PgliteServerProcess.start(tmp.resolve("second.log"),
                "--data-dir", dataDir.toString())) {
            assertThat(psql(second.uri, "SELECT body FROM note")).isEqualTo("written before the restart");
            try (Connection c = DriverManager.getConnection(second.jdbcUrl);
                 Statement s = c.createStatement()) {
                // the sequence continued too: the row of the first run had id 1
                s.execute("INSERT INTO note (body) VALUES ('after')");
                try (ResultSet rs = s.executeQuery("SELECT max(id) FROM note")) {
                    rs.next();
                    assertThat(rs.getInt(1)).isEqualTo(2);
                }
            }
            assertThat(second.stop()).as("exit code; log:\n%s", second.log()).isZero();
        }
    }

    /**
     * {@code psql URI -X -q -At -c SQL}: no psqlrc, quiet (no command tags), unaligned, tuples only; any error
     * fails the test (ON_ERROR_STOP, exit code).
     */
    static String psql(String uri, String sql) throws Exception {
        assertThat(PSQL).as("psql is needed (Debian: apt-get install postgresql-client)").isExecutable();
        List<String> command = new ArrayList<>(List.of(PSQL.toString(), uri, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
                "-c", sql));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        // read everything before waiting, so that a long output cannot fill the pipe and block psql
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("psql finished").isTrue();
        assertThat(p.exitValue()).as("psql exit code; output:\n%s", out).isZero();
        return out;
    }
}
