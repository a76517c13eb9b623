package io.pglite.cluster;

import io.pglite.distribution.Distribution;
import io.pglite.distribution.ExtensionBundle;
import io.pglite.distribution.PackagedFile;
import io.pglite.fs.DirEntry;
import io.pglite.fs.Errno;
import io.pglite.fs.FileHandle;
import io.pglite.fs.FileStat;
import io.pglite.fs.FileSystemLockedException;
import io.pglite.fs.FileTreeLayer;
import io.pglite.fs.HostDirectoryLayer;
import io.pglite.fs.MemoryLayer;
import io.pglite.fs.OverlayLayer;
import io.pglite.fs.PackageLayer;
import io.pglite.fs.VirtualFileSystem;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file tree a cluster's processes see, as mounts of {@link FileTreeLayer}s:
 *
 * <ul>
 *   <li>{@code /}: the distribution's read-only files ({@code /pglite/share}, {@code /pglite/lib}, ...) under a
 *       private writable layer;
 *   <li>{@code /pglite/data}: the data directory, a private layer over a template (in memory) or a host
 *       directory;
 *   <li>{@code /tmp} and {@code /dev/shm}: private memory (PostgreSQL's dynamic shared memory lives there).
 * </ul>
 *
 * <p>Each process gets its own {@link VirtualFileSystem} over the same layers: its own descriptor table and
 * working directory, a shared tree, as two Unix processes on one machine. All processes of a cluster run on
 * one thread, so the layers are never used concurrently.
 */
final class ClusterFiles implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterFiles.class);

    /** The data directory as PostgreSQL sees it. */
    static final String PGDATA = "/pglite/data";

    private static final Map<String, PackageLayer> PACKAGES = new ConcurrentHashMap<>();

    private final Map<String, FileTreeLayer> mounts = new LinkedHashMap<>();
    private final List<VirtualFileSystem> views = new ArrayList<>();
    private final FileTreeLayer dataLayer;
    private final boolean ownsData;

    private ClusterFiles(Distribution distribution, FileTreeLayer data, boolean ownsData) {
        this(new OverlayLayer(new MemoryLayer(), packageLayer(distribution), false), data, ownsData,
                new MemoryLayer(01777), new MemoryLayer(01777));
    }

    private ClusterFiles(FileTreeLayer root, FileTreeLayer data, boolean ownsData, FileTreeLayer tmp,
            FileTreeLayer shm) {
        this.dataLayer = data;
        this.ownsData = ownsData;
        mounts.put("/", root);
        mounts.put(PGDATA, data);
        mounts.put("/tmp", tmp);
        mounts.put("/dev/shm", shm);
    }

    /**
     * The file trees of a cluster frozen at one moment (for a started-backend snapshot): per mount point an
     * immutable layer that restored clusters overlay, or null where the tree was empty.
     *
     * @param root the root tree (the distribution's package when nothing was written there)
     * @param data the data directory
     * @param tmp {@code /tmp}, or null
     * @param shm {@code /dev/shm}, or null
     * @param changes what start-up changed in the template's data directory (what a snapshot on disk keeps)
     */
    record Frozen(FileTreeLayer root, MemoryLayer data, MemoryLayer tmp, MemoryLayer shm, DataChanges changes) {}

    /**
     * What a cluster changed in its template's data directory: the overlay's upper layer (frozen copy) and its
     * whiteouts. Small next to the template; what a snapshot kept on disk stores instead of the whole tree.
     *
     * @param upper files and directories written
     * @param whiteouts paths of the template deleted
     */
    record DataChanges(MemoryLayer upper, Set<String> whiteouts) {}

    /**
     * Rebuilds frozen trees from their parts (a snapshot read from disk): the data directory is the template
     * with the changes applied, flattened into one layer that shares pages with both.
     */
    static Frozen frozen(Distribution distribution, Templates.Template template, DataChanges changes,
            MemoryLayer tmp, MemoryLayer shm) {
        MemoryLayer upper = MemoryLayer.copyOf(changes.upper());
        MemoryLayer data = MemoryLayer.copyOf(new OverlayLayer(upper, template.dataDirectory(), false,
                changes.whiteouts()));
        data.freeze();
        if (tmp != null) {
            tmp.freeze();
        }
        if (shm != null) {
            shm.freeze();
        }
        return new Frozen(packageLayer(distribution), data, tmp, shm, changes);
    }

    /**
     * Freezes the current trees of an in-memory cluster: the data directory and the private memory mounts
     * are copied into new frozen layers that share file pages with the originals (and with the template).
     * Call it on the cluster's thread, between calls into PostgreSQL.
     *
     * @return the frozen trees
     * @throws IllegalStateException if this is not an in-memory cluster or something was written to the
     *     distribution's tree (not supported: restored clusters share the package read-only)
     */
    Frozen freeze() {
        FileTreeLayer root = mounts.get("/");
        if (!(root instanceof OverlayLayer) || !(dataLayer instanceof OverlayLayer)) {
            throw new IllegalStateException("only in-memory clusters can be frozen");
        }
        OverlayLayer rootOverlay = (OverlayLayer) root;
        if (!((MemoryLayer) rootOverlay.upper()).isEmpty() || rootOverlay.whiteoutCount() != 0) {
            throw new IllegalStateException("PostgreSQL wrote outside its data directory and temporary "
                    + "directories; such a state is not captured");
        }
        OverlayLayer dataOverlay = (OverlayLayer) dataLayer;
        MemoryLayer data = MemoryLayer.copyOf(dataOverlay);
        data.freeze();
        MemoryLayer upper = MemoryLayer.copyOf(dataOverlay.upper());
        upper.freeze();
        return new Frozen(rootOverlay.lower(), data, frozenOrNull(mounts.get("/tmp")),
                frozenOrNull(mounts.get("/dev/shm")), new DataChanges(upper, dataOverlay.whiteouts()));
    }

    private static MemoryLayer frozenOrNull(FileTreeLayer layer) {
        MemoryLayer copy = MemoryLayer.copyOf(layer);
        if (copy.isEmpty()) {
            return null;
        }
        copy.freeze();
        return copy;
    }

    /**
     * A cluster in memory continuing from frozen trees: a private writable layer over each of them.
     *
     * @param frozen trees from {@link #freeze()}
     * @return the cluster's files
     */
    static ClusterFiles restored(Frozen frozen) {
        return new ClusterFiles(new OverlayLayer(new MemoryLayer(), frozen.root(), false),
                new OverlayLayer(new MemoryLayer(0700), frozen.data(), false), true,
                privateLayer(frozen.tmp()), privateLayer(frozen.shm()));
    }

    private static FileTreeLayer privateLayer(MemoryLayer frozen) {
        return frozen == null ? new MemoryLayer(01777) : new OverlayLayer(new MemoryLayer(01777), frozen, false);
    }

    /** A cluster in memory: a private layer over the template's data directory. */
    static ClusterFiles inMemory(Distribution distribution, Templates.Template template) {
        return new ClusterFiles(distribution, new OverlayLayer(new MemoryLayer(0700), template.dataDirectory(),
                false), true);
    }

    /**
     * A cluster on a host directory, created from the template when the directory holds none yet. The
     * directory stays locked until {@link #close()}.
     */
    static ClusterFiles onDirectory(Distribution distribution, java.util.function.Supplier<Templates.Template> templates,
            Path dir) {
        HostDirectoryLayer host;
        try {
            host = HostDirectoryLayer.open(dir);
        } catch (FileSystemLockedException e) {
            throw new ClusterException("the data directory " + dir + " is already in use by another running "
                    + "cluster (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new ClusterException("cannot open the data directory " + dir + ": " + e.getMessage(), e);
        }
        try {
            FileStat st = new FileStat();
            if (host.lstat("PG_VERSION", st) < 0) {
                List<DirEntry> existing = new ArrayList<>();
                host.list("", existing);
                existing.removeIf(e -> e.name().equals(".") || e.name().equals(".."));
                if (!existing.isEmpty()) {
                    throw new ClusterException("the directory " + dir + " is not empty and holds no PostgreSQL "
                            + "cluster (no PG_VERSION); refusing to create one there");
                }
                Templates.Template template = templates.get();
                long t0 = System.nanoTime();
                copyTree(template.dataDirectory(), host, "");
                // PG_VERSION last: a directory without it is recognisably incomplete and is never started.
                copyFile(template.dataDirectory(), host, "PG_VERSION");
                host.sync();
                LOG.info("created a cluster in {} in {} ms", dir, (System.nanoTime() - t0) / 1_000_000);
            }
            return new ClusterFiles(distribution, host, true);
        } catch (RuntimeException e) {
            host.close();
            throw e;
        }
    }

    /** The tree initdb runs in: {@code data} receives the new cluster and stays open afterwards. */
    static ClusterFiles forInitdb(Distribution distribution, MemoryLayer data) {
        return new ClusterFiles(distribution, data, false);
    }

    static PackageLayer packageLayer(Distribution distribution) {
        return PACKAGES.computeIfAbsent(distribution.npmVersion(), v -> {
            PackageLayer.Builder b = PackageLayer.builder();
            ByteBuffer data = distribution.data();
            for (PackagedFile f : distribution.files()) {
                if (f.directory()) {
                    b.directory(f.path(), 0755);
                } else if (f.path().startsWith("/pglite/bin/")) {
                    // Placeholders for the executables; initdb checks that they are executable.
                    b.file(f.path(), data.slice(f.start(), f.size()), 0555);
                } else if (f.path().equals("/home/postgres/.pgpass")) {
                    b.file(f.path(), data.slice(f.start(), f.size()), 0600);
                } else {
                    b.file(f.path(), data, f.start(), f.end());
                }
            }
            // Every extension bundle of the distribution is unpacked into the read-only tree, so
            // CREATE EXTENSION works for all of them without configuration (about 7 MB, once per JVM).
            long t0 = System.nanoTime();
            int bundles = 0;
            for (String name : distribution.extensionNames()) {
                for (ExtensionBundle.BundleFile f : ExtensionBundle.read(distribution, name).files()) {
                    b.file(f.path(), ByteBuffer.wrap(f.content()).asReadOnlyBuffer(),
                            f.path().endsWith(".so") ? 0755 : 0644);
                }
                bundles++;
            }
            LOG.debug("unpacked {} extension bundles in {} ms", bundles, (System.nanoTime() - t0) / 1_000_000);
            b.directory("/pglite/data", 0700);
            b.directory("/tmp", 01777);
            b.directory("/dev/shm", 01777);
            return b.build();
        });
    }

    /** A new process's view: its own descriptor table and working directory over the shared layers. */
    VirtualFileSystem newProcessView() {
        VirtualFileSystem.Builder b = VirtualFileSystem.builder().ownsLayers(false);
        for (Map.Entry<String, FileTreeLayer> m : mounts.entrySet()) {
            b.mount(m.getKey(), m.getValue());
        }
        VirtualFileSystem vfs = b.build();
        views.add(vfs);
        return vfs;
    }

    /** The layer mounted at {@link #PGDATA}. */
    FileTreeLayer dataLayer() {
        return dataLayer;
    }

    /** Closes descriptors and the private layers but leaves the data layer open (initdb's result). */
    void closeKeepingData() {
        closeViews();
        for (Map.Entry<String, FileTreeLayer> m : mounts.entrySet()) {
            if (!m.getKey().equals(PGDATA)) {
                m.getValue().close();
            }
        }
    }

    private void closeViews() {
        for (VirtualFileSystem v : views) {
            v.close();
        }
        views.clear();
    }

    /** Closes descriptors and layers, forcing host files to disk and releasing the directory lock. */
    @Override
    public void close() {
        closeViews();
        for (Map.Entry<String, FileTreeLayer> m : mounts.entrySet()) {
            if (m.getKey().equals(PGDATA) && !ownsData) {
                continue;
            }
            try {
                m.getValue().sync();
            } catch (RuntimeException e) {
                LOG.warn("syncing {} failed: {}", m.getKey(), e.toString());
            }
            m.getValue().close();
        }
        // Nothing of the trees stays reachable through a closed cluster that someone still refers to.
        mounts.clear();
    }

    private static void copyTree(FileTreeLayer from, FileTreeLayer to, String dir) {
        List<DirEntry> entries = new ArrayList<>();
        check(from.list(dir, entries), "list", dir);
        FileStat st = new FileStat();
        for (DirEntry e : entries) {
            if (e.name().equals(".") || e.name().equals("..")) {
                continue;
            }
            String path = dir.isEmpty() ? e.name() : dir + "/" + e.name();
            check(from.lstat(path, st), "stat", path);
            if (st.isDirectory()) {
                check(to.mkdir(path, st.permissions()), "mkdir", path);
                copyTree(from, to, path);
            } else if (st.isRegularFile() && !path.equals("PG_VERSION")) {
                copyFile(from, to, path);
            }
        }
    }

    private static void copyFile(FileTreeLayer from, FileTreeLayer to, String path) {
        FileStat st = new FileStat();
        check(from.lstat(path, st), "stat", path);
        check(to.createFile(path, st.permissions()), "create", path);
        FileHandle in = from.open(path, false);
        FileHandle out = to.open(path, true);
        try {
            byte[] buf = new byte[1 << 20];
            long pos = 0;
            long size = in.size();
            while (pos < size) {
                int n = in.read(pos, buf, 0, (int) Math.min(buf.length, size - pos));
                check(n, "read", path);
                if (n == 0) {
                    break;
                }
                check(out.write(pos, buf, 0, n), "write", path);
                pos += n;
            }
        } finally {
            in.close();
            out.close();
        }
    }

    private static void check(int r, String op, String path) {
        if (r < 0) {
            throw new ClusterException("copying the template failed: " + op + " " + path + ": " + Errno.name(-r));
        }
    }
}
