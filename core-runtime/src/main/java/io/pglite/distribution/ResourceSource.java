package io.pglite.distribution;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/** Where the resources of a {@link Distribution} come from (the class path, or a folder in tests). */
interface ResourceSource {

    /**
     * Opens a resource.
     *
     * @param name name relative to the resource root
     * @return the stream, or {@code null} if there is no such resource
     * @throws IOException if it exists but cannot be opened
     */
    InputStream open(String name) throws IOException;

    /** Describes where {@code name} is looked for, for messages. */
    String describe(String name);

    /** Resources in the folder {@code root} (for example {@code io/pglite/distribution/pg18/}) of the class path. */
    static ResourceSource classpath(Class<?> anchor, String root) {
        Objects.requireNonNull(anchor, "anchor");
        String prefix = "/" + (root.endsWith("/") ? root : root + "/");
        return new ResourceSource() {
            @Override
            public InputStream open(String name) {
                return anchor.getResourceAsStream(prefix + name);
            }

            @Override
            public String describe(String name) {
                return "class path resource " + prefix.substring(1) + name;
            }
        };
    }

    /** Resources in a folder of the file system. */
    static ResourceSource directory(Path root) {
        Path dir = root.toAbsolutePath().normalize();
        return new ResourceSource() {
            @Override
            public InputStream open(String name) throws IOException {
                Path file = dir.resolve(name).normalize();
                if (!file.startsWith(dir) || !Files.isRegularFile(file)) {
                    return null;
                }
                return Files.newInputStream(file);
            }

            @Override
            public String describe(String name) {
                return "file " + dir.resolve(name);
            }
        };
    }
}
