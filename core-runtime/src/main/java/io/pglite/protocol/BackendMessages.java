package io.pglite.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Builds the backend messages a server sends on its own (outside what the PostgreSQL backend produces). */
public final class BackendMessages {
    /** AuthenticationOk. */
    public static final int AUTH_OK = 0;
    /** AuthenticationCleartextPassword. */
    public static final int AUTH_CLEARTEXT = 3;
    /** AuthenticationMD5Password. */
    public static final int AUTH_MD5 = 5;
    /** AuthenticationSASL. */
    public static final int AUTH_SASL = 10;
    /** AuthenticationSASLContinue. */
    public static final int AUTH_SASL_CONTINUE = 11;
    /** AuthenticationSASLFinal. */
    public static final int AUTH_SASL_FINAL = 12;

    private BackendMessages() {}

    /**
     * An Authentication message.
     *
     * @param code the authentication request code
     * @param data the code-specific data (may be empty)
     * @return the message
     */
    public static byte[] authentication(int code, byte[] data) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        writeInt(b, code);
        b.writeBytes(data);
        return message('R', b.toByteArray());
    }

    /**
     * ParameterStatus.
     *
     * @param name the parameter
     * @param value its value
     * @return the message
     */
    public static byte[] parameterStatus(String name, String value) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        cstring(b, name);
        cstring(b, value);
        return message('S', b.toByteArray());
    }

    /**
     * BackendKeyData (protocol 3.0: a 4-byte key).
     *
     * @param pid the process id clients quote in a CancelRequest
     * @param key the secret key
     * @return the message
     */
    public static byte[] backendKeyData(int pid, int key) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        writeInt(b, pid);
        writeInt(b, key);
        return message('K', b.toByteArray());
    }

    /**
     * ReadyForQuery.
     *
     * @param status 'I', 'T' or 'E'
     * @return the message
     */
    public static byte[] readyForQuery(char status) {
        return message('Z', new byte[] {(byte) status});
    }

    /**
     * NegotiateProtocolVersion.
     *
     * @param newestMinor the newest minor version of the requested major version the server supports
     * @param unrecognized protocol options ({@code _pq_.*}) the server does not recognise
     * @return the message
     */
    public static byte[] negotiateProtocolVersion(int newestMinor, List<String> unrecognized) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        writeInt(b, newestMinor);
        writeInt(b, unrecognized.size());
        for (String s : unrecognized) {
            cstring(b, s);
        }
        return message('v', b.toByteArray());
    }

    /**
     * An ErrorResponse ({@code 'E'}) or NoticeResponse ({@code 'N'}).
     *
     * @param type 'E' or 'N'
     * @param severity ERROR, FATAL, WARNING, NOTICE, ...
     * @param sqlState the five-character SQLSTATE
     * @param message the primary message
     * @param detail a detail message, or null
     * @return the message
     */
    public static byte[] report(char type, String severity, String sqlState, String message, String detail) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        field(b, 'S', severity);
        field(b, 'V', severity);
        field(b, 'C', sqlState);
        field(b, 'M', message);
        if (detail != null) {
            field(b, 'D', detail);
        }
        b.write(0);
        return message(type, b.toByteArray());
    }

    /**
     * An ErrorResponse.
     *
     * @param severity ERROR or FATAL
     * @param sqlState the SQLSTATE
     * @param message the primary message
     * @return the message
     */
    public static byte[] error(String severity, String sqlState, String message) {
        return report('E', severity, sqlState, message, null);
    }

    /**
     * A simple Query message.
     *
     * @param sql the SQL text
     * @return the message
     */
    public static byte[] query(String sql) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        cstring(b, sql);
        return message('Q', b.toByteArray());
    }

    /**
     * A message with a type byte and a body.
     *
     * @param type the type byte
     * @param body the body
     * @return type, length word and body
     */
    public static byte[] message(char type, byte[] body) {
        byte[] m = new byte[5 + body.length];
        m[0] = (byte) type;
        int len = 4 + body.length;
        m[1] = (byte) (len >>> 24);
        m[2] = (byte) (len >>> 16);
        m[3] = (byte) (len >>> 8);
        m[4] = (byte) len;
        System.arraycopy(body, 0, m, 5, body.length);
        return m;
    }

    /**
     * The fields of an ErrorResponse or NoticeResponse body, by field code ({@code 'C'} SQLSTATE, {@code 'M'}
     * message, ...).
     *
     * @param body the message body (after the type byte and length word)
     * @return field codes to values, in order
     */
    public static java.util.Map<Character, String> fields(byte[] body) {
        java.util.Map<Character, String> f = new java.util.LinkedHashMap<>();
        int p = 0;
        while (p < body.length && body[p] != 0) {
            char code = (char) body[p++];
            int e = p;
            while (e < body.length && body[e] != 0) {
                e++;
            }
            f.put(code, new String(body, p, Math.min(e, body.length) - p, java.nio.charset.StandardCharsets.UTF_8));
            p = e + 1;
        }
        return f;
    }

    private static void field(ByteArrayOutputStream b, char code, String value) {
        b.write(code);
        cstring(b, value);
    }

    private static void cstring(ByteArrayOutputStream b, String s) {
        b.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        b.write(0);
    }

    private static void writeInt(ByteArrayOutputStream b, int v) {
        b.write(v >>> 24);
        b.write(v >>> 16);
        b.write(v >>> 8);
        b.write(v);
    }
}
