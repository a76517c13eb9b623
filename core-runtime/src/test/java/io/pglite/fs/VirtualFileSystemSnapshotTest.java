package io.pglite.fs;

import static io.pglite.fs.OpenFlags.O_APPEND;
import static io.pglite.fs.OpenFlags.O_CLOEXEC;
import static io.pglite.fs.OpenFlags.O_CREAT;
import static io.pglite.fs.OpenFlags.O_DIRECTORY;
import static io.pglite.fs.OpenFlags.O_NONBLOCK;
import static io.pglite.fs.OpenFlags.O_RDONLY;
import static io.pglite.fs.OpenFlags.O_RDWR;
import static io.pglite.fs.OpenFlags.O_WRONLY;
import static io.pglite.fs.OpenFlags.SEEK_CUR;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A process's descriptor table captured in one VFS and recreated in another over copies of the same files, as
 * a started-backend snapshot does.
 */
class VirtualFileSystemSnapshotTest {

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static VirtualFileSystem vfsOver(MemoryLayer data) {
        return VirtualFileSystem.builder()
                .mount("/", new MemoryLayer())
                .mount("/data", new OverlayLayer(new MemoryLayer(0700), data, false))
                .ownsLayers(false)
                .build();
    }

    @Test
    void descriptorsPositionsSharingPipesAndTheWorkingDirectoryCarryOver() {
        MemoryLayer data = new MemoryLayer(0700);
        VirtualFileSystem a = vfsOver(data);
        a.mkdir("/data/base", 0700);
        a.writeFile("/data/base/rel", ascii("0123456789"), 0600);
        a.writeFile("/data/log", ascii("start\n"), 0600);
        assertThat(a.chdir("/data")).isZero();
        a.umask(077);

        int rel = a.open("base/rel", O_RDWR, 0);
        assertThat(a.seek(rel, 4, SEEK_CUR)).isEqualTo(4);
        int dup = a.dup(rel); // shares the position
        int log = a.open("log", O_WRONLY | O_APPEND | O_CLOEXEC, 0);
        int dir = a.open("base", O_RDONLY | O_DIRECTORY, 0);
        int[] pipe = new int[2];
        assertThat(a.pipe2(pipe, O_NONBLOCK)).isZero();
        assertThat(a.write(pipe[1], ascii("wake"), 0, 4)).isEqualTo(4);
        a.close(0); // a hole in the table stays a hole

        VirtualFileSystem.Snapshot snap = a.snapshot();
        assertThat(snap.pathOf(rel)).isEqualTo("/data/base/rel");
        assertThat(snap.pathOf(0)).isNull();

        // The copy a restored cluster gets: the same files, frozen, under a fresh private layer.
        MemoryLayer frozen = MemoryLayer.copyOf(((OverlayLayer) a.mounts().get("/data")));
        frozen.freeze();
        VirtualFileSystem b = vfsOver(frozen);
        b.restore(snap);

        assertThat(b.getcwd()).isEqualTo("/data");
        assertThat(b.umask(022)).isEqualTo(077);
        assertThat(b.isOpen(0)).isFalse();
        assertThat(b.isOpen(1)).isTrue();
        byte[] buf = new byte[3];
        assertThat(b.read(rel, buf, 0, 3)).isEqualTo(3);
        assertThat(new String(buf, StandardCharsets.US_ASCII)).isEqualTo("456");
        assertThat(b.read(dup, buf, 0, 3)).isEqualTo(3); // the duplicate moved with it
        assertThat(new String(buf, StandardCharsets.US_ASCII)).isEqualTo("789");
        assertThat(b.fcntl(log, OpenFlags.F_GETFD, 0)).isEqualTo(OpenFlags.FD_CLOEXEC);
        assertThat(b.write(log, ascii("more\n"), 0, 5)).isEqualTo(5);
        assertThat(new String(b.readFile("/data/log"), StandardCharsets.US_ASCII)).isEqualTo("start\nmore\n");
        assertThat(b.fileType(dir)).isEqualTo(VirtualFileSystem.FILETYPE_DIRECTORY);
        assertThat(b.read(pipe[0], buf, 0, 3)).isEqualTo(3);
        assertThat(new String(buf, StandardCharsets.US_ASCII)).isEqualTo("wak");

        // Writes after the restore stay private to each side.
        assertThat(b.pwrite(rel, ascii("B"), 0, 1, 0)).isEqualTo(1);
        assertThat(a.pwrite(rel, ascii("A"), 0, 1, 0)).isEqualTo(1);
        assertThat(b.readFile("/data/base/rel")[0]).isEqualTo((byte) 'B');
        assertThat(a.readFile("/data/base/rel")[0]).isEqualTo((byte) 'A');
        byte[] kept = new byte[10];
        FileHandle h = frozen.open("base/rel", false);
        assertThat(h.read(0, kept, 0, 10)).isEqualTo(10);
        h.close();
        assertThat(new String(kept, StandardCharsets.US_ASCII)).isEqualTo("0123456789");
        a.close();
        b.close();
    }

    @Test
    void aFileDeletedWhileOpenCannotBeCaptured() {
        VirtualFileSystem a = vfsOver(new MemoryLayer(0700));
        a.writeFile("/data/gone", ascii("x"), 0600);
        int fd = a.open("/data/gone", O_RDWR | O_CREAT, 0600);
        assertThat(a.unlink("/data/gone")).isZero();
        assertThatThrownBy(a::snapshot).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("/data/gone");
        a.close(fd);
        assertThat(a.snapshot().openDescriptors()).isEqualTo(3); // stdin, stdout, stderr
    }
}
