package io.pglite.fs;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A writable file tree held entirely in the Java heap.
 *
 * <p>Used for the writable upper of the root overlay, for {@code /tmp} and {@code /dev/shm}, and for an
 * ephemeral PostgreSQL data directory. File contents use {@link PagedContent} (sparse 64 KiB pages with
 * copy-on-write sharing), so relation files that grow by 8 KiB appends, 16 MiB WAL segments and files of
 * hundreds of MiB are handled without whole-file copies. Copying a file from another {@code MemoryLayer}
 * ({@link #importFile}) shares pages instead of copying bytes, which makes overlay copy-up cheap when a memory
 * layer is the lower (template) layer.
 *
 * <p>Symbolic links are stored and reported; the VFS resolves them. Hard links are not supported.
 *
 * <p>Not thread-safe while writable. {@link #freeze()} turns a finished tree (e.g. a freshly initialized
 * template cluster) into an immutable one that any number of overlays, on any threads, can use as their lower
 * layer: lookups and reads do not write shared state, and copy-up from a frozen layer does not touch it.
 */
public final class MemoryLayer implements FileTreeLayer {

    private final InoSpace inos = new InoSpace();
    private final Dir root;
    private int symlinkCount;
    /** Set once by {@link #freeze()}; volatile so threads that later read the layer see it. */
    private volatile boolean frozen;

    /** Creates an empty layer whose root directory has mode 0755. */
    public MemoryLayer() {
        this(0755);
    }

    /**
     * Creates an empty layer.
     *
     * @param rootMode permission bits of the root directory (e.g. 0700 for a PostgreSQL data directory, which
     *                 PostgreSQL refuses to use if group or others have more than read access)
     */
    public MemoryLayer(int rootMode) {
        root = new Dir(inos.allocate(), rootMode & FileStat.PERMISSION_MASK, null);
    }

    // ---- node model --------------------------------------------------------------------------------------

    private abstract static class Node {
        final long ino;
        int perm;
        long atimeNs;
        long mtimeNs;
        long ctimeNs;

        Node(long ino, int perm) {
            this.ino = ino;
            this.perm = perm;
            long now = nowNs();
            atimeNs = now;
            mtimeNs = now;
            ctimeNs = now;
        }

        abstract int typeBits();

        void fill(FileStat out) {
            out.ino = ino;
            out.mode = typeBits() | perm;
            out.nlink = 1;
            out.uid = 0;
            out.gid = 0;
            out.rdev = 0;
            out.blksize = FileStat.BLOCK_SIZE;
            out.atimeNs = atimeNs;
            out.mtimeNs = mtimeNs;
            out.ctimeNs = ctimeNs;
        }
    }

    private static final class Dir extends Node {
        final HashMap<String, Node> children = new HashMap<>();
        Dir parent;
        int subdirs;

        Dir(long ino, int perm, Dir parent) {
            super(ino, perm);
            this.parent = parent;
        }

        @Override
        int typeBits() {
            return FileStat.S_IFDIR;
        }

        @Override
        void fill(FileStat out) {
            super.fill(out);
            out.nlink = 2 + subdirs;
            out.size = FileStat.BLOCK_SIZE;
            out.blocks = FileStat.blocksFor(FileStat.BLOCK_SIZE);
        }
    }

    private static final class File extends Node {
        PagedContent content;

        File(long ino, int perm, PagedContent content) {
            super(ino, perm);
            this.content = content;
        }

        @Override
        int typeBits() {
            return FileStat.S_IFREG;
        }

        @Override
        void fill(FileStat out) {
            super.fill(out);
            out.size = content.size();
            out.blocks = FileStat.blocksFor(out.size);
        }
    }

    private static final class Symlink extends Node {
        final String target;

        Symlink(long ino, String target) {
            super(ino, 0777);
            this.target = target;
        }

        @Override
        int typeBits() {
            return FileStat.S_IFLNK;
        }

        @Override
        void fill(FileStat out) {
            super.fill(out);
            out.size = target.length();
            out.blocks = 0;
        }
    }

    static long nowNs() {
        return System.currentTimeMillis() * 1_000_000L;
    }

    // ---- lookup ------------------------------------------------------------------------------------------

    /**
     * Result of a failed lookup. Sentinels instead of a "last error" field keep lookups free of writes, so a
     * frozen layer can be read from several threads.
     */
    private static final class Missing extends Node {
        final int errno;

        Missing(int errno) {
            super(0, 0);
            this.errno = errno;
        }

        @Override
        int typeBits() {
            return 0;
        }
    }

    private static final Missing NOENT = new Missing(Errno.ENOENT);
    private static final Missing NOTDIR = new Missing(Errno.ENOTDIR);

    /** Walks the tree; on failure returns {@link #NOENT} or {@link #NOTDIR}. */
    private Node lookup(String path) {
        Node cur = root;
        int len = path.length();
        int start = 0;
        while (start < len) {
            if (!(cur instanceof Dir)) {
                return NOTDIR;
            }
            int slash = path.indexOf('/', start);
            int end = slash < 0 ? len : slash;
            Node next = ((Dir) cur).children.get(path.substring(start, end));
            if (next == null) {
                return NOENT;
            }
            cur = next;
            start = end + 1;
        }
        return cur;
    }

    /** Looks up the parent directory of {@code path}: a {@link Dir}, or a {@link Missing} sentinel. */
    private Node parentOf(String path) {
        int slash = path.lastIndexOf('/');
        Node parent = slash < 0 ? root : lookup(path.substring(0, slash));
        if (parent instanceof Missing || parent instanceof Dir) {
            return parent;
        }
        return NOTDIR;
    }

    private static String nameOf(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /**
     * Makes the layer permanently read-only (every modification then fails with EROFS, including writes
     * through handles opened earlier). Call it once the tree is complete and before sharing the layer between
     * threads; the call itself must happen-before those threads start using it.
     */
    public void freeze() {
        frozen = true;
    }

    /** @return whether {@link #freeze()} was called */
    public boolean isFrozen() {
        return frozen;
    }

    // ---- FileTreeLayer -----------------------------------------------------------------------------------

    @Override
    public boolean isReadOnly() {
        return frozen;
    }

    @Override
    public boolean mayContainSymlinks() {
        return symlinkCount > 0;
    }

    @Override
    public int lstat(String path, FileStat out) {
        Node n = lookup(path);
        if (n instanceof Missing) {
            return -((Missing) n).errno;
        }
        n.fill(out);
        return 0;
    }

    @Override
    public FileHandle open(String path, boolean writable) {
        Node n = lookup(path);
        if (n instanceof Missing) {
            throw new FsException(((Missing) n).errno, path);
        }
        if (n instanceof Dir) {
            throw new FsException(Errno.EISDIR, path);
        }
        if (!(n instanceof File)) {
            throw new FsException(Errno.EINVAL, path);
        }
        if (writable && frozen) {
            throw new FsException(Errno.EROFS, path);
        }
        return new MemHandle(this, (File) n, writable);
    }

    @Override
    public int createFile(String path, int mode) {
        if (frozen) {
            return -Errno.EROFS;
        }
        return addNode(path, new File(inos.allocate(), mode & FileStat.PERMISSION_MASK, new PagedContent()));
    }

    @Override
    public int mkdir(String path, int mode) {
        if (frozen) {
            return -Errno.EROFS;
        }
        if (path.isEmpty()) {
            return -Errno.EEXIST;
        }
        Node parentNode = parentOf(path);
        if (parentNode instanceof Missing) {
            return -((Missing) parentNode).errno;
        }
        Dir parent = (Dir) parentNode;
        return addNode(parent, nameOf(path), new Dir(inos.allocate(), mode & FileStat.PERMISSION_MASK, parent));
    }

    @Override
    public int symlink(String target, String path) {
        if (frozen) {
            return -Errno.EROFS;
        }
        int r = addNode(path, new Symlink(inos.allocate(), target));
        if (r == 0) {
            symlinkCount++;
        }
        return r;
    }

    private int addNode(String path, Node node) {
        if (path.isEmpty()) {
            return -Errno.EEXIST;
        }
        Node parentNode = parentOf(path);
        if (parentNode instanceof Missing) {
            return -((Missing) parentNode).errno;
        }
        Dir parent = (Dir) parentNode;
        return addNode(parent, nameOf(path), node);
    }

    private static int addNode(Dir parent, String name, Node node) {
        if (parent.children.putIfAbsent(name, node) != null) {
            return -Errno.EEXIST;
        }
        if (node instanceof Dir) {
            parent.subdirs++;
        }
        touch(parent);
        return 0;
    }

    private static void touch(Node n) {
        long now = nowNs();
        n.mtimeNs = now;
        n.ctimeNs = now;
    }

    @Override
    public int unlink(String path) {
        if (frozen) {
            return -Errno.EROFS;
        }
        Node parentNode = parentOf(path);
        if (parentNode instanceof Missing) {
            return -((Missing) parentNode).errno;
        }
        Dir parent = (Dir) parentNode;
        String name = nameOf(path);
        Node n = parent.children.get(name);
        if (n == null) {
            return -Errno.ENOENT;
        }
        if (n instanceof Dir) {
            return -Errno.EISDIR;
        }
        parent.children.remove(name);
        if (n instanceof Symlink) {
            symlinkCount--;
        }
        touch(parent);
        return 0;
    }

    @Override
    public int rmdir(String path) {
        if (frozen) {
            return -Errno.EROFS;
        }
        if (path.isEmpty()) {
            return -Errno.EBUSY;
        }
        Node parentNode = parentOf(path);
        if (parentNode instanceof Missing) {
            return -((Missing) parentNode).errno;
        }
        Dir parent = (Dir) parentNode;
        String name = nameOf(path);
        Node n = parent.children.get(name);
        if (n == null) {
            return -Errno.ENOENT;
        }
        if (!(n instanceof Dir)) {
            return -Errno.ENOTDIR;
        }
        if (!((Dir) n).children.isEmpty()) {
            return -Errno.ENOTEMPTY;
        }
        parent.children.remove(name);
        parent.subdirs--;
        touch(parent);
        return 0;
    }

    @Override
    public int rename(String from, String to) {
        if (frozen) {
            return -Errno.EROFS;
        }
        if (from.isEmpty() || to.isEmpty()) {
            return -Errno.EBUSY;
        }
        Node fromParentNode = parentOf(from);
        if (fromParentNode instanceof Missing) {
            return -((Missing) fromParentNode).errno;
        }
        Dir fromParent = (Dir) fromParentNode;
        String fromName = nameOf(from);
        Node n = fromParent.children.get(fromName);
        if (n == null) {
            return -Errno.ENOENT;
        }
        Node toParentNode = parentOf(to);
        if (toParentNode instanceof Missing) {
            return -((Missing) toParentNode).errno;
        }
        Dir toParent = (Dir) toParentNode;
        String toName = nameOf(to);
        if (fromParent == toParent && fromName.equals(toName)) {
            return 0;
        }
        if (n instanceof Dir) {
            // Moving a directory under itself would detach a cycle from the tree.
            for (Dir d = toParent; d != null; d = d.parent) {
                if (d == n) {
                    return -Errno.EINVAL;
                }
            }
        }
        Node existing = toParent.children.get(toName);
        if (existing != null) {
            if (existing instanceof Dir) {
                if (!(n instanceof Dir)) {
                    return -Errno.EISDIR;
                }
                if (!((Dir) existing).children.isEmpty()) {
                    return -Errno.ENOTEMPTY;
                }
                toParent.subdirs--;
            } else if (n instanceof Dir) {
                return -Errno.ENOTDIR;
            }
            if (existing instanceof Symlink) {
                symlinkCount--;
            }
        }
        // Both map operations succeed unconditionally from here, so the move is all-or-nothing.
        toParent.children.put(toName, n);
        fromParent.children.remove(fromName);
        if (n instanceof Dir) {
            fromParent.subdirs--;
            toParent.subdirs++;
            ((Dir) n).parent = toParent;
        }
        touch(fromParent);
        touch(toParent);
        n.ctimeNs = nowNs();
        return 0;
    }

    @Override
    public int list(String path, List<DirEntry> out) {
        Node n = lookup(path);
        if (n instanceof Missing) {
            return -((Missing) n).errno;
        }
        if (!(n instanceof Dir)) {
            return -Errno.ENOTDIR;
        }
        for (Map.Entry<String, Node> e : ((Dir) n).children.entrySet()) {
            Node c = e.getValue();
            out.add(new DirEntry(e.getKey(), c.ino, FileStat.direntType(c.typeBits())));
        }
        return 0;
    }

    @Override
    public String readlink(String path) {
        Node n = lookup(path);
        return n instanceof Symlink ? ((Symlink) n).target : null;
    }

    @Override
    public int chmod(String path, int mode) {
        if (frozen) {
            return -Errno.EROFS;
        }
        Node n = lookup(path);
        if (n instanceof Missing) {
            return -((Missing) n).errno;
        }
        n.perm = mode & FileStat.PERMISSION_MASK;
        n.ctimeNs = nowNs();
        return 0;
    }

    @Override
    public int setTimes(String path, long atimeNs, long mtimeNs) {
        if (frozen) {
            return -Errno.EROFS;
        }
        Node n = lookup(path);
        if (n instanceof Missing) {
            return -((Missing) n).errno;
        }
        if (atimeNs != VirtualFileSystem.UTIME_OMIT) {
            n.atimeNs = atimeNs;
        }
        if (mtimeNs != VirtualFileSystem.UTIME_OMIT) {
            n.mtimeNs = mtimeNs;
        }
        n.ctimeNs = nowNs();
        return 0;
    }

    /**
     * Copies a file; when the source is (or, through an overlay, resolves to) a memory file the pages are
     * shared copy-on-write instead of copied.
     */
    @Override
    public int importFile(String path, FileTreeLayer source, String sourcePath) {
        if (frozen) {
            return -Errno.EROFS;
        }
        FileHandle h;
        try {
            h = source.open(sourcePath, false);
        } catch (FsException e) {
            return -e.errno();
        }
        try {
            if (!(h instanceof MemHandle)) {
                return FileTreeLayer.super.importFile(path, source, sourcePath);
            }
            MemHandle mh = (MemHandle) h;
            File src = mh.file;
            // A frozen source never writes again, so it need not learn that its pages are now shared; leaving
            // it untouched is what makes concurrent copy-ups from one template safe.
            File copy = new File(inos.allocate(), src.perm, src.content.copy(!mh.layer.frozen));
            int r = addNode(path, copy);
            if (r == 0) {
                copy.atimeNs = src.atimeNs;
                copy.mtimeNs = src.mtimeNs;
            }
            return r;
        } finally {
            h.close();
        }
    }

    @Override
    public void close() {
        // Nothing to release: contents are ordinary heap objects.
    }

    /**
     * Bytes of page memory held by a file alone (diagnostics and tests): holes cost nothing, and pages still
     * shared copy-on-write with another file (after an overlay copy-up) are not counted.
     *
     * @param path normalized layer path of a regular file
     * @return allocated bytes, or -1 if not a regular file
     */
    public long allocatedBytes(String path) {
        Node n = lookup(path);
        return n instanceof File ? ((File) n).content.allocatedBytes() : -1;
    }

    // ---- handle ------------------------------------------------------------------------------------------

    private static final class MemHandle implements FileHandle {
        final MemoryLayer layer;
        final File file;
        final boolean writable;

        MemHandle(MemoryLayer layer, File file, boolean writable) {
            this.layer = layer;
            this.file = file;
            this.writable = writable;
        }

        @Override
        public int read(long position, byte[] dst, int off, int len) {
            return file.content.read(position, dst, off, len);
        }

        @Override
        public int write(long position, byte[] src, int off, int len) {
            if (!writable) {
                return -Errno.EBADF;
            }
            if (layer.frozen) {
                return -Errno.EROFS;
            }
            try {
                file.content.write(position, src, off, len);
            } catch (OutOfMemoryError e) {
                // The heap is this layer's disk; report it as a full disk rather than killing the JVM thread.
                return -Errno.ENOSPC;
            }
            long now = System.currentTimeMillis() * 1_000_000L;
            file.mtimeNs = now;
            file.ctimeNs = now;
            return len;
        }

        @Override
        public long size() {
            return file.content.size();
        }

        @Override
        public int truncate(long length) {
            if (!writable) {
                return -Errno.EBADF;
            }
            if (layer.frozen) {
                return -Errno.EROFS;
            }
            file.content.truncate(length);
            touch(file);
            return 0;
        }

        @Override
        public int sync() {
            return 0;
        }

        @Override
        public int stat(FileStat out) {
            file.fill(out);
            return 0;
        }

        @Override
        public boolean isWritable() {
            return writable;
        }

        @Override
        public void close() {
            // Memory files need no release; the node lives as long as a directory entry or handle refers to it.
        }
    }
}
