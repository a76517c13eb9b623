package io.pglite.fs;

import java.util.Arrays;
import java.util.BitSet;

/**
 * Sparse, paged byte storage for one in-memory file.
 *
 * <p>Why paged: PostgreSQL grows relation files by 8 KiB {@code pwrite}s at the end and WAL segments are 16 MiB
 * written 1 MiB at a time; one growing {@code byte[]} would be copied on every growth and could not exceed
 * 2 GiB. Here a file is an array of up to 64 KiB pages, so appending touches one page and a file can be any
 * size.
 *
 * <ul>
 *   <li>Sparse: a missing page reads as zeros, and writing only zeros into a missing page allocates nothing
 *       (a freshly zero-filled WAL segment costs no memory until real data arrives).</li>
 *   <li>Short pages: a page is allocated only as long as the data in it (rounded up to a power of two,
 *       at least 4 KiB) and grows to 64 KiB on demand, so a thousand 8 KiB catalog files do not each pin
 *       64 KiB.</li>
 *   <li>Copy-on-write sharing: {@link #copy()} shares page arrays between the original and the copy, and a
 *       page is duplicated only when either side writes it. Overlay copy-up from a memory lower is therefore
 *       O(pages) pointer copies instead of a byte copy.</li>
 * </ul>
 * Not thread-safe.
 */
final class PagedContent {
    static final int PAGE_SHIFT = 16;
    static final int PAGE_SIZE = 1 << PAGE_SHIFT;
    private static final int PAGE_MASK = PAGE_SIZE - 1;
    private static final int MIN_PAGE = 4096;
    private static final byte[] ZEROS = new byte[PAGE_SIZE];

    private byte[][] pages;
    private long size;
    /** Pages whose array is also referenced by another PagedContent; null while nothing is shared. */
    private BitSet shared;

    PagedContent() {
        pages = new byte[1][];
    }

    private PagedContent(byte[][] pages, long size, BitSet shared) {
        this.pages = pages;
        this.size = size;
        this.shared = shared;
    }

    long size() {
        return size;
    }

    /**
     * @return bytes of page memory this content holds alone: allocated pages not (or no longer) shared
     *         copy-on-write with a copy (for tests and diagnostics)
     */
    long allocatedBytes() {
        long total = 0;
        for (int i = 0; i < pages.length; i++) {
            if (pages[i] != null && (shared == null || !shared.get(i))) {
                total += pages[i].length;
            }
        }
        return total;
    }

    int read(long pos, byte[] dst, int off, int len) {
        if (pos >= size || len <= 0) {
            return 0;
        }
        int n = (int) Math.min(len, size - pos);
        int done = 0;
        while (done < n) {
            long p = pos + done;
            int pi = (int) (p >>> PAGE_SHIFT);
            int po = (int) (p & PAGE_MASK);
            int chunk = Math.min(n - done, PAGE_SIZE - po);
            byte[] page = pi < pages.length ? pages[pi] : null;
            int avail = page == null ? 0 : Math.max(0, Math.min(chunk, page.length - po));
            if (avail > 0) {
                System.arraycopy(page, po, dst, off + done, avail);
            }
            if (avail < chunk) {
                Arrays.fill(dst, off + done + avail, off + done + chunk, (byte) 0);
            }
            done += chunk;
        }
        return n;
    }

    void write(long pos, byte[] src, int off, int len) {
        if (len <= 0) {
            return;
        }
        long end = pos + len;
        int lastPage = (int) ((end - 1) >>> PAGE_SHIFT);
        if (lastPage >= pages.length) {
            pages = Arrays.copyOf(pages, Math.max(lastPage + 1, pages.length * 2));
        }
        int done = 0;
        while (done < len) {
            long p = pos + done;
            int pi = (int) (p >>> PAGE_SHIFT);
            int po = (int) (p & PAGE_MASK);
            int chunk = Math.min(len - done, PAGE_SIZE - po);
            byte[] page = pages[pi];
            if (page == null && isZero(src, off + done, chunk)) {
                // A hole already reads as zeros; keep it a hole.
                done += chunk;
                continue;
            }
            page = writablePage(pi, po + chunk);
            System.arraycopy(src, off + done, page, po, chunk);
            done += chunk;
        }
        if (end > size) {
            size = end;
        }
    }

