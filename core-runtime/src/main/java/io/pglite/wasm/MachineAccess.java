package io.pglite.wasm;

import com.dylibso.chicory.runtime.Memory;

/**
 * Memory and global access for the compiled code of PGlite's modules. Chicory's compiler emits calls to
 * helpers of its own for every load, store, {@code global.get} and {@code global.set}; the build
 * ({@code PgliteAotCompiler}, "access binding") points those calls here instead, because the memory of these
 * modules is always a {@link PagedMemory}:
 *
 * <ul>
 *   <li>a load or store within one page goes straight to the page's bytes: with {@code sun.misc.Unsafe} on JVMs
 *       before 23 (little-endian, as wasm), where it is available without warnings; otherwise (or with
 *       {@code -Dpglite.wasm.noRawAccess=true}) through the paged memory's own VarHandle accessors. Each access
 *       then costs the JIT a few bytes of bytecode to inline instead of about 200 (Chicory's helper, the
 *       {@code Memory} interface, the VarHandle's guards), so large functions no longer run out of the
 *       optimising compiler's inlining budget and make real calls for most of their accesses;
 *   <li>a store into a page still shared with a snapshot (copy-on-write), an access that straddles two pages
 *       and an address out of bounds take the paged memory's own path (copy first, byte by byte, wasm trap);
 *   <li>a global is one array load away ({@link PagedMemory#globals}) instead of {@code Instance.global(i)}'s
 *       import check, bounds check and chain of loads. Every function with a stack frame reads and writes the
 *       stack pointer global, and the build's split step hands locals back through globals.
 * </ul>
 *
 * <p>Addresses are computed as Chicory's helpers do: a negative base (an address of 2 GiB or more) stays as it
 * is, so that the memory rejects it, instead of wrapping around with the offset. The raw path only touches a
 * page after checking that it exists ({@code pi < nPages}) and that the access ends inside it.
 */
public final class MachineAccess {
    private static final int PAGE_MASK = PagedMemory.PAGE_MASK;
    private static final int PAGE_SHIFT = PagedMemory.PAGE_SHIFT;
    private static final int PAGE_SIZE = Memory.PAGE_SIZE;
    private static final sun.misc.Unsafe U = unsafe();
    /** Raw access: the JVM has sun.misc.Unsafe without warnings (before 23) and is little-endian as wasm. */
    static final boolean RAW = U != null;
    private static final long BASE = RAW ? U.arrayBaseOffset(byte[].class) : 0;

    private MachineAccess() {}

