package io.pglite.protocol;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** Codes and helpers for the untyped packets of the startup phase. */
public final class StartupPackets {
    /** Protocol version 3.0. */
    public static final int PROTOCOL_3_0 = 196608;
    /** SSLRequest code. */
    public static final int SSL_REQUEST = 80877103;
    /** GSSENCRequest code. */
    public static final int GSSENC_REQUEST = 80877104;
    /** CancelRequest code. */
    public static final int CANCEL_REQUEST = 80877102;

    private StartupPackets() {}

    /**
     * The code (protocol version or request code) of a startup-phase packet.
     *
     * @param packet the packet, length word included
     * @return its code
     */
    public static int code(byte[] packet) {
        return FrontendReader.readInt(packet, 4);
    }

    /**
     * A protocol 3.0 startup packet.
     *
     * @param params parameter names to values (user, database, ...), in the order to send them
     * @return the packet, length word included
     */
    public static byte[] startup(Map<String, String> params) {
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        for (Map.Entry<String, String> e : params.entrySet()) {
            body.writeBytes(e.getKey().getBytes(StandardCharsets.UTF_8));
            body.write(0);
            body.writeBytes(e.getValue().getBytes(StandardCharsets.UTF_8));
            body.write(0);
        }
        body.write(0);
        byte[] b = body.toByteArray();
        return java.nio.ByteBuffer.allocate(8 + b.length).putInt(8 + b.length).putInt(PROTOCOL_3_0).put(b).array();
    }

    /**
     * The parameters (user, database, options, ...) of a startup packet.
     *
     * @param packet the packet, length word included
     * @return parameter names to values, in order
     */
    public static Map<String, String> parameters(byte[] packet) {
        Map<String, String> params = new LinkedHashMap<>();
        int p = 8;
        while (p < packet.length && packet[p] != 0) {
            int k = p;
            while (k < packet.length && packet[k] != 0) {
                k++;
            }
            int v = k + 1;
            while (v < packet.length && packet[v] != 0) {
                v++;
            }
            if (v >= packet.length) {
                break;
            }
            params.put(new String(packet, p, k - p, StandardCharsets.UTF_8),
                    new String(packet, k + 1, v - k - 1, StandardCharsets.UTF_8));
            p = v + 1;
        }
        return params;
    }

    /**
     * Builds an ErrorResponse message.
     *
     * @param severity e.g. FATAL
     * @param sqlState the five-character SQLSTATE
     * @param message the primary message
     * @return the message bytes
     */
    public static byte[] errorResponse(String severity, String sqlState, String message) {
        byte[] s = severity.getBytes(StandardCharsets.UTF_8);
        byte[] c = sqlState.getBytes(StandardCharsets.UTF_8);
        byte[] m = message.getBytes(StandardCharsets.UTF_8);
        int len = 4 + (1 + s.length + 1) * 2 + (1 + c.length + 1) + (1 + m.length + 1) + 1;
        byte[] out = new byte[1 + len];
        int p = 0;
        out[p++] = 'E';
        out[p++] = (byte) (len >>> 24);
        out[p++] = (byte) (len >>> 16);
        out[p++] = (byte) (len >>> 8);
        out[p++] = (byte) len;
        p = field(out, p, 'S', s);
        p = field(out, p, 'V', s);
        p = field(out, p, 'C', c);
        p = field(out, p, 'M', m);
        out[p] = 0;
        return out;
    }

    private static int field(byte[] out, int p, char type, byte[] value) {
        out[p++] = (byte) type;
        System.arraycopy(value, 0, out, p, value.length);
        p += value.length;
        out[p++] = 0;
        return p;
    }
}
