package io.pglite.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Clusters stored in a host directory: persistence across JVMs and exclusive use. */
class DirectoryClusterTest {

    @TempDir
    Path dir;

    @Test
    void dataSurvivesACleanCloseAndIsReadByANewJvm() throws Exception {
        Path data = dir.resolve("pgdata");
        try (PgliteCluster pg = PgliteCluster.builder().dataDirectory(data).build();
                Connection c = DriverManager.getConnection(pg.jdbcUrl(), "postgres", "");
                Statement s = c.createStatement()) {
            s.execute("CREATE TABLE kept (id int PRIMARY KEY, note text)");
            s.execute("INSERT INTO kept SELECT g, 'row ' || g FROM generate_series(1, 1000) g");
        }
        assertThat(data.resolve("PG_VERSION")).exists();
        assertThat(data.resolve("postmaster.pid")).doesNotExist();

        // A fresh JVM opens the directory and reads the rows back; it exits 0 only if all are there.
        Process child = new ProcessBuilder(javaCommand(ReopenMain.class.getName(), data.toString()))
                .redirectErrorStream(true)
                .start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(child.exitValue()).as(output).isZero();
        assertThat(output).contains("rows=1000 sum=500500");

        // And this JVM can open it again afterwards: the child released the lock.
        try (PgliteCluster pg = PgliteCluster.builder().dataDirectory(data).build();
                Connection c = DriverManager.getConnection(pg.jdbcUrl(), "postgres", "");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM kept WHERE note LIKE 'row %'")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(1001);
        }
    }

    @Test
    void aKilledJvmLosesNoCommittedData() throws Exception {
        Path data = dir.resolve("killed");
        Process child = new ProcessBuilder(javaCommand(WriteAndWaitMain.class.getName(), data.toString()))
                .redirectErrorStream(true)
                .start();
        java.io.BufferedReader out = new java.io.BufferedReader(
                new java.io.InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        String line;
        while ((line = out.readLine()) != null) {
            seen.append(line).append('\n');
            if (line.equals("committed")) {
                break;
            }
        }
        assertThat(seen.toString()).contains("committed");
        child.destroyForcibly(); // SIGKILL: no shutdown checkpoint, no unlock, postmaster.pid left behind
        assertThat(child.waitFor(1, TimeUnit.MINUTES)).isTrue();

        try (PgliteCluster pg = PgliteCluster.builder().dataDirectory(data).build();
                Connection c = DriverManager.getConnection(pg.jdbcUrl(), "postgres", "");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*), sum(id) FROM crash_safe")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(500);
            assertThat(rs.getLong(2)).isEqualTo(125250);
        }
    }

    @Test
    void aSecondLiveClusterOnTheSameDirectoryIsRefused() {
        Path data = dir.resolve("locked");
        try (PgliteCluster first = PgliteCluster.builder().dataDirectory(data).build()) {
            assertThatThrownBy(() -> PgliteCluster.builder().dataDirectory(data).build())
                    .isInstanceOf(ClusterException.class)
                    .hasMessageContaining(data.toString())
                    .hasMessageContaining("already in use");
            assertThat(first.backend().failed()).isFalse();
        }
    }

    @Test
    void aNonEmptyDirectoryWithoutAClusterIsLeftAlone() throws Exception {
        Path data = Files.createDirectories(dir.resolve("other"));
        Files.writeString(data.resolve("important.txt"), "do not touch");
        assertThatThrownBy(() -> PgliteCluster.builder().dataDirectory(data).build())
                .isInstanceOf(ClusterException.class)
                .hasMessageContaining("not empty");
        assertThat(Files.readString(data.resolve("important.txt"))).isEqualTo("do not touch");
    }

    static List<String> javaCommand(String mainClass, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xss16m");
        String cache = System.getProperty(TemplateCache.CACHE_DIR_PROPERTY);
        if (cache != null) {
            // The children share this JVM's template cache (the build's, not the user's).
            cmd.add("-D" + TemplateCache.CACHE_DIR_PROPERTY + "=" + cache);
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Runs in a child JVM: commits rows, says so, then waits to be killed. */
    public static final class WriteAndWaitMain {
        public static void main(String[] args) throws Exception {
            PgliteCluster pg = PgliteCluster.builder().dataDirectory(Path.of(args[0])).build();
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), "postgres", "");
                    Statement s = c.createStatement()) {
                s.execute("CREATE TABLE crash_safe (id int PRIMARY KEY)");
                s.execute("INSERT INTO crash_safe SELECT generate_series(1, 500)");
                // An uncommitted transaction in flight when the JVM dies must not show up later.
                c.setAutoCommit(false);
                s.execute("INSERT INTO crash_safe VALUES (100000)");
                System.out.println("committed");
                System.out.flush();
                Thread.sleep(600_000);
            }
        }
    }

    /** Runs in a child JVM: reopens a directory cluster, adds a row, prints what it found. */
    public static final class ReopenMain {
        public static void main(String[] args) throws SQLException {
            Path data = Path.of(args[0]);
            try (PgliteCluster pg = PgliteCluster.builder().dataDirectory(data).build();
                    Connection c = DriverManager.getConnection(pg.jdbcUrl(), "postgres", "");
                    Statement s = c.createStatement()) {
                try (ResultSet rs = s.executeQuery("SELECT count(*), sum(id) FROM kept")) {
                    rs.next();
                    System.out.println("rows=" + rs.getInt(1) + " sum=" + rs.getLong(2));
                    if (rs.getInt(1) != 1000) {
                        System.exit(3);
                    }
                }
                s.execute("INSERT INTO kept VALUES (1001, 'row from the second JVM')");
            }
            System.out.println("closed " + new File(args[0]).getName());
        }
    }
}
