package io.pglite.fs;

/**
 * The buffer shared by the two ends of an in-memory pipe.
 *
 * <p>Always non-blocking, whatever {@code O_NONBLOCK} says: the wasm instance is single-threaded, so a blocking
 * read could never be satisfied. Reading an empty pipe returns {@code -EAGAIN} while a writer exists and 0 (end
 * of file) after the last writer closed; writing a full pipe writes what fits or returns {@code -EAGAIN};
 * writing with no reader left returns {@code -EPIPE}. PostgreSQL uses one as its latch self-pipe.
 */
final class Pipe {
    static final int CAPACITY = 64 * 1024;

    private final byte[] buf = new byte[CAPACITY];
    private int head;
    private int count;
    int readers = 1;
    int writers = 1;
    final long ino;

    Pipe(long ino) {
        this.ino = ino;
    }

    /** Creates a pipe holding {@code content} (a restored snapshot's pipe). */
    Pipe(long ino, byte[] content, int readers, int writers) {
        this.ino = ino;
        System.arraycopy(content, 0, buf, 0, content.length);
        this.count = content.length;
        this.readers = readers;
        this.writers = writers;
    }

    /** The unread bytes, without consuming them. */
    byte[] content() {
        byte[] out = new byte[count];
        int first = Math.min(count, CAPACITY - head);
        System.arraycopy(buf, head, out, 0, first);
        System.arraycopy(buf, 0, out, first, count - first);
        return out;
    }

    int available() {
        return count;
    }

    int read(byte[] dst, int off, int len) {
        if (len <= 0) {
            return 0;
        }
        if (count == 0) {
            return writers > 0 ? -Errno.EAGAIN : 0;
        }
        int n = Math.min(len, count);
        int first = Math.min(n, CAPACITY - head);
        System.arraycopy(buf, head, dst, off, first);
        if (n > first) {
            System.arraycopy(buf, 0, dst, off + first, n - first);
        }
        head = (head + n) % CAPACITY;
        count -= n;
        return n;
    }

    int write(byte[] src, int off, int len) {
        if (readers == 0) {
            return -Errno.EPIPE;
        }
        if (len <= 0) {
            return 0;
        }
        int room = CAPACITY - count;
        if (room == 0) {
            return -Errno.EAGAIN;
        }
        int n = Math.min(len, room);
        int tail = (head + count) % CAPACITY;
        int first = Math.min(n, CAPACITY - tail);
        System.arraycopy(src, off, buf, tail, first);
        if (n > first) {
            System.arraycopy(src, off + first, buf, 0, n - first);
        }
        count += n;
        return n;
    }
}
