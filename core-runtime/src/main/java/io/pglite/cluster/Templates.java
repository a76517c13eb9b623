package io.pglite.cluster;

import io.pglite.backend.WasmThread;
import io.pglite.distribution.Distribution;
import io.pglite.fs.MemoryLayer;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

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

    /** Loads each template once; other threads asking for the same one wait. */
    private static final class Holder {
        private Template value;

        synchronized Template get(Distribution distribution, InitdbOptions options, String key, Path cacheDir) {
            if (value == null) {
                TemplateCache.Loaded loaded = new TemplateCache(cacheDir).load(key, () -> create(distribution, options));
                value = new Template(loaded.data(), options, key, loaded.contentDigest());
            }
            return value;
        }
    }

    /**
     * Returns the template for a distribution and initdb options: from this JVM's cache, else from the disk
     * cache in {@code cacheDir}, else created by initdb (and stored there).
     */
    static Template get(Distribution distribution, InitdbOptions options, Path cacheDir) {
        String key = TemplateCache.key(distribution, options);
        return CACHE.computeIfAbsent(key, k -> new Holder()).get(distribution, options, key, cacheDir);
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
