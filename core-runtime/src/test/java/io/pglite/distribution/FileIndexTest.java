package io.pglite.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class FileIndexTest {

    private final Distribution dist = Distribution.pg18();

    @Test
    void indexListsTheServerFiles() {
        Map<String, PackagedFile> byPath = dist.files().stream()
                .collect(Collectors.toMap(PackagedFile::path, Function.identity()));

        assertThat(byPath).containsKeys(
                "/home/postgres/.pgpass",
                "/pglite/bin/postgres",
                "/pglite/bin/initdb",
                "/pglite/share/postgresql/postgres.bki",
                "/pglite/share/postgresql/postgresql.conf.sample",
                "/pglite/share/postgresql/extension/plpgsql.control",
                "/pglite/share/postgresql/extension/plpgsql--1.0.sql",
                "/pglite/share/postgresql/timezone/UTC",
                "/pglite/lib/postgresql/plpgsql.so",
                "/pglite/lib/postgresql/dict_snowball.so");
        assertThat(byPath.get("/pglite/lib/postgresql/plpgsql.so").directory()).isFalse();
        assertThat(byPath.get("/pglite/share/postgresql/tsearch_data").directory()).isTrue();
        assertThat(byPath.get("/pglite/icu/icudt76l/coll").directory()).isTrue();

        long files = dist.files().stream().filter(f -> !f.directory()).count();
        long dirs = dist.files().stream().filter(PackagedFile::directory).count();
        assertThat(files).isEqualTo(699);
        assertThat(dirs).isEqualTo(42);
    }

    @Test
    void directoriesComeFirstAndContainEveryFile() {
        List<PackagedFile> entries = dist.files();
        Set<String> dirs = new HashSet<>();
        boolean seenFile = false;
        for (PackagedFile e : entries) {
            String parent = e.path().substring(0, e.path().lastIndexOf('/'));
            if (e.directory()) {
                assertThat(seenFile).as("directory %s after a file", e.path()).isFalse();
                assertThat(parent.isEmpty() || dirs.contains(parent)).as("parent of %s", e.path()).isTrue();
                dirs.add(e.path());
            } else {
                seenFile = true;
                assertThat(dirs).as("parent of %s", e.path()).contains(parent);
            }
        }
    }

    @Test
    void filesCoverTheDataExactly() {
        ByteBuffer data = dist.data();
        assertThat(data.isReadOnly()).isTrue();
        long covered = 0;
        int maxEnd = 0;
        for (PackagedFile f : dist.files()) {
            if (!f.directory()) {
                assertThat(f.end()).isLessThanOrEqualTo(data.capacity());
                covered += f.size();
                maxEnd = Math.max(maxEnd, f.end());
            }
        }
        assertThat(maxEnd).isEqualTo(data.capacity());
        assertThat(covered).isEqualTo(data.capacity());
    }

    @Test
    void contentsAreTheRightBytes() {
        PackagedFile bki = find("/pglite/share/postgresql/postgres.bki");
        assertThat(text(dist.contents(bki), 15)).isEqualTo("# PostgreSQL 18");

        PackagedFile plpgsql = find("/pglite/lib/postgresql/plpgsql.so");
        ByteBuffer so = dist.contents(plpgsql);
        assertThat(so.remaining()).isEqualTo(plpgsql.size());
        byte[] magic = new byte[4];
        so.get(magic);
        assertThat(magic).containsExactly(0, 'a', 's', 'm');
    }

    private PackagedFile find(String path) {
        return dist.files().stream().filter(f -> f.path().equals(path)).findFirst().orElseThrow();
    }

    private static String text(ByteBuffer buffer, int length) {
        byte[] bytes = new byte[length];
        buffer.duplicate().get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
