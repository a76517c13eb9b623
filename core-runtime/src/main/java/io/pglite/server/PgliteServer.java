package io.pglite.server;

import io.pglite.backend.BackendException;
import io.pglite.backend.PostgresBackend;
import io.pglite.protocol.FrontendReader;
import io.pglite.protocol.ProtocolException;
import io.pglite.protocol.StartupPackets;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL wire-protocol endpoint on the loopback interface in front of one backend.
 *
 * <p>Connections are accepted concurrently, but the backend is a single PostgreSQL session, so a
 * connection holds it from its startup packet until it disconnects; other connections wait their turn
 * (fairly). A connection that drops inside a transaction block is rolled back before the next one gets the
 * backend. SSL and GSSAPI encryption requests are declined with 'N', as a server without TLS does.
 */
public final class PgliteServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PgliteServer.class);

    /** PostgreSQL's own limit for one message. */
    private static final int MAX_MESSAGE_LENGTH = 1 << 30;
    private static final byte[] ROLLBACK = query("ROLLBACK");
    /** A new connection must find a fresh session: no prepared statements, portals, SETs or temp tables. */
    private static final byte[] DISCARD_ALL = query("DISCARD ALL");

    private final PostgresBackend backend;
    private final ServerSocket serverSocket;
    private final ExecutorService connections;
    private final ReentrantLock sessionLock = new ReentrantLock(true);
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    private volatile boolean closed;

    private PgliteServer(PostgresBackend backend, ServerSocket serverSocket) {
        this.backend = backend;
        this.serverSocket = serverSocket;
        this.connections = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "pglite-connection");
            t.setDaemon(true);
            return t;
        });
        this.acceptor = new Thread(this::acceptLoop, "pglite-accept-" + serverSocket.getLocalPort());
        this.acceptor.setDaemon(true);
    }

    /**
     * Starts listening.
     *
     * @param backend the backend to serve
     * @param host the address to bind (a loopback address)
     * @param port the port, 0 for a free one
     * @return the running server
     * @throws ServerStartException when the address cannot be bound (for example the port is in use)
     */
    public static PgliteServer start(PostgresBackend backend, String host, int port) {
        ServerSocket socket;
        try {
            socket = new ServerSocket();
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(InetAddress.getByName(host), port), 128);
        } catch (BindException e) {
            throw new ServerStartException("cannot listen on " + host + ":" + port
                    + ": the port is already in use (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new ServerStartException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
        }
        PgliteServer server = new PgliteServer(backend, socket);
        server.acceptor.start();
        LOG.info("PostgreSQL server listening on {}:{}", host, socket.getLocalPort());
        return server;
    }

    /** The port the server listens on. */
    public int port() {
        return serverSocket.getLocalPort();
    }

    /** The address the server listens on. */
    public String host() {
        return serverSocket.getInetAddress().getHostAddress();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket s;
            try {
                s = serverSocket.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("accept failed: {}", e.toString());
                }
                return;
            }
            open.add(s);
            connections.execute(() -> serve(s));
        }
    }

    private void serve(Socket socket) {
        boolean holding = false;
        try {
            socket.setTcpNoDelay(true);
            FrontendReader reader = new FrontendReader(socket.getInputStream(), MAX_MESSAGE_LENGTH);
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
            byte[] startup = negotiate(reader, out);
            if (startup == null) {
                return;
            }
            sessionLock.lockInterruptibly();
            holding = true;
            backend.startup(startup, out);
            while (true) {
                FrontendReader.Batch batch = reader.readBatch();
                FrontendReader.Batch messages = batch.withoutTerminate();
                if (messages.length() > 0) {
                    backend.exchange(messages.bytes(), messages.offset(), messages.length(), out);
                }
                if (messages.length() != batch.length()) {
                    return; // Terminate
                }
                reader.compact();
            }
        } catch (EOFException | SocketException e) {
            LOG.debug("client disconnected: {}", e.getMessage());
        } catch (ProtocolException e) {
            LOG.warn("closing a connection that sent an invalid message: {}", e.getMessage());
            writeQuietly(socket, StartupPackets.errorResponse("FATAL", "08P01", e.getMessage()));
        } catch (BackendException e) {
            LOG.error("backend failure while serving a client", e);
            writeQuietly(socket, StartupPackets.errorResponse("FATAL", "XX000", e.getMessage()));
        } catch (IOException e) {
            LOG.debug("connection error: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            open.remove(socket);
            try {
                socket.close();
            } catch (IOException ignored) {
                // already gone
            }
            if (holding) {
                resetSession();
                sessionLock.unlock();
            }
        }
    }

    /** Answers SSL/GSSAPI requests until the client sends its real startup packet (or gives up). */
    private byte[] negotiate(FrontendReader reader, OutputStream out) throws IOException {
        while (true) {
            byte[] packet = reader.readStartupPacket();
            int code = StartupPackets.code(packet);
            if (code == StartupPackets.SSL_REQUEST || code == StartupPackets.GSSENC_REQUEST) {
                out.write('N');
                out.flush();
                continue;
            }
            if (code == StartupPackets.CANCEL_REQUEST) {
                return null;
            }
            int major = code >>> 16;
            int minor = code & 0xffff;
            if (major != 3) {
                out.write(StartupPackets.errorResponse("FATAL", "0A000", "unsupported frontend protocol "
                        + major + "." + minor + ": server supports 3.0 to 3.2"));
                out.flush();
                return null;
            }
            return packet;
        }
    }

    /**
     * Gives the next connection a fresh session, as a new PostgreSQL backend would be: rolls back an open
     * transaction, then {@code DISCARD ALL} (prepared statements, portals, settings, temporary tables,
     * advisory locks, LISTEN).
     */
    private void resetSession() {
        if (backend.failed()) {
            return;
        }
        try {
            if (backend.inTransactionBlock()) {
                LOG.debug("client left inside a transaction; rolling back");
                backend.exchange(ROLLBACK, 0, ROLLBACK.length, OutputStream.nullOutputStream());
            }
            backend.exchange(DISCARD_ALL, 0, DISCARD_ALL.length, OutputStream.nullOutputStream());
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not reset the session after a client disconnected: {}", e.toString());
        }
    }

    private static void writeQuietly(Socket socket, byte[] bytes) {
        try {
            OutputStream o = socket.getOutputStream();
            o.write(bytes);
            o.flush();
        } catch (IOException ignored) {
            // the client is gone; nothing to tell it
        }
    }

    private static byte[] query(String sql) {
        byte[] s = sql.getBytes(StandardCharsets.UTF_8);
        int len = 4 + s.length + 1;
        byte[] m = new byte[1 + len];
        m[0] = 'Q';
        m[1] = (byte) (len >>> 24);
        m[2] = (byte) (len >>> 16);
        m[3] = (byte) (len >>> 8);
        m[4] = (byte) len;
        System.arraycopy(s, 0, m, 5, s.length);
        return m;
    }

    /** Stops accepting, closes client connections and waits for in-flight requests to end. */
    @Override
    public void close() {
        closed = true;
        try {
            serverSocket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Socket s : open) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        connections.shutdown();
        // A request in flight finishes inside the backend; taking the session lock waits for it.
        sessionLock.lock();
        sessionLock.unlock();
    }
}
