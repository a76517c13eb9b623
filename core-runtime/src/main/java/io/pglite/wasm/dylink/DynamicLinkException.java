package io.pglite.wasm.dylink;

/**
 * Loading or linking a side module failed: bad binary, unresolved symbol, allocation failure,
 * or a trap while running the module's initialisers.
 */
public class DynamicLinkException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message human readable reason, naming the library and symbol when known
     */
    public DynamicLinkException(String message) {
        super(message);
    }

    /**
     * @param message human readable reason, naming the library and symbol when known
     * @param cause the underlying failure (parser, validator or trap)
     */
    public DynamicLinkException(String message, Throwable cause) {
        super(message, cause);
    }
}
