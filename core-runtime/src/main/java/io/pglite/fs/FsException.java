package io.pglite.fs;

/**
 * An errno carried as an exception, for the few layer operations that return an object
 * ({@link FileTreeLayer#open}) and so cannot return {@code -errno}.
 *
 * <p>It has no stack trace: it is a control-flow signal that {@link VirtualFileSystem} turns back into a
 * negative return value, and filling a trace would make the failure path needlessly expensive.
 */
public final class FsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The positive errno value. */
    private final int errno;

    /**
     * Creates an exception for an errno.
     *
     * @param errno positive errno value from {@link Errno}
     * @param message description (may name the path)
     */
    public FsException(int errno, String message) {
        super(Errno.name(errno) + ": " + message, null, false, false);
        this.errno = Math.abs(errno);
    }

    /** @return the positive errno value */
    public int errno() {
        return errno;
    }
}
