package io.pglite.wasm;

/**
 * Thrown through the wasm stack when an Emscripten program calls {@code exit(status)} or
 * {@code proc_exit(status)}.
 *
 * <p>Emscripten's JavaScript glue unwinds {@code exit} by throwing {@code ExitStatus}; this is the Java
 * equivalent. PostgreSQL relies on it: the PGlite backend "exits" with 99 once it is initialised and with 100
 * when an ERROR reaches the top level, and the host resumes it afterwards. No stack trace is captured because
 * the exception is part of normal control flow.
 */
public final class ProcessExitException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;

    /**
     * Creates the exception for an exit with the given status.
     *
     * @param status the program's exit status
     */
    public ProcessExitException(int status) {
        super("exit(" + status + ")", null, false, false);
        this.status = status;
    }

    /**
     * Returns the exit status the program passed to {@code exit}.
     *
     * @return the exit status
     */
    public int status() {
        return status;
    }
}
