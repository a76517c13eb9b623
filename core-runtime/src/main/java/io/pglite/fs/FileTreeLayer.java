package io.pglite.fs;

import java.io.Closeable;
import java.util.List;

/**
 * A tree of files and directories that {@link VirtualFileSystem} mounts at a mount point.
 *
 * <h2>Paths</h2>
 * Every path a layer receives is relative to the layer root and already normalized by the VFS: components are
 * separated by a single {@code /}, there is no leading or trailing slash, no {@code .} or {@code ..}
 * component, and the root itself is the empty string. Symbolic links are resolved by the VFS before it calls
 * a layer (see {@link #mayContainSymlinks()}), so layers never follow links themselves, except a
 * {@link HostDirectoryLayer}, whose host OS follows host links.
 *
 * <h2>Division of work</h2>
 * POSIX argument checking that only needs {@link #lstat} (EEXIST for {@code O_EXCL}, EISDIR, ENOTDIR,
 * ENOTEMPTY by listing, rename type compatibility, EXDEV) is done once in the VFS, so the layers stay small and
 * behave alike. A layer still reports the errors only it can see (missing parent: ENOENT; a parent that is a
 * file: ENOTDIR; read-only: EROFS).
 *
 * <h2>Errors</h2>
 * Methods return 0 (or a count) on success and a negated {@link Errno} value on failure. Only
 * {@link #open} returns an object and therefore signals failure with {@link FsException}; the VFS calls it
 * after a successful {@link #lstat}, so that path is not taken for the common ENOENT case.
 *
 * <h2>Threading</h2>
 * Layers are not thread-safe; the owning VFS serializes access (see {@link VirtualFileSystem}). Exceptions,
 * for sharing one immutable template below many overlays: a {@link PackageLayer}, a frozen
 * {@link MemoryLayer} and a read-only {@link HostDirectoryLayer} may be read from several threads at once.
 * Several VFS instances (e.g. one per wasm process) may mount the same layers if their calls are serialized.
 */
public interface FileTreeLayer extends Closeable {

    /** @return whether the layer rejects every modification with EROFS */
    boolean isReadOnly();

    /**
     * Whether the layer may currently hold symbolic links. When no mounted layer may, the VFS resolves paths
     * lexically without an {@code lstat} per component, which is the common fast path.
     *
     * @return {@code true} if a symbolic link may exist in this layer
     */
    boolean mayContainSymlinks();

    /**
     * Reads the attributes of a path without following a final symbolic link.
     *
     * @param path normalized layer path
     * @param out  holder to fill (ino, mode, nlink, size, blocks, times)
     * @return 0, {@code -ENOENT}, or {@code -ENOTDIR} if a prefix is not a directory
     */
    int lstat(String path, FileStat out);

    /**
     * Opens an existing regular file.
     *
     * @param path     normalized layer path of a regular file
     * @param writable whether the handle will be written or truncated
     * @return a handle bound to the file
     * @throws FsException with ENOENT, EISDIR, EROFS, EACCES, EIO, ...
     */
    FileHandle open(String path, boolean writable);

    /**
     * Creates an empty regular file.
     *
     * @param path normalized layer path
     * @param mode permission bits (umask already applied)
     * @return 0, {@code -EEXIST}, {@code -ENOENT} (no parent), {@code -ENOTDIR}, {@code -EROFS}
     */
    int createFile(String path, int mode);

    /**
     * Creates a directory.
     *
     * @param path normalized layer path
     * @param mode permission bits (umask already applied)
     * @return 0, {@code -EEXIST}, {@code -ENOENT}, {@code -ENOTDIR}, {@code -EROFS}
     */
    int mkdir(String path, int mode);

    /**
     * Removes a non-directory entry. Open handles on the file stay usable.
     *
     * @param path normalized layer path
     * @return 0, {@code -ENOENT}, {@code -EISDIR}, {@code -EROFS}
     */
    int unlink(String path);

    /**
     * Removes an empty directory.
     *
     * @param path normalized layer path, not the root
     * @return 0, {@code -ENOENT}, {@code -ENOTDIR}, {@code -ENOTEMPTY}, {@code -EROFS}
     */
    int rmdir(String path);

