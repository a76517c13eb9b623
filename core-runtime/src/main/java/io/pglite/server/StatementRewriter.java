package io.pglite.server;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Makes one connection's prepared statements private on the shared session, and tracks where the connection
 * is in the extended query protocol.
 *
 * <p>Named statements get a backend name with the connection's prefix ({@code S_1} of connection 7 becomes
 * {@code c7/S_1}) in Parse, Bind, Describe and Close; portals are not renamed (they end with the transaction,
 * and a connection holds the session from Bind until then). The backend has one unnamed statement; the
 * connection that last parsed it owns it. When a connection binds or describes its unnamed statement after
 * another connection (or the server) replaced it, or a named statement after a DISCARD ALL / DEALLOCATE ALL
 * from another connection wiped all statements, the connection's own Parse is sent again first (its
 * ParseComplete is dropped), so each connection sees the statements it created and no others.
 */
final class StatementRewriter {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(StatementRewriter.class);
    /** NAMEDATALEN - 1: PostgreSQL's prepared-statement names are truncated beyond this many bytes. */
    private static final int MAX_NAME_BYTES = 63;
    /** Parse messages up to this size are remembered to re-create the statement when needed. */
    private static final int MAX_SAVED_PARSE = 1 << 20;
    /** Statements whose Parse is remembered, per connection, at most (the rest cannot be re-created). */
    private static final long MAX_SAVED_BYTES = 16L << 20;

    private static final Pattern LISTEN = Pattern.compile(
            "(?i)\\b(UN)?LISTEN\\s+(\\*|\"(?:[^\"]|\"\")+\"|[\\p{L}_][\\p{L}\\p{N}_$]*)");
    private static final Pattern TRANSACTION_TIMEOUT = Pattern.compile(
            "(?i)(\\bSET\\s+(SESSION\\s+|LOCAL\\s+)?transaction_timeout\\b"
                    + "|set_config\\s*\\(\\s*'transaction_timeout')");
    static final String REFUSED_TRANSACTION_TIMEOUT = "DO $pglite$BEGIN RAISE EXCEPTION USING ERRCODE ="
            + " 'feature_not_supported', MESSAGE = 'transaction_timeout is not supported by the pglite-java"
            + " server', DETAIL = 'All connections share one PostgreSQL session, which this timeout would"
            + " terminate.'; END$pglite$";

    /** A statement the connection created. */
    static final class Stmt {
        final String backendName;
        final boolean mayCopy;
        byte[] parse;
        int epoch;

        Stmt(String backendName, byte[] parse, int epoch, boolean mayCopy) {
            this.backendName = backendName;
            this.parse = parse;
            this.epoch = epoch;
            this.mayCopy = mayCopy;
        }
    }

    /** A run of messages for one exchange. */
    record Chunk(byte[] buf, int off, int len, boolean injected) {}

    /** A LISTEN or UNLISTEN seen in the connection's SQL. */
    record ListenAction(boolean listen, String channel) {}

    private final String prefix;
    private final Map<String, Stmt> statements = new HashMap<>();
    private long savedBytes;
    private byte[] unnamedParse;
    private boolean unnamedMayCopy = true;
    private final Map<String, Boolean> portalMayCopy = new HashMap<>();
    private boolean openExtended;
    private boolean setConfigSeen;
    private final Set<String> plainSetNames = new TreeSet<>();
    private int plainSetCount;
    private boolean setConfigMentioned;
    private final List<ListenAction> listenActions = new ArrayList<>();

    StatementRewriter(String prefix) {
        this.prefix = prefix;
    }

    String prefix() {
        return prefix;
    }

    /** True between an extended-protocol message and the Sync that ends its batch. */
    boolean openExtended() {
        return openExtended;
    }

    /**
     * The settings named by plain {@code SET name = value} statements since the last call, or null when
     * settings may have changed in another way: set_config was mentioned, or the backend completed more SET
     * commands ({@code setTags}) than there were plain SET statements (SET LOCAL, SET ... DEFAULT, a SET inside
     * a multi-statement string). Then only reading every session setting tells what changed.
     *
     * @param setTags the number of CommandComplete "SET" of the same unit of work
     */
    Set<String> takePlainSetNames(int setTags) {
        boolean explained = !setConfigMentioned && setTags <= plainSetCount;
        setConfigMentioned = false;
        plainSetCount = 0;
        if (plainSetNames.isEmpty()) {
            return explained ? Set.of() : null;
        }
        Set<String> names = Set.copyOf(plainSetNames);
        plainSetNames.clear();
        return explained ? names : null;
    }

    /** True if SQL sent since the last call mentioned set_config (settings may have changed). */
    boolean takeSetConfigSeen() {
        boolean s = setConfigSeen;
        setConfigSeen = false;
        return s;
    }

