package io.pglite.backend;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Passes backend messages through, except that of two ReadyForQuery messages in a row right after an
 * ErrorResponse only the second goes out.
 *
 * <p>Why: the PostgreSQL 17 build of PGlite (0.4.x) answers an error in an extended-protocol message with
 * ErrorResponse, ReadyForQuery <em>before</em> it reads the Sync, and another ReadyForQuery for the Sync. A client
 * such as pgjdbc takes the extra one as the answer to its next query ("No results were returned by the
 * query"), and every later answer arrives one query late. PostgreSQL sends exactly one (for the Sync), and so does
 * PGlite 0.5.x; the second one carries the state after the Sync, so that is the one kept. A client that really
 * pipelines two Syncs after a failing message would see one ReadyForQuery less; no driver tested does that.
 *
 * <p>Streaming: only a ReadyForQuery that follows an ErrorResponse is held back, until the next message header
 * or {@link #finish()}. Not thread-safe (one exchange on the backend thread).
 */
final class ReadyForQueryCollapser extends OutputStream {

    private final OutputStream out;
    private final byte[] header = new byte[5];
    private int headerFill;
    /** Body bytes of the current message still to pass (or to hold). */
    private long bodyLeft;
    private boolean holdingBody;
    private byte lastType;
    /** A held ReadyForQuery (type, length, status), or null. */
    private byte[] held;
    private int heldFill;

    ReadyForQueryCollapser(OutputStream out) {
        this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        int end = off + len;
        int i = off;
        while (i < end) {
            if (bodyLeft > 0) {
                int n = (int) Math.min(bodyLeft, end - i);
                if (holdingBody) {
                    System.arraycopy(b, i, held, heldFill, n);
                    heldFill += n;
                } else {
                    out.write(b, i, n);
                }
                bodyLeft -= n;
                i += n;
                continue;
            }
            header[headerFill++] = b[i++];
            if (headerFill == 5) {
                headerFill = 0;
                startMessage();
            }
        }
    }

    private void startMessage() throws IOException {
        byte type = header[0];
        long length = ((header[1] & 0xffL) << 24) | ((header[2] & 0xff) << 16) | ((header[3] & 0xff) << 8)
                | (header[4] & 0xff);
        bodyLeft = Math.max(0, length - 4);
        holdingBody = false;
        if (type == 'Z' && length == 5) {
            if (held != null) {
                held = null; // the early one: drop it, this one goes out
            } else if (lastType == 'E') {
                held = new byte[6];
                System.arraycopy(header, 0, held, 0, 5);
                heldFill = 5;
                holdingBody = true;
                lastType = type;
                return;
            }
        } else {
            releaseHeld();
        }
        lastType = type;
        out.write(header, 0, 5);
    }

    private void releaseHeld() throws IOException {
        if (held != null) {
            out.write(held, 0, heldFill);
            held = null;
        }
    }

    /** Sends a held ReadyForQuery: called when the exchange ends. */
    void finish() throws IOException {
        releaseHeld();
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }
}