    /**
     * Atomically moves an entry, replacing {@code to} if it exists. The VFS has already checked that
     * {@code from} exists, that an existing {@code to} is compatible (file over non-directory, directory over
     * empty directory) and that {@code to} is not inside {@code from}.
     *
     * @param from normalized source path
     * @param to   normalized target path
     * @return 0 or {@code -errno}
     */
    int rename(String from, String to);

    /**
     * Lists a directory (without "." and ".."), appending to {@code out}. Order is not significant; the VFS
     * sorts.
     *
     * @param path normalized layer path of a directory
     * @param out  receives the entries
     * @return 0, {@code -ENOENT}, {@code -ENOTDIR}
     */
    int list(String path, List<DirEntry> out);

    /**
     * Reads a symbolic link.
     *
     * @param path normalized layer path
     * @return the link target, or {@code null} if the path is not a symbolic link
     */
    String readlink(String path);

    /**
     * Creates a symbolic link.
     *
     * @param target link contents, stored verbatim
     * @param path   normalized layer path of the new link
     * @return 0, {@code -EEXIST}, {@code -ENOENT}, {@code -EROFS}, {@code -EPERM} (unsupported)
     */
    int symlink(String target, String path);

    /**
     * Changes permission bits.
     *
     * @param path normalized layer path
     * @param mode new permission bits ({@link FileStat#PERMISSION_MASK})
     * @return 0 or {@code -errno}
     */
    int chmod(String path, int mode);

    /**
     * Sets access and modification times.
     *
     * @param path    normalized layer path
     * @param atimeNs new access time in ns, or {@link VirtualFileSystem#UTIME_OMIT}
     * @param mtimeNs new modification time in ns, or {@link VirtualFileSystem#UTIME_OMIT}
     * @return 0 or {@code -errno}
     */
    int setTimes(String path, long atimeNs, long mtimeNs);

    /**
     * Creates regular file {@code path} in this layer as a copy of {@code sourcePath} in {@code source}
     * (content, permission bits, times). Used by {@link OverlayLayer} for copy-up. The default streams the
     * content in 1 MiB chunks; layers override it with cheaper ways (shared pages, host file copy).
     *
     * @param path       target path in this layer; must not exist, parent must exist
     * @param source     layer to copy from
     * @param sourcePath regular file in {@code source}
     * @return 0 or {@code -errno}
     */
    default int importFile(String path, FileTreeLayer source, String sourcePath) {
        FileStat st = new FileStat();
        int r = source.lstat(sourcePath, st);
        if (r < 0) {
            return r;
        }
        r = createFile(path, st.permissions());
        if (r < 0) {
            return r;
        }
        FileHandle in = null;
        FileHandle out = null;
        try {
            in = source.open(sourcePath, false);
            out = open(path, true);
            byte[] buf = new byte[1 << 20];
            long pos = 0;
            while (true) {
                int n = in.read(pos, buf, 0, buf.length);
                if (n < 0) {
                    return n;
                }
                if (n == 0) {
                    break;
                }
                int w = out.write(pos, buf, 0, n);
                if (w < 0) {
                    return w;
                }
                pos += n;
            }
        } catch (FsException e) {
            return -e.errno();
        } finally {
            if (in != null) {
                in.close();
            }
            if (out != null) {
                out.close();
            }
        }
        return setTimes(path, st.atimeNs, st.mtimeNs);
    }

    /**
     * Makes a directory's entries durable (PostgreSQL fsyncs directories after creating or renaming files).
     *
     * @param path normalized layer path of a directory
     * @return 0 or {@code -errno}
     */
    default int syncDirectory(String path) {
        return 0;
    }

    /** Forces all data written through this layer to durable storage (no-op for memory layers). */
    default void sync() {
    }

    /**
     * Fills file system statistics. The default reports a large, mostly free file system.
     *
     * @param out holder to fill
     */
    default void statfs(StatFs out) {
        out.blocks = 1L << 24;
        out.bfree = 1L << 23;
        out.bavail = 1L << 23;
        out.files = 1L << 20;
        out.ffree = 1L << 19;
        out.flags = isReadOnly() ? StatFs.ST_RDONLY : 0;
    }

    /** Releases resources (host layers: open channels and the directory lock). Idempotent. */
    @Override
    void close();
}
