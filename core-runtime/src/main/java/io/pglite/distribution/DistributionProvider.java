package io.pglite.distribution;

/**
 * Registers a packaged PostgreSQL distribution with {@link Distribution#forVersion(String)}: artifacts such as
 * {@code io.pglite:pglite-distribution-pg17} list their implementation in
 * {@code META-INF/services/io.pglite.distribution.DistributionProvider}.
 */
public interface DistributionProvider {

    /**
     * Returns the PostgreSQL major version of the distribution.
     *
     * @return for example 17
     */
    int postgresMajorVersion();

    /**
     * Returns the distribution; called once per class loader (the result is kept).
     *
     * @return the distribution, typically made with {@link Distribution#packaged}
     */
    Distribution distribution();
}
