package io.pglite.distribution;

import java.util.Objects;

/**
 * One entry of the file index of {@code pglite.data}: a file whose bytes are
 * {@code pglite.data[start, end)}, or a directory the Emscripten glue creates (then
 * {@code start == end == 0} and {@link #directory()} is {@code true}).
 *
 * @param path absolute path in the wasm file system, for example
 *     {@code /pglite/share/postgresql/postgres.bki}
 * @param start offset of the first byte in {@code pglite.data} (0 for directories)
 * @param end offset after the last byte in {@code pglite.data} (0 for directories)
 * @param directory whether this entry is a directory
 */
public record PackagedFile(String path, int start, int end, boolean directory) {

    /**
     * Validates the entry.
     *
     * @param path absolute path in the wasm file system
     * @param start offset of the first byte in {@code pglite.data} (0 for directories)
     * @param end offset after the last byte in {@code pglite.data} (0 for directories)
     * @param directory whether this entry is a directory
     * @throws IllegalArgumentException if the path is not absolute or the range is invalid
     */
    public PackagedFile {
        Objects.requireNonNull(path, "path");
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("path must be absolute: " + path);
        }
        if (directory ? (start != 0 || end != 0) : (start < 0 || end < start)) {
            throw new IllegalArgumentException(
                    "invalid range [" + start + ", " + end + ") for " + path);
        }
    }

    /**
     * Creates a file entry.
     *
     * @param path absolute path
     * @param start offset of the first byte in {@code pglite.data}
     * @param end offset after the last byte in {@code pglite.data}
     * @return the entry
     */
    public static PackagedFile file(String path, int start, int end) {
        return new PackagedFile(path, start, end, false);
    }

    /**
     * Creates a directory entry.
     *
     * @param path absolute path
     * @return the entry
     */
    public static PackagedFile directory(String path) {
        return new PackagedFile(path, 0, 0, true);
    }

    /**
     * Returns the size of the file in bytes.
     *
     * @return {@code end - start}; 0 for directories
     */
    public int size() {
        return end - start;
    }
}
