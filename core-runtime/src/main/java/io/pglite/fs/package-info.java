/**
 * A pure-Java, POSIX-like virtual file system for PostgreSQL compiled to WebAssembly (PGlite).
 *
 * <p>The wasm host decodes Emscripten {@code __syscall_*} and WASI {@code fd_*} calls from wasm memory and calls
 * {@link io.pglite.fs.VirtualFileSystem}, which mirrors those syscalls: results are {@code >= 0} or a negated
 * {@link io.pglite.fs.Errno} value in Emscripten/WASI numbering, flags are the Emscripten musl values in
 * {@link io.pglite.fs.OpenFlags}. The file tree is built from mounted {@link io.pglite.fs.FileTreeLayer}s:
 * <ul>
 *   <li>{@link io.pglite.fs.PackageLayer}: read-only, zero-copy slices of the distribution's {@code pglite.data};</li>
 *   <li>{@link io.pglite.fs.MemoryLayer}: writable, in heap, sparse paged file contents;</li>
 *   <li>{@link io.pglite.fs.HostDirectoryLayer}: writable, a locked real directory for persistent data;</li>
 *   <li>{@link io.pglite.fs.OverlayLayer}: copy-on-write union of a writable upper over a read-only lower.</li>
 * </ul>
 * Character devices ({@link io.pglite.fs.CharDevice}) provide {@code /dev/null}, {@code /dev/urandom},
 * {@code /dev/blob} and the standard streams. Nothing here depends on a wasm runtime.
 *
 * <p>Not thread-safe: one file system serves one wasm instance from one thread at a time.
 */
package io.pglite.fs;
