package io.pglite.cluster;

import io.pglite.distribution.Distribution;
import io.pglite.fs.DirEntry;
import io.pglite.fs.Errno;
import io.pglite.fs.FileHandle;
import io.pglite.fs.FileStat;
import io.pglite.fs.FileTreeLayer;
import io.pglite.fs.MemoryLayer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Templates (data directories fresh from initdb) kept on disk, so that initdb runs once per distribution and
 * set of initdb inputs on a machine rather than once per JVM.
 *
 * <h2>Layout</h2>
 * {@code <cache>/templates/<key>/}: the data directory's files under {@code data/} and, written last, a
 * {@code MANIFEST} listing every directory and file with its mode, size and CRC-32C. The key is a digest of
 * everything the template depends on ({@link #key}): the distribution's digest (its npm integrity and every
 * packaged resource's SHA-256), the initdb options and {@link #FORMAT}. A changed distribution or option
 * therefore gets a new entry; old entries are left for {@code rm -rf} (each is about 40 MB).
 *
 * <h2>Concurrency and crashes</h2>
 * Entries are built in {@code <key>.tmp-<random>} and renamed into place atomically once complete, so a
 * reader never sees a half-written one; several JVMs building the same key serialise on an exclusive lock of
 * {@code <key>.lock} (a {@link FileChannel} lock, released by the OS if the JVM dies), and the ones that waited
 * find the entry built. Readers take no lock: an entry never changes after the rename; a damaged one is only
 * moved away (by a JVM holding the lock) and rebuilt.
 *
 * <h2>Verification</h2>
 * Every load reads every file anyway (into a frozen {@link MemoryLayer}) and checks its size and CRC-32C
 * against the manifest, at about the cost of reading: a truncated, missing, changed or unreadable file, or a
 * manifest without its end marker, makes the entry damaged, and it is rebuilt.
 */
final class TemplateCache {
    private static final Logger LOG = LoggerFactory.getLogger(TemplateCache.class);

    /** Bump when the host changes what a template holds for the same distribution and options. */
    static final String FORMAT = "1";

    /** System property naming the cache directory. */
    static final String CACHE_DIR_PROPERTY = "pglite.cache.dir";
    /** Environment variable naming the cache directory (the system property wins). */
    static final String CACHE_DIR_ENV = "PGLITE_CACHE_DIR";

    static final String MANIFEST = "MANIFEST";
    static final String DATA = "data";
    private static final String HEADER = "pglite-java template " + FORMAT;
    private static final int CHUNK = 1 << 16;
    private static final SecureRandom RANDOM = new SecureRandom();
    /** In-JVM exclusion per entry: a JVM cannot take a file lock it already holds. */
    private static final Map<Path, Object> JVM_LOCKS = new ConcurrentHashMap<>();

    private final Path templates;

    /**
     * @param cacheDirectory the cache root; templates go to its {@code templates} folder
     */
    TemplateCache(Path cacheDirectory) {
        this.templates = cacheDirectory.resolve("templates");
    }

    /**
     * The cache directory when none is configured on the builder: system property {@code pglite.cache.dir},
     * else environment variable {@code PGLITE_CACHE_DIR}, else the user's cache folder
     * ({@code $XDG_CACHE_HOME/pglite-java}, {@code ~/.cache/pglite-java}, or {@code %LOCALAPPDATA%\pglite-java}
     * on Windows).
     *
     * @return the directory (not created yet)
     */
    static Path defaultDirectory() {
        String prop = System.getProperty(CACHE_DIR_PROPERTY);
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop);
        }
        String env = System.getenv(CACHE_DIR_ENV);
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        String os = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT);
        String localAppData = System.getenv("LOCALAPPDATA");
        if (os.startsWith("windows") && localAppData != null) {
            return Path.of(localAppData, "pglite-java");
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg, "pglite-java");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "pglite-java");
    }

    /**
     * The key of a template: a digest of the distribution (its own digest covers the npm package and every
     * compiled resource), the initdb options and the template format.
     *
     * @return 32 hex digits
     */
    static String key(Distribution distribution, InitdbOptions options) {
        String inputs = String.join("\n", HEADER, distribution.npmVersion(), distribution.digest(),
                "user=" + options.username(), "encoding=" + options.encoding(), "locale=" + options.locale());
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(inputs.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The key of a template derived from another by one step (a database created, a setup applied).
     *
     * @param baseKey the key of the template the step starts from
     * @param baseDigest that template's content digest: a rebuilt base invalidates what was made from it
     * @param step what the step does, including its setup's id
     * @return 32 hex digits
     */
    static String derivedKey(String baseKey, String baseDigest, String step) {
        String inputs = String.join("\n", HEADER, "derived", baseKey, baseDigest, step);
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(inputs.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The entry directory of a key. */
    Path entry(String key) {
        return templates.resolve(key);
    }

    /**
     * A template as loaded: its files and a digest of its exact content. Two initdb runs with the same inputs
     * differ (time stamps, the system identifier), so what was made from one template (a started-backend
     * snapshot) is tied to this digest, not to the key.
     *
     * @param data the data directory, frozen
     * @param contentDigest SHA-256 (hex) of the entry's manifest, which lists every file's size and checksum
     */
    record Loaded(MemoryLayer data, String contentDigest) {}

    /**
     * Returns the template of {@code key}: loaded from disk when a sound entry exists, otherwise built with
     * {@code initdb} (under the lock, after checking again) and stored.
     *
     * @param key the template's key ({@link #key})
     * @param what what building it involves, for the log
     * @param initdb creates the data directory (runs initdb or a setup); called at most once, under the lock
     * @return the frozen data directory and its content digest
     */
    Loaded load(String key, String what, Supplier<MemoryLayer> initdb) {
        Path entry = entry(key);
        Loaded found = tryRead(entry);
        if (found != null) {
            return found;
        }
        Object jvmLock = JVM_LOCKS.computeIfAbsent(entry, k -> new Object());
        synchronized (jvmLock) {
            try {
                Files.createDirectories(templates);
                try (FileChannel lockFile = FileChannel.open(templates.resolve(key + ".lock"),
                        StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                    long t0 = System.nanoTime();
                    FileLock lock = lockFile.tryLock();
                    if (lock == null) {
                        LOG.info("waiting for another process to finish the PostgreSQL template {}", entry);
                        lock = lockFile.lock();
                        LOG.info("lock on template {} acquired after {} ms", key,
                                (System.nanoTime() - t0) / 1_000_000);
                    }
                    try {
                        // Whoever held the lock before may have built it.
                        found = tryRead(entry);
                        if (found != null) {
                            return found;
                        }
                        removeLeftovers(key);
                        if (Files.exists(entry)) {
                            LOG.warn("the cached PostgreSQL template {} is damaged; rebuilding it", entry);
                            Path aside = templates.resolve(key + ".damaged-" + Long.toHexString(RANDOM.nextLong()));
                            Files.move(entry, aside, StandardCopyOption.ATOMIC_MOVE);
                            deleteTree(aside);
                        }
                        LOG.info("building the PostgreSQL template {} ({})", entry, what);
                        MemoryLayer data = initdb.get();
                        return new Loaded(data, store(key, data));
                    } finally {
                        lock.release();
                    }
                }
            } catch (IOException e) {
                throw new ClusterException("cannot use the template cache " + templates + ": " + e, e);
            }
        }
    }

    // ---- reading -----------------------------------------------------------------------------------------

    /** Reads and verifies an entry; null if it is missing or damaged (the reason is logged). */
    private Loaded tryRead(Path entry) {
        Path manifest = entry.resolve(MANIFEST);
        if (!Files.isRegularFile(manifest)) {
            if (Files.exists(entry)) {
                LOG.warn("cached template {} has no manifest", entry);
            }
            return null;
        }
        long t0 = System.nanoTime();
        try {
            byte[] manifestBytes = Files.readAllBytes(manifest);
            MemoryLayer layer = read(entry, List.of(new String(manifestBytes, StandardCharsets.UTF_8).split("\n")));
            LOG.info("loaded the cached PostgreSQL template {} in {} ms", entry, (System.nanoTime() - t0) / 1_000_000);
            return new Loaded(layer, sha256(manifestBytes));
        } catch (DamagedException | IOException | UncheckedIOException e) {
            LOG.warn("cached template {} is damaged: {}", entry, e.getMessage());
            return null;
        }
    }

    private static final class DamagedException extends Exception {
        private static final long serialVersionUID = 1L;

        DamagedException(String message) {
            super(message);
        }
    }

    private static MemoryLayer read(Path entry, List<String> lines) throws IOException, DamagedException {
        if (lines.isEmpty() || !lines.get(0).equals(HEADER)) {
            throw new DamagedException("unknown manifest header");
        }
        String last = lines.get(lines.size() - 1);
        if (!last.equals("end\t" + (lines.size() - 2))) {
            throw new DamagedException("manifest is incomplete");
        }
        Path data = entry.resolve(DATA);
        MemoryLayer layer = null;
        byte[] buf = new byte[CHUNK];
        CRC32C crc = new CRC32C();
        for (String line : lines.subList(1, lines.size() - 1)) {
            String[] f = line.split("\t", -1);
            try {
                switch (f[0]) {
                    case "root" -> layer = new MemoryLayer(Integer.parseInt(f[1], 8));
                    case "dir" -> check(layer.mkdir(f[2], Integer.parseInt(f[1], 8)), f[2]);
                    case "file" -> readFile(layer, data, f[5], Integer.parseInt(f[1], 8), Long.parseLong(f[2]),
                            Long.parseLong(f[3], 16), Long.parseLong(f[4]), buf, crc);
                    default -> throw new DamagedException("unknown manifest line: " + line);
                }
            } catch (NumberFormatException | ArrayIndexOutOfBoundsException | NullPointerException e) {
                throw new DamagedException("malformed manifest line: " + line);
            }
        }
        if (layer == null) {
            throw new DamagedException("manifest has no root");
        }
        layer.freeze();
        return layer;
    }

    private static void readFile(MemoryLayer layer, Path data, String path, int mode, long size, long expectedCrc,
            long mtimeNs, byte[] buf, CRC32C crc) throws IOException, DamagedException {
        check(layer.createFile(path, mode), path);
        FileHandle out = layer.open(path, true);
        crc.reset();
        long pos = 0;
        try (FileChannel in = FileChannel.open(data.resolve(path), StandardOpenOption.READ)) {
            if (in.size() != size) {
                throw new DamagedException(path + " has " + in.size() + " bytes, the manifest says " + size);
            }
            ByteBuffer bb = ByteBuffer.wrap(buf);
            while (pos < size) {
                bb.clear();
                int n = in.read(bb);
                if (n <= 0) {
                    throw new DamagedException(path + " ends at " + pos + " of " + size + " bytes");
                }
                crc.update(buf, 0, n);
                check(out.write(pos, buf, 0, n), path); // all-zero chunks stay holes in memory
                pos += n;
            }
        } catch (NoSuchFileException e) {
            throw new DamagedException(path + " is missing");
        } finally {
            out.close();
        }
        if (crc.getValue() != expectedCrc) {
            throw new DamagedException(path + " does not match its checksum");
        }
        layer.setTimes(path, mtimeNs, mtimeNs);
    }

    private static void check(int r, String path) throws DamagedException {
        if (r < 0) {
            throw new DamagedException(path + ": " + Errno.name(-r));
        }
    }

    // ---- writing -----------------------------------------------------------------------------------------

    /** Writes an entry and publishes it; returns the digest of its manifest. */
    private String store(String key, FileTreeLayer data) throws IOException {
        long t0 = System.nanoTime();
        Path tmp = templates.resolve(key + ".tmp-" + Long.toHexString(RANDOM.nextLong()));
        Files.createDirectories(tmp.resolve(DATA));
        List<String> manifest = new ArrayList<>();
        manifest.add(HEADER);
        FileStat st = new FileStat();
        data.lstat("", st);
        manifest.add("root\t" + Integer.toOctalString(st.permissions()));
        writeTree(data, "", tmp.resolve(DATA), manifest);
        manifest.add("end\t" + (manifest.size() - 1));
        Path m = tmp.resolve(MANIFEST);
        // No fsync: a cache entry need not survive a power failure, only be recognised as damaged after one,
        // which the checksums do; syncing some thousand files would double the time to store a template.
        byte[] manifestBytes = (String.join("\n", manifest) + "\n").getBytes(StandardCharsets.UTF_8);
        Files.write(m, manifestBytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try {
            Files.move(tmp, entry(key), StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException | FileAlreadyExistsException e) {
            deleteTree(tmp);
            throw e;
        }
        LOG.info("stored the PostgreSQL template {} in {} ms", entry(key), (System.nanoTime() - t0) / 1_000_000);
        return sha256(manifestBytes);
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void writeTree(FileTreeLayer layer, String dir, Path target, List<String> manifest)
            throws IOException {
        List<DirEntry> entries = new ArrayList<>();
        layer.list(dir, entries);
        entries.sort(Comparator.comparing(DirEntry::name));
        FileStat st = new FileStat();
        byte[] buf = new byte[CHUNK];
        for (DirEntry e : entries) {
            String path = dir.isEmpty() ? e.name() : dir + "/" + e.name();
            if (layer.lstat(path, st) < 0) {
                throw new IOException("cannot stat " + path + " in the new template");
            }
            Path file = target.resolve(path);
            if (st.isDirectory()) {
                Files.createDirectory(file);
                manifest.add("dir\t" + Integer.toOctalString(st.permissions()) + "\t" + path);
                writeTree(layer, path, target, manifest);
            } else if (st.isRegularFile()) {
                CRC32C crc = new CRC32C();
                long size = st.size;
                FileHandle in = layer.open(path, false);
                try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE)) {
                    long pos = 0;
                    while (pos < size) {
                        int n = in.read(pos, buf, 0, (int) Math.min(buf.length, size - pos));
                        if (n <= 0) {
                            throw new IOException("cannot read " + path + " of the new template");
                        }
                        crc.update(buf, 0, n);
                        // All-zero chunks (most of a fresh WAL segment) stay holes where the file system
                        // supports them; the last byte is always written so that the size is right.
                        if (!isZero(buf, n) || pos + n == size) {
                            out.write(ByteBuffer.wrap(buf, 0, n), pos);
                        }
                        pos += n;
                    }
                } finally {
                    in.close();
                }
                manifest.add("file\t" + Integer.toOctalString(st.permissions()) + "\t" + size + "\t"
                        + Long.toHexString(crc.getValue()) + "\t" + st.mtimeNs + "\t" + path);
            } else {
                throw new IOException("unexpected entry " + path + " in the new template (mode "
                        + Integer.toOctalString(st.mode) + ")");
            }
        }
    }

    private static final byte[] ZEROS = new byte[CHUNK];

    private static boolean isZero(byte[] buf, int n) {
        return java.util.Arrays.mismatch(buf, 0, n, ZEROS, 0, n) < 0;
    }

    /** Removes what builders killed before their rename left (only called under the entry's lock). */
    private void removeLeftovers(String key) throws IOException {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(templates, key + ".{tmp,damaged}-*")) {
            for (Path p : s) {
                LOG.info("removing the unfinished template {}", p);
                deleteTree(p);
            }
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
