package io.pglite.backend;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one thread a wasm instance runs on.
 *
 * <p>Compiled wasm functions become JVM methods, so deep C recursion (the planner, the parser, PL/pgSQL)
 * becomes deep JVM recursion; the thread gets a stack far larger than the JVM default. Running every call on
 * one thread also serialises access to the instance and its filesystem view.
 */
public final class WasmThread implements AutoCloseable {
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final ExecutorService executor;
    private volatile Thread thread;

    /**
     * Starts the thread.
     *
     * @param name a name prefix for the thread
     * @param stackBytes the thread's stack size
     */
    public WasmThread(String name, long stackBytes) {
        this.executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(null, r, name + "-" + COUNTER.incrementAndGet(), stackBytes);
            t.setDaemon(true);
            thread = t;
            return t;
        });
    }

    /**
     * Runs a task on the wasm thread and waits for it; runs it directly when already on that thread.
     *
     * @param task the task
     * @param <T> its result type
     * @return its result
     */
    public <T> T call(Callable<T> task) {
        if (Thread.currentThread() == thread) {
            try {
                return task.call();
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        CompletableFuture<T> f = new CompletableFuture<>();
        executor.execute(() -> {
            try {
                f.complete(task.call());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the wasm thread", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(c);
        }
    }

    /** Runs a task on the wasm thread and waits for it. */
    public void run(Runnable task) {
        call(() -> {
            task.run();
            return null;
        });
    }

    @Override
    public void close() {
        executor.shutdown();
    }
}
