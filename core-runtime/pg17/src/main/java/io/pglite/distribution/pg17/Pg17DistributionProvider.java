package io.pglite.distribution.pg17;

import io.pglite.distribution.Distribution;
import io.pglite.distribution.DistributionProvider;
import io.pglite.wasm.RelocatableLayout;

/**
 * PostgreSQL 17.5 from PGlite 0.4.5 (with pgvector, pg_uuidv7 and pgtap), registered with
 * {@link Distribution#forVersion(String)}. Users add the artifact {@code io.pglite:pglite-distribution-pg17} and
 * ask for version {@code 17}; they do not use this class directly.
 *
 * <p>PGlite 0.4.5 was linked by Emscripten 3.1.74 as relocatable main modules: {@code pglite.wasm} and
 * {@code initdb.wasm} import {@code __memory_base}, {@code __table_base}, {@code __stack_pointer},
 * {@code GOT.mem.__heap_base} and the function table, which the JavaScript loader creates. The values below are
 * that loader's (the package's {@code dist/pglite.js} and {@code dist/initdb.js}; {@code Pg17LayoutTest}
 * checks them against the glue of the package the build unpacked): data at 1024, table entries from 1, the
 * stack's top (and the heap's start) after the data plus an 8 MiB stack for the backend and a 64 KiB stack
 * for initdb, and a table of 1 + the module's {@code dylink.0} table size.
 */
public final class Pg17DistributionProvider implements DistributionProvider {

    /** The backend's layout, as {@code dist/pglite.js} of 0.4.5 sets it. */
    static final RelocatableLayout PGLITE_LAYOUT = new RelocatableLayout(1024, 1, 10937088, 10937088, 6098);

    /** {@code initdb.wasm}'s layout, as {@code dist/initdb.js} of 0.4.5 sets it. */
    static final RelocatableLayout INITDB_LAYOUT = new RelocatableLayout(1024, 1, 137184, 137184, 21);

    private static final class Holder {
        static final Distribution INSTANCE = Distribution.packaged(
                "pg17",
                PgliteModule.class,
                PgliteModule::create,
                PgliteModule.META_RESOURCE,
                InitdbModule::create,
                InitdbModule.META_RESOURCE,
                PGLITE_LAYOUT,
                INITDB_LAYOUT);
    }

    /** Creates the provider (called by {@link java.util.ServiceLoader}). */
    public Pg17DistributionProvider() {}

    @Override
    public int postgresMajorVersion() {
        return 17;
    }

    @Override
    public Distribution distribution() {
        return Holder.INSTANCE;
    }
}
