package io.pglite.fs;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands each layer instance its own range of inode numbers.
 *
 * <p>Disjoint ranges let an {@link OverlayLayer} pass inode numbers through from upper and lower unchanged:
 * they cannot collide, so {@code lstat}, {@code fstat} on a handle and directory entries agree without the
 * overlay wrapping every handle to translate numbers. Ranges are 2^32 wide, enough for any one layer.
 */
final class InoSpace {
    private static final AtomicLong NEXT_BASE = new AtomicLong(1L << 32);

    private final long base;
    private long next = 1;

    InoSpace() {
        this.base = NEXT_BASE.getAndAdd(1L << 32);
    }

    /** @return a fresh inode number in this range */
    long allocate() {
        return base + next++;
    }
}
