package io.pglite.fs;

import static io.pglite.fs.OpenFlags.O_CREAT;
import static io.pglite.fs.OpenFlags.O_DIRECTORY;
import static io.pglite.fs.OpenFlags.O_RDONLY;
import static io.pglite.fs.OpenFlags.O_RDWR;
import static io.pglite.fs.OpenFlags.O_TRUNC;
import static io.pglite.fs.OpenFlags.O_WRONLY;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OverlayLayerTest {

    private MemoryLayer upper;
    private PackageLayer lower;
    private VirtualFileSystem vfs;

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    @BeforeEach
    void setUp() {
        upper = new MemoryLayer();
        lower = PackageLayer.builder()
                .file("/share/a.txt", bytes("lower-a"))
                .file("/share/b.txt", bytes("lower-b"))
                .file("/share/sub/c.txt", bytes("lower-c"))
                .directory("/empty", 0755)
                .build();
        vfs = VirtualFileSystem.builder().mount("/", new OverlayLayer(upper, lower)).build();
    }

    private String read(String path) {
        return new String(vfs.readFile(path), StandardCharsets.UTF_8);
    }

    private List<String> names(String dir) {
        int fd = vfs.open(dir, O_RDONLY | O_DIRECTORY, 0);
        assertThat(fd).isGreaterThanOrEqualTo(0);
        List<DirEntry> out = new ArrayList<>();
        while (vfs.readdir(fd, 3, out) > 0) {
            // keep reading in small batches to exercise the position
        }
        vfs.close(fd);
        List<String> names = new ArrayList<>();
        for (DirEntry e : out) {
            names.add(e.name());
        }
        return names;
    }

    private boolean inUpper(String layerPath) {
        return upper.lstat(layerPath, new FileStat()) == 0;
    }

    @Test
    void readOnlyOpenDoesNotCopyUp() {
        int fd = vfs.open("/share/a.txt", O_RDONLY, 0);
        assertThat(fd).isGreaterThanOrEqualTo(0);
        byte[] buf = new byte[32];
        assertThat(vfs.read(fd, buf, 0, 32)).isEqualTo(7);
        vfs.close(fd);
        FileStat st = new FileStat();
        assertThat(vfs.stat("/share/a.txt", st)).isZero();
        assertThat(inUpper("share/a.txt")).isFalse();
        assertThat(inUpper("share")).isFalse();
    }

    @Test
    void firstWriteCopiesUpAndLowerStaysUnchanged() {
        int fd = vfs.open("/share/sub/c.txt", O_RDWR, 0);
        assertThat(fd).isGreaterThanOrEqualTo(0);
        assertThat(inUpper("share/sub/c.txt")).isTrue();
        byte[] x = "X".getBytes(StandardCharsets.UTF_8);
        assertThat(vfs.pwrite(fd, x, 0, 1, 0)).isEqualTo(1);
        vfs.close(fd);

        assertThat(read("/share/sub/c.txt")).isEqualTo("Xower-c");
        FileHandle lowerHandle = lower.open("share/sub/c.txt", false);
        byte[] buf = new byte[7];
        lowerHandle.read(0, buf, 0, 7);
        assertThat(new String(buf, StandardCharsets.UTF_8)).isEqualTo("lower-c");
        // copied-up parents keep the lower's mode
        FileStat st = new FileStat();
        upper.lstat("share/sub", st);
        assertThat(st.permissions()).isEqualTo(0755);
        // siblings are still served by the lower
        assertThat(inUpper("share/a.txt")).isFalse();
        assertThat(read("/share/a.txt")).isEqualTo("lower-a");
    }

    @Test
    void truncatingOpenCopiesUpEmpty() {
        int fd = vfs.open("/share/b.txt", O_WRONLY | O_TRUNC, 0);
        assertThat(fd).isGreaterThanOrEqualTo(0);
        vfs.close(fd);
        assertThat(read("/share/b.txt")).isEmpty();
    }

    @Test
    void unlinkOfLowerFileRecordsWhiteout() {
        assertThat(vfs.unlink("/share/a.txt")).isZero();
        FileStat st = new FileStat();
        assertThat(vfs.stat("/share/a.txt", st)).isEqualTo(-Errno.ENOENT);
        assertThat(vfs.open("/share/a.txt", O_RDONLY, 0)).isEqualTo(-Errno.ENOENT);
        assertThat(names("/share")).containsExactly(".", "..", "b.txt", "sub");
        assertThat(vfs.unlink("/share/a.txt")).isEqualTo(-Errno.ENOENT);

        // recreating the name gives a fresh file, not the lower content
        int fd = vfs.open("/share/a.txt", O_WRONLY | O_CREAT, 0644);
        vfs.write(fd, "new".getBytes(StandardCharsets.UTF_8), 0, 3);
        vfs.close(fd);
        assertThat(read("/share/a.txt")).isEqualTo("new");
        // and removing it again does not resurrect the lower file
        assertThat(vfs.unlink("/share/a.txt")).isZero();
        assertThat(vfs.stat("/share/a.txt", st)).isEqualTo(-Errno.ENOENT);
    }

    @Test
    void readdirMergesBothLayersSortedAndWithoutDuplicates() {
        vfs.writeFile("/share/0-upper.txt", new byte[0], 0644);
        vfs.writeFile("/share/b.txt", "upper-b".getBytes(StandardCharsets.UTF_8), 0644);
        vfs.writeFile("/share/zz.txt", new byte[0], 0644);
        assertThat(names("/share")).containsExactly(".", "..", "0-upper.txt", "a.txt", "b.txt", "sub", "zz.txt");
        assertThat(read("/share/b.txt")).isEqualTo("upper-b");
    }

    @Test
    void rmdirNeedsMergedEmptinessAndRecreatedDirectoryStartsEmpty() {
        assertThat(vfs.rmdir("/share/sub")).isEqualTo(-Errno.ENOTEMPTY);
        assertThat(vfs.unlink("/share/sub/c.txt")).isZero();
        assertThat(vfs.rmdir("/share/sub")).isZero();
        FileStat st = new FileStat();
        assertThat(vfs.stat("/share/sub", st)).isEqualTo(-Errno.ENOENT);
        assertThat(vfs.mkdir("/share/sub", 0700)).isZero();
        assertThat(names("/share/sub")).containsExactly(".", "..");
        assertThat(vfs.stat("/share/sub/c.txt", st)).isEqualTo(-Errno.ENOENT);
        assertThat(vfs.rmdir("/empty")).isZero();
        assertThat(vfs.stat("/empty", st)).isEqualTo(-Errno.ENOENT);
    }

    @Test
    void renameOfLowerFileMovesContentAndHidesSource() {
        assertThat(vfs.rename("/share/a.txt", "/share/b.txt")).isZero();
        assertThat(read("/share/b.txt")).isEqualTo("lower-a");
        FileStat st = new FileStat();
        assertThat(vfs.stat("/share/a.txt", st)).isEqualTo(-Errno.ENOENT);
        assertThat(names("/share")).containsExactly(".", "..", "b.txt", "sub");
        // unlinking the renamed file must not bring back the lower b.txt
        assertThat(vfs.unlink("/share/b.txt")).isZero();
        assertThat(vfs.stat("/share/b.txt", st)).isEqualTo(-Errno.ENOENT);
    }

    @Test
    void renameOfLowerDirectoryCopiesSubtree() {
        assertThat(vfs.mkdir("/moved", 0755)).isZero();
        assertThat(vfs.rename("/share", "/moved/share")).isZero();
        assertThat(read("/moved/share/sub/c.txt")).isEqualTo("lower-c");
        assertThat(read("/moved/share/a.txt")).isEqualTo("lower-a");
        FileStat st = new FileStat();
        assertThat(vfs.stat("/share", st)).isEqualTo(-Errno.ENOENT);
        assertThat(vfs.stat("/share/sub/c.txt", st)).isEqualTo(-Errno.ENOENT);
        assertThat(names("/")).contains("moved", "empty").doesNotContain("share");
    }

    @Test
    void memoryLowerIsCopiedUpBySharingPages() {
        MemoryLayer template = new MemoryLayer();
        VirtualFileSystem t = VirtualFileSystem.builder().mount("/", template).build();
        byte[] big = new byte[4 << 20];
        java.util.Arrays.fill(big, (byte) 7);
        t.writeFile("/rel", big, 0600);

        MemoryLayer clone = new MemoryLayer();
        VirtualFileSystem v = VirtualFileSystem.builder()
                .mount("/", new OverlayLayer(clone, template, false)).build();
        int fd = v.open("/rel", O_RDWR, 0);
        assertThat(clone.lstat("rel", new FileStat())).isZero();
        v.pwrite(fd, new byte[]{1}, 0, 1, 0);
        v.close(fd);
        // only the written 64 KiB page was duplicated
        assertThat(clone.allocatedBytes("rel")).isEqualTo(PagedContent.PAGE_SIZE);
        assertThat(t.readFile("/rel")[0]).isEqualTo((byte) 7);
        assertThat(v.readFile("/rel")[0]).isEqualTo((byte) 1);
        assertThat(v.readFile("/rel")[1]).isEqualTo((byte) 7);
    }

    @Test
    void chmodOnLowerEntryCopiesUp() {
        assertThat(vfs.chmod("/share/a.txt", 0600)).isZero();
        FileStat st = new FileStat();
        vfs.stat("/share/a.txt", st);
        assertThat(st.permissions()).isEqualTo(0600);
        assertThat(read("/share/a.txt")).isEqualTo("lower-a");
    }
}
