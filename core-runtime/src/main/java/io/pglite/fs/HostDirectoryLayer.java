package io.pglite.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A file tree backed by a real directory on the host, for a persistent PostgreSQL data directory.
 *
 * <p>Each open handle keeps its own {@link FileChannel} open for as long as the wasm side keeps the descriptor
 * open; {@code fsync} maps to {@link FileChannel#force(boolean)}. A writable layer takes an exclusive
 * {@link FileLock} on {@value #LOCK_FILE_NAME} in the directory, so a second live file system on the same
 * directory, in this JVM or another process, is refused with {@link FileSystemLockedException}; the lock is
 * released by {@link #close()}. The lock file is hidden from the wasm side.
 *
 * <p>Modes: on POSIX hosts permission bits are the real host bits (PostgreSQL checks that its data directory
 * is 0700 or 0750). On other hosts directories report 0700 and files 0600 and {@code chmod} is accepted without
 * effect. Host symbolic links are followed by the host OS and look like their targets; creating symbolic
 * links is not supported ({@code -EPERM}). Inode numbers come from a per-layer path table so that they never
 * collide with other layers under an overlay; they are stable while the VFS runs, not across restarts.
 *
 * <p>A writable layer is not thread-safe (see {@link VirtualFileSystem}). A read-only layer
 * ({@link #openReadOnly}) may be shared as the lower of overlays used from several threads.
 */
public final class HostDirectoryLayer implements FileTreeLayer {
    private static final Logger LOG = LoggerFactory.getLogger(HostDirectoryLayer.class);

    /** Name of the lock file kept in the directory root. Invisible through the VFS. */
    public static final String LOCK_FILE_NAME = ".pglite.lock";

    private final Path root;
    private final boolean readOnly;
    private final boolean durable;
    private final boolean posix;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final InoSpace inoSpace = new InoSpace();
    private final HashMap<String, Long> inos = new HashMap<>();
    private final Set<HostHandle> openHandles = Collections.newSetFromMap(new IdentityHashMap<>());
    private boolean closed;

    private HostDirectoryLayer(Path root, boolean readOnly, boolean durable, FileChannel lockChannel,
                               FileLock lock) {
        this.root = root;
        this.readOnly = readOnly;
        this.durable = durable;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.posix = root.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    /**
     * Opens a writable, durable layer on a directory, creating it (mode 0700) if missing, and locks it.
     *
     * @param directory host directory
     * @return the layer; close it to release the lock
     * @throws FileSystemLockedException if another live file system holds the directory
     * @throws IOException               if the directory cannot be created or locked
     */
    public static HostDirectoryLayer open(Path directory) throws IOException {
        return open(directory, true);
    }

    /**
     * Opens a writable layer on a directory, creating it (mode 0700) if missing, and locks it.
     *
     * @param directory host directory
     * @param durable   whether {@code fsync} really forces data to the device; {@code false} trades crash
     *                  safety for speed (like PostgreSQL's {@code fsync=off}), e.g. for test clusters
     * @return the layer; close it to release the lock
     * @throws FileSystemLockedException if another live file system holds the directory
     * @throws IOException               if the directory cannot be created or locked
     */
    public static HostDirectoryLayer open(Path directory, boolean durable) throws IOException {
        Path root = directory.toAbsolutePath().normalize();
        if (!Files.isDirectory(root)) {
            Files.createDirectories(root);
            if (root.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx------"));
            }
        }
        Path lockPath = root.resolve(LOCK_FILE_NAME);
        FileChannel ch = FileChannel.open(lockPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            // The JVM tracks locks per file, so a second tryLock from this process throws instead of
            // returning null.
            ch.close();
            throw new FileSystemLockedException(root, "held by another file system in this JVM");
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        if (lock == null) {
            ch.close();
            throw new FileSystemLockedException(root, "held by another process");
        }
        try {
            byte[] owner = ("pid " + ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII);
            ch.truncate(0);
            ch.write(ByteBuffer.wrap(owner), 0);
        } catch (IOException e) {
            // The owner note is informational only; the OS lock is what protects the directory.
            LOG.debug("could not record lock owner in {}", lockPath, e);
        }
        LOG.debug("locked host directory {}", root);
        return new HostDirectoryLayer(root, false, durable, ch, lock);
    }

    /**
     * Opens a read-only layer on an existing directory, e.g. a template cluster used as the lower of an
     * {@link OverlayLayer}. No lock is taken, so several file systems may share it; the directory must not be
     * modified while they run.
     *
     * @param directory existing host directory
     * @return the layer
     * @throws IOException if the path is not a directory
     */
    public static HostDirectoryLayer openReadOnly(Path directory) throws IOException {
        Path root = directory.toAbsolutePath().normalize();
        if (!Files.isDirectory(root)) {
            throw new NotDirectoryException(root.toString());
        }
        return new HostDirectoryLayer(root, true, false, null, null);
    }

    /** @return the host directory this layer maps */
    public Path directory() {
        return root;
    }

    /**
     * Maps a layer path to the host. A name the host cannot represent (e.g. a NUL, or a character Windows
     * forbids) cannot exist there, so it is reported as a missing file rather than a crash.
     */
    private Path host(String path) throws NoSuchFileException {
        try {
            return path.isEmpty() ? root : root.resolve(path);
        } catch (InvalidPathException e) {
            throw new NoSuchFileException(path, null, "not representable on the host: " + e.getMessage());
        }
    }

    private static boolean isLockFile(String path) {
        return path.equals(LOCK_FILE_NAME);
    }

    // The inode table and the handle set are the only state a read-only layer mutates; they are synchronized
    // so one read-only template directory can serve overlays on several threads.
    private synchronized long inoFor(String path) {
        Long ino = inos.get(path);
        if (ino == null) {
            ino = inoSpace.allocate();
            inos.put(path, ino);
        }
        return ino;
    }

    private synchronized void forgetIno(String path) {
        inos.remove(path);
    }

    /** Maps a host I/O failure to the errno PostgreSQL would see from the native syscall. */
    static int errnoOf(IOException e) {
        if (e instanceof NoSuchFileException) {
            return Errno.ENOENT;
        }
        if (e instanceof FileAlreadyExistsException) {
            return Errno.EEXIST;
        }
        if (e instanceof DirectoryNotEmptyException) {
            return Errno.ENOTEMPTY;
        }
        if (e instanceof NotDirectoryException) {
            return Errno.ENOTDIR;
        }
        if (e instanceof AccessDeniedException) {
            return Errno.EACCES;
        }
        if (e instanceof FileSystemLoopException) {
            return Errno.ELOOP;
        }
        String reason = e instanceof FileSystemException ? ((FileSystemException) e).getReason() : e.getMessage();
        if (reason != null) {
            if (reason.contains("Not a directory")) {
                return Errno.ENOTDIR;
            }
            if (reason.contains("Is a directory")) {
                return Errno.EISDIR;
            }
            if (reason.contains("No space left")) {
                return Errno.ENOSPC;
            }
            if (reason.contains("Read-only file system")) {
                return Errno.EROFS;
            }
            if (reason.contains("Directory not empty")) {
                return Errno.ENOTEMPTY;
            }
            if (reason.contains("File name too long")) {
                return Errno.ENAMETOOLONG;
            }
            if (reason.contains("cross-device")) {
                return Errno.EXDEV;
            }
            if (reason.contains("Too many open files")) {
                return Errno.EMFILE;
            }
        }
        return Errno.EIO;
    }

    private int fail(String op, String path, IOException e) {
        int errno = errnoOf(e);
        if (errno == Errno.EIO) {
            LOG.warn("{} {} in {} failed: {}", op, path, root, e.toString());
        }
        return -errno;
    }

    private static int permBits(Set<PosixFilePermission> perms) {
        int m = 0;
        for (PosixFilePermission p : perms) {
            switch (p) {
                case OWNER_READ: m |= 0400; break;
                case OWNER_WRITE: m |= 0200; break;
                case OWNER_EXECUTE: m |= 0100; break;
                case GROUP_READ: m |= 040; break;
                case GROUP_WRITE: m |= 020; break;
                case GROUP_EXECUTE: m |= 010; break;
                case OTHERS_READ: m |= 04; break;
                case OTHERS_WRITE: m |= 02; break;
                case OTHERS_EXECUTE: m |= 01; break;
                default: break;
            }
        }
        return m;
    }

    private static Set<PosixFilePermission> permSet(int mode) {
        Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
        if ((mode & 0400) != 0) s.add(PosixFilePermission.OWNER_READ);
        if ((mode & 0200) != 0) s.add(PosixFilePermission.OWNER_WRITE);
        if ((mode & 0100) != 0) s.add(PosixFilePermission.OWNER_EXECUTE);
        if ((mode & 040) != 0) s.add(PosixFilePermission.GROUP_READ);
        if ((mode & 020) != 0) s.add(PosixFilePermission.GROUP_WRITE);
        if ((mode & 010) != 0) s.add(PosixFilePermission.GROUP_EXECUTE);
        if ((mode & 04) != 0) s.add(PosixFilePermission.OTHERS_READ);
        if ((mode & 02) != 0) s.add(PosixFilePermission.OTHERS_WRITE);
        if ((mode & 01) != 0) s.add(PosixFilePermission.OTHERS_EXECUTE);
        return s;
    }

    private static long ns(FileTime t) {
        return t == null ? 0 : t.to(TimeUnit.NANOSECONDS);
    }

    private void fill(String path, BasicFileAttributes a, FileStat out) {
        int type;
        if (a.isDirectory()) {
            type = FileStat.S_IFDIR;
        } else if (a.isRegularFile()) {
            type = FileStat.S_IFREG;
        } else if (a.isSymbolicLink()) {
            type = FileStat.S_IFLNK;
        } else {
            type = FileStat.S_IFCHR;
        }
        int perm;
        if (a instanceof PosixFileAttributes) {
            perm = permBits(((PosixFileAttributes) a).permissions());
        } else {
            perm = a.isDirectory() ? 0700 : 0600;
        }
        out.ino = inoFor(path);
        out.mode = type | perm;
        out.nlink = a.isDirectory() ? 2 : 1;
        out.uid = 0;
        out.gid = 0;
        out.rdev = 0;
        out.size = a.size();
        out.blksize = FileStat.BLOCK_SIZE;
        out.blocks = FileStat.blocksFor(out.size);
        out.atimeNs = ns(a.lastAccessTime());
        out.mtimeNs = ns(a.lastModifiedTime());
        out.ctimeNs = out.mtimeNs;
    }

    private BasicFileAttributes attributes(Path p) throws IOException {
        return posix ? Files.readAttributes(p, PosixFileAttributes.class)
                : Files.readAttributes(p, BasicFileAttributes.class);
    }

    private int checkWritable(String path) {
        if (readOnly) {
            return -Errno.EROFS;
        }
        if (closed) {
            return -Errno.EIO;
        }
        return isLockFile(path) ? -Errno.EPERM : 0;
    }

    @Override
    public boolean isReadOnly() {
        return readOnly;
    }

    @Override
    public boolean mayContainSymlinks() {
        return false;
    }

    @Override
    public int lstat(String path, FileStat out) {
        if (isLockFile(path)) {
            return -Errno.ENOENT;
        }
        try {
            fill(path, attributes(host(path)), out);
            return 0;
        } catch (IOException e) {
            return fail("stat", path, e);
        }
    }

    @Override
    public FileHandle open(String path, boolean writable) {
        if (isLockFile(path)) {
            throw new FsException(Errno.ENOENT, path);
        }
        if (writable && readOnly) {
            throw new FsException(Errno.EROFS, path);
        }
        try {
            Path p = host(path);
            FileChannel ch = writable
                    ? FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)
                    : FileChannel.open(p, StandardOpenOption.READ);
            HostHandle h = new HostHandle(this, path, p, ch, writable, inoFor(path));
            synchronized (openHandles) {
                openHandles.add(h);
            }
            return h;
        } catch (IOException e) {
            throw new FsException(-fail("open", path, e), path);
        }
    }

    @Override
    public int createFile(String path, int mode) {
        int r = checkWritable(path);
        if (r < 0) {
            return r;
        }
        try {
            Path p = host(path);
            if (posix) {
                Files.createFile(p, PosixFilePermissions.asFileAttribute(permSet(mode)));
                // The create attribute is filtered by the JVM process umask; the VFS umask is authoritative.
                Files.setPosixFilePermissions(p, permSet(mode));
            } else {
                Files.createFile(p);
            }
            forgetIno(path);
            return 0;
        } catch (IOException e) {
            return fail("create", path, e);
        }
    }

    @Override
    public int mkdir(String path, int mode) {
        int r = checkWritable(path);
        if (r < 0) {
            return r;
        }
        try {
            Path p = host(path);
            if (posix) {
                Files.createDirectory(p, PosixFilePermissions.asFileAttribute(permSet(mode)));
                Files.setPosixFilePermissions(p, permSet(mode));
            } else {
                Files.createDirectory(p);
            }
            forgetIno(path);
            return 0;
        } catch (IOException e) {
            return fail("mkdir", path, e);
        }
    }

    @Override
    public int unlink(String path) {
        int r = checkWritable(path);
        if (r < 0) {
            return r;
        }
        try {
            Path p = host(path);
            if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                return -Errno.EISDIR;
            }
            Files.delete(p);
            forgetIno(path);
            return 0;
        } catch (IOException e) {
            return fail("unlink", path, e);
        }
    }

    @Override
    public int rmdir(String path) {
        if (path.isEmpty()) {
            return -Errno.EBUSY;
        }
        int r = checkWritable(path);
        if (r < 0) {
            return r;
        }
        try {
            Path p = host(path);
            if (!Files.isDirectory(p)) {
                return Files.exists(p, LinkOption.NOFOLLOW_LINKS) ? -Errno.ENOTDIR : -Errno.ENOENT;
            }
            Files.delete(p);
            forgetIno(path);
            return 0;
        } catch (IOException e) {
            return fail("rmdir", path, e);
        }
    }

    @Override
    public int rename(String from, String to) {
        int r = checkWritable(from);
        if (r == 0) {
            r = checkWritable(to);
        }
        if (r < 0) {
            return r;
        }
        if (from.isEmpty() || to.isEmpty()) {
            return -Errno.EBUSY;
        }
        try {
            Path src = host(from);
            Path dst = host(to);
            try {
                // rename(2): atomically replaces a file or an empty directory.
                Files.move(src, dst, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(src, dst, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            return fail("rename", from + " -> " + to, e);
        }
        moveInos(from, to);
        return 0;
    }

    /** Keeps inode numbers attached to files (and directory subtrees) across a rename. */
    private synchronized void moveInos(String from, String to) {
        forgetIno(to);
        Long ino = inos.remove(from);
        if (ino != null) {
            inos.put(to, ino);
        }
        String prefix = from + "/";
        Map<String, Long> moved = null;
        for (Iterator<Map.Entry<String, Long>> it = inos.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Long> e = it.next();
            if (e.getKey().startsWith(prefix)) {
                if (moved == null) {
                    moved = new HashMap<>();
                }
                moved.put(to + "/" + e.getKey().substring(prefix.length()), e.getValue());
                it.remove();
            }
        }
        if (moved != null) {
            inos.putAll(moved);
        }
    }

    @Override
    public int list(String path, List<DirEntry> out) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(host(path))) {
            String prefix = path.isEmpty() ? "" : path + "/";
            for (Path child : ds) {
                String name = child.getFileName().toString();
                String childPath = prefix + name;
                if (isLockFile(childPath)) {
                    continue;
                }
                int type;
                try {
                    BasicFileAttributes a = Files.readAttributes(child, BasicFileAttributes.class);
                    type = a.isDirectory() ? DirEntry.DT_DIR : a.isRegularFile() ? DirEntry.DT_REG
                            : DirEntry.DT_UNKNOWN;
                } catch (IOException e) {
                    // Dangling host link or a file removed concurrently: let the reader lstat it.
                    type = DirEntry.DT_UNKNOWN;
                }
                out.add(new DirEntry(name, inoFor(childPath), type));
            }
            return 0;
        } catch (IOException e) {
            return fail("list", path, e);
        }
    }

    @Override
    public String readlink(String path) {
        return null;
    }

    @Override
    public int symlink(String target, String path) {
        int r = checkWritable(path);
        return r < 0 ? r : -Errno.EPERM;
    }

    @Override
    public int chmod(String path, int mode) {
        int r = checkWritable(path);
        if (r < 0) {
            return r;
        }
        try {
            if (!posix) {
                return Files.exists(host(path)) ? 0 : -Errno.ENOENT;
            }
            Files.setPosixFilePermissions(host(path), permSet(mode));
            return 0;
        } catch (IOException e) {
            return fail("chmod", path, e);
        }
    }

    @Override
    public int setTimes(String path, long atimeNs, long mtimeNs) {
        int r = checkWritable(path);
        if (r < 0) {
            return r;
        }
        try {
            Files.getFileAttributeView(host(path), BasicFileAttributeView.class).setTimes(
                    mtimeNs == VirtualFileSystem.UTIME_OMIT ? null : FileTime.from(mtimeNs, TimeUnit.NANOSECONDS),
                    atimeNs == VirtualFileSystem.UTIME_OMIT ? null : FileTime.from(atimeNs, TimeUnit.NANOSECONDS),
                    null);
            return 0;
        } catch (IOException e) {
            return fail("utimes", path, e);
        }
    }

    /** Uses a host file copy when both layers are host directories; otherwise the generic streaming copy. */
    @Override
    public int importFile(String path, FileTreeLayer source, String sourcePath) {
        if (!(source instanceof HostDirectoryLayer)) {
            return FileTreeLayer.super.importFile(path, source, sourcePath);
        }
        int r = checkWritable(path);
        if (r < 0) {
            return r;
        }
        try {
            Files.copy(((HostDirectoryLayer) source).host(sourcePath), host(path), StandardCopyOption.COPY_ATTRIBUTES);
            forgetIno(path);
            return 0;
        } catch (IOException e) {
            return fail("copy", path, e);
        }
    }

    @Override
    public int syncDirectory(String path) {
        if (!durable) {
            return 0;
        }
        try (FileChannel ch = FileChannel.open(host(path), StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some platforms cannot open or fsync a directory; PostgreSQL tolerates that on those platforms too.
            LOG.debug("directory fsync of {} skipped: {}", path, e.toString());
        }
        return 0;
    }

    @Override
    public void sync() {
        if (!durable) {
            return;
        }
        HostHandle[] handles;
        synchronized (openHandles) {
            handles = openHandles.toArray(new HostHandle[0]);
        }
        for (HostHandle h : handles) {
            if (h.writable) {
                h.sync();
            }
        }
    }

    @Override
    public void statfs(StatFs out) {
        try {
            FileStore store = Files.getFileStore(root);
            long bs = FileStat.BLOCK_SIZE;
            out.blocks = store.getTotalSpace() / bs;
            out.bfree = store.getUnallocatedSpace() / bs;
            out.bavail = store.getUsableSpace() / bs;
            out.files = 1L << 24;
            out.ffree = 1L << 23;
            out.flags = readOnly ? StatFs.ST_RDONLY : 0;
        } catch (IOException e) {
            FileTreeLayer.super.statfs(out);
        }
    }

    /** Closes every open channel and releases the directory lock. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        HostHandle[] handles;
        synchronized (openHandles) {
            handles = openHandles.toArray(new HostHandle[0]);
        }
        for (HostHandle h : handles) {
            h.close();
        }
        if (lockChannel != null) {
            try {
                lock.release();
            } catch (IOException e) {
                LOG.warn("releasing lock on {} failed", root, e);
            }
            try {
                lockChannel.close();
            } catch (IOException e) {
                LOG.warn("closing lock file in {} failed", root, e);
            }
            LOG.debug("unlocked host directory {}", root);
        }
    }

    // ---- handle ------------------------------------------------------------------------------------------

    private static final class HostHandle implements FileHandle {
        private final HostDirectoryLayer layer;
        private final String path;
        private final Path hostPath;
        private final FileChannel ch;
        private final boolean writable;
        private final long ino;
        private boolean closed;

        HostHandle(HostDirectoryLayer layer, String path, Path hostPath, FileChannel ch, boolean writable, long ino) {
            this.layer = layer;
            this.path = path;
            this.hostPath = hostPath;
            this.ch = ch;
            this.writable = writable;
            this.ino = ino;
        }

        @Override
        public int read(long position, byte[] dst, int off, int len) {
            try {
                ByteBuffer bb = ByteBuffer.wrap(dst, off, len);
                int done = 0;
                while (bb.hasRemaining()) {
                    int n = ch.read(bb, position + done);
                    if (n <= 0) {
                        break;
                    }
                    done += n;
                }
                return done;
            } catch (IOException e) {
                return layer.fail("read", path, e);
            }
        }

        @Override
        public int write(long position, byte[] src, int off, int len) {
            if (!writable) {
                return -Errno.EBADF;
            }
            try {
                ByteBuffer bb = ByteBuffer.wrap(src, off, len);
                int done = 0;
                while (bb.hasRemaining()) {
                    done += ch.write(bb, position + done);
                }
                return done;
            } catch (IOException e) {
                return layer.fail("write", path, e);
            }
        }

        @Override
        public long size() {
            try {
                return ch.size();
            } catch (IOException e) {
                return layer.fail("size", path, e);
            }
        }

        @Override
        public int truncate(long length) {
            if (!writable) {
                return -Errno.EBADF;
            }
            try {
                long size = ch.size();
                if (length < size) {
                    ch.truncate(length);
                } else if (length > size) {
                    // FileChannel.truncate never grows a file; writing the last byte does, leaving a hole.
                    ch.write(ByteBuffer.wrap(new byte[1]), length - 1);
                }
                return 0;
            } catch (IOException e) {
                return layer.fail("truncate", path, e);
            }
        }

        @Override
        public int sync() {
            if (!layer.durable) {
                return 0;
            }
            try {
                ch.force(true);
                return 0;
            } catch (IOException e) {
                return layer.fail("fsync", path, e);
            }
        }

        @Override
        public int stat(FileStat out) {
            try {
                layer.fill(path, layer.attributes(hostPath), out);
            } catch (IOException e) {
                // Unlinked or renamed while open: report what the channel still knows.
                out.clear();
                out.mode = FileStat.S_IFREG | 0600;
                out.nlink = 0;
            }
            out.ino = ino;
            long size = size();
            if (size >= 0) {
                out.size = size;
                out.blocks = FileStat.blocksFor(size);
            }
            return 0;
        }

        @Override
        public boolean isWritable() {
            return writable;
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            synchronized (layer.openHandles) {
                layer.openHandles.remove(this);
            }
            try {
                ch.close();
            } catch (IOException e) {
                LOG.warn("closing {} failed", hostPath, e);
            }
        }
    }
}
