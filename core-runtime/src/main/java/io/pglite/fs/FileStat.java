package io.pglite.fs;

/**
 * The attributes of a file as {@code stat(2)} reports them.
 *
 * <p>A plain mutable holder with public fields: the wasm host fills one instance per syscall and packs it into
 * the 96-byte Emscripten {@code struct stat}, so reusing an instance avoids an allocation per call. Layers fill
 * {@link #ino}, {@link #mode}, {@link #nlink}, {@link #size}, {@link #blocks} and the times;
 * {@link VirtualFileSystem} then sets {@link #dev} per mount.
 */
public final class FileStat {
    /** File type mask of {@link #mode}. */
    public static final int S_IFMT = 0170000;
    /** Type bits: socket. */
    public static final int S_IFSOCK = 0140000;
    /** Type bits: symbolic link. */
    public static final int S_IFLNK = 0120000;
    /** Type bits: regular file. */
    public static final int S_IFREG = 0100000;
    /** Type bits: block device. */
    public static final int S_IFBLK = 0060000;
    /** Type bits: directory. */
    public static final int S_IFDIR = 0040000;
    /** Type bits: character device. */
    public static final int S_IFCHR = 0020000;
    /** Type bits: FIFO (pipe). */
    public static final int S_IFIFO = 0010000;
    /** Permission and set-id/sticky bits that {@code chmod} may change. */
    public static final int PERMISSION_MASK = 07777;

    /** Block size always reported, as the Emscripten glue does. */
    public static final int BLOCK_SIZE = 4096;

    /** Device id: one per mount point. */
    public long dev;
    /** Inode number, stable for a file while it exists in the same layer. */
    public long ino;
    /** Type bits ({@code S_IF*}) plus permission bits. */
    public int mode;
    /** Number of hard links (directories: 2 + subdirectories). */
    public int nlink;
    /** Owner user id; always 0 as in the Emscripten glue. */
    public int uid;
    /** Owner group id; always 0. */
    public int gid;
    /** Device id of a character device, else 0. */
    public long rdev;
    /** Size in bytes (symbolic links: length of the target). */
    public long size;
    /** Preferred I/O block size, always {@value #BLOCK_SIZE}. */
    public int blksize = BLOCK_SIZE;
    /** Allocated 512-byte blocks (approximated from the size). */
    public long blocks;
    /** Last access time, nanoseconds since the epoch. */
    public long atimeNs;
    /** Last modification time, nanoseconds since the epoch. */
    public long mtimeNs;
    /** Last status change time, nanoseconds since the epoch. */
    public long ctimeNs;

    /** Creates a zeroed instance. */
    public FileStat() {
    }

    /**
     * Resets every field, so a reused instance carries nothing over from a previous call.
     *
     * @return this instance
     */
    public FileStat clear() {
        dev = 0;
        ino = 0;
        mode = 0;
        nlink = 0;
        uid = 0;
        gid = 0;
        rdev = 0;
        size = 0;
        blksize = BLOCK_SIZE;
        blocks = 0;
        atimeNs = 0;
        mtimeNs = 0;
        ctimeNs = 0;
        return this;
    }

    /**
     * Copies all fields from another instance.
     *
     * @param other source
     * @return this instance
     */
    public FileStat copyFrom(FileStat other) {
        dev = other.dev;
        ino = other.ino;
        mode = other.mode;
        nlink = other.nlink;
        uid = other.uid;
        gid = other.gid;
        rdev = other.rdev;
        size = other.size;
        blksize = other.blksize;
        blocks = other.blocks;
        atimeNs = other.atimeNs;
        mtimeNs = other.mtimeNs;
        ctimeNs = other.ctimeNs;
        return this;
    }

    /** @return the {@code S_IF*} type bits of {@link #mode} */
    public int type() {
        return mode & S_IFMT;
    }

    /** @return whether this is a directory */
    public boolean isDirectory() {
        return (mode & S_IFMT) == S_IFDIR;
    }

    /** @return whether this is a regular file */
    public boolean isRegularFile() {
        return (mode & S_IFMT) == S_IFREG;
    }

    /** @return whether this is a symbolic link */
    public boolean isSymlink() {
        return (mode & S_IFMT) == S_IFLNK;
    }

    /** @return whether this is a character device */
    public boolean isCharDevice() {
        return (mode & S_IFMT) == S_IFCHR;
    }

    /** @return the permission bits (mode without the type) */
    public int permissions() {
        return mode & PERMISSION_MASK;
    }

    /**
     * Number of 512-byte blocks a file of the given size occupies, the unit POSIX uses for
     * {@code st_blocks}.
     *
     * @param size file size in bytes
     * @return block count
     */
    public static long blocksFor(long size) {
        return (size + 511) >>> 9;
    }

    /**
     * Maps {@code S_IF*} type bits to the {@code d_type} value used in directory entries.
     *
     * @param mode a mode with type bits
     * @return one of the {@code DirEntry.DT_*} constants
     */
    public static int direntType(int mode) {
        switch (mode & S_IFMT) {
            case S_IFDIR: return DirEntry.DT_DIR;
            case S_IFREG: return DirEntry.DT_REG;
            case S_IFLNK: return DirEntry.DT_LNK;
            case S_IFCHR: return DirEntry.DT_CHR;
            case S_IFIFO: return DirEntry.DT_FIFO;
            case S_IFBLK: return DirEntry.DT_BLK;
            case S_IFSOCK: return DirEntry.DT_SOCK;
            default: return DirEntry.DT_UNKNOWN;
        }
    }

    @Override
    public String toString() {
        return "FileStat{dev=" + dev + ", ino=" + ino + ", mode=0" + Integer.toOctalString(mode)
                + ", nlink=" + nlink + ", size=" + size + ", mtimeNs=" + mtimeNs + '}';
    }
}
