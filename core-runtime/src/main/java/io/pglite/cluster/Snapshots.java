package io.pglite.cluster;

import io.pglite.backend.PostgresBackend;
import io.pglite.backend.WasmThread;
import io.pglite.distribution.Distribution;
import io.pglite.protocol.BackendMessages;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.ref.SoftReference;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Started-backend snapshots, one per JVM for each template, database and set of settings: a backend is
 * started once on the template, and its state (wasm memory, globals, open files, the files start-up changed)
 * is captured; new in-memory clusters continue from it instead of running PostgreSQL's start-up.
 *
 * <p>What a snapshot holds is immutable and shared by every cluster restored from it: the memory pages and
 * file pages are copied by a cluster only when it writes them. A capture that fails (e.g. a side module was
 * loaded during start-up) is remembered as "no snapshot", and clusters start PostgreSQL normally.
 */
final class Snapshots {
    private static final Logger LOG = LoggerFactory.getLogger(Snapshots.class);
    private static final Map<Key, Holder> CACHE = new ConcurrentHashMap<>();

    private Snapshots() {}

    /**
     * A captured started backend.
     *
     * @param files the cluster's file trees right after start-up
     * @param backend the backend's process state
     */
    record Snapshot(ClusterFiles.Frozen files, PostgresBackend.Image backend) {
        /** The wasm memory size of the snapshot, which a restored cluster's memory limit must allow. */
        long memoryBytes() {
            return (long) backend.process().memory().pageCount() * 65536;
        }
    }

    /** By the template's key and exact content, not the template object, which the JVM may drop and reload. */
    private record Key(String templateKey, String templateDigest, String database, List<String> settings) {}

    /**
     * Computes each snapshot once; other threads asking for the same one wait for it. The snapshot is held
     * softly: one that no cluster uses may be dropped when the heap runs short (a suite with many templates,
     * each with its snapshot, would otherwise keep all of them), and is then read back from the disk store.
     */
    private static final class Holder {
        private SoftReference<Optional<Snapshot>> value;

        synchronized Optional<Snapshot> get(Distribution distribution, Templates.Template template, Key key,
                Path cacheDir) {
            Optional<Snapshot> v = value == null ? null : value.get();
            if (v == null) {
                SnapshotStore store = new SnapshotStore(cacheDir);
                String storeKey = SnapshotStore.key(template, key.database(), key.settings());
                Snapshot stored = store.read(distribution, template, storeKey);
                if (stored != null) {
                    v = Optional.of(stored);
                } else {
                    v = capture(distribution, template, key);
                    v.ifPresent(s -> store.write(storeKey, s));
                }
                value = new SoftReference<>(v);
            }
            return v;
        }
    }

    /**
     * Returns the snapshot of a backend started on {@code template} for {@code database} with
     * {@code settings}: from this JVM's cache, else from the snapshots stored in {@code cacheDir}, else
     * captured by starting PostgreSQL once (and stored there).
     *
     * @return the snapshot, or empty if this state cannot be captured (clusters then start normally)
     */
    static Optional<Snapshot> get(Distribution distribution, Templates.Template template, String database,
            List<String> settings, Path cacheDir) {
        Key key = new Key(template.key(), template.contentDigest(), database, List.copyOf(settings));
        return CACHE.computeIfAbsent(key, k -> new Holder()).get(distribution, template, key, cacheDir);
    }

    /**
     * Runs one client session through the backend before it is captured, the way the server runs them: a
     * startup packet, {@code SELECT 1} over the extended protocol, what the server and pgjdbc run for every new
     * connection, then the server's reset between sessions ({@code DISCARD ALL}). Restored clusters then start with PostgreSQL's catalog caches filled for what
     * every connection does, as a backend that already served one client has; every session still starts
     * fresh. The startup packet carries only user and database: settings sent by a client there become the
     * values {@code RESET} returns to, and must not leak into the clusters' first sessions.
     */
    static void warmUp(PostgresBackend backend, String user, String database) {
        BackendSql.startSession(backend, user, database);
        List<byte[]> requests = new ArrayList<>();
        requests.add(BackendSql.extendedQuery("SELECT 1", true));
        // What the server and pgjdbc do on every new connection (settings switched in, SET application_name,
        // the setting read back, the session's settings listed): their catalog lookups are then cached in
        // every restored cluster instead of being repeated by each one's first connection.
        for (String sql : new String[] {
            "SELECT pg_catalog.set_config($s$datestyle$s$, NULL, false),"
                    + " pg_catalog.set_config($s$datestyle$s$, $s$ISO$s$, false),"
                    + " pg_catalog.set_config($s$timezone$s$, $s$UTC$s$, false)",
            "SET application_name = 'pglite-java'",
            "SELECT pg_catalog.current_setting($s$application_name$s$)",
            "SELECT name, setting FROM pg_catalog.pg_settings WHERE source = 'session'"}) {
            requests.add(BackendSql.extendedQuery(sql, false));
        }
        // The tables a template's setups created: planning a query on each loads its relation, its indexes
        // and their catalog entries, which every test's first statements would load again. (Plain queries
        // from here: a DO block would load PL/pgSQL, a side module, and a backend that loaded one cannot be
        // captured.)
        for (String table : BackendSql.firstColumn(backend, "SELECT c.oid::pg_catalog.regclass::text"
                + " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema'"
                + " AND n.nspname NOT LIKE 'pg\\_%' ORDER BY c.oid LIMIT 500")) {
            requests.add(BackendMessages.query("SELECT * FROM " + table + " LIMIT 0"));
        }
        requests.add(BackendMessages.query("DISCARD ALL"));
        try {
            for (byte[] r : requests) {
                // Answers are dropped: a warm-up statement that fails only leaves its caches cold.
                backend.exchange(r, 0, r.length, OutputStream.nullOutputStream());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Optional<Snapshot> capture(Distribution distribution, Templates.Template template, Key key) {
        long t0 = System.nanoTime();
        ClusterFiles files = ClusterFiles.inMemory(distribution, template);
        String username = template.options().username();
        try (WasmThread thread = new WasmThread("pglite-snapshot", PgliteCluster.DEFAULT_STACK_BYTES)) {
            PostgresBackend backend = PostgresBackend.start(() -> ClusterProcesses.postgres(distribution,
                    files.newProcessView(), files, username, key.database(), ClusterProcesses.DEFAULT_MEMORY_LIMIT),
                    thread, ClusterFiles.PGDATA, key.database(), key.settings(),
                    distribution.majorVersion());
            warmUp(backend, username, key.database());
            PostgresBackend.Image image = backend.capture();
            ClusterFiles.Frozen frozen = thread.call(files::freeze);
            // The capturing backend is dropped without a shutdown: its files are private and go with it.
            Snapshot s = new Snapshot(frozen, image);
            LOG.info("captured a started PostgreSQL backend in {} ms ({} MB of wasm memory, {} MB of it not zero,"
                    + " {} open descriptors); new in-memory clusters continue from it",
                    (System.nanoTime() - t0) / 1_000_000, s.memoryBytes() >> 20,
                    ((long) image.process().memory().nonZeroPageCount() * 65536) >> 20,
                    image.files().openDescriptors());
            return Optional.of(s);
        } catch (RuntimeException e) {
            LOG.warn("could not capture a started backend; in-memory clusters start PostgreSQL instead: {}",
                    e.toString());
            LOG.debug("capture failure", e);
            return Optional.empty();
        } finally {
            files.close();
        }
    }
}
