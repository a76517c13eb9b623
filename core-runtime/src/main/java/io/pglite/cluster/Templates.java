package io.pglite.cluster;

import io.pglite.backend.WasmThread;
import io.pglite.distribution.Distribution;
import io.pglite.fs.MemoryLayer;
import java.lang.ref.SoftReference;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Data directories created by initdb, shared read-only by the clusters started from them: kept on disk in
 * the {@link TemplateCache} (initdb runs once per machine for each distribution and set of initdb options) and
 * loaded once per JVM into a frozen memory layer.
 *
 * <p>A cluster started from a template copies nothing up front (in memory, its writes go to a private
 * overlay). The per-JVM cache lives as long as the JVM, like the parsed wasm modules it goes with; it holds
 * immutable data only.
 */
final class Templates {
    private static final Map<String, Holder> CACHE = new ConcurrentHashMap<>();

    private Templates() {}

    /**
     * A frozen data directory.
     *
     * @param dataDirectory the data directory initdb created
     * @param options the initdb options it was created with
     * @param key its key in the template cache
     * @param contentDigest digest of its exact content (see {@link TemplateCache.Loaded})
     */
    record Template(MemoryLayer dataDirectory, InitdbOptions options, String key, String contentDigest) {}

    /**
     * Loads each template once; other threads asking for the same one wait. Held softly: clusters hold the
     * template they run on themselves, and one nobody uses may be dropped when the heap runs short (a suite
     * with many init-script templates would otherwise keep them all, about 40 MB each); it is then read back
     * from the disk cache.
     */
    private static final class Holder {
        private SoftReference<Template> value;

        synchronized Template get(InitdbOptions options, String key, Path cacheDir, String what,
                Supplier<MemoryLayer> create) {
            Template t = value == null ? null : value.get();
            if (t == null) {
                TemplateCache.Loaded loaded = new TemplateCache(cacheDir).load(key, what, create);
                t = new Template(loaded.data(), options, key, loaded.contentDigest());
                value = new SoftReference<>(t);
            }
            return t;
        }
    }

    /**
     * Returns the template for a distribution and initdb options: from this JVM's cache, else from the disk
     * cache in {@code cacheDir}, else created by initdb (and stored there).
     */
    static Template get(Distribution distribution, InitdbOptions options, Path cacheDir) {
        String key = TemplateCache.key(distribution, options);
        return CACHE.computeIfAbsent(key, k -> new Holder()).get(options, key, cacheDir,
                "initdb, once per machine and distribution; about 15 s", () -> create(distribution, options));
    }

    /** Forgets the templates loaded in this JVM (tests: the next use reads the disk cache). */
    static void forgetLoaded() {
        CACHE.clear();
    }

    /** Databases initdb creates: a cluster may serve them without a setup. */
    private static final Set<String> INITDB_DATABASES = Set.of("postgres", "template1");

    /**
     * The template a cluster starts from: initdb's, then, in order, the database the cluster serves created
     * (unless initdb made it) and the cluster's setups applied. Each step is a template of its own, cached on
     * disk under a key made of the previous template's key and content digest and the step's id.
     */
    static Template forCluster(Distribution distribution, PgliteCluster.Builder b) {
        Template t = get(distribution, b.initdbOptions(), b.cacheDirectory());
        String database = b.database();
        if (!INITDB_DATABASES.contains(database)) {
            t = derived(t, "database:" + database, "postgres", b, TemplateSetup.of("create database",
                    c -> c.execute("CREATE DATABASE " + quoteIdentifier(database))));
        }
        for (String extension : b.extensions()) {
            requireAvailable(distribution, extension);
            t = derived(t, "extension:" + extension, database, b, TemplateSetup.of("create extension " + extension,
                    c -> c.execute("CREATE EXTENSION IF NOT EXISTS " + quoteIdentifier(extension) + " CASCADE")));
        }
        for (TemplateSetup setup : b.setups()) {
            t = derived(t, "setup:" + setup.id(), database, b, setup);
        }
        return t;
    }

