package io.pglite.fs;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Child-process helper for {@link HostDirectoryLayerTest}: locks a directory, reports it on stdout, and keeps
 * the lock until its stdin is closed.
 */
public final class LockHolderMain {
    private LockHolderMain() {
    }

    /**
     * Entry point.
     *
     * @param args the directory to lock
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        HostDirectoryLayer layer = HostDirectoryLayer.open(Path.of(args[0]));
        try {
            // stdout is the protocol to the parent test, not logging
            System.out.write("locked\n".getBytes(StandardCharsets.US_ASCII));
            System.out.flush();
            while (System.in.read() >= 0) {
                // hold the lock until the parent closes our stdin
            }
        } finally {
            layer.close();
        }
    }
}
