package io.pglite.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.pglite.distribution.Distribution;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Started-backend snapshots kept on disk: a new JVM restores instead of starting PostgreSQL. */
class SnapshotStoreTest {

    @TempDir
    Path dir;

    @Test
    void aNewJvmRestoresTheStoredSnapshotAndItBehavesLikeAStartedCluster() throws Exception {
        Path cache = dir.resolve("cache");
        // The template comes from the build's cache; only the snapshot is new in this directory.
        Path templates = Path.of(TemplateCache.defaultDirectory().toString(), "templates");
        String key = TemplateCache.key(Distribution.pg18(), InitdbOptions.DEFAULTS);
        Templates.get(Distribution.pg18(), InitdbOptions.DEFAULTS, TemplateCache.defaultDirectory());
        copyTree(templates.resolve(key), cache.resolve("templates").resolve(key));

        String first = runChild(cache);
        assertThat(first).contains("captured a started PostgreSQL backend").contains("stored the started-backend");
        assertThat(first).contains("restored=true answer=42 rows=0");
        String second = runChild(cache);
        assertThat(second).contains("loaded the started-backend snapshot")
                .doesNotContain("captured a started PostgreSQL backend");
        assertThat(second).contains("restored=true answer=42 rows=0");
        try (Stream<Path> files = Files.list(cache.resolve("snapshots"))) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).hasSize(1)
                    .allMatch(n -> n.endsWith(".snapshot"));
        }
    }

    private static String runChild(Path cache) throws Exception {
        List<String> cmd = DirectoryClusterTest.javaCommand(UseClusterMain.class.getName(), cache.toString());
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(child.exitValue()).as(output).isZero();
        return output;
    }

    /** Runs in a child JVM: an in-memory cluster from the given cache; writes, reads, reports. */
    public static final class UseClusterMain {
        public static void main(String[] args) throws Exception {
            try (PgliteCluster pg = PgliteCluster.builder().cacheDirectory(Path.of(args[0])).build();
                    Connection c = DriverManager.getConnection(pg.jdbcUrl(), "postgres", "");
                    Statement s = c.createStatement()) {
                // A table from an earlier run of this JVM's snapshot must not exist: every cluster starts clean.
                s.execute("CREATE TABLE t (id int PRIMARY KEY)");
                try (ResultSet rs = s.executeQuery("SELECT 40 + 2, (SELECT count(*) FROM t)")) {
                    rs.next();
                    System.out.println("restored=" + pg.restoredFromSnapshot() + " answer=" + rs.getInt(1) + " rows="
                            + rs.getInt(2));
                }
                s.execute("INSERT INTO t SELECT generate_series(1, 100)");
            }
        }
    }

    @Test
    void aDamagedSnapshotFileIsIgnored() throws Exception {
        Distribution d = Distribution.pg18();
        Templates.Template template = Templates.get(d, InitdbOptions.DEFAULTS, TemplateCache.defaultDirectory());
        Snapshots.Snapshot snapshot = Snapshots.get(d, template, "postgres", List.of(),
                TemplateCache.defaultDirectory()).orElseThrow();
        SnapshotStore store = new SnapshotStore(dir);
        String key = SnapshotStore.key(template, "postgres", List.of());
        store.write(key, snapshot);
        Snapshots.Snapshot read = store.read(d, template, key);
        assertThat(read).isNotNull();
        assertThat(read.backend().process().memory().nonZeroPageCount())
                .isEqualTo(snapshot.backend().process().memory().nonZeroPageCount());
        assertThat(read.backend().callbackSlots()).containsExactly(snapshot.backend().callbackSlots());

        Path file;
        try (Stream<Path> files = Files.list(dir.resolve("snapshots"))) {
            file = files.findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 3] ^= 0x10;
        Files.write(file, bytes);
        assertThat(store.read(d, template, key)).isNull();
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        assertThat(store.read(d, template, key)).isNull();
    }

    @Test
    void onlyTheMostRecentHostVersionsOfASnapshotAreKept() throws Exception {
        Distribution d = Distribution.pg18();
        Templates.Template template = Templates.get(d, InitdbOptions.DEFAULTS, TemplateCache.defaultDirectory());
        Snapshots.Snapshot snapshot = Snapshots.get(d, template, "postgres", List.of(),
                TemplateCache.defaultDirectory()).orElseThrow();
        String key = SnapshotStore.key(template, "postgres", List.of());
        Path snapshots = Files.createDirectories(dir.resolve("snapshots"));
        for (int i = 0; i < 4; i++) {
            Path old = snapshots.resolve(key + "-old" + i + ".snapshot");
            Files.writeString(old, "from another build");
            Files.setLastModifiedTime(old, java.nio.file.attribute.FileTime.fromMillis(1_000_000L * (i + 1)));
        }
        Files.writeString(snapshots.resolve("otherkey-old.snapshot"), "another key: not touched");
        new SnapshotStore(dir).write(key, snapshot);
        try (Stream<Path> files = Files.list(snapshots)) {
            assertThat(files.map(p -> p.getFileName().toString()).sorted()).containsExactly(
                    key + "-" + SnapshotStore.hostFingerprint() + ".snapshot", key + "-old2.snapshot",
                    key + "-old3.snapshot", "otherkey-old.snapshot");
        }
    }

    @Test
    void aSnapshotBelongsToOneTemplateContentDatabaseAndSettings() {
        Templates.Template template = Templates.get(Distribution.pg18(), InitdbOptions.DEFAULTS,
                TemplateCache.defaultDirectory());
        // initdb run again with the same inputs: same key, other contents (time stamps, system identifier).
        Templates.Template rebuilt = new Templates.Template(template.dataDirectory(), template.options(),
                template.key(), "0".repeat(64));
        String key = SnapshotStore.key(template, "postgres", List.of());
        assertThat(SnapshotStore.key(template, "postgres", List.of())).isEqualTo(key);
        assertThat(SnapshotStore.key(rebuilt, "postgres", List.of())).isNotEqualTo(key);
        assertThat(SnapshotStore.key(template, "other", List.of())).isNotEqualTo(key);
        assertThat(SnapshotStore.key(template, "postgres", List.of("work_mem=8MB"))).isNotEqualTo(key);
    }

    private static void copyTree(Path from, Path to) throws Exception {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