    List<ListenAction> takeListenActions() {
        List<ListenAction> a = new ArrayList<>(listenActions);
        listenActions.clear();
        return a;
    }

    /** The backend name for a client's statement name. */
    String backendName(String name) {
        String candidate = prefix + name;
        if (candidate.getBytes(StandardCharsets.UTF_8).length <= MAX_NAME_BYTES) {
            return candidate;
        }
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
            StringBuilder sb = new StringBuilder(prefix).append('#');
            for (int i = 0; i < 20; i++) {
                sb.append(Character.forDigit((d[i] >> 4) & 0xf, 16)).append(Character.forDigit(d[i] & 0xf, 16));
            }
            return sb.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Backend names of the connection's statements that exist in the given epoch (for cleanup). */
    List<String> liveBackendNames(int epoch) {
        List<String> names = new ArrayList<>();
        for (Stmt s : statements.values()) {
            if (s.epoch == epoch) {
                names.add(s.backendName);
            }
        }
        return names;
    }

    /** Forgets all statements (they were deallocated for real). */
    void wipe() {
        statements.clear();
        savedBytes = 0;
    }

    int statementCount() {
        return statements.size();
    }

    /**
     * Rewrites a run of whole messages for the shared session and updates the protocol state.
     *
     * @return the chunks to exchange, in order
     */
    List<Chunk> rewrite(byte[] b, int off, int end, SharedSession session, ClientConnection conn) {
        List<Chunk> chunks = new ArrayList<>();
        // The chunk being built is pending's bytes if any message in it was rewritten, else b[passStart, p).
        ByteArrayOutputStream pending = null;
        int passStart = off;
        int p = off;
        while (p < end) {
            char type = (char) b[p];
            int len = readInt(b, p + 1);
            int next = p + 1 + len;
            int bodyAt = p + 5;
            byte[] replacement = null;
            byte[] inject = null;
            boolean mayStartCopy = false;
            switch (type) {
                case 'P' -> {
                    openExtended = true;
                    int nameEnd = cstringEnd(b, bodyAt, next);
                    if (nameEnd >= next) {
                        break; // malformed: PostgreSQL reports it
                    }
                    String name = new String(b, bodyAt, nameEnd - bodyAt, StandardCharsets.UTF_8);
                    int queryAt = nameEnd + 1;
                    int queryEnd = cstringEnd(b, queryAt, next);
                    String refusal = checkSql(b, queryAt, queryEnd);
                    boolean copy = containsIgnoreCase(b, queryAt, queryEnd, COPY);
                    if (refusal != null) {
                        replacement = parseMessage(name.isEmpty() ? "" : backendName(name), refusal);
                    } else if (!name.isEmpty()) {
                        replacement = withStringAt(b, p, next, bodyAt, nameEnd, backendName(name));
                    }
                    if (name.isEmpty()) {
                        session.unnamedOwner = conn;
                        unnamedMayCopy = copy;
                        unnamedParse = len + 1 <= MAX_SAVED_PARSE
                                ? (replacement != null ? replacement : java.util.Arrays.copyOfRange(b, p, next))
                                : null;
                    } else {
                        remember(name, replacement, session.statementEpoch, copy);
                    }
                }
                case 'B' -> {
                    openExtended = true;
                    int portalEnd = cstringEnd(b, bodyAt, next);
                    int stmtEnd = portalEnd < next ? cstringEnd(b, portalEnd + 1, next) : next;
                    if (stmtEnd >= next) {
                        break;
                    }
                    String portal = new String(b, bodyAt, portalEnd - bodyAt, StandardCharsets.UTF_8);
                    int stmtAt = portalEnd + 1;
                    String stmt = new String(b, stmtAt, stmtEnd - stmtAt, StandardCharsets.UTF_8);
                    boolean copy;
                    if (stmt.isEmpty()) {
                        inject = unnamedToRestore(session, conn);
                        copy = unnamedMayCopy;
                    } else {
                        inject = namedToRestore(stmt, session);
                        replacement = withStringAt(b, p, next, stmtAt, stmtEnd, backendName(stmt));
                        Stmt known = statements.get(stmt);
                        copy = known == null || known.mayCopy;
                    }
                    if (portalMayCopy.size() > 1000) {
                        portalMayCopy.clear();
                    }
                    portalMayCopy.put(portal, copy);
                }
                case 'D', 'C' -> {
                    openExtended = true;
                    if (len < 5 || b[bodyAt] != 'S') {
                        break;
                    }
                    int nameEnd = cstringEnd(b, bodyAt + 1, next);
                    if (nameEnd >= next) {
                        break;
                    }
                    String stmt = new String(b, bodyAt + 1, nameEnd - bodyAt - 1, StandardCharsets.UTF_8);
                    if (type == 'D') {
                        if (stmt.isEmpty()) {
                            inject = unnamedToRestore(session, conn);
                        } else {
                            inject = namedToRestore(stmt, session);
                        }
                    } else if (!stmt.isEmpty()) {
                        Stmt gone = statements.remove(stmt);
                        if (gone != null && gone.parse != null) {
                            savedBytes -= gone.parse.length;
                        }
                    }
                    if (!stmt.isEmpty()) {
                        replacement = withStringAt(b, p, next, bodyAt + 1, nameEnd, backendName(stmt));
                    }
                }
                case 'E' -> {
                    openExtended = true;
                    int portalEnd = cstringEnd(b, bodyAt, next);
                    String portal = portalEnd < next
                            ? new String(b, bodyAt, portalEnd - bodyAt, StandardCharsets.UTF_8) : "";
                    mayStartCopy = portalMayCopy.getOrDefault(portal, true);
                }
                case 'S', 'F' -> openExtended = false;
                case 'Q' -> {
                    openExtended = false;
                    session.unnamedOwner = null;
                    unnamedParse = null;
                    int queryEnd = cstringEnd(b, bodyAt, next);
                    String refusal = checkSql(b, bodyAt, queryEnd);
                    if (refusal != null) {
                        replacement = io.pglite.protocol.BackendMessages.query(refusal);
                    }
                    mayStartCopy = containsIgnoreCase(b, bodyAt, queryEnd, COPY);
                }
                default -> {
                    // H, d, c, f: passed on unchanged
                }
            }
            if (inject != null) {
                LOG.debug("{}: re-creating statement for message {}", prefix, type);
                pending = endChunk(chunks, pending, b, passStart, p);
                chunks.add(new Chunk(inject, 0, inject.length, true));
                passStart = p;
            }
            if (replacement != null) {
                if (pending == null) {
                    pending = new ByteArrayOutputStream();
                    pending.write(b, passStart, p - passStart);
                }
                pending.writeBytes(replacement);
            } else if (pending != null) {
                pending.write(b, p, next - p);
            }
            p = next;
            // PostgreSQL reads ahead: a message that may start COPY FROM STDIN ends its chunk unless only COPY
            // messages follow, so that nothing else reaches the backend while it copies (it would end the
            // session with FATAL). The connection feeds the rest itself, checked, while the COPY runs.
            if (mayStartCopy && p < end && !isCopyMessage((char) b[p])) {
                pending = endChunk(chunks, pending, b, passStart, p);
                passStart = p;
            }
        }
        endChunk(chunks, pending, b, passStart, end);
        return chunks;
    }

    /** Adds the chunk being built (if not empty) and returns null (no pending bytes). */
    private static ByteArrayOutputStream endChunk(List<Chunk> chunks, ByteArrayOutputStream pending, byte[] b,
            int passStart, int p) {
        if (pending != null) {
            if (pending.size() > 0) {
                byte[] bytes = pending.toByteArray();
                chunks.add(new Chunk(bytes, 0, bytes.length, false));
            }
        } else if (passStart < p) {
            chunks.add(new Chunk(b, passStart, p - passStart, false));
        }
        return null;
    }

    /** Messages PostgreSQL accepts during COPY FROM STDIN. */
    static boolean isCopyMessage(char type) {
        return type == 'd' || type == 'c' || type == 'f' || type == 'H' || type == 'S';
    }

    private void remember(String name, byte[] parse, int epoch, boolean mayCopy) {
        Stmt old = statements.get(name);
        if (old != null && old.parse != null) {
            savedBytes -= old.parse.length;
        }
        byte[] saved = parse != null && savedBytes + parse.length <= MAX_SAVED_BYTES ? parse : null;
        if (saved != null) {
            savedBytes += saved.length;
        }
        statements.put(name, new Stmt(backendName(name), saved, epoch, mayCopy));
    }

    private byte[] unnamedToRestore(SharedSession session, ClientConnection conn) {
        if (session.unnamedOwner == conn) {
            return null;
        }
        if (unnamedParse == null) {
            return null; // nothing to restore: the backend answers as PostgreSQL would
        }
        session.unnamedOwner = conn;
        return unnamedParse;
    }

    private byte[] namedToRestore(String name, SharedSession session) {
        Stmt s = statements.get(name);
        if (s == null || s.epoch == session.statementEpoch || s.parse == null) {
            return null;
        }
        s.epoch = session.statementEpoch;
        return s.parse;
    }

    /** Returns replacement SQL when the statement must be refused, else null; records hints. */
    private String checkSql(byte[] b, int from, int to) {
        if (containsIgnoreCase(b, from, to, SET_CONFIG)) {
            setConfigSeen = true;
            setConfigMentioned = true;
        }
        if (startsWithSet(b, from, to)) {
            Matcher m = PLAIN_SET.matcher(new String(b, from, to - from, StandardCharsets.UTF_8));
            if (m.matches() && !m.group(2).equalsIgnoreCase("default")) {
                plainSetNames.add(m.group(1).toLowerCase(java.util.Locale.ROOT));
                plainSetCount++;
            }
        }
        boolean listen = containsIgnoreCase(b, from, to, LISTEN_BYTES);
        boolean timeout = containsIgnoreCase(b, from, to, TRANSACTION_TIMEOUT_BYTES);
        if (!listen && !timeout) {
            return null;
        }
        String sql = new String(b, from, to - from, StandardCharsets.UTF_8);
        if (timeout && TRANSACTION_TIMEOUT.matcher(sql).find()) {
            return REFUSED_TRANSACTION_TIMEOUT;
        }
        if (listen) {
            Matcher m = LISTEN.matcher(sql);
            while (m.find()) {
                listenActions.add(new ListenAction(m.group(1) == null, channelName(m.group(2))));
            }
        }
        return null;
    }

    /** The channel name as PostgreSQL folds it; "*" for all. */
    static String channelName(String token) {
        if (token.startsWith("\"")) {
            return token.substring(1, token.length() - 1).replace("\"\"", "\"");
        }
        return token.toLowerCase(java.util.Locale.ROOT);
    }

    private static final byte[] COPY = "copy".getBytes(StandardCharsets.US_ASCII);
    /**
     * One session-level SET of one setting to a value without semicolons or quotes' surprises: what pgjdbc,
     * psql and most drivers send. Any other SET shows as a SET command the plain ones do not account for.
     */
    private static final Pattern PLAIN_SET = Pattern.compile(
            "\\s*SET\\s+(?:SESSION\\s+)?([A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z_][A-Za-z0-9_]*)?)\\s*(?:=|\\s+TO\\s+)\\s*"
                    + "('[^';]*'|[A-Za-z0-9_.+-]+)\\s*;?\\s*",
            Pattern.CASE_INSENSITIVE);
    private static final byte[] SET_CONFIG = "set_config".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] LISTEN_BYTES = "listen".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TRANSACTION_TIMEOUT_BYTES = "transaction_timeout".getBytes(StandardCharsets.US_ASCII);

