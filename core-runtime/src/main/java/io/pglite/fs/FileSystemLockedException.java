package io.pglite.fs;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Thrown when a {@link HostDirectoryLayer} cannot take the exclusive lock on its directory because another
 * live file system (in this JVM or in another process) is using it. Running two PostgreSQL instances on one
 * data directory would corrupt it, so this is refused up front.
 */
public final class FileSystemLockedException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path directory;

    /**
     * Creates the exception.
     *
     * @param directory the locked directory
     * @param detail    who holds the lock, as far as known
     */
    public FileSystemLockedException(Path directory, String detail) {
        super("Directory " + directory + " is already in use by another pglite file system (" + detail
                + "); close it first or use a different directory");
        this.directory = directory;
    }

    /** @return the directory that is locked */
    public Path directory() {
        return directory;
    }
}
