/**
 * The PGlite distribution packaged in the core-runtime jar: PostgreSQL compiled to WebAssembly
 * and, at build time, to JVM bytecode with Chicory, plus the data files and extension bundles it
 * needs. Entry point: {@link io.pglite.distribution.Distribution#pg18()}.
 */
package io.pglite.distribution;
