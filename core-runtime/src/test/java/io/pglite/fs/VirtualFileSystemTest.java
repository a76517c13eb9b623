package io.pglite.fs;

import static io.pglite.fs.OpenFlags.AT_FDCWD;
import static io.pglite.fs.OpenFlags.AT_REMOVEDIR;
import static io.pglite.fs.OpenFlags.AT_SYMLINK_NOFOLLOW;
import static io.pglite.fs.OpenFlags.O_APPEND;
import static io.pglite.fs.OpenFlags.O_CLOEXEC;
import static io.pglite.fs.OpenFlags.O_CREAT;
import static io.pglite.fs.OpenFlags.O_DIRECTORY;
import static io.pglite.fs.OpenFlags.O_EXCL;
import static io.pglite.fs.OpenFlags.O_LARGEFILE;
import static io.pglite.fs.OpenFlags.O_NOFOLLOW;
import static io.pglite.fs.OpenFlags.O_RDONLY;
import static io.pglite.fs.OpenFlags.O_RDWR;
import static io.pglite.fs.OpenFlags.O_TRUNC;
import static io.pglite.fs.OpenFlags.O_WRONLY;
import static io.pglite.fs.OpenFlags.SEEK_CUR;
import static io.pglite.fs.OpenFlags.SEEK_END;
import static io.pglite.fs.OpenFlags.SEEK_SET;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class VirtualFileSystemTest {

    private VirtualFileSystem vfs;
    private MemoryLayer data;

    @BeforeEach
    void setUp() {
        PackageLayer pkg = PackageLayer.builder()
                .file("/pglite/bin/postgres", ByteBuffer.wrap(new byte[]{0, 'a', 's', 'm'}), 0755)
                .file("/pglite/share/postgresql/postgresql.conf.sample",
                        ByteBuffer.wrap("# sample\n".getBytes(StandardCharsets.US_ASCII)))
                .build();
        data = new MemoryLayer(0700);
        vfs = VirtualFileSystem.builder()
                .mount("/", new OverlayLayer(new MemoryLayer(), pkg))
                .mount("/pglite/data", data)
                .mount("/tmp", new MemoryLayer(01777))
                .mount("/dev/shm", new MemoryLayer(01777))
                .build();
    }

    @AfterEach
    void tearDown() {
        vfs.close();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private String readAll(String path) {
        return new String(vfs.readFile(path), StandardCharsets.US_ASCII);
    }

    private List<DirEntry> list(int fd) {
        List<DirEntry> out = new ArrayList<>();
        while (vfs.readdir(fd, 7, out) > 0) {
            // 7 entries per call, like the 2048-byte getdents64 buffers PostgreSQL passes
        }
        return out;
    }

    // ---- paths ------------------------------------------------------------------------------------------

    @Test
    void relativePathsResolveAgainstCwdAfterChdir() {
        assertThat(vfs.chdir("/pglite/data")).isZero();
        assertThat(vfs.getcwd()).isEqualTo("/pglite/data");
        assertThat(vfs.mkdir("base", 0700)).isZero();
        assertThat(vfs.mkdir("base/5", 0700)).isZero();
        int fd = vfs.open("base/5/1259", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_LARGEFILE, 0600);
        assertThat(fd).isGreaterThanOrEqualTo(3);
        assertThat(vfs.pwrite(fd, ascii("page"), 0, 4, 0)).isEqualTo(4);
        vfs.close(fd);

        assertThat(readAll("/pglite/data/base/5/1259")).isEqualTo("page");
        assertThat(readAll("./base/../base/5/./1259")).isEqualTo("page");
        assertThat(readAll("../data/base/5/1259")).isEqualTo("page");
        assertThat(data.lstat("base/5/1259", new FileStat())).isZero();

        assertThat(vfs.chdir("base/5")).isZero();
        assertThat(vfs.getcwd()).isEqualTo("/pglite/data/base/5");
        assertThat(vfs.chdir("1259")).isEqualTo(-Errno.ENOTDIR);
        assertThat(vfs.chdir("/nope")).isEqualTo(-Errno.ENOENT);
        assertThat(vfs.chdir("../../../../..")).isZero();
        assertThat(vfs.getcwd()).isEqualTo("/");
    }

    @Test
    void dirfdRelativeOpenat() {
        vfs.mkdir("/pglite/data/global", 0700);
        vfs.writeFile("/pglite/data/global/pg_control", ascii("ctl"), 0600);
        int dfd = vfs.open("/pglite/data/global", O_RDONLY | O_DIRECTORY, 0);
        assertThat(dfd).isGreaterThanOrEqualTo(0);
        int fd = vfs.openat(dfd, "pg_control", O_RDONLY, 0);
        assertThat(fd).isGreaterThanOrEqualTo(0);
        byte[] buf = new byte[8];
        assertThat(vfs.read(fd, buf, 0, 8)).isEqualTo(3);
        int created = vfs.openat(dfd, "pg_filenode.map", O_WRONLY | O_CREAT, 0600);
        assertThat(created).isGreaterThanOrEqualTo(0);
        FileStat st = new FileStat();
        assertThat(vfs.stat(dfd, "pg_filenode.map", 0, st)).isZero();
        assertThat(vfs.stat(AT_FDCWD, "/pglite/data/global/pg_filenode.map", 0, st)).isZero();
        // absolute paths ignore dirfd; a non-directory dirfd is ENOTDIR; a closed one EBADF
        assertThat(vfs.stat(fd, "/tmp", 0, st)).isZero();
        assertThat(vfs.openat(fd, "x", O_RDONLY, 0)).isEqualTo(-Errno.ENOTDIR);
        assertThat(vfs.openat(999, "x", O_RDONLY, 0)).isEqualTo(-Errno.EBADF);
        assertThat(vfs.stat(dfd, "", OpenFlags.AT_EMPTY_PATH, st)).isZero();
        assertThat(st.isDirectory()).isTrue();
    }

    @Test
    void symlinksInMemoryLayersAreFollowed() {
        vfs.mkdir("/pglite/data/pg_tblspc", 0700);
        vfs.mkdir("/tmp/space", 0700);
        vfs.writeFile("/tmp/space/f", ascii("via link"), 0600);
        assertThat(vfs.symlinkat("/tmp/space", AT_FDCWD, "/pglite/data/pg_tblspc/16384")).isZero();
        assertThat(readAll("/pglite/data/pg_tblspc/16384/f")).isEqualTo("via link");

        FileStat st = new FileStat();
        assertThat(vfs.lstat("/pglite/data/pg_tblspc/16384", st)).isZero();
        assertThat(st.isSymlink()).isTrue();
        assertThat(vfs.stat("/pglite/data/pg_tblspc/16384", st)).isZero();
        assertThat(st.isDirectory()).isTrue();

        byte[] buf = new byte[100];
        int n = vfs.readlinkat(AT_FDCWD, "/pglite/data/pg_tblspc/16384", buf, 0, buf.length);
        assertThat(new String(buf, 0, n, StandardCharsets.UTF_8)).isEqualTo("/tmp/space");
        assertThat(vfs.open("/pglite/data/pg_tblspc/16384", O_RDONLY | O_NOFOLLOW, 0)).isEqualTo(-Errno.ELOOP);

        vfs.chdir("/pglite/data/pg_tblspc/16384");
        assertThat(vfs.getcwd()).isEqualTo("/tmp/space");

        assertThat(vfs.symlinkat("loop2", AT_FDCWD, "/tmp/loop1")).isZero();
        assertThat(vfs.symlinkat("loop1", AT_FDCWD, "/tmp/loop2")).isZero();
        assertThat(vfs.open("/tmp/loop1", O_RDONLY, 0)).isEqualTo(-Errno.ELOOP);
        assertThat(vfs.unlink("/pglite/data/pg_tblspc/16384")).isZero();
        assertThat(vfs.stat("/tmp/space/f", st)).isZero();
    }

    @Test
    void readlinkOnNonLinkIsEinval() {
        byte[] buf = new byte[64];
        assertThat(vfs.readlinkat(AT_FDCWD, "/pglite", buf, 0, 64)).isEqualTo(-Errno.EINVAL);
        assertThat(vfs.readlinkat(AT_FDCWD, "/pglite/bin/postgres", buf, 0, 64)).isEqualTo(-Errno.EINVAL);
        assertThat(vfs.readlinkat(AT_FDCWD, "/pglite/missing", buf, 0, 64)).isEqualTo(-Errno.ENOENT);
    }

    @Test
    void mountPointsAppearInParentListingAndRenameAcrossMountsIsExdev() {
        int fd = vfs.open("/pglite", O_RDONLY | O_DIRECTORY, 0);
        assertThat(list(fd)).extracting(DirEntry::name).containsExactly(".", "..", "bin", "data", "share");
        vfs.writeFile("/tmp/x", ascii("x"), 0600);
        assertThat(vfs.rename("/tmp/x", "/pglite/data/x")).isEqualTo(-Errno.EXDEV);
        assertThat(vfs.rmdir("/pglite/data")).isEqualTo(-Errno.EBUSY);
        FileStat a = new FileStat();
        FileStat b = new FileStat();
        vfs.stat("/tmp/x", a);
        vfs.stat("/pglite/bin/postgres", b);
        assertThat(a.dev).isNotEqualTo(b.dev);
    }

    // ---- open flags -------------------------------------------------------------------------------------

    @Test
    void createExclusiveFailsWhenFileExists() {
        assertThat(vfs.open("/tmp/f", O_RDWR | O_CREAT | O_EXCL, 0600)).isGreaterThanOrEqualTo(0);
        assertThat(vfs.open("/tmp/f", O_RDWR | O_CREAT | O_EXCL, 0600)).isEqualTo(-Errno.EEXIST);
        assertThat(vfs.open("/tmp/dir-missing/f", O_RDWR | O_CREAT, 0600)).isEqualTo(-Errno.ENOENT);
        assertThat(vfs.open("/tmp/missing", O_RDWR, 0)).isEqualTo(-Errno.ENOENT);
        assertThat(vfs.open("/tmp/f/sub", O_RDWR | O_CREAT, 0600)).isEqualTo(-Errno.ENOTDIR);
    }

    @Test
    void truncOnOpenEmptiesTheFile() {
        vfs.writeFile("/tmp/t", ascii("0123456789"), 0600);
        int fd = vfs.open("/tmp/t", O_WRONLY | O_TRUNC, 0);
        FileStat st = new FileStat();
        vfs.fstat(fd, st);
        assertThat(st.size).isZero();
        vfs.write(fd, ascii("ab"), 0, 2);
        vfs.close(fd);
        assertThat(readAll("/tmp/t")).isEqualTo("ab");
        // O_RDONLY|O_TRUNC leaves content alone
        int ro = vfs.open("/tmp/t", O_RDONLY | O_TRUNC, 0);
        vfs.fstat(ro, st);
        assertThat(st.size).isEqualTo(2);
    }

    @Test
    void appendWritesAlwaysGoToTheEnd() {
        vfs.writeFile("/tmp/log", ascii("abc"), 0600);
        int fd = vfs.open("/tmp/log", O_WRONLY | O_APPEND, 0);
        int other = vfs.open("/tmp/log", O_WRONLY, 0);
        assertThat(vfs.seek(fd, 0, SEEK_SET)).isZero();
        assertThat(vfs.write(fd, ascii("de"), 0, 2)).isEqualTo(2);
        assertThat(vfs.seek(fd, 0, SEEK_CUR)).isEqualTo(5);
        vfs.pwrite(other, ascii("XYZWV"), 0, 5, 5);
        vfs.write(fd, ascii("!"), 0, 1);
        assertThat(readAll("/tmp/log")).isEqualTo("abcdeXYZWV!");
    }

    @Test
    void directoryFlagOnFileIsEnotdir() {
        vfs.writeFile("/tmp/plain", ascii("x"), 0600);
        assertThat(vfs.open("/tmp/plain", O_RDONLY | O_DIRECTORY, 0)).isEqualTo(-Errno.ENOTDIR);
        assertThat(vfs.open("/tmp/plain/", O_RDONLY, 0)).isEqualTo(-Errno.ENOTDIR);
        assertThat(vfs.open("/tmp", O_RDWR, 0)).isEqualTo(-Errno.EISDIR);
        int dfd = vfs.open("/tmp", O_RDONLY, 0);
        assertThat(vfs.fileType(dfd)).isEqualTo(VirtualFileSystem.FILETYPE_DIRECTORY);
        byte[] buf = new byte[4];
        assertThat(vfs.read(dfd, buf, 0, 4)).isEqualTo(-Errno.EISDIR);
    }

    @Test
    void readOnlyDescriptorsRejectWritesAndViceVersa() {
        vfs.writeFile("/tmp/rw", ascii("data"), 0600);
        int ro = vfs.open("/tmp/rw", O_RDONLY, 0);
        int wo = vfs.open("/tmp/rw", O_WRONLY, 0);
        byte[] buf = new byte[4];
        assertThat(vfs.write(ro, buf, 0, 4)).isEqualTo(-Errno.EBADF);
        assertThat(vfs.pwrite(ro, buf, 0, 4, 0)).isEqualTo(-Errno.EBADF);
        assertThat(vfs.read(wo, buf, 0, 4)).isEqualTo(-Errno.EBADF);
        assertThat(vfs.ftruncate(ro, 0)).isEqualTo(-Errno.EBADF);
    }

    @Test
    void umaskIsAppliedOnCreate() {
        assertThat(vfs.umask(027)).isEqualTo(022);
        int fd = vfs.open("/tmp/masked", O_WRONLY | O_CREAT, 0666);
        FileStat st = new FileStat();
        vfs.fstat(fd, st);
        assertThat(st.permissions()).isEqualTo(0640);
        assertThat(st.isRegularFile()).isTrue();
        vfs.mkdir("/tmp/mdir", 0777);
        vfs.stat("/tmp/mdir", st);
        assertThat(st.permissions()).isEqualTo(0750);
        assertThat(vfs.umask(022)).isEqualTo(027);
        vfs.chmod("/tmp/masked", 0604);
        vfs.stat("/tmp/masked", st);
        assertThat(st.permissions()).isEqualTo(0604);
    }

    // ---- I/O --------------------------------------------------------------------------------------------

    @Test
    void sparsePwriteBeyondEofReadsZeros() {
        int fd = vfs.open("/pglite/data/sparse", O_RDWR | O_CREAT, 0600);
        long far = 10L * 8192;
        assertThat(vfs.pwrite(fd, ascii("tail"), 0, 4, far)).isEqualTo(4);
        assertThat(vfs.seek(fd, 0, SEEK_END)).isEqualTo(far + 4);
        byte[] buf = new byte[(int) far];
        Arrays.fill(buf, (byte) 1);
        assertThat(vfs.pread(fd, buf, 0, buf.length, 0)).isEqualTo(buf.length);
        assertThat(buf).containsOnly(0);
        // the position is not moved by pread/pwrite
        assertThat(vfs.seek(fd, 0, SEEK_CUR)).isEqualTo(far + 4);
        // ftruncate larger then smaller
        assertThat(vfs.ftruncate(fd, 1 << 20)).isZero();
        assertThat(vfs.seek(fd, 0, SEEK_END)).isEqualTo(1 << 20);
        assertThat(vfs.ftruncate(fd, 3)).isZero();
        assertThat(vfs.pread(fd, buf, 0, 10, 0)).isEqualTo(3);
    }

    @Test
    void seekEndReportsSizeAndBadSeeksFail() {
        int fd = vfs.open("/tmp/s", O_RDWR | O_CREAT, 0600);
        byte[] page = new byte[8192];
        for (int i = 0; i < 5; i++) {
            vfs.pwrite(fd, page, 0, page.length, (long) i * page.length);
        }
        assertThat(vfs.seek(fd, 0, SEEK_END)).isEqualTo(5 * 8192);
        assertThat(vfs.seek(fd, -8192, SEEK_END)).isEqualTo(4 * 8192);
        assertThat(vfs.seek(fd, -1, SEEK_SET)).isEqualTo(-Errno.EINVAL);
        assertThat(vfs.seek(fd, 0, 7)).isEqualTo(-Errno.EINVAL);
        assertThat(vfs.seek(fd, 0, SEEK_CUR)).isEqualTo(4 * 8192);
        assertThat(vfs.seek(1234, 0, SEEK_SET)).isEqualTo(-Errno.EBADF);
        assertThat(vfs.truncate("/tmp/s", 100)).isZero();
        assertThat(vfs.seek(fd, 0, SEEK_END)).isEqualTo(100);
    }

    @Test
    void hundredMegabyteFileInMemoryRoundTrips() throws Exception {
        int fd = vfs.open("/pglite/data/big", O_RDWR | O_CREAT | O_EXCL, 0600);
        byte[] chunk = new byte[1 << 20];
        Random rnd = new Random(42);
        MessageDigest written = MessageDigest.getInstance("SHA-256");
        for (int i = 0; i < 100; i++) {
            rnd.nextBytes(chunk);
            written.update(chunk);
            assertThat(vfs.write(fd, chunk, 0, chunk.length)).isEqualTo(chunk.length);
        }
        assertThat(vfs.seek(fd, 0, SEEK_END)).isEqualTo(100L << 20);
        vfs.close(fd);

        fd = vfs.open("/pglite/data/big", O_RDONLY, 0);
        MessageDigest read = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[(1 << 20) + 4096];
        long total = 0;
        int n;
        while ((n = vfs.read(fd, buf, 0, buf.length)) > 0) {
            read.update(buf, 0, n);
            total += n;
        }
        assertThat(n).isZero();
        assertThat(total).isEqualTo(100L << 20);
        assertThat(read.digest()).isEqualTo(written.digest());
        // and page-sized preads in the middle
        rnd = new Random(42);
        for (int i = 0; i < 51; i++) {
            rnd.nextBytes(chunk);
        }
        byte[] page = new byte[8192];
        assertThat(vfs.pread(fd, page, 0, page.length, (50L << 20) + 8192)).isEqualTo(8192);
        assertThat(page).isEqualTo(Arrays.copyOfRange(chunk, 8192, 16384));
        vfs.close(fd);
        assertThat(vfs.unlink("/pglite/data/big")).isZero();
    }

    @Test
    void openFileSurvivesUnlinkAndRename() {
        vfs.writeFile("/tmp/held", ascii("still here"), 0600);
        int fd = vfs.open("/tmp/held", O_RDONLY, 0);
        assertThat(vfs.rename("/tmp/held", "/tmp/moved")).isZero();
        assertThat(vfs.unlink("/tmp/moved")).isZero();
        byte[] buf = new byte[32];
        assertThat(vfs.read(fd, buf, 0, 32)).isEqualTo(10);
    }

    // ---- namespace ---------------------------------------------------------------------------------------

    @Test
    void renameAtomicallyReplacesFilesAndEmptyDirectories() {
        vfs.writeFile("/pglite/data/pg_internal.init.tmp", ascii("new"), 0600);
        vfs.writeFile("/pglite/data/pg_internal.init", ascii("old"), 0600);
        int oldFd = vfs.open("/pglite/data/pg_internal.init", O_RDONLY, 0);
        assertThat(vfs.rename("/pglite/data/pg_internal.init.tmp", "/pglite/data/pg_internal.init")).isZero();
        assertThat(readAll("/pglite/data/pg_internal.init")).isEqualTo("new");
        FileStat st = new FileStat();
        assertThat(vfs.stat("/pglite/data/pg_internal.init.tmp", st)).isEqualTo(-Errno.ENOENT);
        byte[] buf = new byte[3];
        vfs.read(oldFd, buf, 0, 3);
        assertThat(new String(buf, StandardCharsets.US_ASCII)).isEqualTo("old");

        vfs.mkdir("/tmp/d1", 0700);
        vfs.writeFile("/tmp/d1/f", ascii("f"), 0600);
        vfs.mkdir("/tmp/d2", 0700);
        assertThat(vfs.rename("/tmp/d1", "/tmp/d2")).isZero();
        assertThat(readAll("/tmp/d2/f")).isEqualTo("f");

        vfs.mkdir("/tmp/d3", 0700);
        vfs.writeFile("/tmp/d3/g", ascii("g"), 0600);
        assertThat(vfs.rename("/tmp/d2", "/tmp/d3")).isEqualTo(-Errno.ENOTEMPTY);
        assertThat(vfs.rename("/tmp/d2/f", "/tmp/d3")).isEqualTo(-Errno.EISDIR);
        assertThat(vfs.rename("/tmp/d3", "/tmp/d2/f")).isEqualTo(-Errno.ENOTDIR);
        assertThat(vfs.rename("/tmp/d3", "/tmp/d3/inside")).isEqualTo(-Errno.EINVAL);
        assertThat(vfs.rename("/tmp/none", "/tmp/x")).isEqualTo(-Errno.ENOENT);
    }

    @Test
    void renamingCwdKeepsRelativeLookupsWorking() {
        vfs.mkdir("/tmp/a", 0700);
        vfs.writeFile("/tmp/a/f", ascii("f"), 0600);
        vfs.chdir("/tmp/a");
        int dfd = vfs.open(".", O_RDONLY | O_DIRECTORY, 0);
        assertThat(vfs.rename("/tmp/a", "/tmp/b")).isZero();
        assertThat(vfs.getcwd()).isEqualTo("/tmp/b");
        assertThat(readAll("f")).isEqualTo("f");
        assertThat(vfs.openat(dfd, "f", O_RDONLY, 0)).isGreaterThanOrEqualTo(0);
    }

    @Test
    void mkdirAndRmdirSemantics() {
        assertThat(vfs.mkdir("/tmp/d", 0700)).isZero();
        assertThat(vfs.mkdir("/tmp/d", 0700)).isEqualTo(-Errno.EEXIST);
        assertThat(vfs.mkdir("/tmp/x/y", 0700)).isEqualTo(-Errno.ENOENT);
        assertThat(vfs.mkdir("/pglite/data", 0700)).isEqualTo(-Errno.EEXIST);
        vfs.writeFile("/tmp/d/f", ascii("f"), 0600);
        assertThat(vfs.unlinkat(AT_FDCWD, "/tmp/d", AT_REMOVEDIR)).isEqualTo(-Errno.ENOTEMPTY);
        assertThat(vfs.unlinkat(AT_FDCWD, "/tmp/d", 0)).isEqualTo(-Errno.EISDIR);
        assertThat(vfs.unlinkat(AT_FDCWD, "/tmp/d/f", AT_REMOVEDIR)).isEqualTo(-Errno.ENOTDIR);
        assertThat(vfs.unlink("/tmp/d/f")).isZero();
        assertThat(vfs.unlink("/tmp/d/f")).isEqualTo(-Errno.ENOENT);
        assertThat(vfs.unlinkat(AT_FDCWD, "/tmp/d", AT_REMOVEDIR)).isZero();
        FileStat st = new FileStat();
        assertThat(vfs.stat("/tmp/d", st)).isEqualTo(-Errno.ENOENT);
        assertThat(vfs.rmdir("/dev")).isEqualTo(-Errno.ENOTEMPTY);
    }

    @Test
    void statReportsTypesNlinkInodesAndTimes() {
        vfs.mkdir("/tmp/s", 0700);
        vfs.mkdir("/tmp/s/a", 0700);
        vfs.mkdir("/tmp/s/b", 0700);
        vfs.writeFile("/tmp/s/file", new byte[5000], 0600);
        FileStat st = new FileStat();
        assertThat(vfs.stat("/tmp/s", st)).isZero();
        assertThat(st.type()).isEqualTo(FileStat.S_IFDIR);
        assertThat(st.nlink).isEqualTo(4);
        assertThat(vfs.stat("/tmp/s/file", st)).isZero();
        assertThat(st.mode).isEqualTo(FileStat.S_IFREG | 0600);
        assertThat(st.size).isEqualTo(5000);
        assertThat(st.blksize).isEqualTo(4096);
        assertThat(st.blocks).isEqualTo(10);
        assertThat(st.uid).isZero();
        assertThat(st.mtimeNs).isPositive();
        long ino = st.ino;
        int fd = vfs.open("/tmp/s/file", O_RDONLY, 0);
        FileStat fst = new FileStat();
        vfs.fstat(fd, fst);
        assertThat(fst.ino).isEqualTo(ino);
        assertThat(fst.dev).isEqualTo(st.dev);
        vfs.rename("/tmp/s/file", "/tmp/s/renamed");
        vfs.stat("/tmp/s/renamed", st);
        assertThat(st.ino).isEqualTo(ino);

        assertThat(vfs.utimensat(AT_FDCWD, "/tmp/s/renamed", 1_000_000_000L, 2_000_000_000L, 0)).isZero();
        vfs.stat("/tmp/s/renamed", st);
        assertThat(st.atimeNs).isEqualTo(1_000_000_000L);
        assertThat(st.mtimeNs).isEqualTo(2_000_000_000L);
        vfs.utimensat(AT_FDCWD, "/tmp/s/renamed", VirtualFileSystem.UTIME_OMIT, VirtualFileSystem.UTIME_NOW, 0);
        vfs.stat("/tmp/s/renamed", st);
        assertThat(st.atimeNs).isEqualTo(1_000_000_000L);
        assertThat(st.mtimeNs).isGreaterThan(2_000_000_000L);
    }

    @Test
    void faccessat() {
        assertThat(vfs.faccessat(AT_FDCWD, "/pglite/bin/postgres", OpenFlags.X_OK, 0)).isZero();
        assertThat(vfs.faccessat(AT_FDCWD, "/pglite/share/postgresql/postgresql.conf.sample", OpenFlags.X_OK, 0))
                .isEqualTo(-Errno.EACCES);
        assertThat(vfs.faccessat(AT_FDCWD, "/pglite/share/postgresql/postgresql.conf.sample", OpenFlags.R_OK, 0))
                .isZero();
        assertThat(vfs.faccessat(AT_FDCWD, "/pglite/nothing", OpenFlags.F_OK, 0)).isEqualTo(-Errno.ENOENT);
        assertThat(vfs.faccessat(AT_FDCWD, "/pglite", 8, 0)).isEqualTo(-Errno.EINVAL);
    }

    // ---- descriptors ------------------------------------------------------------------------------------

    @Test
    void lowestFreeDescriptorIsReused() {
        int a = vfs.open("/pglite/bin/postgres", O_RDONLY, 0);
        int b = vfs.open("/pglite/bin/postgres", O_RDONLY, 0);
        int c = vfs.open("/pglite/bin/postgres", O_RDONLY, 0);
        assertThat(new int[]{a, b, c}).containsExactly(3, 4, 5);
        vfs.close(b);
        assertThat(vfs.open("/pglite/bin/postgres", O_RDONLY, 0)).isEqualTo(4);
        vfs.close(a);
        vfs.close(c);
        assertThat(vfs.dup(4)).isEqualTo(3);
        assertThat(vfs.close(4)).isZero();
        assertThat(vfs.close(4)).isEqualTo(-Errno.EBADF);
        assertThat(vfs.open("/pglite/bin/postgres", O_RDONLY, 0)).isEqualTo(4);
    }

    @Test
    void thousandDupsThenClosesLikePostgresFdProbe() {
        int base = vfs.open("/dev/null", O_RDWR, 0);
        int[] fds = new int[1000];
        for (int i = 0; i < fds.length; i++) {
            fds[i] = vfs.dup(1);
            assertThat(fds[i]).isEqualTo(base + 1 + i);
        }
        assertThat(vfs.openFileCount()).isEqualTo(1004);
        for (int fd : fds) {
            assertThat(vfs.close(fd)).isZero();
        }
        assertThat(vfs.openFileCount()).isEqualTo(4);
        assertThat(vfs.dup(1)).isEqualTo(base + 1);
    }

    @Test
    void tableLimitGivesEmfile() {
        VirtualFileSystem small = VirtualFileSystem.builder().maxOpenFiles(16).build();
        int last = 0;
        for (int i = 3; i < 16; i++) {
            last = small.dup(0);
        }
        assertThat(last).isEqualTo(15);
        assertThat(small.dup(0)).isEqualTo(-Errno.EMFILE);
        assertThat(small.open("/dev/null", O_RDONLY, 0)).isEqualTo(-Errno.EMFILE);
        small.close();
    }

    @Test
    void dupSharesPositionAndDup3ReplacesTarget() {
        vfs.writeFile("/tmp/shared", ascii("abcdef"), 0600);
        int fd = vfs.open("/tmp/shared", O_RDONLY, 0);
        int copy = vfs.dup(fd);
        byte[] buf = new byte[2];
        vfs.read(fd, buf, 0, 2);
        vfs.read(copy, buf, 0, 2);
        assertThat(new String(buf, StandardCharsets.US_ASCII)).isEqualTo("cd");
        vfs.close(fd);
        vfs.read(copy, buf, 0, 2);
        assertThat(new String(buf, StandardCharsets.US_ASCII)).isEqualTo("ef");

        // pgl_freopen: dup3 a file onto stdin
        vfs.writeFile("/pglite/pgstdin", ascii("select 1;"), 0600);
        int in = vfs.open("/pglite/pgstdin", O_RDONLY, 0);
        assertThat(vfs.dup3(in, 0, 0)).isZero();
        vfs.close(in);
        byte[] line = new byte[64];
        assertThat(vfs.read(0, line, 0, 64)).isEqualTo(9);
        assertThat(vfs.fileType(0)).isEqualTo(VirtualFileSystem.FILETYPE_REGULAR_FILE);
        assertThat(vfs.dup3(0, 0, 0)).isEqualTo(-Errno.EINVAL);
        assertThat(vfs.dup3(77, 0, 0)).isEqualTo(-Errno.EBADF);
        assertThat(vfs.dup2(0, 0)).isZero();
        assertThat(vfs.dup3(0, 100, O_CLOEXEC)).isEqualTo(100);
        assertThat(vfs.fcntl(100, OpenFlags.F_GETFD, 0)).isEqualTo(OpenFlags.FD_CLOEXEC);
    }

    @Test
    void fcntlSubset() {
        int fd = vfs.open("/tmp/fc", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        assertThat(vfs.fcntl(fd, OpenFlags.F_GETFD, 0)).isEqualTo(OpenFlags.FD_CLOEXEC);
        assertThat(vfs.fcntl(fd, OpenFlags.F_SETFD, 0)).isZero();
        assertThat(vfs.fcntl(fd, OpenFlags.F_GETFD, 0)).isZero();
        assertThat(vfs.fcntl(fd, OpenFlags.F_GETFL, 0) & OpenFlags.O_ACCMODE).isEqualTo(O_RDWR);
        assertThat(vfs.fcntl(fd, OpenFlags.F_SETFL, O_APPEND)).isZero();
        assertThat(vfs.fcntl(fd, OpenFlags.F_GETFL, 0) & O_APPEND).isEqualTo(O_APPEND);
        assertThat(vfs.fcntl(fd, OpenFlags.F_DUPFD, 50)).isEqualTo(50);
        assertThat(vfs.fcntl(fd, OpenFlags.F_SETLK, 0)).isZero();
        assertThat(vfs.fcntl(fd, 999, 0)).isEqualTo(-Errno.EINVAL);
        assertThat(vfs.fcntl(-1, OpenFlags.F_GETFD, 0)).isEqualTo(-Errno.EBADF);
        assertThat(vfs.fallocate(fd, 0, 0, 16384)).isZero();
        assertThat(vfs.seek(fd, 0, SEEK_END)).isEqualTo(16384);
        assertThat(vfs.fadvise(fd, 0, 0, 4)).isZero();
        assertThat(vfs.fadvise(500, 0, 0, 4)).isEqualTo(-Errno.EBADF);
        assertThat(vfs.fsync(fd)).isZero();
    }

    // ---- pipes and devices ------------------------------------------------------------------------------

    @Test
    void pipesAreNonBlocking() {
        int[] fds = new int[2];
        assertThat(vfs.pipe2(fds, 0)).isZero();
        assertThat(fds).containsExactly(3, 4);
        byte[] buf = new byte[16];
        assertThat(vfs.read(fds[0], buf, 0, 16)).isEqualTo(-Errno.EAGAIN);
        assertThat(vfs.write(fds[1], ascii("xy"), 0, 2)).isEqualTo(2);
        assertThat(vfs.read(fds[0], buf, 0, 16)).isEqualTo(2);
        assertThat(vfs.seek(fds[0], 0, SEEK_SET)).isEqualTo(-Errno.ESPIPE);
        assertThat(vfs.pread(fds[0], buf, 0, 1, 0)).isEqualTo(-Errno.ESPIPE);
        assertThat(vfs.write(fds[0], buf, 0, 1)).isEqualTo(-Errno.EBADF);

        byte[] big = new byte[Pipe.CAPACITY + 10];
        assertThat(vfs.write(fds[1], big, 0, big.length)).isEqualTo(Pipe.CAPACITY);
        assertThat(vfs.write(fds[1], big, 0, 1)).isEqualTo(-Errno.EAGAIN);
        byte[] drain = new byte[Pipe.CAPACITY];
        assertThat(vfs.read(fds[0], drain, 0, drain.length)).isEqualTo(Pipe.CAPACITY);

        int dupWriter = vfs.dup(fds[1]);
        vfs.close(fds[1]);
        assertThat(vfs.read(fds[0], buf, 0, 16)).isEqualTo(-Errno.EAGAIN);
        vfs.close(dupWriter);
        assertThat(vfs.read(fds[0], buf, 0, 16)).isZero();

        int[] p2 = new int[2];
        vfs.pipe(p2);
        vfs.close(p2[0]);
        assertThat(vfs.write(p2[1], buf, 0, 1)).isEqualTo(-Errno.EPIPE);
        FileStat st = new FileStat();
        vfs.fstat(p2[1], st);
        assertThat(st.type()).isEqualTo(FileStat.S_IFIFO);
    }

    @Test
    void urandomReturnsRandomBytes() {
        int fd = vfs.open("/dev/urandom", O_RDONLY, 0);
        byte[] a = new byte[32];
        byte[] b = new byte[32];
        assertThat(vfs.read(fd, a, 0, 32)).isEqualTo(32);
        assertThat(vfs.read(fd, b, 0, 32)).isEqualTo(32);
        assertThat(a).isNotEqualTo(new byte[32]);
        assertThat(a).isNotEqualTo(b);
        FileStat st = new FileStat();
        assertThat(vfs.stat("/dev/urandom", st)).isZero();
        assertThat(st.type()).isEqualTo(FileStat.S_IFCHR);
        int dn = vfs.open("/dev/null", O_WRONLY, 0);
        assertThat(vfs.write(dn, a, 0, 32)).isEqualTo(32);
        int zero = vfs.open("/dev/zero", O_RDONLY, 0);
        Arrays.fill(a, (byte) 5);
        vfs.read(zero, a, 0, 32);
        assertThat(a).containsOnly(0);
        int dev = vfs.open("/dev", O_RDONLY | O_DIRECTORY, 0);
        assertThat(list(dev)).extracting(DirEntry::name)
                .containsExactly(".", "..", "null", "random", "shm", "urandom", "zero");
    }

    @Test
    void customDevicesAndStdio() {
        BlobDevice blob = new BlobDevice(ascii("1\tone\n2\ttwo\n"));
        vfs.registerDevice("/dev/blob", blob);
        int in = vfs.open("/dev/blob", O_RDONLY, 0);
        byte[] buf = new byte[5];
        assertThat(vfs.read(in, new byte[6], 0, 6)).isEqualTo(6);
        assertThat(vfs.read(in, buf, 0, 5)).isEqualTo(5);
        assertThat(new String(buf, StandardCharsets.US_ASCII)).isEqualTo("2\ttwo");
        assertThat(vfs.seek(in, 0, SEEK_END)).isEqualTo(12);
        int out = vfs.open("/dev/blob", O_WRONLY | O_CREAT | O_TRUNC, 0666);
        vfs.write(out, ascii("a,b\n"), 0, 4);
        vfs.write(out, ascii("c,d\n"), 0, 4);
        assertThat(new String(blob.output(), StandardCharsets.US_ASCII)).isEqualTo("a,b\nc,d\n");
        assertThat(vfs.open("/dev/blob", O_WRONLY | O_CREAT | O_EXCL, 0666)).isEqualTo(-Errno.EEXIST);

        BlobDevice captured = new BlobDevice();
        vfs.setStdio(1, captured);
        assertThat(vfs.write(1, ascii("hello\n"), 0, 6)).isEqualTo(6);
        assertThat(captured.output()).isEqualTo(ascii("hello\n"));
        assertThat(vfs.fileType(1)).isEqualTo(VirtualFileSystem.FILETYPE_REGULAR_FILE);
        assertThat(vfs.fileType(2)).isEqualTo(VirtualFileSystem.FILETYPE_CHARACTER_DEVICE);
        assertThat(vfs.isatty(2)).isEqualTo(1);
        assertThat(vfs.seek(2, 0, SEEK_SET)).isEqualTo(-Errno.ESPIPE);
        byte[] none = new byte[4];
        assertThat(vfs.read(0, none, 0, 4)).isZero();
        assertThat(vfs.write(2, ascii("LOG:  line one\nLOG:  par"), 0, 24)).isEqualTo(24);
        assertThat(vfs.write(2, ascii("tial\n"), 0, 5)).isEqualTo(5);
    }

    // ---- directories ------------------------------------------------------------------------------------

    @Test
    void getdentsIncludesDotEntriesAndRewinds() {
        vfs.mkdir("/pglite/data/base", 0700);
        for (int i = 0; i < 20; i++) {
            vfs.writeFile("/pglite/data/base/f" + (char) ('a' + i), new byte[0], 0600);
        }
        vfs.mkdir("/pglite/data/base/sub", 0700);
        int fd = vfs.open("/pglite/data/base", O_RDONLY | O_DIRECTORY, 0);
        List<DirEntry> first = new ArrayList<>();
        assertThat(vfs.readdir(fd, 7, first)).isEqualTo(7);
        assertThat(vfs.seek(fd, 0, SEEK_CUR)).isEqualTo(7);
        assertThat(first.get(0).name()).isEqualTo(".");
        assertThat(first.get(1).name()).isEqualTo("..");
        assertThat(first.get(2).name()).isEqualTo("fa");
        FileStat st = new FileStat();
        vfs.stat("/pglite/data/base", st);
        assertThat(first.get(0).ino()).isEqualTo(st.ino);
        vfs.stat("/pglite/data", st);
        assertThat(first.get(1).ino()).isEqualTo(st.ino);
        assertThat(first.get(0).type()).isEqualTo(DirEntry.DT_DIR);
        assertThat(first.get(2).type()).isEqualTo(DirEntry.DT_REG);

        List<DirEntry> rest = list(fd);
        assertThat(rest).hasSize(23 - 7);
        assertThat(rest.get(rest.size() - 1).name()).isEqualTo("sub");
        assertThat(rest.get(rest.size() - 1).type()).isEqualTo(DirEntry.DT_DIR);
        assertThat(vfs.readdir(fd, 7, rest)).isZero();

        vfs.unlink("/pglite/data/base/fa");
        assertThat(vfs.seek(fd, 0, SEEK_SET)).isZero();
        List<DirEntry> again = list(fd);
        assertThat(again).hasSize(22);
        assertThat(again).extracting(DirEntry::name).doesNotContain("fa");

        // seek to an entry index resumes there
        assertThat(vfs.seek(fd, 21, SEEK_SET)).isEqualTo(21);
        List<DirEntry> last = new ArrayList<>();
        assertThat(vfs.readdir(fd, 7, last)).isEqualTo(1);
        assertThat(last.get(0).name()).isEqualTo("sub");
        assertThat(vfs.seek(fd, 0, SEEK_END)).isEqualTo(-Errno.EINVAL);

        int file = vfs.open("/pglite/data/base/fb", O_RDONLY, 0);
        assertThat(vfs.readdir(file, 7, last)).isEqualTo(-Errno.ENOTDIR);
    }

    @Test
    void rootListingHasDotDotPointingToItself() {
        int fd = vfs.open("/", O_RDONLY | O_DIRECTORY, 0);
        List<DirEntry> entries = list(fd);
        assertThat(entries.get(0).ino()).isEqualTo(entries.get(1).ino());
        assertThat(entries).extracting(DirEntry::name).contains("dev", "pglite", "tmp");
    }

    @Test
    void lstatFlagOnStatAndNofollowInPaths() {
        vfs.writeFile("/tmp/target", ascii("t"), 0600);
        vfs.symlinkat("target", AT_FDCWD, "/tmp/link");
        FileStat st = new FileStat();
        assertThat(vfs.stat(AT_FDCWD, "/tmp/link", AT_SYMLINK_NOFOLLOW, st)).isZero();
        assertThat(st.isSymlink()).isTrue();
        assertThat(st.size).isEqualTo(6);
        assertThat(vfs.stat(AT_FDCWD, "/tmp/link", 0, st)).isZero();
        assertThat(st.isRegularFile()).isTrue();
        assertThat(vfs.symlinkat("x", AT_FDCWD, "/tmp/link")).isEqualTo(-Errno.EEXIST);
        assertThat(vfs.open("/tmp/link", O_RDWR | O_CREAT | O_EXCL, 0600)).isEqualTo(-Errno.EEXIST);
    }

    @Test
    void statfsAndCloseReleasesDescriptors() {
        StatFs fs = new StatFs();
        assertThat(vfs.statfs("/pglite/data", fs)).isZero();
        assertThat(fs.bsize).isEqualTo(4096);
        assertThat(fs.blocks).isPositive();
        vfs.open("/tmp", O_RDONLY, 0);
        vfs.close();
        assertThat(vfs.openFileCount()).isZero();
        assertThat(vfs.open("/tmp", O_RDONLY, 0)).isEqualTo(-Errno.EIO);
    }

    @Test
    void hostFacingFileHelpers() {
        vfs.writeFile("/pglite/data/postgresql.auto.conf", ascii("a = 1\n"), 0600);
        assertThat(readAll("/pglite/data/postgresql.auto.conf")).isEqualTo("a = 1\n");
        assertThat(vfs.pathOf(1)).isEqualTo("/dev/stdout");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> vfs.readFile("/nope"))
                .isInstanceOfSatisfying(FsException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
    }
}
