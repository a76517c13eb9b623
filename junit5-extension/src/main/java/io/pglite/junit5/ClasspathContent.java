package io.pglite.junit5;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Digests of class-path directories: every file below a directory, in every class-path root (directories and
 * jars) that has it. What a migration tool reads from a location, reduced to one id, so that a template built
 * from migrations is rebuilt exactly when a file changes, is added or is removed.
 */
final class ClasspathContent {
    private ClasspathContent() {}

    /**
     * Digests the files under a class-path directory.
     *
     * @param loader where to look
     * @param directory a directory path such as {@code db/migration} (no leading slash)
     * @return SHA-256 (hex) over the relative paths and contents, sorted
     * @throws IllegalArgumentException if no class-path root has the directory
     */
    static String digest(ClassLoader loader, String directory) {
        String dir = directory.replaceAll("^/+|/+$", "");
        Map<String, byte[]> files = new TreeMap<>();
        try {
            Enumeration<URL> roots = loader.getResources(dir.isEmpty() ? "" : dir + "/");
            if (!roots.hasMoreElements()) {
                roots = loader.getResources(dir);
            }
            boolean found = false;
            while (roots.hasMoreElements()) {
                found = true;
                collect(roots.nextElement(), dir, files);
            }
            if (!found) {
                throw new IllegalArgumentException("no class-path directory " + directory);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, byte[]> e : files.entrySet()) {
                d.update(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                d.update((byte) 0);
                d.update(MessageDigest.getInstance("SHA-256").digest(e.getValue()));
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void collect(URL url, String dir, Map<String, byte[]> files) throws IOException {
        switch (url.getProtocol()) {
            case "file" -> {
                Path root;
                try {
                    root = Path.of(url.toURI());
                } catch (URISyntaxException e) {
                    throw new IOException("bad class-path URL " + url, e);
                }
                try (Stream<Path> walk = Files.walk(root)) {
                    for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile).sorted()::iterator) {
                        files.put(root.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
                    }
                }
            }
            case "jar" -> {
                JarURLConnection c = (JarURLConnection) url.openConnection();
                c.setUseCaches(false);
                try (JarFile jar = c.getJarFile()) {
                    String prefix = dir.isEmpty() ? "" : dir + "/";
                    Enumeration<JarEntry> entries = jar.entries();
                    while (entries.hasMoreElements()) {
                        JarEntry e = entries.nextElement();
                        if (!e.isDirectory() && e.getName().startsWith(prefix)) {
                            try (InputStream in = jar.getInputStream(e)) {
                                files.put(e.getName().substring(prefix.length()), in.readAllBytes());
                            }
                        }
                    }
                }
            }
            default -> throw new IOException("cannot list class-path location " + url);
        }
    }
}
