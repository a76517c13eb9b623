/**
 * Emscripten dynamic linking for pglite on Chicory: side modules ({@code .so}) linked into the main
 * pglite instance, and Java host functions placed in its function table.
 *
 * <ul>
 *   <li>{@link io.pglite.wasm.dylink.DynamicLinker}: {@code _dlopen_js}/{@code _dlsym_js} and
 *       loading from Java; GOT, memory and table placement, relocation, constructors.
 *   <li>{@link io.pglite.wasm.dylink.HostFunctionTable}: Java callbacks as table entries (the
 *       counterpart of Emscripten's {@code addFunction}).
 *   <li>{@link io.pglite.wasm.dylink.TypeRegistry} and {@link
 *       io.pglite.wasm.dylink.TypePrefixRewriter}: work around Chicory 1.7.5 checking a
 *       cross-instance {@code call_indirect} against the callee module's type indices, by giving
 *       every module main's type section as a prefix.
 *   <li>{@link io.pglite.wasm.dylink.PrivateTableFactory}: keeps Chicory from growing the parsed
 *       module's table limits when one instance's table grows.
 * </ul>
 */
package io.pglite.wasm.dylink;
