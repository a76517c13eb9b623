package io.pglite.fs;

import java.util.Objects;

/**
 * One directory entry as {@code getdents64} reports it: name, inode number and {@code d_type}.
 *
 * @param name entry name (no slashes; "." and ".." only in {@link VirtualFileSystem#readdir} results)
 * @param ino  inode number, the same value {@code stat} reports for the entry
 * @param type one of the {@code DT_*} constants
 */
public record DirEntry(String name, long ino, int type) {
    /** Unknown type. */
    public static final int DT_UNKNOWN = 0;
    /** FIFO. */
    public static final int DT_FIFO = 1;
    /** Character device. */
    public static final int DT_CHR = 2;
    /** Directory. */
    public static final int DT_DIR = 4;
    /** Block device. */
    public static final int DT_BLK = 6;
    /** Regular file. */
    public static final int DT_REG = 8;
    /** Symbolic link. */
    public static final int DT_LNK = 10;
    /** Socket. */
    public static final int DT_SOCK = 12;

    /**
     * Validates the name.
     *
     * @param name entry name
     * @param ino  inode number
     * @param type {@code DT_*} type
     */
    public DirEntry {
        Objects.requireNonNull(name, "name");
    }
}
