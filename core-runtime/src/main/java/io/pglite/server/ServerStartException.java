package io.pglite.server;

/** The server could not start listening, for example because the port is already in use. */
public final class ServerStartException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong, naming the address
     * @param cause the underlying failure
     */
    public ServerStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
