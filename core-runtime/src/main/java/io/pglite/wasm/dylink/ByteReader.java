package io.pglite.wasm.dylink;

import java.nio.charset.StandardCharsets;

/**
 * Cursor over a byte range of a wasm binary with the LEB128 decoders the binary format needs.
 *
 * <p>Every read checks bounds against {@link #end()} so that a truncated or corrupt module
 * surfaces as a {@link MalformedModuleException} naming the offset instead of an
 * {@link ArrayIndexOutOfBoundsException} deep inside the linker.
 */
final class ByteReader {
    private final byte[] buf;
    private final int end;
    private int pos;

    ByteReader(byte[] buf) {
        this(buf, 0, buf.length);
    }

    ByteReader(byte[] buf, int start, int end) {
        if (start < 0 || end > buf.length || start > end) {
            throw new MalformedModuleException(
                    "range " + start + ".." + end + " outside of " + buf.length + " bytes");
        }
        this.buf = buf;
        this.pos = start;
        this.end = end;
    }

    byte[] buffer() {
        return buf;
    }

    int pos() {
        return pos;
    }

    int end() {
        return end;
    }

    boolean hasMore() {
        return pos < end;
    }

    int remaining() {
        return end - pos;
    }

    int peek() {
        need(1);
        return buf[pos] & 0xFF;
    }

    int peek(int ahead) {
        need(ahead + 1);
        return buf[pos + ahead] & 0xFF;
    }

    int u8() {
        need(1);
        return buf[pos++] & 0xFF;
    }

    void skip(int n) {
        if (n < 0) {
            throw new MalformedModuleException("negative length " + n + " at offset " + pos);
        }
        need(n);
        pos += n;
    }

    /** Unsigned LEB128 that must fit in 32 bits; returned as a non-negative long. */
    long u32() {
        int start = pos;
        long result = 0;
        int shift = 0;
        while (true) {
            int b = u8();
            result |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                break;
            }
            shift += 7;
            if (shift > 28 + 7) {
                throw new MalformedModuleException("u32 LEB too long at offset " + start);
            }
        }
        if (result > 0xFFFF_FFFFL) {
            throw new MalformedModuleException("u32 LEB out of range at offset " + start);
        }
        return result;
    }

    /** Unsigned LEB128 as an int index or length; rejects values that do not fit an int. */
    int index() {
        int start = pos;
        long v = u32();
        if (v > Integer.MAX_VALUE) {
            throw new MalformedModuleException("index too large at offset " + start);
        }
        return (int) v;
    }

    /** Unsigned LEB128 of up to 64 bits (memory64 limits and offsets); value is not needed. */
    void skipU64() {
        int start = pos;
        for (int i = 0; i < 10; i++) {
            if ((u8() & 0x80) == 0) {
                return;
            }
        }
        throw new MalformedModuleException("u64 LEB too long at offset " + start);
    }

    /** Signed LEB128 of up to {@code bits} bits. */
    long signed(int bits) {
        int start = pos;
        long result = 0;
        int shift = 0;
        int b;
        int maxBytes = (bits + 6) / 7;
        int count = 0;
        do {
            b = u8();
            if (++count > maxBytes) {
                throw new MalformedModuleException("signed LEB too long at offset " + start);
            }
            result |= (long) (b & 0x7F) << shift;
            shift += 7;
        } while ((b & 0x80) != 0);
        if (shift < 64 && (b & 0x40) != 0) {
            result |= -1L << shift;
        }
        return result;
    }

    String name() {
        int len = index();
        need(len);
        String s = new String(buf, pos, len, StandardCharsets.UTF_8);
        pos += len;
        return s;
    }

    private void need(int n) {
        if (n > end - pos) {
            throw new MalformedModuleException(
                    "unexpected end of data at offset " + pos + " (needed " + n + " bytes)");
        }
    }
}
