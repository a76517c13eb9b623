package io.pglite.wasm;

import com.dylibso.chicory.runtime.Memory;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;

/**
 * An immutable copy of a wasm linear memory, as 64 KiB pages that any number of {@link PagedMemory} instances
 * read (and copy on their first write). All-zero pages are one shared array and cost nothing.
 *
 * <p>Thread-safe: the pages are never written after the image is made.
 */
public final class MemoryImage {
    private final byte[][] pages;
    private final int nonZeroPages;

    MemoryImage(byte[][] pages) {
        this.pages = pages;
        int n = 0;
        for (byte[] p : pages) {
            if (p != PagedMemory.ZERO_PAGE) {
                n++;
            }
        }
        this.nonZeroPages = n;
    }

    /**
     * Builds an image from raw page contents (for images read back from disk); {@code null} entries are
     * all-zero pages.
     *
     * @param pages page arrays of exactly 64 KiB or null; the image takes ownership of them
     * @return the image
     */
    public static MemoryImage of(byte[][] pages) {
        byte[][] copy = pages.clone();
        for (int i = 0; i < copy.length; i++) {
            if (copy[i] == null) {
                copy[i] = PagedMemory.ZERO_PAGE;
            } else if (copy[i].length != Memory.PAGE_SIZE) {
                throw new IllegalArgumentException("page " + i + " has " + copy[i].length + " bytes");
            }
        }
        return new MemoryImage(copy);
    }

    /** The memory size in 64 KiB pages. */
    public int pageCount() {
        return pages.length;
    }

    /** The number of pages that hold anything but zeros (what the image costs on the heap). */
    public int nonZeroPageCount() {
        return nonZeroPages;
    }

    /**
     * Tells whether a page is all zeros.
     *
     * @param index the page index
     * @return true if the page holds only zeros
     */
    public boolean isZeroPage(int index) {
        return pages[index] == PagedMemory.ZERO_PAGE;
    }

    /**
     * Copies one page's bytes out (for writing the image to disk).
     *
     * @param index the page index
     * @param dst at least 64 KiB
     */
    public void readPage(int index, byte[] dst) {
        System.arraycopy(pages[index], 0, dst, 0, Memory.PAGE_SIZE);
    }

    /**
     * Writes the image: its size, then each page that is not all zeros with its index.
     *
     * @param out the destination
     * @throws IOException if writing fails
     */
    public void writeTo(DataOutput out) throws IOException {
        out.writeInt(pages.length);
        out.writeInt(nonZeroPages);
        for (int i = 0; i < pages.length; i++) {
            if (pages[i] != PagedMemory.ZERO_PAGE) {
                out.writeInt(i);
                out.write(pages[i]);
            }
        }
    }

    /**
     * Reads an image written by {@link #writeTo}.
     *
     * @param in the source
     * @return the image
     * @throws IOException if reading fails or the data is malformed
     */
    public static MemoryImage readFrom(DataInput in) throws IOException {
        int n = in.readInt();
        int nonZero = in.readInt();
        if (n < 0 || n > Memory.RUNTIME_MAX_PAGES || nonZero < 0 || nonZero > n) {
            throw new IOException("malformed memory image header: " + n + " pages, " + nonZero + " not zero");
        }
        byte[][] pages = new byte[n][];
        Arrays.fill(pages, PagedMemory.ZERO_PAGE);
        int last = -1;
        for (int k = 0; k < nonZero; k++) {
            int i = in.readInt();
            if (i <= last || i >= n) {
                throw new IOException("malformed memory image: page " + i + " after " + last + " of " + n);
            }
            byte[] p = new byte[Memory.PAGE_SIZE];
            in.readFully(p);
            pages[i] = p;
            last = i;
        }
        return new MemoryImage(pages);
    }

    void copyPagesTo(byte[][] dst) {
        System.arraycopy(pages, 0, dst, 0, pages.length);
    }

    /**
     * Tells whether this image holds the same bytes as a memory (for tests).
     *
     * @param m the memory
     * @return true if sizes and all bytes are equal
     */
    public boolean sameBytesAs(Memory m) {
        if (m.pages() != pages.length) {
            return false;
        }
        for (int i = 0; i < pages.length; i++) {
            if (!Arrays.equals(pages[i], m.readBytes(i * Memory.PAGE_SIZE, Memory.PAGE_SIZE))) {
                return false;
            }
        }
        return true;
    }
}