    private static sun.misc.Unsafe unsafe() {
        if (Runtime.version().feature() >= 23 || java.nio.ByteOrder.nativeOrder() != java.nio.ByteOrder.LITTLE_ENDIAN
                || Boolean.getBoolean("pglite.wasm.noRawAccess")) {
            return null;
        }
        try {
            java.lang.reflect.Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            return (sun.misc.Unsafe) f.get(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    private static PagedMemory paged(Memory memory) {
        return (PagedMemory) memory;
    }

    private static int addr(int base, int offset) {
        return base < 0 ? base : base + offset;
    }

    /** {@code global.get} of a numeric global. */
    public static long readGlobal(int index, Memory memory) {
        return paged(memory).globals[index].getValue();
    }

    /** {@code global.set} of a numeric global. */
    public static void writeGlobal(long value, int index, Memory memory) {
        paged(memory).globals[index].setValue(value);
    }

    /**
     * The page that holds all {@code width} bytes at {@code a}, for a load straight from it; null when the raw
     * path cannot take the access (no raw access, past the memory's end, across a page end).
     */
    private static byte[] loadPage(PagedMemory m, int a, int width) {
        int pi = a >>> PAGE_SHIFT;
        return RAW && pi < m.nPages && (a & PAGE_MASK) <= PAGE_SIZE - width ? m.pages[pi] : null;
    }

    /** Like {@link #loadPage} for a store: also null while the page is shared (the memory copies it first). */
    private static byte[] storePage(PagedMemory m, int a, int width) {
        int pi = a >>> PAGE_SHIFT;
        return RAW && pi < m.nPages && (a & PAGE_MASK) <= PAGE_SIZE - width ? m.owned[pi] : null;
    }

    /** {@code i32.load8_s} and friends (the caller extends). */
    public static byte memoryReadByte(int base, int offset, Memory memory) {
        PagedMemory m = paged(memory);
        int a = addr(base, offset);
        int pi = a >>> PAGE_SHIFT;
        return pi < m.nPages ? m.pages[pi][a & PAGE_MASK] : m.read(a); // plain array access: no raw path needed
    }

    /** 16-bit loads. */
    public static short memoryReadShort(int base, int offset, Memory memory) {
        PagedMemory m = paged(memory);
        int a = addr(base, offset);
        byte[] p = loadPage(m, a, 2);
        return p != null ? U.getShort(p, BASE + (a & PAGE_MASK)) : m.readShort(a);
    }

    /** {@code i32.load}. */
    public static int memoryReadInt(int base, int offset, Memory memory) {
        PagedMemory m = paged(memory);
        int a = addr(base, offset);
        byte[] p = loadPage(m, a, 4);
        return p != null ? U.getInt(p, BASE + (a & PAGE_MASK)) : m.readInt(a);
    }

    /** {@code i64.load}. */
    public static long memoryReadLong(int base, int offset, Memory memory) {
        PagedMemory m = paged(memory);
        int a = addr(base, offset);
        byte[] p = loadPage(m, a, 8);
        return p != null ? U.getLong(p, BASE + (a & PAGE_MASK)) : m.readLong(a);
    }

    /** {@code f32.load}. */
    public static float memoryReadFloat(int base, int offset, Memory memory) {
        return Float.intBitsToFloat(memoryReadInt(base, offset, memory));
    }

    /** {@code f64.load}. */
    public static double memoryReadDouble(int base, int offset, Memory memory) {
        return Double.longBitsToDouble(memoryReadLong(base, offset, memory));
    }

    /** 8-bit stores. */
    public static void memoryWriteByte(int base, byte value, int offset, Memory memory) {
        PagedMemory m = paged(memory);
        int a = addr(base, offset);
        int pi = a >>> PAGE_SHIFT;
        byte[] p = pi < m.nPages ? m.owned[pi] : null;
        if (p != null) {
            p[a & PAGE_MASK] = value;
        } else {
            m.writeByte(a, value);
        }
    }

    /** 16-bit stores. */
    public static void memoryWriteShort(int base, short value, int offset, Memory memory) {
        PagedMemory m = paged(memory);
        int a = addr(base, offset);
        byte[] p = storePage(m, a, 2);
        if (p != null) {
            U.putShort(p, BASE + (a & PAGE_MASK), value);
        } else {
            m.writeShort(a, value);
        }
    }

    /** {@code i32.store}. */
    public static void memoryWriteInt(int base, int value, int offset, Memory memory) {
        PagedMemory m = paged(memory);
        int a = addr(base, offset);
        byte[] p = storePage(m, a, 4);
        if (p != null) {
            U.putInt(p, BASE + (a & PAGE_MASK), value);
        } else {
            m.writeI32(a, value);
        }
    }

    /** {@code i64.store}. */
    public static void memoryWriteLong(int base, long value, int offset, Memory memory) {
        PagedMemory m = paged(memory);
        int a = addr(base, offset);
        byte[] p = storePage(m, a, 8);
        if (p != null) {
            U.putLong(p, BASE + (a & PAGE_MASK), value);
        } else {
            m.writeLong(a, value);
        }
    }

    /** {@code f32.store}. */
    public static void memoryWriteFloat(int base, float value, int offset, Memory memory) {
        memoryWriteInt(base, Float.floatToRawIntBits(value), offset, memory);
    }

    /** {@code f64.store}. */
    public static void memoryWriteDouble(int base, double value, int offset, Memory memory) {
        memoryWriteLong(base, Double.doubleToRawLongBits(value), offset, memory);
    }
}
