package io.pglite.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command-line server in its own JVM: prints its URLs, requires the password, and on SIGTERM lets the
 * running statement finish, ends idle connections, checkpoints and exits 0 (the data survives a restart).
 */
class PgliteServerCommandTest {
    @TempDir
    Path dir;

    private static Process start(Path dataDir) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xss16m", "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                PgliteServerCommand.class.getName(),
                "--port", "0", "--data-dir", dataDir.toString(), "--password", "cli pw"));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    private static String scalar(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void sigtermFinishesTheRunningStatementCheckpointsAndExitsZero() throws Exception {
        Path data = dir.resolve("data");
        Process p = start(data);
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String jdbc = out.readLine();
            String uri = out.readLine();
            assertThat(jdbc).startsWith("jdbc:postgresql://127.0.0.1:").contains("/postgres?user=postgres")
                    .endsWith("&password=cli+pw");
            assertThat(uri).startsWith("postgresql://postgres:cli+pw@127.0.0.1:").endsWith("/postgres");
            String url = jdbc.substring(0, jdbc.indexOf('?'));
            assertThatThrownBy(() -> DriverManager.getConnection(url, "postgres", "wrong"))
                    .hasMessageContaining("password authentication failed");
            try (Connection busy = DriverManager.getConnection(url, "postgres", "cli pw");
                    Connection idle = DriverManager.getConnection(url, "postgres", "cli pw")) {
                try (Statement s = busy.createStatement()) {
                    s.execute("CREATE TABLE kept (x int)");
                    s.execute("INSERT INTO kept VALUES (42)");
                }
                CompletableFuture<String> running = CompletableFuture.supplyAsync(() -> {
                    try {
                        return scalar(busy, "SELECT pg_sleep(3)::text || 'finished'");
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                });
                Thread.sleep(1000); // the statement has reached the server and runs
                p.destroy(); // SIGTERM
                assertThat(running.get(60, TimeUnit.SECONDS)).isEqualTo("finished");
                assertThatThrownBy(() -> scalar(idle, "SELECT 1")).isInstanceOf(SQLException.class);
            }
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isZero();
        } finally {
            p.destroyForcibly();
        }
        // The data directory was shut down cleanly and holds the table.
        Process again = start(data);
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(again.getInputStream(),
                    StandardCharsets.UTF_8));
            String jdbc = out.readLine();
            out.readLine();
            try (Connection c = DriverManager.getConnection(jdbc.substring(0, jdbc.indexOf('?')), "postgres",
                    "cli pw")) {
                assertThat(scalar(c, "SELECT x FROM kept")).isEqualTo("42");
            }
            again.destroy();
            assertThat(again.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(again.exitValue()).isZero();
        } finally {
            again.destroyForcibly();
        }
    }
}
