package io.pglite.fs;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A read-only file tree whose files are slices of shared {@link ByteBuffer}s: the distribution's
 * {@code pglite.data} blob plus the Emscripten file-packager index of {@code (path, start, end)} entries.
 *
 * <p>Zero copy: a file is a read-only view of the blob and reads copy straight from it into the caller's array,
 * so the package costs no heap beyond the blob itself (which may be a memory-mapped file). Parent directories of
 * files are created implicitly with mode 0755; empty directories can be declared explicitly. Every
 * modification returns {@code -EROFS}; mount it as the lower of an {@link OverlayLayer} to get a writable
 * view. Thread-safe for reads once built (absolute {@code ByteBuffer} reads do not touch buffer state).
 */
public final class PackageLayer implements FileTreeLayer {

    private static final class Node {
        final long ino;
        final int mode;
        final ByteBuffer content;
        final Map<String, Node> children;

        Node(long ino, int mode, ByteBuffer content, boolean dir) {
            this.ino = ino;
            this.mode = mode;
            this.content = content;
            this.children = dir ? new LinkedHashMap<>() : null;
        }
    }

    private final HashMap<String, Node> nodes;
    private final long timeNs;

    private PackageLayer(HashMap<String, Node> nodes, long timeNs) {
        this.nodes = nodes;
        this.timeNs = timeNs;
    }

    /** @return a builder for a package layer */
    public static Builder builder() {
        return new Builder();
    }

    /** Collects files and directories, then builds an immutable {@link PackageLayer}. Not thread-safe. */
    public static final class Builder {
        private final InoSpace inos = new InoSpace();
        private final HashMap<String, Node> nodes = new HashMap<>();
        private long timeNs = MemoryLayer.nowNs();

        private Builder() {
            nodes.put("", new Node(inos.allocate(), FileStat.S_IFDIR | 0755, null, true));
        }

        /**
         * Adds a regular file with mode 0644 whose content is {@code blob[start, end)}.
         *
         * @param path  absolute or root-relative path inside the layer (e.g. {@code /pglite/share/x})
         * @param blob  the shared data blob; not copied
         * @param start first byte, inclusive
         * @param end   last byte, exclusive
         * @return this builder
         */
        public Builder file(String path, ByteBuffer blob, int start, int end) {
            if (start < 0 || end < start || end > blob.limit()) {
                throw new IllegalArgumentException("slice [" + start + ", " + end + ") outside blob of "
                        + blob.limit() + " bytes for " + path);
            }
            return file(path, blob.slice(start, end - start), 0644);
        }

        /**
         * Adds a regular file with mode 0644.
         *
         * @param path    path inside the layer
         * @param content file bytes from position 0 to the limit; not copied
         * @return this builder
         */
        public Builder file(String path, ByteBuffer content) {
            return file(path, content, 0644);
        }

        /**
         * Adds a regular file.
         *
         * @param path    path inside the layer
         * @param content file bytes from position 0 to the limit; not copied
         * @param mode    permission bits
         * @return this builder
         */
        public Builder file(String path, ByteBuffer content, int mode) {
            Objects.requireNonNull(content, "content");
            String p = normalize(path);
            if (p.isEmpty()) {
                throw new IllegalArgumentException("a file cannot be the package root");
            }
            Node parent = ensureDir(parentPath(p));
            ByteBuffer view = content.slice().asReadOnlyBuffer();
            Node node = new Node(inos.allocate(), FileStat.S_IFREG | (mode & FileStat.PERMISSION_MASK), view, false);
            Node prev = nodes.get(p);
            if (prev != null && prev.children != null) {
                throw new IllegalArgumentException("path is already a directory: " + path);
            }
            nodes.put(p, node);
            parent.children.put(nameOf(p), node);
            return this;
        }

        /**
         * Declares a directory (and its parents), e.g. an empty one the index does not imply.
         *
         * @param path path inside the layer
         * @param mode permission bits
         * @return this builder
         */
        public Builder directory(String path, int mode) {
            String p = normalize(path);
            Node existing = nodes.get(p);
            if (existing != null && existing.children == null) {
                throw new IllegalArgumentException("path is already a file: " + path);
            }
            if (existing == null) {
                Node parent = ensureDir(parentPath(p));
                Node node = new Node(inos.allocate(), FileStat.S_IFDIR | (mode & FileStat.PERMISSION_MASK), null, true);
                nodes.put(p, node);
                parent.children.put(nameOf(p), node);
            }
            return this;
        }

        /**
         * Sets the time reported as atime/mtime/ctime for every entry (default: when the builder was made).
         *
         * @param epochNs nanoseconds since the epoch
         * @return this builder
         */
        public Builder time(long epochNs) {
            this.timeNs = epochNs;
            return this;
        }

        private Node ensureDir(String p) {
            Node n = nodes.get(p);
            if (n != null) {
                if (n.children == null) {
                    throw new IllegalArgumentException("path is a file but used as a directory: " + p);
                }
                return n;
            }
            Node parent = ensureDir(parentPath(p));
            n = new Node(inos.allocate(), FileStat.S_IFDIR | 0755, null, true);
            nodes.put(p, n);
            parent.children.put(nameOf(p), n);
            return n;
        }

