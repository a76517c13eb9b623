package io.pglite.fs;

/**
 * An open regular file inside a {@link FileTreeLayer}: positional I/O on one file object.
 *
 * <p>A handle stays bound to the file it was opened on, not to its path: after the path is unlinked or renamed
 * the handle keeps reading and writing the same data, as POSIX requires of an open descriptor. The file
 * position is not kept here; {@link VirtualFileSystem} keeps it in the open file description, so the same
 * handle serves {@code read}/{@code write} and {@code pread}/{@code pwrite}.
 *
 * <p>All methods return a value &gt;= 0 on success or a negated {@link Errno} value; they must not throw for
 * ordinary failures. Not thread-safe (see {@link VirtualFileSystem}).
 */
public interface FileHandle {
    /**
     * Reads up to {@code len} bytes at {@code position}. Bytes never written inside the file read as zeros.
     *
     * @param position file offset, &gt;= 0
     * @param dst      destination array
     * @param off      offset in {@code dst}
     * @param len      maximum bytes to read
     * @return bytes read (0 at or beyond end of file), or {@code -errno}
     */
    int read(long position, byte[] dst, int off, int len);

    /**
     * Writes {@code len} bytes at {@code position}, extending the file (with a zero-filled gap) if needed.
     *
     * @param position file offset, &gt;= 0
     * @param src      source array
     * @param off      offset in {@code src}
     * @param len      bytes to write
     * @return bytes written (all of them unless the medium is full), or {@code -errno}
     */
    int write(long position, byte[] src, int off, int len);

    /** @return the current file size in bytes, or {@code -errno} */
    long size();

    /**
     * Sets the file size; growing fills with zeros.
     *
     * @param length new size, &gt;= 0
     * @return 0 or {@code -errno}
     */
    int truncate(long length);

    /**
     * Makes written data durable (host files: {@code FileChannel.force}); a no-op for memory files.
     *
     * @return 0 or {@code -errno}
     */
    int sync();

    /**
     * Fills the attributes of the open file ({@code fstat}). {@link FileStat#dev} is set by the caller.
     *
     * @param out holder to fill
     * @return 0 or {@code -errno}
     */
    int stat(FileStat out);

    /** @return whether the handle was opened for writing */
    boolean isWritable();

    /** Releases the handle (host files: closes the channel). Further calls are undefined. */
    void close();
}
