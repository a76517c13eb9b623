package io.pglite.cluster;

import io.pglite.backend.PostgresBackend;
import io.pglite.distribution.Distribution;
import io.pglite.fs.MemoryLayer;
import io.pglite.fs.VirtualFileSystem;
import io.pglite.wasm.ProcessImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.CodeSource;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Started-backend snapshots kept on disk next to the templates, so that a new JVM restores a backend instead
 * of starting PostgreSQL (which, in a JVM whose code is not compiled yet, takes seconds).
 *
 * <p>One file per snapshot, {@code <cache>/snapshots/<key>-<host>.snapshot}: the process image (non-zero
 * memory pages, globals), the open descriptors, the host callbacks' table slots, and the files start-up
 * changed (the data directory's changes against the template, {@code /tmp}, {@code /dev/shm}), followed by a
 * CRC-32C of all of it. {@code key} digests the template's key, the database and the settings; {@code host}
 * digests this host's code (the classes of this library and of Chicory, by size and modification time),
 * because the image depends on how the host drove start-up. A snapshot of another host version is never
 * used; storing one keeps only the {@value #KEEP} most recent host versions of the same key (several
 * checkouts or versions may share a cache).
 *
 * <p>Files are written to a temporary name and renamed into place atomically, so JVMs capturing the same
 * snapshot at once each write a complete file and readers never see a partial one; a file that fails its
 * checksum is ignored (and replaced by the next capture).
 */
final class SnapshotStore {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotStore.class);

    private static final byte[] MAGIC = "PGLJSNAP".getBytes(StandardCharsets.US_ASCII);
    /** Bump when the file layout or what a snapshot holds changes. */
    private static final int FORMAT = 1;
    private static final String SUFFIX = ".snapshot";
    /** Snapshots kept per key, of different host versions, most recently written first. */
    static final int KEEP = 3;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static volatile String hostFingerprint;

    private final Path dir;

    /**
     * @param cacheDirectory the cache root; snapshots go to its {@code snapshots} folder
     */
    SnapshotStore(Path cacheDirectory) {
        this.dir = cacheDirectory.resolve("snapshots");
    }

    /**
     * The key of a snapshot: what the started backend depends on besides the host code. The template enters
     * with its content digest: the snapshot's files are a difference against that exact template, and a
     * template rebuilt with the same inputs has other contents (time stamps, system identifier).
     */
    static String key(Templates.Template template, String database, List<String> settings) {
        return digest(String.join("\n", "snapshot", template.key(), template.contentDigest(), database,
                String.join("\u0000", settings)), 12);
    }

    private Path file(String key) {
        return dir.resolve(key + "-" + hostFingerprint() + SUFFIX);
    }

    /**
     * Reads a snapshot.
     *
     * @return the snapshot, or null if there is none for this key and host, or it is damaged
     */
    Snapshots.Snapshot read(Distribution distribution, Templates.Template template, String key) {
        Path f = file(key);
        long t0 = System.nanoTime();
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(f);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            LOG.warn("cannot read the snapshot {}: {}", f, e.toString());
            return null;
        }
        try {
            Snapshots.Snapshot s = decode(distribution, template, bytes);
            LOG.info("loaded the started-backend snapshot {} in {} ms", f, (System.nanoTime() - t0) / 1_000_000);
            return s;
        } catch (IOException | RuntimeException e) {
            LOG.warn("ignoring the damaged snapshot {}: {}", f, e.toString());
            return null;
        }
    }

    /** Stores a snapshot (best effort: failures are logged, not thrown). */
    void write(String key, Snapshots.Snapshot snapshot) {
        Path f = file(key);
        long t0 = System.nanoTime();
        Path tmp = dir.resolve(f.getFileName() + ".tmp-" + Long.toHexString(RANDOM.nextLong()));
        try {
            Files.createDirectories(dir);
            Files.write(tmp, encode(snapshot));
            Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            LOG.info("stored the started-backend snapshot {} ({} MB) in {} ms", f, Files.size(f) >> 20,
                    (System.nanoTime() - t0) / 1_000_000);
            removeOldHosts(key);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot store the snapshot {}: {}", f, e.toString());
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // nothing more to do
            }
        }
    }

    /** Bounds the cache: snapshots of host versions that stopped writing are removed, oldest first. */
    private void removeOldHosts(String key) throws IOException {
        List<Path> all = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, key + "-*" + SUFFIX)) {
            s.forEach(all::add);
        }
        if (all.size() <= KEEP) {
            return;
        }
        all.sort(java.util.Comparator.comparing((Path p) -> {
            try {
                return Files.getLastModifiedTime(p).toMillis();
            } catch (IOException e) {
                return 0L;
            }
        }).reversed());
        for (Path p : all.subList(KEEP, all.size())) {
            LOG.info("removing the snapshot {} of an older pglite-java build", p);
            Files.deleteIfExists(p);
        }
    }

    // ---- format ------------------------------------------------------------------------------------------

    private static byte[] encode(Snapshots.Snapshot s) throws IOException {
        ByteArrayOutputStream payload = new ByteArrayOutputStream(16 << 20);
        DataOutputStream out = new DataOutputStream(payload);
        PostgresBackend.Image image = s.backend();
        image.process().writeTo(out);
        image.files().writeTo(out);
        int[] slots = image.callbackSlots();
        out.writeInt(slots.length);
        for (int slot : slots) {
            out.writeInt(slot);
        }
        ClusterFiles.Frozen files = s.files();
        files.changes().upper().writeTo(out);
        out.writeInt(files.changes().whiteouts().size());
        for (String w : files.changes().whiteouts()) {
            out.writeUTF(w);
        }
        writeOptionalTree(out, files.tmp());
        writeOptionalTree(out, files.shm());
        out.flush();
        byte[] body = payload.toByteArray();
        CRC32C crc = new CRC32C();
        crc.update(body);
        ByteArrayOutputStream file = new ByteArrayOutputStream(body.length + 32);
        DataOutputStream f = new DataOutputStream(file);
        f.write(MAGIC);
        f.writeInt(FORMAT);
        f.writeLong(body.length);
        f.write(body);
        f.writeLong(crc.getValue());
        f.flush();
        return file.toByteArray();
    }

    private static Snapshots.Snapshot decode(Distribution distribution, Templates.Template template, byte[] bytes)
            throws IOException {
        int header = MAGIC.length + 4 + 8;
        if (bytes.length < header + 8 || !Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new IOException("not a snapshot file");
        }
        DataInputStream h = new DataInputStream(new ByteArrayInputStream(bytes, MAGIC.length, 12));
        int format = h.readInt();
        long length = h.readLong();
        if (format != FORMAT || length != bytes.length - header - 8) {
            throw new IOException("format " + format + ", " + length + " bytes of " + bytes.length);
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, header, (int) length);
        long expected = new DataInputStream(new ByteArrayInputStream(bytes, header + (int) length, 8)).readLong();
        if (crc.getValue() != expected) {
            throw new IOException("checksum mismatch");
        }
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, header, (int) length));
        ProcessImage process = ProcessImage.readFrom(in);
        VirtualFileSystem.Snapshot files = VirtualFileSystem.Snapshot.readFrom(in);
        int n = in.readInt();
        if (n < 0 || n > 64) {
            throw new IOException("malformed callback slots");
        }
        int[] slots = new int[n];
        for (int i = 0; i < n; i++) {
            slots[i] = in.readInt();
        }
        MemoryLayer upper = MemoryLayer.readFrom(in);
        int w = in.readInt();
        if (w < 0 || w > 1_000_000) {
            throw new IOException("malformed whiteouts");
        }
        Set<String> whiteouts = new LinkedHashSet<>();
        for (int i = 0; i < w; i++) {
            whiteouts.add(in.readUTF());
        }
        MemoryLayer tmp = readOptionalTree(in);
        MemoryLayer shm = readOptionalTree(in);
        if (in.available() != 0) {
            throw new IOException(in.available() + " bytes left over");
        }
        upper.freeze();
        ClusterFiles.Frozen frozen = ClusterFiles.frozen(distribution, template,
                new ClusterFiles.DataChanges(upper, whiteouts), tmp, shm);
        return new Snapshots.Snapshot(frozen, new PostgresBackend.Image(process, files, slots));
    }

    private static void writeOptionalTree(DataOutputStream out, MemoryLayer layer) throws IOException {
        out.writeBoolean(layer != null);
        if (layer != null) {
            layer.writeTo(out);
        }
    }

    private static MemoryLayer readOptionalTree(DataInputStream in) throws IOException {
        return in.readBoolean() ? MemoryLayer.readFrom(in) : null;
    }

    // ---- host fingerprint --------------------------------------------------------------------------------

    /**
     * A digest of the code that drives PostgreSQL's start-up: this library's classes and Chicory's runtime,
     * identified by location, size and modification time (a jar as one file, a class folder file by file).
     */
    static String hostFingerprint() {
        String f = hostFingerprint;
        if (f == null) {
            StringBuilder sb = new StringBuilder("host\n");
            describeCodeOf(SnapshotStore.class, "io/pglite", sb);
            describeCodeOf(com.dylibso.chicory.runtime.Instance.class, "com/dylibso/chicory", sb);
            f = digest(sb.toString(), 8);
            hostFingerprint = f;
        }
        return f;
    }

    private static void describeCodeOf(Class<?> c, String packageFolder, StringBuilder sb) {
        CodeSource cs = c.getProtectionDomain().getCodeSource();
        if (cs == null || cs.getLocation() == null) {
            sb.append("unknown ").append(c.getName()).append(' ').append(RANDOM.nextLong()).append('\n');
            return;
        }
        try {
            Path p = Path.of(cs.getLocation().toURI());
            if (Files.isRegularFile(p)) {
                describe(p, p, sb);
            } else {
                Path root = p.resolve(packageFolder);
                List<Path> files = new ArrayList<>();
                try (Stream<Path> walk = Files.walk(root)) {
                    walk.filter(Files::isRegularFile).forEach(files::add);
                }
                files.sort(null);
                for (Path file : files) {
                    describe(p, file, sb);
                }
            }
        } catch (IOException | URISyntaxException | RuntimeException e) {
            // Unknown code: a fingerprint that matches nothing stored, so snapshots are captured afresh.
            sb.append("unreadable ").append(cs.getLocation()).append(' ').append(RANDOM.nextLong()).append('\n');
        }
    }

    private static void describe(Path base, Path file, StringBuilder sb) throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        sb.append(base.relativize(file).toString().isEmpty() ? file.toString() : base.relativize(file))
                .append(' ').append(a.size()).append(' ').append(a.lastModifiedTime().toMillis()).append('\n');
    }

    private static String digest(String s, int bytes) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
