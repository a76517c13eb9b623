package io.pglite.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * A client's socket (TCP or Unix-domain) as blocking streams, with the timestamps the server's watchdog needs:
 * since when a write has been blocked (a client that does not read) and until when a read may wait
 * (authentication and idle-in-transaction limits).
 */
final class Transport implements AutoCloseable {
    private final SocketChannel channel;
    private final String peer;
    /** {@link System#nanoTime()} when the current write started, 0 when not writing. */
    volatile long writeSince;
    /** {@link System#nanoTime()} deadline for the current read, 0 for none. */
    volatile long readDeadline;

    final InputStream in = new InputStream() {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            int n = channel.read(ByteBuffer.wrap(b, off, len));
            return n;
        }
    };

    final OutputStream out = new OutputStream() {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            ByteBuffer bb = ByteBuffer.wrap(b, off, len);
            writeSince = System.nanoTime() | 1;
            try {
                while (bb.hasRemaining()) {
                    channel.write(bb);
                }
            } finally {
                writeSince = 0;
            }
        }
    };

    Transport(SocketChannel channel, String peer) {
        this.channel = channel;
        this.peer = peer;
    }

    String peer() {
        return peer;
    }

    boolean isOpen() {
        return channel.isOpen();
    }

    /** Makes a blocked read return end-of-stream (the connection's thread then ends it). */
    void shutdownInput() {
        try {
            channel.shutdownInput();
        } catch (IOException e) {
            close();
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
