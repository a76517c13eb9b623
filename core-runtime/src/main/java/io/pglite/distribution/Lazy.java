package io.pglite.distribution;

import java.util.Objects;
import java.util.function.Supplier;

/** A value computed once, on first use, thread-safely. A failed computation is retried next time. */
final class Lazy<T> implements Supplier<T> {

    private final Supplier<? extends T> initializer;
    private volatile T value;

    Lazy(Supplier<? extends T> initializer) {
        this.initializer = Objects.requireNonNull(initializer, "initializer");
    }

    @Override
    public T get() {
        T v = value;
        if (v == null) {
            synchronized (this) {
                v = value;
                if (v == null) {
                    v = Objects.requireNonNull(initializer.get(), "lazy value");
                    value = v;
                }
            }
        }
        return v;
    }

    boolean isLoaded() {
        return value != null;
    }
}
