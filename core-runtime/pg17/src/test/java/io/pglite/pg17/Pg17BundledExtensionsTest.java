package io.pglite.pg17;

import io.pglite.distribution.Distribution;
import io.pglite.extensions.BundledExtensionsContract;

/** Every bundle of PostgreSQL 17 (PGlite 0.4.5: contrib, pgvector, pg_uuidv7, pgtap, age, ...) loads and answers. */
class Pg17BundledExtensionsTest extends BundledExtensionsContract {

    @Override
    protected Distribution distribution() {
        return Distribution.forVersion("17");
    }
}
