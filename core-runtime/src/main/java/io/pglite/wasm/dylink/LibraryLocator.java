package io.pglite.wasm.dylink;

import java.util.Optional;

/**
 * Finds the bytes of a shared library by path when the C side did not hand them over (a {@code
 * dlopen} handle without file data) or for a library listed as needed in {@code dylink.0}.
 */
@FunctionalInterface
public interface LibraryLocator {

    /** A locator that finds nothing. */
    LibraryLocator NONE = path -> Optional.empty();

    /**
     * @param path absolute, normalised path or a bare library name
     * @return the library bytes, or empty
     */
    Optional<byte[]> find(String path);
}
