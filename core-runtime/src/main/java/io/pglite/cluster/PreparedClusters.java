package io.pglite.cluster;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The next cluster, prepared in the background ({@link PgliteCluster.Builder#prepareNext(boolean)}): a
 * {@code build()} takes the prepared one (waiting for it if it is still being prepared) and starts preparing
 * the one after. At most one cluster is kept prepared in the JVM, for the settings of the latest request; one
 * prepared for other settings is discarded.
 */
final class PreparedClusters {
    private static final Logger LOG = LoggerFactory.getLogger(PreparedClusters.class);

    private static final ExecutorService BACKGROUND = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "pglite-prepare");
        t.setDaemon(true);
        return t;
    });
    private static final Map<Key, CompletableFuture<PgliteCluster.Started>> NEXT = new ConcurrentHashMap<>();

    private PreparedClusters() {}

    /** What makes two clusters interchangeable. */
    record Key(InitdbOptions options, String database, List<String> settings, List<String> setups, long memoryLimit,
            long stackBytes, Path cacheDirectory, String password, io.pglite.server.AuthMethod authMethod,
            int maxConnections, io.pglite.distribution.Distribution distribution) {}

    /**
     * Returns a started cluster: the prepared one for {@code key} if there is one, else a new one; then starts
     * preparing the next.
     *
     * @param key the cluster's settings
     * @param create creates a cluster with those settings
     * @return the cluster, owned by the caller
     */
    static PgliteCluster.Started take(Key key, Supplier<PgliteCluster.Started> create) {
        CompletableFuture<PgliteCluster.Started> prepared = NEXT.remove(key);
        PgliteCluster.Started s = null;
        if (prepared != null) {
            try {
                s = prepared.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                prepared.thenAccept(PgliteCluster.Started::discard);
            } catch (ExecutionException e) {
                LOG.warn("preparing a cluster in the background failed: {}", e.getCause().toString());
            }
        }
        if (s == null) {
            s = create.get();
        }
        if (s.restored()) {
            prepareNext(key, create);
        }
        return s;
    }

    private static void prepareNext(Key key, Supplier<PgliteCluster.Started> create) {
        // Only the latest settings are worth a prepared cluster: drop those kept for others.
        for (Key other : List.copyOf(NEXT.keySet())) {
            if (!other.equals(key)) {
                CompletableFuture<PgliteCluster.Started> stale = NEXT.remove(other);
                if (stale != null) {
                    stale.thenAccept(PgliteCluster.Started::discard);
                }
            }
        }
        NEXT.computeIfAbsent(key, k -> CompletableFuture.supplyAsync(create, BACKGROUND));
    }
}
