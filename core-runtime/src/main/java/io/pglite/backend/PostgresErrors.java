package io.pglite.backend;

import io.pglite.wasm.EmscriptenProcess;

/**
 * Raises a PostgreSQL {@code ERROR} from host code running inside a backend call, exactly as C code would
 * with {@code ereport(ERROR, ...)}: the current statement fails with the given SQLSTATE and message, the
 * transaction is aborted, and the session goes on.
 *
 * <p>It works by calling the backend's own {@code errstart}/{@code errcode}/{@code errmsg_internal}/
 * {@code errfinish}; {@code errfinish} unwinds out of the host code like any other PostgreSQL error, so
 * {@link #raise} never returns normally.
 */
public final class PostgresErrors {
    /** {@code elevel} of ERROR in PostgreSQL 16 and later. */
    private static final int ERROR = 21;

    private PostgresErrors() {}

    /**
     * Raises the error.
     *
     * @param p the backend process (the call must be on its wasm thread, inside a backend call)
     * @param sqlState the five-character SQLSTATE
     * @param message the primary message
     * @return never returns; declared to let callers write {@code throw PostgresErrors.raise(...)}
     */
    public static RuntimeException raise(EmscriptenProcess p, String sqlState, String message) {
        // errfinish keeps pointers to the file and function names, so they must outlive the stack frame.
        int file = p.persistentString("pglite-java host");
        int function = p.persistentString("host");
        if (p.callInt("errstart", ERROR, 0) != 0) {
            p.call("errcode", encode(sqlState));
            int sp = p.stackSave();
            // errmsg_internal formats into the error context's memory, so a stack copy is enough.
            p.call("errmsg_internal", p.stringOnStack(message.replace("%", "%%")), 0);
            p.stackRestore(sp);
            p.call("errfinish", file, 0, function);
        }
        throw new IllegalStateException("PostgreSQL did not raise the error: " + sqlState + " " + message);
    }

    /** PostgreSQL's MAKE_SQLSTATE: five characters packed 6 bits each, first character lowest. */
    static int encode(String sqlState) {
        if (sqlState.length() != 5) {
            throw new IllegalArgumentException("SQLSTATE must have 5 characters: " + sqlState);
        }
        int code = 0;
        for (int i = 0; i < 5; i++) {
            code |= ((sqlState.charAt(i) - '0') & 0x3F) << (6 * i);
        }
        return code;
    }
}
