package io.pglite.fs;

import static io.pglite.fs.OpenFlags.O_CREAT;
import static io.pglite.fs.OpenFlags.O_DIRECTORY;
import static io.pglite.fs.OpenFlags.O_EXCL;
import static io.pglite.fs.OpenFlags.O_RDONLY;
import static io.pglite.fs.OpenFlags.O_RDWR;
import static io.pglite.fs.OpenFlags.O_WRONLY;
import static io.pglite.fs.OpenFlags.SEEK_END;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class HostDirectoryLayerTest {

    @TempDir
    Path tmp;

    private static VirtualFileSystem vfsOn(HostDirectoryLayer layer) {
        return VirtualFileSystem.builder().mount("/pglite/data", layer).build();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void dataPersistsAcrossFileSystems() throws Exception {
        Path dir = tmp.resolve("pgdata");
        VirtualFileSystem first = vfsOn(HostDirectoryLayer.open(dir));
        assertThat(first.chdir("/pglite/data")).isZero();
        assertThat(first.mkdir("base", 0700)).isZero();
        int fd = first.open("base/1259", O_RDWR | O_CREAT | O_EXCL, 0600);
        byte[] page = new byte[8192];
        page[0] = 1;
        page[8191] = 2;
        assertThat(first.pwrite(fd, page, 0, page.length, 8192)).isEqualTo(8192);
        assertThat(first.fsync(fd)).isZero();
        assertThat(first.seek(fd, 0, SEEK_END)).isEqualTo(16384);
        first.writeFile("PG_VERSION", ascii("18\n"), 0600);
        first.close();

        assertThat(Files.size(dir.resolve("base/1259"))).isEqualTo(16384);

        VirtualFileSystem second = vfsOn(HostDirectoryLayer.open(dir));
        assertThat(new String(second.readFile("/pglite/data/PG_VERSION"), StandardCharsets.US_ASCII))
                .isEqualTo("18\n");
        fd = second.open("/pglite/data/base/1259", O_RDONLY, 0);
        byte[] back = new byte[8192];
        assertThat(second.pread(fd, back, 0, back.length, 8192)).isEqualTo(8192);
        assertThat(back).isEqualTo(page);
        assertThat(second.pread(fd, back, 0, back.length, 0)).isEqualTo(8192);
        assertThat(back).containsOnly(0);
        second.close();
    }

    @Test
    void secondLiveFileSystemOnSameDirectoryIsRefused() throws Exception {
        Path dir = tmp.resolve("locked");
        VirtualFileSystem owner = vfsOn(HostDirectoryLayer.open(dir));
        assertThatThrownBy(() -> HostDirectoryLayer.open(dir))
                .isInstanceOf(FileSystemLockedException.class)
                .hasMessageContaining(dir.toAbsolutePath().normalize().toString())
                .hasMessageContaining("already in use");
        owner.close();
        // the lock is released on close
        HostDirectoryLayer again = HostDirectoryLayer.open(dir);
        again.close();
    }

    @Test
    @Timeout(60)
    void directoryLockedByAnotherProcessIsRefused() throws Exception {
        Path dir = tmp.resolve("other-process");
        Files.createDirectories(dir);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // Built from code sources, not java.class.path: test launchers may load classes from elsewhere.
        String classPath = String.join(File.pathSeparator, codeSource(LockHolderMain.class),
                codeSource(HostDirectoryLayer.class), codeSource(org.slf4j.LoggerFactory.class));
        Process child = new ProcessBuilder(java, "-cp", classPath,
                LockHolderMain.class.getName(), dir.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
            BufferedReader out = new BufferedReader(
                    new InputStreamReader(child.getInputStream(), StandardCharsets.US_ASCII));
            assertThat(out.readLine()).isEqualTo("locked");
            assertThatThrownBy(() -> HostDirectoryLayer.open(dir))
                    .isInstanceOf(FileSystemLockedException.class)
                    .hasMessageContaining(dir.toAbsolutePath().normalize().toString())
                    .hasMessageContaining("another process");
        } finally {
            child.getOutputStream().close();
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        // the child's exit released the lock
        HostDirectoryLayer.open(dir).close();
    }

    private static String codeSource(Class<?> c) throws Exception {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    @Test
    void lockFileIsInvisible() throws Exception {
        Path dir = tmp.resolve("hidden");
        VirtualFileSystem vfs = vfsOn(HostDirectoryLayer.open(dir));
        assertThat(Files.exists(dir.resolve(HostDirectoryLayer.LOCK_FILE_NAME))).isTrue();
        int fd = vfs.open("/pglite/data", O_RDONLY | O_DIRECTORY, 0);
        List<DirEntry> entries = new ArrayList<>();
        vfs.readdir(fd, 100, entries);
        assertThat(entries).extracting(DirEntry::name).containsExactly(".", "..");
        FileStat st = new FileStat();
        assertThat(vfs.stat("/pglite/data/" + HostDirectoryLayer.LOCK_FILE_NAME, st)).isEqualTo(-Errno.ENOENT);
        assertThat(vfs.open("/pglite/data/" + HostDirectoryLayer.LOCK_FILE_NAME, O_WRONLY | O_CREAT, 0600))
                .isEqualTo(-Errno.EPERM);
        vfs.close();
    }

    @Test
    void posixSemanticsOnHostFiles() throws Exception {
        Path dir = tmp.resolve("sem");
        VirtualFileSystem vfs = vfsOn(HostDirectoryLayer.open(dir));
        vfs.chdir("/pglite/data");
        assertThat(vfs.open("missing", O_RDWR, 0)).isEqualTo(-Errno.ENOENT);
        assertThat(vfs.open("bad\0name", O_RDWR | O_CREAT, 0600)).isEqualTo(-Errno.ENOENT);
        vfs.writeFile("a.tmp", ascii("new"), 0600);
        vfs.writeFile("a", ascii("old"), 0600);
        assertThat(vfs.rename("a.tmp", "a")).isZero();
        assertThat(new String(vfs.readFile("a"), StandardCharsets.US_ASCII)).isEqualTo("new");
        assertThat(vfs.mkdir("d", 0700)).isZero();
        vfs.writeFile("d/f", ascii("x"), 0600);
        assertThat(vfs.rmdir("d")).isEqualTo(-Errno.ENOTEMPTY);
        assertThat(vfs.unlink("d")).isEqualTo(-Errno.EISDIR);
        assertThat(vfs.open("a/x", O_RDONLY, 0)).isEqualTo(-Errno.ENOTDIR);
        assertThat(vfs.unlink("d/f")).isZero();
        assertThat(vfs.rmdir("d")).isZero();
        assertThat(vfs.truncate("a", 10)).isZero();
        FileStat st = new FileStat();
        assertThat(vfs.stat("a", st)).isZero();
        assertThat(st.size).isEqualTo(10);
        assertThat(st.isRegularFile()).isTrue();
        if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
            assertThat(st.permissions()).isEqualTo(0600);
            assertThat(vfs.chmod("a", 0640)).isZero();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("a"))))
                    .isEqualTo("rw-r-----");
            vfs.stat("/pglite/data", st);
            assertThat(st.permissions()).isEqualTo(0700);
        }
        // an open file keeps working after unlink, and inode numbers are stable for an open file
        int fd = vfs.open("a", O_RDONLY, 0);
        FileStat before = new FileStat();
        vfs.stat("a", before);
        FileStat viaFd = new FileStat();
        vfs.fstat(fd, viaFd);
        assertThat(viaFd.ino).isEqualTo(before.ino);
        assertThat(vfs.unlink("a")).isZero();
        byte[] buf = new byte[3];
        assertThat(vfs.read(fd, buf, 0, 3)).isEqualTo(3);
        vfs.close();
    }

    @Test
    void readOnlyTemplateUnderOverlayIsNeverModified() throws Exception {
        Path template = tmp.resolve("template");
        VirtualFileSystem init = vfsOn(HostDirectoryLayer.open(template));
        init.writeFile("/pglite/data/PG_VERSION", ascii("18\n"), 0600);
        init.close();

        HostDirectoryLayer lower = HostDirectoryLayer.openReadOnly(template);
        VirtualFileSystem clone = VirtualFileSystem.builder()
                .mount("/pglite/data", new OverlayLayer(new MemoryLayer(0700), lower)).build();
        int fd = clone.open("/pglite/data/PG_VERSION", O_RDWR, 0);
        clone.pwrite(fd, ascii("99"), 0, 2, 0);
        clone.close();
        assertThat(Files.readString(template.resolve("PG_VERSION"))).isEqualTo("18\n");
        FileStat st = new FileStat();
        assertThat(lower.createFile("x", 0600)).isEqualTo(-Errno.EROFS);
        assertThat(lower.lstat("PG_VERSION", st)).isZero();
    }
}