    /** Returns page {@code pi}, allocated or grown to hold at least {@code needed} bytes and not shared. */
    private byte[] writablePage(int pi, int needed) {
        byte[] page = pages[pi];
        boolean isShared = shared != null && shared.get(pi);
        if (page != null && page.length >= needed && !isShared) {
            return page;
        }
        int oldLen = page == null ? 0 : page.length;
        int newLen = Math.max(oldLen, pageLengthFor(needed));
        if (!isShared && page != null && newLen < PAGE_SIZE && newLen < oldLen * 2) {
            // Grow geometrically so a page filled by many small appends is copied O(log) times.
            newLen = Math.min(PAGE_SIZE, oldLen * 2);
        }
        byte[] fresh = page == null ? new byte[newLen] : Arrays.copyOf(page, newLen);
        pages[pi] = fresh;
        if (isShared) {
            shared.clear(pi);
        }
        return fresh;
    }

    private static int pageLengthFor(int needed) {
        if (needed <= MIN_PAGE) {
            return MIN_PAGE;
        }
        int len = Integer.highestOneBit(needed - 1) << 1;
        return Math.min(len, PAGE_SIZE);
    }

    private static boolean isZero(byte[] a, int off, int len) {
        return Arrays.mismatch(a, off, off + len, ZEROS, 0, len) < 0;
    }

    void truncate(long newSize) {
        if (newSize < size) {
            int keepPages = (int) ((newSize + PAGE_MASK) >>> PAGE_SHIFT);
            for (int i = keepPages; i < pages.length; i++) {
                pages[i] = null;
                if (shared != null) {
                    shared.clear(i);
                }
            }
            int tail = (int) (newSize & PAGE_MASK);
            if (tail != 0) {
                // Zero the cut-off part of the last page: growing the file later must expose zeros,
                // not the bytes that were truncated away.
                int pi = (int) (newSize >>> PAGE_SHIFT);
                byte[] page = pages[pi];
                if (page != null && page.length > tail) {
                    if (shared != null && shared.get(pi)) {
                        page = Arrays.copyOf(page, page.length);
                        pages[pi] = page;
                        shared.clear(pi);
                    }
                    Arrays.fill(page, tail, page.length, (byte) 0);
                }
            }
            if (keepPages < pages.length / 4 && pages.length > 4) {
                pages = Arrays.copyOf(pages, Math.max(keepPages, 1));
            }
        }
        size = newSize;
    }

    /**
     * Returns a copy sharing all page arrays with this one; both sides copy a page before writing it.
     *
     * @return an independent content with equal bytes
     */
    PagedContent copy() {
        return copy(true);
    }

    /**
     * Returns a copy sharing all page arrays with this one. The copy always duplicates a page before writing
     * it; this content does so only if {@code markSource} is set. Pass {@code false} only when this content
     * will never be written again (a frozen layer): then the copy does not modify this object at all, so
     * several threads may copy it concurrently.
     *
     * @param markSource whether to record the sharing on this side too
     * @return an independent content with equal bytes
     */
    PagedContent copy(boolean markSource) {
        byte[][] snapshot = pages.clone();
        BitSet marks = new BitSet(snapshot.length);
        for (int i = 0; i < snapshot.length; i++) {
            if (snapshot[i] != null) {
                marks.set(i);
            }
        }
        if (markSource) {
            if (shared == null) {
                shared = (BitSet) marks.clone();
            } else {
                shared.or(marks);
            }
        }
        return new PagedContent(snapshot, size, marks);
    }
}
