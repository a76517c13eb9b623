package io.pglite.protocol;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Reads PostgreSQL frontend messages from a client stream and hands them out as batches of whole messages.
 *
 * <p>The backend must only ever see complete messages: a message split between two batches would leave it
 * waiting for input that never comes. This reader validates each frame's type and length before buffering it,
 * as PostgreSQL does: Query, Parse, Bind, FunctionCall and CopyData may be as large as the configured limit
 * (PostgreSQL's is 1 GB), every other message at most {@link #MAX_SMALL_MESSAGE_LENGTH} bytes. The buffer
 * grows only as bytes actually arrive, so a hostile declared length costs nothing until the data is sent;
 * growth beyond the initial buffer is charged to a {@link BufferBudget} shared by all connections, which bounds
 * the memory of the whole server. A batch contains every complete message that has already arrived, which
 * keeps pipelined extended-protocol traffic (Parse/Bind/Execute/Sync sent in one write) in one round trip.
 */
public final class FrontendReader {
    /** Startup packets are small; PostgreSQL itself refuses those above 10000 bytes. */
    public static final int MAX_STARTUP_LENGTH = 10_000;
    /** PostgreSQL's limit for messages other than Query, Parse, Bind, FunctionCall and CopyData. */
    public static final int MAX_SMALL_MESSAGE_LENGTH = 10_000;

    private static final int INITIAL_BUFFER = 16 * 1024;

    private final InputStream in;
    private final int maxMessageLength;
    private final BufferBudget budget;
    private byte[] buf = new byte[INITIAL_BUFFER];
    private long charged;
    private int start;
    private int end;

    /**
     * A reader without a shared budget.
     *
     * @param in the client's stream
     * @param maxMessageLength the largest message accepted (type byte and length word included)
     */
    public FrontendReader(InputStream in, int maxMessageLength) {
        this(in, maxMessageLength, BufferBudget.UNLIMITED);
    }

    /**
     * @param in the client's stream
     * @param maxMessageLength the largest large message accepted (type byte and length word included)
     * @param budget where buffer growth beyond the initial 16 KB is charged
     */
    public FrontendReader(InputStream in, int maxMessageLength, BufferBudget budget) {
        this.in = in;
        this.maxMessageLength = maxMessageLength;
        this.budget = budget;
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
     * Reads one authentication message (type {@code p}: PasswordMessage, SASLInitialResponse or
     * SASLResponse).
     *
     * @return the message body (without type and length)
     * @throws ProtocolException when the client sent another message type or a bad length
     * @throws IOException on read failure or end of stream
     */
    public byte[] readPasswordMessage() throws IOException {
        fill(5);
        byte type = buf[start];
        if (type != 'p') {
            throw new ProtocolException("expected password response, got message type " + (char) (type & 0xff));
        }
        int len = readInt(buf, start + 1);
        if (len < 4 || len > MAX_SMALL_MESSAGE_LENGTH) {
            throw new ProtocolException("invalid message length " + len + " for message type 'p'");
        }
        fill(len + 1);
        byte[] body = Arrays.copyOfRange(buf, start + 5, start + 1 + len);
        start += len + 1;
        return body;
    }

    /**
     * Blocks until at least one whole message is available, then returns all whole messages buffered.
     *
     * @return the batch
     * @throws EOFException when the client closed the connection (cleanly between messages or not)
     * @throws ProtocolException when a frame's type or length is invalid
     * @throws IOException on read failure
     */
    public Batch readBatch() throws IOException {
        fill(1);
        if (!isFrontendType(buf[start])) {
            // As PostgreSQL: the type byte alone decides, without waiting for a length.
            throw new ProtocolException("invalid frontend message type " + (buf[start] & 0xff));
        }
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
            int len;
            try {
                len = frameLength(pos);
            } catch (ProtocolException e) {
                break; // likewise
            }
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

    private static boolean isLargeType(byte type) {
        return type == 'B' || type == 'F' || type == 'P' || type == 'Q' || type == 'd';
    }

    private int frameLength(int pos) throws ProtocolException {
        byte type = buf[pos];
        if (!isFrontendType(type)) {
            throw new ProtocolException("invalid frontend message type " + (type & 0xff));
        }
        int len = readInt(buf, pos + 1);
        int max = isLargeType(type) ? maxMessageLength - 1 : MAX_SMALL_MESSAGE_LENGTH;
        if (len < 4 || len > max) {
            throw new ProtocolException("invalid message length " + len + " for message type '"
                    + printable(type) + "'");
        }
        return len + 1;
    }

    private static String printable(byte b) {
        return b >= 32 && b < 127 ? String.valueOf((char) b) : String.format("\\x%02x", b & 0xff);
    }

    /** Ensures at least {@code n} bytes from {@code start} are buffered, growing the buffer as data arrives. */
    private void fill(int n) throws IOException {
        if (end - start >= n) {
            return;
        }
        if (start > 0 && buf.length - start < n) {
            System.arraycopy(buf, start, buf, 0, end - start);
            end -= start;
            start = 0;
        }
        while (end - start < n) {
            if (end == buf.length) {
                grow(n);
            }
            int r = in.read(buf, end, buf.length - end);
            if (r < 0) {
                throw new EOFException(end == start ? "client closed the connection"
                        : "client closed the connection in the middle of a message");
            }
            end += r;
        }
    }

    /** Doubles the buffer (at most to what the pending message needs), charging the budget. */
    private void grow(int needed) throws IOException {
        int target = (int) Math.min((long) start + needed, Math.max(buf.length * 2L, INITIAL_BUFFER));
        if (target <= buf.length) {
            target = buf.length + INITIAL_BUFFER;
        }
        long extra = target - buf.length;
        if (!budget.reserve(extra)) {
            throw new BufferBudget.ExhaustedException("out of memory: the server's buffers for client messages are"
                    + " exhausted (a message of " + needed + " bytes does not fit)");
        }
        charged += extra;
        buf = Arrays.copyOf(buf, target);
    }

    /** Releases a large buffer after a big message so an idle connection stays small. */
    public void compact() {
        if (start == end && buf.length > INITIAL_BUFFER) {
            buf = new byte[INITIAL_BUFFER];
            start = 0;
            end = 0;
            releaseCharge();
        }
    }

    /** Returns the buffer's charge to the budget; call when the connection ends. */
    public void release() {
        releaseCharge();
        buf = new byte[0];
        start = 0;
        end = 0;
    }

    private void releaseCharge() {
        if (charged > 0) {
            budget.release(charged);
            charged = 0;
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
