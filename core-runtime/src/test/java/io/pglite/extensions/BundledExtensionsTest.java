package io.pglite.extensions;

import static org.assertj.core.api.Assertions.assertThat;

import io.pglite.distribution.Distribution;
import io.pglite.distribution.ExtensionBundle;
import org.junit.jupiter.api.Test;

/** The PostgreSQL 18 bundles (the smoke table is in {@link BundledExtensionsContract}). */
class BundledExtensionsTest extends BundledExtensionsContract {

    @Override
    protected Distribution distribution() {
        return Distribution.pg18();
    }

    @Test
    void bundlesDeclareTheirExtensions() {
        assertThat(ExtensionBundle.read(Distribution.pg18(), "spi").controlNames())
                .containsExactly("autoinc", "insert_username", "moddatetime", "refint");
        assertThat(ExtensionBundle.read(Distribution.pg18(), "intarray").files())
                .anySatisfy(f -> assertThat(f.path()).isEqualTo("/pglite/lib/postgresql/_int.so"));
    }
}
