package io.pglite.cluster;

/** A cluster could not be created, opened or used. */
public class ClusterException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong
     */
    public ClusterException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong
     * @param cause the underlying failure
     */
    public ClusterException(String message, Throwable cause) {
        super(message, cause);
    }
}
