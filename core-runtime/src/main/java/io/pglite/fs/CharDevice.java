package io.pglite.fs;

/**
 * A character device: a file whose bytes come from code rather than storage, such as {@code /dev/null},
 * {@code /dev/urandom}, the standard streams on descriptors 0/1/2, or the {@code /dev/blob} device PGlite uses
 * for {@code COPY ... TO/FROM '/dev/blob'}.
 *
 * <p>Register one at a path with {@link VirtualFileSystem#registerDevice(String, CharDevice)} or put one on
 * descriptor 0, 1 or 2 with {@link VirtualFileSystem#setStdio(int, CharDevice)}. The VFS keeps a position per
 * open file description and passes it in; a non-seekable device may ignore it (the VFS still advances it by
 * the bytes transferred). All methods return counts or {@code -errno}; they must not throw. A device is
 * shared by every descriptor that opens its path.
 */
public interface CharDevice {
    /**
     * Reads bytes.
     *
     * @param position position of the reading open file description
     * @param dst      destination
     * @param off      offset in {@code dst}
     * @param len      maximum bytes
     * @return bytes read, 0 at end of input, or {@code -errno} (e.g. {@code -Errno.EAGAIN})
     */
    int read(long position, byte[] dst, int off, int len);

    /**
     * Writes bytes.
     *
     * @param position position of the writing open file description
     * @param src      source
     * @param off      offset in {@code src}
     * @param len      bytes to write
     * @return bytes accepted or {@code -errno}
     */
    int write(long position, byte[] src, int off, int len);

    /**
     * Called for every {@code open} of the device's path, before a descriptor is allocated.
     *
     * @param flags the open flags ({@link OpenFlags})
     * @return 0 to allow the open, or {@code -errno} to fail it
     */
    default int open(int flags) {
        return 0;
    }

    /** Called when an open file description on this device is released (its last descriptor closed). */
    default void close() {
    }

    /** Pushes out buffered output (called by {@code fsync} and when the VFS is synced or closed). */
    default void flush() {
    }

    /** @return whether {@code lseek} is allowed; otherwise it fails with ESPIPE */
    default boolean isSeekable() {
        return false;
    }

    /**
     * Whether the device is a terminal. Terminals report WASI file type 2 (character device) from
     * {@link VirtualFileSystem#fileType(int)}, which wasm libc's {@code isatty} treats as a tty.
     *
     * @return {@code true} for terminal-like streams
     */
    default boolean isTerminal() {
        return false;
    }

    /** @return the size reported by {@code fstat} and used by {@code SEEK_END}; 0 for stream devices */
    default long size() {
        return 0;
    }
}
