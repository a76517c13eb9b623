package io.pglite.protocol;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Reads PostgreSQL frontend messages from a client stream and hands them out as batches of whole messages.
 *
 * <p>The backend must only ever see complete messages: a message split between two batches would leave it
 * waiting for input that never comes. This reader validates each frame's length before buffering it, so a
 * garbage or hostile length is rejected with a {@link ProtocolException} instead of an allocation of that
 * size. A batch contains every complete message that has already arrived, which keeps pipelined extended
 * protocol traffic (Parse/Bind/Execute/Sync sent in one write) in one round trip to the backend.
 */
public final class FrontendReader {
    /** Startup packets are small; PostgreSQL itself refuses those above 10000 bytes. */
    public static final int MAX_STARTUP_LENGTH = 10_000;

    private final InputStream in;
    private final int maxMessageLength;
    private byte[] buf = new byte[16 * 1024];
    private int start;
    private int end;

    /**
     * @param in the client's stream
     * @param maxMessageLength the largest message accepted (length word included)
     */
    public FrontendReader(InputStream in, int maxMessageLength) {
        this.in = in;
        this.maxMessageLength = maxMessageLength;
    }

    /**
     * Reads one untyped startup-phase packet (startup, SSLRequest, GSSENCRequest or CancelRequest).
     *
     * @return the packet, length word included
     * @throws EOFException when the client closed the connection before sending a whole packet
     * @throws ProtocolException when the length is out of range
     * @throws IOException on read failure
     */
    public byte[] readStartupPacket() throws IOException {
        fill(4);
        int len = readInt(buf, start);
        if (len < 8 || len > MAX_STARTUP_LENGTH) {
            throw new ProtocolException("invalid length of startup packet: " + len);
        }
        fill(len);
        byte[] packet = Arrays.copyOfRange(buf, start, start + len);
        start += len;
        return packet;
    }

    /**
     * Blocks until at least one whole message is available, then returns all whole messages buffered.
     *
     * @return the batch
     * @throws EOFException when the client closed the connection (cleanly between messages or not)
     * @throws ProtocolException when a frame's length is invalid
     * @throws IOException on read failure
     */
    public Batch readBatch() throws IOException {
        fill(5);
        int pos = start;
        int firstLen = frameLength(pos);
        fill(firstLen);
        pos = start + firstLen;
        // Take further messages that are already complete in the buffer, without blocking for more.
        while (end - pos >= 5) {
            if (!isFrontendType(buf[pos])) {
                break; // reported by the next call, after the messages before it were served
            }
            int len = frameLength(pos);
            if (end - pos < len) {
                break;
            }
            pos += len;
        }
        Batch batch = new Batch(buf, start, pos - start);
        start = pos;
        return batch;
    }

    /**
     * The message types a client may send after startup. Anything else makes PostgreSQL end the session with
     * FATAL, which would take down the one backend every connection shares; so the server refuses it here,
     * with the error PostgreSQL would send, and closes only the offending connection.
     */
    static boolean isFrontendType(byte type) {
        switch (type) {
            case 'B', 'C', 'd', 'c', 'f', 'D', 'E', 'H', 'F', 'P', 'Q', 'S', 'X':
                return true;
            default:
                return false;
        }
    }

    private int frameLength(int pos) throws ProtocolException {
        byte type = buf[pos];
        if (!isFrontendType(type)) {
            throw new ProtocolException("invalid frontend message type " + (type & 0xff));
        }
        int len = readInt(buf, pos + 1);
        if (len < 4 || len > maxMessageLength - 1) {
            throw new ProtocolException("invalid message length " + len + " for message type '"
                    + printable(type) + "'");
        }
        return len + 1;
    }

    private static String printable(byte b) {
        return b >= 32 && b < 127 ? String.valueOf((char) b) : String.format("\\x%02x", b & 0xff);
    }

    /** Ensures at least {@code n} bytes from {@code start} are buffered. */
    private void fill(int n) throws IOException {
        if (end - start >= n) {
            return;
        }
        if (start > 0 && (buf.length - start < n)) {
            System.arraycopy(buf, start, buf, 0, end - start);
            end -= start;
            start = 0;
        }
        if (buf.length < n) {
            buf = Arrays.copyOf(buf, Math.max(n, Math.min(buf.length * 2, maxMessageLength)));
        }
        while (end - start < n) {
            int r = in.read(buf, end, buf.length - end);
            if (r < 0) {
                throw new EOFException(end == start ? "client closed the connection"
                        : "client closed the connection in the middle of a message");
            }
            end += r;
        }
    }

    /** Releases a large buffer after a big message so an idle connection stays small. */
    public void compact() {
        if (start == end && buf.length > 1 << 20) {
            buf = new byte[16 * 1024];
            start = 0;
            end = 0;
        }
    }

    static int readInt(byte[] b, int p) {
        return ((b[p] & 0xff) << 24) | ((b[p + 1] & 0xff) << 16) | ((b[p + 2] & 0xff) << 8) | (b[p + 3] & 0xff);
    }

    /**
     * A run of whole frontend messages inside the reader's buffer, valid until the next read.
     *
     * @param bytes the buffer
     * @param offset where the first message starts
     * @param length total length of the messages
     */
    public record Batch(byte[] bytes, int offset, int length) {
        /**
         * Tells whether the batch contains a message of the given type.
         *
         * @param type the message type byte
         * @return true if one message has that type
         */
        public boolean contains(byte type) {
            int p = offset;
            while (p < offset + length) {
                if (bytes[p] == type) {
                    return true;
                }
                p += 1 + readInt(bytes, p + 1);
            }
            return false;
        }

        /**
         * The batch without its trailing Terminate message, if it ends with one.
         *
         * @return the messages before a Terminate
         */
        public Batch withoutTerminate() {
            int p = offset;
            while (p < offset + length) {
                if (bytes[p] == 'X') {
                    return new Batch(bytes, offset, p - offset);
                }
                p += 1 + readInt(bytes, p + 1);
            }
            return this;
        }
    }
}
