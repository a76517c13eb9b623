package io.pglite.wasm.dylink;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Growable byte buffer with the LEB128 encoders the wasm binary format needs. */
final class ByteWriter {
    private byte[] buf;
    private int size;

    ByteWriter() {
        this(256);
    }

    ByteWriter(int capacity) {
        buf = new byte[Math.max(16, capacity)];
    }

    int size() {
        return size;
    }

    ByteWriter u8(int b) {
        ensure(1);
        buf[size++] = (byte) b;
        return this;
    }

    ByteWriter u32(long value) {
        if (value < 0 || value > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("not a u32: " + value);
        }
        do {
            int b = (int) (value & 0x7F);
            value >>>= 7;
            if (value != 0) {
                b |= 0x80;
            }
            u8(b);
        } while (value != 0);
        return this;
    }

    ByteWriter signed(long value) {
        boolean more = true;
        while (more) {
            int b = (int) (value & 0x7F);
            value >>= 7;
            if ((value == 0 && (b & 0x40) == 0) || (value == -1 && (b & 0x40) != 0)) {
                more = false;
            } else {
                b |= 0x80;
            }
            u8(b);
        }
        return this;
    }

    ByteWriter bytes(byte[] src) {
        return bytes(src, 0, src.length);
    }

    ByteWriter bytes(byte[] src, int off, int len) {
        ensure(len);
        System.arraycopy(src, off, buf, size, len);
        size += len;
        return this;
    }

    ByteWriter bytes(ByteWriter other) {
        return bytes(other.buf, 0, other.size);
    }

    ByteWriter name(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        u32(b.length);
        return bytes(b);
    }

    /** Writes a section: id, payload size, payload. */
    ByteWriter section(int id, ByteWriter payload) {
        u8(id);
        u32(payload.size);
        return bytes(payload);
    }

    byte[] toByteArray() {
        return Arrays.copyOf(buf, size);
    }

    private void ensure(int n) {
        if (size + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + n));
        }
    }
}
