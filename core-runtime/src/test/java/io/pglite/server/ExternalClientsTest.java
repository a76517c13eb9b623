package io.pglite.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.pglite.cluster.PgliteCluster;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's psql and Python's psycopg2 (package python3-psycopg2) against the server, with SCRAM-SHA-256,
 * over TCP and the Unix-domain socket. Both programs must be installed ({@code .ci/run} installs them).
 */
class ExternalClientsTest {
    private static final String PSQL = "/usr/bin/psql";
    private static final String PYTHON = "/usr/bin/python3";
    private static final String PASSWORD = "pw-for-clients";

    @TempDir
    static Path dir;
    private static PgliteCluster cluster;
    private static PgliteServer server;

    @BeforeAll
    static void start() {
        cluster = PgliteCluster.builder().password(PASSWORD).build();
        server = cluster.startServer(cluster.serverOptions().unixSocketDirectory(dir.resolve("sockets")).build());
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private record Result(int exit, String out) {}

    private static Result run(Path workDir, Map<String, String> env, String... command)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        pb.environment().put("LANG", "C.UTF-8");
        pb.environment().remove("PGSERVICE");
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] out;
        try (InputStream in = p.getInputStream()) {
            out = in.readAllBytes();
        }
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the client finishes").isTrue();
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    @Test
    void psqlRunsAScriptedSessionOverTheUnixSocket() throws Exception {
        Path work = Files.createDirectories(dir.resolve("psql"));
        StringBuilder csv = new StringBuilder();
        for (int i = 1; i <= 200; i++) {
            csv.append(i).append(",person ").append(i).append(',').append(i % 3 == 0 ? "" : "note " + i).append('\n');
        }
        Files.writeString(work.resolve("in.csv"), csv.toString());
        Files.writeString(work.resolve("session.sql"), String.join("\n",
                "CREATE TABLE people (id int PRIMARY KEY, name text NOT NULL, note text);",
                "CREATE INDEX people_name ON people (name);",
                "\\copy people FROM 'in.csv' WITH (FORMAT csv)",
                "SELECT count(*) AS loaded FROM people;",
                "\\d people",
                "SELECT * FROM no_such_table;",
                "SELECT 'recovered' AS status;",
                "BEGIN;",
                "INSERT INTO people VALUES (1000, 'temporary', NULL);",
                "SELECT 1/0;",
                "ROLLBACK;",
                "\\copy (SELECT * FROM people ORDER BY id) TO 'out.csv' WITH (FORMAT csv)",
                "SELECT count(*) AS final FROM people;",
                ""));
        List<String> cmd = new ArrayList<>(List.of(PSQL, "-X", "-v", "ON_ERROR_STOP=0",
                "-h", server.unixSocket().getParent().toString(), "-p", String.valueOf(server.port()),
                "-U", "postgres", "-d", "postgres", "-f", "session.sql"));
        Result r = run(work, Map.of("PGPASSWORD", PASSWORD), cmd.toArray(new String[0]));
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(r.out())
                .contains("CREATE TABLE")
                .contains("COPY 200")
                .contains(" loaded \n--------\n    200\n")
                .contains("Table \"public.people\"")
                .contains(" id     | integer |           | not null |")
                .contains("\"people_pkey\" PRIMARY KEY, btree (id)")
                .contains("\"people_name\" btree (name)")
                .contains("ERROR:  relation \"no_such_table\" does not exist")
                .contains(" recovered\n")
                .contains("ERROR:  division by zero")
                .contains("ROLLBACK")
                .contains(" final \n-------\n   200\n");
        assertThat(Files.readString(work.resolve("out.csv"))).isEqualTo(csv.toString());
    }

    @Test
    void psqlOverTcpWithAWrongPasswordGetsThePostgresError() throws Exception {
        Result r = run(dir, Map.of("PGPASSWORD", "wrong"), PSQL, "-X", "-h", server.host(), "-p",
                String.valueOf(server.port()), "-U", "postgres", "-d", "postgres", "-c", "SELECT 1");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.out()).contains("password authentication failed for user \"postgres\"");
    }

    @Test
    void psycopg2RunsQueriesAndCopy() throws Exception {
        Path script = dir.resolve("psycopg2_session.py");
        try (InputStream in = ExternalClientsTest.class.getResourceAsStream("psycopg2_session.py")) {
            Files.write(script, in.readAllBytes());
        }
        String dsn = "host=" + server.host() + " port=" + server.port() + " dbname=postgres user=postgres password="
                + PASSWORD;
        Result r = run(dir, Map.of(), PYTHON, script.toString(), dsn);
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(r.out()).contains("ok copy from stdin").contains("ok named cursor").endsWith("ALL OK\n");
    }
}
