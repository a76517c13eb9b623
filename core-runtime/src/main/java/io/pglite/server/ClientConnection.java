package io.pglite.server;

import io.pglite.backend.BackendException;
import io.pglite.protocol.BackendMessages;
import io.pglite.protocol.BufferBudget;
import io.pglite.protocol.FrontendReader;
import io.pglite.protocol.ProtocolException;
import io.pglite.protocol.StartupPackets;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: startup and authentication, then its requests, run on the shared session whenever
 * the connection holds it, with the connection's own settings, prepared statements and notifications.
 */
final class ClientConnection implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(ClientConnection.class);

    /** Settings the server keeps at zero in the shared session (they would end it for every connection). */
    static final Set<String> NEUTRALISED = Set.of("idle_session_timeout", "idle_in_transaction_session_timeout");
    /** Startup parameters that are not settings. */
    private static final Set<String> NOT_SETTINGS = Set.of("user", "database", "options", "replication");

    private final PgliteServer server;
    private final SharedSession session;
    private final ServerOptions options;
    private final Transport transport;
    private final int id;
    private final int pid;
    private final int secret;
    private final StatementRewriter statements;

    private final Object outLock = new Object();
    private final BufferedOutputStream buffered;
    /** The client's output; each write is atomic with respect to notifications from other threads. */
    private final OutputStream out = new OutputStream() {
        @Override
        public void write(int b) throws IOException {
            synchronized (outLock) {
                buffered.write(b);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            synchronized (outLock) {
                buffered.write(b, off, len);
            }
        }

        @Override
        public void flush() throws IOException {
            synchronized (outLock) {
                buffered.flush();
            }
        }
    };

    private FrontendReader reader;
    private final Object stateLock = new Object();
    private boolean busy;
    private volatile boolean admitted;
    private volatile boolean authenticated;
    private volatile boolean cleaningUp;
    private volatile boolean cancelRequested;
    private volatile String[] terminateReason;

    // Session state of this connection (touched by its own thread, and by the wasm thread during its exchanges).
    private boolean holding;
    private boolean discardUntilSync;
    private Map<String, String> startupSettings = new LinkedHashMap<>();
    private Map<String, String> settings = new LinkedHashMap<>();
    private final Map<String, String> told = new HashMap<>();
    private boolean gucDirty;
    /** Names of ParameterStatus messages this connection received in the current unit of work. */
    private final Set<String> reportedInUnit = new java.util.HashSet<>();
    /** CommandComplete "SET" tags of the current unit, and whether a RESET or DISCARD ALL completed in it. */
    private int setTagsInUnit;
    private boolean resetInUnit;
    private boolean statementsWiped;
    private boolean discardAllSeen;
    private boolean listenTagSeen;
    private final Set<String> channels = new LinkedHashSet<>();
    private String user = "";

    ClientConnection(PgliteServer server, SharedSession session, ServerOptions options, Transport transport, int id,
            int secret) {
        this.server = server;
        this.session = session;
        this.options = options;
        this.transport = transport;
        this.id = id;
        this.pid = PgliteServer.PID_BASE + id;
        this.secret = secret;
        this.statements = new StatementRewriter("c" + id + "/");
        this.buffered = new BufferedOutputStream(transport.out, 64 * 1024);
    }

    int id() {
        return id;
    }

    int pid() {
        return pid;
    }

    int secret() {
        return secret;
    }

    Transport transport() {
        return transport;
    }

    boolean cleaningUp() {
        return cleaningUp;
    }

    void markAdmitted() {
        admitted = true;
    }

    void markUnadmitted() {
        admitted = false;
    }

    boolean isAdmitted() {
        return admitted;
    }

    boolean authenticated() {
        return authenticated;
    }

    boolean holdingSession() {
        return holding;
    }

    // ---- lifecycle ----------------------------------------------------------------------------------

    @Override
    public void run() {
        try {
            serve();
        } catch (ProtocolException e) {
            LOG.info("closing connection {} ({}): invalid message: {}", id, transport.peer(), e.getMessage());
            fatal("08P01", e.getMessage());
        } catch (BufferBudget.ExhaustedException e) {
            LOG.warn("closing connection {} ({}): {}", id, transport.peer(), e.getMessage());
            fatal("53200", e.getMessage());
        } catch (EOFException | ClosedChannelException e) {
            String[] reason = terminateReason;
            if (reason != null) {
                fatal(reason[0], reason[1]);
            } else {
                LOG.debug("connection {} closed by the client: {}", id, e.getMessage());
            }
        } catch (BackendException e) {
            LOG.error("the shared backend failed while serving connection {}", id, e);
            fatal("XX000", e.getMessage());
        } catch (IOException e) {
            String[] reason = terminateReason;
            if (reason != null) {
                fatal(reason[0], reason[1]);
            }
            LOG.debug("connection {} ended: {}", id, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.error("unexpected failure on connection {}", id, e);
            fatal("XX000", "internal error in the pglite-java server: " + e);
        } finally {
            transport.close();
            cleanup();
        }
    }

    /** Asks the connection to end with a FATAL error at its next read (from another thread). */
    void terminate(String sqlState, String message) {
        terminateReason = new String[] {sqlState, message};
        transport.shutdownInput();
    }

    /**
     * Ends the connection for shutdown if it is idle (not processing a request); returns false if it is busy
     * (it ends itself when its request is done).
     */
    boolean terminateIfIdle(String sqlState, String message) {
        synchronized (stateLock) {
            if (busy) {
                return false;
            }
            terminate(sqlState, message);
            return true;
        }
    }

    private void serve() throws IOException, InterruptedException {
        transport.readDeadline = deadline(options.authenticationTimeout().toNanos());
        reader = new FrontendReader(transport.in, options.maxMessageSize(), server.budget());
        byte[] startup = negotiate();
        if (startup == null) {
            return;
        }
        Map<String, String> params = StartupPackets.parameters(startup);
        int minor = StartupPackets.code(startup) & 0xffff;
        List<String> unknownOptions = new ArrayList<>();
        for (String k : params.keySet()) {
            if (k.startsWith("_pq_.")) {
                unknownOptions.add(k);
            }
        }
        if (minor > 0 || !unknownOptions.isEmpty()) {
            write(BackendMessages.negotiateProtocolVersion(0, unknownOptions));
        }
        if (!server.admit(this)) {
            fatal("53300", "sorry, too many clients already");
            return;
        }
        user = params.getOrDefault("user", "");
        if (user.isEmpty()) {
            fatal("28000", "no PostgreSQL user name specified in startup packet");
            return;
        }
        String database = params.getOrDefault("database", "");
        if (database.isEmpty()) {
            database = user;
        }
        String replication = params.get("replication");
        if (replication != null && !List.of("false", "off", "no", "0").contains(replication.toLowerCase(Locale.ROOT))) {
            fatal("0A000", "replication connections are not supported by the pglite-java server");
            return;
        }
        try {
            server.authenticator().authenticate(user, reader, out);
        } catch (Authenticator.AuthenticationFailed e) {
            LOG.info("connection {} ({}): {}", id, transport.peer(), e.getMessage());
            fatal(e.sqlState, e.getMessage());
            return;
        } catch (EOFException e) {
            LOG.debug("connection {} closed during authentication", id);
            return;
        }
        transport.readDeadline = 0; // authentication is over (a greeting waits at most backendWaitTimeout)
        write(BackendMessages.authentication(BackendMessages.AUTH_OK, new byte[0]));
        Map<String, String> requested;
        try {
            requested = startupSettings(params);
        } catch (IllegalArgumentException e) {
            fatal("42704", e.getMessage());
            return;
        }
        String[] refusal = greet(user, database, requested);
        if (refusal != null) {
            fatal(refusal[0], refusal[1]);
            return;
        }
        authenticated = true;
        transport.readDeadline = 0;
        LOG.debug("connection {} ({}) ready", id, transport.peer());
        loop();
    }

    /** SSL/GSSAPI requests are declined; a CancelRequest is handled; returns the startup packet or null. */
    private byte[] negotiate() throws IOException {
        while (true) {
            byte[] packet = reader.readStartupPacket();
            int code = StartupPackets.code(packet);
            if (code == StartupPackets.SSL_REQUEST || code == StartupPackets.GSSENC_REQUEST) {
                if (packet.length != 8) {
                    throw new ProtocolException("invalid length of startup packet: " + packet.length);
                }
                transport.out.write('N');
                continue;
            }
            if (code == StartupPackets.CANCEL_REQUEST) {
                if (packet.length == 16) {
                    server.cancel(StatementRewriter.readInt(packet, 8), StatementRewriter.readInt(packet, 12));
                }
                return null;
            }
            int major = code >>> 16;
            int minor = code & 0xffff;
            if (major != 3) {
                fatal("0A000", "unsupported frontend protocol " + major + "." + minor
                        + ": server supports 3.0 to 3.0");
                return null;
            }
            return packet;
        }
    }

    /** The settings a startup packet asks for (lower-case names), from its parameters and its options. */
    private static Map<String, String> startupSettings(Map<String, String> params) {
        Map<String, String> s = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : params.entrySet()) {
            String k = e.getKey();
            if (!NOT_SETTINGS.contains(k) && !k.startsWith("_pq_.")) {
                s.put(k.toLowerCase(Locale.ROOT), e.getValue());
            }
        }
        String opts = params.get("options");
        if (opts != null) {
            List<String> words = splitOptions(opts);
            for (int i = 0; i < words.size(); i++) {
                String w = words.get(i);
                String nv;
                if (w.equals("-c") && i + 1 < words.size()) {
                    nv = words.get(++i);
                } else if (w.startsWith("-c")) {
                    nv = w.substring(2);
                } else if (w.startsWith("--")) {
                    nv = w.substring(2);
                } else {
                    throw new IllegalArgumentException("invalid command-line argument for server process: " + w);
                }
                int eq = nv.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("invalid command-line argument for server process: " + w);
                }
                s.put(nv.substring(0, eq).toLowerCase(Locale.ROOT).replace('-', '_'), nv.substring(eq + 1));
            }
        }
        return s;
    }

    /** Splits the options parameter on whitespace; a backslash escapes the next character. */
    private static List<String> splitOptions(String opts) {
        List<String> words = new ArrayList<>();
        StringBuilder cur = null;
        for (int i = 0; i < opts.length(); i++) {
            char c = opts.charAt(i);
            if (c == '\\' && i + 1 < opts.length()) {
                if (cur == null) {
                    cur = new StringBuilder();
                }
                cur.append(opts.charAt(++i));
            } else if (Character.isWhitespace(c)) {
                if (cur != null) {
                    words.add(cur.toString());
                    cur = null;
                }
            } else {
                if (cur == null) {
                    cur = new StringBuilder();
                }
                cur.append(c);
            }
        }
        if (cur != null) {
            words.add(cur.toString());
        }
        return words;
    }

    /**
     * Checks the identity, applies the startup settings on the session and sends ParameterStatus,
     * BackendKeyData and ReadyForQuery; returns {sqlState, message} when the connection must be refused.
     */
    private String[] greet(String user, String database, Map<String, String> requested)
            throws IOException, InterruptedException {
        for (String k : requested.keySet()) {
            if (k.equals("transaction_timeout")) {
                return new String[] {"0A000", "transaction_timeout is not supported by the pglite-java server"};
            }
        }
        Map<String, String> wantedAtStart = new LinkedHashMap<>(requested);
        for (String n : NEUTRALISED) {
            wantedAtStart.remove(n);
        }
        if (user.equals(options.username()) && database.equals(options.database())) {
            SharedSession.Greeting known = session.greeting(user, database, wantedAtStart);
            if (known != null) {
                // Same startup settings as an earlier connection: greet without waiting for the session; the
                // settings are applied when this connection first runs something.
                settings = new LinkedHashMap<>(known.settings());
                startupSettings = new LinkedHashMap<>(known.settings());
                sendGreeting(known.reported());
                return null;
            }
        }
        SharedSession.Wait w = session.acquire(this, options.backendWaitTimeout().toNanos());
        switch (w) {
            case CLOSING -> {
                return new String[] {"57P03", "the database system is shutting down"};
            }
            case TIMED_OUT, CANCELLED -> {
                return new String[] {"55P03", waitTimeoutMessage()};
            }
            default -> holding = true;
        }
        try {
            session.checkRestart();
            String[] identity = checkIdentity(user, database);
            if (identity != null) {
                return identity;
            }
            settings = new LinkedHashMap<>(wantedAtStart);
            String[] failure = applySettings(true);
            if (failure != null) {
                return failure;
            }
            // Normalise the values (DateStyle "iso" is "ISO, MDY") so that equal requests compare equal.
            Map<String, String> captured = captureBackendSettings();
            if (captured != null) {
                session.backendSettings.clear();
                session.backendSettings.putAll(captured);
                settings = new LinkedHashMap<>(captured);
            }
            startupSettings = new LinkedHashMap<>(settings);
            Map<String, String> reported = new LinkedHashMap<>(session.reported);
            session.rememberGreeting(user, database, wantedAtStart, new SharedSession.Greeting(Map.copyOf(settings), reported));
            sendGreeting(reported);
            return null;
        } finally {
            holding = false;
            session.release(this);
        }
    }

    private void sendGreeting(Map<String, String> reported) throws IOException {
        ByteArrayOutputStream g = new ByteArrayOutputStream();
        told.clear();
        for (Map.Entry<String, String> e : reported.entrySet()) {
            g.writeBytes(BackendMessages.parameterStatus(e.getKey(), e.getValue()));
            told.put(e.getKey(), e.getValue());
        }
        g.writeBytes(BackendMessages.backendKeyData(pid, secret));
        g.writeBytes(BackendMessages.readyForQuery('I'));
        write(g.toByteArray());
    }

    private String[] checkIdentity(String user, String database) throws IOException {
        if (!user.equals(options.username())) {
            SharedSession.Internal r = session.internal("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = "
                    + literal(user));
            if (r.failed() || r.rows().isEmpty()) {
                return new String[] {"28000", "role \"" + user + "\" does not exist"};
            }
            return new String[] {"28000", "the pglite-java server serves every connection as role \""
                    + options.username() + "\"; connect as that user"};
        }
        if (!database.equals(options.database())) {
            SharedSession.Internal r = session.internal("SELECT 1 FROM pg_catalog.pg_database WHERE datname = "
                    + literal(database));
            if (r.failed() || r.rows().isEmpty()) {
                return new String[] {"3D000", "database \"" + database + "\" does not exist"};
            }
            return new String[] {"0A000", "the pglite-java server serves only database \"" + options.database()
                    + "\""};
        }
        return null;
    }

    // ---- requests -------------------------------------------------------------------------------------

    private void loop() throws IOException, InterruptedException {
        while (true) {
            long idleLimit = options.idleInTransactionTimeout().toNanos();
            transport.readDeadline = holding && idleLimit > 0 ? deadline(idleLimit) : 0;
            FrontendReader.Batch batch = reader.readBatch();
            transport.readDeadline = 0;
            synchronized (stateLock) {
                if (server.isClosing() && !holding) {
                    fatal("57P01", "terminating connection due to administrator command");
                    return;
                }
                busy = true;
            }
            boolean more;
            try {
                more = process(batch);
            } finally {
                synchronized (stateLock) {
                    busy = false;
                    cancelRequested = false;
                }
            }
            if (!more) {
                return;
            }
            if (server.isClosing()) {
                fatal("57P01", "terminating connection due to administrator command");
                return;
            }
            reader.compact();
        }
    }

    /** Serves one batch; returns false when the client sent Terminate. */
    private boolean process(FrontendReader.Batch batch) throws IOException, InterruptedException {
        FrontendReader.Batch messages = batch.withoutTerminate();
        boolean terminate = messages.length() != batch.length();
        byte[] b = messages.bytes();
        int off = messages.offset();
        int end = off + messages.length();
        if (discardUntilSync && !holding) {
            off = skipUntilSync(b, off, end);
        }
        if (off >= end) {
            flush();
            return !terminate;
        }
        if (!holding) {
            SharedSession.Wait w = session.acquire(this, options.backendWaitTimeout().toNanos());
            switch (w) {
                case CANCELLED -> {
                    failMessages(b, off, end, "57014", "canceling statement due to user request");
                    return !terminate;
                }
                case TIMED_OUT -> {
                    LOG.warn("connection {}: no turn on the shared session within {}", id,
                            options.backendWaitTimeout());
                    failMessages(b, off, end, "55P03", waitTimeoutMessage());
                    return !terminate;
                }
                case CLOSING -> {
                    failMessages(b, off, end, "57P01", "terminating connection due to administrator command");
                    return false;
                }
                default -> {
                    holding = true;
                    prepareSession();
                }
            }
        }
        while (true) {
            queued.addAll(statements.rewrite(b, off, end, session, this));
            StatementRewriter.Chunk c;
            while (copyFailure == null && (c = queued.poll()) != null) {
                session.run(this, c.buf(), c.off(), c.len(), out, c.injected());
            }
            if (copyFailure != null) {
                IOException e = copyFailure;
                copyFailure = null;
                afterCopy = null;
                queued.clear();
                throw e;
            }
            if (afterCopy == null) {
                break;
            }
            b = afterCopy;
            off = 0;
            end = b.length;
            afterCopy = null;
            FrontendReader.Batch rest = new FrontendReader.Batch(b, 0, end).withoutTerminate();
            if (rest.length() != end) {
                terminate = true;
                end = rest.length();
            }
        }
        if (statements.takeSetConfigSeen()) {
            gucDirty = true;
        }
        if (releasable()) {
            finishUnit();
            holding = false;
            session.release(this);
        }
        return !terminate;
    }

    private String waitTimeoutMessage() {
        return "could not obtain the shared PostgreSQL session within " + options.backendWaitTimeout().toMillis()
                + " ms: another connection holds it (inside a transaction or a long statement)";
    }

    /** The backend is idle: no transaction, no open extended-protocol batch, no COPY. */
    private boolean releasable() {
        BackendOutput o = session.output;
        return !statements.openExtended() && o.lastFrame() == 'Z' && o.lastStatus() == 'I';
    }

    /** Answers messages the backend will not see, as PostgreSQL answers after an error. */
    private void failMessages(byte[] b, int off, int end, String sqlState, String message) throws IOException {
        byte[] error = BackendMessages.error("ERROR", sqlState, message);
        ByteArrayOutputStream r = new ByteArrayOutputStream();
        int p = off;
        while (p < end) {
            char type = (char) b[p];
            int next = p + 1 + StatementRewriter.readInt(b, p + 1);
            if (discardUntilSync) {
                if (type == 'S') {
                    r.writeBytes(BackendMessages.readyForQuery('I'));
                    discardUntilSync = false;
                }
            } else {
                switch (type) {
                    case 'Q', 'F' -> {
                        r.writeBytes(error);
                        r.writeBytes(BackendMessages.readyForQuery('I'));
                    }
                    case 'S' -> r.writeBytes(BackendMessages.readyForQuery('I'));
                    case 'P', 'B', 'D', 'E', 'C' -> {
                        r.writeBytes(error);
                        discardUntilSync = true;
                    }
                    default -> {
                        // Flush, CopyData, CopyDone, CopyFail: nothing to answer outside COPY
                    }
                }
            }
            p = next;
        }
        write(r.toByteArray());
    }

    /** Drops messages up to a Sync (answered with ReadyForQuery); returns where the rest begins. */
    private int skipUntilSync(byte[] b, int off, int end) throws IOException {
        int p = off;
        while (p < end) {
            char type = (char) b[p];
            p += 1 + StatementRewriter.readInt(b, p + 1);
            if (type == 'S') {
                discardUntilSync = false;
                out.write(BackendMessages.readyForQuery('I'));
                return p;
            }
        }
        return end;
    }

    // ---- settings -------------------------------------------------------------------------------------

    /** Gives the session this connection's settings and tells the client about changed parameters. */
    private void prepareSession() throws IOException {
        session.checkRestart();
        if (!session.backendSettings.equals(settings)) {
            applySettings(false);
        }
        ByteArrayOutputStream s = null;
        for (Map.Entry<String, String> e : session.reported.entrySet()) {
            if (!e.getValue().equals(told.get(e.getKey()))) {
                if (s == null) {
                    s = new ByteArrayOutputStream();
                }
                s.writeBytes(BackendMessages.parameterStatus(e.getKey(), e.getValue()));
                told.put(e.getKey(), e.getValue());
            }
        }
        if (s != null) {
            out.write(s.toByteArray());
        }
    }

    /**
     * Makes the backend's session-level settings equal this connection's. At startup a failure is returned
     * as {sqlState, message}; later a setting that no longer applies is dropped (and logged).
     */
    private String[] applySettings(boolean atStartup) throws IOException {
        Map<String, String> current = session.backendSettings;
        Set<String> names = new TreeSet<>(current.keySet());
        names.addAll(settings.keySet());
        List<String> calls = new ArrayList<>();
        for (String n : names) {
            String want = settings.get(n);
            if (!Objects.equals(want, current.get(n))) {
                // Reset first: some values are relative to the current one (DateStyle 'SQL' keeps the order).
                calls.add("pg_catalog.set_config(" + literal(n) + ", NULL, false)");
                if (want != null) {
                    calls.add("pg_catalog.set_config(" + literal(n) + ", " + literal(want) + ", false)");
                }
            }
        }
        if (calls.isEmpty()) {
            return null;
        }
        LOG.debug("connection {}: applying {}", id, calls);
        SharedSession.Internal r = session.internal("SELECT " + String.join(", ", calls));
        if (!r.failed()) {
            current.clear();
            current.putAll(settings);
            return null;
        }
        if (atStartup) {
            // A parameter PostgreSQL only takes at connection start is skipped, anything else refused.
            String m = r.message();
            if ("55P02".equals(r.sqlState()) && m != null && m.startsWith("parameter \"")) {
                String name = m.substring(11, m.indexOf('"', 11)).toLowerCase(Locale.ROOT);
                if (settings.remove(name) != null) {
                    LOG.info("connection {}: startup parameter {} ignored: {}", id, name, m);
                    return applySettings(true);
                }
            }
            return new String[] {r.sqlState() == null ? "XX000" : r.sqlState(), m};
        }
        // One by one, dropping what fails.
        for (String n : names) {
            String want = settings.get(n);
            if (Objects.equals(want, current.get(n))) {
                continue;
            }
            SharedSession.Internal one = session.internal("SELECT pg_catalog.set_config(" + literal(n) + ", "
                    + (want == null ? "NULL" : literal(want)) + ", false)");
            if (one.failed()) {
                LOG.warn("connection {}: setting {} could not be restored ({}); dropped", id, n, one.message());
                settings.remove(n);
                if (want == null) {
                    current.remove(n);
                }
            } else if (want == null) {
                current.remove(n);
            } else {
                current.put(n, want);
            }
        }
        return null;
    }

    /** The session-level settings the backend has now (lower-case names), or null if the query failed. */
    private Map<String, String> captureBackendSettings() throws IOException {
        SharedSession.Internal r = session.internal(
                "SELECT name, setting FROM pg_catalog.pg_settings WHERE source = 'session'");
        if (r.failed()) {
            LOG.warn("connection {}: could not read the session settings: {}", id, r.message());
            return null;
        }
        Map<String, String> captured = new LinkedHashMap<>();
        for (List<String> row : r.rows()) {
            captured.put(row.get(0).toLowerCase(Locale.ROOT), row.get(1));
        }
        return captured;
    }

    /**
     * After a unit whose only changes of settings were plain {@code SET name = value} statements: reads just
     * those settings (reading all of {@code pg_settings} costs several milliseconds in the backend, and every
     * pgjdbc connection starts with such SETs).
     */
    private void captureSettings(Set<String> names) throws IOException {
        if (names.stream().anyMatch(NEUTRALISED::contains)) {
            captureSettings(); // they are reset in the shared session: the full path handles them
            return;
        }
        List<String> calls = new ArrayList<>();
        for (String n : names) {
            calls.add("pg_catalog.current_setting(" + literal(n) + ")");
        }
        SharedSession.Internal r = session.internal("SELECT " + String.join(", ", calls));
        if (r.failed() || r.rows().size() != 1 || r.rows().get(0).size() != names.size()) {
            captureSettings();
            return;
        }
        gucDirty = false;
        int i = 0;
        for (String n : names) {
            String v = r.rows().get(0).get(i++);
            session.backendSettings.put(n, v);
            settings.put(n, v);
        }
        LOG.debug("connection {}: captured settings {} by name", id, names);
    }

    /** After a unit that may have changed settings: records them as this connection's. */
    private void captureSettings() throws IOException {
        Map<String, String> captured = captureBackendSettings();
        LOG.debug("connection {}: captured settings {}", id, captured);
        gucDirty = false;
        if (captured == null) {
            return;
        }
        List<String> reset = new ArrayList<>();
        for (String n : NEUTRALISED) {
            String v = captured.remove(n);
            if (v != null) {
                reset.add("pg_catalog.set_config(" + literal(n) + ", NULL, false)");
            }
        }
        if (!reset.isEmpty()) {
            LOG.debug("connection {}: resetting {} in the shared session", id, reset);
            session.internal("SELECT " + String.join(", ", reset));
        }
        session.backendSettings.clear();
        session.backendSettings.putAll(captured);
        Map<String, String> merged = new LinkedHashMap<>(startupSettings);
        merged.putAll(captured);
        settings = merged;
    }

    // ---- end of a unit -----------------------------------------------------------------------------

    private void finishUnit() throws IOException {
        if (statementsWiped) {
            statementsWiped = false;
            session.statementEpoch++;
            statements.wipe();
        }
        Set<String> plainSets = statements.takePlainSetNames(setTagsInUnit);
        if (gucDirty) {
            if (plainSets != null && !plainSets.isEmpty() && !resetInUnit
                    && plainSets.containsAll(reportedInUnit)) {
                captureSettings(plainSets);
            } else {
                captureSettings();
            }
        }
        reportedInUnit.clear();
        setTagsInUnit = 0;
        resetInUnit = false;
        List<StatementRewriter.ListenAction> actions = statements.takeListenActions();
        boolean discardAll = discardAllSeen;
        boolean listenTag = listenTagSeen;
        discardAllSeen = false;
        listenTagSeen = false;
        if (discardAll || (listenTag && !actions.isEmpty())) {
            updateListens(actions, discardAll);
        }
    }

    private void updateListens(List<StatementRewriter.ListenAction> actions, boolean discardAll) throws IOException {
        Set<String> unlistened = new LinkedHashSet<>();
        for (StatementRewriter.ListenAction a : actions) {
            if (a.listen()) {
                channels.add(a.channel());
                session.listeners.computeIfAbsent(a.channel(), k -> new LinkedHashSet<>()).add(this);
            } else if (a.channel().equals("*")) {
                unlistened.addAll(session.listeners.keySet());
                unlistenAll();
            } else {
                unlistened.add(a.channel());
                channels.remove(a.channel());
                Set<ClientConnection> l = session.listeners.get(a.channel());
                if (l != null) {
                    l.remove(this);
                }
            }
        }
        if (discardAll) {
            unlistened.addAll(session.listeners.keySet());
            unlistenAll();
        }
        // UNLISTEN acts on the whole session: listen again where other connections still listen.
        List<String> again = new ArrayList<>();
        for (String ch : unlistened) {
            Set<ClientConnection> l = session.listeners.get(ch);
            if (l != null && !l.isEmpty()) {
                again.add("LISTEN " + identifier(ch));
            }
        }
        if (!again.isEmpty()) {
            session.internal(String.join("; ", again));
        }
    }

    private void unlistenAll() {
        for (String ch : channels) {
            Set<ClientConnection> l = session.listeners.get(ch);
            if (l != null) {
                l.remove(this);
            }
        }
        channels.clear();
    }

    // ---- called from the backend's output (wasm thread, while this connection runs) ---------------------

    /** A CommandComplete of this connection's request. */
    void commandTag(String tag) {
        if (tag.equals("SET") || tag.startsWith("RESET") || tag.equals("DISCARD ALL")) {
            gucDirty = true;
            if (tag.equals("SET")) {
                setTagsInUnit++;
            } else {
                resetInUnit = true;
            }
        }
        if (tag.equals("DISCARD ALL") || tag.equals("DEALLOCATE ALL")) {
            statementsWiped = true;
        }
        if (tag.equals("DISCARD ALL")) {
            discardAllSeen = true;
        }
        if (tag.equals("LISTEN") || tag.equals("UNLISTEN")) {
            listenTagSeen = true;
        }
    }

    /** A ParameterStatus this connection's client receives. */
    void reported(String name, String value) {
        told.put(name, value);
        reportedInUnit.add(name.toLowerCase(Locale.ROOT));
        gucDirty = true;
    }

    /**
     * An ErrorResponse for this client: the connection's statement-name prefix is removed, and a statement
     * timeout reported as a plain cancel is named as such. Returns the frame to send, or null if unchanged.
     */
    byte[] translateError(byte[] data, boolean timeoutFallback) {
        Map<Character, String> f = BackendMessages.fields(data);
        boolean changed = false;
        String prefix = statements.prefix();
        for (Map.Entry<Character, String> e : f.entrySet()) {
            if (e.getValue().contains(prefix)) {
                e.setValue(e.getValue().replace(prefix, ""));
                changed = true;
            }
        }
        if (timeoutFallback && "57014".equals(f.get('C'))
                && "canceling statement due to user request".equals(f.get('M'))) {
            f.put('M', "canceling statement due to statement timeout");
            changed = true;
        }
        if (!changed) {
            return null;
        }
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (Map.Entry<Character, String> e : f.entrySet()) {
            b.write(e.getKey());
            b.writeBytes(e.getValue().getBytes(StandardCharsets.UTF_8));
            b.write(0);
        }
        b.write(0);
        return BackendMessages.message('E', b.toByteArray());
    }

    /** A notification on a channel this connection listens on (from whichever thread runs the backend). */
    void deliverNotification(byte[] frame) {
        try {
            synchronized (outLock) {
                buffered.write(frame);
                buffered.flush();
            }
        } catch (IOException e) {
            LOG.debug("connection {}: notification not delivered: {}", id, e.toString());
        }
    }

    // ---- COPY FROM STDIN -----------------------------------------------------------------------------

    /** Messages that arrived with the end of a COPY, to be run after it. */
    private byte[] afterCopy;
    /** Chunks of the current batch not run yet (a COPY may consume the first ones). */
    private final java.util.ArrayDeque<StatementRewriter.Chunk> queued = new java.util.ArrayDeque<>();
    /** A failure reading the client during COPY, rethrown when the exchange is over. */
    private IOException copyFailure;

    /**
     * While the backend is in COPY FROM STDIN it reads until CopyDone or CopyFail; this source lets it wait for
     * the client's next CopyData like a socket read would (on the backend's thread, while this connection holds
     * the session). Messages after CopyDone/CopyFail are kept for the normal path (their statement names need
     * rewriting). A client that disconnects or misbehaves mid-COPY fails it with CopyFail, so the shared
     * backend never sees end-of-file.
     */
    io.pglite.backend.PostgresBackend.InputSource copyInput() {
        return () -> {
            if (session.output.lastFrame() != 'G' || copyFailure != null) {
                return null;
            }
            StatementRewriter.Chunk queuedChunk = queued.poll();
            if (queuedChunk != null) {
                if (queuedChunk.injected()) {
                    return copyViolation(new byte[0], 'P');
                }
                return copyPart(queuedChunk.buf(), queuedChunk.off(), queuedChunk.off() + queuedChunk.len(),
                        true);
            }
            try {
                out.flush(); // the CopyInResponse must reach the client before we wait for its data
                long idleLimit = options.idleInTransactionTimeout().toNanos();
                transport.readDeadline = idleLimit > 0 ? deadline(idleLimit) : 0;
                FrontendReader.Batch batch = reader.readBatch();
                transport.readDeadline = 0;
                return copyPart(batch.bytes(), batch.offset(), batch.offset() + batch.length(), false);
            } catch (IOException e) {
                transport.readDeadline = 0;
                copyFailure = e;
                return concat(BackendMessages.message('f',
                        ("COPY from stdin failed: " + e.getMessage() + "\0").getBytes(StandardCharsets.UTF_8)),
                        BackendMessages.message('S', new byte[0]));
            }
        };
    }

    /**
     * The COPY messages at the start of [off, end), up to and including CopyDone or CopyFail; what follows is
     * kept (in front of the queued chunks, or as raw input to rewrite later).
     */
    private byte[] copyPart(byte[] b, int off, int end, boolean fromQueue) {
        int p = off;
        while (p < end) {
            char type = (char) b[p];
            if (!StatementRewriter.isCopyMessage(type)) {
                byte[] prefix = java.util.Arrays.copyOfRange(b, off, p);
                if (type == 'X') {
                    // Terminate in the middle of COPY: fail the COPY, then end the connection.
                    afterCopy = java.util.Arrays.copyOfRange(b, p, end);
                    return concat(prefix, concat(BackendMessages.message('f',
                            "client terminated the connection during COPY\0".getBytes(StandardCharsets.UTF_8)),
                            BackendMessages.message('S', new byte[0])));
                }
                return copyViolation(prefix, type);
            }
            p += 1 + StatementRewriter.readInt(b, p + 1);
            if (type == 'c' || type == 'f') {
                break;
            }
        }
        if (p < end) {
            if (fromQueue) {
                queued.addFirst(new StatementRewriter.Chunk(b, p, end - p, false));
            } else {
                afterCopy = java.util.Arrays.copyOfRange(b, p, end);
            }
        }
        return java.util.Arrays.copyOfRange(b, off, p);
    }

    /**
     * Another message in the middle of COPY FROM STDIN: PostgreSQL ends the session for that (protocol
     * synchronization lost). Here the COPY fails instead and only this connection is closed.
     */
    private byte[] copyViolation(byte[] prefix, char type) {
        String m = String.format("unexpected message type 0x%02X during COPY from stdin", (int) type & 0xff);
        copyFailure = new ProtocolException("terminating connection because protocol synchronization was lost ("
                + m + ")");
        queued.clear();
        afterCopy = null;
        return concat(prefix, concat(BackendMessages.message('f', (m + "\0").getBytes(StandardCharsets.UTF_8)),
                BackendMessages.message('S', new byte[0])));
    }

    // ---- cancel -------------------------------------------------------------------------------------

    /** A CancelRequest with this connection's key: cancels what it runs or waits to run. */
    void cancel() {
        synchronized (stateLock) {
            if (!busy) {
                return; // idle: nothing to cancel (as in PostgreSQL)
            }
            cancelRequested = true;
        }
        session.cancel(this);
        session.wake(this);
    }

    boolean cancelRequested() {
        return cancelRequested;
    }

    /** Takes a pending cancel request (when the connection's request starts running). */
    boolean takeCancelRequest() {
        boolean c = cancelRequested;
        cancelRequested = false;
        return c;
    }

    // ---- cleanup -------------------------------------------------------------------------------------

    private void cleanup() {
        cleaningUp = true;
        try {
            if (admitted) {
                if (!holding) {
                    holding = session.acquire(this, 0) == SharedSession.Wait.ACQUIRED;
                }
                if (holding) {
                    try {
                        cleanupSession();
                    } catch (IOException | RuntimeException e) {
                        LOG.warn("connection {}: cleanup on the shared session failed: {}", id, e.toString());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (holding) {
                holding = false;
                session.release(this);
            }
            if (reader != null) {
                reader.release();
            }
            server.unregister(this);
        }
    }

    /** Rolls back what the client left open and removes its statements and listens from the session. */
    private void cleanupSession() throws IOException {
        if (session.backend.failed()) {
            return; // the session is gone with the failure; the next request starts a new one
        }
        BackendOutput o = session.output;
        byte[] sync = BackendMessages.message('S', new byte[0]);
        if (o.lastFrame() == 'G') {
            // Inside COPY FROM STDIN: fail it (and end an extended-protocol COPY with Sync).
            session.internalMessages(concat(BackendMessages.message('f',
                    "client connection lost\0".getBytes(StandardCharsets.UTF_8)), sync));
        } else if (statements.openExtended()) {
            // Messages without their Sync: a Sync would commit the implicit transaction, as PostgreSQL never
            // does for a client that disconnects. ROLLBACK aborts it (and is ignored if an error already made
            // the backend skip to the Sync, which then ends the failed transaction).
            session.internalMessages(concat(BackendMessages.query("ROLLBACK"), sync));
        }
        if (o.lastStatus() != 'I') {
            LOG.debug("connection {} left inside a transaction; rolling back", id);
            session.internal("ROLLBACK");
        }
        List<String> names = statements.liveBackendNames(session.statementEpoch);
        if (!names.isEmpty()) {
            ByteArrayOutputStream m = new ByteArrayOutputStream();
            for (String n : names) {
                byte[] nb = n.getBytes(StandardCharsets.UTF_8);
                byte[] body = new byte[nb.length + 2];
                body[0] = 'S';
                System.arraycopy(nb, 0, body, 1, nb.length);
                m.writeBytes(BackendMessages.message('C', body));
            }
            m.writeBytes(BackendMessages.message('S', new byte[0]));
            session.internalMessages(m.toByteArray());
            statements.wipe();
        }
        if (session.unnamedOwner == this) {
            session.unnamedOwner = null;
        }
        if (gucDirty) {
            Map<String, String> captured = captureBackendSettings();
            if (captured != null) {
                session.backendSettings.clear();
                session.backendSettings.putAll(captured);
            }
        }
        List<String> orphaned = new ArrayList<>();
        for (String ch : channels) {
            Set<ClientConnection> l = session.listeners.get(ch);
            if (l != null) {
                l.remove(this);
                if (l.isEmpty()) {
                    session.listeners.remove(ch);
                    orphaned.add("UNLISTEN " + identifier(ch));
                }
            }
        }
        channels.clear();
        if (!orphaned.isEmpty()) {
            session.internal(String.join("; ", orphaned));
        }
    }

    // ---- output helpers -------------------------------------------------------------------------------

    private void write(byte[] bytes) throws IOException {
        synchronized (outLock) {
            buffered.write(bytes);
            buffered.flush();
        }
    }

    private void flush() throws IOException {
        out.flush();
    }

    /** Sends a FATAL error (best effort) before the connection closes. */
    private void fatal(String sqlState, String message) {
        try {
            write(BackendMessages.error("FATAL", sqlState, message));
        } catch (IOException ignored) {
            // the client is gone; nothing to tell it
        }
    }

    private static long deadline(long nanos) {
        return nanos <= 0 ? 0 : (System.nanoTime() + nanos) | 1;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = new byte[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    /** An SQL string literal (dollar-quoted, so independent of standard_conforming_strings). */
    static String literal(String value) {
        String tag = "$pgl$";
        int i = 0;
        while (value.contains(tag)) {
            tag = "$pgl" + (i++) + "$";
        }
        return tag + value + tag;
    }

    /** An SQL identifier, quoted. */
    static String identifier(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    @Override
    public String toString() {
        return "connection " + id + " (" + transport.peer() + ")";
    }
}