    /** Whether the SQL text starts (after white space) with the keyword SET. */
    private static boolean startsWithSet(byte[] b, int from, int to) {
        int i = from;
        while (i < to && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r')) {
            i++;
        }
        return i + 3 < to && (b[i] | 0x20) == 's' && (b[i + 1] | 0x20) == 'e' && (b[i + 2] | 0x20) == 't'
                && (b[i + 3] == ' ' || b[i + 3] == '\t' || b[i + 3] == '\n' || b[i + 3] == '\r');
    }

    static boolean containsIgnoreCase(byte[] b, int from, int to, byte[] lowerNeedle) {
        int n = lowerNeedle.length;
        outer:
        for (int i = from; i <= to - n; i++) {
            for (int j = 0; j < n; j++) {
                int c = b[i + j];
                if (c >= 'A' && c <= 'Z') {
                    c += 32;
                }
                if (c != lowerNeedle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static byte[] parseMessage(String name, String sql) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(name.getBytes(StandardCharsets.UTF_8));
        body.write(0);
        body.writeBytes(sql.getBytes(StandardCharsets.UTF_8));
        body.write(0);
        body.write(0);
        body.write(0);
        return io.pglite.protocol.BackendMessages.message('P', body.toByteArray());
    }

    /** A copy of the message at [p, next) with the string at [at, atEnd) replaced. */
    private static byte[] withStringAt(byte[] b, int p, int next, int at, int atEnd, String replacement) {
        byte[] r = replacement.getBytes(StandardCharsets.UTF_8);
        int newLen = (next - p) - (atEnd - at) + r.length;
        byte[] m = new byte[newLen];
        System.arraycopy(b, p, m, 0, at - p);
        System.arraycopy(r, 0, m, at - p, r.length);
        System.arraycopy(b, atEnd, m, at - p + r.length, next - atEnd);
        int len = newLen - 1;
        m[1] = (byte) (len >>> 24);
        m[2] = (byte) (len >>> 16);
        m[3] = (byte) (len >>> 8);
        m[4] = (byte) len;
        return m;
    }

    /** The index of the NUL ending the string at {@code from} (or {@code limit}). */
    private static int cstringEnd(byte[] b, int from, int limit) {
        int e = from;
        while (e < limit && b[e] != 0) {
            e++;
        }
        return e;
    }

    static int readInt(byte[] b, int p) {
        return ((b[p] & 0xff) << 24) | ((b[p + 1] & 0xff) << 16) | ((b[p + 2] & 0xff) << 8) | (b[p + 3] & 0xff);
    }
}
