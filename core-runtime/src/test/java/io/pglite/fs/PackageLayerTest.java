package io.pglite.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PackageLayerTest {

    private static final byte[] BLOB = "HEADERhello worldpostgresTAIL".getBytes(StandardCharsets.US_ASCII);

    private static PackageLayer layer(byte[] blob) {
        ByteBuffer b = ByteBuffer.wrap(blob);
        return PackageLayer.builder()
                .file("/pglite/share/greeting.txt", b, 6, 17)
                .file("/pglite/share/name.txt", b, 17, 25)
                .directory("/pglite/data", 0700)
                .build();
    }

    @Test
    void readsSlicesOfTheBlob() {
        PackageLayer p = layer(BLOB.clone());
        FileStat st = new FileStat();
        assertThat(p.lstat("pglite/share/greeting.txt", st)).isZero();
        assertThat(st.isRegularFile()).isTrue();
        assertThat(st.size).isEqualTo(11);
        assertThat(st.permissions()).isEqualTo(0644);

        FileHandle h = p.open("pglite/share/name.txt", false);
        byte[] buf = new byte[64];
        assertThat(h.read(0, buf, 0, 64)).isEqualTo(8);
        assertThat(new String(buf, 0, 8, StandardCharsets.US_ASCII)).isEqualTo("postgres");
        assertThat(h.read(4, buf, 10, 2)).isEqualTo(2);
        assertThat(new String(buf, 10, 2, StandardCharsets.US_ASCII)).isEqualTo("gr");
        assertThat(h.read(8, buf, 0, 10)).isZero();
    }

    @Test
    void readsAreZeroCopyViewsOfTheSharedBuffer() {
        byte[] blob = BLOB.clone();
        PackageLayer p = layer(blob);
        FileHandle h = p.open("pglite/share/greeting.txt", false);
        blob[6] = 'J';
        byte[] buf = new byte[5];
        h.read(0, buf, 0, 5);
        assertThat(new String(buf, StandardCharsets.US_ASCII)).isEqualTo("Jello");
    }

    @Test
    void parentsAreImplicitAndDirectoriesExplicit() {
        PackageLayer p = layer(BLOB.clone());
        FileStat st = new FileStat();
        assertThat(p.lstat("pglite", st)).isZero();
        assertThat(st.isDirectory()).isTrue();
        assertThat(p.lstat("pglite/data", st)).isZero();
        assertThat(st.permissions()).isEqualTo(0700);
        List<DirEntry> entries = new ArrayList<>();
        assertThat(p.list("pglite", entries)).isZero();
        assertThat(entries).extracting(DirEntry::name).containsExactlyInAnyOrder("share", "data");
        assertThat(entries).allMatch(e -> e.type() == DirEntry.DT_DIR);
    }

    @Test
    void everyModificationIsReadOnly() {
        PackageLayer p = layer(BLOB.clone());
        assertThat(p.createFile("x", 0644)).isEqualTo(-Errno.EROFS);
        assertThat(p.mkdir("y", 0755)).isEqualTo(-Errno.EROFS);
        assertThat(p.unlink("pglite/share/name.txt")).isEqualTo(-Errno.EROFS);
        assertThat(p.rename("pglite/share/name.txt", "z")).isEqualTo(-Errno.EROFS);
        assertThatThrownBy(() -> p.open("pglite/share/name.txt", true))
                .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EROFS));
    }

    @Test
    void lookupErrorsDistinguishMissingFromNotADirectory() {
        PackageLayer p = layer(BLOB.clone());
        FileStat st = new FileStat();
        assertThat(p.lstat("pglite/nope", st)).isEqualTo(-Errno.ENOENT);
        assertThat(p.lstat("pglite/share/name.txt/x", st)).isEqualTo(-Errno.ENOTDIR);
    }

    @Test
    void sliceOutsideBlobIsRejected() {
        assertThatThrownBy(() -> PackageLayer.builder().file("a", ByteBuffer.wrap(BLOB), 3, BLOB.length + 1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
