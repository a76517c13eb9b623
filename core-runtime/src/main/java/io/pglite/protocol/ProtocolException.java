package io.pglite.protocol;

import java.io.IOException;

/** The client sent bytes that are not a valid PostgreSQL frontend message. */
public final class ProtocolException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what is wrong with the input
     */
    public ProtocolException(String message) {
        super(message);
    }
}
