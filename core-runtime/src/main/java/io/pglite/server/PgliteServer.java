package io.pglite.server;

import io.pglite.backend.PostgresBackend;
import io.pglite.protocol.BufferBudget;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL wire-protocol server in front of one backend: many concurrent client connections on
 * 127.0.0.1 (and optionally a Unix-domain socket), interleaved safely on the backend's single session.
 *
 * <p>A connection holds the session from the first message of a unit of work until the backend is idle
 * again (ReadyForQuery 'I', no open extended-protocol batch, no COPY); others wait their turn in arrival order.
 * Each connection has its own prepared-statement names, settings ({@code SET}, startup parameters),
 * ParameterStatus values, cancel key and {@code LISTEN} channels; what PostgreSQL keeps per session and cannot
 * be separated (temporary tables, advisory locks, sequences' {@code currval}) is shared. A connection that
 * disconnects is rolled back and its statements are closed. See docs/ARCHITECTURE.md, "Server".
 *
 * <p>Authentication is done by the server: trust, or SCRAM-SHA-256 / MD5 against a configured password. SSL
 * and GSSAPI encryption requests are declined with 'N', as a server without TLS does.
 */
public final class PgliteServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PgliteServer.class);

    /** Connection process ids (BackendKeyData) are this plus the connection number. */
    static final int PID_BASE = 10_000;
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Stack of a connection thread that cannot have the backend's (it does not run wasm code itself). */
    private static final long SMALL_CONNECTION_STACK = 512 * 1024;

    private final ServerOptions options;
    private final SharedSession session;
    private final Authenticator authenticator;
    private final BufferBudget budget;
    private final ServerSocketChannel tcp;
    private final ServerSocketChannel unix;
    private final Path unixSocketPath;
    private final List<Thread> acceptors = new ArrayList<>();
    private final Map<Integer, ClientConnection> connections = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final AtomicInteger sockets = new AtomicInteger();
    private final ScheduledExecutorService watchdog;
    private final Object admission = new Object();
    private int admitted;
    private volatile boolean closing;
    private volatile boolean closed;

    private PgliteServer(PostgresBackend backend, ServerOptions options, ServerSocketChannel tcp,
            ServerSocketChannel unix, Path unixSocketPath) {
        this.options = options;
        this.session = new SharedSession(backend);
        this.authenticator = new Authenticator(options.authMethod(), options.password());
        this.budget = new BufferBudget(options.inputBufferBudget());
        this.tcp = tcp;
        this.unix = unix;
        this.unixSocketPath = unixSocketPath;
        this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pglite-server-watchdog");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts a server with default options (trust authentication, user and database {@code postgres}).
     *
     * @param backend the backend to serve
     * @param host the address to bind (a loopback address)
     * @param port the port, 0 for a free one
     * @return the running server
     * @throws ServerStartException when the address cannot be bound (for example the port is in use)
     */
    public static PgliteServer start(PostgresBackend backend, String host, int port) {
        return start(backend, ServerOptions.builder().host(host).port(port).build());
    }

    /**
     * Starts a server.
     *
     * @param backend the backend to serve; the server runs its startup and owns it from then on
     * @param options the configuration
     * @return the running server
     * @throws ServerStartException when an address cannot be bound (for example the port is in use)
     */
    public static PgliteServer start(PostgresBackend backend, ServerOptions options) {
        String host = options.host();
        ServerSocketChannel tcp;
        try {
            tcp = ServerSocketChannel.open();
            // As PostgreSQL does outside Windows: a server restarted on the port of one that has just closed its
            // clients' connections binds even while those linger (FIN-WAIT-2, TIME_WAIT). A port someone listens
            // on is still refused. On Windows the option would let two servers share a port, so it stays off.
            tcp.setOption(StandardSocketOptions.SO_REUSEADDR, !System.getProperty("os.name", "").startsWith("Windows"));
            tcp.bind(new InetSocketAddress(InetAddress.getByName(host), options.port()), 128);
        } catch (BindException e) {
            throw new ServerStartException("cannot listen on " + host + ":" + options.port()
                    + ": the port is already in use (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new ServerStartException("cannot listen on " + host + ":" + options.port() + ": "
                    + e.getMessage(), e);
        }
        int port = ((InetSocketAddress) localAddress(tcp)).getPort();
        ServerSocketChannel unix = null;
        Path socketPath = null;
        if (options.unixSocketDirectory() != null) {
            socketPath = options.unixSocketDirectory().resolve(".s.PGSQL." + port);
            try {
                Files.createDirectories(options.unixSocketDirectory());
                Files.deleteIfExists(socketPath);
                unix = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                unix.bind(UnixDomainSocketAddress.of(socketPath), 128);
            } catch (IOException | UnsupportedOperationException e) {
                closeQuietly(tcp);
                throw new ServerStartException("cannot listen on the Unix-domain socket " + socketPath + ": "
                        + e.getMessage(), e);
            }
        }
        PgliteServer server = new PgliteServer(backend, options, tcp, unix, socketPath);
        try {
            server.session.start(options.username(), options.database());
        } catch (IOException | RuntimeException e) {
            server.closeListeners();
            throw new ServerStartException("the backend did not accept the server's session: " + e.getMessage(), e);
        }
        server.startThreads();
        LOG.info("PostgreSQL server listening on {}:{}{}", host, port,
                socketPath != null ? " and " + socketPath : "");
        return server;
    }

    private static java.net.SocketAddress localAddress(ServerSocketChannel ch) {
        try {
            return ch.getLocalAddress();
        } catch (IOException e) {
            throw new ServerStartException("cannot read the bound address: " + e.getMessage(), e);
        }
    }

    private void startThreads() {
        Thread t = new Thread(() -> acceptLoop(tcp, true), "pglite-accept-" + port());
        t.setDaemon(true);
        acceptors.add(t);
        if (unix != null) {
            Thread u = new Thread(() -> acceptLoop(unix, false), "pglite-accept-unix-" + port());
            u.setDaemon(true);
            acceptors.add(u);
        }
        acceptors.forEach(Thread::start);
        watchdog.scheduleWithFixedDelay(this::watch, 100, 100, TimeUnit.MILLISECONDS);
    }

    /** The TCP port the server listens on. */
    public int port() {
        return ((InetSocketAddress) localAddress(tcp)).getPort();
    }

    /** The TCP address the server listens on. */
    public String host() {
        return ((InetSocketAddress) localAddress(tcp)).getAddress().getHostAddress();
    }

    /** The Unix-domain socket ({@code .s.PGSQL.<port>}), or null when the server has none. */
    public Path unixSocket() {
        return unixSocketPath;
    }

    /** The server's configuration. */
    public ServerOptions options() {
        return options;
    }

    /** The number of client connections past their startup packet. */
    public int connectionCount() {
        synchronized (admission) {
            return admitted;
        }
    }

    /** Bytes the connections' input buffers hold beyond their initial size (for monitoring and tests). */
    public long bufferedInputBytes() {
        return budget.used();
    }

    /** The number of connections waiting for their turn on the shared session. */
    public int waitingConnections() {
        return session.waiting();
    }

    /** The pid (BackendKeyData) of the connection whose request runs now, 0 when none (for tests). */
    int executingPid() {
        return session.executingPid();
    }

    boolean isClosing() {
        return closing;
    }

    BufferBudget budget() {
        return budget;
    }

    Authenticator authenticator() {
        return authenticator;
    }

    private void acceptLoop(ServerSocketChannel listener, boolean tcpListener) {
        while (!closing) {
            SocketChannel ch;
            try {
                ch = listener.accept();
            } catch (IOException e) {
                if (!closing) {
                    LOG.warn("accept failed: {}", e.toString());
                }
                return;
            }
            // Startup is cheap to attempt: bound the sockets (and threads) before admission, too.
            if (sockets.incrementAndGet() > 2 * options.maxConnections() + 16) {
                sockets.decrementAndGet();
                LOG.warn("too many unauthenticated connections; closing a new one");
                closeQuietly(ch);
                continue;
            }
            String peer;
            try {
                if (tcpListener) {
                    ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    ch.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
                }
                java.net.SocketAddress remote = ch.getRemoteAddress();
                peer = remote == null ? "local" : remote.toString();
            } catch (IOException e) {
                sockets.decrementAndGet();
                closeQuietly(ch);
                continue;
            }
            int id = ids.incrementAndGet();
            ClientConnection conn = new ClientConnection(this, session, options, new Transport(ch, peer), id,
                    RANDOM.nextInt());
            connections.put(conn.pid(), conn);
            // The connection's thread runs the backend for its client itself (no hand-off to another thread
            // per message), so it gets the backend's stack: reserved address space, touched only as deep as
            // the backend recurses.
            String name = "pglite-connection-" + id;
            startConnectionThread(() -> session.backend.thread().newThread(conn, name), conn, name);
        }
    }

    /**
     * Starts a connection's thread with the backend's stack; where the system refuses to reserve that much
     * address space (a strict overcommit policy, {@code ulimit -v}), with an ordinary stack instead, whose calls
     * are then handed to the backend's own thread as before.
     *
     * @return the thread started
     */
    static Thread startConnectionThread(java.util.function.Supplier<Thread> largeStack, Runnable conn, String name) {
        try {
            Thread t = largeStack.get();
            t.start();
            return t;
        } catch (OutOfMemoryError e) {
            LOG.warn("{}: no thread with the backend's stack ({}); this connection hands its requests to the "
                    + "backend's thread", name, e.getMessage());
            Thread t = new Thread(null, conn, name, SMALL_CONNECTION_STACK);
            t.setDaemon(true);
            t.start();
            return t;
        }
    }

    /** Counts a connection past its startup packet; false when the server is full. */
    boolean admit(ClientConnection conn) {
        synchronized (admission) {
            if (admitted >= options.maxConnections()) {
                return false;
            }
            admitted++;
            conn.markAdmitted();
            return true;
        }
    }

    void unregister(ClientConnection conn) {
        if (connections.remove(conn.pid(), conn)) {
            sockets.decrementAndGet();
        }
        synchronized (admission) {
            if (conn.isAdmitted()) {
                admitted--;
                conn.markUnadmitted();
            }
            admission.notifyAll();
        }
    }

    /** A CancelRequest: cancels what the connection with this key runs, if the key matches. */
    void cancel(int pid, int key) {
        ClientConnection c = connections.get(pid);
        if (c != null && c.secret() == key && c.authenticated()) {
            LOG.debug("cancel request for connection {}", c.id());
            c.cancel();
        } else {
            LOG.debug("cancel request with an unknown key for pid {}", pid);
        }
    }

    /** The watchdog: read deadlines (authentication, idle in transaction) and writes that stay blocked. */
    private void watch() {
        long now = System.nanoTime();
        long writeLimit = options.clientWriteTimeout().toNanos();
        for (ClientConnection c : connections.values()) {
            Transport t = c.transport();
            long ws = t.writeSince;
            if (ws != 0 && now - ws > writeLimit) {
                LOG.warn("{} has not read its results for {} s; disconnecting it", c,
                        options.clientWriteTimeout().toSeconds());
                t.close();
                continue;
            }
            long rd = t.readDeadline;
            if (rd != 0 && now - rd > 0) {
                t.readDeadline = 0;
                if (!c.authenticated()) {
                    c.terminate("08P01", "canceling authentication due to timeout");
                } else if (c.holdingSession()) {
                    LOG.info("{} idle in transaction for more than {}; disconnecting it", c,
                            options.idleInTransactionTimeout());
                    c.terminate("25P03", "terminating connection due to idle-in-transaction timeout");
                }
            }
        }
    }

    private void closeListeners() {
        closeQuietly(tcp);
        if (unix != null) {
            closeQuietly(unix);
            try {
                Files.deleteIfExists(unixSocketPath);
            } catch (IOException ignored) {
                // best effort
            }
        }
    }

    /**
     * Stops the server: stops accepting, ends idle connections (FATAL 57P01, their transactions rolled
     * back), lets requests already running finish for up to {@link ServerOptions#shutdownGrace()}, then
     * cancels what still runs and disconnects everyone. Returns when every connection has been cleaned up.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        closing = true;
        closeListeners();
        for (Thread t : acceptors) {
            t.interrupt();
        }
        session.closing();
        String msg = "terminating connection due to administrator command";
        for (ClientConnection c : connections.values()) {
            c.terminateIfIdle("57P01", msg);
        }
        long deadline = System.nanoTime() + options.shutdownGrace().toNanos();
        waitForConnections(deadline);
        if (!connections.isEmpty()) {
            LOG.info("{} connection(s) still busy after {}; cancelling and disconnecting", connections.size(),
                    options.shutdownGrace());
            for (ClientConnection c : connections.values()) {
                session.cancel(c);
                c.terminate("57P01", msg);
            }
            waitForConnections(System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
            for (ClientConnection c : connections.values()) {
                c.transport().close();
            }
            waitForConnections(System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
        }
        watchdog.shutdownNow();
        if (!connections.isEmpty()) {
            LOG.warn("{} connection(s) did not finish their cleanup", connections.size());
        }
    }

    private void waitForConnections(long deadline) {
        synchronized (admission) {
            while (!connections.isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                try {
                    admission.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                // terminate connections that became idle meanwhile
                for (ClientConnection c : connections.values()) {
                    c.terminateIfIdle("57P01", "terminating connection due to administrator command");
                }
            }
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
