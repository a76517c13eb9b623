package io.pglite.cluster;

import io.pglite.backend.PostgresBackend;
import io.pglite.protocol.BackendMessages;
import io.pglite.protocol.StartupPackets;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Talks to a backend directly, without the server: a session's start-up and simple queries, for work the
 * cluster does itself (warming a backend before a snapshot, template setups). A backend serves one session at
 * a time; these are used only while no server shares the backend.
 */
final class BackendSql {
    private BackendSql() {}

    /** Starts a session as {@code user} on {@code database}; what the backend answers is dropped. */
    static void startSession(PostgresBackend backend, String user, String database) {
        try {
            Map<String, String> params = new LinkedHashMap<>();
            params.put("user", user);
            params.put("database", database);
            backend.startup(StartupPackets.startup(params), OutputStream.nullOutputStream());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Runs SQL as one simple query (several statements separated by semicolons run in order, in one implicit
     * transaction unless they contain their own transaction control) and fails on the first error.
     *
     * @throws ClusterException with PostgreSQL's message, SQLSTATE and position when a statement fails
     */
    static void execute(PostgresBackend backend, String sql) {
        run(backend, sql);
    }

    /** Runs a simple query and returns the backend's messages; throws on an ErrorResponse. */
    private static byte[] run(PostgresBackend backend, String sql) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] q = BackendMessages.query(sql);
        try {
            backend.exchange(q, 0, q.length, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] messages = out.toByteArray();
        String error = firstError(messages);
        if (error != null) {
            throw new ClusterException(error);
        }
        return messages;
    }

    /**
     * Runs a simple query and returns the first column of its rows, as text (nulls skipped).
     *
     * @throws ClusterException if the query fails
     */
    static java.util.List<String> firstColumn(PostgresBackend backend, String sql) {
        byte[] messages = run(backend, sql);
        java.util.List<String> values = new java.util.ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(messages);
        while (b.remaining() >= 5) {
            byte type = b.get();
            int len = b.getInt();
            int end = b.position() + len - 4;
            if (type == 'D' && b.getShort() > 0) {
                int n = b.getInt();
                if (n >= 0) {
                    values.add(new String(messages, b.position(), n, StandardCharsets.UTF_8));
                }
            }
            b.position(end);
        }
        return values;
    }

    /** The first ErrorResponse among backend messages, as "ERROR: message (SQLSTATE x) ...", or null. */
    static String firstError(byte[] messages) {
        ByteBuffer b = ByteBuffer.wrap(messages);
        while (b.remaining() >= 5) {
            byte type = b.get();
            int len = b.getInt();
            if (len < 4 || len - 4 > b.remaining()) {
                return null;
            }
            int end = b.position() + len - 4;
            if (type == 'E') {
                Map<Character, String> fields = BackendMessages.fields(
                        Arrays.copyOfRange(messages, b.position(), end));
                StringBuilder s = new StringBuilder();
                s.append(fields.getOrDefault('S', "ERROR")).append(": ").append(fields.get('M'))
                        .append(" (SQLSTATE ").append(fields.get('C')).append(')');
                if (fields.containsKey('P')) {
                    s.append(" at character ").append(fields.get('P'));
                }
                if (fields.containsKey('D')) {
                    s.append("; ").append(fields.get('D'));
                }
                if (fields.containsKey('W')) {
                    s.append("; where: ").append(fields.get('W'));
                }
                return s.toString();
            }
            b.position(end);
        }
        return null;
    }

    /**
     * One statement over the extended protocol, as drivers send it: Parse, Bind, optionally Describe (portal),
     * Execute and Sync, with the unnamed statement and portal and no parameters.
     */
    static byte[] extendedQuery(String sql, boolean describe) {
        return concat(message('P', cstr(""), cstr(sql), new byte[] {0, 0}),
                message('B', cstr(""), cstr(""), new byte[] {0, 0, 0, 0, 0, 0}),
                describe ? message('D', new byte[] {'P'}, cstr("")) : new byte[0],
                message('E', cstr(""), new byte[] {0, 0, 0, 0}),
                message('S'));
    }

    /** A frontend message: the type byte, the length word and the parts as its body. */
    static byte[] message(char type, byte[]... parts) {
        return BackendMessages.message(type, concat(parts));
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static byte[] cstr(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return Arrays.copyOf(b, b.length + 1);
    }
}
