package io.pglite.wasm;

import com.dylibso.chicory.runtime.ConstantEvaluators;
import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.UninstantiableException;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.PassiveDataSegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * A wasm linear memory made of 64 KiB pages that are allocated on first write and can be shared
 * copy-on-write with a {@link MemoryImage}.
 *
 * <p>Why not Chicory's {@code ByteArrayMemory}: a PostgreSQL backend grows its memory to about 200 MB
 * (128 MiB initial plus shared buffers), of which only about 13 MB are ever written after start-up; a
 * {@code byte[]} per page for all of it costs 200 MB of heap per cluster and 200 MB of zeroing per start.
 * Here:
 *
 * <ul>
 *   <li>a page never written reads from one shared all-zero page and costs nothing;
 *   <li>{@link #image()} freezes the current pages into an immutable {@link MemoryImage}, and
 *       {@link #restored} creates a memory that reads the image's pages and copies a page only when it first
 *       writes it. Starting a new backend from a snapshot therefore copies no bytes, and clusters restored
 *       from one image share every page none of them wrote;
 *   <li>zeroing a whole page that is still shared or zero copies nothing (PostgreSQL zeroes large areas with
 *       {@code memset}).
 * </ul>
 *
 * <p>The cost, measured with the common workload (docs/PERFORMANCE.md), is one extra array load and null
 * check per store; loads are the same as in {@code ByteArrayMemory} (page array, then offset).
 *
 * <p>Not shared and not thread-safe: a wasm instance runs on one thread at a time.
 */
public final class PagedMemory implements Memory {
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class,
            ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class,
            ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class,
            ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle FLOAT = MethodHandles.byteArrayViewVarHandle(float[].class,
            ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle DOUBLE = MethodHandles.byteArrayViewVarHandle(double[].class,
            ByteOrder.LITTLE_ENDIAN);

    static final int PAGE_SHIFT = 16;
    static final int PAGE_MASK = PAGE_SIZE - 1;
    /** Read by every page that was never written; never written itself. */
    static final byte[] ZERO_PAGE = new byte[PAGE_SIZE];

    private final MemoryLimits limits;
    /** What loads read: every page below {@link #nPages} is non-null (possibly shared or the zero page). */
    final byte[][] pages;
    /** What stores write: the page if this memory owns it, null while it is shared or the zero page. */
    final byte[][] owned;
    int nPages;
    private int ownedPages;
    private DataSegment[] dataSegments;
    /** Set while a restored memory is being instantiated: its image already holds the data segments. */
    private boolean skipActiveSegments;
    /**
     * The globals of the instance this memory belongs to, by global index, imported ones included: compiled
     * code reaches a global through the memory it is handed anyway ({@link MachineAccess}) with one array load,
     * where {@code Instance.global(i)} takes several dependent loads and checks. Bound by the first instance
     * that initialises the memory, the main module; side modules that import the memory later keep it.
     */
    GlobalInstance[] globals;

    /**
     * Creates an all-zero memory of {@code limits.initialPages()} pages.
     *
     * @param limits initial and maximum size in pages
     */
    public PagedMemory(MemoryLimits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
        int max = Math.min(limits.maximumPages(), RUNTIME_MAX_PAGES);
        if (limits.initialPages() > max) {
            throw new IllegalArgumentException("initial size " + limits.initialPages() + " pages exceeds the "
                    + "maximum of " + max);
        }
        this.pages = new byte[max][];
        this.owned = new byte[max][];
        Arrays.fill(pages, 0, limits.initialPages(), ZERO_PAGE);
        this.nPages = limits.initialPages();
    }

    /**
     * Creates a memory holding an image's bytes without copying them: pages are copied on first write.
     * Instantiating a module on it does not write its active data segments (the image holds the program's
     * data as it was when captured); anything the instantiation writes anyway (a start function) is undone
     * by {@link #resetTo(MemoryImage)}.
     *
     * @param limits maximum size (the initial size is the image's)
     * @param image the bytes to start from
     * @return the memory
     * @throws IllegalArgumentException if the image is larger than the maximum
     */
    public static PagedMemory restored(MemoryLimits limits, MemoryImage image) {
        if (image.pageCount() > Math.min(limits.maximumPages(), RUNTIME_MAX_PAGES)) {
            throw new IllegalArgumentException("the memory image has " + image.pageCount() + " pages, more than"
                    + " the maximum of " + limits.maximumPages());
        }
        PagedMemory m = new PagedMemory(new MemoryLimits(Math.min(limits.initialPages(), image.pageCount()),
                limits.maximumPages()));
        m.resetTo(image);
        m.skipActiveSegments = true;
        return m;
    }

    /**
     * Makes this memory equal to an image again, dropping every page written since (they are not copied).
     *
     * @param image the image; at most {@link #maximumPages()} pages
     */
    public void resetTo(MemoryImage image) {
        int n = image.pageCount();
        if (n > pages.length) {
            throw new IllegalArgumentException("the memory image has " + n + " pages, more than the maximum of "
                    + pages.length);
        }
        image.copyPagesTo(pages);
        Arrays.fill(pages, n, pages.length, null);
        Arrays.fill(owned, null);
        ownedPages = 0;
        nPages = n;
        skipActiveSegments = false;
    }

    /**
     * Freezes the current contents into an immutable image. This memory stays usable: from now on it copies a
     * page before writing it, so the image never changes. All-zero pages become the shared zero page.
     *
     * @return the image
     */
    public MemoryImage image() {
        byte[][] frozen = new byte[nPages][];
        for (int i = 0; i < nPages; i++) {
            byte[] p = pages[i];
            if (p != ZERO_PAGE && Arrays.mismatch(p, ZERO_PAGE) < 0) {
                p = ZERO_PAGE;
                pages[i] = p;
            }
            frozen[i] = p;
            owned[i] = null;
        }
        ownedPages = 0;
        return new MemoryImage(frozen);
    }

    /** Bytes of page memory this memory holds alone (written pages not shared with an image). */
    public long ownedBytes() {
        return (long) ownedPages * PAGE_SIZE;
    }

    // ---- size ------------------------------------------------------------------------------------------

    @Override
    public int pages() {
        return nPages;
    }

    @Override
    public int grow(int size) {
        int prev = nPages;
        int n = prev + size;
        if (size < 0 || n > maximumPages() || n < prev) {
            return -1;
        }
        Arrays.fill(pages, prev, n, ZERO_PAGE);
        nPages = n;
        return prev;
    }

    @Override
    public int initialPages() {
        return limits.initialPages();
    }

    @Override
    public int maximumPages() {
        return Math.min(limits.maximumPages(), pages.length);
    }

    @Override
    public boolean shared() {
        return false;
    }

    // ---- copy-on-write -----------------------------------------------------------------------------------

    /** The page to store into, made private to this memory first if needed. */
    private byte[] writable(int pi) {
        byte[] p = owned[pi];
        if (p == null) {
            p = own(pi);
        }
        return p;
    }

    private byte[] own(int pi) {
        if (pi >= nPages) {
            throw new ArrayIndexOutOfBoundsException(pi);
        }
        byte[] src = pages[pi];
        byte[] copy = src == ZERO_PAGE ? new byte[PAGE_SIZE] : src.clone();
        pages[pi] = copy;
        owned[pi] = copy;
        ownedPages++;
        return copy;
    }

    private int sizeInBytes() {
        return nPages << PAGE_SHIFT;
    }

    private void checkBounds(int addr, int size) {
        if (addr < 0 || size < 0 || (long) addr + size > sizeInBytes()) {
            throw new WasmRuntimeException("out of bounds memory access: attempted to access address: " + addr
                    + " but limit is: " + sizeInBytes() + " and size: " + size);
        }
    }

    private RuntimeException outOfBounds(RuntimeException e, int addr, int size) {
        if (e instanceof IndexOutOfBoundsException || e instanceof NullPointerException) {
            return new WasmRuntimeException("out of bounds memory access: attempted to access address: "
                    + Integer.toUnsignedString(addr) + " but limit is: " + sizeInBytes() + " and size: " + size);
        }
        return e;
    }

    // ---- segments ----------------------------------------------------------------------------------------

    @Override
    public void initialize(Instance instance, DataSegment[] dataSegments) {
        initialize(instance, dataSegments, 0);
    }

    @Override
    public void initialize(Instance instance, DataSegment[] segments, int memoryIndex) {
        if (globals == null) {
            bindGlobals(instance);
        }
        this.dataSegments = segments;
        if (segments == null || skipActiveSegments) {
            return;
        }
        for (DataSegment s : segments) {
            if (s instanceof ActiveDataSegment) {
                ActiveDataSegment a = (ActiveDataSegment) s;
                if (a.index() != memoryIndex) {
                    continue;
                }
                int offset = (int) ConstantEvaluators.computeConstantValue(instance, a.offsetInstructions())[0];
                byte[] data = a.data();
                if (offset < 0 || (long) offset + data.length > sizeInBytes()) {
                    throw new UninstantiableException("out of bounds memory access: data segment at " + offset
                            + " of " + data.length + " bytes");
                }
                write(offset, data, 0, data.length);
            } else if (!(s instanceof PassiveDataSegment)) {
                throw new ChicoryException("Data segment should be active or passive: " + s);
            }
        }
    }

    private void bindGlobals(Instance instance) {
        int total = instance.imports().globalCount() + instance.module().globalSection().globalCount();
        GlobalInstance[] g = new GlobalInstance[total];
        for (int i = 0; i < total; i++) {
            g[i] = instance.global(i);
        }
        globals = g;
    }

    @Override
    public void initPassiveSegment(int segmentId, int dest, int offset, int size) {
        write(dest, dataSegments[segmentId].data(), offset, size);
    }

    @Override
    public void drop(int segment) {
        dataSegments[segment] = PassiveDataSegment.EMPTY;
    }

    // ---- bulk --------------------------------------------------------------------------------------------

    @Override
    public void write(int addr, byte[] data, int offset, int size) {
        if (offset < 0 || size < 0 || (long) offset + size > data.length) {
            throw new WasmRuntimeException("out of bounds source range " + offset + "+" + size + " of "
                    + data.length);
        }
        checkBounds(addr, size);
        while (size > 0) {
            int pi = addr >>> PAGE_SHIFT;
            int po = addr & PAGE_MASK;
            int chunk = Math.min(size, PAGE_SIZE - po);
            System.arraycopy(data, offset, writable(pi), po, chunk);
            addr += chunk;
            offset += chunk;
            size -= chunk;
        }
    }

    @Override
    public byte[] readBytes(int addr, int len) {
        checkBounds(addr, len);
        byte[] out = new byte[len];
        int done = 0;
        while (done < len) {
            int a = addr + done;
            int po = a & PAGE_MASK;
            int chunk = Math.min(len - done, PAGE_SIZE - po);
            System.arraycopy(pages[a >>> PAGE_SHIFT], po, out, done, chunk);
            done += chunk;
        }
        return out;
    }

    /**
     * Copies bytes out of the memory into an existing array (no allocation, unlike {@link #readBytes}).
     *
     * @param addr the address
     * @param dst the destination
     * @param off offset in {@code dst}
     * @param len the number of bytes
     */
    public void read(int addr, byte[] dst, int off, int len) {
        checkBounds(addr, len);
        int done = 0;
        while (done < len) {
            int a = addr + done;
            int po = a & PAGE_MASK;
            int chunk = Math.min(len - done, PAGE_SIZE - po);
            System.arraycopy(pages[a >>> PAGE_SHIFT], po, dst, off + done, chunk);
            done += chunk;
        }
    }

    @Override
    public void zero() {
        for (int i = 0; i < nPages; i++) {
            pages[i] = ZERO_PAGE;
            owned[i] = null;
        }
        ownedPages = 0;
    }

    @Override
    public void fill(byte value, int fromIndex, int toIndex) {
        int addr = fromIndex;
        int remaining = toIndex - fromIndex;
        checkBounds(addr, remaining);
        while (remaining > 0) {
            int pi = addr >>> PAGE_SHIFT;
            int po = addr & PAGE_MASK;
            int chunk = Math.min(remaining, PAGE_SIZE - po);
            if (value == 0 && chunk == PAGE_SIZE && owned[pi] == null) {
                // Zeroing a whole page this memory does not own yet: read the shared zero page instead of
                // copying a page only to clear it. (An owned page is cleared in place: giving it back would
                // only make the next write allocate it again.)
                pages[pi] = ZERO_PAGE;
            } else if (!(value == 0 && pages[pi] == ZERO_PAGE)) {
                Arrays.fill(writable(pi), po, po + chunk, value);
            }
            addr += chunk;
            remaining -= chunk;
        }
    }

    @Override
    public void copy(int dest, int src, int size) {
        checkBounds(dest, size);
        checkBounds(src, size);
        if (size == 0 || dest == src) {
            return;
        }
        if (dest > src && dest < src + size) {
            // Overlapping with the destination after the source: copy backwards.
            int d = dest + size;
            int s = src + size;
            while (size > 0) {
                int dIn = d & PAGE_MASK;
                int sIn = s & PAGE_MASK;
                int chunk = Math.min(size, Math.min(dIn == 0 ? PAGE_SIZE : dIn, sIn == 0 ? PAGE_SIZE : sIn));
                d -= chunk;
                s -= chunk;
                byte[] to = writable(d >>> PAGE_SHIFT);
                System.arraycopy(pages[s >>> PAGE_SHIFT], s & PAGE_MASK, to, d & PAGE_MASK, chunk);
                size -= chunk;
            }
        } else {
            while (size > 0) {
                int dOff = dest & PAGE_MASK;
                int sOff = src & PAGE_MASK;
                int chunk = Math.min(size, PAGE_SIZE - Math.max(dOff, sOff));
                byte[] to = writable(dest >>> PAGE_SHIFT);
                System.arraycopy(pages[src >>> PAGE_SHIFT], sOff, to, dOff, chunk);
                dest += chunk;
                src += chunk;
                size -= chunk;
            }
        }
    }

    // ---- scalar loads ------------------------------------------------------------------------------------

    @Override
    public byte read(int addr) {
        try {
            return pages[addr >>> PAGE_SHIFT][addr & PAGE_MASK];
        } catch (RuntimeException e) {
            throw outOfBounds(e, addr, 1);
        }
    }

    @Override
    public short readShort(int addr) {
        int off = addr & PAGE_MASK;
        if (off <= PAGE_SIZE - 2) {
            try {
                return (short) SHORT.get(pages[addr >>> PAGE_SHIFT], off);
            } catch (RuntimeException e) {
                throw outOfBounds(e, addr, 2);
            }
        }
        return (short) ((read(addr) & 0xFF) | ((read(addr + 1) & 0xFF) << 8));
    }

    @Override
    public long readU16(int addr) {
        return readShort(addr) & 0xFFFFL;
    }

    @Override
    public int readInt(int addr) {
        int off = addr & PAGE_MASK;
        if (off <= PAGE_SIZE - 4) {
            try {
                return (int) INT.get(pages[addr >>> PAGE_SHIFT], off);
            } catch (RuntimeException e) {
                throw outOfBounds(e, addr, 4);
            }
        }
        return (read(addr) & 0xFF) | ((read(addr + 1) & 0xFF) << 8) | ((read(addr + 2) & 0xFF) << 16)
                | ((read(addr + 3) & 0xFF) << 24);
    }

    @Override
    public long readLong(int addr) {
        int off = addr & PAGE_MASK;
        if (off <= PAGE_SIZE - 8) {
            try {
                return (long) LONG.get(pages[addr >>> PAGE_SHIFT], off);
            } catch (RuntimeException e) {
                throw outOfBounds(e, addr, 8);
            }
        }
        return (readInt(addr) & 0xFFFFFFFFL) | ((long) readInt(addr + 4) << 32);
    }

    @Override
    public float readFloat(int addr) {
        int off = addr & PAGE_MASK;
        if (off <= PAGE_SIZE - 4) {
            try {
                return (float) FLOAT.get(pages[addr >>> PAGE_SHIFT], off);
            } catch (RuntimeException e) {
                throw outOfBounds(e, addr, 4);
            }
        }
        return Float.intBitsToFloat(readInt(addr));
    }

    @Override
    public long readF32(int addr) {
        return readInt(addr);
    }

    @Override
    public double readDouble(int addr) {
        int off = addr & PAGE_MASK;
        if (off <= PAGE_SIZE - 8) {
            try {
                return (double) DOUBLE.get(pages[addr >>> PAGE_SHIFT], off);
            } catch (RuntimeException e) {
                throw outOfBounds(e, addr, 8);
            }
        }
        return Double.longBitsToDouble(readLong(addr));
    }

    @Override
    public long readF64(int addr) {
        return readLong(addr);
    }

    // ---- scalar stores -----------------------------------------------------------------------------------

    @Override
    public void writeByte(int addr, byte data) {
        try {
            writable(addr >>> PAGE_SHIFT)[addr & PAGE_MASK] = data;
        } catch (RuntimeException e) {
            throw outOfBounds(e, addr, 1);
        }
    }

    @Override
    public void writeShort(int addr, short data) {
        int off = addr & PAGE_MASK;
        if (off <= PAGE_SIZE - 2) {
            try {
                SHORT.set(writable(addr >>> PAGE_SHIFT), off, data);
                return;
            } catch (RuntimeException e) {
                throw outOfBounds(e, addr, 2);
            }
        }
        checkBounds(addr, 2);
        writeByte(addr, (byte) data);
        writeByte(addr + 1, (byte) (data >>> 8));
    }

    @Override
    public void writeI32(int addr, int data) {
        int off = addr & PAGE_MASK;
        if (off <= PAGE_SIZE - 4) {
            try {
                INT.set(writable(addr >>> PAGE_SHIFT), off, data);
                return;
            } catch (RuntimeException e) {
                throw outOfBounds(e, addr, 4);
            }
        }
        checkBounds(addr, 4);
        for (int i = 0; i < 4; i++) {
            writeByte(addr + i, (byte) (data >>> (8 * i)));
        }
    }

    @Override
    public void writeLong(int addr, long data) {
        int off = addr & PAGE_MASK;
        if (off <= PAGE_SIZE - 8) {
            try {
                LONG.set(writable(addr >>> PAGE_SHIFT), off, data);
                return;
            } catch (RuntimeException e) {
                throw outOfBounds(e, addr, 8);
            }
        }
        checkBounds(addr, 8);
        for (int i = 0; i < 8; i++) {
            writeByte(addr + i, (byte) (data >>> (8 * i)));
        }
    }

    @Override
    public void writeF32(int addr, float data) {
        writeI32(addr, Float.floatToRawIntBits(data));
    }

    @Override
    public void writeF64(int addr, double data) {
        writeLong(addr, Double.doubleToRawLongBits(data));
    }

    // ---- threads: this memory is never shared ------------------------------------------------------------

    @Override
    @SuppressWarnings("removal")
    public Object lock(int address) {
        return this;
    }

    @Override
    @SuppressWarnings("removal")
    public int waitOn(int address, int expected, long timeout) {
        throw new ChicoryException("Attempt to wait on a non-shared memory, not supported.");
    }

    @Override
    @SuppressWarnings("removal")
    public int waitOn(int address, long expected, long timeout) {
        throw new ChicoryException("Attempt to wait on a non-shared memory, not supported.");
    }

    @Override
    @SuppressWarnings("removal")
    public int notify(int address, int maxThreads) {
        return 0;
    }
}
