package io.pglite.backend;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Where the code of one wasm instance runs: one call at a time, on a thread with a large stack.
 *
 * <p>Compiled wasm functions become JVM methods, so deep C recursion (the planner, the parser, PL/pgSQL)
 * becomes deep JVM recursion; it needs a stack far larger than the JVM default. Calls from ordinary threads
 * are handed to a thread of this object's own that has such a stack. Threads made by {@link #newThread} have
 * the same stack and run calls themselves: a server's connection thread then runs the backend for its
 * client's message without waking another thread and waiting for it to answer (two thread wake-ups per
 * statement saved, which is a good part of a short statement's time on a machine with idle cores).
 *
 * <p>Either way a lock serialises the calls, so the instance and its filesystem view are only ever used by
 * one thread at a time, and a call made while running a call (a callback of the backend) runs directly.
 */
public final class WasmThread implements AutoCloseable {
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final ExecutorService executor;
    private final long stackBytes;
    private final ReentrantLock lock = new ReentrantLock();

    /**
     * Starts the thread.
     *
     * @param name a name prefix for the thread
     * @param stackBytes the thread's stack size
     */
    public WasmThread(String name, long stackBytes) {
        this.stackBytes = stackBytes;
        this.executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new LargeStackThread(r, name + "-" + COUNTER.incrementAndGet(), stackBytes);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * A new (not started, daemon) thread with this instance's stack size, which runs the calls it makes to
     * this object itself instead of handing them over.
     *
     * @param task what the thread runs
     * @param name the thread's name
     * @return the thread
     */
    public Thread newThread(Runnable task, String name) {
        Thread t = new LargeStackThread(task, name, stackBytes);
        t.setDaemon(true);
        return t;
    }

    /**
     * Runs a task on the wasm instance and waits for it: directly when the calling thread may (it already
     * runs a call, or it was made by {@link #newThread}), otherwise on this object's own thread.
     *
     * @param task the task
     * @param <T> its result type
     * @return its result
     */
    public <T> T call(Callable<T> task) {
        if (lock.isHeldByCurrentThread()) {
            return callDirectly(task);
        }
        if (Thread.currentThread() instanceof LargeStackThread t && t.stackBytes >= stackBytes) {
            lock.lock();
            try {
                return callDirectly(task);
            } finally {
                lock.unlock();
            }
        }
        CompletableFuture<T> f = new CompletableFuture<>();
        executor.execute(() -> {
            lock.lock();
            try {
                f.complete(task.call());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            } finally {
                lock.unlock();
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

    private static <T> T callDirectly(Callable<T> task) {
        try {
            return task.call();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs a task on the wasm instance and waits for it (see {@link #call}). */
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

    /** A thread whose stack is known to be large enough for calls of instances with at most its stack size. */
    private static final class LargeStackThread extends Thread {
        final long stackBytes;

        LargeStackThread(Runnable task, String name, long stackBytes) {
            super(null, task, name, stackBytes);
            this.stackBytes = stackBytes;
        }
    }
}
