package io.pglite.server;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Test helper: builds frontend messages and reads backend messages of the PostgreSQL protocol. */
final class Wire {
    private Wire() {}

    /** One backend message. */
    record Msg(char type, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** Error/notice fields by code. */
        Map<Character, String> fields() {
            Map<Character, String> f = new LinkedHashMap<>();
            int p = 0;
            while (p < body.length && body[p] != 0) {
                char code = (char) body[p++];
                int e = p;
                while (body[e] != 0) {
                    e++;
                }
                f.put(code, new String(body, p, e - p, StandardCharsets.UTF_8));
                p = e + 1;
            }
            return f;
        }

        String sqlState() {
            return fields().get('C');
        }

        /** The CommandComplete tag. */
        String tag() {
            return new String(body, 0, body.length - 1, StandardCharsets.UTF_8);
        }

        /** Columns of a DataRow, as text (null for NULL). */
        List<String> columns() {
            List<String> cols = new ArrayList<>();
            int n = ((body[0] & 0xff) << 8) | (body[1] & 0xff);
            int p = 2;
            for (int i = 0; i < n; i++) {
                int len = readInt(body, p);
                p += 4;
                if (len < 0) {
                    cols.add(null);
                } else {
                    cols.add(new String(body, p, len, StandardCharsets.UTF_8));
                    p += len;
                }
            }
            return cols;
        }

        @Override
        public String toString() {
            return type + (type == 'E' || type == 'N' ? fields().toString() : type == 'C' ? "(" + tag() + ")" : "");
        }
    }

    static int readInt(byte[] b, int p) {
        return ((b[p] & 0xff) << 24) | ((b[p + 1] & 0xff) << 16) | ((b[p + 2] & 0xff) << 8) | (b[p + 3] & 0xff);
    }

    static byte[] startup(String user, String database, String... extra) {
        ByteArrayOutputStream params = new ByteArrayOutputStream();
        List<String> all = new ArrayList<>(List.of("user", user, "database", database));
        all.addAll(List.of(extra));
        for (String p : all) {
            params.writeBytes(p.getBytes(StandardCharsets.UTF_8));
            params.write(0);
        }
        params.write(0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writeInt(out, 8 + params.size());
        writeInt(out, 196608);
        out.writeBytes(params.toByteArray());
        return out.toByteArray();
    }

    static byte[] message(char type, byte[]... parts) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            body.writeBytes(p);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(type);
        writeInt(out, 4 + body.size());
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }

    static byte[] cstr(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        byte[] r = new byte[b.length + 1];
        System.arraycopy(b, 0, r, 0, b.length);
        return r;
    }

    static byte[] int16(int v) {
        return new byte[] {(byte) (v >>> 8), (byte) v};
    }

    static byte[] int32(int v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    static byte[] query(String sql) {
        return message('Q', cstr(sql));
    }

    static byte[] parse(String name, String sql) {
        return message('P', cstr(name), cstr(sql), int16(0));
    }

    /** Bind with text parameters and text results. */
    static byte[] bind(String portal, String statement, String... params) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(cstr(portal));
        b.writeBytes(cstr(statement));
        b.writeBytes(int16(0));
        b.writeBytes(int16(params.length));
        for (String p : params) {
            if (p == null) {
                b.writeBytes(int32(-1));
            } else {
                byte[] v = p.getBytes(StandardCharsets.UTF_8);
                b.writeBytes(int32(v.length));
                b.writeBytes(v);
            }
        }
        b.writeBytes(int16(0));
        return message('B', b.toByteArray());
    }

    static byte[] describeStatement(String name) {
        return message('D', new byte[] {'S'}, cstr(name));
    }

    static byte[] describePortal(String name) {
        return message('D', new byte[] {'P'}, cstr(name));
    }

    static byte[] execute(String portal, int maxRows) {
        return message('E', cstr(portal), int32(maxRows));
    }

    static byte[] closeStatement(String name) {
        return message('C', new byte[] {'S'}, cstr(name));
    }

    static byte[] sync() {
        return message('S');
    }

    static byte[] flush() {
        return message('H');
    }

    static byte[] terminate() {
        return message('X');
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static void writeInt(ByteArrayOutputStream out, int v) {
        out.writeBytes(int32(v));
    }

    /** Parses all messages in a byte array. */
    static List<Msg> parseAll(byte[] bytes) {
        List<Msg> msgs = new ArrayList<>();
        int p = 0;
        while (p + 5 <= bytes.length) {
            char type = (char) bytes[p];
            int len = readInt(bytes, p + 1);
            byte[] body = new byte[len - 4];
            System.arraycopy(bytes, p + 5, body, 0, len - 4);
            msgs.add(new Msg(type, body));
            p += 1 + len;
        }
        return msgs;
    }

    static Msg read(InputStream in) throws IOException {
        DataInputStream d = new DataInputStream(in);
        int type = d.read();
        if (type < 0) {
            throw new EOFException("server closed the connection");
        }
        int len = d.readInt();
        byte[] body = new byte[len - 4];
        d.readFully(body);
        return new Msg((char) type, body);
    }

    /** Reads messages up to and including the next ReadyForQuery. */
    static List<Msg> readUntilReady(InputStream in) throws IOException {
        List<Msg> msgs = new ArrayList<>();
        while (true) {
            Msg m = read(in);
            msgs.add(m);
            if (m.type() == 'Z') {
                return msgs;
            }
        }
    }

    /** A raw protocol client on a socket. */
    static final class Client implements AutoCloseable {
        final Socket socket;
        final InputStream in;
        final OutputStream out;
        final List<Msg> greeting;

        Client(String host, int port, String user, String database, String... extra) throws IOException {
            socket = new Socket(host, port);
            socket.setSoTimeout(60_000);
            in = new java.io.BufferedInputStream(socket.getInputStream());
            out = socket.getOutputStream();
            out.write(startup(user, database, extra));
            out.flush();
            greeting = new ArrayList<>();
            while (true) {
                Msg m = read(in);
                greeting.add(m);
                if (m.type() == 'Z' || m.type() == 'E') {
                    break;
                }
            }
        }

        void send(byte[]... parts) throws IOException {
            out.write(concat(parts));
            out.flush();
        }

        List<Msg> untilReady() throws IOException {
            return readUntilReady(in);
        }

        List<Msg> simple(String sql) throws IOException {
            send(query(sql));
            return untilReady();
        }

        /** The text of the first column of the first row of a simple query. */
        String scalar(String sql) throws IOException {
            for (Msg m : simple(sql)) {
                if (m.type() == 'D') {
                    return m.columns().get(0);
                }
                if (m.type() == 'E') {
                    throw new IllegalStateException("query failed: " + m);
                }
            }
            return null;
        }

        Map<String, String> parameterStatus() {
            Map<String, String> p = new LinkedHashMap<>();
            for (Msg m : greeting) {
                if (m.type() == 'S') {
                    String[] kv = m.text().split("\0");
                    p.put(kv[0], kv.length > 1 ? kv[1] : "");
                }
            }
            return p;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
