package io.pglite.protocol;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A byte budget shared by the input buffers of all connections of a server, so that the memory held for
 * client messages stays bounded however many clients send large (or claim to send huge) messages.
 */
public final class BufferBudget {
    /** A budget that never refuses. */
    public static final BufferBudget UNLIMITED = new BufferBudget(Long.MAX_VALUE);

    private final long limit;
    private final AtomicLong used = new AtomicLong();

    /**
     * @param limitBytes the most bytes that may be reserved at once
     */
    public BufferBudget(long limitBytes) {
        if (limitBytes <= 0) {
            throw new IllegalArgumentException("the buffer budget must be positive");
        }
        this.limit = limitBytes;
    }

    /**
     * Reserves bytes.
     *
     * @param bytes how many
     * @return false (and nothing reserved) when the budget would be exceeded
     */
    public boolean reserve(long bytes) {
        while (true) {
            long u = used.get();
            if (u + bytes > limit || u + bytes < 0) {
                return false;
            }
            if (used.compareAndSet(u, u + bytes)) {
                return true;
            }
        }
    }

    /**
     * Returns reserved bytes.
     *
     * @param bytes how many
     */
    public void release(long bytes) {
        used.addAndGet(-bytes);
    }

    /** The bytes reserved now. */
    public long used() {
        return used.get();
    }

    /** The limit. */
    public long limit() {
        return limit;
    }

    /** The budget is exhausted: the message cannot be buffered. */
    public static final class ExhaustedException extends java.io.IOException {
        private static final long serialVersionUID = 1L;

        /**
         * @param message what could not be buffered
         */
        public ExhaustedException(String message) {
            super(message);
        }
    }
}
