package io.pglite.fs;

import java.security.SecureRandom;
import java.util.Arrays;

/**
 * The character devices every VFS provides: {@code /dev/null}, {@code /dev/zero}, {@code /dev/urandom},
 * {@code /dev/random}, and an empty standard input.
 */
public final class StandardDevices {
    private StandardDevices() {
    }

    /** @return a device that reads as end-of-file and discards writes ({@code /dev/null}) */
    public static CharDevice nullDevice() {
        return new CharDevice() {
            @Override
            public int read(long position, byte[] dst, int off, int len) {
                return 0;
            }

            @Override
            public int write(long position, byte[] src, int off, int len) {
                return len;
            }

            @Override
            public boolean isSeekable() {
                return true;
            }
        };
    }

    /** @return a device that reads endless zeros and discards writes ({@code /dev/zero}) */
    public static CharDevice zero() {
        return new CharDevice() {
            @Override
            public int read(long position, byte[] dst, int off, int len) {
                Arrays.fill(dst, off, off + len, (byte) 0);
                return len;
            }

            @Override
            public int write(long position, byte[] src, int off, int len) {
                return len;
            }

            @Override
            public boolean isSeekable() {
                return true;
            }
        };
    }

    /**
     * A device that reads cryptographically strong random bytes ({@code /dev/urandom}, {@code /dev/random}).
     * PostgreSQL reads it for {@code gen_random_uuid()} and its startup random seed; writes are accepted and
     * ignored, as entropy contributions are on Linux.
     *
     * @param random source of randomness
     * @return the device
     */
    public static CharDevice random(SecureRandom random) {
        return new CharDevice() {
            @Override
            public int read(long position, byte[] dst, int off, int len) {
                if (off == 0 && len == dst.length) {
                    random.nextBytes(dst);
                } else {
                    byte[] tmp = new byte[len];
                    random.nextBytes(tmp);
                    System.arraycopy(tmp, 0, dst, off, len);
                }
                return len;
            }

            @Override
            public int write(long position, byte[] src, int off, int len) {
                return len;
            }

            @Override
            public boolean isSeekable() {
                return true;
            }
        };
    }

    /**
     * Standard input with nothing to read: every read reports end of file. It is a terminal, as the Emscripten
     * glue's default stdin is.
     *
     * @return the device
     */
    public static CharDevice emptyInput() {
        return new CharDevice() {
            @Override
            public int read(long position, byte[] dst, int off, int len) {
                return 0;
            }

            @Override
            public int write(long position, byte[] src, int off, int len) {
                return -Errno.EBADF;
            }

            @Override
            public boolean isTerminal() {
                return true;
            }
        };
    }
}
