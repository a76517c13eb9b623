package io.pglite.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Where calls run: on the caller when it may, else on the wasm thread; never two at once. */
class WasmThreadTest {
    private static final long STACK = 64L << 20;

    @Test
    void anOrdinaryThreadsCallRunsOnTheWasmThread() {
        try (WasmThread w = new WasmThread("test-wasm", STACK)) {
            Thread caller = Thread.currentThread();
            Thread ran = w.call(Thread::currentThread);
            assertThat(ran).isNotSameAs(caller);
            assertThat(ran.getName()).startsWith("test-wasm-");
        }
    }

    @Test
    void aThreadMadeByItRunsItsCallsItselfWithoutAHandOff() throws Exception {
        try (WasmThread w = new WasmThread("test-wasm", STACK)) {
            AtomicReference<Thread> ran = new AtomicReference<>();
            Thread t = w.newThread(() -> ran.set(w.call(Thread::currentThread)), "test-connection");
            t.start();
            t.join(30_000);
            assertThat(ran.get()).isSameAs(t);
        }
    }

    @Test
    void aThreadMadeByAnInstanceWithASmallerStackHandsItsCallsOver() throws Exception {
        try (WasmThread small = new WasmThread("small", 1L << 20); WasmThread big = new WasmThread("big", STACK)) {
            AtomicReference<Thread> ran = new AtomicReference<>();
            Thread t = small.newThread(() -> ran.set(big.call(Thread::currentThread)), "test-connection");
            t.start();
            t.join(30_000);
            assertThat(ran.get()).isNotSameAs(t);
            assertThat(ran.get().getName()).startsWith("big-");
        }
    }

    @Test
    void aCallInsideACallRunsDirectly() {
        try (WasmThread w = new WasmThread("test-wasm", STACK)) {
            assertThat(w.call(() -> w.call(() -> 42))).isEqualTo(42);
        }
    }

    @Test
    void callsFromThreadsThatRunThemThemselvesNeverOverlap() throws Exception {
        try (WasmThread w = new WasmThread("test-wasm", STACK)) {
            AtomicInteger inside = new AtomicInteger();
            AtomicBoolean overlapped = new AtomicBoolean();
            CountDownLatch go = new CountDownLatch(1);
            Runnable body = () -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 2_000; i++) {
                    w.run(() -> {
                        if (inside.incrementAndGet() != 1) {
                            overlapped.set(true);
                        }
                        Thread.onSpinWait();
                        inside.decrementAndGet();
                    });
                }
            };
            Thread a = w.newThread(body, "a");
            Thread b = w.newThread(body, "b");
            Thread c = new Thread(body, "ordinary");
            a.start();
            b.start();
            c.start();
            go.countDown();
            for (Thread t : new Thread[] {a, b, c}) {
                t.join(TimeUnit.SECONDS.toMillis(60));
                assertThat(t.isAlive()).isFalse();
            }
            assertThat(overlapped).isFalse();
        }
    }

    @Test
    void aFailureReachesTheCallerAsItWasThrown() {
        try (WasmThread w = new WasmThread("test-wasm", STACK)) {
            assertThatThrownBy(() -> w.run(() -> {
                throw new IllegalArgumentException("boom");
            })).isInstanceOf(IllegalArgumentException.class).hasMessage("boom");
        }
    }
}
