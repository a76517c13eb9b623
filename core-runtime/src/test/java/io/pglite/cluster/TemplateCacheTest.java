package io.pglite.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.pglite.distribution.Distribution;
import io.pglite.fs.FileHandle;
import io.pglite.fs.FileStat;
import io.pglite.fs.MemoryLayer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The on-disk template cache: shared by JVMs, built once, never used half-written, rebuilt when damaged. */
class TemplateCacheTest {

    @TempDir
    Path dir;

    @Test
    void twoJvmsBuildingTheSameTemplateAtOnceBothSucceedAndAgree() throws Exception {
        Path cache = dir.resolve("cache");
        List<Process> children = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            children.add(new ProcessBuilder(DirectoryClusterTest.javaCommand(BuildTemplateMain.class.getName(),
                    cache.toString())).redirectErrorStream(true).start());
        }
        List<String> outputs = new ArrayList<>();
        for (Process child : children) {
            String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(child.waitFor(10, TimeUnit.MINUTES)).isTrue();
            assertThat(child.exitValue()).as(output).isZero();
            outputs.add(output);
        }
        List<String> results = outputs.stream().map(TemplateCacheTest::resultLine).toList();
        assertThat(results.get(0)).startsWith("template ").isEqualTo(results.get(1));
        // initdb ran in exactly one of them; the other waited for the lock and loaded the result.
        assertThat(outputs.stream().filter(o -> o.contains("initdb: cluster created")).count())
                .as(String.join("\n----\n", outputs)).isEqualTo(1);

        String key = TemplateCache.key(Distribution.pg18(), InitdbOptions.DEFAULTS);
        try (Stream<Path> entries = Files.list(cache.resolve("templates"))) {
            assertThat(entries.map(p -> p.getFileName().toString()).sorted())
                    .containsExactly(key, key + ".lock");
        }
        assertThat(cache.resolve("templates").resolve(key).resolve(TemplateCache.MANIFEST)).isRegularFile();
    }

    private static String resultLine(String output) {
        return output.lines().filter(l -> l.startsWith("template ")).findFirst().orElse("no result in:\n" + output);
    }

    /** Runs in a child JVM: builds or loads the template in a cache directory and reports what it got. */
    public static final class BuildTemplateMain {
        public static void main(String[] args) throws Exception {
            Path cache = Path.of(args[0]);
            try (PgliteCluster pg = PgliteCluster.builder().cacheDirectory(cache).snapshot(false).build();
                    Connection c = DriverManager.getConnection(pg.jdbcUrl(), "postgres", "");
                    Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_class")) {
                rs.next();
                String key = TemplateCache.key(Distribution.pg18(), InitdbOptions.DEFAULTS);
                byte[] manifest = Files.readAllBytes(cache.resolve("templates").resolve(key)
                        .resolve(TemplateCache.MANIFEST));
                System.out.println("template " + key + " manifest " + sha256(manifest) + " pg_class " + rs.getInt(1));
            }
        }
    }

    enum Damage {
        FLIPPED_BYTE, TRUNCATED_FILE, MISSING_FILE, INCOMPLETE_MANIFEST, NO_MANIFEST
    }

    @ParameterizedTest
    @EnumSource(Damage.class)
    void aDamagedEntryIsDetectedAndRebuilt(Damage damage) throws Exception {
        // The real template of this JVM stands in for initdb: what is tested is the cache around it.
        MemoryLayer good = Templates.get(Distribution.pg18(), InitdbOptions.DEFAULTS,
                TemplateCache.defaultDirectory()).dataDirectory();
        AtomicInteger builds = new AtomicInteger();
        TemplateCache cache = new TemplateCache(dir.resolve("cache"));
        String key = "test-" + damage.name().toLowerCase(java.util.Locale.ROOT);
        cache.load(key, "test", () -> {
            builds.incrementAndGet();
            return good;
        });
        assertThat(builds).hasValue(1);
        assertSameFiles(cache.load(key, "test", () -> {
            throw new AssertionError("a sound entry must not be rebuilt");
        }).data(), good);

        Path entry = cache.entry(key);
        Path relation = entry.resolve(TemplateCache.DATA).resolve("global/1262"); // pg_database
        Path manifest = entry.resolve(TemplateCache.MANIFEST);
        switch (damage) {
            case FLIPPED_BYTE -> {
                byte[] b = Files.readAllBytes(relation);
                b[b.length / 2] ^= 1;
                Files.write(relation, b);
            }
            case TRUNCATED_FILE -> {
                try (var ch = java.nio.channels.FileChannel.open(relation, StandardOpenOption.WRITE)) {
                    ch.truncate(ch.size() - 100);
                }
            }
            case MISSING_FILE -> Files.delete(relation);
            case INCOMPLETE_MANIFEST -> {
                List<String> lines = Files.readAllLines(manifest);
                Files.write(manifest, lines.subList(0, lines.size() / 2));
            }
            case NO_MANIFEST -> Files.delete(manifest);
        }
        // A builder killed half-way left its temporary directory behind; the rebuild cleans it up.
        Files.createDirectories(entry.resolveSibling(key + ".tmp-dead"));

        MemoryLayer rebuilt = cache.load(key, "test", () -> {
            builds.incrementAndGet();
            return good;
        }).data();
        assertThat(builds).hasValue(2);
        assertSameFiles(rebuilt, good);
        assertSameFiles(cache.load(key, "test", () -> {
            throw new AssertionError("the rebuilt entry must be sound");
        }).data(), good);
        try (Stream<Path> entries = Files.list(entry.getParent())) {
            assertThat(entries.map(p -> p.getFileName().toString()).sorted()).containsExactly(key, key + ".lock");
        }
    }

    @Test
    void theKeyChangesWithTheInitdbInputs() {
        Distribution d = Distribution.pg18();
        String base = TemplateCache.key(d, InitdbOptions.DEFAULTS);
        assertThat(TemplateCache.key(d, new InitdbOptions("postgres", "UTF8", "C.UTF-8"))).isEqualTo(base);
        assertThat(TemplateCache.key(d, new InitdbOptions("app", "UTF8", "C.UTF-8"))).isNotEqualTo(base);
        assertThat(TemplateCache.key(d, new InitdbOptions("postgres", "SQL_ASCII", "C"))).isNotEqualTo(base);
        assertThat(TemplateCache.key(d, new InitdbOptions("postgres", "UTF8", "C"))).isNotEqualTo(base);
    }

    private static void assertSameFiles(MemoryLayer actual, MemoryLayer expected) {
        for (String path : List.of("PG_VERSION", "global/pg_control", "global/1262", "base/1/1259")) {
            assertThat(bytes(actual, path)).as(path).isEqualTo(bytes(expected, path));
        }
        assertThat(actual.isFrozen()).isTrue();
    }

    private static byte[] bytes(MemoryLayer layer, String path) {
        FileStat st = new FileStat();
        assertThat(layer.lstat(path, st)).as(path).isZero();
        byte[] b = new byte[(int) st.size];
        FileHandle h = layer.open(path, false);
        try {
            assertThat(h.read(0, b, 0, b.length)).isEqualTo(b.length);
        } finally {
            h.close();
        }
        return b;
    }

    private static String sha256(byte[] b) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(b));
    }
}
