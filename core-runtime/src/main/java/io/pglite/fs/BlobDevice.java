package io.pglite.fs;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A seekable device that serves a supplied input blob and collects written output, the shape PGlite's
 * {@code /dev/blob} needs: {@code COPY ... FROM '/dev/blob'} reads the client's data by position, and
 * {@code COPY ... TO '/dev/blob'} appends the result, which the host then hands back to the client.
 *
 * <p>Reads come from the input by the reader's position; writes always append to the output regardless of
 * position (COPY TO opens with {@code O_TRUNC}, and a fresh device per statement starts empty).
 */
public final class BlobDevice implements CharDevice {
    private final ByteBuffer input;
    private byte[] output = new byte[0];
    private int outputLength;

    /** Creates a device with no input. */
    public BlobDevice() {
        this(ByteBuffer.allocate(0));
    }

    /**
     * Creates a device serving {@code input}.
     *
     * @param input bytes from position 0 to the limit; not copied
     */
    public BlobDevice(ByteBuffer input) {
        this.input = input.slice().asReadOnlyBuffer();
    }

    /**
     * Creates a device serving {@code input}.
     *
     * @param input bytes; not copied
     */
    public BlobDevice(byte[] input) {
        this(ByteBuffer.wrap(input));
    }

    @Override
    public int read(long position, byte[] dst, int off, int len) {
        int limit = input.limit();
        if (position >= limit || len <= 0) {
            return 0;
        }
        int n = (int) Math.min(len, limit - position);
        input.get((int) position, dst, off, n);
        return n;
    }

    @Override
    public int write(long position, byte[] src, int off, int len) {
        if (outputLength + len > output.length) {
            long want = Math.max((long) output.length * 2, (long) outputLength + len);
            if (want > Integer.MAX_VALUE - 8) {
                return -Errno.EFBIG;
            }
            output = Arrays.copyOf(output, (int) want);
        }
        System.arraycopy(src, off, output, outputLength, len);
        outputLength += len;
        return len;
    }

    @Override
    public boolean isSeekable() {
        return true;
    }

    @Override
    public long size() {
        return input.limit();
    }

    /** @return a copy of everything written so far */
    public byte[] output() {
        return Arrays.copyOf(output, outputLength);
    }

    /** @return number of bytes written so far */
    public int outputLength() {
        return outputLength;
    }
}
