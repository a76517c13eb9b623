package io.pglite.server;

import io.pglite.backend.PostgresBackend;
import io.pglite.protocol.BackendMessages;
import io.pglite.protocol.StartupPackets;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one PostgreSQL session (the single-user backend) that all connections of a server share, and the
 * scheduler that lends it to them.
 *
 * <p>A connection {@linkplain #acquire acquires} the session for a unit of work and {@linkplain #release
 * releases} it when the backend is idle again: its last ReadyForQuery said 'I' and no extended-protocol batch
 * or COPY is open. Waiting connections are served strictly in arrival order (the session is handed over
 * directly to the longest waiter). Everything the holder sends goes through {@link #run}; the state the
 * session carries between units (settings, reported parameters, the owner of the unnamed statement, the
 * generation of prepared statements, notification listeners) lives here and is only touched by the holder.
 */
final class SharedSession implements BackendOutput.Listener {
    private static final Logger LOG = LoggerFactory.getLogger(SharedSession.class);

    /** Outcome of waiting for the session. */
    enum Wait {
        ACQUIRED, TIMED_OUT, CANCELLED, CLOSING
    }

    final PostgresBackend backend;
    final BackendOutput output = new BackendOutput(this);

    // The queue: the owner and the waiters, guarded by queueLock.
    private final ReentrantLock queueLock = new ReentrantLock();
    private ClientConnection owner;
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    private volatile boolean closing;

    // Cancel: which connection's request the backend is running now.
    private final Object cancelLock = new Object();
    private ClientConnection executing;

    // Session state, touched only by the owner.
    /** Settings at session level (source 'session'), lower-case name to value, as the backend has them. */
    final Map<String, String> backendSettings = new HashMap<>();
    /** The current value of every reported (GUC_REPORT) parameter. */
    final Map<String, String> reported = new LinkedHashMap<>();
    /** The connection whose unnamed prepared statement the backend holds, if any. */
    ClientConnection unnamedOwner;
    /** Bumped when prepared statements are wiped for everyone (DISCARD ALL, DEALLOCATE ALL). */
    int statementEpoch;
    /** Channel name to the connections listening on it. */
    final Map<String, Set<ClientConnection>> listeners = new HashMap<>();

    /** What a connection with given startup settings is told at startup (so it need not wait for its turn). */
    record Greeting(Map<String, String> settings, Map<String, String> reported) {}

    /**
     * Greetings by startup settings, user and database. Sessions of backends restored from the same started
     * backend share them: a new cluster's first connection is then greeted without a round of the backend
     * (reading {@code pg_settings} costs milliseconds), which matters when every test has its own cluster.
     */
    private final Map<List<Object>, Greeting> greetings;

    /** Greetings of sessions on restored backends, by the image they were restored from (weakly held). */
    private static final Map<PostgresBackend.Image, Map<List<Object>, Greeting>> SHARED_GREETINGS =
            java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    private static Map<List<Object>, Greeting> greetingsFor(PostgresBackend backend) {
        PostgresBackend.Image origin = backend.origin();
        if (origin == null) {
            return new java.util.concurrent.ConcurrentHashMap<>();
        }
        return SHARED_GREETINGS.computeIfAbsent(origin, k -> new java.util.concurrent.ConcurrentHashMap<>());
    }

    Greeting greeting(String user, String database, Map<String, String> requested) {
        return greetings.get(List.of(user, database, requested));
    }

    void rememberGreeting(String user, String database, Map<String, String> requested, Greeting g) {
        if (greetings.size() < 64) {
            greetings.put(List.of(user, database, Map.copyOf(requested)), g);
        }
    }

    private static final class Waiter {
        final ClientConnection conn;
        final Condition condition;
        boolean granted;

        Waiter(ClientConnection conn, Condition condition) {
            this.conn = conn;
            this.condition = condition;
        }
    }

    private String user;
    private String database;
    private int knownRestarts;
    private boolean restarting;

    /**
     * After a FATAL error or a host failure PostgreSQL's process is gone and the backend restarts it on the
     * same data directory with the next request: a new session. The server's picture of the session starts
     * over: settings and the unnamed statement are gone, every connection's prepared statements are re-created
     * when next used, and listened channels are listened to again. Temporary tables are lost, as in
     * PostgreSQL. The caller holds the session.
     */
    void checkRestart() throws IOException {
        if (restarting || user == null || (!backend.failed() && backend.restarts() == knownRestarts)) {
            return;
        }
        restarting = true;
        try {
            LOG.warn("the shared PostgreSQL session was lost (FATAL error or host failure); starting a new one");
            backendSettings.clear();
            reported.clear();
            unnamedOwner = null;
            statementEpoch++;
            output.reset();
            start(user, database);
            StringBuilder sql = new StringBuilder();
            for (Map.Entry<String, Set<ClientConnection>> e : listeners.entrySet()) {
                if (!e.getValue().isEmpty()) {
                    sql.append("LISTEN ").append(ClientConnection.identifier(e.getKey())).append(';');
                }
            }
            if (sql.length() > 0) {
                internal(sql.toString());
            }
        } finally {
            restarting = false;
        }
    }

    SharedSession(PostgresBackend backend) {
        this.backend = backend;
        this.greetings = greetingsFor(backend);
    }

    /**
     * Runs the backend's startup for the session (user and database only) and records the parameters it
     * reports.
     */
    void start(String user, String database) throws IOException {
        this.user = user;
        this.database = database;
        Map<String, String> params = new LinkedHashMap<>();
        params.put("user", user);
        params.put("database", database);
        byte[] startup = StartupPackets.startup(params);
        output.begin(null, null, false, false, null);
        backend.startup(startup, output);
        // One round trip settles the session (the backend reports its parameters again at the first
        // ReadyForQuery); afterwards no startup state is pending.
        internal("SELECT 1");
        // Counted after the startup: a failed backend restarts inside it.
        knownRestarts = backend.restarts();
        LOG.debug("shared session started; reported parameters {}", reported);
    }

    // ---- scheduling ---------------------------------------------------------------------------------

    /**
     * Waits (in arrival order) until the connection holds the session.
     *
     * @param conn the connection
     * @param timeoutNanos the most to wait, 0 for no limit
     * @return ACQUIRED, or why not
     */
    Wait acquire(ClientConnection conn, long timeoutNanos) throws InterruptedException {
        queueLock.lockInterruptibly();
        try {
            if (closing && !conn.cleaningUp()) {
                return Wait.CLOSING;
            }
            if (owner == null && waiters.isEmpty()) {
                owner = conn;
                return Wait.ACQUIRED;
            }
            Waiter w = new Waiter(conn, queueLock.newCondition());
            waiters.add(w);
            long deadline = timeoutNanos > 0 ? System.nanoTime() + timeoutNanos : 0;
            try {
                while (!w.granted) {
                    if (conn.cancelRequested()) {
                        waiters.remove(w);
                        return Wait.CANCELLED;
                    }
                    if (closing && !conn.cleaningUp()) {
                        waiters.remove(w);
                        return Wait.CLOSING;
                    }
                    long wait = TimeUnit.SECONDS.toNanos(1);
                    if (deadline != 0) {
                        long left = deadline - System.nanoTime();
                        if (left <= 0) {
                            waiters.remove(w);
                            return Wait.TIMED_OUT;
                        }
                        wait = Math.min(wait, left);
                    }
                    w.condition.awaitNanos(wait);
                }
                return Wait.ACQUIRED;
            } catch (InterruptedException e) {
                if (w.granted) {
                    handOver();
                } else {
                    waiters.remove(w);
                }
                throw e;
            }
        } finally {
            queueLock.unlock();
        }
    }

    /** Releases the session; the longest waiter gets it. */
    void release(ClientConnection conn) {
        queueLock.lock();
        try {
            if (owner != conn) {
                throw new IllegalStateException("connection " + conn.id() + " does not hold the session");
            }
            handOver();
        } finally {
            queueLock.unlock();
        }
    }

    private void handOver() {
        Waiter next = waiters.poll();
        if (next == null) {
            owner = null;
        } else {
            owner = next.conn;
            next.granted = true;
            next.condition.signal();
        }
    }

    /** Wakes a waiting connection so that it notices a cancel request or shutdown. */
    void wake(ClientConnection conn) {
        queueLock.lock();
        try {
            for (Waiter w : waiters) {
                if (w.conn == conn || conn == null) {
                    w.condition.signal();
                }
            }
        } finally {
            queueLock.unlock();
        }
    }

    /** Makes waiters (other than connections cleaning up) give up. */
    void closing() {
        closing = true;
        wake(null);
    }

    int waiting() {
        queueLock.lock();
        try {
            return waiters.size();
        } finally {
            queueLock.unlock();
        }
    }

    // ---- cancel -------------------------------------------------------------------------------------

    /** A CancelRequest for {@code conn}: interrupts its running request only. */
    void cancel(ClientConnection conn) {
        synchronized (cancelLock) {
            if (executing == conn) {
                backend.requestCancel();
            }
        }
    }

    /** The pid of the connection whose request the backend runs now, 0 for none. */
    int executingPid() {
        synchronized (cancelLock) {
            return executing == null ? 0 : executing.pid();
        }
    }

    // ---- running --------------------------------------------------------------------------------------

    /**
     * Runs frontend messages of the holder through the backend.
     *
     * @param conn the holder
     * @param buf the messages
     * @param off start
     * @param len length
     * @param sink the client's output (null to discard)
     * @param injected the messages are a Parse the server re-creates for the client (its ParseComplete is
     *     dropped)
     */
    void run(ClientConnection conn, byte[] buf, int off, int len, OutputStream sink, boolean injected)
            throws IOException {
        checkRestart();
        output.begin(sink, conn, injected, false, () -> backend.requestCancel());
        synchronized (cancelLock) {
            executing = conn;
            if (conn.takeCancelRequest()) {
                backend.requestCancel();
            }
        }
        backend.resetStatementTimeoutFallback();
        try {
            output.timeoutFallback(false);
            backend.exchange(buf, off, len, new FallbackAware(output), conn.copyInput());
        } finally {
            synchronized (cancelLock) {
                executing = null;
                backend.clearCancelRequest();
            }
        }
    }

    /** Lets the output know, when an ErrorResponse passes, whether a statement timeout fell back to a cancel. */
    private final class FallbackAware extends OutputStream {
        private final BackendOutput out;

        FallbackAware(BackendOutput out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.timeoutFallback(backend.statementTimeoutFallbackFired());
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.timeoutFallback(backend.statementTimeoutFallbackFired());
            out.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }
    }

    /** The result of one of the server's own queries. */
    record Internal(List<List<String>> rows, Map<Character, String> error) {
        boolean failed() {
            return error != null;
        }

        String message() {
            return error == null ? null : error.get('M');
        }

        String sqlState() {
            return error == null ? null : error.get('C');
        }
    }

    /** Runs a query of the server's own (output discarded, rows collected); the caller holds the session. */
    Internal internal(String sql) throws IOException {
        unnamedOwner = null; // a simple query drops the unnamed statement
        return internalMessages(BackendMessages.query(sql));
    }

    /** Runs frontend messages of the server's own; the caller holds the session. */
    Internal internalMessages(byte[] messages) throws IOException {
        checkRestart();
        output.begin(null, null, false, true, null);
        backend.exchange(messages, 0, messages.length, output);
        return new Internal(output.rows(), output.error());
    }

    // ---- listener -------------------------------------------------------------------------------------

    @Override
    public void parameterStatus(String name, String value) {
        reported.put(name, value);
    }

    @Override
    public boolean notification(byte[] frame, String channel) {
        Set<ClientConnection> targets = listeners.get(channel);
        if (targets == null || targets.isEmpty()) {
            return false;
        }
        for (ClientConnection c : new LinkedHashSet<>(targets)) {
            c.deliverNotification(frame);
        }
        return true;
    }
}
