package io.pglite.fs;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import org.slf4j.Logger;

/**
 * An output-only, line-buffered terminal device that sends each line to an SLF4J logger. The default
 * standard output and standard error of a {@link VirtualFileSystem}, where PostgreSQL writes its log.
 *
 * <p>Bytes are collected until a newline and then logged as one UTF-8 line (a trailing {@code \r} is dropped),
 * so a message split over several {@code write} calls becomes a single log event. A line longer than
 * {@value #MAX_LINE} bytes is emitted in pieces to bound memory. {@link #flush()} emits a pending partial
 * line. Reads report end of file.
 */
public final class LoggingCharDevice implements CharDevice {
    /** Longest line buffered before it is emitted without a newline. */
    public static final int MAX_LINE = 64 * 1024;

    /** Log level used for the lines. */
    public enum Level {
        /** {@link Logger#trace(String)}. */
        TRACE,
        /** {@link Logger#debug(String)}. */
        DEBUG,
        /** {@link Logger#info(String)}. */
        INFO,
        /** {@link Logger#warn(String)}. */
        WARN,
        /** {@link Logger#error(String)}. */
        ERROR
    }

    private final Logger logger;
    private final Level level;
    private byte[] buf = new byte[256];
    private int len;

    /**
     * Creates the device.
     *
     * @param logger destination logger
     * @param level  level of every line
     */
    public LoggingCharDevice(Logger logger, Level level) {
        this.logger = Objects.requireNonNull(logger, "logger");
        this.level = Objects.requireNonNull(level, "level");
    }

    @Override
    public int read(long position, byte[] dst, int off, int len) {
        return 0;
    }

    @Override
    public int write(long position, byte[] src, int off, int n) {
        int end = off + n;
        int start = off;
        for (int i = off; i < end; i++) {
            if (src[i] == '\n') {
                append(src, start, i - start);
                emit();
                start = i + 1;
            }
        }
        append(src, start, end - start);
        return n;
    }

    private void append(byte[] src, int off, int n) {
        while (n > 0) {
            int room = MAX_LINE - len;
            if (room == 0) {
                emit();
                room = MAX_LINE;
            }
            int chunk = Math.min(room, n);
            if (len + chunk > buf.length) {
                buf = Arrays.copyOf(buf, Math.min(MAX_LINE, Math.max(buf.length * 2, len + chunk)));
            }
            System.arraycopy(src, off, buf, len, chunk);
            len += chunk;
            off += chunk;
            n -= chunk;
        }
    }

    private void emit() {
        int n = len;
        if (n > 0 && buf[n - 1] == '\r') {
            n--;
        }
        String line = new String(buf, 0, n, StandardCharsets.UTF_8);
        len = 0;
        switch (level) {
            case TRACE: logger.trace(line); break;
            case DEBUG: logger.debug(line); break;
            case INFO: logger.info(line); break;
            case WARN: logger.warn(line); break;
            default: logger.error(line); break;
        }
    }

    /** Emits a pending partial line, if any. */
    @Override
    public void flush() {
        if (len > 0) {
            emit();
        }
    }

    @Override
    public boolean isTerminal() {
        return true;
    }
}
