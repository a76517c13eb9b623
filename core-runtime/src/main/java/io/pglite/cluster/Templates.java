package io.pglite.cluster;

import io.pglite.backend.WasmThread;
import io.pglite.distribution.Distribution;
import io.pglite.fs.MemoryLayer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Data directories created by initdb, once per JVM for each distribution and set of initdb options, and
 * shared read-only by the clusters started from them.
 *
 * <p>initdb takes seconds; a cluster started from a template copies nothing up front (in memory, its writes
 * go to a private overlay). The cache lives as long as the JVM, like the parsed wasm modules it goes with;
 * it holds immutable data only.
 */
final class Templates {
    private static final Map<String, Template> CACHE = new ConcurrentHashMap<>();

    private Templates() {}

    /** A frozen data directory. */
    record Template(MemoryLayer dataDirectory, InitdbOptions options) {}

    static Template get(Distribution distribution, InitdbOptions options) {
        String key = distribution.npmVersion() + "|" + options;
        return CACHE.computeIfAbsent(key, k -> create(distribution, options));
    }

    private static Template create(Distribution distribution, InitdbOptions options) {
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
        return new Template(data, options);
    }
}
