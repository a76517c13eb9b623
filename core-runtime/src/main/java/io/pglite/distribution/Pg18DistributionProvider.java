package io.pglite.distribution;

/**
 * Registers the PostgreSQL 18 distribution packaged in {@code pglite-core-runtime} like any other (see
 * {@link DistributionProvider}), so that {@link java.util.ServiceLoader} lists every version on the class path.
 */
public final class Pg18DistributionProvider implements DistributionProvider {

    /** Creates the provider (called by {@link java.util.ServiceLoader}). */
    public Pg18DistributionProvider() {}

    @Override
    public int postgresMajorVersion() {
        return Distribution.DEFAULT_MAJOR_VERSION;
    }

    @Override
    public Distribution distribution() {
        return Distribution.pg18();
    }
}