    /**
     * A template made from another by one step: a cluster is started on {@code base} (no snapshot, serving
     * {@code database}), the step applied, PostgreSQL shut down cleanly (a shutdown checkpoint, so clusters
     * started on the result need no recovery) and its data directory kept.
     */
    private static Template derived(Template base, String step, String database, PgliteCluster.Builder b,
            TemplateSetup setup) {
        String key = TemplateCache.derivedKey(base.key(), base.contentDigest(), step);
        Path cacheDir = b.cacheDirectory();
        return CACHE.computeIfAbsent(key, k -> new Holder()).get(base.options(), key, cacheDir,
                setup.toString() + " on top of template " + base.key(), () -> {
                    PgliteCluster.Builder sb = b.copyForSetup(base, database);
                    PgliteCluster cluster = sb.build();
                    boolean done = false;
                    try {
                        setup.apply(cluster);
                        MemoryLayer data = cluster.shutDownKeepingData();
                        done = true;
                        data.freeze();
                        return data;
                    } catch (ClusterException e) {
                        throw new ClusterException("template setup failed (" + setup + "): " + e.getMessage(), e);
                    } catch (Exception e) {
                        throw new ClusterException("template setup failed (" + setup + "): " + e, e);
                    } finally {
                        if (!done) {
                            cluster.close();
                        }
                    }
                });
    }

    private static final Map<Distribution, java.util.SortedSet<String>> AVAILABLE = new ConcurrentHashMap<>();

    /**
     * The extensions a distribution has: the control files in the file tree every cluster sees (the package
     * with its extension bundles unpacked, see {@link ClusterFiles#packageLayer}).
     */
    static java.util.SortedSet<String> availableExtensions(Distribution distribution) {
        return AVAILABLE.computeIfAbsent(distribution, d -> {
            List<io.pglite.fs.DirEntry> entries = new ArrayList<>();
            int r = ClusterFiles.packageLayer(d).list(EXTENSION_DIR, entries);
            if (r < 0) {
                throw new ClusterException("cannot list " + EXTENSION_DIR + " of the distribution (errno " + -r + ")");
            }
            java.util.SortedSet<String> names = new java.util.TreeSet<>();
            for (io.pglite.fs.DirEntry e : entries) {
                if (e.name().endsWith(".control")) {
                    names.add(e.name().substring(0, e.name().length() - ".control".length()));
                }
            }
            return java.util.Collections.unmodifiableSortedSet(names);
        });
    }

    /** Where PostgreSQL looks for extension control files, in a cluster's tree (no leading slash). */
    private static final String EXTENSION_DIR = "pglite/share/postgresql/extension";

    private static void requireAvailable(Distribution distribution, String extension) {
        java.util.SortedSet<String> available = availableExtensions(distribution);
        if (!available.contains(extension)) {
            throw new ClusterException("extension \"" + extension + "\" is not bundled with PostgreSQL "
                    + distribution.postgresVersion() + " (PGlite " + distribution.npmVersion() + "); available: "
                    + String.join(", ", available));
        }
    }

    /** Quotes an SQL identifier the way PostgreSQL's quote_ident does. */
    static String quoteIdentifier(String name) {
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    /** Runs initdb into a new memory layer (frozen, shareable). */
    static MemoryLayer create(Distribution distribution, InitdbOptions options) {
        MemoryLayer data = new MemoryLayer(0700);
        ClusterFiles files = ClusterFiles.forInitdb(distribution, data);
        // initdb's backend recurses deeply; it needs the same large stack as a cluster's backend.
        try (WasmThread thread = new WasmThread("pglite-initdb", 512L << 20)) {
            thread.run(() -> new Initdb(distribution, files, options).run());
        } finally {
            files.closeKeepingData();
        }
        // Shared read-only from now on: clusters copy files up from it, possibly on several threads.
        data.freeze();
        return data;
    }
}
