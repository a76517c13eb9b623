package io.pglite.wasm;

/**
 * Loading of Emscripten side modules ({@code .so} files) into a running process: the host half of
 * {@code dlopen} and {@code dlsym}.
 */
public interface DynamicLinking {
    /**
     * Implements the {@code _dlopen_js} import: loads the library whose bytes and path the C side put into the
     * handle structure, and fills in the structure.
     *
     * @param process the calling process
     * @param handle address of the handle structure
     * @return 1 on success, 0 after reporting an error with {@code __dl_seterr}
     */
    int dlopen(EmscriptenProcess process, int handle);

    /**
     * Implements the {@code _dlsym_js} import.
     *
     * @param process the calling process
     * @param handle address of the handle structure of a loaded library
     * @param symbol address of the NUL-terminated symbol name
     * @param symbolIndex address where the symbol's export index is written
     * @return the symbol's table index (functions) or address (data), 0 after reporting an error
     */
    int dlsym(EmscriptenProcess process, int handle, int symbol, int symbolIndex);

    /**
     * The number of side modules loaded so far. A process that loaded any cannot be imaged: their instances,
     * table slots and memory placement are not part of a {@link ProcessImage}.
     *
     * @return how many libraries are loaded
     */
    default int loadedLibraries() {
        return 0;
    }
}
