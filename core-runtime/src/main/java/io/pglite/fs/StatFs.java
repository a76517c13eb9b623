package io.pglite.fs;

/**
 * File system statistics as {@code statfs64} reports them. Mutable holder with public fields, filled by
 * {@link VirtualFileSystem#statfs(String, StatFs)}; the host packs it into the wasm struct.
 */
public final class StatFs {
    /** Optimal transfer block size. */
    public int bsize = FileStat.BLOCK_SIZE;
    /** Fragment size. */
    public int frsize = FileStat.BLOCK_SIZE;
    /** Total data blocks. */
    public long blocks;
    /** Free blocks. */
    public long bfree;
    /** Free blocks available to unprivileged users. */
    public long bavail;
    /** Total inodes. */
    public long files;
    /** Free inodes. */
    public long ffree;
    /** File system id. */
    public long fsid;
    /** Maximum length of a file name. */
    public int namelen = 255;
    /** Mount flags (ST_RDONLY = 1 for read-only layers). */
    public int flags;

    /** Mount flag: read-only. */
    public static final int ST_RDONLY = 1;

    /** Creates an instance with default block size and name length. */
    public StatFs() {
    }

    /** @return total data blocks ({@link #blocks}) */
    public long blocks() {
        return blocks;
    }

    /** @return free blocks ({@link #bfree}) */
    public long freeBlocks() {
        return bfree;
    }

    /** @return free blocks available to unprivileged users ({@link #bavail}) */
    public long availableBlocks() {
        return bavail;
    }

    /** @return total inodes ({@link #files}) */
    public long files() {
        return files;
    }

    /** @return free inodes ({@link #ffree}) */
    public long freeFiles() {
        return ffree;
    }
}