        /** @return the immutable layer */
        public PackageLayer build() {
            return new PackageLayer(new HashMap<>(nodes), timeNs);
        }
    }

    private static String normalize(String path) {
        StringBuilder sb = new StringBuilder(path.length());
        for (String c : path.split("/")) {
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                throw new IllegalArgumentException("'..' not allowed in package path: " + path);
            }
            if (sb.length() > 0) {
                sb.append('/');
            }
            sb.append(c);
        }
        return sb.toString();
    }

    private static String parentPath(String p) {
        int slash = p.lastIndexOf('/');
        return slash < 0 ? "" : p.substring(0, slash);
    }

    private static String nameOf(String p) {
        return p.substring(p.lastIndexOf('/') + 1);
    }

    /** @return number of entries (files and directories, root included) */
    public int size() {
        return nodes.size();
    }

    @Override
    public boolean isReadOnly() {
        return true;
    }

    @Override
    public boolean mayContainSymlinks() {
        return false;
    }

    private void fill(Node n, FileStat out) {
        out.ino = n.ino;
        out.mode = n.mode;
        out.nlink = 1;
        out.uid = 0;
        out.gid = 0;
        out.rdev = 0;
        out.blksize = FileStat.BLOCK_SIZE;
        if (n.children != null) {
            out.size = FileStat.BLOCK_SIZE;
            int subdirs = 0;
            for (Node c : n.children.values()) {
                if (c.children != null) {
                    subdirs++;
                }
            }
            out.nlink = 2 + subdirs;
        } else {
            out.size = n.content.limit();
        }
        out.blocks = FileStat.blocksFor(out.size);
        out.atimeNs = timeNs;
        out.mtimeNs = timeNs;
        out.ctimeNs = timeNs;
    }

    /** Distinguishes "missing" from "a prefix is a file" as POSIX lookups do. */
    private int missingErr(String path) {
        int slash = path.lastIndexOf('/');
        while (slash > 0) {
            Node n = nodes.get(path.substring(0, slash));
            if (n != null) {
                return n.children == null ? -Errno.ENOTDIR : -Errno.ENOENT;
            }
            slash = path.lastIndexOf('/', slash - 1);
        }
        return -Errno.ENOENT;
    }

    @Override
    public int lstat(String path, FileStat out) {
        Node n = nodes.get(path);
        if (n == null) {
            return missingErr(path);
        }
        fill(n, out);
        return 0;
    }

    @Override
    public FileHandle open(String path, boolean writable) {
        Node n = nodes.get(path);
        if (n == null) {
            throw new FsException(-missingErr(path), path);
        }
        if (n.children != null) {
            throw new FsException(Errno.EISDIR, path);
        }
        if (writable) {
            throw new FsException(Errno.EROFS, path);
        }
        return new SliceHandle(n);
    }

    @Override
    public int createFile(String path, int mode) {
        return -Errno.EROFS;
    }

    @Override
    public int mkdir(String path, int mode) {
        return -Errno.EROFS;
    }

    @Override
    public int unlink(String path) {
        return -Errno.EROFS;
    }

    @Override
    public int rmdir(String path) {
        return -Errno.EROFS;
    }

    @Override
    public int rename(String from, String to) {
        return -Errno.EROFS;
    }

    @Override
    public int list(String path, List<DirEntry> out) {
        Node n = nodes.get(path);
        if (n == null) {
            return missingErr(path);
        }
        if (n.children == null) {
            return -Errno.ENOTDIR;
        }
        List<DirEntry> tmp = new ArrayList<>(n.children.size());
        for (Map.Entry<String, Node> e : n.children.entrySet()) {
            Node c = e.getValue();
            tmp.add(new DirEntry(e.getKey(), c.ino, c.children != null ? DirEntry.DT_DIR : DirEntry.DT_REG));
        }
        out.addAll(tmp);
        return 0;
    }

    @Override
    public String readlink(String path) {
        return null;
    }

    @Override
    public int symlink(String target, String path) {
        return -Errno.EROFS;
    }

    @Override
    public int chmod(String path, int mode) {
        return -Errno.EROFS;
    }

    @Override
    public int setTimes(String path, long atimeNs, long mtimeNs) {
        return -Errno.EROFS;
    }

    @Override
    public void close() {
        // The blob belongs to the caller (it may be shared by several layers); nothing to release here.
    }

    private final class SliceHandle implements FileHandle {
        private final Node node;

        SliceHandle(Node node) {
            this.node = node;
        }

        @Override
        public int read(long position, byte[] dst, int off, int len) {
            ByteBuffer b = node.content;
            int limit = b.limit();
            if (position >= limit || len <= 0) {
                return 0;
            }
            int n = (int) Math.min(len, limit - position);
            b.get((int) position, dst, off, n);
            return n;
        }

        @Override
        public int write(long position, byte[] src, int off, int len) {
            return -Errno.EBADF;
        }

        @Override
        public long size() {
            return node.content.limit();
        }

        @Override
        public int truncate(long length) {
            return -Errno.EROFS;
        }

        @Override
        public int sync() {
            return 0;
        }

        @Override
        public int stat(FileStat out) {
            fill(node, out);
            return 0;
        }

        @Override
        public boolean isWritable() {
            return false;
        }

        @Override
        public void close() {
            // The slice is a view; nothing to release.
        }
    }
}
