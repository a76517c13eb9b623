package io.pglite.distribution;

import java.util.Objects;

/**
 * Thrown when a resource of a PGlite {@link Distribution} is missing, unreadable, corrupt (its
 * SHA-256 differs from the distribution manifest) or malformed. The message names the resource;
 * {@link #resource()} returns its name.
 */
public class DistributionException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Name of the resource the problem is about, relative to the distribution's resource root. */
    private final String resource;

    /**
     * Creates an exception about one resource.
     *
     * @param resource name of the resource, relative to the distribution's resource root
     * @param message message; should name the resource
     */
    public DistributionException(String resource, String message) {
        super(message);
        this.resource = Objects.requireNonNull(resource, "resource");
    }

    /**
     * Creates an exception about one resource, with a cause.
     *
     * @param resource name of the resource, relative to the distribution's resource root
     * @param message message; should name the resource
     * @param cause the underlying problem
     */
    public DistributionException(String resource, String message, Throwable cause) {
        super(message, cause);
        this.resource = Objects.requireNonNull(resource, "resource");
    }

    /**
     * Returns the name of the resource the problem is about.
     *
     * @return the resource name, relative to the distribution's resource root (for example
     *     {@code pglite.data})
     */
    public String resource() {
        return resource;
    }
}
