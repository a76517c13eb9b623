package io.pglite.wasm;

/**
 * The wasm program aborted ({@code abort()}, a failed C assertion, or an unrecoverable host error).
 *
 * <p>The instance that threw it must not be used again: its memory may be in an inconsistent state.
 */
public final class WasmAbortException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what the program reported
     */
    public WasmAbortException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what happened
     * @param cause the underlying failure
     */
    public WasmAbortException(String message, Throwable cause) {
        super(message, cause);
    }
}
