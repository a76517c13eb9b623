package io.pglite.server;

import io.pglite.protocol.BackendMessages;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The stream the shared backend writes its protocol messages to. It parses the frames as they pass, without
 * holding back bulk data (rows go straight to the client), and records what the scheduler needs: the last
 * ReadyForQuery status, command tags that change session state, ParameterStatus values. A few small frames are
 * held until complete and may be changed or routed: ErrorResponse (statement names are translated back to the
 * client's), NotificationResponse (sent to the connections that listen) and, for statements the server
 * re-creates on a client's behalf, ParseComplete (dropped).
 *
 * <p>Used only by the connection holding the backend (one exchange at a time), on the wasm thread.
 */
final class BackendOutput extends OutputStream {
    /** Receives the frames that concern the session as a whole. */
    interface Listener {
        void parameterStatus(String name, String value);

        /** A notification; returns true when it was delivered elsewhere (and must not go to the sink). */
        boolean notification(byte[] frame, String channel);
    }

    private final Listener listener;

    // Persistent across exchanges: the backend's protocol state as seen in its output.
    private char lastFrame = 'Z';
    private char lastStatus = 'I';

    // Per exchange.
    private OutputStream sink;
    private ClientConnection conn;
    private boolean dropParseComplete;
    private boolean captureRows;
    private List<List<String>> rows;
    private Map<Character, String> error;
    private boolean timeoutFallback;
    private IOException sinkFailure;
    private Runnable onSinkFailure;

    // Frame parser state.
    private final byte[] header = new byte[5];
    private int headerFill;
    private int remaining;
    private char type;
    private boolean capture;
    private boolean hold;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();

    BackendOutput(Listener listener) {
        this.listener = listener;
    }

    /**
     * Prepares for one exchange.
     *
     * @param sink where the client's bytes go, or null to discard them
     * @param conn the connection the output belongs to, or null for the server's own queries
     * @param dropParseComplete drop ParseComplete frames (a Parse the server injected)
     * @param captureRows collect DataRow values (server's own queries)
     * @param onSinkFailure run (on the wasm thread) when writing to the sink fails
     */
    void begin(OutputStream sink, ClientConnection conn, boolean dropParseComplete, boolean captureRows,
            Runnable onSinkFailure) {
        this.sink = sink;
        this.conn = conn;
        this.dropParseComplete = dropParseComplete;
        this.captureRows = captureRows;
        this.rows = captureRows ? new ArrayList<>() : null;
        this.error = null;
        this.sinkFailure = null;
        this.onSinkFailure = onSinkFailure;
        this.headerFill = 0;
        this.remaining = 0;
        this.body.reset();
    }

    /** Tells the ErrorResponse of a statement timeout that fell back to a plain cancel what it really was. */
    void timeoutFallback(boolean fired) {
        this.timeoutFallback = fired;
    }

    /** Forgets the protocol state (the backend was restarted: a new session, idle). */
    void reset() {
        lastFrame = 'Z';
        lastStatus = 'I';
    }

    char lastFrame() {
        return lastFrame;
    }

    char lastStatus() {
        return lastStatus;
    }

    List<List<String>> rows() {
        return rows;
    }

    Map<Character, String> error() {
        return error;
    }

    IOException sinkFailure() {
        return sinkFailure;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            if (headerFill < 5) {
                int n = Math.min(5 - headerFill, len);
                System.arraycopy(b, off, header, headerFill, n);
                headerFill += n;
                off += n;
                len -= n;
                if (headerFill == 5) {
                    startFrame();
                    if (remaining == 0) {
                        endFrame();
                    }
                }
                continue;
            }
            int n = Math.min(remaining, len);
            if (capture) {
                body.write(b, off, n);
            }
            if (!hold) {
                toSink(b, off, n);
            }
            remaining -= n;
            off += n;
            len -= n;
            if (remaining == 0) {
                endFrame();
            }
        }
    }

    private void startFrame() {
        type = (char) (header[0] & 0xff);
        remaining = ((header[1] & 0xff) << 24 | (header[2] & 0xff) << 16 | (header[3] & 0xff) << 8
                | (header[4] & 0xff)) - 4;
        if (remaining < 0) {
            remaining = 0;
        }
        body.reset();
        switch (type) {
            case 'Z', 'C', 'S', 'G', 'W' -> {
                capture = true;
                hold = false;
            }
            case 'E', 'A' -> {
                capture = true;
                hold = true;
            }
            case '1' -> {
                capture = false;
                hold = dropParseComplete;
            }
            case 'D', 'T' -> {
                capture = captureRows && type == 'D';
                hold = false;
            }
            default -> {
                capture = false;
                hold = false;
            }
        }
        if (!hold) {
            toSink(header, 0, 5);
        }
    }

    private void endFrame() {
        headerFill = 0;
        byte[] data = capture ? body.toByteArray() : null;
        switch (type) {
            case 'Z' -> {
                lastStatus = data.length > 0 ? (char) data[0] : 'I';
                lastFrame = 'Z';
            }
            case 'C' -> {
                lastFrame = 'C';
                String tag = new String(data, 0, Math.max(0, data.length - 1), StandardCharsets.UTF_8);
                if (conn != null) {
                    conn.commandTag(tag);
                }
            }
            case 'S' -> {
                String[] kv = cstrings(data);
                if (kv.length >= 2) {
                    listener.parameterStatus(kv[0], kv[1]);
                    if (conn != null) {
                        conn.reported(kv[0], kv[1]);
                    }
                }
            }
            case 'E' -> {
                lastFrame = 'E';
                error = BackendMessages.fields(data);
                byte[] frame = conn != null ? conn.translateError(data, timeoutFallback) : null;
                if (frame == null) {
                    frame = frame('E', data);
                }
                toSink(frame, 0, frame.length);
            }
            case 'A' -> {
                String[] f = data.length > 4 ? cstrings(java.util.Arrays.copyOfRange(data, 4, data.length))
                        : new String[0];
                byte[] frame = frame('A', data);
                if (conn != null) {
                    int pid = conn.pid();
                    frame[5] = (byte) (pid >>> 24);
                    frame[6] = (byte) (pid >>> 16);
                    frame[7] = (byte) (pid >>> 8);
                    frame[8] = (byte) pid;
                }
                if (f.length == 0 || !listener.notification(frame, f[0])) {
                    toSink(frame, 0, frame.length);
                }
            }
            case '1' -> {
                lastFrame = '1';
                if (hold) {
                    // an injected Parse: its ParseComplete is not the client's
                }
            }
            case 'D' -> {
                lastFrame = 'D';
                if (capture && rows != null) {
                    rows.add(columns(data));
                }
            }
            case 'N' -> {
                // a notice: asynchronous, does not change the protocol state
            }
            default -> lastFrame = type;
        }
    }

    private static byte[] frame(char type, byte[] data) {
        byte[] f = new byte[5 + data.length];
        f[0] = (byte) type;
        int len = 4 + data.length;
        f[1] = (byte) (len >>> 24);
        f[2] = (byte) (len >>> 16);
        f[3] = (byte) (len >>> 8);
        f[4] = (byte) len;
        System.arraycopy(data, 0, f, 5, data.length);
        return f;
    }

    private void toSink(byte[] b, int off, int len) {
        if (sink == null || sinkFailure != null) {
            return;
        }
        try {
            sink.write(b, off, len);
        } catch (IOException e) {
            sinkFailure = e;
            if (onSinkFailure != null) {
                onSinkFailure.run();
            }
        }
    }

    @Override
    public void flush() throws IOException {
        if (sink != null && sinkFailure == null) {
            try {
                sink.flush();
            } catch (IOException e) {
                sinkFailure = e;
            }
        }
        if (sinkFailure != null) {
            throw sinkFailure;
        }
    }

    static String[] cstrings(byte[] data) {
        List<String> out = new ArrayList<>();
        int p = 0;
        while (p < data.length) {
            int e = p;
            while (e < data.length && data[e] != 0) {
                e++;
            }
            if (e >= data.length) {
                break;
            }
            out.add(new String(data, p, e - p, StandardCharsets.UTF_8));
            p = e + 1;
        }
        return out.toArray(new String[0]);
    }

    private static List<String> columns(byte[] data) {
        List<String> cols = new ArrayList<>();
        if (data.length < 2) {
            return cols;
        }
        int n = ((data[0] & 0xff) << 8) | (data[1] & 0xff);
        int p = 2;
        for (int i = 0; i < n && p + 4 <= data.length; i++) {
            int len = (data[p] & 0xff) << 24 | (data[p + 1] & 0xff) << 16 | (data[p + 2] & 0xff) << 8
                    | (data[p + 3] & 0xff);
            p += 4;
            if (len < 0) {
                cols.add(null);
            } else {
                cols.add(new String(data, p, len, StandardCharsets.UTF_8));
                p += len;
            }
        }
        return cols;
    }
}
