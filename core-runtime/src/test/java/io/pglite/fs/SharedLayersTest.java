package io.pglite.fs;

import static io.pglite.fs.OpenFlags.AT_FDCWD;
import static io.pglite.fs.OpenFlags.O_CREAT;
import static io.pglite.fs.OpenFlags.O_DIRECTORY;
import static io.pglite.fs.OpenFlags.O_RDONLY;
import static io.pglite.fs.OpenFlags.O_RDWR;
import static io.pglite.fs.OpenFlags.O_WRONLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Templates shared by many overlays, and several per-process views over one set of layers. */
class SharedLayersTest {

    @TempDir
    Path tmp;

    private static MemoryLayer frozenTemplate() {
        MemoryLayer template = new MemoryLayer(0700);
        VirtualFileSystem init = VirtualFileSystem.builder().mount("/", template).ownsLayers(false).build();
        byte[] rel = new byte[1 << 20];
        Arrays.fill(rel, (byte) 3);
        init.mkdir("/base", 0700);
        init.writeFile("/base/1259", rel, 0600);
        init.close();
        template.freeze();
        return template;
    }

    @Test
    void frozenLayerRejectsModification() {
        MemoryLayer template = frozenTemplate();
        assertThat(template.isReadOnly()).isTrue();
        assertThat(template.createFile("x", 0600)).isEqualTo(-Errno.EROFS);
        assertThat(template.mkdir("d", 0700)).isEqualTo(-Errno.EROFS);
        assertThat(template.unlink("base/1259")).isEqualTo(-Errno.EROFS);
        assertThat(template.rename("base/1259", "x")).isEqualTo(-Errno.EROFS);
        VirtualFileSystem direct = VirtualFileSystem.builder().mount("/data", template).ownsLayers(false).build();
        assertThat(direct.open("/data/base/1259", O_RDWR, 0)).isEqualTo(-Errno.EROFS);
        assertThat(direct.open("/data/base/1259", O_RDONLY, 0)).isGreaterThanOrEqualTo(0);
        direct.close();
    }

    @Test
    void frozenTemplateServesOverlaysOnManyThreads() throws Exception {
        MemoryLayer template = frozenTemplate();
        long templateBytes = template.allocatedBytes("base/1259");
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<byte[]>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            final byte id = (byte) (10 + t);
            results.add(pool.submit(() -> {
                VirtualFileSystem v = VirtualFileSystem.builder()
                        .mount("/pglite/data", new OverlayLayer(new MemoryLayer(0700), template, false))
                        .build();
                start.await();
                for (int round = 0; round < 50; round++) {
                    int fd = v.open("/pglite/data/base/1259", O_RDWR, 0);
                    byte[] page = new byte[8192];
                    Arrays.fill(page, id);
                    v.pwrite(fd, page, 0, page.length, (long) round * 8192);
                    v.close(fd);
                    v.writeFile("/pglite/data/base/t" + round, new byte[]{id}, 0600);
                }
                byte[] all = v.readFile("/pglite/data/base/1259");
                v.close();
                return all;
            }));
        }
        start.countDown();
        for (int t = 0; t < threads; t++) {
            byte[] all = results.get(t).get(60, TimeUnit.SECONDS);
            byte id = (byte) (10 + t);
            assertThat(Arrays.copyOfRange(all, 0, 50 * 8192)).containsOnly(id);
            assertThat(Arrays.copyOfRange(all, 50 * 8192, all.length)).containsOnly(3);
        }
        pool.shutdown();
        // the template neither changed nor was told its pages are shared
        assertThat(template.allocatedBytes("base/1259")).isEqualTo(templateBytes);
        VirtualFileSystem check = VirtualFileSystem.builder().mount("/", template).ownsLayers(false).build();
        assertThat(check.readFile("/base/1259")).containsOnly(3);
        FileStat st = new FileStat();
        assertThat(check.stat("/base/t0", st)).isEqualTo(-Errno.ENOENT);
        check.close();
    }

    @Test
    void processViewsShareFilesButNotDescriptors() throws Exception {
        Path dir = tmp.resolve("data");
        HostDirectoryLayer data = HostDirectoryLayer.open(dir);
        VirtualFileSystem backend = VirtualFileSystem.builder()
                .mount("/", new MemoryLayer())
                .mount("/pglite/data", data)
                .ownsLayers(false)
                .build();
        VirtualFileSystem.Builder b = VirtualFileSystem.builder().ownsLayers(false);
        backend.mounts().forEach(b::mount);
        assertThat(backend.mounts().keySet()).containsExactly("/", "/pglite/data");
        VirtualFileSystem initdb = b.build();

        int w = initdb.open("/pglite/pgstdin", O_WRONLY | O_CREAT, 0600);
        int r = backend.open("/pglite/pgstdin", O_RDONLY, 0);
        assertThat(w).isEqualTo(3);
        assertThat(r).isEqualTo(3);
        initdb.write(w, "create table t();\n".getBytes(StandardCharsets.US_ASCII), 0, 18);
        byte[] buf = new byte[64];
        assertThat(backend.read(r, buf, 0, 64)).isEqualTo(18);

        initdb.writeFile("/pglite/data/PG_VERSION", "18\n".getBytes(StandardCharsets.US_ASCII), 0600);
        initdb.close();
        // closing one view leaves the shared layers (and the directory lock) alone
        assertThat(backend.readFile("/pglite/data/PG_VERSION")).hasSize(3);
        assertThatThrownBy(() -> HostDirectoryLayer.open(dir)).isInstanceOf(FileSystemLockedException.class);
        backend.close();
        data.close();
        HostDirectoryLayer.open(dir).close();
    }

    @Test
    void hostFacingVariants() {
        VirtualFileSystem v = VirtualFileSystem.builder().build();
        v.mkdir("/d", 0700);
        for (int i = 0; i < 5; i++) {
            v.writeFile("/d/f" + i, new byte[0], 0600);
        }
        v.symlinkat("/d/f0", AT_FDCWD, "/d/link");
        String[] target = new String[1];
        assertThat(v.readlinkat(AT_FDCWD, "/d/link", target)).isZero();
        assertThat(target[0]).isEqualTo("/d/f0");
        assertThat(v.readlinkat(AT_FDCWD, "/d/f1", target)).isEqualTo(-Errno.EINVAL);

        int fd = v.open("/d", O_RDONLY | O_DIRECTORY, 0);
        List<DirEntry> out = new ArrayList<>();
        long[] pos = new long[1];
        assertThat(v.getdents(fd, 4, out, pos)).isEqualTo(4);
        assertThat(pos[0]).isZero();
        out.clear();
        assertThat(v.getdents(fd, 4, out, pos)).isEqualTo(4);
        assertThat(pos[0]).isEqualTo(4);
        assertThat(out).extracting(DirEntry::name).containsExactly("f2", "f3", "f4", "link");
        assertThat(out.get(3).type()).isEqualTo(DirEntry.DT_LNK);

        assertThat(v.statfs("/d")).isNotNull();
        assertThat(v.statfs("/missing")).isNull();
        v.setUmask(077);
        assertThat(v.umask(022)).isEqualTo(077);
        v.close();
    }
}
