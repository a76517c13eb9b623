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
        if (source instanceof OverlayLayer) {
            // Import from the layer that holds the file so that memory pages are shared, not copied.
            FileTreeLayer holder = ((OverlayLayer) source).layerHolding(sourcePath);
            if (holder != null) {
                return importFile(path, holder, sourcePath);
            }
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
     * Copies a whole tree (directories with their modes and times, files, symbolic links) into a new memory
     * layer. Files that live in memory layers, directly or through overlays, share their pages with the copy
     * instead of being copied byte by byte, so copying a cluster's data directory costs little more than its
     * directory structure.
     *
     * @param source the tree to copy (read only)
     * @return a new, writable layer; freeze it to share it
     * @throws FsException if the source cannot be read
     */
    public static MemoryLayer copyOf(FileTreeLayer source) {
        FileStat st = new FileStat();
        int r = source.lstat("", st);
        if (r < 0) {
            throw new FsException(-r, "/");
        }
        MemoryLayer copy = new MemoryLayer(st.permissions());
        copy.copyTree(source, "");
        copy.root.atimeNs = st.atimeNs;
        copy.root.mtimeNs = st.mtimeNs;
        return copy;
    }

    private void copyTree(FileTreeLayer source, String dir) {
        List<DirEntry> entries = new java.util.ArrayList<>();
        int r = source.list(dir, entries);
        if (r < 0) {
            throw new FsException(-r, dir);
        }
        FileStat st = new FileStat();
        for (DirEntry e : entries) {
            String path = dir.isEmpty() ? e.name() : dir + "/" + e.name();
            r = source.lstat(path, st);
            if (r < 0) {
                throw new FsException(-r, path);
            }
            if (st.isDirectory()) {
                r = mkdir(path, st.permissions());
                if (r == 0) {
                    copyTree(source, path);
                    r = setTimes(path, st.atimeNs, st.mtimeNs);
                }
            } else if (st.isSymlink()) {
                String target = source.readlink(path);
                r = target == null ? -Errno.EIO : symlink(target, path);
            } else if (st.isRegularFile()) {
                r = importFile(path, source, path);
            } else {
                r = 0; // nothing else lives in layers
            }
            if (r < 0) {
                throw new FsException(-r, path);
            }
        }
    }

    /**
     * Writes the whole tree: directories with modes and times, symbolic links, and file contents without
     * their all-zero 64 KiB pages (for snapshots kept on disk).
     *
     * @param out the destination
     * @throws java.io.IOException if writing fails
     */
    public void writeTo(java.io.DataOutput out) throws java.io.IOException {
        out.writeInt(root.perm);
        out.writeLong(root.mtimeNs);
        writeChildren(root, out);
    }

    private static void writeChildren(Dir dir, java.io.DataOutput out) throws java.io.IOException {
        java.util.List<String> names = new java.util.ArrayList<>(dir.children.keySet());
        java.util.Collections.sort(names);
        byte[] buf = new byte[PagedContent.PAGE_SIZE];
        for (String name : names) {
            Node n = dir.children.get(name);
            if (n instanceof Dir) {
                out.writeByte('D');
            } else if (n instanceof File) {
                out.writeByte('F');
            } else {
                out.writeByte('L');
            }
            out.writeUTF(name);
            out.writeInt(n.perm);
            out.writeLong(n.mtimeNs);
            if (n instanceof Dir) {
                writeChildren((Dir) n, out);
            } else if (n instanceof File) {
                PagedContent c = ((File) n).content;
                long size = c.size();
                out.writeLong(size);
                for (long pos = 0; pos < size; pos += buf.length) {
                    int len = c.read(pos, buf, 0, buf.length);
                    if (java.util.Arrays.mismatch(buf, 0, len, new byte[len], 0, len) >= 0) {
                        out.writeInt((int) (pos >>> PagedContent.PAGE_SHIFT));
                        out.writeInt(len);
                        out.write(buf, 0, len);
                    }
                }
                out.writeInt(-1);
            } else {
                out.writeUTF(((Symlink) n).target);
            }
        }
        out.writeByte(0);
    }

    /**
     * Reads a tree written by {@link #writeTo} into a new, writable layer.
     *
     * @param in the source
     * @return the layer
     * @throws java.io.IOException if reading fails or the data is malformed
     */
    public static MemoryLayer readFrom(java.io.DataInput in) throws java.io.IOException {
        MemoryLayer layer = new MemoryLayer(in.readInt());
        layer.root.mtimeNs = in.readLong();
        layer.readChildren(layer.root, in, 0);
        return layer;
    }

    private void readChildren(Dir dir, java.io.DataInput in, int depth) throws java.io.IOException {
        if (depth > 256) {
            throw new java.io.IOException("malformed tree: too deep");
        }
        for (int type = in.readByte(); type != 0; type = in.readByte()) {
            String name = in.readUTF();
            if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
                throw new java.io.IOException("malformed tree: entry name '" + name + "'");
            }
            int perm = in.readInt() & FileStat.PERMISSION_MASK;
            long mtime = in.readLong();
            Node n;
            switch (type) {
                case 'D' -> {
                    Dir d = new Dir(inos.allocate(), perm, dir);
                    readChildren(d, in, depth + 1);
                    n = d;
                }
                case 'F' -> {
                    long size = in.readLong();
                    PagedContent c = new PagedContent();
                    for (int page = in.readInt(); page != -1; page = in.readInt()) {
                        int len = in.readInt();
                        if (page < 0 || len <= 0 || len > PagedContent.PAGE_SIZE
                                || ((long) page << PagedContent.PAGE_SHIFT) + len > size) {
                            throw new java.io.IOException("malformed tree: file " + name + " page " + page);
                        }
                        byte[] b = new byte[len];
                        in.readFully(b);
                        c.write((long) page << PagedContent.PAGE_SHIFT, b, 0, len);
                    }
                    c.truncate(size);
                    n = new File(inos.allocate(), perm, c);
                }
                case 'L' -> {
                    n = new Symlink(inos.allocate(), in.readUTF());
                    symlinkCount++;
                }
                default -> throw new java.io.IOException("malformed tree: entry type " + type);
            }
            n.mtimeNs = mtime;
            n.atimeNs = mtime;
            if (addNode(dir, name, n) < 0) {
                throw new java.io.IOException("malformed tree: duplicate entry " + name);
            }
        }
    }

    /** @return whether the layer holds nothing but its root directory */
    public boolean isEmpty() {
        return root.children.isEmpty();
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
